//! The assistant's own store: a transactional outbox of acknowledged submissions. A submission is
//! written here before the App API acknowledges it; a worker delivers it to the Services Manager,
//! sends the confirmation e-mail and then deletes the contact details. One trait, SQLite and
//! PostgreSQL behind it (the URL scheme picks), one test suite for both.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod sql;

pub use sql::{PgStore, SqliteStore};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionKind {
    ServiceIncident,
    SupplyIncident,
    MeterRead,
}

impl SubmissionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionKind::ServiceIncident => "service_incident",
            SubmissionKind::SupplyIncident => "supply_incident",
            SubmissionKind::MeterRead => "meter_read",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "service_incident" => SubmissionKind::ServiceIncident,
            "supply_incident" => SubmissionKind::SupplyIncident,
            "meter_read" => SubmissionKind::MeterRead,
            _ => return None,
        })
    }
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Acknowledged, not yet accepted by the Services Manager.
    Pending,
    /// In the Services Manager; the confirmation e-mail is still to go out.
    Delivered,
    /// Delivered and confirmed; no personal data is kept.
    Done,
    /// Refused for good by the Services Manager (reported; no personal data is kept).
    Failed,
}

impl SubmissionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Pending => "pending",
            SubmissionState::Delivered => "delivered",
            SubmissionState::Done => "done",
            SubmissionState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => SubmissionState::Pending,
            "delivered" => SubmissionState::Delivered,
            "done" => SubmissionState::Done,
            "failed" => SubmissionState::Failed,
            _ => return None,
        })
    }
}

/// A submission to write. `payload` holds no personal data; the contact is sealed (AES-256-GCM).
#[derive(Clone, PartialEq, Eq)]
pub struct NewSubmission {
    pub id: Uuid,
    pub reference: String,
    pub device_serial: String,
    pub tenant: String,
    pub kind: SubmissionKind,
    pub idempotency_key: String,
    /// SHA-256 of the canonical request, to tell a retry from another request under the same key.
    pub request_hash: String,
    pub payload: serde_json::Value,
    pub contact_sealed: Option<String>,
    pub send_mail: bool,
    pub created_at: DateTime<Utc>,
    /// The writer holds the submission until then (it delivers it itself); workers wait.
    pub lease_until: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for NewSubmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSubmission")
            .field("reference", &self.reference)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: Uuid,
    pub reference: String,
    pub device_serial: String,
    pub tenant: String,
    pub kind: SubmissionKind,
    pub idempotency_key: String,
    pub request_hash: String,
    pub payload: serde_json::Value,
    pub contact_sealed: Option<String>,
    pub send_mail: bool,
    pub state: SubmissionState,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub incident_number: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("reference", &self.reference)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("incident_number", &self.incident_number)
            .finish_non_exhaustive()
    }
}

/// What `insert` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    New(Submission),
    /// The same device sent the same request under the same key before: the earlier submission.
    Existing(Submission),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("idempotency key {0:?} was used before for a different request")]
    IdempotencyConflict(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored row is inconsistent: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Writes a submission, or returns the earlier one for the same device and idempotency key.
    async fn insert(&self, new: NewSubmission) -> Result<Inserted, StoreError>;
    async fn get(&self, id: Uuid) -> Result<Option<Submission>, StoreError>;
    /// Claims up to `limit` submissions that are due (pending or delivered, next attempt reached, not
    /// claimed by a live lease), leasing them for `lease`. Safe with several workers and instances.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Submission>, StoreError>;
    /// The Services Manager accepted it. Without a mail to send it is done, and the contact is deleted.
    async fn record_delivery(&self, id: Uuid, incident_number: &str) -> Result<(), StoreError>;
    /// The confirmation went out (or none was wanted): done, and the contact is deleted.
    async fn record_done(&self, id: Uuid) -> Result<(), StoreError>;
    /// Try again at `at`.
    async fn retry_later(&self, id: Uuid, at: DateTime<Utc>, error: &str)
    -> Result<(), StoreError>;
    /// Refused for good: failed, and the contact is deleted.
    async fn record_failure(&self, id: Uuid, error: &str) -> Result<(), StoreError>;
    /// How many submissions are in each state (for metrics and readiness).
    async fn counts(&self) -> Result<Vec<(SubmissionState, i64)>, StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store the URL names: `sqlite://PATH` (created if missing; WAL) or `postgres://…`.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn OutboxStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(PgStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
