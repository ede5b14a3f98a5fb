//! Wire types of the manager's REST API: the shared ones from `proto::manager` (requests,
//! views and the submission rules), and how the manager's storage rows become views.

use crate::storage::{Customer, Device, Incident, MeterRead, StatusChange};
pub use proto::manager::*;
pub use proto::problem::{FieldProblem, Fields, Problem};

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

/// An incident without contact details or history (for lists and create responses).
pub fn incident_summary(i: &Incident) -> IncidentView {
    IncidentView {
        number: i.number.to_string(),
        kind: i.kind,
        status: i.status,
        source: i.source,
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

/// An incident with its contact (until retention removed it) and its history.
pub fn incident_full(i: &Incident, history: &[StatusChange]) -> IncidentView {
    IncidentView {
        contact: i.contact.as_ref().map(ContactBody::from),
        history: history.iter().map(StatusChangeView::from).collect(),
        ..incident_summary(i)
    }
}

impl From<&MeterRead> for MeterReadView {
    fn from(r: &MeterRead) -> Self {
        Self {
            id: r.id,
            number: r.number.to_string(),
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

impl From<&Customer> for CustomerView {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
        }
    }
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
