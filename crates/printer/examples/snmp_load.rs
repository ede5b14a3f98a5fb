//! GETBULK load for benchmarks: `cargo run --release -p printer --example snmp_load -- TARGET COMMUNITY SECONDS CONCURRENCY`.
//! Each worker keeps one request in flight; prints answered requests per second and latency percentiles.

use std::time::{Duration, Instant};

use printer::snmp::client::resolve_target;
use printer::snmp::{Client, ClientConfig, oid};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, target, community, seconds, concurrency] = args.as_slice() else {
        return Err("usage: snmp_load TARGET COMMUNITY SECONDS CONCURRENCY".into());
    };
    let addr = resolve_target(target).await?;
    let seconds: u64 = seconds.parse()?;
    let concurrency: usize = concurrency.parse()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let mut cfg = ClientConfig::new(addr, community.clone());
        cfg.timeout = Duration::from_millis(2000);
        cfg.retries = 0;
        let client = Client::connect(cfg).await?;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let root = oid("1.3.6.1.2.1.43.11.1.1");
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.get_bulk(0, 25, std::slice::from_ref(&root)).await {
                    Ok(_) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "{:.0} req/s  p50 {:.2} ms  p99 {:.2} ms  ({} answered, {} errors, {} workers, {} s)",
        all.len() as f64 / seconds as f64,
        pct(0.50),
        pct(0.99),
        all.len(),
        errors,
        concurrency,
        seconds
    );
    Ok(())
}
