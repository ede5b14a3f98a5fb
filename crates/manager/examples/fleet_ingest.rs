//! Load client of the benchmark of the agents' ingestion API (prints numbers, asserts nothing),
//! driven by `scripts/bench-ingest.sh` against a running `support-assistant serve manager`: one
//! concurrent uploader per enrolment token (`manager agent add`), each enrolls, then uploads BATCHES
//! batches of SIZE readings over HTTP (8 supplies, 6 meters and one alert each, every device read
//! once per batch, counters rising batch after batch, so every reading is also an automatic meter
//! read). Prints readings durably stored per second (the manager answers after its commit) and the
//! p50/p99 time per batch.
//! Usage: fleet_ingest BASE_URL TOKENS_FILE [BATCHES] [SIZE] [LABEL]

use std::time::{Duration, Instant};

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
            no_serial: false,
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
    let (Some(base), Some(tokens)) = (args.get(1), args.get(2)) else {
        anyhow::bail!("usage: fleet_ingest BASE_URL TOKENS_FILE [BATCHES] [SIZE] [LABEL]");
    };
    let base = base.trim_end_matches('/').to_string();
    let batches: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(25);
    let size: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(100);
    let label = args.get(5).cloned().unwrap_or_else(|| base.clone());
    let tokens: Vec<String> = std::fs::read_to_string(tokens)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let clients = tokens.len();
    anyhow::ensure!(clients > 0, "no enrolment tokens");
    let http = reqwest::Client::new();
    let mut credentials = Vec::new();
    for token in tokens {
        let res = http
            .post(format!("{base}/api/v1/agents/enroll"))
            .json(&EnrollRequest {
                token,
                version: "bench".into(),
                host: None,
            })
            .send()
            .await?;
        anyhow::ensure!(
            res.status().is_success(),
            "enrolment: HTTP {}",
            res.status()
        );
        credentials.push(res.json::<EnrollResponse>().await?.credential);
    }
    // Bodies are made before the clock starts: the numbers are the manager's, not the client's.
    let mut work = Vec::new();
    for (i, credential) in credentials.into_iter().enumerate() {
        let bodies = (0..batches)
            .map(|b| {
                serde_json::to_vec(&ReadingBatch {
                    batch_id: Uuid::now_v7(),
                    agent_version: "bench".into(),
                    readings: (0..size)
                        .map(|k| reading(&format!("B{i}-{k}"), b as u64))
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        work.push((credential, bodies));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (credential, bodies) in work {
        let http = http.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for body in bodies {
                let t = Instant::now();
                let res = http
                    .post(format!("{base}/api/v1/agents/readings"))
                    .bearer_auth(&credential)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                anyhow::ensure!(res.status().is_success(), "upload: HTTP {}", res.status());
                let receipt: BatchReceipt = res.json().await?;
                anyhow::ensure!(
                    receipt.stored as usize == size && receipt.results.iter().all(|r| r.meter_read),
                    "not every reading stored as a reading and a meter read: {:?}",
                    receipt.results.iter().find(|r| r.detail.is_some())
                );
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    for t in tasks {
        times.extend(t.await??);
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
        "{label}: {total} readings in {} batches of {size} from {clients} concurrent agents in {:.2} s = {:.0} readings/s; per batch p50 {:.1} ms, p99 {:.1} ms",
        clients * batches,
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );
    Ok(())
}
