//! Benchmark of the App Service (prints numbers, asserts nothing): submissions per second and latency
//! at 64 connections on SQLite and on PostgreSQL, side by side with a bare route of the same server.
//! A real Services Manager and App Gallery run in the same process (the test harness), so each
//! submission is written to the outbox, delivered to the manager and confirmed by mail as in production.
//!
//! `cargo run --release -p assistant --example bench -- [SECONDS] [CONNECTIONS]`
//! (PostgreSQL from DATABASE_URL_PG, default postgres://postgres@127.0.0.1:5432/test)

#[path = "../tests/app/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use helpers::*;

struct Load {
    requests: u64,
    errors: u64,
    latencies: Vec<Duration>,
    seconds: f64,
}

impl Load {
    fn line(&self, what: &str) -> String {
        let mut l = self.latencies.clone();
        l.sort();
        let p = |q: f64| {
            l.get(((l.len() as f64) * q) as usize)
                .or(l.last())
                .map(|d| d.as_secs_f64() * 1000.0)
                .unwrap_or(0.0)
        };
        format!(
            "{what:<34} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} errors)",
            self.requests as f64 / self.seconds,
            p(0.50),
            p(0.99),
            self.requests,
            self.errors
        )
    }
}

/// Makes the n-th request of a load.
type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

async fn drive(connections: usize, seconds: u64, make: MakeRequest) -> Load {
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (make, counter) = (make.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap_or_default();
            let (mut lat, mut errors) = (Vec::new(), 0u64);
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                match make(&http, n).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut load = Load {
        requests: 0,
        errors: 0,
        latencies: Vec::new(),
        seconds: 0.0,
    };
    for t in tasks {
        if let Ok((lat, errors)) = t.await {
            load.requests += lat.len() as u64;
            load.errors += errors;
            load.latencies.extend(lat);
        }
    }
    load.seconds = started.elapsed().as_secs_f64();
    load
}

async fn fresh_pg(suffix: &str) -> String {
    use sqlx::Connection;
    let base = std::env::var("DATABASE_URL_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("assistant_bench_{}_{suffix}", std::process::id());
    if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await;
    }
    format!(
        "{}/{name}",
        base.rsplit_once('/').map(|(b, _)| b).unwrap_or(&base)
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let connections: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(64);
    println!("App Service, {connections} connections, {seconds} s each, loopback, release build");
    for backend in ["SQLite", "PostgreSQL"] {
        let manager = start_manager().await;
        let gallery = start_gallery().await;
        let db = if backend == "PostgreSQL" {
            Some(fresh_pg("one").await)
        } else {
            None
        };
        let assistant = start_assistant_on(&manager, &gallery, db.as_deref(), false).await;
        let base = assistant.base.clone();
        let credential = gallery.credential(SERIAL_A);
        let sealed = gallery.sealed(&gallery::config::AppConfiguration::default());
        let bare = {
            let base = base.clone();
            Arc::new(move |http: &reqwest::Client, _n: u64| http.get(format!("{base}/healthz")))
                as MakeRequest
        };
        let submit = {
            let (base, credential, sealed) = (base.clone(), credential.clone(), sealed.clone());
            let run = std::process::id();
            Arc::new(move |http: &reqwest::Client, n: u64| {
                http.post(format!("{base}/api/v1/service-incidents"))
                    .bearer_auth(&credential)
                    .header("x-app-config", &sealed)
                    .header("idempotency-key", format!("bench-{run}-{n}"))
                    .json(&serde_json::json!({"issue_code": "paper_jam", "description": "benchmark", "contact": contact()}))
            }) as MakeRequest
        };
        let list = {
            let (base, credential, sealed) = (base.clone(), credential.clone(), sealed.clone());
            Arc::new(move |http: &reqwest::Client, _n: u64| {
                http.get(format!("{base}/api/v1/service-issues"))
                    .bearer_auth(&credential)
                    .header("x-app-config", &sealed)
            }) as MakeRequest
        };
        let b = drive(connections, seconds, bare).await;
        let a = drive(connections, seconds, list).await;
        let s = drive(connections, seconds, submit).await;
        println!("-- assistant outbox on {backend}");
        println!("{}", b.line("bare route (/healthz)"));
        println!("{}", a.line("authenticated read (credential)"));
        println!("{}", s.line("submission (outbox+manager+mail)"));
        let ratio = (s.requests as f64 / s.seconds) / (b.requests as f64 / b.seconds).max(1.0);
        println!("submissions / bare route = {ratio:.3}");
    }

    // Two instances on one PostgreSQL outbox, each with its worker; requests alternate.
    let manager = start_manager().await;
    let gallery = start_gallery().await;
    let db = fresh_pg("two").await;
    let first = start_assistant_on(&manager, &gallery, Some(&db), false).await;
    let second = start_assistant_on(&manager, &gallery, Some(&db), false).await;
    let bases = [first.base.clone(), second.base.clone()];
    let credential = gallery.credential(SERIAL_A);
    let sealed = gallery.sealed(&gallery::config::AppConfiguration::default());
    let bare = {
        let bases = bases.clone();
        Arc::new(move |http: &reqwest::Client, n: u64| {
            http.get(format!("{}/healthz", bases[(n % 2) as usize]))
        }) as MakeRequest
    };
    let submit = {
        let run = std::process::id();
        Arc::new(move |http: &reqwest::Client, n: u64| {
            http.post(format!("{}/api/v1/service-incidents", bases[(n % 2) as usize]))
                .bearer_auth(&credential)
                .header("x-app-config", &sealed)
                .header("idempotency-key", format!("bench2-{run}-{n}"))
                .json(&serde_json::json!({"issue_code": "paper_jam", "description": "benchmark", "contact": contact()}))
        }) as MakeRequest
    };
    let b = drive(connections, seconds, bare).await;
    let s = drive(connections, seconds, submit).await;
    println!("-- 2 assistant instances on one PostgreSQL outbox");
    println!("{}", b.line("bare route (/healthz)"));
    println!("{}", s.line("submission (outbox+manager+mail)"));
    // Exactly once under load: every submission done, none left claimable.
    let store = first.state.services.store.clone();
    for _ in 0..600 {
        let counts = store.counts().await.unwrap_or_default();
        if counts
            .iter()
            .all(|(st, n)| *n == 0 || *st == assistant::store::SubmissionState::Done)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "outbox states after the run: {:?}",
        store.counts().await.unwrap_or_default()
    );
}
