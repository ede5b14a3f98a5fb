//! The application: state shared by the API and the console, and the router.

use crate::auth::PasswordCost;
use crate::clock::Clock;
use crate::storage::Storage;
use axum::Router;
use platform::ops::OpsSettings;
use std::sync::Arc;

/// The console's policy: its pages carry their styles inline and load nothing else.
pub const CONTENT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'";

/// Largest request body the manager accepts (API and console forms), except a batch of readings.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The ops layer as the manager uses it: no per-address rate limit (its API clients are App
/// Service instances, each calling for many devices), its own content policy. Its body limit is
/// the largest of the manager's ([`proto::fleet::MAX_BATCH_BODY_BYTES`], a batch of readings);
/// [`router`] holds every other route to [`BODY_LIMIT`].
pub fn ops_settings(hsts: bool) -> OpsSettings {
    OpsSettings {
        body_limit: proto::fleet::MAX_BATCH_BODY_BYTES,
        rate_limit: None,
        hsts,
        content_policy: CONTENT_POLICY.to_string(),
        ..OpsSettings::default()
    }
}

/// Concurrent console password checks: two argon2 verifications at a time (~38 MiB).
pub const DEFAULT_PASSWORD_CHECKS: usize = 2;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Mark the session cookie `Secure` (when served over TLS, or behind a TLS proxy).
    pub secure_cookies: bool,
    pub password_cost: PasswordCost,
    /// Console login attempts allowed per e-mail and per client address in `login_window`
    /// (counted in the database, so shared by every instance on it).
    pub login_attempts: u32,
    pub login_window: chrono::Duration,
    /// Password checks (argon2, ~19 MiB each at the default cost) run at once; a login that
    /// finds them all busy is answered 429 instead of queueing, so memory stays bounded.
    pub password_checks: usize,
    pub session_ttl: chrono::Duration,
    /// What `platform::ops::layers` puts around the routes (headers, HSTS, limits, logs, metrics).
    pub ops: OpsSettings,
    /// Webhook URLs may name private, loopback and link-local addresses (`--webhook-allow-private`).
    pub webhook_allow_private: bool,
}

impl AppConfig {
    pub fn login_limit(&self) -> crate::storage::LoginLimit {
        crate::storage::LoginLimit {
            attempts: self.login_attempts,
            window: self.login_window,
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            password_cost: PasswordCost::Default,
            login_attempts: 5,
            login_window: chrono::Duration::minutes(15),
            password_checks: DEFAULT_PASSWORD_CHECKS,
            session_ttl: chrono::Duration::hours(8),
            ops: ops_settings(false),
            webhook_allow_private: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<AppConfig>,
    /// Permits for console password checks (`AppConfig::password_checks`).
    pub password_checks: Arc<tokio::sync::Semaphore>,
    pub api_keys: Arc<ApiKeyCache>,
    /// The evaluation of stored batches' devices, after their uploads are answered.
    pub after_batch: Arc<crate::fleet::evaluate::AfterBatch>,
}

/// Known API keys (by hash) for a minute, so that not every API request costs a key lookup.
/// Only found keys are cached; a deleted key stops working within `ttl`.
#[derive(Debug)]
pub struct ApiKeyCache {
    ttl: chrono::Duration,
    entries: std::sync::Mutex<
        std::collections::HashMap<String, (uuid::Uuid, chrono::DateTime<chrono::Utc>)>,
    >,
}

impl ApiKeyCache {
    pub fn new(ttl: chrono::Duration) -> Self {
        Self {
            ttl,
            entries: Default::default(),
        }
    }
    pub fn get(&self, hash: &str, now: chrono::DateTime<chrono::Utc>) -> Option<uuid::Uuid> {
        let map = self.entries.lock().ok()?;
        map.get(hash)
            .filter(|(_, at)| now - *at < self.ttl)
            .map(|(p, _)| *p)
    }
    pub fn put(&self, hash: &str, partner: uuid::Uuid, now: chrono::DateTime<chrono::Utc>) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= 10_000 {
                map.clear();
            }
            map.insert(hash.to_string(), (partner, now));
        }
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Storage>, clock: Arc<dyn Clock>, config: AppConfig) -> Self {
        let password_checks = Arc::new(tokio::sync::Semaphore::new(config.password_checks.max(1)));
        Self {
            store,
            clock,
            config: Arc::new(config),
            password_checks,
            api_keys: Arc::new(ApiKeyCache::new(chrono::Duration::seconds(60))),
            after_batch: Default::default(),
        }
    }
}

/// The whole service: REST API, console, `/healthz`, `/readyz`, `/metrics`, `/openapi.json`,
/// inside the platform's ops layer (security headers, HSTS over TLS, limits, logs, metrics).
pub fn router(state: AppState) -> Router {
    let settings = state.config.ops.clone();
    let limit = settings.body_limit.min(BODY_LIMIT);
    let app = Router::new()
        .merge(crate::api::routes())
        .merge(crate::fleet::api::routes())
        .merge(crate::fleet::console::routes())
        .merge(crate::fleet::policy::routes())
        .merge(crate::fleet::notify::routes())
        .merge(crate::fleet::mail::routes())
        .merge(crate::fleet::console_mail::routes())
        .merge(crate::console::routes())
        // Every route but the readings of agents: at most BODY_LIMIT (added before that route).
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
        .layer(axum::middleware::from_fn_with_state(limit, body_limit))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .merge(
            crate::fleet::api::ingest_routes()
                .layer(axum::extract::DefaultBodyLimit::max(settings.body_limit)),
        )
        .with_state(state)
        .merge(platform::ops::metrics::router());
    platform::ops::layers(app, &settings)
}

/// A body over `limit` is answered 413 problem+json naming this limit (the ops layer's own answer
/// would name its larger one).
async fn body_limit(
    axum::extract::State(limit): axum::extract::State<usize>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let res = next.run(req).await;
    if res.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE
        || res
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
    {
        return res;
    }
    platform::ops::problem_response(&platform::ops::status_problem(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
        format!("the request body is larger than the limit of {limit} bytes"),
    ))
}

/// Serves the router on `listener` (plain HTTP) until the task is dropped (client addresses
/// are passed to handlers for the login rate limit).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).await
}

/// Serves on a listener from `platform::ops::tls::bind` (HTTPS when it has a certificate)
/// until `shutdown` completes.
pub async fn serve_listener(
    listener: platform::ops::Listener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    listener.serve(router(state), shutdown).await
}
