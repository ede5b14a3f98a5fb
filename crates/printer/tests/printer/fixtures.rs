//! interpret() on the project's own fixture recordings (fixtures/*.snmprec).

use printer::{SupplyClass, SupplyStatus, interpret, snmprec};

fn fixture(name: &str) -> printer::DeviceReport {
    let path = crate::project_root().join("fixtures").join(name);
    interpret(&snmprec::read_file(&path).expect("fixture parses"))
}

#[test]
fn xerox_colour_mfd_has_identity_supplies_and_billing_meters() {
    let r = fixture("xerox-altalink-c8055-meters.snmprec");
    assert_eq!(r.identity.model.as_deref(), Some("AltaLink C8055"));
    assert_eq!(r.identity.serial.as_deref(), Some("XRX9C934E4A7B21"));
    assert_eq!(r.identity.mac.as_deref(), Some("9c:93:4e:4a:7b:21"));
    assert_eq!(r.supplies.len(), 12);
    let magenta = &r.supplies[2];
    assert_eq!(
        (magenta.description.as_str(), magenta.part_number.as_deref()),
        ("Magenta Toner", Some("006R01699"))
    );
    assert_eq!(
        (magenta.colorant.as_deref(), magenta.percent, magenta.status),
        (Some("magenta"), Some(8), SupplyStatus::Low)
    );
    let waste = &r.supplies[9];
    assert_eq!(
        (waste.kind.as_str(), waste.class, waste.status),
        (
            "wasteToner",
            SupplyClass::Receptacle,
            SupplyStatus::AlmostFull
        )
    );
    let meter = |id: &str| r.meters.iter().find(|m| m.id == id).map(|m| m.value);
    assert_eq!(meter("total-impressions"), Some(284_711));
    assert_eq!(meter("black-impressions"), Some(181_255));
    assert_eq!(meter("color-impressions"), Some(103_456));
    assert_eq!(meter("black-copies"), Some(82_735));
    assert_eq!(meter("color-copies"), Some(42_246));
    assert_eq!(meter("marker-life-count"), Some(284_711));
    assert_eq!(meter("power-on-impressions"), Some(1_873));
    assert_eq!(
        r.meters
            .iter()
            .find(|m| m.id == "total-impressions")
            .map(|m| m.oid.as_str()),
        Some("1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1"),
        "the Xerox total wins over the Printer-MIB life count"
    );
}

/// (description, max capacity, level, percent, status)
type Row<'a> = (&'a str, Option<i64>, Option<i64>, Option<u8>, SupplyStatus);

#[test]
fn special_values_and_hex_descriptions() {
    let r = fixture("special-values.snmprec");
    let got: Vec<Row> = r
        .supplies
        .iter()
        .map(|s| {
            (
                s.description.as_str(),
                s.max_capacity,
                s.level,
                s.percent,
                s.status,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Black Toner Cartridge",
                None,
                None,
                None,
                SupplyStatus::SomeRemaining
            ),
            (
                "Cyan Toner Cartridge",
                None,
                None,
                None,
                SupplyStatus::Unrestricted
            ),
            (
                "Magenta Toner Cartridge",
                Some(500),
                Some(0),
                Some(0),
                SupplyStatus::Empty
            ),
            (
                "Yellow Toner Cartridge",
                Some(500),
                None,
                None,
                SupplyStatus::Unknown
            ),
            (
                "Waste Toner Box",
                Some(100),
                Some(0),
                Some(0),
                SupplyStatus::Full
            ),
            (
                "Imaging Drum",
                Some(0),
                Some(0),
                None,
                SupplyStatus::Unknown
            ),
            (
                "Staple Cartridge",
                Some(5000),
                Some(400),
                Some(8),
                SupplyStatus::Low
            ),
        ]
    );
    let kinds: Vec<&str> = r.supplies.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "toner",
            "toner",
            "toner",
            "toner",
            "wasteToner",
            "opc",
            "other"
        ]
    );
    assert_eq!(r.supplies[4].class, SupplyClass::Receptacle);
    assert_eq!(
        r.identity.mac.as_deref(),
        Some("00:a0:b1:c2:d3:e4"),
        "the all-zero address is skipped"
    );
    assert_eq!(r.identity.model.as_deref(), Some("Acme OfficeJet 9000"));
    assert_eq!(
        r.meters.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [
            "total-impressions",
            "marker-life-count",
            "power-on-impressions"
        ]
    );
}

#[test]
fn mono_device_with_low_supplies() {
    let r = fixture("xerox-versalink-b405-low.snmprec");
    assert_eq!(r.identity.model.as_deref(), Some("VersaLink B405"));
    let statuses: Vec<SupplyStatus> = r.supplies.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            SupplyStatus::Low,
            SupplyStatus::Low,
            SupplyStatus::Ok,
            SupplyStatus::AlmostFull
        ]
    );
    assert!(r.meters.iter().all(|m| m.id != "color-impressions"));
}
