//! Who is calling: a partner-admin API key (`Authorization: Bearer sag_…`), or a device with
//! its own signed credential.

use super::error::{ApiError, ApiResult};
use crate::credential::{self, RevocationList};
use crate::domain::DeviceSerial;
use crate::service::{AppState, hash_api_key};
use crate::storage::Store;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A request made with a valid partner-admin API key.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let key = bearer(&parts.headers).ok_or(ApiError::Unauthorized)?;
        if state.store.api_key_hash_exists(&hash_api_key(key)).await? {
            Ok(Admin)
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

/// Lets through an admin, or the device itself with its valid credential.
pub async fn caller_for(
    state: &AppState,
    headers: &HeaderMap,
    serial: &DeviceSerial,
) -> ApiResult<()> {
    let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
    if state
        .store
        .api_key_hash_exists(&hash_api_key(token))
        .await?
    {
        return Ok(());
    }
    if !token.contains('.') {
        return Err(ApiError::Unauthorized);
    }
    let now = state.clock.now();
    let revocations = RevocationList {
        revoked: state
            .store
            .revoked_credentials(now)
            .await?
            .into_iter()
            .collect(),
    };
    credential::verify(
        token,
        &state.signing.public_keys(),
        &revocations,
        now,
        Some(serial),
    )?;
    Ok(())
}
