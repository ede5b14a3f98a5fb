//! Demo Mode: a fixed fake data set. While a device's Demo Mode is on, every answer comes from here
//! and nothing reaches the Services Manager or a mailbox.

use chrono::{DateTime, Duration, Utc};
use printer::{DeviceReport, FleetMeter, FleetSupply, Identity, SupplyClass, SupplyStatus};
use proto::manager::{IncidentView, StatusChangeView};
use proto::{IncidentKind, IncidentStatus};
use uuid::Uuid;

use super::Accepted;
use crate::store::SubmissionKind;

pub const DEMO_SERIAL: &str = "DEMO0000001";

pub fn incidents(now: DateTime<Utc>) -> Vec<IncidentView> {
    let make = |n: u32,
                kind: IncidentKind,
                status: IncidentStatus,
                days: i64,
                issue: Option<&str>,
                text: &str| IncidentView {
        number: format!("SR-{}-{n:06}", now.format("%Y")),
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
            900_003,
            IncidentKind::Service,
            IncidentStatus::Dispatched,
            2,
            Some("paper_jam"),
            "DEMO: paper jams in tray 2",
        ),
        make(
            900_002,
            IncidentKind::Supply,
            IncidentStatus::Acknowledged,
            6,
            None,
            "DEMO: black toner",
        ),
        make(
            900_001,
            IncidentKind::Service,
            IncidentStatus::Closed,
            19,
            Some("print_quality"),
            "DEMO: streaks on copies",
        ),
    ]
}

pub fn report() -> DeviceReport {
    let supply = |i: u32, d: &str, c: Option<&str>, p: u8, status: SupplyStatus| FleetSupply {
        index: format!("1.{i}"),
        description: d.into(),
        part_number: Some(format!("DEMO-{i:03}")),
        kind: "toner".into(),
        class: SupplyClass::Consumed,
        colorant: c.map(str::to_string),
        max_capacity: Some(100),
        level: Some(i64::from(p)),
        percent: Some(p),
        status,
    };
    DeviceReport {
        identity: Identity {
            model: Some("Demo MFD 5000".into()),
            serial: Some(DEMO_SERIAL.into()),
            mac: None,
            sys_descr: Some("DEMO".into()),
            sys_object_id: None,
        },
        supplies: vec![
            supply(1, "Black Toner (DEMO)", Some("black"), 8, SupplyStatus::Low),
            supply(2, "Cyan Toner (DEMO)", Some("cyan"), 54, SupplyStatus::Ok),
            supply(
                3,
                "Magenta Toner (DEMO)",
                Some("magenta"),
                71,
                SupplyStatus::Ok,
            ),
            supply(
                4,
                "Yellow Toner (DEMO)",
                Some("yellow"),
                33,
                SupplyStatus::Ok,
            ),
        ],
        meters: vec![
            FleetMeter {
                id: "total-impressions".into(),
                name: "Total impressions".into(),
                value: 123_456,
                oid: String::new(),
            },
            FleetMeter {
                id: "black-impressions".into(),
                name: "Black impressions".into(),
                value: 100_000,
                oid: String::new(),
            },
            FleetMeter {
                id: "color-impressions".into(),
                name: "Color impressions".into(),
                value: 23_456,
                oid: String::new(),
            },
        ],
        status: Default::default(),
        alerts: Vec::new(),
    }
}

pub fn accepted(kind: SubmissionKind, now: DateTime<Utc>) -> Accepted {
    let n = match kind {
        SubmissionKind::ServiceIncident => "SR-DEMO-000001",
        SubmissionKind::SupplyIncident => "SR-DEMO-000002",
        SubmissionKind::MeterRead => "MR-DEMO-000003",
    };
    Accepted {
        reference: "REF-DEMO".into(),
        incident_number: Some(n.into()),
        created_at: now,
        status: "demo".into(),
    }
}
