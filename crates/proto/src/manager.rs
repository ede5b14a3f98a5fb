//! The Services Manager's REST API (JSON): requests, views, and the rules every submission
//! follows. Requests carry plain strings and are parsed into checked values by `validate`, so
//! that every refusal names the field that is wrong. The assistant applies the same `validate`
//! before it accepts anything from a person, so both services refuse the same things.

use crate::ids::DeviceSerial;
use crate::incident::{IncidentKind, IncidentStatus, MeterSource};
use crate::pii::{Contact, ContactName, EmailAddress, PhoneNumber};
use crate::problem::{FieldProblem, Fields};
use crate::text::{FreeText, IssueCode, Label};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The header that makes a create idempotent.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The limits of a submission, in one place.
pub mod limits {
    /// Characters of a partner's ticket reference (`TicketReference`).
    pub const TICKET_REFERENCE: usize = 64;
    /// Supplies in one supply incident.
    pub const MAX_SUPPLIES: usize = 20;
    /// Characters of a supply's description.
    pub const SUPPLY_DESCRIPTION: usize = 200;
    /// Characters of a part number.
    pub const PART_NUMBER: usize = 64;
    /// Characters of a colorant name.
    pub const COLORANT: usize = 64;
    /// Highest supply level in percent.
    pub const MAX_LEVEL_PERCENT: u8 = 100;
    /// Meters in one meter read.
    pub const MAX_METERS: usize = 200;
    /// Highest meter value: 2^53 − 1, the largest integer every JSON reader keeps exactly
    /// (RFC 8259 §6), so a value is the same number in every client.
    pub const MAX_METER_VALUE: i64 = 9_007_199_254_740_991;
    /// Characters of a meter's id.
    pub const METER_ID: usize = 64;
    /// Characters of a meter's name.
    pub const METER_NAME: usize = 100;
    /// Characters of who changed a status.
    pub const ACTOR: usize = 100;
    /// Characters of a device model.
    pub const MODEL: usize = 100;
    /// Characters of a device location.
    pub const LOCATION: usize = 200;
    /// Characters of a customer name.
    pub const CUSTOMER_NAME: usize = 200;
    /// Characters of an `Idempotency-Key`.
    pub const IDEMPOTENCY_KEY: usize = 255;
    /// Most items one list answer holds (`?limit=`), and the default.
    pub const MAX_LIST: u32 = 5000;
    pub const DEFAULT_LIST: u32 = 1000;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactBody {
    /// 1–100 characters.
    #[schema(schema_with = schemas::contact_name)]
    pub name: String,
    #[schema(schema_with = schemas::email)]
    pub email: String,
    /// E.164 or national with `+ ( ) -` and spaces, 6–20 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = schemas::phone)]
    pub phone: Option<String>,
}

/// The schemas of the request fields, from [`crate::schema`] and the [`limits`] the checks use.
pub mod schemas {
    use super::limits;
    use crate::schema as s;
    use utoipa::openapi::schema::{Object, Schema};

    pub fn contact_name() -> Object {
        s::label(crate::ContactName::MAX)
    }
    pub fn email() -> Object {
        s::email()
    }
    pub fn phone() -> Schema {
        s::nullable(s::phone())
    }
    pub fn device_serial() -> Object {
        s::device_serial()
    }
    pub fn kind() -> Object {
        s::one_of(&["service", "supply"])
    }
    pub fn issue_code() -> Schema {
        s::nullable(s::issue_code())
    }
    pub fn description() -> Object {
        s::free_text(crate::FreeText::MAX)
    }
    pub fn supply_description() -> Object {
        s::label(limits::SUPPLY_DESCRIPTION)
    }
    pub fn part_number() -> Schema {
        s::nullable(s::label(limits::PART_NUMBER))
    }
    pub fn colorant() -> Schema {
        s::nullable(s::label(limits::COLORANT))
    }
    pub fn level_percent() -> Schema {
        s::nullable(s::integer(0, i64::from(limits::MAX_LEVEL_PERCENT)))
    }
    pub fn supplies() -> Schema {
        s::array(
            crate::schema::reference("SupplyItem"),
            0,
            limits::MAX_SUPPLIES,
        )
    }
    pub fn status() -> Object {
        s::one_of(&crate::IncidentStatus::ALL.map(|st| st.as_str()))
    }
    pub fn actor() -> Object {
        s::label(limits::ACTOR)
    }
    pub fn ticket_reference() -> Object {
        s::label(limits::TICKET_REFERENCE)
    }
    pub fn comment() -> Object {
        s::free_text(crate::FreeText::MAX)
    }
    pub fn meter_id() -> Object {
        s::label(limits::METER_ID)
    }
    pub fn meter_name() -> Object {
        s::label(limits::METER_NAME)
    }
    pub fn meter_value() -> Object {
        s::integer(0, limits::MAX_METER_VALUE)
    }
    pub fn meters() -> Schema {
        s::array(
            crate::schema::reference("MeterValueBody"),
            1,
            limits::MAX_METERS,
        )
    }
    pub fn source() -> Object {
        s::one_of(&["walk_up", "automatic"])
    }
    pub fn read_at() -> Object {
        s::date_time()
    }
    pub fn customer_name() -> Object {
        s::label(limits::CUSTOMER_NAME)
    }
    pub fn model() -> Object {
        s::label(limits::MODEL)
    }
    pub fn location() -> Object {
        s::label(limits::LOCATION)
    }
}

impl From<&Contact> for ContactBody {
    fn from(c: &Contact) -> Self {
        Self {
            name: c.name.expose().to_string(),
            email: c.email.expose().to_string(),
            phone: c.phone.as_ref().map(|p| p.expose().to_string()),
        }
    }
}

impl ContactBody {
    /// Parses the contact, naming wrong fields under `prefix` (e.g. `contact.`).
    pub fn check(&self, prefix: &str, f: &mut Fields) -> Option<Contact> {
        let name = f.check(&format!("{prefix}name"), ContactName::parse(&self.name));
        let email = f.check(&format!("{prefix}email"), EmailAddress::parse(&self.email));
        let phone = match self.phone.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => f
                .check(&format!("{prefix}phone"), PhoneNumber::parse(p))
                .map(Some),
            _ => Some(None),
        };
        Some(Contact {
            name: name?,
            email: email?,
            phone: phone?,
        })
    }

    pub fn validate(&self) -> Result<Contact, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let c = self.check("", &mut f);
        f.finish(c)
    }
}

/// One supply asked for in a supply incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupplyItem {
    /// As the device reports it, e.g. "Black Toner Cartridge" (1–200 characters).
    #[schema(schema_with = schemas::supply_description)]
    pub description: String,
    /// At most 64 characters.
    #[serde(default)]
    #[schema(schema_with = schemas::part_number)]
    pub part_number: Option<String>,
    /// At most 64 characters.
    #[serde(default)]
    #[schema(schema_with = schemas::colorant)]
    pub colorant: Option<String>,
    /// Level in percent (0–100) when the supply was requested, if the device reports one.
    #[serde(default, deserialize_with = "crate::text::whole::optional")]
    #[schema(schema_with = schemas::level_percent)]
    pub level_percent: Option<u8>,
}

/// Checks the supplies of a supply incident: count, lengths, control characters, levels.
/// Returns the cleaned items (trimmed) of those that pass.
pub fn check_supplies(supplies: &[SupplyItem], f: &mut Fields) -> Vec<SupplyItem> {
    if supplies.len() > limits::MAX_SUPPLIES {
        f.push(
            "supplies",
            format!(
                "at most {} supplies are allowed per incident",
                limits::MAX_SUPPLIES
            ),
        );
    }
    let optional = |f: &mut Fields, field: String, v: &Option<String>, max: usize| match v {
        Some(p) => f
            .check(&field, Label::parse(p, max))
            .map(|l| Some(l.into_string())),
        None => Some(None),
    };
    let mut out = Vec::with_capacity(supplies.len());
    for (i, s) in supplies.iter().enumerate() {
        let d = f.check(
            &format!("supplies[{i}].description"),
            Label::parse(&s.description, limits::SUPPLY_DESCRIPTION),
        );
        let part = optional(
            f,
            format!("supplies[{i}].part_number"),
            &s.part_number,
            limits::PART_NUMBER,
        );
        let colorant = optional(
            f,
            format!("supplies[{i}].colorant"),
            &s.colorant,
            limits::COLORANT,
        );
        if s.level_percent
            .is_some_and(|l| l > limits::MAX_LEVEL_PERCENT)
        {
            f.push(&format!("supplies[{i}].level_percent"), "must be 0 to 100");
        }
        if let (Some(d), Some(part_number), Some(colorant)) = (d, part, colorant) {
            out.push(SupplyItem {
                description: d.into_string(),
                part_number,
                colorant,
                level_percent: s.level_percent,
            });
        }
    }
    out
}

/// Its schema is written out below (not derived): a service incident needs an issue code or a
/// description, a supply incident at least one supply, which a derived object cannot say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateIncidentRequest {
    pub device_serial: String,
    /// `service` or `supply`.
    pub kind: String,
    /// For service incidents: the common issue picked, e.g. `paper_jam`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_code: Option<String>,
    /// At most 2000 characters.
    #[serde(default)]
    pub description: String,
    /// For supply incidents: what is requested (at most 20).
    #[serde(default)]
    pub supplies: Vec<SupplyItem>,
    pub contact: ContactBody,
}

impl utoipa::PartialSchema for CreateIncidentRequest {
    /// Any of: a service incident with an issue code, a service incident with a description
    /// that is not blank, a supply incident with 1–20 supplies.
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::schema as s;
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        let branch = |kind: &str,
                      required: &[&str],
                      issue: Schema,
                      description: Schema,
                      supplies: Schema| {
            let mut b = ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("device_serial", schemas::device_serial())
                .property("kind", s::one_of(&[kind]))
                .property("issue_code", issue)
                .property("description", description)
                .property("supplies", supplies)
                .property("contact", s::reference("ContactBody"));
            for r in ["device_serial", "kind", "contact"].iter().chain(required) {
                b = b.required(*r);
            }
            Schema::Object(b.build()).into()
        };
        let some_supplies = s::array(s::reference("SupplyItem"), 1, limits::MAX_SUPPLIES);
        s::any_of(vec![
            branch(
                "service",
                &["issue_code"],
                Schema::Object(s::issue_code()),
                Schema::Object(schemas::description()),
                schemas::supplies(),
            ),
            branch(
                "service",
                &["description"],
                schemas::issue_code(),
                Schema::Object(s::non_blank_text(crate::FreeText::MAX)),
                schemas::supplies(),
            ),
            branch(
                "supply",
                &["supplies"],
                schemas::issue_code(),
                Schema::Object(schemas::description()),
                some_supplies,
            ),
        ])
        .into()
    }
}

impl ToSchema for CreateIncidentRequest {}

/// A checked incident, ready to be stored.
#[derive(Debug, Clone)]
pub struct IncidentSubmission {
    pub device_serial: DeviceSerial,
    pub kind: IncidentKind,
    pub issue_code: Option<IssueCode>,
    pub description: FreeText,
    pub supplies: Vec<SupplyItem>,
    pub contact: Contact,
}

impl CreateIncidentRequest {
    pub fn validate(&self) -> Result<IncidentSubmission, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let serial = f.check("device_serial", DeviceSerial::parse(&self.device_serial));
        let kind = f.check("kind", IncidentKind::parse(&self.kind));
        let issue_code = match &self.issue_code {
            Some(c) => f.check("issue_code", IssueCode::parse(c)).map(Some),
            None => Some(None),
        };
        let description = f.check("description", FreeText::parse(&self.description));
        let contact = self.contact.check("contact.", &mut f);
        let supplies = check_supplies(&self.supplies, &mut f);
        match kind {
            Some(IncidentKind::Supply) if self.supplies.is_empty() => {
                f.push("supplies", "a supply incident needs at least one supply")
            }
            Some(IncidentKind::Service)
                if self.issue_code.is_none() && self.description.trim().is_empty() =>
            {
                f.push(
                    "issue_code",
                    "a service incident needs an issue code or a description",
                )
            }
            _ => {}
        }
        let value = (|| {
            Some(IncidentSubmission {
                device_serial: serial?,
                kind: kind?,
                issue_code: issue_code?,
                description: description?,
                supplies,
                contact: contact?,
            })
        })();
        f.finish(value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChangeView {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from: Option<IncidentStatus>,
    pub to: IncidentStatus,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentView {
    /// Such as `SR-2026-000123`.
    pub number: String,
    pub kind: IncidentKind,
    pub status: IncidentStatus,
    /// walk_up (a person at the panel) or automatic (a supply order or printer alert of the fleet policies).
    #[serde(default)]
    pub source: crate::IncidentSource,
    pub device_serial: String,
    pub customer_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_code: Option<String>,
    pub description: String,
    pub supplies: Vec<SupplyItem>,
    /// Only when one incident is fetched, and only until the retention job removed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactBody>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Only when one incident is fetched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<StatusChangeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeStatusRequest {
    /// open, acknowledged, dispatched, resolved, closed or cancelled.
    #[schema(schema_with = schemas::status)]
    pub status: String,
    /// Who made the change (a name or e-mail of the technician, or a system).
    #[schema(schema_with = schemas::actor)]
    pub actor: String,
    #[serde(default)]
    #[schema(schema_with = schemas::comment)]
    pub comment: String,
}

impl ChangeStatusRequest {
    pub fn validate(&self) -> Result<(IncidentStatus, Label, FreeText), Vec<FieldProblem>> {
        let mut f = Fields::default();
        let s = f.check("status", IncidentStatus::parse(&self.status));
        let a = f.check("actor", Label::parse(&self.actor, limits::ACTOR));
        let c = f.check("comment", FreeText::parse(&self.comment));
        let v = (|| Some((s?, a?, c?)))();
        f.finish(v)
    }
}

/// The partner's own ticket number for an incident (the app configuration's help-desk override):
/// the partner's help desk sets it, e.g. its webhook receiver after `incident.created`, and the
/// confirmation e-mail then shows it instead of the incident number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketReference {
    /// 1–64 characters without control characters, e.g. `HD-4711`.
    #[schema(schema_with = schemas::ticket_reference, example = "HD-4711")]
    pub reference: String,
}

impl TicketReference {
    pub fn validate(&self) -> Result<Label, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let r = f.check(
            "reference",
            Label::parse(&self.reference, limits::TICKET_REFERENCE),
        );
        f.finish(r)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeterValueBody {
    /// The meter's id on the device, e.g. `101` or `total`.
    #[schema(schema_with = schemas::meter_id)]
    pub id: String,
    #[schema(schema_with = schemas::meter_name)]
    pub name: String,
    /// Not negative, and not below the previous read of the same meter.
    #[schema(schema_with = schemas::meter_value)]
    #[serde(deserialize_with = "crate::text::whole::number")]
    pub value: i64,
}

/// One checked meter value (its JSON is `{"id", "name", "value"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterValue {
    pub id: String,
    pub name: String,
    pub value: i64,
}

/// The Services Manager's answer when the device named is not in the partner's fleet (the
/// gallery may know a device its partner has not registered in the manager yet). Clients tell it
/// apart with [`names_unknown_device`].
pub fn unknown_device() -> FieldProblem {
    FieldProblem::new("device_serial", "no such device in this partner's fleet")
}

/// Whether a refusal by the Services Manager says the device is not in the partner's fleet.
pub fn names_unknown_device(problem: &crate::Problem) -> bool {
    problem.errors.iter().any(|e| e.field == "device_serial")
}

/// The monotonic meter rule, which only the Services Manager can check (it holds the previous
/// read): a value below the previous read of the same meter is refused, naming the meter, unless
/// the read is marked as a meter replacement.
pub fn meter_below_previous(meter_id: &str, previous: i64, value: i64) -> FieldProblem {
    FieldProblem::new(
        "meters",
        format!(
            "meter {meter_id}: value {value} is below the previous read ({previous}); mark the read as a meter replacement if the meter was replaced"
        ),
    )
}

/// Checks the meters of a read: count, ids and names, no negative values, no id twice.
pub fn check_meters(meters: &[MeterValueBody], f: &mut Fields) -> Vec<MeterValue> {
    if meters.is_empty() {
        f.push("meters", "at least one meter is needed");
    }
    if meters.len() > limits::MAX_METERS {
        f.push(
            "meters",
            format!("at most {} meters are allowed per read", limits::MAX_METERS),
        );
    }
    let mut out = Vec::with_capacity(meters.len());
    let mut seen = std::collections::HashSet::new();
    for (i, m) in meters.iter().enumerate() {
        let id = f.check(
            &format!("meters[{i}].id"),
            Label::parse(&m.id, limits::METER_ID),
        );
        let name = f.check(
            &format!("meters[{i}].name"),
            Label::parse(&m.name, limits::METER_NAME),
        );
        if m.value < 0 {
            f.push(&format!("meters[{i}].value"), "must not be negative");
        } else if m.value > limits::MAX_METER_VALUE {
            f.push(
                &format!("meters[{i}].value"),
                format!("must be at most {}", limits::MAX_METER_VALUE),
            );
        }
        if let (Some(id), Some(name)) = (id, name) {
            if !seen.insert(id.as_str().to_string()) {
                f.push(&format!("meters[{i}].id"), "appears twice in this read");
            }
            out.push(MeterValue {
                id: id.into_string(),
                name: name.into_string(),
                value: m.value,
            });
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordMeterReadRequest {
    pub read_at: DateTime<Utc>,
    /// `walk_up` or `automatic`.
    #[schema(schema_with = schemas::source)]
    pub source: String,
    /// True when a meter was replaced, so values may be lower than before.
    #[serde(default)]
    pub meter_replacement: bool,
    /// 1–200 meters, each id once.
    #[schema(schema_with = schemas::meters)]
    pub meters: Vec<MeterValueBody>,
}

/// A checked meter read, ready to be stored.
#[derive(Debug, Clone)]
pub struct MeterReadSubmission {
    pub device_serial: DeviceSerial,
    pub read_at: DateTime<Utc>,
    pub source: MeterSource,
    pub meter_replacement: bool,
    pub meters: Vec<MeterValue>,
}

impl RecordMeterReadRequest {
    pub fn validate(&self, serial: DeviceSerial) -> Result<MeterReadSubmission, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let source = f.check("source", MeterSource::parse(&self.source));
        let meters = check_meters(&self.meters, &mut f);
        let v = source.map(|source| MeterReadSubmission {
            device_serial: serial,
            read_at: self.read_at,
            source,
            meter_replacement: self.meter_replacement,
            meters,
        });
        f.finish(v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeterReadView {
    pub id: Uuid,
    /// The number a person can quote, such as `MR-2026-000123` (per partner, like incident numbers).
    pub number: String,
    pub device_serial: String,
    pub read_at: DateTime<Utc>,
    pub source: MeterSource,
    pub meter_replacement: bool,
    pub meters: Vec<MeterValueBody>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateCustomerRequest {
    #[schema(schema_with = schemas::customer_name)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerView {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateDeviceRequest {
    pub customer_id: Uuid,
    #[schema(schema_with = schemas::device_serial)]
    pub serial: String,
    #[schema(schema_with = schemas::model)]
    pub model: String,
    #[schema(schema_with = schemas::location)]
    pub location: String,
}

/// A checked device, ready to be stored.
#[derive(Debug, Clone)]
pub struct DeviceSubmission {
    pub customer_id: Uuid,
    pub serial: DeviceSerial,
    pub model: Label,
    pub location: Label,
}

impl CreateDeviceRequest {
    pub fn validate(&self) -> Result<DeviceSubmission, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let serial = f.check("serial", DeviceSerial::parse(&self.serial));
        let model = f.check("model", Label::parse(&self.model, limits::MODEL));
        let location = f.check("location", Label::parse(&self.location, limits::LOCATION));
        let v = (|| {
            Some(DeviceSubmission {
                customer_id: self.customer_id,
                serial: serial?,
                model: model?,
                location: location?,
            })
        })();
        f.finish(v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    pub serial: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub model: String,
    pub location: String,
}

/// `?since=` for lists: RFC 3339 time; default 30 days ago. `?limit=`: 1–5000, default 1000.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
pub struct SinceQuery {
    #[serde(default)]
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    #[serde(default)]
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateIncidentRequest {
        CreateIncidentRequest {
            device_serial: "SN-1".into(),
            kind: "service".into(),
            issue_code: Some("paper_jam".into()),
            description: "stuck".into(),
            supplies: vec![],
            contact: ContactBody {
                name: "Ana".into(),
                email: "ana@example.com".into(),
                phone: None,
            },
        }
    }

    #[test]
    fn create_incident_validation_names_every_wrong_field() {
        assert!(request().validate().is_ok());
        let mut r = request();
        r.contact.email = "nope".into();
        r.contact.phone = Some("12".into());
        r.device_serial = "a/b".into();
        let errs = r.validate().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["device_serial", "contact.email", "contact.phone"]
        );
    }

    #[test]
    fn supply_incident_needs_supplies_and_levels_are_percentages() {
        let mut r = request();
        r.kind = "supply".into();
        assert_eq!(r.validate().unwrap_err()[0].field, "supplies");
        r.supplies = vec![SupplyItem {
            description: "Toner".into(),
            part_number: None,
            colorant: None,
            level_percent: Some(101),
        }];
        assert_eq!(
            r.validate().unwrap_err()[0].field,
            "supplies[0].level_percent"
        );
    }

    #[test]
    fn supply_part_numbers_and_counts_are_limited() {
        let item = SupplyItem {
            description: "Toner".into(),
            part_number: Some("x".repeat(65)),
            colorant: Some("bl\u{7}ack".into()),
            level_percent: Some(100),
        };
        let mut f = Fields::default();
        check_supplies(&vec![item; 21], &mut f);
        let fields: Vec<&str> = f.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields[0], "supplies");
        assert!(fields.contains(&"supplies[0].part_number"));
        assert!(fields.contains(&"supplies[20].colorant"));
    }

    #[test]
    fn meter_read_validation_refuses_negative_and_duplicate_meters() {
        let r = RecordMeterReadRequest {
            read_at: Utc::now(),
            source: "walk_up".into(),
            meter_replacement: false,
            meters: vec![
                MeterValueBody {
                    id: "1".into(),
                    name: "Total".into(),
                    value: -1,
                },
                MeterValueBody {
                    id: "1".into(),
                    name: "Total".into(),
                    value: 5,
                },
            ],
        };
        let errs = r.validate(DeviceSerial::parse("X").unwrap()).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["meters[0].value", "meters[1].id"]);
    }

    #[test]
    fn meter_counts_are_limited_both_ways() {
        let mut f = Fields::default();
        check_meters(&[], &mut f);
        assert_eq!(f.0[0].detail, "at least one meter is needed");
        let many: Vec<MeterValueBody> = (0..201)
            .map(|i| MeterValueBody {
                id: i.to_string(),
                name: "m".into(),
                value: 1,
            })
            .collect();
        let mut f = Fields::default();
        check_meters(&many, &mut f);
        assert_eq!(f.0[0].detail, "at most 200 meters are allowed per read");
    }
}
