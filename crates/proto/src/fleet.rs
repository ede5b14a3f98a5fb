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
    #[serde(deserialize_with = "crate::text::object::list")]
    #[schema(schema_with = schemas::readings)]
    pub readings: Vec<Reading>,
}

/// One walk of one printer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reading {
    /// Chosen by the agent when it took the reading; the manager stores each id once.
    pub reading_id: Uuid,
    pub read_at: DateTime<Utc>,
    /// The device's SNMP address as the agent reached it (HOST:PORT).
    #[schema(schema_with = schemas::address)]
    pub address: String,
    #[serde(deserialize_with = "crate::text::object::one")]
    pub identity: FleetIdentity,
    #[serde(default, deserialize_with = "crate::text::object::one")]
    pub status: FleetStatus,
    #[serde(default, deserialize_with = "crate::text::object::list")]
    pub supplies: Vec<FleetSupply>,
    /// Empty when meters were not due in this poll (meters are read at least daily). Each meter
    /// id at most once (a reading with an id twice is rejected).
    #[serde(default, deserialize_with = "crate::text::object::list")]
    pub meters: Vec<FleetMeter>,
    #[serde(default, deserialize_with = "crate::text::object::list")]
    pub alerts: Vec<FleetAlert>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct FleetIdentity {
    /// The device's serial number (prtGeneralSerialNumber, else the vendor's): the device's key.
    #[schema(schema_with = crate::schema::device_serial)]
    pub serial: String,
    #[schema(schema_with = schemas::optional_text)]
    pub model: Option<String>,
    #[schema(schema_with = schemas::optional_text)]
    pub mac: Option<String>,
    #[schema(schema_with = schemas::optional_text)]
    pub sys_descr: Option<String>,
    #[schema(schema_with = schemas::optional_text)]
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
    #[schema(schema_with = schemas::optional_text)]
    pub device: Option<String>,
    /// hrPrinterStatus: other, unknown, idle, printing, warmup
    #[schema(schema_with = schemas::optional_text)]
    pub printer: Option<String>,
    /// raised hrPrinterDetectedErrorState bits (RFC 2790 names)
    #[serde(default)]
    #[schema(schema_with = schemas::texts)]
    pub errors: Vec<String>,
}

/// A prtMarkerSuppliesTable row (RFC 3805), with its level as a percentage and a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FleetSupply {
    /// hrDeviceIndex.supplyIndex
    #[schema(schema_with = schemas::text)]
    pub index: String,
    #[schema(schema_with = schemas::text)]
    pub description: String,
    #[schema(schema_with = schemas::optional_text)]
    pub part_number: Option<String>,
    #[serde(rename = "type")]
    #[schema(schema_with = schemas::text)]
    pub kind: String,
    pub class: SupplyClass,
    #[schema(schema_with = schemas::optional_text)]
    pub colorant: Option<String>,
    #[serde(default, deserialize_with = "crate::text::whole::optional")]
    pub max_capacity: Option<i64>,
    #[serde(default, deserialize_with = "crate::text::whole::optional")]
    pub level: Option<i64>,
    /// 0–100
    #[serde(default, deserialize_with = "crate::text::whole::optional")]
    #[schema(schema_with = schemas::percent)]
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
    /// Its meter id as a meter read's (the reading's meters become one).
    #[schema(schema_with = crate::manager::schemas::meter_id)]
    pub id: String,
    #[schema(schema_with = crate::manager::schemas::meter_name)]
    pub name: String,
    #[serde(deserialize_with = "crate::text::whole::number")]
    #[schema(schema_with = schemas::meter_value)]
    pub value: u64,
    #[schema(schema_with = schemas::text)]
    pub oid: String,
}

/// A prtAlertTable row (RFC 3805).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FleetAlert {
    /// hrDeviceIndex.prtAlertIndex
    #[schema(schema_with = schemas::text)]
    pub index: String,
    /// critical, warning, warning_binary_change_event, other
    #[schema(schema_with = schemas::text)]
    pub severity: String,
    /// untrained, trained, field_service, management, no_intervention_required, other, unknown; null when absent
    #[schema(schema_with = schemas::optional_text)]
    pub training_level: Option<String>,
    /// the PrtAlertGroupTC name (general_printer, cover, input, output, marker, marker_supplies, …); null when absent
    #[schema(schema_with = schemas::optional_text)]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "crate::text::whole::optional")]
    pub group_index: Option<i64>,
    #[serde(default, deserialize_with = "crate::text::whole::optional")]
    pub location: Option<i64>,
    /// PrtAlertCodeTC number (8 jam, 501 doorOpen, 1104 markerTonerAlmostEmpty, …)
    #[serde(deserialize_with = "crate::text::whole::number")]
    pub code: i64,
    /// Its RFC 3805 name (jam, doorOpen, markerTonerAlmostEmpty, …), `code-N` when unknown
    #[schema(schema_with = schemas::text)]
    pub code_name: String,
    #[schema(schema_with = schemas::text)]
    pub description: String,
    /// prtAlertTime: sysUpTime (hundredths of a second) when the device added the alert
    #[serde(default, deserialize_with = "crate::text::whole::optional")]
    #[schema(schema_with = schemas::alert_time)]
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

/// What the manager takes in a reading ([`Reading::check`]); the OpenAPI document's limits
/// ([`schemas`]) are made of the same constants.
pub mod limits {
    /// Characters of a text a device reports (sysDescr, a supply's description, an alert's
    /// description, a meter's name, …): SNMP's DisplayString is at most 255 octets (RFC 2579 §2,
    /// `SIZE (0..255)`, as are RFC 3805's description strings), so at most 255 characters.
    pub const DEVICE_TEXT: usize = 255;
    /// Characters of the address the agent reached a device at: `HOST:PORT` or `[IPv6]:PORT`, a
    /// DNS name being at most 253 characters (RFC 1035 §2.3.4 counts 255 octets with its length
    /// bytes).
    pub const ADDRESS: usize = 263;
    /// Highest supply level in percent: the same as a supply incident's.
    pub const MAX_PERCENT: u8 = crate::manager::limits::MAX_LEVEL_PERCENT;
    /// Highest meter value: the same as a meter read's (2^53 − 1), since a reading's meters
    /// become a meter read.
    pub const MAX_METER_VALUE: u64 = crate::manager::limits::MAX_METER_VALUE.unsigned_abs();
}

/// The OpenAPI schemas of a reading's fields (`#[schema(schema_with = …)]`), from [`limits`].
pub mod schemas {
    use super::limits;
    use crate::schema as s;
    use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};

    /// A device's text: at most [`limits::DEVICE_TEXT`] characters, no NUL (any other character,
    /// line breaks included, is the device's own).
    pub fn text() -> Object {
        text_of(limits::DEVICE_TEXT)
    }
    fn text_of(max: usize) -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!(r"^[^\x00]{{0,{max}}}$")))
            .description(Some(format!("at most {max} characters, no NUL")))
            .build()
    }
    pub fn optional_text() -> Schema {
        s::nullable(text())
    }
    pub fn texts() -> Schema {
        s::array(text(), 0, usize::MAX)
    }
    pub fn address() -> Object {
        text_of(limits::ADDRESS)
    }
    pub fn percent() -> Schema {
        s::nullable(s::integer(0, i64::from(limits::MAX_PERCENT)))
    }
    pub fn meter_value() -> Object {
        s::integer(
            0,
            i64::try_from(limits::MAX_METER_VALUE).unwrap_or(i64::MAX),
        )
    }
    /// A batch's readings: at most [`super::MAX_BATCH_READINGS`].
    pub fn readings() -> Schema {
        s::array(
            utoipa::openapi::Ref::from_schema_name("Reading"),
            0,
            super::MAX_BATCH_READINGS,
        )
    }
    pub fn alert_time() -> Schema {
        s::nullable(s::integer(0, i64::from(u32::MAX)))
    }
}

impl Reading {
    /// The rules of [`limits`] that serde's types do not hold (lengths, NUL, ranges), and a meter
    /// read's rules for the meters' ids and names (trimmed in place, as a meter read's); `Err`
    /// names the first field that breaks one, such as `supplies[2].percent: must be at most 100`.
    /// The serial is checked (and normalised) by the caller as a [`crate::DeviceSerial`].
    pub fn check(&mut self) -> Result<(), String> {
        let text = |field: &str, v: &str, max: usize| -> Result<(), String> {
            if v.contains('\0') {
                return Err(format!("{field}: must not contain NUL"));
            }
            if v.chars().count() > max {
                return Err(format!("{field}: must be at most {max} characters"));
            }
            Ok(())
        };
        let t = |field: &str, v: &str| text(field, v, limits::DEVICE_TEXT);
        let opt = |field: &str, v: &Option<String>| v.as_deref().map_or(Ok(()), |v| t(field, v));
        text("address", &self.address, limits::ADDRESS)?;
        let id = &self.identity;
        opt("identity.model", &id.model)?;
        opt("identity.mac", &id.mac)?;
        opt("identity.sys_descr", &id.sys_descr)?;
        opt("identity.sys_object_id", &id.sys_object_id)?;
        opt("status.device", &self.status.device)?;
        opt("status.printer", &self.status.printer)?;
        for (i, e) in self.status.errors.iter().enumerate() {
            t(&format!("status.errors[{i}]"), e)?;
        }
        for (i, x) in self.supplies.iter().enumerate() {
            let f = |name: &str| format!("supplies[{i}].{name}");
            t(&f("index"), &x.index)?;
            t(&f("description"), &x.description)?;
            opt(&f("part_number"), &x.part_number)?;
            t(&f("type"), &x.kind)?;
            opt(&f("colorant"), &x.colorant)?;
            if x.percent.is_some_and(|p| p > limits::MAX_PERCENT) {
                return Err(format!(
                    "{}: must be at most {}",
                    f("percent"),
                    limits::MAX_PERCENT
                ));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, m) in self.meters.iter_mut().enumerate() {
            let f = |name: &str| format!("meters[{i}].{name}");
            let label = |field: String, v: &str, max: usize| {
                crate::Label::parse(v, max)
                    .map(crate::Label::into_string)
                    .map_err(|e| format!("{field}: {e}"))
            };
            m.id = label(f("id"), &m.id, crate::manager::limits::METER_ID)?;
            m.name = label(f("name"), &m.name, crate::manager::limits::METER_NAME)?;
            if !ids.insert(m.id.clone()) {
                return Err(format!("{}: {:?} appears more than once", f("id"), m.id));
            }
            t(&f("oid"), &m.oid)?;
            if m.value > limits::MAX_METER_VALUE {
                return Err(format!(
                    "{}: must be at most {}",
                    f("value"),
                    limits::MAX_METER_VALUE
                ));
            }
        }
        for (i, a) in self.alerts.iter().enumerate() {
            let f = |name: &str| format!("alerts[{i}].{name}");
            t(&f("index"), &a.index)?;
            t(&f("severity"), &a.severity)?;
            opt(&f("training_level"), &a.training_level)?;
            opt(&f("group"), &a.group)?;
            t(&f("code_name"), &a.code_name)?;
            t(&f("description"), &a.description)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading() -> Reading {
        serde_json::from_str(
            r#"{"reading_id": "01a228da-c628-75d1-a90a-79f7f54ca8c2", "read_at": "2026-11-29T10:00:00Z",
                "address": "192.0.2.7:161", "identity": {"serial": "XRX1"},
                "supplies": [{"index": "1.1", "description": "Black Toner", "type": "toner",
                              "class": "consumed", "percent": 40.0, "status": "ok"}],
                "meters": [{"id": "total", "name": "Total", "value": 1200.0, "oid": "1.3.6"}],
                "alerts": [{"index": "1.1", "severity": "warning", "code": 8, "code_name": "jam",
                            "description": "Paper jam\r\n", "time": 4294967295}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_reading_within_the_limits_passes_its_check() {
        assert_eq!(reading().check(), Ok(()));
        let mut r = reading();
        r.meters[0].id = " total ".into();
        assert_eq!(r.check(), Ok(()));
        assert_eq!(r.meters[0].id, "total");
        let mut r = reading();
        r.identity.sys_descr = Some("é".repeat(limits::DEVICE_TEXT));
        r.supplies[0].percent = Some(100);
        r.meters[0].value = limits::MAX_METER_VALUE;
        assert_eq!(r.check(), Ok(()));
    }

    #[test]
    fn each_limit_names_the_field_that_breaks_it() {
        let mut r = reading();
        r.identity.sys_descr = Some("x".repeat(limits::DEVICE_TEXT + 1));
        assert_eq!(
            r.check(),
            Err("identity.sys_descr: must be at most 255 characters".into())
        );
        let mut r = reading();
        r.supplies[0].percent = Some(101);
        assert_eq!(
            r.check(),
            Err("supplies[0].percent: must be at most 100".into())
        );
        let mut r = reading();
        r.meters[0].value = limits::MAX_METER_VALUE + 1;
        assert!(r.check().unwrap_err().starts_with("meters[0].value"));
        let mut r = reading();
        r.alerts[0].description = "a\0b".into();
        assert_eq!(
            r.check(),
            Err("alerts[0].description: must not contain NUL".into())
        );
        let mut r = reading();
        r.meters.push(r.meters[0].clone());
        assert_eq!(
            r.check(),
            Err(r#"meters[1].id: "total" appears more than once"#.into())
        );
        let mut r = reading();
        r.meters[0].name = " ".into();
        assert_eq!(r.check(), Err("meters[0].name: must not be empty".into()));
        let mut r = reading();
        r.address = "h".repeat(limits::ADDRESS + 1);
        assert!(r.check().unwrap_err().starts_with("address"));
    }

    #[test]
    fn the_schema_carries_the_checks_limits() {
        let pattern = |o: utoipa::openapi::schema::Object| o.pattern.unwrap();
        assert_eq!(pattern(schemas::text()), r"^[^\x00]{0,255}$");
        assert_eq!(pattern(schemas::address()), r"^[^\x00]{0,263}$");
        let value = serde_json::to_value(schemas::meter_value()).unwrap();
        assert_eq!(value["maximum"], 9_007_199_254_740_991_i64);
        let percent = serde_json::to_string(&schemas::percent()).unwrap();
        assert!(percent.contains(r#""maximum":100"#), "{percent}");
    }

    #[test]
    fn a_reading_is_made_of_json_objects() {
        let mut v: serde_json::Value = serde_json::to_value(reading()).unwrap();
        v["status"] = serde_json::json!([null, null]);
        assert!(serde_json::from_value::<Reading>(v).is_err());
    }

    #[test]
    fn the_batch_schema_carries_the_batch_limit() {
        let value = serde_json::to_value(schemas::readings()).unwrap();
        assert_eq!(value["maxItems"], MAX_BATCH_READINGS);
        assert_eq!(value["items"]["$ref"], "#/components/schemas/Reading");
    }

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
