//! Issue 13 item 8: `support-assistant demo` runs its devices with accelerated usage and a fleet
//! agent over them, so within minutes the manager shows supply forecasts, an automatic supply order
//! and an incident raised by a printer alert (the demo's VersaLink B415 calls for service after 2
//! simulated hours). Here at `--speed 240` (2 simulated hours = 30 real seconds) and
//! `--poll-interval 2`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_base_port;
use crate::{Running, bin};

/// `curl` with a Bearer key: the JSON body of a 200, else None.
fn get_json(url: &str, key: &str) -> Option<serde_json::Value> {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-f", "-H"])
        .arg(format!("Authorization: Bearer {key}"))
        .arg(url)
        .output()
        .expect("curl is installed (scripts/install-test-deps.sh)");
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

#[derive(Default, Debug)]
struct Seen {
    forecast: Option<serde_json::Value>,
    order: Option<serde_json::Value>,
    alert_incident: Option<serde_json::Value>,
}

impl Seen {
    fn all(&self) -> bool {
        self.forecast.is_some() && self.order.is_some() && self.alert_incident.is_some()
    }
}

#[test]
fn the_accelerated_demo_shows_forecasts_an_automatic_order_and_an_alert_incident() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = free_base_port();
    let data = dir.path().join("data");
    let mut child = bin()
        .args(["demo", "--base-port", &base.to_string()])
        .args(["--snmp-base-port", &(base + 50).to_string()])
        .args(["--speed", "240", "--poll-interval", "2"])
        .arg("--data-dir")
        .arg(&data)
        .env("SA_WEBLET_DIR", dir.path().join("no-weblet"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !printed.contains("Press Ctrl-C") && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            printed.push_str(&line);
            printed.push('\n');
        }
    }
    assert!(
        printed.contains("Press Ctrl-C"),
        "the demo started:\n{printed}"
    );
    let manager = format!("http://127.0.0.1:{base}");
    // The partner's API key, as the demo keeps it (the assistant's key to the manager).
    let secrets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("demo.json")).expect("demo.json"))
            .expect("demo.json is JSON");
    let key = secrets["manager_api_key"]
        .as_str()
        .expect("manager_api_key")
        .to_string();

    let mut seen = Seen::default();
    let deadline = Instant::now() + Duration::from_secs(240);
    for _ in 0..240 {
        if seen.all() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
        if seen.forecast.is_none()
            && let Some(page) = get_json(&format!("{manager}/api/v1/fleet/devices"), &key)
        {
            seen.forecast = page["devices"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|d| d["supplies"].as_array().cloned().unwrap_or_default())
                .find(|s| s["forecast"] == "predicted");
        }
        for serial in ["XRX9C934E4A7B21", "XRXB405LOW0007", "XRXB415MONO0012"] {
            let Some(list) = get_json(
                &format!("{manager}/api/v1/devices/{serial}/incidents"),
                &key,
            ) else {
                continue;
            };
            for i in list.as_array().into_iter().flatten() {
                if i["source"] != "automatic" {
                    continue;
                }
                if i["kind"] == "supply" && seen.order.is_none() {
                    seen.order = Some(i.clone());
                }
                if i["kind"] == "service" && seen.alert_incident.is_none() {
                    seen.alert_incident = Some(i.clone());
                }
            }
        }
    }
    assert!(
        seen.all(),
        "within 4 minutes a forecast, an automatic order and an alert incident: {seen:?}"
    );
    let forecast = seen.forecast.expect("a supply forecast");
    assert!(forecast["percent"].is_u64(), "{forecast}");
    assert!(forecast["days_left"].is_number(), "{forecast}");
    assert!(forecast["predicted_date"].is_string(), "{forecast}");
    let order = seen.order.expect("an automatic supply order");
    assert!(
        order["supplies"].as_array().is_some_and(|s| !s.is_empty()),
        "{order}"
    );
    let incident = seen
        .alert_incident
        .expect("an incident raised by a printer alert");
    assert_eq!(incident["device_serial"], "XRXB415MONO0012", "{incident}");

    // --speed reaches the partner policy: 2 simulated hours at 240 = 30 s, whole minutes, at least 1
    // (the default speed 60 would give 2 minutes).
    let policies = get_json(&format!("{manager}/api/v1/fleet/policies"), &key).expect("policies");
    assert_eq!(
        policies["partner"]["forecast_min_history_minutes"], 1,
        "{policies}"
    );
    // --poll-interval 2 reaches the agent: by now (at least 30 s of polling to see the service call
    // at step 24) a device has many readings; at the default 20 s it would have 2 or 3.
    let readings = get_json(
        &format!("{manager}/api/v1/devices/XRXB415MONO0012/readings?limit=1000"),
        &key,
    )
    .expect("readings");
    let n = readings.as_array().map_or(0, Vec::len);
    assert!(n >= 8, "{n} readings: the agent polls every 2 s");
}
