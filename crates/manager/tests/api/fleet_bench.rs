//! Benchmark (prints numbers, asserts nothing about time): evaluating every policy for 10 000
//! devices with 90 days of readings (one a day, two supplies each), on SQLite and PostgreSQL.
//! Run: `scripts/bench-fleet-policies.sh` (or `cargo nextest run -p manager --run-ignored only
//! bench_fleet_policies --no-capture`).

use crate::helpers::{Backend, spawn_app, t0};
use chrono::Duration;
use manager::auth::token_hash;
use manager::fleet::evaluate::{Scope, evaluate};
use proto::fleet::*;
use uuid::Uuid;

const DEVICES: usize = 10_000;
const DAYS: i64 = 90;

fn supply(index: &str, description: &str, percent: u8) -> FleetSupply {
    FleetSupply {
        index: index.into(),
        description: description.into(),
        part_number: None,
        kind: "toner".into(),
        class: proto::fleet::SupplyClass::Consumed,
        colorant: None,
        max_capacity: Some(100),
        level: Some(i64::from(percent)),
        percent: Some(percent),
        status: proto::fleet::SupplyStatus::Ok,
    }
}

async fn bench_fleet_policies(b: Backend) {
    let app = spawn_app(b).await;
    let store = &*app.store.store;
    let partner = app.a.partner_id;
    let customer = store.list_customers(partner).await.unwrap()[0].id;
    store
        .create_agent(
            partner,
            customer,
            "bench",
            &token_hash("sae_bench"),
            t0() + Duration::days(1),
        )
        .await
        .unwrap();
    let agent = store
        .enroll_agent(
            &token_hash("sae_bench"),
            &token_hash("saa_bench"),
            "0.1.0",
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let started = std::time::Instant::now();
    // The last reading of every device, stored the way ingestion stores it.
    for i in 0..DEVICES {
        let serial = format!("BENCH-{i:05}");
        let reading = Reading {
            reading_id: Uuid::new_v4(),
            read_at: t0(),
            address: "127.0.10.1:1161".into(),
            identity: FleetIdentity {
                serial: serial.clone(),
                model: Some("MFD 5000".into()),
                ..Default::default()
            },
            status: FleetStatus::default(),
            supplies: vec![
                supply("1.1", "Black Toner", u8::try_from((i * 7) % 100).unwrap()),
                supply(
                    "1.2",
                    "Cyan Toner",
                    u8::try_from((i * 13 + 50) % 100).unwrap(),
                ),
            ],
            meters: vec![],
            alerts: if i % 50 == 0 {
                vec![FleetAlert {
                    index: "1".into(),
                    severity: "critical".into(),
                    training_level: Some("field_service".into()),
                    group: Some("general_printer".into()),
                    group_index: Some(1),
                    location: Some(1),
                    code: 30,
                    code_name: "subunitUnrecoverableFailure".into(),
                    description: "fuser failure".into(),
                    time: None,
                }]
            } else {
                vec![]
            },
        };
        store
            .ingest_reading(&agent, Uuid::new_v4(), &reading)
            .await
            .unwrap();
        if i % 10 == 0 {
            let serial = manager::domain::DeviceSerial::parse(&serial).unwrap();
            let c = proto::Contract::new(
                chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            )
            .unwrap();
            store
                .set_supplies_contract(partner, &serial, Some(c))
                .await
                .unwrap();
        }
    }
    let last_readings = started.elapsed();
    // 89 earlier days of history in bulk: 1 %/day use, a new cartridge every 100 days.
    let started = std::time::Instant::now();
    let days =
        "WITH RECURSIVE days(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM days WHERE n < 89) ";
    let readings = format!(
        "{days}INSERT INTO fleet_readings (id, partner_id, device_id, agent_id, batch_id, read_at, received_at, \
         address, device_status, printer_status, errors, body) \
         SELECT f.device_id || '-' || CAST(days.n AS TEXT), f.partner_id, f.device_id, f.agent_id, 'bench', \
         f.last_read_at - CAST(days.n AS BIGINT) * 86400000, f.last_read_at - CAST(days.n AS BIGINT) * 86400000, '', NULL, NULL, '', '{{}}' \
         FROM fleet_devices f CROSS JOIN days"
    );
    let levels = "INSERT INTO fleet_supply_levels (reading_id, device_id, supply_index, description, kind, class, \
         colorant, level, max_capacity, percent, status, read_at) \
         SELECT r.id, r.device_id, l.supply_index, l.description, l.kind, l.class, l.colorant, \
         (l.level + (f.last_read_at - r.read_at) / 86400000) % 100, l.max_capacity, \
         (l.level + (f.last_read_at - r.read_at) / 86400000) % 100, l.status, r.read_at \
         FROM fleet_readings r JOIN fleet_devices f ON f.device_id = r.device_id \
         JOIN fleet_supply_levels l ON l.reading_id = f.last_reading_id WHERE r.batch_id = 'bench'";
    match b {
        Backend::Sqlite => {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect(&app.store.url)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(readings))
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(levels).execute(&pool).await.unwrap();
            sqlx::query("ANALYZE").execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let schema = app.store.pg_schema().unwrap().to_string();
            let opts: sqlx::postgres::PgConnectOptions = app.store.url.parse().unwrap();
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_with(opts.options([("search_path", schema.as_str())]))
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(readings))
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(levels).execute(&pool).await.unwrap();
            sqlx::query("ANALYZE").execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let history = started.elapsed();
    let now = t0() + Duration::hours(1);
    let started = std::time::Instant::now();
    let first = evaluate(store, partner, Scope::All, now).await.unwrap();
    let first_took = started.elapsed();
    let started = std::time::Instant::now();
    let second = evaluate(store, partner, Scope::All, now).await.unwrap();
    let second_took = started.elapsed();
    assert_eq!(first.devices, DEVICES);
    assert_eq!(second.opened, 0, "nothing new the second time");
    println!(
        "bench fleet policies {b:?}: {DEVICES} devices x {DAYS} days ({} supply levels); seeded last readings in {:.1} s, \
         history in {:.1} s; first evaluation {:.1} s ({} conditions opened, {} incidents), \
         steady-state evaluation {:.1} s ({:.2} ms per device)",
        DEVICES as i64 * DAYS * 2,
        last_readings.as_secs_f64(),
        history.as_secs_f64(),
        first_took.as_secs_f64(),
        first.opened,
        first.incidents,
        second_took.as_secs_f64(),
        second_took.as_secs_f64() * 1000.0 / DEVICES as f64,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: prints numbers"]
async fn bench_fleet_policies_sqlite() {
    bench_fleet_policies(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: prints numbers"]
async fn bench_fleet_policies_postgres() {
    bench_fleet_policies(Backend::Postgres).await
}
