//! One storage trait, implemented once by the generic [`SqlStore`] for SQLite (default) and
//! PostgreSQL (see `sql.rs`); the URL scheme picks one (`sqlite://…` or `postgres://…`).

pub mod login_attempts;
mod postgres;
pub(crate) mod sql;
mod sqlite;

pub use login_attempts::{LoginAttemptStorage, LoginLimit, LoginReservation};
pub use postgres::PgStore;
pub use sql::SqlStore;
pub use sqlite::SqliteStore;

use crate::clock::{Clock, IdSource};
use crate::crypto::{CryptoError, KeyRing};
use crate::domain::{
    Contact, DeviceSerial, IncidentKind, IncidentNumber, IncidentStatus, Label, MeterReadNumber,
    MeterSource,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyMismatch,
    #[error("status cannot change from {from} to {to}")]
    InvalidTransition {
        from: IncidentStatus,
        to: IncidentStatus,
    },
    #[error(
        "meter {meter_id}: value {value} is below the previous read ({previous}); mark the read as a meter replacement if the meter was replaced"
    )]
    MeterRollback {
        meter_id: String,
        previous: i64,
        value: i64,
    },
    #[error("meter {meter_id}: value {value} is above a later read ({later})")]
    MeterAboveLater {
        meter_id: String,
        later: i64,
        value: i64,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What the storage needs from outside: time, ids and the keys for contact details.
#[derive(Clone)]
pub struct StoreContext {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub keys: Arc<KeyRing>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partner {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub serial: DeviceSerial,
    pub model: String,
    pub location: String,
    pub created_at: DateTime<Utc>,
}

/// Checked submissions (the rules live in `proto::manager`) are what the storage writes.
pub use proto::manager::{
    DeviceSubmission as NewDevice, IncidentSubmission as NewIncident,
    MeterReadSubmission as NewMeterRead, MeterValue, SupplyItem,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: Uuid,
    pub number: IncidentNumber,
    pub partner_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub device_serial: DeviceSerial,
    pub kind: IncidentKind,
    pub issue_code: Option<String>,
    pub description: String,
    pub supplies: Vec<SupplyItem>,
    /// `None` once the retention job removed it.
    pub contact: Option<Contact>,
    pub status: IncidentStatus,
    /// walk_up, or automatic (made by the fleet policies, without contact).
    pub source: proto::IncidentSource,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from: Option<IncidentStatus>,
    pub to: IncidentStatus,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRead {
    pub id: Uuid,
    /// `MR-YYYY-NNNNNN`, counted per partner like incident numbers.
    pub number: MeterReadNumber,
    pub device_serial: DeviceSerial,
    pub read_at: DateTime<Utc>,
    pub source: MeterSource,
    pub meter_replacement: bool,
    pub meters: Vec<MeterValue>,
    pub created_at: DateTime<Utc>,
}

/// The result of an idempotent create: made now, or the one made earlier with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created<T> {
    New(T),
    Replayed(T),
}

impl<T> Created<T> {
    pub fn into_inner(self) -> T {
        match self {
            Created::New(t) | Created::Replayed(t) => t,
        }
    }
    pub fn is_replay(&self) -> bool {
        matches!(self, Created::Replayed(_))
    }
}

/// An idempotency key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub status: Option<IncidentStatus>,
    pub kind: Option<IncidentKind>,
    pub device: Option<DeviceSerial>,
    pub customer_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PartnerAdmin,
    Technician,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::PartnerAdmin => "partner_admin",
            Role::Technician => "technician",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "partner_admin" | "admin" => Some(Role::PartnerAdmin),
            "technician" => Some(Role::Technician),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait Storage:
    crate::fleet::FleetStorage
    + crate::fleet::devices::SupplyHistoryStorage
    + LoginAttemptStorage
    + crate::fleet::rules_store::FleetRulesStorage
    + crate::fleet::mail_store::MailNotifyStorage
    + Send
    + Sync
    + 'static
{
    /// A cheap query that proves the database answers.
    async fn ping(&self) -> Result<()>;

    async fn create_partner(&self, name: &Label) -> Result<Partner>;
    async fn list_partners(&self) -> Result<Vec<Partner>>;
    async fn create_customer(&self, partner_id: Uuid, name: &Label) -> Result<Customer>;
    async fn list_customers(&self, partner_id: Uuid) -> Result<Vec<Customer>>;
    async fn create_device(&self, partner_id: Uuid, device: &NewDevice) -> Result<Device>;
    async fn get_device(&self, partner_id: Uuid, serial: &DeviceSerial) -> Result<Option<Device>>;
    async fn list_devices(&self, partner_id: Uuid) -> Result<Vec<Device>>;

    async fn create_api_key(&self, partner_id: Uuid, name: &Label, key_hash: &str) -> Result<Uuid>;
    /// The partner an API key (given by its hash) belongs to.
    async fn partner_for_api_key(&self, key_hash: &str) -> Result<Option<Uuid>>;

    async fn create_user(
        &self,
        partner_id: Uuid,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User>;
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn list_users(&self, partner_id: Uuid) -> Result<Vec<User>>;
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: Uuid,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// A session that has not expired.
    async fn find_session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn create_incident(
        &self,
        partner_id: Uuid,
        idem: &Idempotency,
        incident: &NewIncident,
    ) -> Result<Created<Incident>>;
    async fn get_incident(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
    ) -> Result<Option<Incident>>;
    /// A device's incidents created at or after `since`, newest first, without contact details.
    async fn list_device_incidents(
        &self,
        partner_id: Uuid,
        serial: &DeviceSerial,
        since: DateTime<Utc>,
    ) -> Result<Vec<Incident>>;
    /// A page of a partner's incidents (newest first, without contact details) and the total that match.
    async fn search_incidents(
        &self,
        partner_id: Uuid,
        filter: &IncidentFilter,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Incident>, u64)>;
    async fn change_status(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
        to: IncidentStatus,
        actor: &str,
        comment: &str,
    ) -> Result<Incident>;
    /// The partner's own ticket number of an incident (help-desk override), if set.
    async fn ticket_reference(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
    ) -> Result<Option<String>>;
    /// Sets (or replaces) it; `false` when the partner has no such incident.
    async fn set_ticket_reference(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    async fn incident_history(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
    ) -> Result<Vec<StatusChange>>;

    async fn record_meter_read(
        &self,
        partner_id: Uuid,
        idem: &Idempotency,
        read: &NewMeterRead,
    ) -> Result<Created<MeterRead>>;
    /// A device's meter reads taken at or after `since`, oldest first, at most `limit`.
    async fn list_meter_reads(
        &self,
        partner_id: Uuid,
        serial: &DeviceSerial,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<MeterRead>>;

    /// Removes the contact details of incidents closed or cancelled before `closed_before`.
    /// Returns how many incidents lost their contact details.
    async fn remove_expired_contacts(&self, closed_before: DateTime<Utc>) -> Result<u64>;

    /// The contact columns exactly as stored (for tests that check encryption at rest; only with
    /// the `test-hooks` feature, which the manager's own tests turn on).
    #[cfg(feature = "test-hooks")]
    async fn raw_contact_columns(&self, number: &IncidentNumber) -> Result<Vec<Option<String>>>;
}

/// Opens the storage the URL names: `sqlite://PATH` (created if missing) or `postgres://…`.
pub async fn connect(url: &str, ctx: StoreContext) -> Result<Arc<dyn Storage>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, ctx).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, ctx).await?))
    } else {
        Err(StoreError::Conflict(format!(
            "database URL must start with sqlite:// or postgres://, got {:?}",
            url.split(':').next().unwrap_or_default()
        )))
    }
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(v).ok_or_else(|| StoreError::Corrupt(format!("time {v}")))
}

pub(crate) fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("id {s:?}")))
}

/// The per-partner yearly counters that number incidents (`SR-…`) and meter reads (`MR-…`):
/// one row per partner and year, taken in the creating transaction, so numbers are gapless and
/// creates of one partner queue on its row while other partners do not wait.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Counter {
    Incident,
    MeterRead,
}

impl Counter {
    /// Takes the next `$3` numbers of `($1 partner, $2 year)` at once (1 for one incident or
    /// meter read, a block for a batch of automatic meter reads) and returns the last of them as
    /// `last_seq`.
    pub(crate) fn next_sql(self) -> &'static str {
        match self {
            Counter::Incident => {
                "INSERT INTO incident_counters_per_partner (partner_id, year, last_seq) VALUES ($1, $2, $3) \
                 ON CONFLICT (partner_id, year) DO UPDATE SET last_seq = incident_counters_per_partner.last_seq + $3 \
                 RETURNING last_seq"
            }
            Counter::MeterRead => {
                "INSERT INTO meter_read_counters_per_partner (partner_id, year, last_seq) VALUES ($1, $2, $3) \
                 ON CONFLICT (partner_id, year) DO UPDATE SET last_seq = meter_read_counters_per_partner.last_seq + $3 \
                 RETURNING last_seq"
            }
        }
    }
}
