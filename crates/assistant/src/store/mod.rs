//! The assistant's own store: a transactional outbox of acknowledged submissions. A submission is
//! written here before the App API acknowledges it; a worker delivers it to the Services Manager,
//! sends the confirmation e-mail and then deletes the contact details. One trait, SQLite and
//! PostgreSQL behind it (the URL scheme picks), one test suite for both.
//!
//! Exactly once: a submission moves `accepted → delivered → done` (or `refused`). Only `accepted`
//! and `delivered` rows are ever claimed, and a claim is a lease with a fresh token: every later
//! step names the token and changes the row only while the claim is still the current one, so a
//! worker whose lease ran out can no longer move it. A sent confirmation is recorded (and the
//! contact erased) by one statement that needs no token, so a completed send is never repeated
//! because a lease ran out. See ARCHITECTURE.md, "Exactly-once confirmation".

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

/// Where a submission stands. `Accepted → Delivered → Done`, or `Accepted → Refused` (through
/// `RefusalNoticeDue` when the partner is to be told); a state is never entered twice and
/// `Done`/`Refused` are never claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Acknowledged to the device, not yet in the Services Manager.
    Accepted,
    /// In the Services Manager; the confirmation e-mail is still to go out.
    Delivered,
    /// In the Services Manager, the confirmation sent (or none wanted, or refused for good by the
    /// mail server); the contact details are erased.
    Done,
    /// Acknowledged, then refused for good by the Services Manager: a bug (the App API checks
    /// what the manager checks), kept visible with its reason; the contact details are erased.
    Refused,
    /// Refused as above, and the partner's support address is still to be told (claimed like
    /// `delivered`: the notice goes out once, then the row is `refused`).
    RefusalNoticeDue,
}

impl SubmissionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Accepted => "accepted",
            SubmissionState::Delivered => "delivered",
            SubmissionState::Done => "done",
            SubmissionState::Refused => "refused",
            SubmissionState::RefusalNoticeDue => "refusal_notice_due",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "accepted" => SubmissionState::Accepted,
            "delivered" => SubmissionState::Delivered,
            "done" => SubmissionState::Done,
            "refused" => SubmissionState::Refused,
            "refusal_notice_due" => SubmissionState::RefusalNoticeDue,
            _ => return None,
        })
    }
}

/// A claim on a submission: a lease until `until`, fenced by `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub token: Uuid,
    pub until: DateTime<Utc>,
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
    /// Set when the row was just claimed (or written under a lease) by the caller.
    pub claim: Option<Claim>,
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
    /// Writes a submission (state `accepted`), or returns the earlier one for the same device and
    /// idempotency key. With `lease_until` the new row comes back claimed by the writer.
    async fn insert(&self, new: NewSubmission) -> Result<Inserted, StoreError>;
    async fn get(&self, id: Uuid) -> Result<Option<Submission>, StoreError>;
    /// Claims up to `limit` submissions that are due (`accepted` or `delivered`, next attempt
    /// reached, no live lease), leasing them until `now + lease` under a fresh token. Safe with
    /// several workers and instances; `done` and `refused` rows are never taken.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Submission>, StoreError>;
    /// Extends a claim that is still held (same token, lease not yet run out at `now`) to
    /// `now + lease`. `None`: the claim is lost and the caller must stop.
    async fn renew(
        &self,
        id: Uuid,
        token: Uuid,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<Claim>, StoreError>;
    /// `accepted → delivered` (or `done`, contact erased, when no mail is wanted) under the claim,
    /// which stays held for the mail step. `false`: the claim was lost, nothing changed.
    async fn record_delivery(
        &self,
        id: Uuid,
        token: Uuid,
        incident_number: &str,
    ) -> Result<bool, StoreError>;
    /// `delivered → done`: the mail server took the confirmation; the contact is erased in the
    /// same statement. Needs no token: a completed send counts even if its lease ran out.
    /// `false`: it was not `delivered` (already recorded).
    async fn record_mail_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// `delivered → done` without a mail: the mail server refused it for good (reason kept).
    async fn record_mail_refused(
        &self,
        id: Uuid,
        token: Uuid,
        error: &str,
    ) -> Result<bool, StoreError>;
    /// Releases the claim and tries again at `at` (same state).
    async fn retry_later(
        &self,
        id: Uuid,
        token: Uuid,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError>;
    /// `accepted → refused`: the Services Manager refused it for good; contact erased, reason
    /// kept. With `notify` the row goes to `refusal_notice_due` instead, still claimed by the
    /// caller, which then tells the partner ([`Self::record_notice_sent`]).
    async fn record_refusal(
        &self,
        id: Uuid,
        token: Uuid,
        error: &str,
        notify: bool,
    ) -> Result<bool, StoreError>;
    /// `refusal_notice_due → refused`: the mail server took the partner's notice. Needs no token,
    /// like [`Self::record_mail_sent`], so a completed send is never repeated.
    async fn record_notice_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// `refusal_notice_due → refused` without a notice: the mail server refused it for good (the
    /// row keeps the manager's refusal as its reason; the worker logs the mail error).
    async fn record_notice_failed(&self, id: Uuid, token: Uuid) -> Result<bool, StoreError>;
    /// Deletes an `accepted` submission under the caller's claim: the Services Manager refused it
    /// while the person still waited for the answer, so they are told why and nothing stays
    /// acknowledged. `false`: the claim was lost, nothing changed.
    async fn withdraw(&self, id: Uuid, token: Uuid) -> Result<bool, StoreError>;
    /// Turns on the per-device rate limit shared by every instance on this database: `burst` at
    /// once, `per_second` sustained. Ignored where limits stay in each process (SQLite).
    fn share_rate_limit(&self, burst: u32, per_second: f64);
    /// Takes one request from `key`'s shared token bucket: `Some(Err(wait))` when it is empty;
    /// `None` when this store keeps no shared limit (SQLite, or not turned on): then the
    /// process's own limiter applies.
    async fn take_rate_token(&self, key: &str) -> Result<Option<Result<(), Duration>>, StoreError>;
    /// How many submissions are in each state (for metrics and readiness).
    async fn counts(&self) -> Result<Vec<(SubmissionState, i64)>, StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Connects to the store the URL names: `sqlite://PATH` (created if missing; WAL) or
/// `postgres://…`, migrations applied.
pub async fn connect(url: &str) -> Result<std::sync::Arc<dyn OutboxStore>, StoreError> {
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

/// A stored time back; a value out of range is a corrupt row, not a silent default.
pub(crate) fn from_millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("time {ms} ms is out of range")))
}
