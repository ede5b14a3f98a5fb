//! App versions: publishing a `.weblet`, listing versions, downloading a package.

use super::auth::{ApiKey, caller_for};
use super::error::{ApiError, ApiResult};
use super::{app_id, serial};
use crate::package::{Package, PackageError};
use crate::service::{AppState, PublishedVersion, publish_package};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::Problem;

#[utoipa::path(post, path = "/api/apps/{app_id}/versions", params(("app_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "The .weblet package: a zip holding `manifest.json` and the files it names"),
    responses((status = 201, body = PublishedVersion), (status = 400, body = Problem, description = "Not a zip, or larger than the limit"),
        (status = 403, body = Problem, description = "Not the admin key"), (status = 409, body = Problem, description = "This version is already published"),
        (status = 422, body = Problem, description = "The manifest is missing or wrong, names files the package lacks, or names another app")),
    security(("api_key" = [])))]
pub async fn publish_version(
    key: ApiKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PublishedVersion>)> {
    key.require_admin("publishing an app version")?;
    let id = app_id(&id)?;
    let package = Package::open(body.to_vec()).map_err(|e| match e {
        PackageError::Zip(_) | PackageError::TooLarge(_) => ApiError::BadRequest(e.to_string()),
        _ => ApiError::Unprocessable(e.to_string()),
    })?;
    if package.manifest.app_id != id {
        return Err(ApiError::Unprocessable(format!(
            "package is for app {}, not {id}",
            package.manifest.app_id
        )));
    }
    Ok((
        StatusCode::CREATED,
        Json(publish_package(state.store.as_ref(), state.clock.now(), package).await?),
    ))
}

#[utoipa::path(get, path = "/api/apps/{app_id}/versions", params(("app_id" = String, Path)),
    responses((status = 200, body = Vec<String>, description = "Published versions, oldest first"), (status = 400, body = Problem)), security(("api_key" = [])))]
pub async fn list_versions(
    _: ApiKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<String>>> {
    let versions = state.store.versions(&app_id(&id)?).await?;
    Ok(Json(versions.iter().map(ToString::to_string).collect()))
}

#[utoipa::path(get, path = "/api/apps/{app_id}/versions/{version}/package",
    params(("app_id" = String, Path), ("version" = String, Path), ("serial" = String, Query, description = "The device the package is for")),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>, description = "The .weblet"), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("api_key" = []), ("device_credential" = [])))]
pub async fn download_package(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
    // Pairs, so that a missing or repeated `serial` is a problem+json 400 like every other bad
    // parameter (a typed query's rejection would be plain text).
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let text = query
        .into_iter()
        .find_map(|(name, value)| (name == "serial").then_some(value))
        .ok_or_else(|| ApiError::BadRequest("query parameter serial is missing".into()))?;
    let serial = serial(&text)?;
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
