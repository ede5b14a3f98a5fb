//! Wire types between the fleet agent (`support-assistant agent`) and the Services Manager:
//! enrolment and batches of readings. A reading is one walk of one printer, interpreted by
//! `printer::interpret` (the fields keep the names of shared/printers/CONTRACT.md).

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

/// `POST /api/v1/agents/readings`: a batch, idempotent by `batch_id` and by each `reading_id`.
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FleetSupply {
    pub index: String,
    pub description: String,
    pub part_number: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    /// consumed | receptacle
    pub class: String,
    pub colorant: Option<String>,
    pub max_capacity: Option<i64>,
    pub level: Option<i64>,
    pub percent: Option<u8>,
    /// ok, low, empty, almost_full, full, some_remaining, unrestricted, unknown
    pub status: String,
}

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
    pub index: String,
    /// critical, warning, warning_binary_change_event, other
    pub severity: String,
    pub training_level: Option<String>,
    pub group: Option<String>,
    pub group_index: Option<i64>,
    pub location: Option<i64>,
    /// PrtAlertCodeTC number
    pub code: i64,
    pub code_name: String,
    pub description: String,
    /// sysUpTime (hundredths of a second) when the device added the alert
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
