//! The partner console: server-rendered HTML pages, no JavaScript needed.

mod limiter;

pub use limiter::LoginLimiter;

use crate::app::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
