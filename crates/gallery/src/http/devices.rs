//! Devices: registering one, its app configuration (plain for admins, sealed for the device),
//! its entitlements, installing an app on it, and its updates.

use super::auth::{ApiKey, caller_for};
use super::error::{ApiError, ApiResult};
use super::{etag_matches, parse_strict, parse_strict_value, serial};
use crate::config::AppConfiguration;
use crate::domain::Tenant;
use crate::entitlement::{DeviceEntitlements, Entitlements};
use crate::install::InstallBundle;
use crate::logo::{Logo, LogoWire};
use crate::service::{
    self, AppState, AppUpdate, ENTITLEMENTS_MAX_AGE, InstallRequest, device_for, require_device,
};
use crate::storage::Device;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::Problem;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    /// Partner (and customer) the device belongs to.
    pub tenant: String,
    /// The device opted in to automatic updates.
    #[serde(default)]
    pub auto_update: bool,
}

#[utoipa::path(put, path = "/api/devices/{serial}", params(("serial" = String, Path)), request_body = DeviceRequest,
    responses((status = 204, description = "Device stored"), (status = 400, body = Problem), (status = 403, body = Problem, description = "A partner key registering for another partner"), (status = 404, body = Problem, description = "Another partner's device")), security(("api_key" = [])))]
pub async fn put_device(
    ApiKey(scope): ApiKey,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let body: DeviceRequest = parse_strict("device", &body)?;
    let device = Device {
        serial: serial(&serial_text)?,
        tenant: Tenant::parse(&body.tenant)?,
        auto_update: body.auto_update,
    };
    service::register_device(&state, &scope, &device).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/devices/{serial}/configuration", params(("serial" = String, Path)),
    responses((status = 200, body = AppConfiguration), (status = 400, body = Problem), (status = 404, body = Problem)), security(("api_key" = [])))]
pub async fn get_configuration(
    ApiKey(scope): ApiKey,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
) -> ApiResult<Json<AppConfiguration>> {
    let serial = serial(&serial_text)?;
    device_for(&state, &scope, &serial).await?;
    Ok(Json(service::configuration_of(&state, &serial).await?))
}

/// An app configuration from a request body: unknown fields and a malformed logo (not `{url}`
/// or `{media_type, data}`) are 400; logo content that is not what it claims is 422, like the
/// other rules checked after parsing.
fn app_configuration(body: &[u8]) -> ApiResult<AppConfiguration> {
    let mut input: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("app configuration: {e}")))?;
    let logo = input
        .as_object_mut()
        .and_then(|fields| fields.remove("logo"))
        .filter(|logo| !logo.is_null());
    let mut config: AppConfiguration = parse_strict_value("app configuration", input)?;
    if let Some(logo) = logo {
        let wire: LogoWire = parse_strict_value("app configuration: logo", logo)?;
        config.logo =
            Some(Logo::try_from(wire).map_err(|e| ApiError::Unprocessable(e.to_string()))?);
    }
    Ok(config)
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SealedConfiguration {
    /// The sealed blob (base64url) the device keeps.
    pub sealed_config: String,
    pub key_id: String,
}

#[utoipa::path(put, path = "/api/devices/{serial}/configuration", params(("serial" = String, Path)),
    request_body = AppConfiguration,
    responses((status = 200, body = SealedConfiguration), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Another writer kept storing configurations; try again"),
        (status = 422, body = Problem, description = "No tab on, logo bytes not the image they claim, an unsafe SVG, help-desk text or support address not accepted")),
    security(("api_key" = [])))]
pub async fn put_configuration(
    ApiKey(scope): ApiKey,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SealedConfiguration>> {
    let serial = serial(&serial_text)?;
    device_for(&state, &scope, &serial).await?;
    let config = app_configuration(&body)?;
    let (_, sealed) = service::save_configuration(&state, &serial, config).await?;
    Ok(Json(SealedConfiguration {
        key_id: platform::sealed_config::key_id_of(&sealed).unwrap_or_default(),
        sealed_config: sealed,
    }))
}

#[utoipa::path(get, path = "/api/devices/{serial}/configuration/sealed", params(("serial" = String, Path)),
    responses((status = 200, body = SealedConfiguration, description = "The blob the device keeps; ETag"),
        (status = 304, description = "Not modified"), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security(("device_credential" = []), ("api_key" = [])))]
pub async fn get_sealed_configuration(
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let serial = serial(&serial_text)?;
    caller_for(&state, &headers, &serial).await?;
    require_device(&state, &serial).await?;
    let sealed = service::sealed_configuration(&state, &serial).await?;
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(sealed.as_bytes()))[..32]
    );
    let cache_headers = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "private, no-cache".to_owned()),
    ];
    if etag_matches(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache_headers).into_response());
    }
    let body = SealedConfiguration {
        key_id: platform::sealed_config::key_id_of(&sealed).unwrap_or_default(),
        sealed_config: sealed,
    };
    Ok((cache_headers, Json(body)).into_response())
}

#[utoipa::path(put, path = "/api/devices/{serial}/entitlements", params(("serial" = String, Path)),
    request_body = Entitlements,
    responses((status = 204, description = "Stored"), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem, description = "A contract ends before it starts")),
    security(("api_key" = [])))]
pub async fn put_entitlements(
    ApiKey(scope): ApiKey,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let serial = serial(&serial_text)?;
    device_for(&state, &scope, &serial).await?;
    let entitlements: Entitlements = parse_strict("entitlements", &body)?;
    entitlements
        .validate()
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    state
        .store
        .put_entitlements(&serial, &entitlements, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/devices/{serial}/entitlements", params(("serial" = String, Path)),
    responses(
        (status = 200, body = DeviceEntitlements, description = "Cacheable: ETag and Cache-Control max-age"),
        (status = 304, description = "Not modified (If-None-Match)"), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("api_key" = []), ("device_credential" = [])))]
pub async fn get_entitlements(
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let serial = serial(&serial_text)?;
    caller_for(&state, &headers, &serial).await?;
    require_device(&state, &serial).await?;
    let document = DeviceEntitlements {
        serial: serial.clone(),
        entitlements: state.store.entitlements(&serial).await?.unwrap_or_default(),
        configuration_version: state
            .store
            .configuration(&serial)
            .await?
            .map(|blob| service::version_of(Some(&blob))),
    };
    let body = serde_json::to_vec(&document).map_err(|e| ApiError::Internal(e.to_string()))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let cache_control = format!("private, max-age={ENTITLEMENTS_MAX_AGE}");
    let cache_headers = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, cache_control),
        (header::VARY, "Authorization".to_owned()),
    ];
    if etag_matches(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache_headers).into_response());
    }
    Ok((
        cache_headers,
        [(header::CONTENT_TYPE, "application/json".to_owned())],
        body,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/devices/{serial}/install", params(("serial" = String, Path)),
    request_body(content = InstallRequest, description = "May be empty: the latest version of `support-assistant`"),
    responses((status = 201, body = InstallBundle), (status = 400, body = Problem),
        (status = 404, body = Problem, description = "Unknown device, app version, or no configuration stored")),
    security(("api_key" = [])))]
pub async fn install(
    ApiKey(scope): ApiKey,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<InstallBundle>)> {
    let serial = serial(&serial_text)?;
    device_for(&state, &scope, &serial).await?;
    let request: InstallRequest = if body.is_empty() {
        InstallRequest::default()
    } else {
        parse_strict("install request", &body)?
    };
    Ok((
        StatusCode::CREATED,
        Json(service::prepare_install(&state, &serial, &request).await?),
    ))
}

#[utoipa::path(get, path = "/api/devices/{serial}/updates", params(("serial" = String, Path)),
    responses((status = 200, body = Vec<AppUpdate>), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem)),
    security(("device_credential" = []), ("api_key" = [])))]
pub async fn updates(
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<AppUpdate>>> {
    let serial = serial(&serial_text)?;
    caller_for(&state, &headers, &serial).await?;
    let device = require_device(&state, &serial).await?;
    Ok(Json(service::updates_for(&state, &device).await?))
}
