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
    // Every printer answers, the router is no printer, one real recording has neither serial nor
    // MAC (xerox_altalink_c8045): counted, and uploaded under a stand-in key.
    let with_key: Vec<_> = fleet
        .devices
        .iter()
        .filter(|d| d.serial.is_some())
        .collect();
    let without: Vec<_> = fleet
        .devices
        .iter()
        .filter(|d| d.serial.is_none() && d.name.contains("c8045"))
        .collect();
    assert_eq!(
        without.len(),
        1,
        "the shared recording without serial nor MAC"
    );
    assert!(
        out.contains(&format!("{printers} printers, {printers} readings queued")),
        "{out}"
    );
    assert!(out.contains("1 not printers, 1 without serial"), "{out}");
    assert!(out.contains(&format!("{printers} stored")), "{out}");
    assert!(
        err.contains("without serial number or MAC address: reported under a stand-in key"),
        "{err}"
    );

    let status = s.status();
    let known: Vec<&str> = status["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap())
        .collect();
    let stand_in: Vec<&str> = known
        .iter()
        .copied()
        .filter(|k| k.starts_with("NS-"))
        .collect();
    assert_eq!(stand_in.len(), 1, "{known:?}");
    let stand_in = stand_in[0].to_string();
    let mut expected: Vec<&str> = with_key
        .iter()
        .map(|d| d.serial.as_deref().unwrap())
        .chain([stand_in.as_str()])
        .collect();
    expected.sort();
    assert_eq!(known, expected, "discovery found exactly the printers");
    assert_eq!(status["queue_depth"], 0);

    // The stand-in: marked, what `device read` reports, and the same key on the next cycle.
    let read: Value = serde_json::from_str(&ok(bin()
        .args(["device", "read", "--json", "--target"])
        .arg(without[0].addr.to_string())))
    .unwrap();
    assert!(read["identity"]["serial"].is_null() && read["identity"]["mac"].is_null());
    let stored = readings(&s, &stand_in).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["identity"]["no_serial"], true);
    assert_eq!(stored[0]["identity"]["model"], read["identity"]["model"]);
    for field in ["supplies", "meters", "status", "alerts"] {
        assert_eq!(stored[0][field], read[field], "stand-in: {field}");
    }
    let target = without[0].addr.to_string();
    let (success, out, err) = once(&s, &target, &[]);
    assert!(success, "{out}\n{err}");
    assert_eq!(readings(&s, &stand_in).await.len(), 2, "the same key again");

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
    let printers = fleet_printers(&fleet);

    // 1. A normal cycle.
    let (success, out, err) = once(&s, &target, &[]);
    assert!(success, "{out}\n{err}");
    // The devices' keys (serials, and the stand-in of the printer without serial nor MAC).
    let keys: Vec<String> = s.status()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len() as u64, printers);

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
        for d in &keys {
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
    for d in &keys {
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

/// Every device of the fleet but the router (the printer without serial nor MAC included).
fn fleet_printers(fleet: &device::fleet::Fleet) -> u64 {
    fleet
        .devices
        .iter()
        .filter(|d| !d.name.contains("router"))
        .count() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_options_do_what_they_say() {
    let rec = tempfile::tempdir().unwrap();
    recordings(rec.path());
    let fleet = fleet(rec.path()).await;
    let printers = fleet_printers(&fleet);
    let s = system();
    let target = sweep(&fleet);

    // --community: tried in order, the one that answers is remembered; --no-upload keeps the readings.
    let (success, out, err) = once(
        &s,
        &target,
        &[
            "--community",
            "wrong",
            "--community",
            "public",
            "--no-upload",
        ],
    );
    assert!(success, "{out}\n{err}");
    let st = s.status();
    assert_eq!(st["queue_depth"], printers);
    assert!(
        st["devices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["community"] == "public")
    );
    assert!(
        readings(&s, fleet.devices[0].serial.as_deref().unwrap())
            .await
            .is_empty()
    );

    // --queue-limit: a second cycle into a full queue keeps only the latest reading per device.
    let limit = printers.to_string();
    let (success, _, _) = once(&s, &target, &["--no-upload", "--queue-limit", &limit]);
    assert!(success);
    let st = s.status();
    assert_eq!(st["queue_depth"], printers);
    assert_eq!(st["dropped_total"], printers);

    // --batch-size: the queue goes up in batches of at most that many.
    let out = ok(s.agent().args([
        "agent",
        "run",
        "--upload-only",
        "--batch-size",
        "3",
        "--target",
        &target,
    ]));
    let batches = printers.div_ceil(3);
    assert!(
        out.contains(&format!("uploaded {batches} batches: {printers} stored")),
        "{out}"
    );

    // --interval and --discovery-interval: without --once it keeps cycling; after the first sweep the
    // cycles are polls of the known printers.
    let mut child = s
        .agent()
        .args(["agent", "run", "--target", &target, "--port"])
        .arg(SNMP_PORT.to_string())
        .args(["--interval", "1s", "--timeout-ms", "300", "--retries", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let before = s.status()["readings_total"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.status()["readings_total"].as_u64().unwrap() < before + 3 * printers {
        assert!(Instant::now() < deadline, "no third cycle within 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("sweep of 254 addresses"), "{log}");
    assert!(
        log.contains(&format!("poll of {printers} addresses")),
        "{log}"
    );

    // --rate: at most R new walks per second, so a cycle of N printers takes at least (N-1)/R s.
    let targets: Vec<String> = fleet
        .devices
        .iter()
        .map(|d| format!("--target={}", d.addr))
        .collect();
    let (success, out, err) = run(s
        .agent()
        .args(["agent", "run", "--once", "--no-upload", "--rate", "4"])
        .args(&targets));
    assert!(success, "{out}\n{err}");
    let ms: u64 = out
        .split(", ")
        .last()
        .unwrap()
        .trim()
        .trim_end_matches(" ms")
        .parse()
        .unwrap();
    assert!(ms >= (fleet.devices.len() as u64 - 1) * 1000 / 4, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_fleet_serves_copies_on_ports_with_living_data() {
    let rec = tempfile::tempdir().unwrap();
    let n = recordings(rec.path()) + 1;
    let manifest = rec.path().join("fleet.json");
    let mut cmd = bin();
    cmd.args([
        "device",
        "fleet",
        "--copies",
        "2",
        "--ports",
        "--base-address",
        "127.0.0.1",
        "--port",
        "0",
    ])
    .args([
        "--simulate-usage",
        "--speed",
        "3000",
        "--seed",
        "7",
        "--dir",
    ])
    .arg(rec.path())
    .arg("--manifest")
    .arg(&manifest)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = Running(cmd.spawn().unwrap());
    let mut lines =
        std::io::BufRead::lines(std::io::BufReader::new(child.0.stdout.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the fleet did not start");
        let line = lines.next().unwrap().unwrap();
        if line.starts_with("fleet of") {
            assert!(line.contains("one step every 100 ms"), "{line}");
            break;
        }
    }
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let list: Vec<Value> = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    assert_eq!(list.len(), 2 * n);
    let mut ports: Vec<&str> = list.iter().map(|d| d["addr"].as_str().unwrap()).collect();
    ports.dedup();
    assert_eq!(ports.len(), 2 * n, "one port each");
    let copy = list
        .iter()
        .find(|d| d["serial"] == "XRX9C934E4A7B21-0001")
        .expect("the copy's serial");
    let read = |addr: &str| -> Value {
        serde_json::from_str(&ok(
            bin().args(["device", "read", "--json", "--target", addr])
        ))
        .unwrap()
    };
    let addr = copy["addr"].as_str().unwrap();
    let total = |r: &Value| {
        r["meters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "total-impressions")
            .unwrap()["value"]
            .as_u64()
            .unwrap()
    };
    let first = read(addr);
    assert_eq!(first["identity"]["serial"], "XRX9C934E4A7B21-0001");
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        total(&read(addr)) > total(&first),
        "counters rise with --simulate-usage"
    );
}
