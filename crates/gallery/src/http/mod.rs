//! The gallery's HTTP service: partner-admin API (API key), device endpoints (device
//! credential), public keys and revocation list, the admin pages, `/healthz`, `/openapi.json`.
//! One module per resource; what a request does lives in [`crate::service`].

pub mod apps;
pub mod auth;
pub mod credentials;
pub mod devices;
pub mod error;
pub mod openapi;

use crate::domain::{AppId, DeviceSerial};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::{get, post, put};
use serde::Serialize;
use std::sync::Arc;

pub use crate::service::{
    AppState, AppUpdate, DEFAULT_APP_ID, DEFAULT_CREDENTIAL_DAYS, ENTITLEMENTS_MAX_AGE,
    InstallRequest, PublishedVersion, generate_api_key, hash_api_key, prepare_install,
    publish_package,
};
pub use devices::{DeviceRequest, SealedConfiguration};
pub use error::{ApiError, ApiResult};
pub use proto::Problem;

/// A device serial from a path or query, with a message naming what was wrong. Stricter than
/// `DeviceSerial::parse` in two ways that only matter in a URL: no surrounding spaces (they
/// would be a caller's bug), and at least one letter or digit (a segment of dots is a
/// relative path to an HTTP client, never a serial). See [`openapi::SERIAL_PATTERN`].
pub fn serial(text: &str) -> ApiResult<DeviceSerial> {
    let shown = || text.chars().take(80).collect::<String>();
    if text.trim() != text {
        return Err(ApiError::BadRequest(format!(
            "device serial {:?} is invalid: surrounding spaces",
            shown()
        )));
    }
    if !text.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::BadRequest(format!(
            "device serial {:?} is invalid: needs a letter or digit",
            shown()
        )));
    }
    DeviceSerial::parse(text)
        .map_err(|e| ApiError::BadRequest(format!("device serial {:?} is invalid: {e}", shown())))
}

pub fn app_id(text: &str) -> ApiResult<AppId> {
    Ok(AppId::parse(text)?)
}

/// Parses a JSON body strictly: fields the type does not know are an error naming them
/// (a typo must not silently fall back to a default). Types themselves stay lenient, so a
/// newer gallery's sealed blob or document still reads in an older assistant.
pub fn parse_strict<T: serde::de::DeserializeOwned + Serialize>(
    what: &str,
    body: &[u8],
) -> ApiResult<T> {
    let input: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("{what}: {e}")))?;
    parse_strict_value(what, input)
}

/// [`parse_strict`] of JSON already read.
pub fn parse_strict_value<T: serde::de::DeserializeOwned + Serialize>(
    what: &str,
    input: serde_json::Value,
) -> ApiResult<T> {
    let value: T = serde_json::from_value(input.clone())
        .map_err(|e| ApiError::BadRequest(format!("{what}: {e}")))?;
    let known = serde_json::to_value(&value).map_err(|e| ApiError::Internal(e.to_string()))?;
    // serde also reads a struct from a JSON array of its fields in order; a body is an object.
    if known.is_object() && !input.is_object() {
        return Err(ApiError::BadRequest(format!(
            "{what}: expected a JSON object"
        )));
    }
    let mut unknown = Vec::new();
    unknown_fields(&input, &known, "", &mut unknown);
    if unknown.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::BadRequest(format!(
            "{what}: unknown field(s) {}",
            unknown.join(", ")
        )))
    }
}

fn unknown_fields(
    input: &serde_json::Value,
    known: &serde_json::Value,
    path: &str,
    out: &mut Vec<String>,
) {
    if let (Some(input), Some(known)) = (input.as_object(), known.as_object()) {
        for (key, value) in input {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match known.get(key) {
                None => out.push(here),
                Some(known_value) => unknown_fields(value, known_value, &here, out),
            }
        }
    }
}

/// `If-None-Match` names this entity tag (or `*`).
pub fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == etag || v == "*")
}

/// The admin page's policy: inline styles, logos from HTTPS sources.
pub const CONTENT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'; base-uri 'none'";

/// The ops layer as the gallery uses it: bodies up to a package, no per-address rate limit.
pub fn ops_settings(hsts: bool) -> platform::ops::OpsSettings {
    platform::ops::OpsSettings {
        body_limit: crate::package::MAX_PACKAGE_BYTES + 64 * 1024,
        rate_limit: None,
        hsts,
        content_policy: CONTENT_POLICY.to_string(),
        ..platform::ops::OpsSettings::default()
    }
}

/// The whole service, plain HTTP settings (no HSTS).
pub fn router(state: AppState) -> Router {
    router_with(state, &ops_settings(false))
}

/// The whole service inside the platform's ops layer (headers, limits, logs, metrics, `/readyz`).
pub fn router_with(state: AppState, settings: &platform::ops::OpsSettings) -> Router {
    let store = state.store.clone();
    let check: platform::ops::ReadinessCheck = Arc::new(move || {
        let store = store.clone();
        Box::pin(async move {
            store
                .api_key_hash_exists("readyz")
                .await
                .map(|_| ())
                .map_err(|e| format!("database: {e}"))
        })
    });
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::document))
        .route("/api/keys", get(credentials::public_keys))
        .route("/api/credentials/revoked", get(credentials::revocations))
        .route("/api/credentials/{id}/revoke", post(credentials::revoke))
        .route(
            "/api/apps/{app_id}/versions",
            post(apps::publish_version).get(apps::list_versions),
        )
        .route(
            "/api/apps/{app_id}/versions/{version}/package",
            get(apps::download_package),
        )
        .route("/api/devices/{serial}", put(devices::put_device))
        .route(
            "/api/devices/{serial}/configuration",
            get(devices::get_configuration).put(devices::put_configuration),
        )
        .route(
            "/api/devices/{serial}/entitlements",
            get(devices::get_entitlements).put(devices::put_entitlements),
        )
        .route(
            "/api/devices/{serial}/configuration/sealed",
            get(devices::get_sealed_configuration),
        )
        .route("/api/devices/{serial}/install", post(devices::install))
        .route("/api/devices/{serial}/updates", get(devices::updates))
        .merge(crate::admin_page::routes())
        .with_state(state)
        .merge(platform::ops::routes_without_healthz(check));
    platform::ops::layers(app, settings)
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Service and database are up", body = Object)))]
async fn healthz(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    state.store.api_key_hash_exists("healthz").await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}
