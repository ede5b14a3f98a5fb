//! Assembling the App Service: state, routes, the delivery worker.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::service::Services;

/// The device a request is for, for the per-device rate limit (set once the credential is verified).
#[derive(Debug, Clone)]
pub struct DeviceKey(pub String);

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::api::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, crate::error::ApiError> {
    state
        .services
        .store
        .ping()
        .await
        .map_err(|e| crate::error::ApiError::Unavailable(format!("database: {e}")))?;
    Ok("ready")
}

/// The outbox worker and the revocation refresher, aborted when dropped.
pub struct Background(pub Vec<tokio::task::JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

pub fn start_background(services: &Services) -> Background {
    let worker = services.delivery.clone().spawn_worker();
    let gallery = services.gallery.clone();
    let refresher = tokio::spawn(async move {
        loop {
            if let Err(e) = gallery.refresh_revocations().await {
                tracing::warn!(error = %e, "revocation list not refreshed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
    Background(vec![worker, refresher])
}

pub fn state(services: Services) -> AppState {
    AppState { services }
}

pub type Shared<T> = Arc<T>;
