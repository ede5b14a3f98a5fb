//! Assembling the App Service: state, routes with the operations layers, the delivery worker.

use std::sync::Arc;

use axum::Router;

use crate::ops::{OpsSettings, RateLimiter, ReadinessCheck};
use crate::service::Services;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    /// Requests per device, checked once the credential says which device it is.
    pub limiter: Option<RateLimiter>,
    pub ops: OpsSettings,
}

/// Every route, with the operations layers (trace, metrics, security headers, limits) around them.
pub fn router(state: AppState) -> Router {
    let store = state.services.store.clone();
    let check: ReadinessCheck = Arc::new(move || {
        let store = store.clone();
        Box::pin(async move { store.ping().await.map_err(|e| format!("database: {e}")) })
    });
    let settings = OpsSettings {
        rate_limit: None,
        ..state.ops.clone()
    };
    let api = Router::new()
        .merge(crate::api::routes())
        .merge(crate::ui::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::by_address,
        ))
        .layer(axum::middleware::from_fn(crate::ui::cors))
        .with_state(state);
    crate::ops::layers(api.merge(crate::ops::routes(check)), &settings)
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
            // The gallery's revocation list max-age: a revoked credential stops working here
            // within about 5 s; a failed refresh keeps the last known list.
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    Background(vec![worker, refresher])
}
