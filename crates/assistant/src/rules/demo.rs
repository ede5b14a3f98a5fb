//! Demo Mode: sample incidents and sample confirmation numbers. While a device's Demo Mode is on,
//! nothing reaches the Services Manager or a mailbox, but everything else follows the device: its
//! own supplies and meters (a mono device shows black toner only; the weblet reads the device as
//! without Demo Mode) and its own entitlements and permissions (a device without a supplies
//! contract offers no supply requests in Demo Mode either). Every number made up here starts
//! with `DEMO-`, so nobody takes one for a real incident or meter read.

use chrono::{DateTime, Duration, Utc};
use proto::manager::{IncidentView, StatusChangeView};
use proto::{IncidentKind, IncidentStatus};
use uuid::Uuid;

use super::Accepted;
use crate::store::SubmissionKind;

pub const DEMO_SERIAL: &str = "DEMO0000001";

/// The mark every made-up number starts with.
pub const DEMO_PREFIX: &str = "DEMO-";

pub fn incidents(now: DateTime<Utc>) -> Vec<IncidentView> {
    let make = |n: u32,
                kind: IncidentKind,
                status: IncidentStatus,
                days: i64,
                issue: Option<&str>,
                text: &str| IncidentView {
        number: format!("{DEMO_PREFIX}SR-{n:06}"),
        kind,
        status,
        source: Default::default(),
        device_serial: DEMO_SERIAL.into(),
        customer_id: Uuid::nil(),
        issue_code: issue.map(str::to_string),
        description: text.into(),
        supplies: Vec::new(),
        contact: None,
        created_at: now - Duration::days(days),
        updated_at: now - Duration::days(days),
        closed_at: None,
        history: Vec::<StatusChangeView>::new(),
    };
    vec![
        make(
            3,
            IncidentKind::Service,
            IncidentStatus::Dispatched,
            2,
            Some("paper_jam"),
            "DEMO: paper jams in tray 2",
        ),
        make(
            2,
            IncidentKind::Supply,
            IncidentStatus::Acknowledged,
            6,
            None,
            "DEMO: black toner",
        ),
        make(
            1,
            IncidentKind::Service,
            IncidentStatus::Closed,
            19,
            Some("print_quality"),
            "DEMO: streaks on copies",
        ),
    ]
}

pub fn accepted(kind: SubmissionKind, now: DateTime<Utc>) -> Accepted {
    let n = match kind {
        SubmissionKind::ServiceIncident => "SR-000004",
        SubmissionKind::SupplyIncident => "SR-000005",
        SubmissionKind::MeterRead => "MR-000001",
    };
    Accepted {
        reference: format!("{DEMO_PREFIX}REF-000001"),
        incident_number: Some(format!("{DEMO_PREFIX}{n}")),
        created_at: now,
        status: "demo".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_made_up_number_starts_with_demo() {
        let now = chrono::Utc::now();
        for i in incidents(now) {
            assert!(i.number.starts_with(DEMO_PREFIX), "{}", i.number);
        }
        for kind in [
            SubmissionKind::ServiceIncident,
            SubmissionKind::SupplyIncident,
            SubmissionKind::MeterRead,
        ] {
            let a = accepted(kind, now);
            assert!(a.reference.starts_with(DEMO_PREFIX), "{}", a.reference);
            let n = a.incident_number.unwrap_or_default();
            assert!(n.starts_with(DEMO_PREFIX), "{n}");
        }
    }
}
