//! The fleet agent's API on both backends: enrolment, batched readings (idempotent), automatic meter
//! reads, new devices, revocation, tenant isolation.

use crate::helpers::{Backend, TestApp, both_backends, spawn_app, t0};
use proto::fleet::*;
use serde_json::{Value, json};
use uuid::Uuid;

both_backends!(
    an_enrolled_agent_uploads_once_and_a_revoked_one_is_refused,
    garbage_and_rollbacks_are_refused_per_reading_not_per_batch,
    the_console_lists_agents_and_reported_devices_and_revokes,
    one_batch_keeps_the_meter_rules_and_stores_each_reading_once,
    concurrent_uploads_of_one_large_batch_store_it_once,
    a_supply_class_or_status_outside_the_contract_is_refused_at_the_door,
    readings_outside_the_documented_limits_are_rejected_alone_naming_the_field,
    an_agents_contact_is_recorded_to_the_minute_and_a_new_version_at_once,
);

async fn add_agent(app: &TestApp) -> (Uuid, String) {
    let customers: Value = app
        .http
        .get(app.url("/api/v1/customers"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let customer = customers[0]["id"].as_str().unwrap().to_string();
    let res = app
        .http
        .post(app.url("/api/v1/agents"))
        .bearer_auth(&app.a.api_key)
        .json(&json!({"customer_id": customer, "name": "HQ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["agent"]["state"], "waiting_enrolment");
    let token = created["enrol_token"].as_str().unwrap().to_string();
    let res = app
        .http
        .post(app.url("/api/v1/agents/enroll"))
        .json(&EnrollRequest {
            token: token.clone(),
            version: "0.1.0".into(),
            host: Some("site-1".into()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let enrolled: EnrollResponse = res.json().await.unwrap();
    let again = app
        .http
        .post(app.url("/api/v1/agents/enroll"))
        .json(&json!({"token": token, "version": "0.1.0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401, "an enrolment token works once");
    (enrolled.agent_id, enrolled.credential)
}

fn reading(serial: &str, total: u64, alert: Option<(i64, &str)>) -> Reading {
    Reading {
        reading_id: Uuid::new_v4(),
        read_at: t0(),
        address: "127.0.10.1:1161".into(),
        identity: FleetIdentity {
            serial: serial.into(),
            model: Some("AltaLink C8055".into()),
            ..Default::default()
        },
        status: FleetStatus {
            device: Some("down".into()),
            printer: Some("idle".into()),
            errors: vec!["jammed".into()],
        },
        supplies: vec![FleetSupply {
            index: "1.1".into(),
            description: "Black Toner".into(),
            part_number: None,
            kind: "toner".into(),
            class: proto::fleet::SupplyClass::Consumed,
            colorant: Some("black".into()),
            max_capacity: Some(100),
            level: Some(40),
            percent: Some(40),
            status: proto::fleet::SupplyStatus::Ok,
        }],
        meters: vec![FleetMeter {
            id: "total-impressions".into(),
            name: "Total impressions".into(),
            value: total,
            oid: "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1".into(),
        }],
        alerts: alert
            .map(|(code, severity)| FleetAlert {
                index: "1.1".into(),
                severity: severity.into(),
                training_level: Some("untrained".into()),
                group: Some("media_path".into()),
                group_index: Some(1),
                location: Some(0),
                code,
                code_name: "jam".into(),
                description: "Paper jam".into(),
                time: Some(100),
            })
            .into_iter()
            .collect(),
    }
}

async fn upload(app: &TestApp, credential: &str, batch: &ReadingBatch) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/agents/readings"))
        .bearer_auth(credential)
        .header("X-Agent-Version", "0.1.0")
        .json(batch)
        .send()
        .await
        .unwrap()
}

async fn an_enrolled_agent_uploads_once_and_a_revoked_one_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let (agent_id, credential) = add_agent(&app).await;
    let batch = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![
            reading("new-1", 1000, Some((8, "critical"))),
            reading("SN-100", 5, None),
        ],
    };
    let res = upload(&app, &credential, &batch).await;
    assert_eq!(res.status(), 200);
    let receipt: BatchReceipt = res.json().await.unwrap();
    assert_eq!(
        (receipt.stored, receipt.duplicates, receipt.rejected),
        (2, 0, 0)
    );
    assert!(receipt.results[0].new_device && !receipt.results[1].new_device);
    assert!(receipt.results.iter().all(|r| r.meter_read));

    // The same batch again, and one reading of it in another batch: nothing stored twice.
    let receipt: BatchReceipt = upload(&app, &credential, &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((receipt.stored, receipt.duplicates), (0, 2));
    let again = ReadingBatch {
        batch_id: Uuid::new_v4(),
        readings: vec![batch.readings[0].clone()],
        ..batch.clone()
    };
    let receipt: BatchReceipt = upload(&app, &credential, &again)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(receipt.duplicates, 1);

    let stored: Vec<StoredReading> = app
        .http
        .get(app.url("/api/v1/devices/NEW-1/readings"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].agent_id, agent_id);
    assert_eq!(stored[0].alerts[0].code, 8);
    assert_eq!(stored[0].alerts[0].severity, "critical");
    assert_eq!(stored[0].supplies, batch.readings[0].supplies);
    assert_eq!(stored[0].meters, batch.readings[0].meters);

    // The meters are an automatic meter read, once; the new device is under the agent's customer.
    let reads: Value = app
        .http
        .get(app.url("/api/v1/devices/NEW-1/meter-reads?since=2026-01-01T00:00:00Z"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reads.as_array().unwrap().len(), 1, "{reads}");
    assert_eq!(reads[0]["source"], "automatic");
    assert_eq!(reads[0]["meters"][0]["value"], 1000);
    assert!(
        reads[0]["number"]
            .as_str()
            .is_some_and(|n| n.starts_with("MR-") && n.len() == "MR-2026-000001".len()),
        "an automatic meter read has its MR number like any other: {reads}"
    );
    let fleet = app
        .store
        .store
        .fleet_devices(app.a.partner_id)
        .await
        .unwrap();
    let new = fleet.iter().find(|d| d.serial == "NEW-1").unwrap();
    assert!(new.is_new);
    assert_eq!(new.last.as_ref().unwrap().alerts.len(), 1);

    // The other partner sees nothing of it.
    let other = app
        .http
        .get(app.url("/api/v1/devices/NEW-1/readings"))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap();
    let other: Vec<StoredReading> = other.json().await.unwrap();
    assert!(other.is_empty());
    let agents: Vec<AgentView> = app
        .http
        .get(app.url("/api/v1/agents"))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(agents.is_empty());
    let res = app
        .http
        .post(app.url(&format!("/api/v1/agents/{agent_id}/revoke")))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "another partner cannot revoke it");

    // Revoked: refused.
    let res = app
        .http
        .post(app.url(&format!("/api/v1/agents/{agent_id}/revoke")))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = upload(&app, &credential, &again).await;
    assert_eq!(res.status(), 401);
    let agents: Vec<AgentView> = app
        .http
        .get(app.url("/api/v1/agents"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(agents[0].state, "revoked");
    assert_eq!(agents[0].version.as_deref(), Some("0.1.0"));
    assert!(agents[0].last_contact_at.is_some());
}

async fn garbage_and_rollbacks_are_refused_per_reading_not_per_batch(b: Backend) {
    let app = spawn_app(b).await;
    let (_, credential) = add_agent(&app).await;
    let first = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![reading("SN-100", 500, None)],
    };
    upload(&app, &credential, &first).await;
    let mut later = reading("SN-100", 400, None); // counter went backwards
    later.read_at = t0() + chrono::Duration::minutes(15);
    let mut future = reading("SN-100", 600, None);
    future.read_at = t0() + chrono::Duration::days(3);
    let bad_serial = reading("a/b", 1, None);
    let batch = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![later, future, bad_serial],
    };
    let receipt: BatchReceipt = upload(&app, &credential, &batch)
        .await
        .json()
        .await
        .unwrap();
    let outcomes: Vec<_> = receipt.results.iter().map(|r| r.outcome).collect();
    // The reading from the future is not lost: stored at the time it arrived, and said so.
    assert_eq!(
        outcomes,
        [
            ReadingOutcome::Stored,
            ReadingOutcome::Stored,
            ReadingOutcome::Rejected
        ]
    );
    assert!(!receipt.results[0].meter_read);
    assert!(
        receipt.results[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("below the previous read")
    );
    let future_detail = receipt.results[1].detail.as_deref().unwrap();
    assert!(
        future_detail.contains("ahead of the manager's clock")
            && future_detail.contains("stored at the time received"),
        "{future_detail}"
    );
    assert!(receipt.results[1].meter_read, "{future_detail}");
    let stored = app
        .store
        .store
        .list_readings(app.a.partner_id, "SN-100", 10)
        .await
        .unwrap();
    let future_stored = stored
        .iter()
        .find(|r| r.reading_id == receipt.results[1].reading_id)
        .expect("the reading from the future is stored");
    assert!(future_stored.read_at <= manager::clock::Clock::now(&*app.store.clock));
    assert!(
        receipt.results[2]
            .detail
            .as_deref()
            .unwrap()
            .contains("serial")
    );
    let res = upload(&app, "saa_wrong", &batch).await;
    assert_eq!(res.status(), 401);
}

fn at(serial: &str, minutes: i64, total: u64) -> Reading {
    Reading {
        read_at: t0() + chrono::Duration::minutes(minutes),
        ..reading(serial, total, None)
    }
}

async fn automatic_reads(app: &TestApp, serial: &str) -> Vec<(String, i64)> {
    let reads: Value = app
        .http
        .get(app.url(&format!(
            "/api/v1/devices/{serial}/meter-reads?since=2026-01-01T00:00:00Z"
        )))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reads
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "automatic")
        .map(|r| {
            (
                r["read_at"].as_str().unwrap().to_string(),
                r["meters"][0]["value"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The batch path checks meters like a single meter read does: against the stored reads (newest
/// and, for a late reading, the ones around it) and against the batch's earlier readings; the same
/// reading twice in a batch, or a batch sent again, stores nothing twice.
async fn one_batch_keeps_the_meter_rules_and_stores_each_reading_once(b: Backend) {
    let app = spawn_app(b).await;
    let (_, credential) = add_agent(&app).await;
    let first = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![
            at("MR-1", 0, 100),
            at("MR-1", 15, 200),
            at("MR-1", 30, 150), // below the batch's own previous reading
        ],
    };
    let mut readings = first.readings.clone();
    readings.push(first.readings[1].clone()); // the same reading twice
    let first = ReadingBatch { readings, ..first };
    let receipt: BatchReceipt = upload(&app, &credential, &first)
        .await
        .json()
        .await
        .unwrap();
    let seen: Vec<_> = receipt
        .results
        .iter()
        .map(|r| (r.outcome, r.meter_read))
        .collect();
    assert_eq!(
        seen,
        [
            (ReadingOutcome::Stored, true),
            (ReadingOutcome::Stored, true),
            (ReadingOutcome::Stored, false),
            (ReadingOutcome::Duplicate, true),
        ]
    );
    assert!(receipt.results[0].new_device && !receipt.results[1].new_device);
    let detail = receipt.results[2].detail.as_deref().unwrap();
    assert!(detail.contains("below the previous read (200)"), "{detail}");

    let late = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![
            at("MR-1", -15, 50), // older than every stored read, below them: fine
            at("MR-1", 5, 300),  // between 100 and 200, above the later one
            at("MR-1", 10, 90),  // between them, below the earlier one
            at("MR-1", 45, 250), // newest
        ],
    };
    let receipt: BatchReceipt = upload(&app, &credential, &late).await.json().await.unwrap();
    let reads: Vec<bool> = receipt.results.iter().map(|r| r.meter_read).collect();
    assert_eq!(reads, [true, false, false, true], "{receipt:?}");
    assert!(
        receipt.results[1]
            .detail
            .as_deref()
            .unwrap()
            .contains("above a later read (200)")
    );
    assert!(
        receipt.results[2]
            .detail
            .as_deref()
            .unwrap()
            .contains("below the previous read (100)")
    );
    let expected: Vec<i64> = vec![50, 100, 200, 250];
    let values = |reads: Vec<(String, i64)>| reads.into_iter().map(|(_, v)| v).collect::<Vec<_>>();
    assert_eq!(values(automatic_reads(&app, "MR-1").await), expected);
    // Uploaded reads are numbered like reads recorded one by one: MR-YYYY-NNNNNN, each its own.
    let listed: Value = app
        .http
        .get(app.url("/api/v1/devices/MR-1/meter-reads?since=2026-01-01T00:00:00Z"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: std::collections::BTreeSet<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        numbers.len(),
        listed.as_array().unwrap().len(),
        "{numbers:?}"
    );
    assert!(
        numbers
            .iter()
            .all(|n| n.starts_with("MR-") && n.len() == 14),
        "{numbers:?}"
    );

    // Both batches again: every reading a duplicate, no meter read twice, nothing refused.
    for batch in [&first, &late] {
        let receipt: BatchReceipt = upload(&app, &credential, batch).await.json().await.unwrap();
        assert_eq!(receipt.stored, 0);
        assert_eq!(receipt.duplicates as usize, batch.readings.len());
    }
    assert_eq!(values(automatic_reads(&app, "MR-1").await), expected);
    let stored: Vec<StoredReading> = app
        .http
        .get(app.url("/api/v1/devices/MR-1/readings"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored.len(), 7, "3 + 4 distinct readings");
}

/// Four deliveries of one batch at once (an agent retrying while its first upload still runs, or two
/// manager instances), large enough to take several multi-row statements per table: each reading
/// stored once, one meter read per device.
async fn concurrent_uploads_of_one_large_batch_store_it_once(b: Backend) {
    let app = spawn_app(b).await;
    let (_, credential) = add_agent(&app).await;
    let batch = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: (0..900)
            .map(|i| reading(&format!("C-{i:03}"), 1000 + i, Some((8, "critical"))))
            .collect(),
    };
    // Straight to the storage: 900 readings are more than one upload may carry (256 KiB).
    let agent = app
        .store
        .store
        .agent_for_credential(&manager::auth::token_hash(&credential), None)
        .await
        .unwrap()
        .unwrap();
    let one = || async {
        app.store
            .store
            .ingest_batch(&agent, batch.batch_id, 900, &batch.readings)
            .await
            .unwrap()
    };
    let (r1, r2, r3, r4) = tokio::join!(one(), one(), one(), one());
    let receipts = [r1, r2, r3, r4];
    assert_eq!(receipts.iter().filter(|r| r.first_time).count(), 1);
    let count = |o: ReadingOutcome| {
        receipts
            .iter()
            .flat_map(|r| &r.results)
            .filter(|x| x.outcome == o)
            .count()
    };
    assert_eq!(
        (
            count(ReadingOutcome::Stored),
            count(ReadingOutcome::Duplicate)
        ),
        (900, 2700)
    );
    assert!(
        receipts
            .iter()
            .all(|r| r.results.iter().all(|x| x.meter_read))
    );
    for serial in ["C-000", "C-450", "C-899"] {
        assert_eq!(automatic_reads(&app, serial).await.len(), 1, "{serial}");
    }
    let fleet = app
        .store
        .store
        .fleet_devices(app.a.partner_id)
        .await
        .unwrap();
    assert_eq!(
        fleet.iter().filter(|d| d.serial.starts_with("C-")).count(),
        900
    );
    assert!(fleet.iter().all(|d| d.last.is_some()));
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap()
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Logs in; returns (session cookie, csrf token of the fleet page, the fleet page).
async fn console(app: &TestApp, email: &str) -> (String, String, String) {
    let page = app
        .http
        .get(app.url("/console/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = cookie(&page, "sa_login_csrf");
    let csrf = csrf_in(&page.text().await.unwrap());
    let res = app
        .http
        .post(app.url("/console/login"))
        .header("cookie", format!("sa_login_csrf={login_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", email),
            ("password", crate::helpers::PASSWORD),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = cookie(&res, "sa_session");
    let html = app
        .http
        .get(app.url("/console/fleet"))
        .header("cookie", format!("sa_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    (session, csrf, html)
}

async fn the_console_lists_agents_and_reported_devices_and_revokes(b: Backend) {
    let app = spawn_app(b).await;
    let (agent_id, credential) = add_agent(&app).await;
    let batch = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![reading("new-1", 1000, Some((8, "critical")))],
    };
    assert_eq!(upload(&app, &credential, &batch).await.status(), 200);

    let (_, _, tech_page) = console(&app, &app.a.tech_email).await;
    assert!(
        tech_page.contains("NEW-1") && !tech_page.contains(">Revoke<"),
        "technicians see, not revoke"
    );
    let (session, csrf, html) = console(&app, &app.a.admin_email).await;
    for text in [
        "HQ",
        "active",
        "0.1.0",
        "site-1",
        "NEW-1",
        "<strong>new</strong>",
        "critical jam (8)",
        "Black Toner <span class=\"nowrap\">40%</span>",
        "down (jammed)",
    ] {
        assert!(html.contains(text), "{text} missing in {html}");
    }
    let (_, _, other) = console(&app, &app.b.admin_email).await;
    assert!(
        !other.contains("NEW-1") && !other.contains("HQ"),
        "another partner sees none of it"
    );

    let revoke = |csrf: String| {
        let app = &app;
        let session = session.clone();
        async move {
            app.http
                .post(app.url(&format!("/console/fleet/agents/{agent_id}/revoke")))
                .header("cookie", format!("sa_session={session}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("csrf", &csrf)]))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(revoke("forged".into()).await.status(), 403);
    assert_eq!(
        upload(&app, &credential, &batch).await.status(),
        200,
        "still active"
    );
    assert_eq!(revoke(csrf).await.status(), 303);
    assert_eq!(
        upload(&app, &credential, &batch).await.status(),
        401,
        "revoked in the console"
    );
}

async fn a_supply_class_or_status_outside_the_contract_is_refused_at_the_door(b: Backend) {
    let app = spawn_app(b).await;
    let (_, credential) = add_agent(&app).await;
    let batch = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![reading("SN-100", 500, None)],
    };
    for (field, value) in [("class", "bucket"), ("status", "half")] {
        let mut raw = serde_json::to_value(&batch).unwrap();
        raw["readings"][0]["supplies"][0][field] = json!(value);
        let refused = app
            .http
            .post(app.url("/api/v1/agents/readings"))
            .bearer_auth(&credential)
            .header("X-Agent-Version", "0.1.0")
            .json(&raw)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "{field} {value:?}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(
            problem["field"],
            format!("readings[0].supplies[0].{field}"),
            "{problem}"
        );
    }
    let receipt: BatchReceipt = upload(&app, &credential, &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (receipt.stored, receipt.duplicates),
        (1, 0),
        "nothing of the refused batches was stored"
    );
}

/// POSTs only the head of a request announcing `length` bytes: the limit answers from the
/// Content-Length before any body is read. (status, body)
fn announce(app: &TestApp, path: &str, credential: &str, length: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = app.base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {credential}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A batch of readings may be up to 4 MiB (`proto::fleet::MAX_BATCH_BODY_BYTES`); every other route keeps 256 KiB,
/// and says so in its 413 (problem+json).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_readings_may_be_4_mib_every_other_body_256_kib() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, credential) = add_agent(&app).await;
    // 1 MiB of readings passes the limit (and is then refused as the empty JSON it is).
    let res = app
        .http
        .post(app.url("/api/v1/agents/readings"))
        .bearer_auth(&credential)
        .header("content-type", "application/json")
        .body(vec![b' '; 1 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let limit = proto::fleet::MAX_BATCH_BODY_BYTES;
    let (status, text) = tokio::task::block_in_place(|| {
        announce(&app, "/api/v1/agents/readings", &credential, limit + 1)
    });
    assert_eq!(status, 413, "{text}");
    assert!(text.contains(&limit.to_string()), "{text}");
    let limit = manager::app::BODY_LIMIT;
    let (status, text) = tokio::task::block_in_place(|| {
        announce(&app, "/api/v1/agents/enroll", &credential, limit + 1)
    });
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(text.contains(&limit.to_string()), "{text}");
}

/// The limits of `proto::fleet::limits` (the OpenAPI document's reading schema): a reading that
/// breaks one is rejected on its own, its detail naming the field, and nothing of it is stored; a
/// NUL (which PostgreSQL text cannot hold) and a meter id twice (one meter read's values are unique
/// per meter) were server errors before. Parts written as arrays are refused with the batch; whole
/// numbers written as `40.0` are taken.
async fn readings_outside_the_documented_limits_are_rejected_alone_naming_the_field(b: Backend) {
    let app = spawn_app(b).await;
    let (_, credential) = add_agent(&app).await;
    let good = reading("SN-200", 500, Some((8, "warning")));
    let mut long = reading("SN-200", 500, None);
    long.supplies[0].description = "x".repeat(limits::DEVICE_TEXT + 1);
    let mut nul = reading("SN-200", 500, None);
    nul.identity.model = Some("Alta\0Link".into());
    let mut percent = reading("SN-200", 500, None);
    percent.supplies[0].percent = Some(101);
    let mut twice = reading("SN-200", 500, None);
    twice.meters.push(twice.meters[0].clone());
    let mut unnamed = reading("SN-200", 500, None);
    unnamed.meters[0].name = " ".into();
    let batch = ReadingBatch {
        batch_id: Uuid::new_v4(),
        agent_version: "0.1.0".into(),
        readings: vec![good, long, nul, percent, twice, unnamed],
    };
    let res = upload(&app, &credential, &batch).await;
    assert_eq!(res.status(), 200);
    let receipt: BatchReceipt = res.json().await.unwrap();
    assert_eq!(
        (receipt.stored, receipt.rejected),
        (1, 5),
        "{:?}",
        receipt.results
    );
    assert_eq!(receipt.results[0].outcome, ReadingOutcome::Stored);
    let details: Vec<&str> = receipt.results[1..]
        .iter()
        .map(|r| r.detail.as_deref().unwrap_or_default())
        .collect();
    for (detail, field) in details.iter().zip([
        "supplies[0].description",
        "identity.model",
        "supplies[0].percent",
        "meters[1].id",
        "meters[0].name",
    ]) {
        assert!(detail.starts_with(field), "{detail} should name {field}");
    }
    let stored = app
        .store
        .store
        .list_readings(app.a.partner_id, "SN-200", 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].reading_id, batch.readings[0].reading_id);

    let mut raw = serde_json::to_value(&batch).unwrap();
    raw["readings"] = json!([raw["readings"][0].clone()]);
    raw["readings"][0]["status"] = json!([null, null]);
    let res = app
        .http
        .post(app.url("/api/v1/agents/readings"))
        .bearer_auth(&credential)
        .json(&raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a status written as an array");
    let mut raw = serde_json::to_value(&batch).unwrap();
    raw["batch_id"] = json!(Uuid::new_v4());
    raw["readings"] = json!([raw["readings"][0].clone()]);
    raw["readings"][0]["reading_id"] = json!(Uuid::new_v4());
    raw["readings"][0]["supplies"][0]["percent"] = json!(40.0);
    raw["readings"][0]["alerts"][0]["time"] = json!(2843.0);
    let res = app
        .http
        .post(app.url("/api/v1/agents/readings"))
        .bearer_auth(&credential)
        .json(&raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "whole numbers with a zero fraction");
    let receipt: BatchReceipt = res.json().await.unwrap();
    assert_eq!(receipt.stored, 1, "{:?}", receipt.results);
}

async fn an_agents_contact_is_recorded_to_the_minute_and_a_new_version_at_once(b: Backend) {
    use manager::clock::Clock;
    let app = spawn_app(b).await;
    let (_, credential) = add_agent(&app).await;
    let store = &*app.store.store;
    let hash = manager::auth::token_hash(&credential);
    let contact = || async {
        let agents = store.list_agents(app.a.partner_id).await.unwrap();
        (agents[0].last_contact_at, agents[0].version.clone())
    };
    let start = app.store.clock.now();
    store
        .agent_for_credential(&hash, None)
        .await
        .unwrap()
        .unwrap();
    let (first, _) = contact().await;
    assert_eq!(first, Some(start));
    // Within the minute: the recorded contact stands (no write for each request).
    app.store.clock.advance(chrono::Duration::seconds(59));
    store
        .agent_for_credential(&hash, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact().await.0, Some(start));
    // A new version is recorded at once, with the contact.
    store
        .agent_for_credential(&hash, Some("0.2.0"))
        .await
        .unwrap()
        .unwrap();
    let now = app.store.clock.now();
    assert_eq!(contact().await, (Some(now), Some("0.2.0".to_string())));
    // A minute after the recorded contact, it is recorded again.
    app.store.clock.advance(chrono::Duration::seconds(60));
    store
        .agent_for_credential(&hash, Some("0.2.0"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact().await.0, Some(app.store.clock.now()));
}
