//! App versions: publishing a `.weblet`, listing versions, downloading a package.

use super::auth::{ApiKey, caller_for};
use super::error::{ApiError, ApiResult};
use super::{app_id, serial};
use crate::package::Package;
use crate::service::{AppState, PublishedVersion, publish_package};
use crate::storage::Store;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::Problem;
use serde::Deserialize;

#[utoipa::path(post, path = "/api/apps/{app_id}/versions", params(("app_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "The .weblet package"),
    responses((status = 201, body = PublishedVersion), (status = 400, body = Problem), (status = 403, body = Problem, description = "Not the admin key"), (status = 409, body = Problem)),
    security(("api_key" = [])))]
pub async fn publish_version(
    key: ApiKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PublishedVersion>)> {
    key.require_admin("publishing an app version")?;
    let id = app_id(&id)?;
    let package = Package::open(body.to_vec()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if package.manifest.app_id != id {
        return Err(ApiError::BadRequest(format!(
            "package is for app {}, not {id}",
            package.manifest.app_id
        )));
    }
    Ok((
        StatusCode::CREATED,
        Json(publish_package(&state.store, state.clock.now(), package).await?),
    ))
}

#[utoipa::path(get, path = "/api/apps/{app_id}/versions", params(("app_id" = String, Path)),
    responses((status = 200, body = Vec<String>)), security(("api_key" = [])))]
pub async fn list_versions(
    _: ApiKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<String>>> {
    let versions = state.store.versions(&app_id(&id)?).await?;
    Ok(Json(versions.iter().map(ToString::to_string).collect()))
}

#[derive(Debug, Deserialize)]
pub struct SerialQuery {
    pub serial: String,
}

#[utoipa::path(get, path = "/api/apps/{app_id}/versions/{version}/package",
    params(("app_id" = String, Path), ("version" = String, Path), ("serial" = String, Query)),
    responses((status = 200, content_type = "application/zip", description = "The .weblet"), (status = 404, body = Problem)))]
pub async fn download_package(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
    Query(query): Query<SerialQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let serial = serial(&query.serial)?;
    caller_for(&state, &headers, &serial).await?;
    let id = app_id(&id)?;
    let version = semver::Version::parse(&version)
        .map_err(|e| ApiError::BadRequest(format!("version {version:?}: {e}")))?;
    let stored = state
        .store
        .version(&id, &version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{id} version {version} not found")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::ETAG, format!("\"{}\"", stored.sha256)),
        ],
        stored.package,
    )
        .into_response())
}
