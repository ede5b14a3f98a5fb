//! `agent run` options that decide what a collection cycle does, checked without a manager
//! (`--no-upload` needs no enrolment): `--meter-interval`, `--timeout-ms`, `--retries`,
//! `--concurrency`, `--discovery-interval` and `--data-dir`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Running, bin, root, run, serve_device};

fn agent(data: &Path, args: &[&str]) -> String {
    let (ok, out, err) = run(bin()
        .args(["agent"])
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("SA_AGENT_DATA_DIR"));
    assert!(ok, "agent {args:?}: {err}");
    out
}

fn last_meter_at(data: &Path) -> String {
    let status: Value =
        serde_json::from_str(&agent(data, &["status", "--json"])).expect("status JSON");
    status["devices"][0]["last_meter_at"]
        .as_str()
        .unwrap_or_else(|| panic!("a device with meters: {status}"))
        .to_string()
}

/// The milliseconds at the end of a cycle's summary line (`…, 412 ms`).
fn cycle_ms(summary: &str) -> u64 {
    summary
        .trim()
        .rsplit(", ")
        .next()
        .and_then(|s| s.trim_end_matches(" ms").parse().ok())
        .unwrap_or_else(|| panic!("no time in {summary:?}"))
}

#[test]
fn agent_run_collection_options_do_what_they_say() {
    let xerox = root().join("fixtures/xerox-altalink-c8055-meters.snmprec");
    let (_device, addr) = serve_device(&xerox, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("agent");
    let once = |meter_interval: &str| {
        agent(
            &data,
            &["run", "--once", "--no-upload", "--target", &addr]
                .into_iter()
                .chain(["--meter-interval", meter_interval])
                .collect::<Vec<_>>(),
        )
    };

    // --meter-interval: meters are read again only once the last ones are that old.
    once("1h");
    let first = last_meter_at(&data);
    std::thread::sleep(Duration::from_millis(20));
    once("1h");
    assert_eq!(last_meter_at(&data), first, "meters an hour apart at most");
    once("1ms");
    assert_ne!(last_meter_at(&data), first, "meters again after 1 ms");

    // --timeout-ms, --retries and --concurrency 1, against devices that do not answer (another
    // community). An unanswered device is waited for at least (retries + 1) × timeout; in fact
    // twice that, as the walk tries GETNEXT after an unanswered GETBULK. The bounds below hold
    // either way and are missed by the defaults (1000 ms, 1 retry, 64 at once) even with that
    // second try: 2 × 1000 < 2100, 2 × 2 × 200 < 1200, 2 × 400 < 1600.
    let silent: Vec<(Running, String)> = (0..4)
        .map(|_| serve_device(&xerox, &["--community", "not-the-agents"]))
        .collect();
    let quiet = dir.path().join("silent");
    let cycle = |extra: &[&str], devices: usize| {
        let mut args = vec!["run", "--once", "--no-upload"];
        args.extend(extra);
        for (_, a) in &silent[..devices] {
            args.extend(["--target", a.as_str()]);
        }
        let out = agent(&quiet, &args);
        (cycle_ms(&out), out)
    };
    let (ms, out) = cycle(&["--timeout-ms", "2100", "--retries", "0"], 1);
    assert!(ms >= 2100, "--timeout-ms 2100 (the default is 1000): {out}");
    let (ms, out) = cycle(&["--timeout-ms", "200", "--retries", "5"], 1);
    assert!(ms >= 1200, "--retries 5 (the default is 1): {out}");
    let (ms, out) = cycle(
        &[
            "--timeout-ms",
            "400",
            "--retries",
            "0",
            "--concurrency",
            "1",
        ],
        4,
    );
    assert!(
        ms >= 1600,
        "--concurrency 1 reads one device at a time: {out}"
    );

    // --discovery-interval 1s with --interval 1s: every cycle sweeps the targets again (with
    // the default, 24h, the cycles after the first poll the known printers only).
    let mut child = bin()
        .args(["agent", "run", "--no-upload", "--target", &addr])
        .args([
            "--interval",
            "1s",
            "--discovery-interval",
            "1s",
            "--data-dir",
        ])
        .arg(dir.path().join("discovery"))
        .env_remove("SA_AGENT_DATA_DIR")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agent run");
    let stderr = child.stderr.take().expect("stderr");
    let _running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut sweeps, mut polls) = (0, 0);
    while sweeps < 3 && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            sweeps += usize::from(line.contains("sweep of"));
            polls += usize::from(line.contains("poll of"));
        }
    }
    assert_eq!((sweeps, polls), (3, 0), "three cycles, each a sweep");
}
