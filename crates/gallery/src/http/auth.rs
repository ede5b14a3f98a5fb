//! Who is calling: a partner-admin API key (`Authorization: Bearer sag_…`), or a device with
//! its own signed credential.

use super::error::{ApiError, ApiResult};
use crate::credential::{self, RevocationList};
use crate::domain::{DeviceSerial, Scope};
use crate::service::{self, AppState, hash_api_key};
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

/// A request made with a valid API key, and what that key may see ([`Scope`]).
pub struct ApiKey(pub Scope);

impl ApiKey {
    /// Only the operator's admin key.
    pub fn require_admin(&self, what: &str) -> ApiResult<()> {
        match &self.0 {
            Scope::Admin => Ok(()),
            Scope::Partner(partner) => Err(ApiError::Forbidden(format!(
                "{what} needs the operator's admin API key; this key belongs to partner {partner}"
            ))),
        }
    }
}

/// The scope of the API key a request carries, if it carries a known one.
pub async fn key_scope(state: &AppState, key: &str) -> ApiResult<Option<Scope>> {
    Ok(state.store.api_key_scope(&hash_api_key(key)).await?)
}

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let key = bearer(&parts.headers).ok_or(ApiError::Unauthorized)?;
        key_scope(state, key)
            .await?
            .map(ApiKey)
            .ok_or(ApiError::Unauthorized)
    }
}

/// Lets through an API key that sees the device (another partner's device: 404), or the
/// device itself with its valid credential.
pub async fn caller_for(
    state: &AppState,
    headers: &HeaderMap,
    serial: &DeviceSerial,
) -> ApiResult<()> {
    let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
    if let Some(scope) = key_scope(state, token).await? {
        service::device_for(state, &scope, serial).await?;
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
