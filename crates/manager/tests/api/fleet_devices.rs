//! `GET /api/v1/fleet/devices` (issue 13) on both backends: supplies with forecasts from the
//! stored readings, open alerts, paging, tenant isolation.

use crate::helpers::{Backend, TestApp, both_backends, spawn_app, t0};
use chrono::Duration;
use manager::auth::token_hash;
use manager::clock::Clock;
use manager::fleet::devices::{HISTORY_DAYS, HISTORY_ROWS, supply_forecasts};
use manager::storage::Storage;
use proto::fleet::*;
use serde_json::Value;
use uuid::Uuid;

fn supply(index: &str, class: &str, level: i64) -> FleetSupply {
    FleetSupply {
        index: index.into(),
        description: format!("supply {index}"),
        part_number: None,
        kind: if class == "receptacle" {
            "wasteToner"
        } else {
            "toner"
        }
        .into(),
        class: if class == "receptacle" {
            SupplyClass::Receptacle
        } else {
            SupplyClass::Consumed
        },
        colorant: None,
        max_capacity: Some(1000),
        level: Some(level),
        percent: u8::try_from(level / 10).ok(),
        status: SupplyStatus::Ok,
    }
}

/// Day `d` of 0..=5 (day 5 is t0): toner 800 − 50·d, waste space 900 − 10·d, a drum "some remaining".
fn reading(serial: &str, d: i64, alert: bool) -> Reading {
    Reading {
        reading_id: Uuid::new_v4(),
        read_at: t0() - Duration::days(5 - d),
        address: "127.0.10.1:1161".into(),
        identity: FleetIdentity {
            serial: serial.into(),
            model: Some("AltaLink C8055".into()),
            ..Default::default()
        },
        status: FleetStatus {
            device: Some(if alert { "warning" } else { "running" }.into()),
            printer: Some("idle".into()),
            errors: if alert {
                vec!["low_toner".into()]
            } else {
                vec![]
            },
        },
        supplies: vec![
            supply("1.1", "consumed", 800 - 50 * d),
            supply("1.2", "receptacle", 900 - 10 * d),
            FleetSupply {
                percent: None,
                ..supply("1.3", "consumed", -3)
            },
        ],
        meters: vec![],
        alerts: if alert {
            vec![FleetAlert {
                index: "1".into(),
                severity: "warning".into(),
                training_level: Some("noInterventionRequired".into()),
                group: Some("markerSupplies".into()),
                group_index: Some(1),
                location: None,
                code: 1104,
                code_name: "markerTonerAlmostEmpty".into(),
                description: "Toner low".into(),
                time: Some(100),
            }]
        } else {
            vec![]
        },
    }
}

/// An enrolled agent of the partner's first customer that stored readings of `serials`.
async fn report(store: &dyn Storage, partner: Uuid, serials: &[&str]) {
    let customer = store.list_customers(partner).await.unwrap()[0].id;
    let token = format!("sae_{}", Uuid::new_v4().simple());
    store
        .create_agent(
            partner,
            customer,
            "HQ",
            &token_hash(&token),
            t0() + Duration::days(1),
        )
        .await
        .unwrap();
    let agent = store
        .enroll_agent(
            &token_hash(&token),
            &token_hash(&format!("saa_{}", Uuid::new_v4().simple())),
            "0.1.0",
            None,
        )
        .await
        .unwrap()
        .unwrap();
    for serial in serials {
        for d in 0..=5 {
            store
                .ingest_reading(&agent, Uuid::new_v4(), &reading(serial, d, d == 5))
                .await
                .unwrap();
        }
    }
}

both_backends!(fleet_devices_show_forecasts_alerts_pages_and_only_the_partners_devices);

async fn fleet_devices_show_forecasts_alerts_pages_and_only_the_partners_devices(b: Backend) {
    let app = spawn_app(b).await;
    let store = &*app.store.store;
    report(store, app.a.partner_id, &["AX-1", "AX-2", "AX-3"]).await;
    report(store, app.b.partner_id, &["BX-1"]).await;
    let get = |key: &str, q: &str| {
        app.http
            .get(app.url(&format!("/api/v1/fleet/devices{q}")))
            .bearer_auth(key)
            .send()
    };

    let page: Value = get(&app.a.api_key, "").await.unwrap().json().await.unwrap();
    assert_eq!(page["total"], 3);
    let devices = page["devices"].as_array().unwrap();
    let serials: Vec<_> = devices
        .iter()
        .map(|d| d["serial"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["AX-1", "AX-2", "AX-3"]);
    let d = &devices[0];
    assert_eq!(d["model"], "AltaLink C8055");
    assert_eq!(d["customer"], "Acme customer");
    assert_eq!(d["status"], "warning");
    assert_eq!(d["last_seen"], "2026-03-01T10:00:00Z");
    assert_eq!(d["open_alerts"][0]["code_name"], "markerTonerAlmostEmpty");
    assert_eq!(d["errors"][0], "low_toner");
    let s = d["supplies"].as_array().unwrap();
    // Toner: 55 % left at 5 %/day → empty in 11 days.
    assert_eq!(s[0]["percent"], 55);
    assert_eq!(s[0]["forecast"], "predicted");
    assert_eq!(s[0]["runs_out"], "empty");
    assert_eq!(s[0]["days_left"], 11.0);
    assert_eq!(s[0]["predicted_date"], "2026-03-12T10:00:00Z");
    // Waste receptacle: 85 % space left at 1 %/day → full in 85 days.
    assert_eq!(s[1]["runs_out"], "full");
    assert_eq!(s[1]["days_left"], 85.0);
    assert_eq!(s[1]["predicted_date"], "2026-05-25T10:00:00Z");
    // Only "some remaining": no forecast.
    assert_eq!(s[2]["forecast"], "not_enough_data");
    assert!(s[2]["days_left"].is_null());

    // Paging.
    let page: Value = get(&app.a.api_key, "?offset=2&limit=2")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["devices"].as_array().unwrap().len(), 1);
    assert_eq!(page["devices"][0]["serial"], "AX-3");
    let bad = get(&app.a.api_key, "?limit=lots").await.unwrap();
    assert_eq!(bad.status(), 400);
    let p: Value = bad.json().await.unwrap();
    assert_eq!(p["field"], "limit");

    // Tenant isolation: b sees only its own device; no key, nothing.
    let page: Value = get(&app.b.api_key, "").await.unwrap().json().await.unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["devices"][0]["serial"], "BX-1");
    let res = app
        .http
        .get(app.url("/api/v1/fleet/devices"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

both_backends!(the_pages_forecasts_are_those_computed_from_the_history);

/// The supplies with forecasts as computed from the stored history at the app's clock (what the
/// forecasts were before they were stored), as JSON.
async fn computed(app: &TestApp, serial: &str) -> Value {
    let store = &*app.store.store;
    let partner = app.a.partner_id;
    let now = app.store.clock.now();
    let last = store
        .list_readings(partner, serial, 1)
        .await
        .unwrap()
        .remove(0);
    let history = store
        .supply_history(
            partner,
            serial,
            now - Duration::days(HISTORY_DAYS),
            HISTORY_ROWS,
        )
        .await
        .unwrap();
    let customer = store.list_customers(partner).await.unwrap()[0].id;
    let policy = manager::fleet::policy::load(store, partner)
        .await
        .unwrap()
        .effective(Some(customer), Some(serial));
    serde_json::to_value(supply_forecasts(
        &last,
        &history,
        now,
        policy.forecast_min_history(),
    ))
    .unwrap()
}

/// The device's supplies on the API's page.
async fn on_page(app: &TestApp, serial: &str) -> Value {
    let page: Value = app
        .http
        .get(app.url("/api/v1/fleet/devices?limit=200"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["serial"] == serial)
        .unwrap_or_else(|| panic!("{serial} not on the page"))["supplies"]
        .clone()
}

/// When the device's stored forecasts were computed (`None`: none stored).
async fn computed_at(app: &TestApp, serial: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    app.store
        .store
        .stored_fits(app.a.partner_id, &[serial.to_string()])
        .await
        .unwrap()
        .remove(serial)
        .map(|f| f.computed_at)
}

async fn the_pages_forecasts_are_those_computed_from_the_history(b: Backend) {
    let app = spawn_app(b).await;
    let store = &*app.store.store;
    let credential = crate::fleet_rules::agent(store, app.a.partner_id).await;
    // FX-1 through the ingestion API: the evaluation after each batch stores its forecasts.
    // The toner falls unevenly, so dropping a point changes the fit.
    let toner = [800, 770, 700, 680, 610, 590];
    let readings: Vec<Reading> = (0..=5)
        .map(|d| {
            let mut r = reading("FX-1", d, false);
            r.supplies[0].level = Some(toner[d as usize]);
            r.supplies[0].percent = u8::try_from(toner[d as usize] / 10).ok();
            r
        })
        .collect();
    crate::fleet_rules::send(&app, &credential, readings).await;
    assert_eq!(computed_at(&app, "FX-1").await, Some(t0()));
    // FX-2 stored without an evaluation (as data from before forecasts were stored): none yet,
    // the page computes and stores them.
    report(store, app.a.partner_id, &["FX-2"]).await;
    assert_eq!(computed_at(&app, "FX-2").await, None);
    let first = on_page(&app, "FX-1").await;
    assert_eq!(first, computed(&app, "FX-1").await);
    assert_eq!(first[0]["forecast"], "predicted");
    assert_eq!(first[1]["forecast"], "predicted");
    assert_eq!(first[2]["forecast"], "not_enough_data");
    assert_eq!(on_page(&app, "FX-2").await, computed(&app, "FX-2").await);
    assert_eq!(computed_at(&app, "FX-2").await, Some(t0()));

    // Three days later: the stored fits, days left from the clock.
    app.store.clock.advance(Duration::days(3));
    let later = on_page(&app, "FX-1").await;
    assert_eq!(later, computed(&app, "FX-1").await);
    assert_eq!(on_page(&app, "FX-2").await, computed(&app, "FX-2").await);
    assert_eq!(later[0]["predicted_date"], first[0]["predicted_date"]);
    assert_ne!(later[0]["days_left"], first[0]["days_left"]);
    assert_eq!(computed_at(&app, "FX-1").await, Some(t0()));

    // An older reading uploaded late (the last reading stays the same): the evaluation after its
    // batch computes and stores again.
    app.store.clock.set(t0() + Duration::hours(12));
    let mut late = reading("FX-1", 4, false);
    late.read_at = t0() - Duration::hours(12);
    late.supplies[0].level = Some(560);
    late.supplies[0].percent = Some(56);
    crate::fleet_rules::send(&app, &credential, vec![late]).await;
    assert_eq!(
        computed_at(&app, "FX-1").await,
        Some(t0() + Duration::hours(12))
    );
    let with_late = on_page(&app, "FX-1").await;
    assert_eq!(with_late, computed(&app, "FX-1").await);
    assert_ne!(with_late[0]["predicted_date"], first[0]["predicted_date"]);

    // Past 30 days after the first reading it leaves the window: computed again, another fit.
    app.store
        .clock
        .set(t0() + Duration::days(25) + Duration::hours(1));
    let window = on_page(&app, "FX-1").await;
    assert_eq!(window, computed(&app, "FX-1").await);
    assert_ne!(window[0]["predicted_date"], with_late[0]["predicted_date"]);
    assert_eq!(
        computed_at(&app, "FX-1").await,
        Some(t0() + Duration::days(25) + Duration::hours(1))
    );

    // Another minimum span in the policy: computed again (not enough data for 30 days).
    let res = app
        .http
        .put(app.url("/api/v1/fleet/policies/partner"))
        .bearer_auth(&app.a.api_key)
        .json(&serde_json::json!({ "forecast_min_history_minutes": 43_200 }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let strict = on_page(&app, "FX-1").await;
    assert_eq!(strict, computed(&app, "FX-1").await);
    assert_eq!(strict[0]["forecast"], "not_enough_data");
    assert_eq!(on_page(&app, "FX-2").await, computed(&app, "FX-2").await);
}

/// Benchmark (prints numbers, asserts nothing about time): requests per second of
/// `GET /api/v1/fleet/devices?limit=100` over 100 devices with 96 readings each (one day at the
/// 15-minute poll). Run: `cargo nextest run -p manager --run-ignored only bench_fleet_devices`.
async fn bench_fleet_devices(b: Backend) {
    let app = spawn_app(b).await;
    let store = &*app.store.store;
    let serials: Vec<String> = (0..100).map(|i| format!("BENCH-{i:03}")).collect();
    let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let customer = store.list_customers(app.a.partner_id).await.unwrap()[0].id;
    let token = "sae_bench";
    store
        .create_agent(
            app.a.partner_id,
            customer,
            "bench",
            &token_hash(token),
            t0() + Duration::days(1),
        )
        .await
        .unwrap();
    let agent = store
        .enroll_agent(&token_hash(token), &token_hash("saa_bench"), "0.1.0", None)
        .await
        .unwrap()
        .unwrap();
    for serial in &refs {
        for q in 0..96i64 {
            let mut r = reading(serial, 5, q == 95);
            r.read_at = t0() - Duration::minutes(15 * (95 - q));
            r.supplies[0].level = Some(800 - q);
            store
                .ingest_reading(&agent, Uuid::new_v4(), &r)
                .await
                .unwrap();
        }
    }
    let seeded = started.elapsed();
    let n = 20;
    let started = std::time::Instant::now();
    for _ in 0..n {
        let res = app
            .http
            .get(app.url("/api/v1/fleet/devices?limit=100"))
            .bearer_auth(&app.a.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page: Value = res.json().await.unwrap();
        assert_eq!(page["devices"].as_array().unwrap().len(), 100);
    }
    let took = started.elapsed();
    println!(
        "bench fleet devices {b:?}: seeded 9600 readings in {:.1} s; {n} pages of 100 devices in {:.2} s = {:.1} req/s ({:.0} ms per page)",
        seeded.as_secs_f64(),
        took.as_secs_f64(),
        f64::from(n) / took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / f64::from(n)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: prints numbers"]
async fn bench_fleet_devices_sqlite() {
    bench_fleet_devices(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: prints numbers"]
async fn bench_fleet_devices_postgres() {
    bench_fleet_devices(Backend::Postgres).await
}

both_backends!(a_supply_the_last_reading_no_longer_has_loses_its_stored_forecast);

/// The supply indexes of the device's stored forecasts.
async fn stored_supplies(app: &TestApp, serial: &str) -> Vec<String> {
    let mut fits = app
        .store
        .store
        .stored_fits(app.a.partner_id, &[serial.to_string()])
        .await
        .unwrap();
    let mut supplies: Vec<String> = fits
        .remove(serial)
        .map(|f| f.fits.into_iter().map(|(index, _)| index).collect())
        .unwrap_or_default();
    supplies.sort();
    supplies
}

async fn a_supply_the_last_reading_no_longer_has_loses_its_stored_forecast(b: Backend) {
    let app = spawn_app(b).await;
    let credential = crate::fleet_rules::agent(&*app.store.store, app.a.partner_id).await;
    let readings: Vec<Reading> = (0..=5).map(|d| reading("FX-3", d, false)).collect();
    crate::fleet_rules::send(&app, &credential, readings).await;
    assert_eq!(stored_supplies(&app, "FX-3").await, ["1.1", "1.2", "1.3"]);
    // A later reading without the waste container and the drum: their forecasts go, the toner's
    // is written over with the new reading's.
    app.store.clock.set(t0() + Duration::hours(1));
    let mut later = reading("FX-3", 5, false);
    later.read_at = t0() + Duration::hours(1);
    later.supplies.truncate(1);
    later.supplies[0].level = Some(540);
    crate::fleet_rules::send(&app, &credential, vec![later.clone()]).await;
    assert_eq!(stored_supplies(&app, "FX-3").await, ["1.1"]);
    let stored = app
        .store
        .store
        .stored_fits(app.a.partner_id, &["FX-3".to_string()])
        .await
        .unwrap()
        .remove("FX-3")
        .unwrap();
    assert_eq!(stored.reading_id, later.reading_id);
    assert_eq!(stored.computed_at, t0() + Duration::hours(1));
    let page = on_page(&app, "FX-3").await;
    assert_eq!(page, computed(&app, "FX-3").await);
    assert_eq!(page.as_array().map(Vec::len), Some(1));
}
