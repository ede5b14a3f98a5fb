//! The App API (JSON) the weblet calls. Every route needs the device credential as a Bearer token;
//! the device is who the credential says, so a device reaches only its own data.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use printer::DeviceReport;
use proto::AppConfiguration;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::error::ApiError;
use crate::service::{
    Accepted, DeviceContext, MeterSubmissionInput, Payload, ServiceRequest, SupplyRequestInput,
};
use crate::store::SubmissionKind;

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
        if let Some(limiter) = &state.limiter {
            // The database's buckets where instances share one (PostgreSQL), else this process's.
            match state.services.store.take_rate_token(&key.0).await {
                Ok(Some(taken)) => taken.map_err(|retry_after| {
                    ApiError::TooMany(crate::ops::RateLimited { retry_after })
                })?,
                Ok(None) => limiter.check(&key).map_err(ApiError::TooMany)?,
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate limit unavailable; this process's applies");
                    limiter.check(&key).map_err(ApiError::TooMany)?;
                }
            }
        }
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
        })
    }
}

pub fn sealed_config(headers: &HeaderMap) -> Option<&str> {
    headers.get(APP_CONFIG_HEADER).and_then(|v| v.to_str().ok())
}

fn idempotency_key(headers: &HeaderMap) -> Option<&str> {
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

/// What the weblet needs to start.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Startup {
    pub device: StartupDevice,
    pub settings: EffectiveSettings,
    pub entitlements: EntitlementView,
    /// The OID subtrees to collect through WS-SNMP (GetNext walks) for the device report.
    pub subtrees: Vec<String>,
    pub demo: bool,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StartupDevice {
    pub serial: String,
    pub tenant: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EffectiveSettings {
    pub snmp_community: String,
    pub logo_url: Option<String>,
    pub permissions: proto::Permissions,
    pub tabs: proto::Tabs,
    pub language: String,
    pub help_desk_text: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntitlementView {
    pub service: bool,
    pub supplies: bool,
}

pub fn effective_settings(config: &AppConfiguration) -> EffectiveSettings {
    let logo_url = match &config.logo {
        Some(proto::Logo::Url(u)) => Some(u.clone()),
        Some(proto::Logo::Image { kind, bytes }) => {
            use base64::Engine as _;
            Some(format!(
                "data:{};base64,{}",
                kind.media_type(),
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ))
        }
        None => None,
    };
    EffectiveSettings {
        snmp_community: config.snmp_community.expose().to_string(),
        logo_url,
        permissions: config.permissions,
        tabs: config.tabs,
        language: config.language.as_str().to_string(),
        help_desk_text: config.help_desk_text.clone(),
    }
}

pub async fn startup_for(
    state: &AppState,
    device: &DeviceContext,
    headers: &HeaderMap,
) -> Result<Startup, ApiError> {
    let config = state.services.open_config(sealed_config(headers))?;
    let entitlements = if device.demo {
        EntitlementView {
            service: true,
            supplies: true,
        }
    } else {
        let e = state
            .services
            .gallery
            .entitlements(device, state.services.clock.now())
            .await?;
        let today = state.services.today();
        EntitlementView {
            service: e.service_on(today),
            supplies: e.supplies_on(today),
        }
    };
    Ok(Startup {
        device: StartupDevice {
            serial: device.serial.clone(),
            tenant: device.tenant.clone(),
        },
        settings: effective_settings(&config),
        entitlements,
        subtrees: printer::interpret::subtrees()
            .iter()
            .map(ToString::to_string)
            .collect(),
        demo: device.demo,
    })
}

#[utoipa::path(post, path = "/api/v1/startup", security(("device_credential" = [])), params(("X-App-Config" = String, Header, description = "the sealed app configuration")),
    responses((status = 200, body = Startup), (status = 400, description = "the sealed configuration is missing or changed"), (status = 401, description = "no valid device credential")))]
async fn startup(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
) -> Result<Json<Startup>, ApiError> {
    startup_for(&state, &device, &headers).await.map(Json)
}

/// A value as the device's WS-SNMP service returned it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CollectedVarbind {
    pub oid: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub value: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceReportRequest {
    pub varbinds: Vec<CollectedVarbind>,
}

/// At most this many values in one report.
pub const MAX_VARBINDS: usize = 5_000;

/// Interprets what the weblet collected, with the same code as `device read`.
pub fn interpret_collected(
    device: &DeviceContext,
    varbinds: &[CollectedVarbind],
) -> Result<DeviceReport, ApiError> {
    if device.demo {
        return Ok(crate::demo::report());
    }
    if varbinds.len() > MAX_VARBINDS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_VARBINDS} values in one report"
        )));
    }
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(varbinds.len());
    for (i, vb) in varbinds.iter().enumerate() {
        match (
            vb.oid.parse::<printer::snmp::Oid>(),
            printer::wssnmp::parse(&vb.type_name, &vb.value),
        ) {
            (Ok(oid), Ok(value)) => parsed.push(printer::snmp::VarBind::new(oid, value)),
            (Err(e), _) => errors.push(crate::error::FieldError::new(
                &format!("varbinds[{i}].oid"),
                e.to_string(),
            )),
            (_, Err(e)) => errors.push(crate::error::FieldError::new(
                &format!("varbinds[{i}].value"),
                e.to_string(),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    Ok(printer::interpret(&parsed))
}

#[utoipa::path(post, path = "/api/v1/device-report", security(("device_credential" = [])), request_body = DeviceReportRequest,
    responses((status = 200, description = "identity, supplies and meters (shared/printers/CONTRACT.md)", body = Object), (status = 422, description = "a value names its field")))]
async fn device_report(
    device: DeviceContext,
    Json(body): Json<DeviceReportRequest>,
) -> Result<Json<DeviceReport>, ApiError> {
    interpret_collected(&device, &body.varbinds).map(Json)
}

#[derive(Debug, Deserialize)]
struct IncidentsQuery {
    #[serde(default)]
    kind: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/incidents", security(("device_credential" = [])), params(("kind" = Option<String>, Query, description = "service or supply")),
    responses((status = 200, description = "the device's incidents of the last 30 days, without contact details", body = Vec<proto::manager::IncidentView>)))]
async fn incidents(
    State(state): State<AppState>,
    device: DeviceContext,
    Query(q): Query<IncidentsQuery>,
) -> Result<Json<Vec<proto::manager::IncidentView>>, ApiError> {
    let mut list = state.services.recent_incidents(&device).await?;
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

#[utoipa::path(get, path = "/api/v1/service-issues", security(("device_credential" = [])), params(("lang" = Option<String>, Query)),
    responses((status = 200, body = Vec<crate::issues::CommonIssue>)))]
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

pub fn payload_base(config: &AppConfiguration, model: Option<String>) -> Payload {
    Payload {
        language: config.language.as_str().to_string(),
        title: "Support Assistant".into(),
        model,
        issue_code: None,
        description: String::new(),
        supplies: Vec::new(),
        meters: Vec::new(),
        logo: effective_settings(config).logo_url,
    }
}

pub async fn create_service(
    state: &AppState,
    device: &DeviceContext,
    headers: &HeaderMap,
    body: ServiceRequest,
) -> Result<Accepted, ApiError> {
    let config = state.services.open_config(sealed_config(headers))?;
    state
        .services
        .check_service_allowed(device, &config)
        .await?;
    let contact = state
        .services
        .validate_service(&body, config.language.as_str())?;
    let payload = Payload {
        issue_code: Some(body.issue_code.clone()),
        description: body.description.trim().to_string(),
        ..payload_base(&config, None)
    };
    let mail = config.confirmation_email.service_incident;
    state
        .services
        .submit(
            device,
            SubmissionKind::ServiceIncident,
            idempotency_key(headers),
            payload,
            Some(contact),
            mail,
        )
        .await
}

pub async fn create_supply(
    state: &AppState,
    device: &DeviceContext,
    headers: &HeaderMap,
    body: SupplyRequestInput,
) -> Result<Accepted, ApiError> {
    let config = state.services.open_config(sealed_config(headers))?;
    state
        .services
        .check_supplies_allowed(device, &config)
        .await?;
    let contact = state.services.validate_supplies(&body)?;
    let payload = Payload {
        supplies: body.supplies.clone(),
        ..payload_base(&config, None)
    };
    let mail = config.confirmation_email.supply_incident;
    state
        .services
        .submit(
            device,
            SubmissionKind::SupplyIncident,
            idempotency_key(headers),
            payload,
            Some(contact),
            mail,
        )
        .await
}

pub async fn submit_meters(
    state: &AppState,
    device: &DeviceContext,
    headers: &HeaderMap,
    body: MeterSubmissionInput,
) -> Result<Accepted, ApiError> {
    let config = state.services.open_config(sealed_config(headers))?;
    state.services.check_meters_allowed(&config)?;
    let contact = state.services.validate_meters(&body)?;
    let payload = Payload {
        meters: body.meters.clone(),
        ..payload_base(&config, None)
    };
    let mail = config.confirmation_email.meter_submission;
    state
        .services
        .submit(
            device,
            SubmissionKind::MeterRead,
            idempotency_key(headers),
            payload,
            contact,
            mail,
        )
        .await
}

#[utoipa::path(post, path = "/api/v1/service-incidents", security(("device_credential" = [])), request_body = ServiceRequest,
    params(("Idempotency-Key" = String, Header), ("X-App-Config" = String, Header)),
    responses((status = 201, body = Accepted, description = "in the Services Manager"), (status = 202, body = Accepted, description = "safely queued; the number follows by e-mail"),
        (status = 403, description = "not allowed for this device, with the reason"), (status = 409, description = "the key was used for another request"), (status = 422, description = "fields named")))]
async fn create_service_incident(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(body): Json<ServiceRequest>,
) -> Result<Response, ApiError> {
    create_service(&state, &device, &headers, body)
        .await
        .map(accepted_response)
}

#[utoipa::path(post, path = "/api/v1/supply-incidents", security(("device_credential" = [])), request_body = SupplyRequestInput,
    params(("Idempotency-Key" = String, Header), ("X-App-Config" = String, Header)),
    responses((status = 201, body = Accepted), (status = 202, body = Accepted), (status = 403, description = "no supplies contract or switched off"), (status = 422, description = "fields named")))]
async fn create_supply_incident(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(body): Json<SupplyRequestInput>,
) -> Result<Response, ApiError> {
    create_supply(&state, &device, &headers, body)
        .await
        .map(accepted_response)
}

#[utoipa::path(post, path = "/api/v1/meter-reads", security(("device_credential" = [])), request_body = MeterSubmissionInput,
    params(("Idempotency-Key" = String, Header), ("X-App-Config" = String, Header)),
    responses((status = 201, body = Accepted), (status = 202, body = Accepted), (status = 422, description = "fields named")))]
async fn submit_meter_reads(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(body): Json<MeterSubmissionInput>,
) -> Result<Response, ApiError> {
    submit_meters(&state, &device, &headers, body)
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
        ServiceRequest, SupplyRequestInput, MeterSubmissionInput, Accepted, crate::service::ContactInput, crate::service::SupplyPick,
        crate::service::MeterInput, crate::issues::CommonIssue)),
    modifiers(&CredentialScheme)
)]
pub struct ApiDoc;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}
