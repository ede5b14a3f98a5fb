//! The REST API (JSON) for other services: tenants, incidents, meter reads.
//! Service-to-service authentication: `Authorization: Bearer KEY`, keys stored as SHA-256.

pub mod billing;
pub mod error;
pub mod types;

use crate::app::AppState;
use crate::auth::token_hash;
use crate::domain::{DeviceSerial, IncidentNumber, Label};
use crate::storage::{Created, Idempotency};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use error::ApiError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use types::*;
use utoipa::OpenApi;
use uuid::Uuid;

pub use proto::manager::IDEMPOTENCY_KEY;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi_json))
        .route(
            "/api/v1/customers",
            get(list_customers).post(create_customer),
        )
        .route("/api/v1/devices", get(list_devices).post(create_device))
        .route("/api/v1/devices/{serial}", get(get_device))
        .route(
            "/api/v1/devices/{serial}/incidents",
            get(list_device_incidents),
        )
        .route(
            "/api/v1/devices/{serial}/meter-reads",
            get(list_meter_reads).post(record_meter_read),
        )
        .route("/api/v1/incidents", post(create_incident))
        .route("/api/v1/incidents/{number}", get(get_incident))
        .route("/api/v1/incidents/{number}/status", post(change_status))
        .route(
            "/api/v1/incidents/{number}/ticket-reference",
            get(get_ticket_reference).put(put_ticket_reference),
        )
        .merge(billing::routes())
        .merge(crate::fleet::devices::routes())
}

/// The partner whose API key came with the request.
pub struct ApiPartner(pub Uuid);

impl FromRequestParts<AppState> for ApiPartner {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or(ApiError::Unauthorized)?;
        let hash = token_hash(key);
        let now = state.clock.now();
        if let Some(p) = state.api_keys.get(&hash, now) {
            return Ok(ApiPartner(p));
        }
        let partner = state
            .store
            .partner_for_api_key(&hash)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        state.api_keys.put(&hash, partner, now);
        Ok(ApiPartner(partner))
    }
}

/// JSON body whose rejections are problem+json naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bad = |detail: String| ApiError::BadRequest {
            field: Some(json_error_field(&detail)),
            detail,
        };
        if !is_json(req.headers()) {
            return Err(bad(
                "Expected request with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rej| bad(rej.body_text()))?;
        // Every body of this API is a JSON object; serde would also build a struct from an
        // array (`[]` is an empty policy), which the documents do not allow.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::BadRequest {
                field: Some("body".into()),
                detail: "the body must be a JSON object".into(),
            });
        }
        Json::<T>::from_bytes(&bytes)
            .map(|Json(v)| ApiJson(v))
            .map_err(|rej| bad(rej.body_text()))
    }
}

/// `application/json` or a `+json` media type, as axum's `Json` takes it.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(essence) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
    else {
        return false;
    };
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The field a JSON body error is about: axum reports `PATH: serde message`; a missing field is
/// named inside the message. Falls back to `body` (for example for malformed JSON).
fn json_error_field(detail: &str) -> String {
    let rest = detail
        .split_once("into the target type: ")
        .map(|(_, r)| r)
        .unwrap_or_default();
    let (path, message) = rest.split_once(": ").unwrap_or((".", rest));
    let missing = message
        .split_once("missing field `")
        .and_then(|(_, r)| r.split_once('`'))
        .map(|(f, _)| f);
    let path = path.trim_start_matches('.');
    let valid_path = !path.is_empty() && !path.contains(' ');
    match (valid_path, missing) {
        (true, Some(f)) => format!("{path}.{f}"),
        (true, None) => path.to_string(),
        (false, Some(f)) => f.to_string(),
        (false, None) => "body".to_string(),
    }
}

/// The `Idempotency-Key` header (required; its schema is `proto::schema::idempotency_key`). There
/// is no query form any more: OpenAPI cannot say "this header or that parameter", and every
/// client (the assistant's `ManagerClient`) sends the header.
fn idempotency(headers: &HeaderMap, body: &impl Serialize) -> Result<Idempotency, ApiError> {
    let bad = |detail: &str| ApiError::BadRequest {
        field: Some(IDEMPOTENCY_KEY.into()),
        detail: detail.into(),
    };
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or_else(|| bad("the Idempotency-Key header is required"))?
        .to_str()
        .map_err(|_| bad("Idempotency-Key must be printable ASCII"))?
        .trim();
    if key.is_empty()
        || key.len() > proto::manager::limits::IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(bad(
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        ));
    }
    let canonical = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Idempotency {
        key: key.to_string(),
        request_hash: hex::encode(Sha256::digest(&canonical)),
    })
}

fn parse_serial(s: &str) -> Result<DeviceSerial, ApiError> {
    DeviceSerial::parse(s).map_err(|e| ApiError::BadRequest {
        field: Some("serial".into()),
        detail: format!("serial: {e}"),
    })
}

fn parse_number(s: &str) -> Result<IncidentNumber, ApiError> {
    IncidentNumber::parse(s).map_err(|e| ApiError::BadRequest {
        field: Some("number".into()),
        detail: format!("number: {e}"),
    })
}

fn parse_since(q: &SinceQuery, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    match q.since.as_deref() {
        None => Ok(now - chrono::Duration::days(30)),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::BadRequest {
                field: Some("since".into()),
                detail: "since: must be an RFC 3339 time such as 2026-01-31T00:00:00Z".into(),
            }),
    }
}

fn created<T: Serialize>(c: Created<T>) -> Response {
    let replay = c.is_replay();
    let mut res = (StatusCode::CREATED, Json(c.into_inner())).into_response();
    if replay {
        res.headers_mut()
            .insert("Idempotent-Replayed", HeaderValue::from_static("true"));
    }
    res
}

/// `?limit=`: 1–5000 as documented (a number outside is refused, not quietly clamped).
fn parse_limit(q: &SinceQuery) -> Result<u32, ApiError> {
    use proto::manager::limits::{DEFAULT_LIST, MAX_LIST};
    match q.limit {
        None => Ok(DEFAULT_LIST),
        Some(n) if (1..=MAX_LIST).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::BadRequest {
            field: Some("limit".into()),
            detail: format!("limit: must be 1 to {MAX_LIST}"),
        }),
    }
}

/// Liveness: answers without touching the database (also the bare route for benchmarks).
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = String), (status = 500, body = Problem)))]
pub async fn readyz(State(st): State<AppState>) -> Result<&'static str, ApiError> {
    st.store.ping().await?;
    Ok("ready")
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::fleet::api::FleetApiDoc::openapi());
    doc.merge(billing::BillingApiDoc::openapi());
    doc.merge(crate::fleet::devices::FleetDevicesApiDoc::openapi());
    doc.merge(crate::fleet::policy::FleetPolicyApiDoc::openapi());
    doc.merge(crate::fleet::notify::WebhooksApiDoc::openapi());
    doc.merge(crate::fleet::mail::NotificationEmailsApiDoc::openapi());
    platform::ops::document_problems(&mut doc, &platform::ops::COMMON_PROBLEMS);
    Json(doc)
}

#[utoipa::path(get, path = "/api/v1/customers", security(("api_key" = [])),
    responses((status = 200, body = Vec<CustomerView>), (status = 401, body = Problem)))]
pub async fn list_customers(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
) -> Result<Json<Vec<CustomerView>>, ApiError> {
    Ok(Json(
        st.store
            .list_customers(p)
            .await?
            .iter()
            .map(CustomerView::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/customers", security(("api_key" = [])), request_body = CreateCustomerRequest,
    responses((status = 201, body = CustomerView), (status = 422, body = Problem)))]
pub async fn create_customer(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    ApiJson(req): ApiJson<CreateCustomerRequest>,
) -> Result<(StatusCode, Json<CustomerView>), ApiError> {
    let name = Label::parse(&req.name, proto::manager::limits::CUSTOMER_NAME).map_err(|e| {
        ApiError::Validation(vec![FieldProblem {
            field: "name".into(),
            detail: e.to_string(),
        }])
    })?;
    let c = st.store.create_customer(p, &name).await?;
    Ok((StatusCode::CREATED, Json(CustomerView::from(&c))))
}

#[utoipa::path(get, path = "/api/v1/devices", security(("api_key" = [])),
    responses((status = 200, body = Vec<DeviceView>)))]
pub async fn list_devices(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    Ok(Json(
        st.store
            .list_devices(p)
            .await?
            .iter()
            .map(DeviceView::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/devices", security(("api_key" = [])), request_body = CreateDeviceRequest,
    responses((status = 201, body = DeviceView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_device(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    ApiJson(req): ApiJson<CreateDeviceRequest>,
) -> Result<(StatusCode, Json<DeviceView>), ApiError> {
    let new = req.validate().map_err(ApiError::Validation)?;
    let d = st.store.create_device(p, &new).await?;
    Ok((StatusCode::CREATED, Json(DeviceView::from(&d))))
}

#[utoipa::path(get, path = "/api/v1/devices/{serial}", security(("api_key" = [])),
    params(("serial" = DeviceSerial, Path)), responses((status = 200, body = DeviceView), (status = 404, body = Problem)))]
pub async fn get_device(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(serial): Path<String>,
) -> Result<Json<DeviceView>, ApiError> {
    let serial = parse_serial(&serial)?;
    let d = st
        .store
        .get_device(p, &serial)
        .await?
        .ok_or(ApiError::NotFound("device"))?;
    Ok(Json(DeviceView::from(&d)))
}

/// Creates a service or supply incident. Safe to retry with the same `Idempotency-Key`:
/// the same key and body give the same incident; the same key with another body gives 409.
#[utoipa::path(post, path = "/api/v1/incidents", security(("api_key" = [])), request_body = CreateIncidentRequest,
    params(("Idempotency-Key" = inline(proto::schema::IdempotencyKey), Header)),
    responses((status = 201, body = IncidentView), (status = 400, body = Problem),
        (status = 404, body = Problem, description = "the device is not in the partner's fleet (`errors[0].field` = `device_serial`)"),
        (status = 409, body = Problem, description = "the key was used with another body"), (status = 422, body = Problem)))]
pub async fn create_incident(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateIncidentRequest>,
) -> Result<Response, ApiError> {
    let idem = idempotency(&headers, &req)?;
    let new = req.validate().map_err(ApiError::Validation)?;
    let c = st
        .store
        .create_incident(p, &idem, &new)
        .await
        .map_err(|e| match e {
            crate::storage::StoreError::NotFound("device") => ApiError::UnknownDevice,
            other => other.into(),
        })?;
    if let Created::New(i) = &c {
        crate::fleet::notify::incident_changed(
            &*st.store,
            crate::fleet::notify::events::INCIDENT_CREATED,
            i,
            st.clock.now(),
        )
        .await;
    }
    Ok(created(match c {
        Created::New(i) => Created::New(types::incident_summary(&i)),
        Created::Replayed(i) => Created::Replayed(types::incident_summary(&i)),
    }))
}

/// A device's incidents created since a time (default: the last 30 days), newest first.
#[utoipa::path(get, path = "/api/v1/devices/{serial}/incidents", security(("api_key" = [])),
    params(("serial" = DeviceSerial, Path), SinceQuery),
    responses((status = 200, body = Vec<IncidentView>), (status = 400, body = Problem)))]
pub async fn list_device_incidents(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(serial): Path<String>,
    Query(q): Query<SinceQuery>,
) -> Result<Json<Vec<IncidentView>>, ApiError> {
    let serial = parse_serial(&serial)?;
    let since = parse_since(&q, st.clock.now())?;
    let limit = parse_limit(&q)? as usize;
    let list = st.store.list_device_incidents(p, &serial, since).await?;
    Ok(Json(
        list.iter()
            .take(limit)
            .map(types::incident_summary)
            .collect(),
    ))
}

/// One incident, with its contact details (until retention removes them) and its history.
#[utoipa::path(get, path = "/api/v1/incidents/{number}", security(("api_key" = [])),
    params(("number" = IncidentNumber, Path, example = "SR-2026-000123")),
    responses((status = 200, body = IncidentView), (status = 404, body = Problem)))]
pub async fn get_incident(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(number): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    let number = parse_number(&number)?;
    let i = st
        .store
        .get_incident(p, &number)
        .await?
        .ok_or(ApiError::NotFound("incident"))?;
    let h = st.store.incident_history(p, &number).await?;
    Ok(Json(types::incident_full(&i, &h)))
}

/// The partner's own ticket number of an incident (the help-desk override), once its help desk set it.
#[utoipa::path(get, path = "/api/v1/incidents/{number}/ticket-reference", security(("api_key" = [])),
    params(("number" = IncidentNumber, Path, example = "SR-2026-000123")),
    responses((status = 200, body = TicketReference), (status = 404, body = Problem, description = "no such incident, or no ticket reference set yet")))]
pub async fn get_ticket_reference(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(number): Path<String>,
) -> Result<Json<TicketReference>, ApiError> {
    let number = parse_number(&number)?;
    let reference = st
        .store
        .ticket_reference(p, &number)
        .await?
        .ok_or(ApiError::NotFound("ticket reference"))?;
    Ok(Json(TicketReference { reference }))
}

/// Sets the partner's own ticket number of an incident (e.g. from the webhook receiver of its
/// help desk after `incident.created`); the confirmation e-mail of a device whose app
/// configuration has the help-desk override shows it instead of the incident number.
#[utoipa::path(put, path = "/api/v1/incidents/{number}/ticket-reference", security(("api_key" = [])),
    params(("number" = IncidentNumber, Path, example = "SR-2026-000123")), request_body = TicketReference,
    responses((status = 200, body = TicketReference), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_ticket_reference(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<TicketReference>,
) -> Result<Json<TicketReference>, ApiError> {
    let number = parse_number(&number)?;
    let reference = req.validate().map_err(ApiError::Validation)?;
    if !st
        .store
        .set_ticket_reference(p, &number, reference.as_str(), st.clock.now())
        .await?
    {
        return Err(ApiError::NotFound("incident"));
    }
    Ok(Json(TicketReference {
        reference: reference.as_str().to_string(),
    }))
}

#[utoipa::path(post, path = "/api/v1/incidents/{number}/status", security(("api_key" = [])),
    params(("number" = IncidentNumber, Path)), request_body = ChangeStatusRequest,
    responses((status = 200, body = IncidentView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_status(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<ChangeStatusRequest>,
) -> Result<Json<IncidentView>, ApiError> {
    let number = parse_number(&number)?;
    let (to, actor, comment) = req.validate().map_err(ApiError::Validation)?;
    let i = st
        .store
        .change_status(p, &number, to, actor.as_str(), comment.as_str())
        .await?;
    crate::fleet::notify::incident_changed(
        &*st.store,
        crate::fleet::notify::events::INCIDENT_STATUS_CHANGED,
        &i,
        st.clock.now(),
    )
    .await;
    let h = st.store.incident_history(p, &number).await?;
    Ok(Json(types::incident_full(&i, &h)))
}

/// Records a meter read. Idempotent with `Idempotency-Key`. Values may not go below the previous
/// read of the same meter unless `meter_replacement` is true.
#[utoipa::path(post, path = "/api/v1/devices/{serial}/meter-reads", security(("api_key" = [])),
    params(("serial" = DeviceSerial, Path), ("Idempotency-Key" = inline(proto::schema::IdempotencyKey), Header)), request_body = RecordMeterReadRequest,
    responses((status = 201, body = MeterReadView), (status = 400, body = Problem),
        (status = 404, body = Problem, description = "the device is not in the partner's fleet (`errors[0].field` = `device_serial`)"),
        (status = 409, body = Problem, description = "the key was used with another body, or a meter is below its previous read (`field` = `meters`)"),
        (status = 422, body = Problem)))]
pub async fn record_meter_read(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(serial): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<RecordMeterReadRequest>,
) -> Result<Response, ApiError> {
    let serial = parse_serial(&serial)?;
    let idem = idempotency(&headers, &(serial.as_str(), &req))?;
    let new = req.validate(serial).map_err(ApiError::Validation)?;
    let c = st
        .store
        .record_meter_read(p, &idem, &new)
        .await
        .map_err(|e| match e {
            // The same answer as for an incident, so a client needs one rule to tell it.
            crate::storage::StoreError::NotFound("device") => ApiError::UnknownDevice,
            other => other.into(),
        })?;
    Ok(created(match c {
        Created::New(r) => Created::New(MeterReadView::from(&r)),
        Created::Replayed(r) => Created::Replayed(MeterReadView::from(&r)),
    }))
}

/// A device's meter reads since a time (default: the last 30 days), oldest first.
#[utoipa::path(get, path = "/api/v1/devices/{serial}/meter-reads", security(("api_key" = [])),
    params(("serial" = DeviceSerial, Path), SinceQuery), responses((status = 200, body = Vec<MeterReadView>), (status = 400, body = Problem)))]
pub async fn list_meter_reads(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(serial): Path<String>,
    Query(q): Query<SinceQuery>,
) -> Result<Json<Vec<MeterReadView>>, ApiError> {
    let serial = parse_serial(&serial)?;
    let since = parse_since(&q, st.clock.now())?;
    let limit = parse_limit(&q)?;
    let reads = st.store.list_meter_reads(p, &serial, since, limit).await?;
    Ok(Json(reads.iter().map(MeterReadView::from).collect()))
}

struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "api_key",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Support Assistant Services Manager", description = "Incidents and meter reads of a service partner's fleet."),
    paths(healthz, readyz, list_customers, create_customer, list_devices, create_device, get_device,
        create_incident, list_device_incidents, get_incident, change_status, get_ticket_reference,
        put_ticket_reference, record_meter_read, list_meter_reads),
    components(schemas(Problem, FieldProblem, CreateIncidentRequest, ContactBody, IncidentView, StatusChangeView, TicketReference,
        ChangeStatusRequest, RecordMeterReadRequest, MeterValueBody, MeterReadView, CreateCustomerRequest,
        CustomerView, CreateDeviceRequest, DeviceView, proto::manager::SupplyItem, DeviceSerial, IncidentNumber)),
    modifiers(&ApiKeyScheme)
)]
pub struct ApiDoc;
