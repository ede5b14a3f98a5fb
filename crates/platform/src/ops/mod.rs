//! Operations: HTTPS, security headers, limits, a rate limit per device, metrics, health and
//! logs — the parts every service (manager, gallery, assistant) needs around its routes, so
//! that each one is served the same way.
//!
//! ```no_run
//! # async fn demo(api: axum::Router, check: platform::ops::health::ReadinessCheck) -> anyhow::Result<()> {
//! use platform::ops;
//! ops::logging::init(true)?;
//! let settings = ops::OpsSettings { hsts: true, ..Default::default() };
//! let app = ops::layers(api.merge(ops::routes(check)), &settings);
//! let tls = Some(ops::tls::TlsSettings { cert: "cert.pem".into(), key: "key.pem".into() });
//! ops::serve(app, "0.0.0.0:8443".parse()?, tls, std::future::pending()).await
//! # }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod client;
pub mod headers;
pub mod health;
pub mod logging;
pub mod metrics;
pub mod problem;
pub mod rate_limit;
pub mod tls;
pub mod transport;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::limit::RequestBodyLimitLayer;

pub use headers::FrameAncestor;
pub use health::ReadinessCheck;
pub use logging::Redacted;
pub use problem::{
    COMMON_PROBLEMS, document_problems, respond as problem_response, status_problem,
};
pub use rate_limit::{DeviceKey, RateLimitSettings, RateLimited, RateLimiter};
pub use tls::{Listener, ServerLimits, TlsSettings, serve, serve_bound};
pub use transport::{ClientTrustArgs, TransportArgs};

/// Bucket count the rate limiter keeps at most (one per device or peer address).
pub const RATE_LIMIT_MAX_KEYS: usize = 100_000;

/// What [`layers`] puts around the routes.
#[derive(Debug, Clone)]
pub struct OpsSettings {
    /// Largest request body accepted, in bytes (default 64 KiB); larger → 413.
    pub body_limit: usize,
    /// Longest a request may take (default 30 s); longer → 503.
    pub request_timeout: Duration,
    /// Requests per device (or per peer address before authentication); `None` = no limit here
    /// (e.g. because the caller applies [`with_rate_limit`] itself).
    pub rate_limit: Option<RateLimitSettings>,
    /// Origins allowed to frame the pages; empty = none (and `X-Frame-Options: DENY`).
    pub frame_ancestors: Vec<FrameAncestor>,
    /// Send Strict-Transport-Security: set it when serving over TLS.
    pub hsts: bool,
    /// The Content-Security-Policy directives other than `frame-ancestors`.
    pub content_policy: String,
}

impl Default for OpsSettings {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            rate_limit: Some(RateLimitSettings::default()),
            frame_ancestors: Vec::new(),
            hsts: false,
            content_policy: headers::DEFAULT_POLICY.to_string(),
        }
    }
}

/// `/healthz`, `/readyz` (running `check`) and `/metrics`.
pub fn routes(check: ReadinessCheck) -> Router {
    health::router(check).merge(metrics::router())
}

/// `/readyz` and `/metrics`, for a service that answers `/healthz` itself.
pub fn routes_without_healthz(check: ReadinessCheck) -> Router {
    health::readiness_router(check).merge(metrics::router())
}

/// Wraps every route of `router` (add all routes first: `Router::layer` only wraps the routes
/// it already has). From the outside in: request trace span and access log (method, route
/// template, status, latency), metrics, security headers, problem+json for bare 400/405/413/415/422 answers, request timeout,
/// rate limit, body size limit.
///
/// The rate limit keys on the [`DeviceKey`] request extension, so whatever establishes the
/// device must run before it. Three ways:
/// - an authentication *layer* added after this call: `ops::layers(router, &s).layer(auth)`;
/// - `rate_limit: None` here, and [`with_rate_limit`] on the authenticated routes, under the
///   authentication layer (keeps authentication failures inside the trace and metrics);
/// - `rate_limit: None` here, and the extractor that verifies the credential calls
///   [`RateLimiter::check`] (its [`RateLimited`] error answers 429).
///
/// Without a `DeviceKey` the middleware keys on the peer address; many devices of a site
/// behind one NAT address would then share a bucket, so do not let it see authenticated
/// requests before the device is known.
pub fn layers(router: Router, settings: &OpsSettings) -> Router {
    let headers = Arc::new(headers::SecurityHeaders::with_policy(
        &settings.content_policy,
        &settings.frame_ancestors,
        settings.hsts,
    ));
    let mut router = router
        .layer(RequestBodyLimitLayer::new(settings.body_limit))
        .layer(DefaultBodyLimit::max(settings.body_limit));
    if let Some(limit) = settings.rate_limit {
        router = with_rate_limit(router, &RateLimiter::new(limit));
    }
    router
        .layer(middleware::from_fn_with_state(
            settings.request_timeout,
            request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            settings.body_limit,
            plain_rejections_as_problems,
        ))
        .layer(middleware::from_fn_with_state(
            headers,
            headers::security_headers,
        ))
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn(logging::access_log))
        .layer(logging::trace_layer())
}

/// Adds the rate limit per device to the routes `router` has now, with `limiter`'s buckets.
pub fn with_rate_limit(router: Router, limiter: &RateLimiter) -> Router {
    router.layer(middleware::from_fn_with_state(
        limiter.clone(),
        rate_limit::rate_limit,
    ))
}

async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => problem::respond(&status_problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "request-timeout",
            format!(
                "the request was not done within {} s; it may be tried again",
                limit.as_secs_f64()
            ),
        )),
    }
}

/// The body limit answers 413 with a plain-text body (and so do the body extractors when a
/// chunked body runs over it), and axum's extractors answer a malformed path, query or body
/// (400, 415, 422) and the router a wrong method (405) in plain text: give them the same
/// problem+json shape as every other error, with the extractor's words as the detail.
async fn plain_rejections_as_problems(
    State(limit): State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if problem::is_problem(&res) {
        return res;
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return problem::respond(&status_problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            format!("the request body is larger than the limit of {limit} bytes"),
        ));
    }
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    let slug = match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation",
        _ => return res,
    };
    if !plain {
        return res;
    }
    let (parts, body) = res.into_parts();
    // Extractor messages are short; a longer body is cut rather than buffered whole.
    let detail = match axum::body::to_bytes(body, 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let detail = if detail.trim().is_empty() {
        status.canonical_reason().unwrap_or("Error").to_string()
    } else {
        detail
    };
    let mut answer = problem::respond(&status_problem(status, slug, detail));
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        answer
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    answer
}
