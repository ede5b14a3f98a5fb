//! The App API (JSON) the weblet calls: HTTP only. Each handler extracts what the request carries
//! (the verified device, the sealed configuration, the idempotency key, the body), calls its use
//! case in [`crate::rules`] and answers with the result or the rules' error, mapped once in
//! [`crate::problem`]. Every route needs the device credential as a Bearer token; the device is who
//! the credential says, so a device reaches only its own data.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use printer::DeviceReport;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::error::RuleError as ApiError;
use crate::rules::startup::{
    CollectedVarbind, EffectiveSettings, EntitlementView, Startup, StartupDevice,
    interpret_collected,
};
use crate::rules::{Accepted, MeterSubmissionInput, ServiceRequest, SupplyRequestInput};
use crate::service::DeviceContext;
use proto::Problem;

pub const APP_CONFIG_HEADER: &str = "x-app-config";
pub const DEMO_HEADER: &str = "x-demo-mode";
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl FromRequestParts<AppState> for DeviceContext {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the device credential (Authorization: Bearer …) is missing".into(),
                )
            })?;
        let claims = state
            .services
            .gallery
            .verify(token, state.services.clock.now())
            .await?;
        let demo = parts
            .headers
            .get(DEMO_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("on"));
        let key = crate::ops::DeviceKey(claims.serial.to_string());
        // The database's buckets where instances share one (PostgreSQL), else this process's.
        crate::limits::take(state, &crate::limits::device_key(&key.0))
            .await
            .map_err(ApiError::TooMany)?;
        if let Some(sealed) = sealed_config(&parts.headers) {
            state
                .services
                .check_configuration(&claims, sealed, token)
                .await?;
        }
        parts.extensions.insert(key);
        Ok(DeviceContext {
            serial: claims.serial.to_string(),
            tenant: claims.tenant.to_string(),
            app_id: claims.app_id.to_string(),
            credential: SecretString::from(token.to_string()),
            demo,
            device_language: device_language(&parts.headers),
        })
    }
}

/// The language the device's panel browser asks for (every `Accept-Language` header), when it
/// names one of ours.
pub fn device_language(headers: &HeaderMap) -> Option<platform::i18n::Locale> {
    let header = headers
        .get_all(axum::http::header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    platform::i18n::Locale::preferred(&header)
}

pub fn sealed_config(headers: &HeaderMap) -> Option<&str> {
    headers.get(APP_CONFIG_HEADER).and_then(|v| v.to_str().ok())
}

pub fn idempotency_key(headers: &HeaderMap) -> Option<&str> {
    headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/startup", post(startup))
        .route("/api/v1/device-report", post(device_report))
        .route("/api/v1/incidents", get(incidents))
        .route("/api/v1/service-issues", get(service_issues))
        .route("/api/v1/service-incidents", post(create_service_incident))
        .route("/api/v1/supply-incidents", post(create_supply_incident))
        .route("/api/v1/meter-reads", post(submit_meter_reads))
        .route("/openapi.json", get(openapi_json))
}

#[utoipa::path(post, path = "/api/v1/startup", security(("device_credential" = [])), params(("X-App-Config" = String, Header, description = "the sealed app configuration")),
    responses((status = 200, body = Startup), (status = 400, body = Problem, description = "the sealed configuration is missing or cannot be opened"),
        (status = 403, body = Problem, description = "the sealed configuration is another device's"),
        (status = 409, body = Problem, description = "the sealed configuration is older than the gallery's: re-install the app"),
        (status = 502, body = Problem, description = "the gallery or the Services Manager did not answer")))]
async fn startup(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
) -> Result<Json<Startup>, ApiError> {
    state
        .services
        .startup(&device, sealed_config(&headers))
        .await
        .map(Json)
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceReportRequest {
    pub varbinds: Vec<CollectedVarbind>,
}

#[utoipa::path(post, path = "/api/v1/device-report", security(("device_credential" = [])), request_body = DeviceReportRequest,
    responses((status = 200, description = "identity, supplies and meters (shared/printers/CONTRACT.md)", body = Object),
        (status = 403, body = Problem, description = "the sealed configuration is another device's"),
        (status = 409, body = Problem, description = "the sealed configuration is older than the gallery's"),
        (status = 422, body = Problem, description = "a value names its field")))]
async fn device_report(
    // Only a verified device may ask (the extractor checks its credential).
    _device: DeviceContext,
    Json(body): Json<DeviceReportRequest>,
) -> Result<Json<DeviceReport>, ApiError> {
    interpret_collected(&body.varbinds).map(Json)
}

#[derive(Debug, Deserialize)]
struct IncidentsQuery {
    #[serde(default)]
    kind: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/incidents", security(("device_credential" = [])), params(("kind" = Option<proto::IncidentKind>, Query, description = "service or supply")),
    responses((status = 200, description = "the device's incidents of the last 30 days, without contact details", body = Vec<proto::manager::IncidentView>),
        (status = 403, body = Problem, description = "the sealed configuration is another device's"),
        (status = 409, body = Problem, description = "the sealed configuration is older than the gallery's"),
        (status = 502, body = Problem, description = "the Services Manager did not answer")))]
async fn incidents(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Query(q): Query<IncidentsQuery>,
) -> Result<Json<Vec<proto::manager::IncidentView>>, ApiError> {
    // With the sealed configuration, the incidents of a tab switched off are left out.
    let tabs = match sealed_config(&headers) {
        Some(sealed) => Some(state.services.open_config(Some(sealed))?.tabs),
        None => None,
    };
    let mut list = state.services.recent_incidents(&device).await?;
    if let Some(tabs) = tabs {
        list.retain(|i| match i.kind {
            proto::IncidentKind::Service => tabs.shows(proto::Tab::Service),
            proto::IncidentKind::Supply => tabs.shows(proto::Tab::Supplies),
        });
    }
    if let Some(kind) = q.kind.as_deref() {
        let want = match kind {
            "service" => proto::IncidentKind::Service,
            "supply" => proto::IncidentKind::Supply,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "kind must be service or supply, not {other:?}"
                )));
            }
        };
        list.retain(|i| i.kind == want);
    }
    Ok(Json(list))
}

#[derive(Debug, Deserialize)]
struct LanguageQuery {
    #[serde(default)]
    lang: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/service-issues", security(("device_credential" = [])), params(("lang" = Option<String>, Query, description = "a language tag; English when it is not one of the five")),
    responses((status = 200, body = Vec<crate::issues::CommonIssue>),
        (status = 403, body = Problem, description = "the sealed configuration is another device's"),
        (status = 409, body = Problem, description = "the sealed configuration is older than the gallery's")))]
async fn service_issues(
    _device: DeviceContext,
    Query(q): Query<LanguageQuery>,
) -> Json<Vec<crate::issues::CommonIssue>> {
    Json(crate::issues::common_issues(
        q.lang.as_deref().unwrap_or("en"),
    ))
}

fn accepted_response(a: Accepted) -> Response {
    let status = if a.incident_number.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    (status, Json(a)).into_response()
}

#[utoipa::path(post, path = "/api/v1/service-incidents", security(("device_credential" = [])), request_body = ServiceRequest,
    params(("Idempotency-Key" = inline(proto::schema::IdempotencyKey), Header), ("X-App-Config" = String, Header)),
    responses((status = 201, body = Accepted, description = "in the Services Manager"), (status = 202, body = Accepted, description = "safely queued; the number follows by e-mail"),
        (status = 400, body = Problem, description = "the Idempotency-Key or the sealed configuration is missing or malformed"),
        (status = 403, body = Problem, description = "not allowed for this device, or the device is not registered with the service partner (type device-not-registered), with the reason"),
        (status = 409, body = Problem, description = "the key was used for another request, or the sealed configuration is older than the gallery's"),
        (status = 422, body = Problem, description = "fields named")))]
async fn create_service_incident(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(body): Json<ServiceRequest>,
) -> Result<Response, ApiError> {
    state
        .services
        .create_service(
            &device,
            sealed_config(&headers),
            idempotency_key(&headers),
            body,
        )
        .await
        .map(accepted_response)
}

#[utoipa::path(post, path = "/api/v1/supply-incidents", security(("device_credential" = [])), request_body = SupplyRequestInput,
    params(("Idempotency-Key" = inline(proto::schema::IdempotencyKey), Header), ("X-App-Config" = String, Header)),
    responses((status = 201, body = Accepted), (status = 202, body = Accepted),
        (status = 400, body = Problem, description = "the Idempotency-Key or the sealed configuration is missing or malformed"),
        (status = 403, body = Problem, description = "no supplies contract, switched off, or the device is not registered with the service partner"),
        (status = 409, body = Problem, description = "the key was used for another request, or the sealed configuration is older than the gallery's"),
        (status = 422, body = Problem, description = "fields named")))]
async fn create_supply_incident(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(body): Json<SupplyRequestInput>,
) -> Result<Response, ApiError> {
    state
        .services
        .create_supply(
            &device,
            sealed_config(&headers),
            idempotency_key(&headers),
            body,
        )
        .await
        .map(accepted_response)
}

#[utoipa::path(post, path = "/api/v1/meter-reads", security(("device_credential" = [])), request_body = MeterSubmissionInput,
    params(("Idempotency-Key" = inline(proto::schema::IdempotencyKey), Header), ("X-App-Config" = String, Header)),
    responses((status = 201, body = Accepted), (status = 202, body = Accepted),
        (status = 400, body = Problem, description = "the Idempotency-Key or the sealed configuration is missing or malformed"),
        (status = 403, body = Problem, description = "switched off, or the device is not registered with the service partner"),
        (status = 409, body = Problem, description = "the key was used for another request, a meter is below its previous read (fields named), or the sealed configuration is older than the gallery's"),
        (status = 422, body = Problem, description = "fields named")))]
async fn submit_meter_reads(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(body): Json<MeterSubmissionInput>,
) -> Result<Response, ApiError> {
    state
        .services
        .submit_meters(
            &device,
            sealed_config(&headers),
            idempotency_key(&headers),
            body,
        )
        .await
        .map(accepted_response)
}

struct CredentialScheme;

impl utoipa::Modify for CredentialScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "device_credential",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The App API's OpenAPI 3.1 document.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Support Assistant App API", description = "What the weblet on a device panel calls. Every route takes the device credential (Bearer) the App Gallery issued at install."),
    paths(startup, device_report, incidents, service_issues, create_service_incident, create_supply_incident, submit_meter_reads),
    components(schemas(Startup, StartupDevice, EffectiveSettings, EntitlementView, CollectedVarbind, DeviceReportRequest,
        ServiceRequest, SupplyRequestInput, MeterSubmissionInput, Accepted, crate::rules::ContactInput, crate::rules::SupplyPick,
        crate::rules::MeterInput, crate::issues::CommonIssue, Problem, proto::FieldProblem)),
    modifiers(&CredentialScheme)
)]
pub struct ApiDoc;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = <ApiDoc as utoipa::OpenApi>::openapi();
    let [malformed, timeout] = platform::ops::COMMON_PROBLEMS;
    let limited = (
        429,
        "the device's request rate is over its limit (Retry-After)",
    );
    platform::ops::document_problems(&mut doc, &[malformed, timeout, limited]);
    Json(doc)
}
