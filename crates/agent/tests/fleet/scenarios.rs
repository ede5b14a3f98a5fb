use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use device::fleet::Condition;
use serde_json::Value;

use crate::helpers::*;

fn once(s: &System, target: &str, extra: &[&str]) -> (bool, String, String) {
    run(s
        .agent()
        .args(["agent", "run", "--once", "--target", target, "--port"])
        .arg(SNMP_PORT.to_string())
        .args([
            "--timeout-ms",
            "300",
            "--retries",
            "0",
            "--meter-interval",
            "1ms",
        ])
        .args(extra))
}

async fn readings(s: &System, serial: &str) -> Vec<Value> {
    s.get(&format!("/api/v1/devices/{serial}/readings?limit=1000"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports() {
    let rec = tempfile::tempdir().unwrap();
    let printers = recordings(rec.path());
    let fleet = fleet(rec.path()).await;
    let s = system();
    let (success, out, err) = once(&s, &sweep(&fleet), &[]);
    assert!(success, "{out}\n{err}");
    // Every printer answers, the router is no printer, one real recording has neither serial nor MAC.
    let with_key: Vec<_> = fleet
        .devices
        .iter()
        .filter(|d| d.serial.is_some())
        .collect();
    assert!(
        out.contains(&format!(
            "{printers} printers, {} readings queued",
            with_key.len()
        )),
        "{out}"
    );
    assert!(out.contains("1 not printers, 1 without serial"), "{out}");
    assert!(out.contains(&format!("{} stored", with_key.len())), "{out}");

    let status = s.status();
    let known: Vec<&str> = status["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = with_key
        .iter()
        .map(|d| d.serial.as_deref().unwrap())
        .collect();
    expected.sort();
    assert_eq!(known, expected, "discovery found exactly the printers");
    assert_eq!(status["queue_depth"], 0);

    for d in &with_key {
        let serial = d.serial.as_deref().unwrap();
        let read: Value = serde_json::from_str(&ok(bin()
            .args(["device", "read", "--json", "--target"])
            .arg(d.addr.to_string())))
        .unwrap();
        let stored = readings(&s, serial).await;
        assert_eq!(stored.len(), 1, "{serial}: one reading per device");
        let r = &stored[0];
        for field in ["supplies", "meters", "status", "alerts"] {
            assert_eq!(r[field], read[field], "{serial}: {field}");
        }
        for field in ["model", "mac", "sys_descr", "sys_object_id", "serial"] {
            assert_eq!(
                r["identity"][field], read["identity"][field],
                "{serial}: identity.{field}"
            );
        }
        // The meters are an automatic meter read, and the device is new under the agent's customer.
        let reads = s
            .get(&format!(
                "/api/v1/devices/{serial}/meter-reads?since=2000-01-01T00:00:00Z"
            ))
            .await;
        let reads = reads.as_array().unwrap();
        if read["meters"].as_array().unwrap().is_empty() {
            assert!(reads.is_empty());
        } else {
            assert_eq!(reads.len(), 1, "{serial}");
            assert_eq!(reads[0]["source"], "automatic");
        }
        let device = s.get(&format!("/api/v1/devices/{serial}")).await;
        assert_eq!(device["customer_name"], "Site A", "{device}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn injected_jam_door_open_and_toner_low_arrive_with_code_and_severity() {
    let rec = tempfile::tempdir().unwrap();
    recordings(rec.path());
    let fleet = fleet(rec.path()).await;
    let s = system();
    let pick = |name: &str| {
        fleet
            .devices
            .iter()
            .find(|d| d.name == name)
            .unwrap()
            .clone()
    };
    let (a, b, c) = (
        pick("xerox-altalink-c8055-meters"),
        pick("ricoh_mpc3002"),
        pick("konica_c250i"),
    );
    a.raise(Condition::Jam);
    b.raise(Condition::DoorOpen);
    c.raise(Condition::TonerLow);
    c.raise(Condition::ServiceCall);
    let (success, out, err) = once(&s, &sweep(&fleet), &[]);
    assert!(success, "{out}\n{err}");
    let check = |r: &Value, want: &[(i64, &str, &str)], bits: &[&str]| {
        let got: Vec<(i64, String, String)> = r["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["code"].as_i64().unwrap(),
                    x["severity"].as_str().unwrap().to_string(),
                    x["code_name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: Vec<(i64, String, String)> = want
            .iter()
            .map(|(c, s, n)| (*c, s.to_string(), n.to_string()))
            .collect();
        assert_eq!(got, want);
        let errors: Vec<&str> = r["status"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(errors, bits);
    };
    let ra = readings(&s, a.serial.as_deref().unwrap()).await;
    check(&ra[0], &[(8, "critical", "jam")], &["jammed"]);
    assert_eq!(ra[0]["status"]["device"], "down");
    let rb = readings(&s, b.serial.as_deref().unwrap()).await;
    check(&rb[0], &[(3, "critical", "coverOpen")], &["doorOpen"]);
    let rc = readings(&s, c.serial.as_deref().unwrap()).await;
    check(
        &rc[0],
        &[
            (1104, "warning", "markerTonerAlmostEmpty"),
            (30, "critical", "subunitUnrecoverableFailure"),
        ],
        &["lowToner", "serviceRequested"],
    );
    assert_eq!(rc[0]["alerts"][1]["training_level"], "field_service");

    // Cleared on the device: the next reading has no alert.
    a.clear(Condition::Jam);
    let (success, out, err) = once(&s, &sweep(&fleet), &[]);
    assert!(success, "{out}\n{err}");
    let ra = readings(&s, a.serial.as_deref().unwrap()).await;
    assert_eq!(ra.len(), 2);
    check(&ra[0], &[], &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manager_down_and_agent_killed_mid_upload_lose_nothing_and_store_nothing_twice() {
    let rec = tempfile::tempdir().unwrap();
    recordings(rec.path());
    let fleet = fleet(rec.path()).await;
    let mut s = system();
    let target = sweep(&fleet);
    let printers = fleet.devices.iter().filter(|d| d.serial.is_some()).count() as u64;

    // 1. A normal cycle.
    let (success, out, err) = once(&s, &target, &[]);
    assert!(success, "{out}\n{err}");

    // 2. The manager is down during collection: the cycle's readings stay queued.
    s.kill_manager();
    let (success, _, err) = once(&s, &target, &[]);
    assert!(!success, "an upload that failed is an error");
    assert!(err.contains("readings queued"), "{err}");
    assert_eq!(s.status()["queue_depth"], printers);

    // 3. The manager is back, but the agent dies (-9) after the manager stored a batch and before it
    //    heard so.
    s.start_manager();
    let proxy = proxy(s.port);
    let enrolment_path = s.agent_dir().join("agent.json");
    let mut enrolment: Value =
        serde_json::from_slice(&std::fs::read(&enrolment_path).unwrap()).unwrap();
    enrolment["manager"] = Value::String(format!("http://127.0.0.1:{}", proxy.port));
    std::fs::write(&enrolment_path, serde_json::to_vec(&enrolment).unwrap()).unwrap();
    proxy.hold.store(true, Ordering::SeqCst);
    let mut child = s
        .agent()
        .args(["agent", "run", "--upload-only", "--target", &target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let count_stored = || async {
        let mut n = 0;
        for d in fleet.devices.iter().filter_map(|d| d.serial.as_deref()) {
            let r = s
                .get(&format!("/api/v1/devices/{d}/readings?limit=1000"))
                .await;
            n += r.as_array().unwrap().len() as u64;
        }
        n
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while count_stored().await < 2 * printers {
        assert!(
            Instant::now() < deadline,
            "the manager never got the queued batch"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        s.status()["queue_depth"],
        printers,
        "the agent died before it knew"
    );
    proxy.hold.store(false, Ordering::SeqCst);

    // 4. Restarted: the cut batch goes again (same id, same readings), then a new cycle.
    let (success, out, err) = once(&s, &target, &[]);
    assert!(success, "{out}\n{err}");
    assert!(out.contains(&format!("{printers} already there")), "{out}");

    let status = s.status();
    assert_eq!(status["queue_depth"], 0);
    assert_eq!(status["dropped_total"], 0);
    let taken = status["readings_total"].as_u64().unwrap();
    assert_eq!(taken, 3 * printers, "three cycles");
    assert_eq!(
        count_stored().await,
        taken,
        "every reading in the manager exactly once"
    );
    let mut ids = BTreeMap::new();
    for d in fleet.devices.iter().filter_map(|d| d.serial.as_deref()) {
        for r in readings(&s, d).await {
            *ids.entry(r["reading_id"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        let reads = s
            .get(&format!(
                "/api/v1/devices/{d}/meter-reads?since=2000-01-01T00:00:00Z"
            ))
            .await;
        let n = reads.as_array().unwrap().len();
        assert!(
            n == 0 || n == 3,
            "{d}: one automatic meter read per reading, got {n}"
        );
    }
    assert!(ids.values().all(|n| *n == 1));

    // 5. A revoked agent is refused, and keeps what it collected.
    ok(s.manager_cmd().args([
        "manager",
        "agent",
        "revoke",
        "--partner",
        "Acme",
        "--agent",
        &s.agent_id,
    ]));
    let (success, _, err) = once(&s, &target, &[]);
    assert!(!success);
    assert!(err.contains("refused the agent's credential"), "{err}");
    assert_eq!(s.status()["queue_depth"], printers);
}
