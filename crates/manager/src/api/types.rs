//! Wire types of the manager's REST API (JSON), shared with its callers (`crate::client`).
//! Requests carry plain strings and are parsed into domain types by `validate`, so that every
//! refusal names the field that is wrong.

use crate::domain::{
    Contact, ContactName, DeviceSerial, EmailAddress, FreeText, IncidentKind, IncidentStatus,
    IssueCode, Label, MeterSource, PhoneNumber,
};
use crate::storage::{
    Customer, Device, Incident, MeterRead, MeterValue, NewDevice, NewIncident, NewMeterRead,
    StatusChange, SupplyRequest,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One wrong field in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// Path of the field, e.g. `contact.email` or `meters[0].value`.
    pub field: String,
    pub detail: String,
}

/// RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The first (or only) wrong field, if the problem is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every wrong field, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// Collects field problems while parsing a request.
#[derive(Debug, Default)]
pub struct Fields(pub Vec<FieldProblem>);

impl Fields {
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldProblem {
                    field: field.to_string(),
                    detail: e.to_string(),
                });
                None
            }
        }
    }
    pub fn push(&mut self, field: &str, detail: impl Into<String>) {
        self.0.push(FieldProblem {
            field: field.to_string(),
            detail: detail.into(),
        });
    }
    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldProblem>> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactBody {
    /// 1–100 characters.
    pub name: String,
    pub email: String,
    /// E.164 or national with `+ ( ) -` and spaces, 6–20 digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
    /// For supply incidents: what is requested.
    #[serde(default)]
    pub supplies: Vec<SupplyRequest>,
    pub contact: ContactBody,
}

impl CreateIncidentRequest {
    pub fn validate(&self) -> Result<NewIncident, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let serial = f.check("device_serial", DeviceSerial::parse(&self.device_serial));
        let kind = f.check("kind", IncidentKind::parse(&self.kind));
        let issue_code = match &self.issue_code {
            Some(c) => f.check("issue_code", IssueCode::parse(c)).map(Some),
            None => Some(None),
        };
        let description = f.check("description", FreeText::parse(&self.description));
        let name = f.check("contact.name", ContactName::parse(&self.contact.name));
        let email = f.check("contact.email", EmailAddress::parse(&self.contact.email));
        let phone = match self.contact.phone.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => f.check("contact.phone", PhoneNumber::parse(p)).map(Some),
            _ => Some(None),
        };
        if self.supplies.len() > 20 {
            f.push("supplies", "at most 20 supplies per incident");
        }
        let mut supplies = Vec::with_capacity(self.supplies.len());
        for (i, s) in self.supplies.iter().enumerate() {
            let d = f.check(
                &format!("supplies[{i}].description"),
                Label::parse(&s.description, 200),
            );
            let part = match &s.part_number {
                Some(p) => f
                    .check(&format!("supplies[{i}].part_number"), Label::parse(p, 64))
                    .map(|l| Some(l.into_string())),
                None => Some(None),
            };
            let colorant = match &s.colorant {
                Some(c) => f
                    .check(&format!("supplies[{i}].colorant"), Label::parse(c, 64))
                    .map(|l| Some(l.into_string())),
                None => Some(None),
            };
            if s.level_percent.is_some_and(|l| l > 100) {
                f.push(&format!("supplies[{i}].level_percent"), "must be 0 to 100");
            }
            if let (Some(d), Some(part_number), Some(colorant)) = (d, part, colorant) {
                supplies.push(SupplyRequest {
                    description: d.into_string(),
                    part_number,
                    colorant,
                    level_percent: s.level_percent,
                });
            }
        }
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
            Some(NewIncident {
                device_serial: serial?,
                kind: kind?,
                issue_code: issue_code?,
                description: description?,
                supplies,
                contact: Contact {
                    name: name?,
                    email: email?,
                    phone: phone?,
                },
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

impl From<&StatusChange> for StatusChangeView {
    fn from(c: &StatusChange) -> Self {
        Self {
            at: c.at,
            actor: c.actor.clone(),
            from: c.from,
            to: c.to,
            comment: c.comment.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IncidentView {
    /// Such as `SR-2026-000123`.
    pub number: String,
    pub kind: IncidentKind,
    pub status: IncidentStatus,
    pub device_serial: String,
    pub customer_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_code: Option<String>,
    pub description: String,
    pub supplies: Vec<SupplyRequest>,
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

impl IncidentView {
    /// Without contact details or history (for lists and create responses).
    pub fn summary(i: &Incident) -> Self {
        Self {
            number: i.number.to_string(),
            kind: i.kind,
            status: i.status,
            device_serial: i.device_serial.to_string(),
            customer_id: i.customer_id,
            issue_code: i.issue_code.clone(),
            description: i.description.clone(),
            supplies: i.supplies.clone(),
            contact: None,
            created_at: i.created_at,
            updated_at: i.updated_at,
            closed_at: i.closed_at,
            history: vec![],
        }
    }
    pub fn full(i: &Incident, history: &[StatusChange]) -> Self {
        Self {
            contact: i.contact.as_ref().map(ContactBody::from),
            history: history.iter().map(StatusChangeView::from).collect(),
            ..Self::summary(i)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeStatusRequest {
    /// open, acknowledged, dispatched, resolved, closed or cancelled.
    pub status: String,
    /// Who made the change (a name or e-mail of the technician, or a system).
    pub actor: String,
    #[serde(default)]
    pub comment: String,
}

impl ChangeStatusRequest {
    pub fn validate(&self) -> Result<(IncidentStatus, Label, FreeText), Vec<FieldProblem>> {
        let mut f = Fields::default();
        let s = f.check("status", IncidentStatus::parse(&self.status));
        let a = f.check("actor", Label::parse(&self.actor, 100));
        let c = f.check("comment", FreeText::parse(&self.comment));
        let v = (|| Some((s?, a?, c?)))();
        f.finish(v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeterValueBody {
    /// The meter's id on the device, e.g. `101` or `total`.
    pub id: String,
    pub name: String,
    /// Not negative, and not below the previous read of the same meter.
    pub value: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordMeterReadRequest {
    pub read_at: DateTime<Utc>,
    /// `walk_up` or `automatic`.
    pub source: String,
    /// True when a meter was replaced, so values may be lower than before.
    #[serde(default)]
    pub meter_replacement: bool,
    pub meters: Vec<MeterValueBody>,
}

impl RecordMeterReadRequest {
    pub fn validate(&self, serial: DeviceSerial) -> Result<NewMeterRead, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let source = f.check("source", MeterSource::parse(&self.source));
        if self.meters.is_empty() {
            f.push("meters", "at least one meter is needed");
        }
        if self.meters.len() > 200 {
            f.push("meters", "at most 200 meters per read");
        }
        let mut meters = Vec::with_capacity(self.meters.len());
        let mut seen = std::collections::HashSet::new();
        for (i, m) in self.meters.iter().enumerate() {
            let id = f.check(&format!("meters[{i}].id"), Label::parse(&m.id, 64));
            let name = f.check(&format!("meters[{i}].name"), Label::parse(&m.name, 100));
            if m.value < 0 {
                f.push(&format!("meters[{i}].value"), "must not be negative");
            }
            if let (Some(id), Some(name)) = (id, name) {
                if !seen.insert(id.as_str().to_string()) {
                    f.push(&format!("meters[{i}].id"), "appears twice in this read");
                }
                meters.push(MeterValue {
                    id: id.into_string(),
                    name: name.into_string(),
                    value: m.value,
                });
            }
        }
        let v = source.map(|source| NewMeterRead {
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
    pub device_serial: String,
    pub read_at: DateTime<Utc>,
    pub source: MeterSource,
    pub meter_replacement: bool,
    pub meters: Vec<MeterValueBody>,
    pub created_at: DateTime<Utc>,
}

impl From<&MeterRead> for MeterReadView {
    fn from(r: &MeterRead) -> Self {
        Self {
            id: r.id,
            device_serial: r.device_serial.to_string(),
            read_at: r.read_at,
            source: r.source,
            meter_replacement: r.meter_replacement,
            meters: r
                .meters
                .iter()
                .map(|m| MeterValueBody {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    value: m.value,
                })
                .collect(),
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateCustomerRequest {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerView {
    pub id: Uuid,
    pub name: String,
}

impl From<&Customer> for CustomerView {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateDeviceRequest {
    pub customer_id: Uuid,
    pub serial: String,
    pub model: String,
    pub location: String,
}

impl CreateDeviceRequest {
    pub fn validate(&self) -> Result<NewDevice, Vec<FieldProblem>> {
        let mut f = Fields::default();
        let serial = f.check("serial", DeviceSerial::parse(&self.serial));
        let model = f.check("model", Label::parse(&self.model, 100));
        let location = f.check("location", Label::parse(&self.location, 200));
        let v = (|| {
            Some(NewDevice {
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

impl From<&Device> for DeviceView {
    fn from(d: &Device) -> Self {
        Self {
            serial: d.serial.to_string(),
            customer_id: d.customer_id,
            customer_name: d.customer_name.clone(),
            model: d.model.clone(),
            location: d.location.clone(),
        }
    }
}

/// `?since=` for lists: RFC 3339 time; default 30 days ago.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
pub struct SinceQuery {
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
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
        r.supplies = vec![SupplyRequest {
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
}
