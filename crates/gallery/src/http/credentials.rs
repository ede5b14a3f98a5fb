//! Device credentials: the public keys that sign them, the revocation list, revoking one.

use super::auth::ApiKey;
use super::error::{ApiError, ApiResult};
use crate::credential::{PublicKeySet, RevocationList};
use crate::service::{self, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::Problem;
use uuid::Uuid;

#[utoipa::path(get, path = "/api/keys", responses((status = 200, body = PublicKeySet, description = "Ed25519 public keys that sign device credentials, by key id")))]
pub async fn public_keys(State(state): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        Json(state.signing.public_keys().to_set()),
    )
        .into_response()
}

/// Seconds a verifier may keep the revocation list: the assistant polls at this interval, so a
/// revoked credential stops working there within about this long.
pub const REVOCATIONS_MAX_AGE: u32 = 5;

#[utoipa::path(get, path = "/api/credentials/revoked", responses((status = 200, body = RevocationList, description = "Ids of revoked, unexpired credentials")))]
pub async fn revocations(State(state): State<AppState>) -> ApiResult<Response> {
    let list = RevocationList {
        revoked: state
            .store
            .revoked_credentials(state.clock.now())
            .await?
            .into_iter()
            .collect(),
    };
    Ok((
        [(
            header::CACHE_CONTROL,
            format!("public, max-age={REVOCATIONS_MAX_AGE}"),
        )],
        Json(list),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/credentials/{id}/revoke", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 400, body = Problem), (status = 404, body = Problem)), security(("api_key" = [])))]
pub async fn revoke(
    ApiKey(scope): ApiKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::BadRequest(format!("credential id {id:?} is not a UUID")))?;
    service::revoke_credential(&state, &scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
