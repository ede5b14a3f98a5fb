//! Billing (issue 13): meter reads per period, on SQLite and PostgreSQL, through the storage and
//! through the real server.

use crate::helpers::{Backend, both_backends, seed, spawn_app, test_store};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use manager::domain::*;
use manager::fleet::billing::{DeviceBillingStatus, meter_reads_report};
use manager::storage::*;
use uuid::Uuid;

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 9, 30, 0)
        .single()
        .unwrap()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// Records a read of `total` (and `color` = total / 10) on a device.
async fn record(
    store: &dyn Storage,
    p: Uuid,
    serial: &str,
    when: DateTime<Utc>,
    total: i64,
    replacement: bool,
    source: MeterSource,
) {
    let read = NewMeterRead {
        device_serial: DeviceSerial::parse(serial).unwrap(),
        read_at: when,
        source,
        meter_replacement: replacement,
        meters: vec![
            MeterValue {
                id: "total".into(),
                name: "Total".into(),
                value: total,
            },
            MeterValue {
                id: "color".into(),
                name: "Color".into(),
                value: total / 10,
            },
        ],
    };
    let idem = Idempotency {
        key: format!("{serial}-{}", when.timestamp()),
        request_hash: format!("{serial}-{}-{total}", when.timestamp()),
    };
    store.record_meter_read(p, &idem, &read).await.unwrap();
}

async fn add_device(store: &dyn Storage, p: Uuid, customer_id: Uuid, serial: &str) {
    store
        .create_device(
            p,
            &NewDevice {
                customer_id,
                serial: DeviceSerial::parse(serial).unwrap(),
                model: Label::parse("MFD 7000", 100).unwrap(),
                location: Label::parse("Lobby", 100).unwrap(),
            },
        )
        .await
        .unwrap();
}

/// SN-1: reads before, in (with a meter replacement) and after March; SN-2: none in March.
async fn history(store: &dyn Storage, p: Uuid, customer_id: Uuid) {
    add_device(store, p, customer_id, "SN-2").await;
    let auto = MeterSource::Automatic;
    let walk = MeterSource::WalkUp;
    record(store, p, "SN-1", at(2, 20), 900, false, walk).await;
    record(store, p, "SN-1", at(3, 1), 1000, false, auto).await;
    record(store, p, "SN-1", at(3, 10), 1200, false, walk).await;
    record(store, p, "SN-1", at(3, 15), 50, true, auto).await;
    record(store, p, "SN-1", at(3, 31), 130, false, auto).await;
    record(store, p, "SN-1", at(4, 2), 500, false, auto).await;
    record(store, p, "SN-2", at(2, 27), 700, false, auto).await;
}

both_backends!(
    billing_deltas_follow_the_rollback_rule_and_list_missing_devices,
    billing_is_scoped_to_the_partner_and_customer,
);

async fn billing_deltas_follow_the_rollback_rule_and_list_missing_devices(b: Backend) {
    let t = test_store(b).await;
    let (p, d) = seed(&*t.store, "Acme", "SN-1").await;
    history(&*t.store, p, d.customer_id).await;
    let r = meter_reads_report(&*t.store, p, d.customer_id, date(3, 1), date(3, 31))
        .await
        .unwrap();
    assert_eq!(r.customer_name, "Acme customer");
    let serials: Vec<_> = r.devices.iter().map(|d| d.serial.as_str()).collect();
    assert_eq!(serials, ["SN-1", "SN-2"]);
    let sn1 = &r.devices[0];
    assert_eq!(sn1.status, DeviceBillingStatus::Ok);
    assert_eq!(sn1.reads, 4, "walk-up and automatic reads of March only");
    let total = sn1.meters.iter().find(|m| m.meter_id == "total").unwrap();
    assert_eq!((total.start_value, total.end_value), (1000, 130));
    assert_eq!(total.start_at, at(3, 1));
    assert_eq!(total.end_at, at(3, 31));
    // 1000 → 1200 on the old meter, 50 → 130 on the new one.
    assert_eq!(total.difference, 280);
    assert_eq!(total.replacements, 1);
    let color = sn1.meters.iter().find(|m| m.meter_id == "color").unwrap();
    assert_eq!(color.difference, (120 - 100) + (13 - 5));
    let sn2 = &r.devices[1];
    assert_eq!(sn2.status, DeviceBillingStatus::Missing);
    assert!(sn2.meters.is_empty());
    // A one-day period: the read of that day is both start and end.
    let one = meter_reads_report(&*t.store, p, d.customer_id, date(3, 10), date(3, 10))
        .await
        .unwrap();
    let total = one.devices[0]
        .meters
        .iter()
        .find(|m| m.meter_id == "total")
        .unwrap();
    assert_eq!(
        (total.start_value, total.end_value, total.difference),
        (1200, 1200, 0)
    );
    assert_eq!(one.devices[1].status, DeviceBillingStatus::Missing);
}

async fn billing_is_scoped_to_the_partner_and_customer(b: Backend) {
    let t = test_store(b).await;
    let (p, d) = seed(&*t.store, "Acme", "SN-1").await;
    history(&*t.store, p, d.customer_id).await;
    // Another customer of the same partner, with a device of its own: not in the report.
    let other = t
        .store
        .create_customer(p, &Label::parse("Other", 100).unwrap())
        .await
        .unwrap();
    add_device(&*t.store, p, other.id, "SN-9").await;
    let r = meter_reads_report(&*t.store, p, d.customer_id, date(3, 1), date(3, 31))
        .await
        .unwrap();
    assert!(r.devices.iter().all(|d| d.serial != "SN-9"));
    let r = meter_reads_report(&*t.store, p, other.id, date(3, 1), date(3, 31))
        .await
        .unwrap();
    assert_eq!(r.devices.len(), 1);
    assert_eq!(r.devices[0].status, DeviceBillingStatus::Missing);
    // Another partner asking for Acme's customer: not found.
    let (q, _) = seed(&*t.store, "Bolt", "SN-1").await;
    let err = meter_reads_report(&*t.store, q, d.customer_id, date(3, 1), date(3, 31))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("customer")), "{err:?}");
}

both_backends!(billing_api_gives_json_and_csv_and_refuses_bad_input);

async fn billing_api_gives_json_and_csv_and_refuses_bad_input(b: Backend) {
    let app = spawn_app(b).await;
    let store = &*app.store.store;
    let p = app.a.partner_id;
    let customer = app.a.device.customer_id;
    // SN-100 is tenant a's seeded device; give it the same history as SN-1.
    add_device(store, p, customer, "SN-1").await;
    history(store, p, customer).await;
    let url = |q: &str| app.url(&format!("/api/v1/billing/meter-reads?{q}"));
    let period = format!("customer={customer}&from=2026-03-01&to=2026-03-31");

    // JSON
    let res = app
        .http
        .get(url(&period))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["from"], "2026-03-01");
    let devices = body["devices"].as_array().unwrap();
    let by = |s: &str| devices.iter().find(|d| d["serial"] == s).unwrap().clone();
    let sn1 = by("SN-1");
    assert_eq!(sn1["status"], "ok");
    let total = sn1["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["meter_id"] == "total")
        .unwrap()
        .clone();
    assert_eq!(total["difference"], 280);
    assert_eq!(total["replacements"], 1);
    assert_eq!(by("SN-2")["status"], "missing");
    assert_eq!(by("SN-100")["status"], "missing");

    // CSV
    let res = app
        .http
        .get(url(&period))
        .header("Accept", "text/csv")
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<_> = csv.lines().collect();
    assert!(lines[0].starts_with("customer,serial,model,location,status,meter_id"));
    assert!(
        lines.contains(
            &"\"Acme customer\",\"SN-1\",\"MFD 7000\",\"Lobby\",ok,\"total\",\"Total\",2026-03-01T09:30:00Z,1000,2026-03-31T09:30:00Z,130,280,1"
        ),
        "{csv}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"SN-2\"") && l.contains(",missing,"))
    );
    // Header, SN-1 × 2 meters, SN-100 and SN-2 missing.
    assert_eq!(lines.len(), 5, "{csv}");

    // Tenant isolation: partner b's key sees nothing of a's customer.
    let res = app
        .http
        .get(url(&period))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let b_customer = app.b.device.customer_id;
    let res = app
        .http
        .get(url(&format!(
            "customer={b_customer}&from=2026-03-01&to=2026-03-31"
        )))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    let serials: Vec<_> = body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(serials, ["SN-100"], "only b's own device");
    assert_eq!(body["devices"][0]["status"], "missing");

    // No key.
    let res = app.http.get(url(&period)).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // Bad input: 400 problem+json naming the field.
    for (q, field) in [
        (
            format!("customer={customer}&from=2026-02-30&to=2026-03-31"),
            "from",
        ),
        (
            format!("customer={customer}&from=2026-03-01&to=tomorrow"),
            "to",
        ),
        (
            format!("customer={customer}&from=2026-03-31&to=2026-03-01"),
            "to",
        ),
        (format!("customer={customer}&to=2026-03-01"), "from"),
        (
            "customer=acme&from=2026-03-01&to=2026-03-31".to_string(),
            "customer",
        ),
        ("from=2026-03-01&to=2026-03-31".to_string(), "customer"),
    ] {
        let res = app
            .http
            .get(url(&q))
            .bearer_auth(&app.a.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{q}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{q}"
        );
        let p: serde_json::Value = res.json().await.unwrap();
        assert_eq!(p["field"], field, "{q}: {p}");
    }

    // Documented in the OpenAPI document.
    let doc: serde_json::Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/billing/meter-reads"]["get"].is_object());
    assert!(doc["components"]["schemas"]["MeterReadsReport"].is_object());
}
