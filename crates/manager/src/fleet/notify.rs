//! Notifications (issue 13): signed webhooks through an outbox in the database.
//!
//! Every event (see [`events`]) is put into `notification_outbox` once per webhook of the partner
//! that wants its type. A sender ([`Notifier`], one per manager instance) leases due rows (a lease
//! column, so several instances on one PostgreSQL never send a row twice at once), POSTs the event
//! and records the attempt in the delivery log; a failed attempt is retried after [`BACKOFF`].
//!
//! Signatures follow the Standard Webhooks specification (standardwebhooks.com): headers
//! `webhook-id` (the event id, the same on every retry), `webhook-timestamp` (Unix seconds of
//! the attempt) and `webhook-signature: v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`
//! keyed with the hook's secret (`whsec_` + base64 of 32 random bytes, shown once at creation,
//! stored encrypted with the contact-details key ring). Receivers check the signature and reject
//! timestamps far from their clock.
//!
//! The same events are e-mailed to the partner's notification addresses ([`super::mail`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Utc};
use platform::i18n::{Args, Locale, t, t_args};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

use super::rules_store::{AttemptOutcome, DeliveryView, OutboxItem, WebhookView};
use crate::api::error::ApiError;
use crate::api::types::{FieldProblem, Problem};
use crate::api::{ApiJson, ApiPartner};
use crate::app::AppState;
use crate::clock::Clock;
use crate::storage::{Result, Storage};

/// The event types (the `type` of a [`WebhookEvent`]).
pub mod events {
    pub const INCIDENT_CREATED: &str = "incident.created";
    pub const INCIDENT_STATUS_CHANGED: &str = "incident.status_changed";
    pub const SUPPLY_FORECAST_LOW: &str = "supply.forecast_low";
    pub const ORDER_CREATED: &str = "order.created";
    pub const ALERT_RAISED: &str = "alert.raised";
    pub const ALERT_CLEARED: &str = "alert.cleared";
    pub const DEVICE_SILENT: &str = "device.silent";
    pub const AGENT_SILENT: &str = "agent.silent";
    pub const ALL: [&str; 8] = [
        INCIDENT_CREATED,
        INCIDENT_STATUS_CHANGED,
        SUPPLY_FORECAST_LOW,
        ORDER_CREATED,
        ALERT_RAISED,
        ALERT_CLEARED,
        DEVICE_SILENT,
        AGENT_SILENT,
    ];
}

/// Waits before the 2nd, 3rd, … attempt; after the last one the event is given up (failed).
pub const BACKOFF: [i64; 8] = [30, 120, 600, 1800, 7200, 21600, 43200, 86400];

/// What a webhook receives (the body of the POST, `application/json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookEvent {
    /// The event's id, also in the `webhook-id` header (the same on retries: deduplicate by it).
    pub id: Uuid,
    /// incident.created, incident.status_changed, supply.forecast_low, order.created,
    /// alert.raised, alert.cleared, device.silent, agent.silent
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    pub data: EventData,
}

/// What the event is about; fields that do not apply are absent. Never contact details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<Uuid>,
    /// The incident (incident.*, order.created, alert.raised when it raised one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_number: Option<String>,
    /// The incident's status now (incident.status_changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_status: Option<String>,
    /// walk_up or automatic (incident.*).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The supply (supply.forecast_low, order.created): its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supply: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_left: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_date: Option<DateTime<Utc>>,
    /// The condition's key (alert.*, supply.*, *.silent), such as `alert/SN1/jam/media_path/1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Since when (device.silent: the last reading; agent.silent: the last contact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// A sentence for people.
    pub detail: String,
}

/// Puts an event into the outboxes: once for each of the partner's webhooks and notification
/// addresses that want it.
pub async fn emit(
    store: &dyn Storage,
    partner: Uuid,
    event_type: &str,
    occurred_at: DateTime<Utc>,
    data: EventData,
) -> Result<()> {
    let event = WebhookEvent {
        id: uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
        event_type: event_type.to_string(),
        occurred_at,
        data,
    };
    let body = serde_json::to_string(&event)
        .map_err(|e| crate::storage::StoreError::Corrupt(format!("event: {e}")))?;
    store
        .enqueue_event(partner, event.id, event_type, &body)
        .await?;
    store
        .enqueue_mail(partner, event.id, event_type, &body)
        .await?;
    Ok(())
}

/// `incident.created` or `incident.status_changed` for an incident a person or service made or
/// changed (walk-up flow, API, console). Logged, not returned, when it fails: the change is done.
pub async fn incident_changed(
    store: &dyn Storage,
    event_type: &str,
    i: &crate::storage::Incident,
    now: DateTime<Utc>,
) {
    let data = EventData {
        device_serial: Some(i.device_serial.to_string()),
        customer_id: Some(i.customer_id),
        incident_number: Some(i.number.to_string()),
        incident_status: Some(i.status.as_str().into()),
        source: Some(i.source.as_str().into()),
        detail: format!("{} incident {} is {}", i.kind, i.number, i.status),
        ..Default::default()
    };
    if let Err(e) = emit(store, i.partner_id, event_type, now, data).await {
        tracing::warn!(error = %e, incident = %i.number, "could not queue the incident notification");
    }
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// An error with its causes (the guarded resolver's refusal is a cause of reqwest's error).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A fresh webhook secret: `whsec_` and base64 of 32 random bytes.
pub fn generate_secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
    )
}

/// The `webhook-signature` value for one delivery (Standard Webhooks, `v1`).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mac = hmac_sha256(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac)
    ))
}

/// Sends what the outbox holds. One per manager instance; instances share the work by leases.
#[derive(Clone)]
pub struct Notifier {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub http: reqwest::Client,
    /// `--webhook-allow-private`: private, loopback and link-local receivers are allowed.
    pub allow_private: bool,
}

/// The webhook client: no redirects, no proxy, names resolved by the guarded resolver (so the
/// address checked is the address connected to).
fn client(allow_private: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(super::webhook_guard::GuardedResolver { allow_private })
        .build()
        .unwrap_or_default()
}

/// How long a sender keeps a leased delivery before another may take it.
pub const LEASE_SECONDS: i64 = 60;

/// Deliveries leased at once: 4 attempts of at most 10 s each fit well within the lease.
pub const CLAIM_BATCH: u32 = 4;

impl Notifier {
    /// A sender that refuses private, loopback and link-local receivers (see
    /// [`super::webhook_guard`]).
    pub fn new(store: Arc<dyn Storage>, clock: Arc<dyn Clock>) -> Self {
        Self {
            http: client(false),
            store,
            clock,
            allow_private: false,
        }
    }

    /// The same sender, with private receivers allowed or not.
    pub fn allow_private(self, allow: bool) -> Self {
        Self {
            http: client(allow),
            allow_private: allow,
            ..self
        }
    }

    /// Tries every due delivery once (up to 100); returns how many were delivered. Leases
    /// [`CLAIM_BATCH`] rows at a time: each attempt takes at most the client's 10 s timeout, so a
    /// batch is done well within its 60 s lease and no other sender takes a row meanwhile.
    pub async fn run_once(&self) -> Result<usize> {
        let mut delivered = 0;
        let mut tried = 0;
        while tried < 100 {
            let now = self.clock.now();
            let items = self
                .store
                .claim_deliveries(now + chrono::Duration::seconds(LEASE_SECONDS), CLAIM_BATCH)
                .await?;
            if items.is_empty() {
                break;
            }
            for item in items {
                tried += 1;
                if self.attempt(&item).await? {
                    delivered += 1;
                }
            }
        }
        Ok(delivered)
    }

    async fn attempt(&self, item: &OutboxItem) -> Result<bool> {
        let now = self.clock.now();
        let event_id = serde_json::from_str::<WebhookEvent>(&item.body)
            .map(|e| e.id.to_string())
            .unwrap_or_else(|_| item.id.to_string());
        let ts = now.timestamp();
        let target = super::webhook_guard::check_delivery(&item.url, self.allow_private);
        let sent = match (target, signature(&item.secret, &event_id, ts, &item.body)) {
            (Err(refused), _) => Err(refused),
            (Ok(()), None) => Err("the webhook's secret is malformed".to_string()),
            (Ok(()), Some(sig)) => self
                .http
                .post(&item.url)
                .header("content-type", "application/json")
                .header("webhook-id", &event_id)
                .header("webhook-timestamp", ts.to_string())
                .header("webhook-signature", sig)
                .body(item.body.clone())
                .send()
                .await
                .map_err(|e| error_chain(&e.without_url())),
        };
        let attempt = item.attempts as usize + 1;
        let retry = || match BACKOFF.get(attempt - 1) {
            Some(wait) => AttemptOutcome::RetryAt(now + chrono::Duration::seconds(*wait)),
            None => AttemptOutcome::GiveUp,
        };
        let (code, error, outcome) = match sent {
            Ok(resp) if resp.status().is_success() => (
                Some(resp.status().as_u16()),
                None,
                AttemptOutcome::Delivered,
            ),
            Ok(resp) => (
                Some(resp.status().as_u16()),
                Some(format!("the receiver answered {}", resp.status())),
                retry(),
            ),
            Err(e) => (None, Some(e), retry()),
        };
        self.store
            .finish_attempt(item, code, error.as_deref(), outcome)
            .await?;
        if outcome != AttemptOutcome::Delivered {
            tracing::warn!(webhook = %item.webhook_id, event = %event_id, attempt, error = error.as_deref().unwrap_or(""), "webhook delivery failed");
        }
        Ok(outcome == AttemptOutcome::Delivered)
    }

    /// Sends every `every` until the task is dropped.
    pub async fn run_forever(self, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = self.run_once().await {
                tracing::warn!(error = %e, "webhook sender failed");
            }
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route("/api/v1/webhooks/{id}", delete(delete_webhook))
        .route("/api/v1/webhooks/{id}/deliveries", get(list_deliveries))
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateWebhookRequest {
    /// Where events are POSTed (http or https).
    pub url: String,
    /// The event types to send; absent or empty: all of them.
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    pub webhook: WebhookView,
    /// The signing secret (`whsec_…`). Shown once.
    pub secret: String,
}

/// Why a webhook registration is refused: English [`FieldProblem`]s for the API
/// ([`WebhookProblem::field_problem`]), the page's language for the console ([`WebhookProblem::message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookProblem {
    Url(super::webhook_guard::Refusal),
    UrlTooLong,
    UnknownEvent(String),
}

impl WebhookProblem {
    /// The API's problem: field and English detail.
    pub fn field_problem(&self) -> FieldProblem {
        match self {
            WebhookProblem::Url(r) => FieldProblem::new("url", r.to_string()),
            WebhookProblem::UrlTooLong => FieldProblem::new("url", "at most 2000 characters"),
            WebhookProblem::UnknownEvent(e) => FieldProblem::new(
                "events",
                format!("{e:?} is not one of {}", events::ALL.join(", ")),
            ),
        }
    }

    /// The console's text in `l` (`console-webhook-*` and `console-guard-*` in console.ftl).
    pub fn message(&self, l: Locale) -> String {
        match self {
            WebhookProblem::Url(r) => r.message(l),
            WebhookProblem::UrlTooLong => t(l, "console-webhook-url-too-long"),
            WebhookProblem::UnknownEvent(e) => t_args(
                l,
                "console-webhook-unknown-event",
                &Args::new()
                    .text("event", e.as_str())
                    .text("known", events::ALL.join(", ")),
            ),
        }
    }
}

impl CreateWebhookRequest {
    /// The URL and event types, checked.
    pub fn validate(&self) -> std::result::Result<(String, Vec<String>), Vec<FieldProblem>> {
        self.problems()
            .map_err(|ps| ps.iter().map(WebhookProblem::field_problem).collect())
    }

    /// [`Self::validate`] with the reasons as [`WebhookProblem`]s.
    pub fn problems(&self) -> std::result::Result<(String, Vec<String>), Vec<WebhookProblem>> {
        let mut problems = Vec::new();
        let url = self.url.trim();
        if let Err(r) = super::webhook_guard::check_url(url) {
            problems.push(WebhookProblem::Url(r));
        }
        if url.len() > 2000 {
            problems.push(WebhookProblem::UrlTooLong);
        }
        for e in &self.events {
            if !events::ALL.contains(&e.as_str()) {
                problems.push(WebhookProblem::UnknownEvent(e.clone()));
            }
        }
        if problems.is_empty() {
            let mut evs = self.events.clone();
            evs.sort();
            evs.dedup();
            Ok((url.to_string(), evs))
        } else {
            Err(problems)
        }
    }

    /// [`Self::validate`], then the addresses the URL points to (not private, loopback,
    /// link-local…, unless `allow_private`; see [`super::webhook_guard`]).
    pub async fn check(
        &self,
        allow_private: bool,
    ) -> std::result::Result<(String, Vec<String>), Vec<FieldProblem>> {
        self.check_problems(allow_private)
            .await
            .map_err(|ps| ps.iter().map(WebhookProblem::field_problem).collect())
    }

    /// [`Self::check`] with the reasons as [`WebhookProblem`]s (the console shows them translated).
    pub async fn check_problems(
        &self,
        allow_private: bool,
    ) -> std::result::Result<(String, Vec<String>), Vec<WebhookProblem>> {
        let (url, events) = self.problems()?;
        super::webhook_guard::check_target(&url, allow_private)
            .await
            .map_err(|r| vec![WebhookProblem::Url(r)])?;
        Ok((url, events))
    }
}

/// Adds a webhook. The URL must be http(s) and must not point to a private, loopback,
/// link-local, multicast or unspecified address (checked now and again at each delivery after
/// DNS resolution; 422 names the reason). Its events are POSTed as [`WebhookEvent`] JSON, signed (Standard Webhooks:
/// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,base64(HMAC-SHA256(secret,
/// "{id}.{timestamp}.{body}"))`), retried with backoff (30 s, 2 min, 10 min, 30 min, 2 h, 6 h,
/// 12 h, 24 h) until the receiver answers 2xx.
#[utoipa::path(post, path = "/api/v1/webhooks", security(("api_key" = [])), request_body = CreateWebhookRequest,
    responses((status = 201, body = CreatedWebhook), (status = 422, body = Problem)))]
pub async fn create_webhook(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    ApiJson(req): ApiJson<CreateWebhookRequest>,
) -> std::result::Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let (url, evs) = req
        .check(st.config.webhook_allow_private)
        .await
        .map_err(ApiError::Validation)?;
    let secret = generate_secret();
    let webhook = st.store.create_webhook(p, &url, &secret, &evs).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook { webhook, secret }),
    ))
}

/// The partner's webhooks.
#[utoipa::path(get, path = "/api/v1/webhooks", security(("api_key" = [])),
    responses((status = 200, body = Vec<WebhookView>), (status = 401, body = Problem)))]
pub async fn list_webhooks(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
) -> std::result::Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(st.store.list_webhooks(p).await?))
}

fn webhook_id(s: &str) -> std::result::Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::NotFound("webhook"))
}

/// Removes a webhook; what it had not received yet is not sent.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", security(("api_key" = [])), params(("id" = uuid::Uuid, Path, description = "the webhook's id")),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_webhook(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(id): Path<String>,
) -> std::result::Result<StatusCode, ApiError> {
    st.store.delete_webhook(p, webhook_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's delivery log (newest first, the last 200 attempts).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", security(("api_key" = [])), params(("id" = uuid::Uuid, Path, description = "the webhook's id")),
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = Problem)))]
pub async fn list_deliveries(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(id): Path<String>,
) -> std::result::Result<Json<Vec<DeliveryView>>, ApiError> {
    let id = webhook_id(&id)?;
    if !st.store.list_webhooks(p).await?.iter().any(|w| w.id == id) {
        return Err(ApiError::NotFound("webhook"));
    }
    Ok(Json(st.store.list_deliveries(p, id, 200).await?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_webhook, list_webhooks, delete_webhook, list_deliveries),
    components(schemas(
        CreateWebhookRequest,
        CreatedWebhook,
        WebhookView,
        DeliveryView,
        WebhookEvent,
        EventData
    ))
)]
pub struct WebhooksApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_cases_2_and_6() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_signature_changes_with_body_timestamp_id_and_secret() {
        let secret = generate_secret();
        let sig = signature(&secret, "e1", 1000, "{}").expect("signs");
        assert!(sig.starts_with("v1,"));
        assert_ne!(signature(&secret, "e1", 1000, "{ }"), Some(sig.clone()));
        assert_ne!(signature(&secret, "e1", 1001, "{}"), Some(sig.clone()));
        assert_ne!(signature(&secret, "e2", 1000, "{}"), Some(sig.clone()));
        assert_ne!(signature(&generate_secret(), "e1", 1000, "{}"), Some(sig));
        assert_eq!(signature("nope", "e1", 1000, "{}"), None);
    }
}
