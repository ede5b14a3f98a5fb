//! Wire types between the fleet agent (`support-assistant agent`) and the Services Manager:
//! enrolment and batches of readings. A reading is one walk of one printer, interpreted by
//! `printer::interpret` (the fields keep the names of shared/printers/CONTRACT.md). The status,
//! supply, meter and alert types here are also what `printer::interpret` returns: one set of
//! types from the SNMP walk to the manager's API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /api/v1/agents/enroll`: a one-time enrolment token for the agent's own credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrollRequest {
    /// The one-time token `manager agent add` (or the console) printed.
    pub token: String,
    /// The agent's version (shown in the console).
    pub version: String,
    /// Where the agent runs (host name), shown in the console.
    #[serde(default)]
    pub host: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrollResponse {
    pub agent_id: Uuid,
    /// The agent's credential: `Authorization: Bearer <credential>` on every later call. Shown once.
    pub credential: String,
    pub customer_name: String,
}

/// At most this many readings in one batch: the manager refuses a larger one (422), the agent's
/// batches (`--batch-size`) hold at most this many.
pub const MAX_BATCH_READINGS: usize = 1000;

/// The largest body of `POST /api/v1/agents/readings` the manager takes (413 above it; every other
/// route of the manager keeps 256 KiB). A full batch of real printers' readings (1–4 KiB of JSON
/// each) fits.
pub const MAX_BATCH_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The readings of one batch are at most this many bytes of JSON (a separator counted for each):
/// the agent cuts its batches there, and refuses to queue a reading larger than this. The 64 KiB
/// left of [`MAX_BATCH_BODY_BYTES`] are room for the envelope (batch id, agent version).
pub const MAX_BATCH_READINGS_BYTES: usize = MAX_BATCH_BODY_BYTES - 64 * 1024;

/// `POST /api/v1/agents/readings`: a batch, idempotent by `batch_id` and by each `reading_id`, of
/// at most [`MAX_BATCH_READINGS`] readings and [`MAX_BATCH_BODY_BYTES`] bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadingBatch {
    pub batch_id: Uuid,
    pub agent_version: String,
    pub readings: Vec<Reading>,
}

/// One walk of one printer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reading {
    /// Chosen by the agent when it took the reading; the manager stores each id once.
    pub reading_id: Uuid,
    pub read_at: DateTime<Utc>,
    /// The device's SNMP address as the agent reached it (HOST:PORT).
    pub address: String,
    pub identity: FleetIdentity,
    #[serde(default)]
    pub status: FleetStatus,
    #[serde(default)]
    pub supplies: Vec<FleetSupply>,
    /// Empty when meters were not due in this poll (meters are read at least daily).
    #[serde(default)]
    pub meters: Vec<FleetMeter>,
    #[serde(default)]
    pub alerts: Vec<FleetAlert>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct FleetIdentity {
    /// The device's serial number (prtGeneralSerialNumber, else the vendor's): the device's key.
    pub serial: String,
    pub model: Option<String>,
    pub mac: Option<String>,
    pub sys_descr: Option<String>,
    pub sys_object_id: Option<String>,
    /// True when the device reports neither a serial number nor a MAC address: `serial` is then a
    /// stand-in the agent derives from its site, the device's address, model and sysObjectID
    /// (`NS-` and 16 hex digits), stable while those stay, to be merged with the real device later.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_serial: bool,
}

/// The device's state as a whole; `None` where the device does not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct FleetStatus {
    /// hrDeviceStatus: unknown, running, warning, testing, down
    pub device: Option<String>,
    /// hrPrinterStatus: other, unknown, idle, printing, warmup
    pub printer: Option<String>,
    /// raised hrPrinterDetectedErrorState bits (RFC 2790 names)
    #[serde(default)]
    pub errors: Vec<String>,
}

/// A prtMarkerSuppliesTable row (RFC 3805), with its level as a percentage and a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FleetSupply {
    /// hrDeviceIndex.supplyIndex
    pub index: String,
    pub description: String,
    pub part_number: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub class: SupplyClass,
    pub colorant: Option<String>,
    pub max_capacity: Option<i64>,
    pub level: Option<i64>,
    pub percent: Option<u8>,
    pub status: SupplyStatus,
}

/// prtMarkerSuppliesClass: a supply that is used up, or a receptacle that fills (waste toner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupplyClass {
    Consumed,
    Receptacle,
}

impl SupplyClass {
    /// The wire name (`consumed` | `receptacle`).
    pub fn as_str(self) -> &'static str {
        match self {
            SupplyClass::Consumed => "consumed",
            SupplyClass::Receptacle => "receptacle",
        }
    }
}

/// A supply's state, from its level (`some_remaining` and `unrestricted` are the RFC 3805
/// level values -3 and -1; `unknown` when the device does not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupplyStatus {
    Ok,
    Low,
    Empty,
    AlmostFull,
    Full,
    SomeRemaining,
    Unrestricted,
    Unknown,
}

impl SupplyStatus {
    /// The wire name (`ok`, `almost_full`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SupplyStatus::Ok => "ok",
            SupplyStatus::Low => "low",
            SupplyStatus::Empty => "empty",
            SupplyStatus::AlmostFull => "almost_full",
            SupplyStatus::Full => "full",
            SupplyStatus::SomeRemaining => "some_remaining",
            SupplyStatus::Unrestricted => "unrestricted",
            SupplyStatus::Unknown => "unknown",
        }
    }

    /// Words for a person at the panel.
    pub fn label(self) -> &'static str {
        match self {
            SupplyStatus::Ok => "OK",
            SupplyStatus::Low => "Low",
            SupplyStatus::Empty => "Empty",
            SupplyStatus::AlmostFull => "Almost full",
            SupplyStatus::Full => "Full",
            SupplyStatus::SomeRemaining => "Some remaining",
            SupplyStatus::Unrestricted => "No limit",
            SupplyStatus::Unknown => "Unknown",
        }
    }
}

impl std::fmt::Display for SupplyClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for SupplyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A page counter (the contract's meter ids: total, black, color, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FleetMeter {
    pub id: String,
    pub name: String,
    pub value: u64,
    pub oid: String,
}

/// A prtAlertTable row (RFC 3805).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FleetAlert {
    /// hrDeviceIndex.prtAlertIndex
    pub index: String,
    /// critical, warning, warning_binary_change_event, other
    pub severity: String,
    /// untrained, trained, field_service, management, no_intervention_required, other, unknown; null when absent
    pub training_level: Option<String>,
    /// the PrtAlertGroupTC name (general_printer, cover, input, output, marker, marker_supplies, …); null when absent
    pub group: Option<String>,
    pub group_index: Option<i64>,
    pub location: Option<i64>,
    /// PrtAlertCodeTC number (8 jam, 501 doorOpen, 1104 markerTonerAlmostEmpty, …)
    pub code: i64,
    /// Its RFC 3805 name (jam, doorOpen, markerTonerAlmostEmpty, …), `code-N` when unknown
    pub code_name: String,
    pub description: String,
    /// prtAlertTime: sysUpTime (hundredths of a second) when the device added the alert
    pub time: Option<u32>,
}

/// What became of one reading of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadingOutcome {
    /// Stored now.
    Stored,
    /// Stored earlier (a batch sent again).
    Duplicate,
    /// Not stored; `detail` says why. The agent does not send it again.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadingResult {
    pub reading_id: Uuid,
    pub outcome: ReadingOutcome,
    /// The meters of the reading became a meter read (source `automatic`).
    pub meter_read: bool,
    /// The device was not known before this reading: it was added under the agent's customer, marked new.
    pub new_device: bool,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchReceipt {
    pub batch_id: Uuid,
    pub stored: u32,
    pub duplicates: u32,
    pub rejected: u32,
    pub results: Vec<ReadingResult>,
}

/// A stored reading as the manager's API returns it (`GET /api/v1/devices/{serial}/readings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredReading {
    pub reading_id: Uuid,
    pub agent_id: Uuid,
    pub serial: String,
    pub read_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub address: String,
    pub identity: FleetIdentity,
    pub status: FleetStatus,
    pub supplies: Vec<FleetSupply>,
    pub meters: Vec<FleetMeter>,
    pub alerts: Vec<FleetAlert>,
}

/// An agent as the manager lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentView {
    pub id: Uuid,
    pub name: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// waiting_enrolment, active, revoked
    pub state: String,
    pub version: Option<String>,
    pub host: Option<String>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_batch_fits_the_body_limit() {
        // The envelope of a batch with a long agent version (the agent's is a few characters);
        // the readings' bytes are what the agent counts, up to MAX_BATCH_READINGS_BYTES.
        let envelope = serde_json::to_vec(&ReadingBatch {
            batch_id: Uuid::nil(),
            agent_version: "x".repeat(64),
            readings: vec![],
        })
        .unwrap()
        .len();
        assert!(MAX_BATCH_READINGS_BYTES + envelope <= MAX_BATCH_BODY_BYTES);
    }
}
