//! Issue 12 item 4: every bad input gets a clear error and loses nothing — a printer that stops
//! answering mid-walk, OIDs that do not increase, garbage in a counter, a clock that jumps. (A
//! duplicate batch and an agent killed mid-upload: `scenarios::manager_down_and_agent_killed_…`.)

use std::time::Duration;

use printer::snmp::message::VERSION_2C;
use printer::snmp::{Message, Pdu, PduKind, Value, VarBind, oid};
use serde_json::Value as Json;

use crate::helpers::*;

fn once(s: &System, targets: &[String]) -> (bool, String, String) {
    run(s
        .agent()
        .args(["agent", "run", "--once", "--port"])
        .arg(SNMP_PORT.to_string())
        .args([
            "--timeout-ms",
            "300",
            "--retries",
            "0",
            "--meter-interval",
            "1ms",
        ])
        .args(targets.iter().map(|t| format!("--target={t}"))))
}

async fn readings(s: &System, serial: &str) -> Vec<Json> {
    s.get(&format!("/api/v1/devices/{serial}/readings?limit=1000"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

fn device_status(s: &System, serial: &str) -> Json {
    s.status()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["serial"] == serial)
        .cloned()
        .unwrap_or(Json::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_printer_that_stops_answering_mid_walk_gives_no_reading_and_says_why() {
    let rec = tempfile::tempdir().unwrap();
    recordings(rec.path());
    // A printer with 60 more supply rows than usual: its walk takes several round trips (at most
    // 25 rows of a column per GETBULK), so the silence falls inside it.
    let mut big = std::fs::read_to_string(root().join("fixtures/xerox-versalink-b405-low.snmprec"))
        .unwrap()
        .replace("XRXB405LOW0007", "XRXB405BIG0001")
        .replace("9c934e11aa05", "9c934e11bb05");
    for i in 0..60 {
        big.push_str(&format!(
            "1.3.6.1.2.1.43.11.1.1.6.1.{}|4|Extra supply {i}\n",
            100 + i
        ));
    }
    std::fs::write(rec.path().join("big.snmprec"), big).unwrap();
    let fleet = fleet(rec.path()).await;
    let s = system();
    let target = vec![sweep(&fleet)];
    let (success, out, err) = once(&s, &target);
    assert!(success, "{out}\n{err}");
    let d = fleet.devices.iter().find(|d| d.name == "big").unwrap();
    assert!(d.stats.answered() >= 2, "a walk of one round trip");
    let serial = d.serial.clone().unwrap();
    let others: Vec<String> = fleet
        .devices
        .iter()
        .filter(|x| x.serial.is_some() && x.name != d.name)
        .map(|x| x.serial.clone().unwrap())
        .collect();

    d.fall_silent_after(1);
    let (success, out, err) = once(&s, &target);
    assert!(success, "the others' upload succeeded: {out}\n{err}");
    assert!(out.contains(", 1 failed,"), "{out}");
    assert!(
        err.contains("stopped answering in the middle of a walk"),
        "{err}"
    );
    let st = device_status(&s, &serial);
    assert!(
        st["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("stopped answering in the middle of a walk"),
        "{st}"
    );
    assert_eq!(readings(&s, &serial).await.len(), 1, "no half reading");
    for o in &others {
        assert_eq!(readings(&s, o).await.len(), 2, "{o}: read as usual");
    }

    // It answers again: read again, its error gone.
    d.wake();
    let (success, out, err) = once(&s, &target);
    assert!(success, "{out}\n{err}");
    assert_eq!(readings(&s, &serial).await.len(), 2);
    assert!(device_status(&s, &serial)["last_error"].is_null());
}

/// A broken SNMP agent: every answer repeats one OID inside the Printer-MIB.
async fn broken_agent() -> std::net::SocketAddr {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        for _ in 0..1000 {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            let Ok(req) = Message::decode(&buf[..n]) else {
                continue;
            };
            let resp = Message {
                version: VERSION_2C,
                community: req.community.clone(),
                pdu: Pdu {
                    kind: PduKind::Response,
                    request_id: req.pdu.request_id,
                    error_status: 0,
                    error_index: 0,
                    varbinds: req
                        .pdu
                        .varbinds
                        .iter()
                        .map(|_| VarBind::new(oid("1.3.6.1.2.1.43.5.1.1.17.1"), Value::Integer(1)))
                        .collect(),
                },
            };
            let _ = socket.send_to(&resp.encode(), peer).await;
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn non_increasing_oids_give_no_reading_and_a_clear_error_the_others_are_read() {
    let rec = tempfile::tempdir().unwrap();
    recordings(rec.path());
    let fleet = fleet(rec.path()).await;
    let s = system();
    let good = fleet.devices.iter().find(|d| d.serial.is_some()).unwrap();
    let broken = broken_agent().await;
    let (success, out, err) = once(&s, &[good.addr.to_string(), broken.to_string()]);
    assert!(success, "{out}\n{err}");
    assert!(
        out.contains("2 addresses: 1 printers, 1 readings queued, 1 failed"),
        "{out}"
    );
    assert!(err.contains("OIDs must increase"), "{err}");
    assert!(
        err.contains(&broken.to_string()),
        "the error names the device: {err}"
    );
    assert_eq!(readings(&s, good.serial.as_deref().unwrap()).await.len(), 1);
    let st = s.status();
    assert_eq!(st["queue_depth"], 0);
    assert_eq!(st["readings_total"], 1, "nothing made of the broken walk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn garbage_in_counters_is_left_out_and_the_rest_of_the_reading_is_kept() {
    let rec = tempfile::tempdir().unwrap();
    // A VersaLink whose counters are a word, a negative number and a Counter64 above any i64.
    let text = std::fs::read_to_string(root().join("fixtures/xerox-versalink-b405-low.snmprec"))
        .unwrap()
        .replace(
            "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1|2|98123",
            "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1|4|lots",
        )
        .replace(
            "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.34|2|98123",
            "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.34|2|-5",
        )
        .replace(
            "1.3.6.1.2.1.43.10.2.1.4.1.1|65|98123",
            "1.3.6.1.2.1.43.10.2.1.4.1.1|70|18446744073709551615",
        );
    assert!(text.contains("|4|lots") && text.contains("|2|-5") && text.contains("|70|"));
    std::fs::write(rec.path().join("garbage.snmprec"), text).unwrap();
    let fleet = fleet(rec.path()).await;
    let d = &fleet.devices[0];
    let serial = d.serial.clone().unwrap();
    let s = system();
    let (success, out, err) = once(&s, &[d.addr.to_string()]);
    assert!(success, "{out}\n{err}");
    let stored = readings(&s, &serial).await;
    assert_eq!(stored.len(), 1, "the reading is kept");
    let meters: Vec<(&str, u64)> = stored[0]["meters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["oid"].as_str().unwrap(), m["value"].as_u64().unwrap()))
        .collect();
    assert!(!meters.is_empty(), "the good counters are there");
    for bad in [
        "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1",
        "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.34",
        "1.3.6.1.2.1.43.10.2.1.4.1.1",
    ] {
        assert!(
            meters.iter().all(|(o, _)| *o != bad),
            "{bad} is garbage, not a number: {meters:?}"
        );
    }
    assert!(!stored[0]["supplies"].as_array().unwrap().is_empty());
    // What `device read` reports (one interpretation), and the good counters are a meter read.
    let read: Json = serde_json::from_str(&ok(bin()
        .args(["device", "read", "--json", "--target"])
        .arg(d.addr.to_string())))
    .unwrap();
    assert_eq!(stored[0]["meters"], read["meters"]);
    let reads = s
        .get(&format!(
            "/api/v1/devices/{serial}/meter-reads?since=2000-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(reads.as_array().unwrap().len(), 1, "{reads}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clock_that_jumps_back_and_forward_loses_no_reading() {
    let rec = tempfile::tempdir().unwrap();
    recordings(rec.path());
    let fleet = fleet(rec.path()).await;
    let d = fleet.devices.iter().find(|d| d.serial.is_some()).unwrap();
    let serial = d.serial.clone().unwrap();
    let s = system();
    let enrolment = agent::credential::load(&s.agent_dir()).unwrap();
    let queue = agent::queue::Queue::open(&s.agent_dir(), 1000)
        .await
        .unwrap();
    let cfg = agent::collect::CollectConfig {
        communities: vec!["public".into()],
        timeout: Duration::from_millis(300),
        retries: 0,
        concurrency: 4,
        rate: 1000,
        meter_interval: Duration::from_millis(1),
    };
    let http = agent::upload::client().unwrap();
    let t0 = chrono::Utc::now();
    // The agent's clock: right, 2 h back, 3 days ahead, right again.
    let clocks = [
        t0,
        t0 - chrono::Duration::hours(2),
        t0 + chrono::Duration::days(3),
        t0 + chrono::Duration::minutes(15),
    ];
    for at in clocks {
        let stats =
            agent::collect::cycle(&queue, vec![(d.addr.to_string(), None)], &cfg, &move || at)
                .await
                .unwrap();
        assert_eq!(stats.readings, 1);
        let up = agent::upload::drain(&http, &enrolment, &queue, 1000)
            .await
            .unwrap();
        assert_eq!((up.stored, up.rejected), (1, 0), "at {at}");
    }
    let stored = readings(&s, &serial).await; // newest first
    assert_eq!(stored.len(), 4, "no reading lost");
    let times: Vec<chrono::DateTime<chrono::Utc>> = stored
        .iter()
        .rev()
        .map(|r| r["read_at"].as_str().unwrap().parse().unwrap())
        .collect();
    let now = chrono::Utc::now();
    assert_eq!(times[0], t0);
    assert!(times[1] > t0, "2 h back: kept after the one before");
    assert!(
        times[2] <= now,
        "3 days ahead: stored at the time it arrived"
    );
    assert_eq!(
        times[3],
        t0 + chrono::Duration::minutes(15),
        "right again: the clock's own time"
    );
    assert_eq!(queue.depth().await.unwrap(), 0);
}
