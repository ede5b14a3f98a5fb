//! The gallery's HTTP service: partner-admin API (API key), device endpoints (device
//! credential), public keys and revocation list, the admin page, `/healthz`, `/openapi.json`.

use crate::b64;
use crate::clock::{Clock, IdSource};
use crate::config::AppConfiguration;
use crate::credential::{self, PublicKeySet, RevocationList, SigningKeyring};
use crate::domain::{AppId, DeviceSerial, Tenant};
use crate::entitlement::{DeviceEntitlements, Entitlements};
use crate::install::InstallBundle;
use crate::package::{self, Package, UpdateAction};
use crate::seal::SealingKeyring;
use crate::storage::{
    AnyStore, CredentialRecord, Device, Installation, StorageError, Store, StoredVersion,
};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use utoipa::OpenApi;
use uuid::Uuid;

/// How long the assistant may cache entitlements before revalidating.
pub const ENTITLEMENTS_MAX_AGE: u32 = 300;
pub const DEFAULT_CREDENTIAL_DAYS: i64 = 365;
pub const DEFAULT_APP_ID: &str = "support-assistant";

#[derive(Clone)]
pub struct AppState {
    pub store: AnyStore,
    pub sealing: Arc<SealingKeyring>,
    pub signing: Arc<SigningKeyring>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// Errors at the HTTP boundary, each mapped once to a status and an RFC 9457 body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("device credential rejected: {0}")]
    Credential(#[from] credential::CredentialError),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StorageError::Conflict(msg) => Self::Conflict(msg),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::domain::DomainError> for ApiError {
    fn from(err: crate::domain::DomainError) -> Self {
        Self::BadRequest(err.to_string())
    }
}

pub use proto::Problem;

impl ApiError {
    /// The status and the problem `type` slug (see `proto::problem`).
    fn kind(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Credential(_) => (StatusCode::UNAUTHORIZED, "credential-rejected"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, slug) = self.kind();
        let title = match self {
            Self::Credential(_) => "Device credential rejected",
            _ => status.canonical_reason().unwrap_or("Error"),
        };
        Problem::new(status.as_u16(), slug, title, self.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let status = self.kind().0;
        let mut response = (status, Json(self.problem())).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(proto::problem::PROBLEM_JSON),
        );
        if matches!(self, Self::Unauthorized | Self::Credential(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Hex SHA-256 of an API key: the form in which keys are stored. API keys are long random
/// strings, so a fast hash suffices (a password hash would only slow every request).
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random API key (printed once, stored only hashed).
pub fn generate_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("sag_{}", b64::url_encode(&bytes))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
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
async fn caller_for(state: &AppState, headers: &HeaderMap, serial: &DeviceSerial) -> ApiResult<()> {
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

fn serial(text: &str) -> ApiResult<DeviceSerial> {
    DeviceSerial::parse(text).map_err(|e| {
        let shown: String = text.chars().take(80).collect();
        ApiError::BadRequest(format!("device serial {shown:?} is invalid: {e}"))
    })
}

fn app_id(text: &str) -> ApiResult<AppId> {
    Ok(AppId::parse(text)?)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "App Gallery",
        description = "App versions, sealed per-device app configuration, entitlements and device credentials."
    ),
    paths(
        healthz,
        public_keys,
        revocations,
        publish_version,
        list_versions,
        put_device,
        get_configuration,
        put_configuration,
        get_sealed_configuration,
        put_entitlements,
        get_entitlements,
        install,
        revoke,
        updates,
        download_package
    ),
    components(schemas(
        Problem,
        PublicKeySet,
        RevocationList,
        PublishedVersion,
        DeviceRequest,
        SealedConfiguration,
        AppConfiguration,
        Entitlements,
        DeviceEntitlements,
        InstallRequest,
        InstallBundle,
        AppUpdate,
        UpdateAction,
        crate::entitlement::Contract
    )),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// `api_key`: a partner-admin API key; `device_credential`: the device's signed token.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "device_credential",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The admin page's policy: inline styles, logos from HTTPS sources.
pub const CONTENT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'; base-uri 'none'";

/// The ops layer as the gallery uses it: bodies up to a package, no per-address rate limit.
pub fn ops_settings(hsts: bool) -> platform::ops::OpsSettings {
    platform::ops::OpsSettings {
        body_limit: package::MAX_PACKAGE_BYTES + 64 * 1024,
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
        .route("/openapi.json", get(openapi))
        .route("/api/keys", get(public_keys))
        .route("/api/credentials/revoked", get(revocations))
        .route("/api/credentials/{id}/revoke", post(revoke))
        .route(
            "/api/apps/{app_id}/versions",
            post(publish_version).get(list_versions),
        )
        .route(
            "/api/apps/{app_id}/versions/{version}/package",
            get(download_package),
        )
        .route("/api/devices/{serial}", put(put_device))
        .route(
            "/api/devices/{serial}/configuration",
            get(get_configuration).put(put_configuration),
        )
        .route(
            "/api/devices/{serial}/entitlements",
            get(get_entitlements).put(put_entitlements),
        )
        .route(
            "/api/devices/{serial}/configuration/sealed",
            get(get_sealed_configuration),
        )
        .route("/api/devices/{serial}/install", post(install))
        .route("/api/devices/{serial}/updates", get(updates))
        .merge(crate::admin_page::routes())
        .with_state(state)
        .merge(platform::ops::routes_without_healthz(check));
    platform::ops::layers(app, settings)
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Service and database are up")))]
async fn healthz(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    state.store.api_key_hash_exists("healthz").await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

async fn openapi() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(err) => ApiError::Internal(err.to_string()).into_response(),
    }
}

#[utoipa::path(get, path = "/api/keys", responses((status = 200, body = PublicKeySet, description = "Ed25519 public keys that sign device credentials, by key id")))]
async fn public_keys(State(state): State<AppState>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        Json(state.signing.public_keys().to_set()),
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/credentials/revoked", responses((status = 200, body = RevocationList, description = "Ids of revoked, unexpired credentials")))]
async fn revocations(State(state): State<AppState>) -> ApiResult<Response> {
    let list = RevocationList {
        revoked: state
            .store
            .revoked_credentials(state.clock.now())
            .await?
            .into_iter()
            .collect(),
    };
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], Json(list)).into_response())
}

#[utoipa::path(post, path = "/api/credentials/{id}/revoke", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem)), security(("api_key" = [])))]
async fn revoke(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::BadRequest(format!("credential id {id:?} is not a UUID")))?;
    if state.store.revoke_credential(id, state.clock.now()).await? {
        tracing::info!(credential = %id, "credential revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("credential {id} not found")))
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublishedVersion {
    pub app_id: String,
    pub version: String,
    pub sha256: String,
}

/// Adds the version a `.weblet` declares in its manifest.
pub async fn publish_package(
    store: &impl Store,
    now: chrono::DateTime<chrono::Utc>,
    package: Package,
) -> Result<PublishedVersion, StorageError> {
    let manifest_json = serde_json::to_string(&package.manifest)
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let stored = StoredVersion {
        app_id: package.manifest.app_id.clone(),
        version: package.manifest.version.clone(),
        manifest_json,
        sha256: package.sha256(),
        package: package.bytes,
        published_at: now,
    };
    store.add_version(&stored).await?;
    Ok(PublishedVersion {
        app_id: stored.app_id.to_string(),
        version: stored.version.to_string(),
        sha256: stored.sha256,
    })
}

#[utoipa::path(post, path = "/api/apps/{app_id}/versions", params(("app_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "The .weblet package"),
    responses((status = 201, body = PublishedVersion), (status = 400, body = Problem), (status = 409, body = Problem)),
    security(("api_key" = [])))]
async fn publish_version(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<PublishedVersion>)> {
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
async fn list_versions(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<String>>> {
    let versions = state.store.versions(&app_id(&id)?).await?;
    Ok(Json(versions.iter().map(ToString::to_string).collect()))
}

#[utoipa::path(get, path = "/api/apps/{app_id}/versions/{version}/package",
    params(("app_id" = String, Path), ("version" = String, Path), ("serial" = String, Query)),
    responses((status = 200, content_type = "application/zip", description = "The .weblet"), (status = 404, body = Problem)))]
async fn download_package(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<SerialQuery>,
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

#[derive(Debug, Deserialize)]
pub struct SerialQuery {
    pub serial: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceRequest {
    /// Partner (and customer) the device belongs to.
    pub tenant: String,
    /// The device opted in to automatic updates.
    #[serde(default)]
    pub auto_update: bool,
}

#[utoipa::path(put, path = "/api/devices/{serial}", params(("serial" = String, Path)), request_body = DeviceRequest,
    responses((status = 204, description = "Device stored"), (status = 400, body = Problem)), security(("api_key" = [])))]
async fn put_device(
    _: Admin,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    Json(body): Json<DeviceRequest>,
) -> ApiResult<StatusCode> {
    let device = Device {
        serial: serial(&serial_text)?,
        tenant: Tenant::parse(&body.tenant)?,
        auto_update: body.auto_update,
    };
    state.store.put_device(&device, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The stored configuration of a device, or the defaults.
pub async fn configuration_of(
    state: &AppState,
    serial: &DeviceSerial,
) -> ApiResult<AppConfiguration> {
    match state.store.configuration(serial).await? {
        Some(blob) => state
            .sealing
            .unseal(&blob)
            .map_err(|e| ApiError::Internal(format!("stored configuration of {serial}: {e}"))),
        None => Ok(AppConfiguration::default()),
    }
}

/// Validates, seals and stores a configuration; returns the blob.
pub async fn store_configuration(
    state: &AppState,
    serial: &DeviceSerial,
    config: &AppConfiguration,
) -> ApiResult<String> {
    crate::config::validate(config).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let sealed = state
        .sealing
        .seal(config)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .put_configuration(serial, &sealed, state.clock.now())
        .await?;
    Ok(sealed)
}

#[utoipa::path(get, path = "/api/devices/{serial}/configuration", params(("serial" = String, Path)),
    responses((status = 200, body = AppConfiguration), (status = 404, body = Problem)), security(("api_key" = [])))]
async fn get_configuration(
    _: Admin,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
) -> ApiResult<Json<AppConfiguration>> {
    let serial = serial(&serial_text)?;
    require_device(&state, &serial).await?;
    Ok(Json(configuration_of(&state, &serial).await?))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SealedConfiguration {
    /// The sealed blob (base64url) the device keeps.
    pub sealed_config: String,
    pub key_id: String,
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
    let value: T = serde_json::from_value(input.clone())
        .map_err(|e| ApiError::BadRequest(format!("{what}: {e}")))?;
    let known = serde_json::to_value(&value).map_err(|e| ApiError::Internal(e.to_string()))?;
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

#[utoipa::path(put, path = "/api/devices/{serial}/configuration", params(("serial" = String, Path)),
    request_body = AppConfiguration,
    responses((status = 200, body = SealedConfiguration), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("api_key" = [])))]
async fn put_configuration(
    _: Admin,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SealedConfiguration>> {
    let serial = serial(&serial_text)?;
    let config: AppConfiguration = parse_strict("app configuration", &body)?;
    let sealed = store_configuration(&state, &serial, &config).await?;
    Ok(Json(SealedConfiguration {
        sealed_config: sealed,
        key_id: state.sealing.current_key_id().to_string(),
    }))
}

#[utoipa::path(get, path = "/api/devices/{serial}/configuration/sealed", params(("serial" = String, Path)),
    responses((status = 200, body = SealedConfiguration, description = "The blob the device keeps; ETag"),
        (status = 304, description = "Not modified"), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("device_credential" = []), ("api_key" = [])))]
async fn get_sealed_configuration(
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let serial = serial(&serial_text)?;
    caller_for(&state, &headers, &serial).await?;
    require_device(&state, &serial).await?;
    let sealed = match state.store.configuration(&serial).await? {
        Some(blob) => blob,
        None => store_configuration(&state, &serial, &AppConfiguration::default()).await?,
    };
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
        key_id: sealed_key_id(&sealed).unwrap_or_default(),
        sealed_config: sealed,
    };
    Ok((cache_headers, Json(body)).into_response())
}

/// The key id named in a blob's header (without opening it).
fn sealed_key_id(blob: &str) -> Option<String> {
    let raw = b64::url_decode(blob).ok()?;
    let len = usize::from(*raw.get(1)?);
    String::from_utf8(raw.get(2..2 + len)?.to_vec()).ok()
}

#[utoipa::path(put, path = "/api/devices/{serial}/entitlements", params(("serial" = String, Path)),
    request_body = Entitlements,
    responses((status = 204, description = "Stored"), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("api_key" = [])))]
async fn put_entitlements(
    _: Admin,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let serial = serial(&serial_text)?;
    let entitlements: Entitlements = parse_strict("entitlements", &body)?;
    entitlements
        .validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    state
        .store
        .put_entitlements(&serial, &entitlements, state.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == etag || v == "*")
}

#[utoipa::path(get, path = "/api/devices/{serial}/entitlements", params(("serial" = String, Path)),
    responses(
        (status = 200, body = DeviceEntitlements, description = "Cacheable: ETag and Cache-Control max-age"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("api_key" = []), ("device_credential" = [])))]
async fn get_entitlements(
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

async fn require_device(state: &AppState, serial: &DeviceSerial) -> ApiResult<Device> {
    state.store.device(serial).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "device {serial} not found; register it with PUT /api/devices/{serial}"
        ))
    })
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstallRequest {
    /// Defaults to `support-assistant`.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Defaults to the latest published version.
    #[serde(default)]
    pub version: Option<String>,
    /// Credential lifetime in days (default 365).
    #[serde(default)]
    pub valid_days: Option<i64>,
}

/// Issues a credential for a device and assembles what the device needs to run the app.
pub async fn prepare_install(
    state: &AppState,
    serial: &DeviceSerial,
    request: &InstallRequest,
) -> ApiResult<InstallBundle> {
    let device = require_device(state, serial).await?;
    let app = app_id(request.app_id.as_deref().unwrap_or(DEFAULT_APP_ID))?;
    let version = match &request.version {
        Some(text) => semver::Version::parse(text)
            .map_err(|e| ApiError::BadRequest(format!("version {text:?}: {e}")))?,
        None => {
            let versions = state.store.versions(&app).await?;
            package::latest(&versions).cloned().ok_or_else(|| {
                ApiError::NotFound(format!("no released version of {app} is published"))
            })?
        }
    };
    let stored = state
        .store
        .version(&app, &version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{app} version {version} not found")))?;
    let days = request.valid_days.unwrap_or(DEFAULT_CREDENTIAL_DAYS);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::BadRequest(format!(
            "valid_days {days} must be 1 to 3650"
        )));
    }
    let sealed = match state.store.configuration(serial).await? {
        Some(blob) => blob,
        None => store_configuration(state, serial, &AppConfiguration::default()).await?,
    };
    let now = state.clock.now();
    let expires = now + Duration::days(days);
    let id = state.ids.new_id();
    let (token, claims) = state
        .signing
        .issue(
            id,
            serial.clone(),
            device.tenant.clone(),
            app.clone(),
            now,
            expires,
        )
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .record_installation(
            &CredentialRecord {
                id,
                serial: serial.clone(),
                tenant: device.tenant.clone(),
                app_id: app.clone(),
                key_id: claims.kid.to_string(),
                issued_at: now,
                expires_at: expires,
                revoked_at: None,
            },
            &Installation {
                serial: serial.clone(),
                app_id: app.clone(),
                version: version.clone(),
                credential_id: id,
                installed_at: now,
            },
        )
        .await?;
    tracing::info!(%serial, app = %app, %version, credential = %id, "credential issued for install");
    Ok(InstallBundle {
        app_id: app.to_string(),
        version: version.to_string(),
        package_b64: b64::std_encode(&stored.package),
        package_sha256: stored.sha256,
        sealed_config: sealed,
        credential: token,
        credential_id: id,
        credential_expires_at: claims.expires_at(),
    })
}

#[utoipa::path(post, path = "/api/devices/{serial}/install", params(("serial" = String, Path)),
    request_body = InstallRequest,
    responses((status = 201, body = InstallBundle), (status = 404, body = Problem)), security(("api_key" = [])))]
async fn install(
    _: Admin,
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<InstallBundle>)> {
    let serial = serial(&serial_text)?;
    let request: InstallRequest = if body.is_empty() {
        InstallRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("install request: {e}")))?
    };
    Ok((
        StatusCode::CREATED,
        Json(prepare_install(&state, &serial, &request).await?),
    ))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppUpdate {
    pub app_id: String,
    pub installed: String,
    /// Newest released version, if any.
    pub latest: Option<String>,
    pub update: UpdateAction,
}

#[utoipa::path(get, path = "/api/devices/{serial}/updates", params(("serial" = String, Path)),
    responses((status = 200, body = Vec<AppUpdate>), (status = 401, body = Problem)),
    security(("device_credential" = []), ("api_key" = [])))]
async fn updates(
    State(state): State<AppState>,
    Path(serial_text): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<AppUpdate>>> {
    let serial = serial(&serial_text)?;
    caller_for(&state, &headers, &serial).await?;
    let device = require_device(&state, &serial).await?;
    let mut answer = Vec::new();
    for installation in state.store.installations(&serial).await? {
        let published = state.store.versions(&installation.app_id).await?;
        answer.push(AppUpdate {
            app_id: installation.app_id.to_string(),
            installed: installation.version.to_string(),
            latest: package::latest(&published).map(ToString::to_string),
            update: package::plan_update(&installation.version, &published, device.auto_update),
        });
    }
    Ok(Json(answer))
}
