//! `/healthz`: the process answers. `/readyz`: the service can do its work now (its readiness
//! check, e.g. a database ping, succeeded); 503 with the reason when not.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;

use super::problem::{respond, status_problem};

/// An async readiness check: `Ok(())` when ready, else the reason in words.
pub type ReadinessCheck = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// How long a readiness check may take before the service counts as not ready.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// A check that always passes (a service with nothing to wait for).
pub fn always_ready() -> ReadinessCheck {
    Arc::new(|| Box::pin(async { Ok(()) }))
}

/// `GET /healthz` and `GET /readyz`.
pub fn router(check: ReadinessCheck) -> Router {
    readiness_router(check).route("/healthz", get(|| async { "ok" }))
}

/// `GET /readyz` only.
pub fn readiness_router(check: ReadinessCheck) -> Router {
    Router::new().route("/readyz", get(move || readyz(check.clone())))
}

async fn readyz(check: ReadinessCheck) -> Response {
    match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(reason)) => not_ready(reason),
        Err(_) => not_ready(format!(
            "the readiness check did not answer within {} s",
            CHECK_TIMEOUT.as_secs()
        )),
    }
}

fn not_ready(reason: String) -> Response {
    tracing::warn!(reason = %reason, "not ready");
    respond(&status_problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "not-ready",
        reason,
    ))
}
