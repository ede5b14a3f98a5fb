//! Options of the binary that no other test exercised, each checked by what it does: the global
//! `--log-json`, `device read --stats/--retries`, the community of `device serve` and
//! `device fleet`, `device serve --simulate-usage/--simulate-interval`, the demo's `--data-dir`,
//! `--snmp-base-port` and `--weblet`, and the `SA_` variables that stand for options.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Running, bin, free_base_port, root, run, serve_device};

fn xerox() -> std::path::PathBuf {
    root().join("fixtures/xerox-altalink-c8055-meters.snmprec")
}

/// Spawns `cmd` and returns it with a channel of its stdout lines and one of its stderr lines.
fn spawn_lines(cmd: &mut Command) -> (Running, mpsc::Receiver<String>, mpsc::Receiver<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let pipe = |out: Box<dyn std::io::Read + Send>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    };
    let stdout = pipe(Box::new(child.stdout.take().expect("stdout")));
    let stderr = pipe(Box::new(child.stderr.take().expect("stderr")));
    (Running(child), stdout, stderr)
}

/// Lines from `rx` until one contains `marker` (at most `secs` seconds); all of them.
fn lines_until(rx: &mpsc::Receiver<String>, marker: &str, secs: u64) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut lines = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let done = line.contains(marker);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }
    panic!("no line with {marker:?} within {secs} s: {lines:#?}");
}

/// `serve manager` logs its start as one JSON object per line with `--log-json` (or
/// `SA_LOG_JSON=true`), and as text without it.
#[test]
fn log_json_makes_the_server_log_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = |flag: Option<&str>, env: Option<&str>| {
        let mut cmd = bin();
        cmd.args([
            "serve",
            "manager",
            "--insecure-http",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--database")
        .arg(format!("sqlite://{}", dir.path().join("m.db").display()))
        .arg("--data-keys-file")
        .arg(dir.path().join("m.keys"))
        .args(flag)
        .env_remove("SA_LOG_JSON")
        .env("RUST_LOG", "info");
        if let Some(value) = env {
            cmd.env("SA_LOG_JSON", value);
        }
        let (process, _stdout, stderr) = spawn_lines(&mut cmd);
        let lines = lines_until(&stderr, "manager listening", 60);
        drop(process);
        lines.into_iter().last().expect("the line")
    };
    for (flag, env) in [(Some("--log-json"), None), (None, Some("true"))] {
        let line = start(flag, env);
        let json: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{flag:?}/{env:?}: not JSON ({e}): {line}"));
        assert_eq!(json["message"], "manager listening", "{line}");
        assert_eq!(json["level"], "INFO", "{line}");
    }
    let text = start(None, None);
    assert!(
        serde_json::from_str::<Value>(&text).is_err() && text.contains("manager listening"),
        "without --log-json the log is text: {text}"
    );
}

/// `--stats` prints the requests, values and time of a read on stderr (one request for a whole
/// MFD); `--retries N` asks N more times after a timeout, so an unanswered read takes at least
/// (N + 1) × `--timeout-ms`.
#[test]
fn device_read_stats_counts_the_retries() {
    let (_device, addr) = serve_device(&xerox(), &[]);
    let (ok, out, err) = run(bin().args(["device", "read", "--stats", "--target", &addr]));
    assert!(ok, "{err}");
    assert!(out.contains("SUPPLIES"), "{out}");
    let stats = err.lines().last().unwrap_or_default();
    let words: Vec<&str> = stats.split_whitespace().collect();
    assert!(
        matches!(words.as_slice(), ["1", "requests,", values, "values,", ms, "ms"]
            if values.parse::<u32>().is_ok_and(|v| v > 20) && ms.parse::<u64>().is_ok()),
        "one request for the whole device: {err}"
    );
    let (ok, _, err) = run(bin().args(["device", "read", "--target", &addr]));
    assert!(
        ok && !err.contains("requests,"),
        "no statistics without --stats: {err}"
    );

    // At least (N + 1) × timeout; in fact twice that (GETNEXT is tried after an unanswered
    // GETBULK), so the bound for 5 retries (1200 ms) is one the default, 1 retry, misses even so
    // (2 × 2 × 200 ms).
    for retries in [0u32, 5] {
        let began = Instant::now();
        let (ok, _, err) = run(bin().args([
            "device",
            "read",
            "--community",
            "nobody-knows-it",
            "--timeout-ms",
            "200",
            "--retries",
            &retries.to_string(),
            "--target",
            &addr,
        ]));
        let took = began.elapsed();
        assert!(!ok && err.contains("no answer"), "{err}");
        let least = Duration::from_millis(200 * u64::from(retries + 1));
        assert!(took >= least, "--retries {retries}: {took:?} < {least:?}");
    }
}

/// `device serve --community` and `device fleet --community`: the device answers that
/// community only (a request with another gets no answer, as the help says).
#[test]
fn device_serve_and_fleet_answer_only_their_community() {
    let read = |addr: &str, community: &str| {
        run(bin().args([
            "device",
            "read",
            "--json",
            "--timeout-ms",
            "300",
            "--retries",
            "0",
            "--community",
            community,
            "--target",
            addr,
        ]))
    };
    let (_device, addr) = serve_device(&xerox(), &["--community", "s3cret"]);
    let (ok, out, err) = read(&addr, "s3cret");
    assert!(ok && out.contains("XRX9C934E4A7B21"), "{err}");
    let (ok, _, err) = read(&addr, "public");
    assert!(!ok && err.contains("no answer"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(xerox(), dir.path().join("xerox.snmprec")).expect("copy");
    let manifest = dir.path().join("fleet.json");
    let mut cmd = bin();
    cmd.args(["device", "fleet", "--ports", "--base-address", "127.0.0.1"])
        .args(["--port", "0", "--community", "fleet-s3cret", "--dir"])
        .arg(dir.path())
        .arg("--manifest")
        .arg(&manifest);
    let (_fleet, stdout, _stderr) = spawn_lines(&mut cmd);
    lines_until(&stdout, "fleet of", 20);
    let list: Vec<Value> =
        serde_json::from_slice(&std::fs::read(&manifest).expect("manifest")).expect("JSON");
    let addr = list[0]["addr"].as_str().expect("addr").to_string();
    let (ok, out, err) = read(&addr, "fleet-s3cret");
    assert!(ok && out.contains("XRX9C934E4A7B21"), "{err}");
    let (ok, _, err) = read(&addr, "public");
    assert!(!ok && err.contains("no answer"), "{err}");
}

fn total_impressions(addr: &str) -> u64 {
    let (ok, out, err) = run(bin().args(["device", "read", "--json", "--target", addr]));
    assert!(ok, "{err}");
    let json: Value = serde_json::from_str(&out).expect("JSON");
    json["meters"]
        .as_array()
        .expect("meters")
        .iter()
        .find(|m| m["id"] == "total-impressions")
        .and_then(|m| m["value"].as_u64())
        .expect("total impressions")
}

/// Without `--simulate-usage` the recording is replayed as it is; with it and
/// `--simulate-interval 1` the counters rise within 2.5 s (the default interval, 5 s, would
/// show no second step by then).
#[test]
fn device_serve_simulate_usage_moves_the_counters_every_simulate_interval() {
    let (_still, addr) = serve_device(&xerox(), &[]);
    let first = total_impressions(&addr);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        total_impressions(&addr),
        first,
        "no usage without --simulate-usage"
    );

    let (_living, addr) = serve_device(&xerox(), &["--simulate-usage", "--simulate-interval", "1"]);
    std::thread::sleep(Duration::from_millis(500));
    let first = total_impressions(&addr);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        total_impressions(&addr) > first,
        "a step every second with --simulate-interval 1"
    );
}

/// The demo keeps its data under `--data-dir` (nothing in the working directory), its first
/// device answers SNMP on `--snmp-base-port`, and it publishes and installs the weblet that
/// `SA_WEBLET_DIR` names; `--weblet` names it too (a directory without a manifest is reported).
#[test]
fn demo_options_reach_the_services() {
    let dir = tempfile::tempdir().expect("tempdir");
    let weblet = dir.path().join("my-weblet");
    copy_dir(&root().join("weblet"), &weblet);
    let manifest = weblet.join("manifest.json");
    let mut json: Value =
        serde_json::from_slice(&std::fs::read(&manifest).expect("manifest")).expect("JSON");
    json["version"] = Value::String("9.8.7".into());
    std::fs::write(&manifest, serde_json::to_vec(&json).expect("JSON")).expect("write");
    let cwd = dir.path().join("cwd");
    std::fs::create_dir(&cwd).expect("cwd");
    let demo = |data: &Path| {
        let base = free_base_port();
        let mut cmd = bin();
        cmd.current_dir(&cwd)
            .args(["demo", "--base-port", &base.to_string()])
            .args(["--snmp-base-port", &(base + 50).to_string(), "--data-dir"])
            .arg(data)
            .env("RUST_LOG", "warn");
        (cmd, base + 50)
    };

    // --weblet: a directory without manifest.json is named (and SA_WEBLET_DIR is not used).
    let empty = dir.path().join("empty-weblet");
    std::fs::create_dir(&empty).expect("mkdir");
    let (mut cmd, _) = demo(&dir.path().join("first"));
    cmd.arg("--weblet")
        .arg(&empty)
        .env("SA_WEBLET_DIR", &weblet);
    let (first, stdout, _stderr) = spawn_lines(&mut cmd);
    let printed = lines_until(&stdout, "Press Ctrl-C", 120).join("\n");
    assert!(
        printed.contains(&format!("no weblet at {}", empty.display())),
        "{printed}"
    );
    drop(first);

    let data = dir.path().join("elsewhere");
    let (mut cmd, snmp) = demo(&data);
    cmd.env("SA_WEBLET_DIR", &weblet);
    let (_demo, stdout, _stderr) = spawn_lines(&mut cmd);
    let printed = lines_until(&stdout, "Press Ctrl-C", 120).join("\n");
    assert!(!printed.contains("no weblet"), "{printed}");
    let panel = printed
        .lines()
        .find(|l| l.contains("device panel"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .expect("a device panel")
        .trim_end_matches('/')
        .to_string();
    let (status, body) = crate::demo_gallery::get(&format!("{panel}/api/apps"), None);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("9.8.7"),
        "the SA_WEBLET_DIR weblet is installed: {body}"
    );

    let (ok, out, err) = run(bin().args([
        "device",
        "read",
        "--json",
        "--target",
        &format!("127.0.0.1:{snmp}"),
    ]));
    assert!(ok, "a device on --snmp-base-port: {err}");
    assert!(out.contains("\"serial\""), "{out}");

    assert!(printed.contains(&data.display().to_string()), "{printed}");
    assert!(data.join("devices").is_dir() && data.join("agent").is_dir());
    let left: Vec<_> = std::fs::read_dir(&cwd).expect("cwd").flatten().collect();
    assert!(
        left.is_empty(),
        "nothing in the working directory: {left:?}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// `device serve --snmp ADDR --http ADDR`: the agent and the panel are at those addresses.
#[test]
fn device_serve_listens_where_snmp_and_http_say() {
    let base = free_base_port();
    let (snmp, http) = (
        format!("127.0.0.1:{}", base + 50),
        format!("127.0.0.1:{}", base + 10),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = bin();
    cmd.args(["device", "serve", "--snmp", &snmp, "--http", &http])
        .args(["--admin-password", "pw", "--data-dir"])
        .arg(dir.path())
        .arg("--recording")
        .arg(xerox());
    let (_device, stdout, _stderr) = spawn_lines(&mut cmd);
    let printed = lines_until(&stdout, "panel and web services on", 20).join("\n");
    assert!(printed.contains(&format!("udp://{snmp}")), "{printed}");
    assert!(printed.contains(&format!("http://{http}")), "{printed}");
    let (ok, out, err) = run(bin().args(["device", "read", "--json", "--target", &snmp]));
    assert!(ok && out.contains("XRX9C934E4A7B21"), "{err}");
    let (status, body) = crate::demo_gallery::get(&format!("http://{http}/api/apps"), None);
    assert_eq!(status, 200, "{body}");
}

/// `device fleet --copies 3 --ports --base-address 127.0.0.1 --port P`: three devices on
/// 127.0.0.1, ports P, P+1 and P+2 (the default would be one address each from 127.0.10.1).
#[test]
fn device_fleet_puts_devices_where_base_address_ports_and_port_say() {
    let port = free_base_port() + 50;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(xerox(), dir.path().join("xerox.snmprec")).expect("copy");
    let manifest = dir.path().join("fleet.json");
    let mut cmd = bin();
    cmd.args([
        "device",
        "fleet",
        "--copies",
        "3",
        "--ports",
        "--base-address",
        "127.0.0.1",
    ])
    .args(["--port", &port.to_string(), "--dir"])
    .arg(dir.path())
    .arg("--manifest")
    .arg(&manifest);
    let (_fleet, stdout, _stderr) = spawn_lines(&mut cmd);
    lines_until(&stdout, "fleet of", 20);
    let list: Vec<Value> =
        serde_json::from_slice(&std::fs::read(&manifest).expect("manifest")).expect("JSON");
    let addrs: Vec<&str> = list.iter().filter_map(|d| d["addr"].as_str()).collect();
    let expected: Vec<String> = (0..3).map(|i| format!("127.0.0.1:{}", port + i)).collect();
    assert_eq!(addrs, expected, "{list:?}");
    let (ok, out, err) = run(bin().args(["device", "read", "--json", "--target", &expected[2]]));
    assert!(ok, "{err}");
    assert!(
        out.contains("XRX9C934E4A7B21-0002"),
        "the third copy: {out}"
    );
}
