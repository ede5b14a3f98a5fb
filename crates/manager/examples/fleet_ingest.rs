//! Benchmark of the agents' ingestion API (prints numbers, asserts nothing): the real router on
//! 127.0.0.1:0 over SQLite (temp file) or PostgreSQL (a schema of its own, dropped afterwards);
//! CLIENTS concurrent agents each upload BATCHES batches of SIZE readings (8 supplies, 6 meters, one
//! alert each, every reading a new device's meter read). Prints readings durably stored per second and
//! the p50/p99 time per batch.
//! Usage: cargo run --release -p manager --example fleet_ingest -- sqlite|postgres [CLIENTS] [BATCHES] [SIZE]

use std::sync::Arc;
use std::time::{Duration, Instant};

use manager::clock::{SystemClock, UuidV7};
use manager::crypto::KeyRing;
use manager::domain::Label;
use manager::storage::{PgStore, SqliteStore, Storage, StoreContext};
use proto::fleet::*;
use uuid::Uuid;

fn reading(serial: &str, n: u64) -> Reading {
    Reading {
        reading_id: Uuid::now_v7(),
        read_at: chrono::Utc::now(),
        address: "127.0.0.1:161".into(),
        identity: FleetIdentity {
            serial: serial.into(),
            model: Some("AltaLink C8055".into()),
            mac: Some("9c:93:4e:4a:7b:21".into()),
            sys_descr: Some("Xerox AltaLink C8055".into()),
            sys_object_id: Some("1.3.6.1.4.1.253.8.62.1.46.2.1.1".into()),
        },
        status: FleetStatus {
            device: Some("running".into()),
            printer: Some("idle".into()),
            errors: vec![],
        },
        supplies: (1..=8)
            .map(|i| FleetSupply {
                index: format!("1.{i}"),
                description: format!("Supply {i}"),
                part_number: Some("006R01509".into()),
                kind: "toner".into(),
                class: proto::fleet::SupplyClass::Consumed,
                colorant: Some("black".into()),
                max_capacity: Some(23000),
                level: Some(20000 - i64::try_from(n).unwrap_or(0)),
                percent: Some(87),
                status: proto::fleet::SupplyStatus::Ok,
            })
            .collect(),
        meters: (1..=6)
            .map(|i| FleetMeter {
                id: format!("meter-{i}"),
                name: format!("Meter {i}"),
                value: 100_000 + n * 10 + i,
                oid: "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1".into(),
            })
            .collect(),
        alerts: vec![FleetAlert {
            index: "1.1".into(),
            severity: "warning".into(),
            training_level: Some("untrained".into()),
            group: Some("marker_supplies".into()),
            group_index: Some(1),
            location: Some(0),
            code: 1104,
            code_name: "markerTonerAlmostEmpty".into(),
            description: "Toner low".into(),
            time: Some(1000),
        }],
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("sqlite");
    let clients: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    let batches: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let size: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(50);
    let ctx = StoreContext {
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7),
        keys: Arc::new(KeyRing::single("bench", [7; 32])?),
    };
    let dir = tempfile::tempdir()?;
    let pg = std::env::var("DATABASE_URL_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("bench_{}", Uuid::new_v4().simple());
    let store: Arc<dyn Storage> = match backend {
        "postgres" => Arc::new(PgStore::connect(&pg, Some(&schema), ctx).await?),
        _ => Arc::new(
            SqliteStore::connect(
                &format!("sqlite://{}", dir.path().join("m.db").display()),
                ctx,
            )
            .await?,
        ),
    };
    let p = store
        .create_partner(&Label::parse("Bench", 100).map_err(anyhow::Error::msg)?)
        .await?;
    let c = store
        .create_customer(
            p.id,
            &Label::parse("Site", 100).map_err(anyhow::Error::msg)?,
        )
        .await?;
    let state =
        manager::app::AppState::new(store.clone(), Arc::new(SystemClock), Default::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        let _ = manager::app::serve(listener, state).await;
    });
    let http = reqwest::Client::new();
    let mut credentials = Vec::new();
    for i in 0..clients {
        let (_, token, _) = manager::fleet::api::add_agent(
            &*store,
            chrono::Utc::now(),
            p.id,
            c.id,
            &format!("a{i}"),
        )
        .await?;
        let e: EnrollResponse = http
            .post(format!("{base}/api/v1/agents/enroll"))
            .json(&EnrollRequest {
                token,
                version: "bench".into(),
                host: None,
            })
            .send()
            .await?
            .json()
            .await?;
        credentials.push(e.credential);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, credential) in credentials.into_iter().enumerate() {
        let http = http.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for b in 0..batches {
                let batch = ReadingBatch {
                    batch_id: Uuid::now_v7(),
                    agent_version: "bench".into(),
                    readings: (0..size)
                        .map(|k| reading(&format!("B{i}-{k}"), b as u64))
                        .collect(),
                };
                let t = Instant::now();
                let res = http
                    .post(format!("{base}/api/v1/agents/readings"))
                    .bearer_auth(&credential)
                    .json(&batch)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let receipt: BatchReceipt = r.json().await.unwrap_or(BatchReceipt {
                            batch_id: batch.batch_id,
                            stored: 0,
                            duplicates: 0,
                            rejected: 0,
                            results: vec![],
                        });
                        assert_eq!(receipt.stored as usize, size, "every reading stored");
                    }
                    Ok(r) => panic!("HTTP {}", r.status()),
                    Err(e) => panic!("{e}"),
                }
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    for t in tasks {
        times.extend(t.await?);
    }
    let wall = started.elapsed();
    times.sort();
    let pct = |q: f64| {
        times[((times.len() as f64 * q).ceil() as usize)
            .saturating_sub(1)
            .min(times.len() - 1)]
    };
    let total = clients * batches * size;
    println!(
        "{backend}: {total} readings in {} batches of {size} from {clients} agents in {:.2} s = {:.0} readings/s; per batch p50 {:.1} ms, p99 {:.1} ms",
        clients * batches,
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );
    server.abort();
    if backend == "postgres" {
        PgStore::drop_schema(&pg, &schema).await?;
    }
    Ok(())
}
