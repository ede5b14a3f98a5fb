//! Request limits of the App API and the panel pages, one token bucket per key: `device:SERIAL`
//! once the credential names the device (checked by the credential extractor in `api`), else
//! `ip:ADDRESS` for every request that does not come from a verified device (no credential, or one
//! that is refused). On PostgreSQL the buckets are rows every instance shares (the outbox store's
//! `rate_buckets`, swept of idle rows), so N instances do not allow N times as much; on SQLite
//! (one instance) and when the database cannot be asked, this process's buckets apply.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::ops::RateLimited;

/// Takes one request from `key`'s bucket: the shared one where instances share a database,
/// else this process's. `Ok` without a limiter configured.
pub async fn take(state: &AppState, key: &str) -> Result<(), RateLimited> {
    let Some(limiter) = &state.limiter else {
        return Ok(());
    };
    match state.services.store.take_rate_token(key).await {
        Ok(Some(taken)) => taken.map_err(|retry_after| RateLimited { retry_after }),
        Ok(None) => limiter.check_key(key),
        Err(e) => {
            tracing::warn!(error = %e, "shared rate limit unavailable; this process's applies");
            limiter.check_key(key)
        }
    }
}

/// The bucket of a verified device.
pub fn device_key(serial: &str) -> String {
    format!("device:{serial}")
}

fn address_key(req: &Request) -> String {
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(peer)) => format!("ip:{}", peer.ip()),
        None => "ip:unknown".to_string(),
    }
}

/// Middleware: a request without a credential takes from its address's bucket before it runs;
/// one whose credential is refused (401) takes from it afterwards, and once that bucket is empty
/// its answer is 429, so guessing credentials is limited per address like anonymous requests.
/// Requests of verified devices are limited per device instead (many devices of a site may share
/// one NAT address).
pub async fn by_address(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let key = address_key(&req);
    if !req.headers().contains_key(header::AUTHORIZATION) {
        return match take(&state, &key).await {
            Ok(()) => next.run(req).await,
            Err(limited) => limited.into_response(),
        };
    }
    let res = next.run(req).await;
    if res.status() == StatusCode::UNAUTHORIZED
        && let Err(limited) = take(&state, &key).await
    {
        return limited.into_response();
    }
    res
}
