//! The agents' API: enrolment, batched readings (agent credential), and for partners (API key)
//! agents and a device's readings. Documented in the manager's OpenAPI document.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use proto::fleet::{
    AgentView, BatchReceipt, EnrollRequest, EnrollResponse, MAX_BATCH_READINGS, ReadingBatch,
    ReadingOutcome, ReadingResult, StoredReading,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AgentIdentity;
use crate::api::error::ApiError;
use crate::api::types::{FieldProblem, Problem};
use crate::api::{ApiJson, ApiPartner};
use crate::app::AppState;
use crate::auth::token_hash;
use crate::domain::DeviceSerial;
use crate::storage::StoreError;

/// The header an agent names its version in.
pub const AGENT_VERSION: &str = "X-Agent-Version";
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agents", get(list_agents).post(create_agent))
        .route("/api/v1/agents/{id}/revoke", post(revoke_agent))
        .route("/api/v1/agents/enroll", post(enroll))
        .route("/api/v1/devices/{serial}/readings", get(list_readings))
}

/// `POST /api/v1/agents/readings`, the one route whose bodies may reach
/// [`proto::fleet::MAX_BATCH_BODY_BYTES`] ([`crate::app::router`] limits every other to 256 KiB).
pub fn ingest_routes() -> Router<AppState> {
    Router::new().route("/api/v1/agents/readings", post(ingest))
}

/// The agent whose credential came with the request (`Authorization: Bearer saa_…`); refused when
/// unknown or revoked.
pub struct AgentAuth(pub AgentIdentity);

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credential = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or(ApiError::Unauthorized)?;
        let version = parts
            .headers
            .get(AGENT_VERSION)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(64).collect::<String>());
        let agent = state
            .store
            .agent_for_credential(&token_hash(credential), version.as_deref())
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(AgentAuth(agent))
    }
}

/// Trades a one-time enrolment token for the agent's credential.
#[utoipa::path(post, path = "/api/v1/agents/enroll", request_body = EnrollRequest,
    responses((status = 201, body = EnrollResponse), (status = 401, body = Problem, description = "unknown, used, expired or revoked token")))]
pub async fn enroll(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<(StatusCode, Json<EnrollResponse>), ApiError> {
    let credential = super::generate_credential();
    let version: String = req.version.chars().take(64).collect();
    let host: Option<String> = req.host.map(|h| h.chars().take(200).collect());
    let agent = st
        .store
        .enroll_agent(
            &token_hash(req.token.trim()),
            &token_hash(&credential),
            &version,
            host.as_deref(),
        )
        .await?
        .ok_or(ApiError::Unauthorized)?;
    tracing::info!(agent = %agent.id, "agent enrolled");
    Ok((
        StatusCode::CREATED,
        Json(EnrollResponse {
            agent_id: agent.id,
            credential,
            customer_name: agent.customer_name,
        }),
    ))
}

/// Stores a batch of readings. Idempotent: a batch (or a reading) sent again is not stored twice.
/// Readings with meters also become meter reads with source `automatic`. Answered once the readings
/// are stored; the fleet policies (supply orders, alert incidents) and forecasts are evaluated for
/// their devices right after.
#[utoipa::path(post, path = "/api/v1/agents/readings", request_body = ReadingBatch,
    security(("agent_credential" = [])),
    responses((status = 200, body = BatchReceipt), (status = 401, body = Problem, description = "unknown or revoked agent"),
        (status = 422, body = Problem)))]
pub async fn ingest(
    State(st): State<AppState>,
    AgentAuth(agent): AgentAuth,
    ApiJson(batch): ApiJson<ReadingBatch>,
) -> Result<Json<BatchReceipt>, ApiError> {
    if batch.readings.len() > MAX_BATCH_READINGS {
        return Err(ApiError::Validation(vec![FieldProblem {
            field: "readings".into(),
            detail: format!("at most {MAX_BATCH_READINGS} readings per batch"),
        }]));
    }
    let now = st.clock.now();
    let received = u32::try_from(batch.readings.len()).unwrap_or(u32::MAX);
    // Checked first, each on its own: a bad reading is refused, the others are stored.
    let mut results: Vec<Option<ReadingResult>> = Vec::with_capacity(batch.readings.len());
    let mut valid = Vec::with_capacity(batch.readings.len());
    let mut notes: Vec<Option<String>> = Vec::with_capacity(batch.readings.len());
    for mut reading in batch.readings {
        match check_reading(&mut reading, now) {
            Ok(note) => {
                if let Some(note) = &note {
                    tracing::warn!(agent = %agent.id, reading = %reading.reading_id, %note, "a reading from the future");
                }
                results.push(None);
                valid.push(reading);
                notes.push(note);
            }
            Err(detail) => results.push(Some(ReadingResult {
                reading_id: reading.reading_id,
                outcome: ReadingOutcome::Rejected,
                meter_read: false,
                new_device: false,
                detail: Some(detail),
            })),
        }
    }
    let started = st.clock.instant();
    let ingested = st
        .store
        .ingest_batch(&agent, batch.batch_id, received, &valid)
        .await?;
    let stored_in = st.clock.instant().saturating_duration_since(started);
    let mut stored = valid.iter().zip(ingested.results.iter()).zip(&notes);
    let mut receipt = BatchReceipt {
        batch_id: batch.batch_id,
        stored: 0,
        duplicates: 0,
        rejected: 0,
        results: Vec::with_capacity(results.len()),
    };
    for slot in results {
        let result = match slot {
            Some(rejected) => rejected,
            None => {
                let ((reading, done), note) = stored
                    .next()
                    .ok_or_else(|| ApiError::Internal("a reading without a result".into()))?;
                let detail = match (note, &done.detail) {
                    (Some(n), Some(d)) if done.outcome != ReadingOutcome::Duplicate => {
                        Some(format!("{n}; {d}"))
                    }
                    (Some(n), None) if done.outcome != ReadingOutcome::Duplicate => Some(n.clone()),
                    (_, d) => d.clone(),
                };
                ReadingResult {
                    reading_id: reading.reading_id,
                    outcome: done.outcome,
                    meter_read: done.meter_read,
                    new_device: done.new_device,
                    detail,
                }
            }
        };
        match result.outcome {
            ReadingOutcome::Stored => receipt.stored += 1,
            ReadingOutcome::Duplicate => receipt.duplicates += 1,
            ReadingOutcome::Rejected => receipt.rejected += 1,
        }
        receipt.results.push(result);
    }
    // The stored readings' devices await evaluation (durably, since the commit): evaluated after
    // this answer, by this instance's drain task (a crash leaves them to the periodic run).
    if receipt.stored > 0 {
        st.after_batch.nudge(st.store.clone(), st.clock.clone());
    }
    tracing::info!(agent = %agent.id, batch = %batch.batch_id, stored = receipt.stored,
        duplicates = receipt.duplicates, rejected = receipt.rejected, replay = !ingested.first_time,
        store_ms = millis(stored_in), "readings received");
    Ok(Json(receipt))
}

/// How far ahead of the manager's clock a reading's time may be (clocks differ a little).
pub const MAX_AHEAD: chrono::Duration = chrono::Duration::days(1);

/// A reading's own checks: its serial (normalised in place) and [`proto::fleet::Reading::check`]; a
/// reading that breaks one is refused (the others of the batch are stored). A time
/// more than [`MAX_AHEAD`] ahead of the manager's clock cannot be right (the agent's clock was
/// ahead when it took the reading): the reading is not lost for it, it is stored at the time it
/// arrived (it was taken before that), and the note returned says so.
fn check_reading(
    reading: &mut proto::fleet::Reading,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<String>, String> {
    let serial = DeviceSerial::parse(&reading.identity.serial)
        .map_err(|e| format!("identity.serial: {e}"))?;
    reading.identity.serial = serial.as_str().to_string();
    reading.check()?;
    if reading.read_at > now + MAX_AHEAD {
        let note = format!(
            "read_at {} is more than a day ahead of the manager's clock (is the agent's clock right?); stored at the time received, {}",
            reading.read_at.to_rfc3339(),
            now.to_rfc3339()
        );
        reading.read_at = now;
        return Ok(Some(note));
    }
    Ok(None)
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CreateAgentRequest {
    pub customer_id: Uuid,
    #[schema(schema_with = agent_name_schema)]
    pub name: String,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CreatedAgent {
    pub agent: AgentView,
    /// One-time enrolment token for `support-assistant agent enroll --token`. Shown once.
    pub enrol_token: String,
    pub enrol_expires_at: chrono::DateTime<chrono::Utc>,
}

/// Characters of an agent's name.
const AGENT_NAME: usize = 200;

fn agent_name_schema() -> utoipa::openapi::schema::Object {
    proto::schema::label(AGENT_NAME)
}

/// Creates an agent for a customer and its one-time enrolment token.
#[utoipa::path(post, path = "/api/v1/agents", security(("api_key" = [])), request_body = CreateAgentRequest,
    responses((status = 201, body = CreatedAgent), (status = 404, body = Problem, description = "no such customer")))]
pub async fn create_agent(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    ApiJson(req): ApiJson<CreateAgentRequest>,
) -> Result<(StatusCode, Json<CreatedAgent>), ApiError> {
    let name = crate::domain::Label::parse(&req.name, AGENT_NAME).map_err(|e| {
        ApiError::Validation(vec![FieldProblem {
            field: "name".into(),
            detail: e.to_string(),
        }])
    })?;
    let (agent, token, expires) = add_agent(
        &*st.store,
        st.clock.now(),
        p,
        req.customer_id,
        name.as_str(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedAgent {
            agent,
            enrol_token: token,
            enrol_expires_at: expires,
        }),
    ))
}

/// Creates an agent and its enrolment token (the API, the console and the CLI).
pub async fn add_agent(
    store: &dyn crate::storage::Storage,
    now: chrono::DateTime<chrono::Utc>,
    partner: Uuid,
    customer: Uuid,
    name: &str,
) -> Result<(AgentView, String, chrono::DateTime<chrono::Utc>), StoreError> {
    let token = super::generate_enrol_token();
    let expires = now + chrono::Duration::days(super::ENROL_TOKEN_DAYS);
    let agent = store
        .create_agent(partner, customer, name, &token_hash(&token), expires)
        .await?;
    Ok((agent, token, expires))
}

#[utoipa::path(get, path = "/api/v1/agents", security(("api_key" = [])),
    responses((status = 200, body = Vec<AgentView>)))]
pub async fn list_agents(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
) -> Result<Json<Vec<AgentView>>, ApiError> {
    Ok(Json(st.store.list_agents(p).await?))
}

/// Revokes an agent: its credential is refused from now on.
#[utoipa::path(post, path = "/api/v1/agents/{id}/revoke", security(("api_key" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_agent(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    st.store.revoke_agent(p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReadingsQuery {
    /// At most this many (default 100, at most 1000), newest first.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A device's readings from agents, newest first.
#[utoipa::path(get, path = "/api/v1/devices/{serial}/readings", security(("api_key" = [])),
    params(("serial" = proto::DeviceSerial, Path), ReadingsQuery), responses((status = 200, body = Vec<StoredReading>), (status = 400, body = Problem)))]
pub async fn list_readings(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(serial): Path<String>,
    Query(q): Query<ReadingsQuery>,
) -> Result<Json<Vec<StoredReading>>, ApiError> {
    let serial = DeviceSerial::parse(&serial).map_err(|e| ApiError::BadRequest {
        field: Some("serial".into()),
        detail: format!("serial: {e}"),
    })?;
    // 1–1000 as documented: outside is refused, not quietly clamped.
    let limit = match q.limit {
        None => 100,
        Some(n @ 1..=1000) => n,
        Some(_) => {
            return Err(ApiError::BadRequest {
                field: Some("limit".into()),
                detail: "limit: must be 1 to 1000".into(),
            });
        }
    };
    Ok(Json(
        st.store.list_readings(p, serial.as_str(), limit).await?,
    ))
}

struct AgentScheme;

impl utoipa::Modify for AgentScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "agent_credential",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The agents' part of the OpenAPI document (merged into `/openapi.json`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(enroll, ingest, create_agent, list_agents, revoke_agent, list_readings),
    components(schemas(EnrollRequest, EnrollResponse, ReadingBatch, proto::fleet::Reading,
        proto::fleet::FleetIdentity, proto::fleet::FleetStatus, proto::fleet::FleetSupply, proto::fleet::FleetMeter,
        proto::fleet::FleetAlert, ReadingOutcome, ReadingResult, BatchReceipt, StoredReading, AgentView,
        CreateAgentRequest, CreatedAgent)),
    modifiers(&AgentScheme)
)]
pub struct FleetApiDoc;

/// Whole milliseconds, for logs.
fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
