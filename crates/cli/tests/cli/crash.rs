//! kill -9 of the running system during a stream of submissions: after a restart every
//! acknowledged submission reaches the Services Manager exactly once, and neither the logs nor
//! the assistant's database hold the contact details.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gallery::config::AppConfiguration;
use gallery::credential::SigningKeyring;
use gallery::seal::SealingKeyring;

use crate::{bin, free_base_port};

const SERIAL: &str = "XRX9C934E4A7B21";
const NAME: &str = "Kasimir Crashtest";
const EMAIL: &str = "kasimir.crashtest@example.org";
const PHONE: &str = "+49 89 7654321";

fn start_demo(dir: &Path, base: u16, log: &Path) -> Child {
    let mut child = bin()
        .args([
            "demo",
            "--base-port",
            &base.to_string(),
            "--snmp-base-port",
            &(base + 100).to_string(),
            "--data-dir",
        ])
        .arg(dir)
        .env("SA_WEBLET_DIR", dir.join("no-weblet"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("log"),
        )
        .spawn()
        .expect("demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = String::new();
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.starts_with("Press Ctrl-C") {
                    let out = log.with_extension("stdout");
                    let mut all = std::fs::read_to_string(&out).unwrap_or_default();
                    all.push_str(&seen);
                    std::fs::write(&out, &all).expect("stdout log");
                    std::thread::spawn(move || {
                        for l in lines.map_while(Result::ok) {
                            let _ = std::fs::OpenOptions::new()
                                .append(true)
                                .open(&out)
                                .and_then(|mut f| {
                                    std::io::Write::write_all(&mut f, format!("{l}\n").as_bytes())
                                });
                        }
                    });
                    return child;
                }
            }
            _ => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "the demo did not start:\n{seen}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

#[derive(serde::Deserialize)]
struct Secrets {
    manager_api_key: String,
    gallery_sealing: String,
    gallery_signing: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_stream_loses_no_acknowledged_submission_and_duplicates_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("demo.log");
    let base = free_base_port();
    let mut demo = start_demo(dir.path(), base, &log);
    let secrets: Secrets =
        serde_json::from_slice(&std::fs::read(dir.path().join("demo.json")).expect("demo.json"))
            .expect("secrets");
    let now = chrono::Utc::now();
    let (credential, _) = SigningKeyring::parse(&secrets.gallery_signing)
        .expect("keys")
        .issue(
            uuid::Uuid::new_v4(),
            gallery::domain::DeviceSerial::parse(SERIAL).expect("serial"),
            gallery::domain::Tenant::parse("acme").expect("tenant"),
            gallery::domain::AppId::parse("support-assistant").expect("app"),
            now,
            now + chrono::Duration::days(1),
        )
        .expect("credential");
    let sealed = demo_device_configuration(&secrets.gallery_sealing);
    let assistant = format!("http://127.0.0.1:{}", base + 2);

    // A stream of submissions; the system is killed while it flows.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let sender = {
        let acked = acked.clone();
        let (assistant, credential, sealed) =
            (assistant.clone(), credential.clone(), sealed.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client");
            for i in 0..60 {
                let marker = format!("crash-test #{i}");
                let r = http
                    .post(format!("{assistant}/api/v1/service-incidents"))
                    .bearer_auth(&credential)
                    .header("x-app-config", &sealed)
                    .header("idempotency-key", format!("crash-{i}"))
                    .json(&serde_json::json!({"issue_code": "noise", "description": marker, "contact": {"name": NAME, "email": EMAIL, "phone": PHONE}}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().as_u16() == 201 || r.status().as_u16() == 202 => {
                        acked.lock().expect("lock").push(marker)
                    }
                    Ok(r) => panic!(
                        "unexpected answer {}: {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    ),
                    Err(_) => return, // the system is gone
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().expect("lock").len() < 15 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    demo.kill().expect("kill -9");
    let _ = demo.wait();
    let _ = sender.await;
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= 15,
        "only {} acknowledged before the kill",
        acked.len()
    );

    // Restart on the same data; the outbox delivers what was acknowledged.
    let mut demo = start_demo(dir.path(), base, &log);
    let client = manager::client::ManagerClient::new(
        &format!("http://127.0.0.1:{base}"),
        secrecy::SecretString::from(secrets.manager_api_key.clone()),
    )
    .expect("client");
    let since = now - chrono::Duration::hours(1);
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut counts: HashMap<String, usize> = HashMap::new();
    while Instant::now() < deadline {
        let list = client
            .list_device_incidents(SERIAL, since)
            .await
            .expect("list");
        counts = HashMap::new();
        for i in &list {
            *counts.entry(i.description.clone()).or_default() += 1;
        }
        if acked.iter().all(|m| counts.contains_key(m)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for m in &acked {
        assert_eq!(
            counts.get(m),
            Some(&1),
            "{m} must be in the manager exactly once"
        );
    }
    assert!(
        counts.values().all(|n| *n == 1),
        "no submission twice: {counts:?}"
    );

    // Let the confirmations go out, then no contact detail may remain with the assistant or in logs.
    let outbox = dir.path().join("outbox");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline
        && std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0) < acked.len()
    {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = demo.kill();
    let _ = demo.wait();
    let mut bytes = Vec::new();
    for f in [
        "assistant.db",
        "assistant.db-wal",
        "demo.log",
        "demo.stdout",
    ] {
        bytes.extend(std::fs::read(dir.path().join(f)).unwrap_or_default());
    }
    let text = String::from_utf8_lossy(&bytes);
    for needle in [NAME, EMAIL, "7654321", "Crashtest"] {
        assert!(
            !text.contains(needle),
            "{needle:?} found in the assistant's database or the logs"
        );
    }
}

/// The configuration the demo's gallery holds for `SERIAL` (installed once: version 1), sealed
/// and bound to that device as the gallery seals it; an unbound or older one is refused.
fn demo_device_configuration(sealing_keys: &str) -> String {
    let binding = proto::config::ConfigBinding {
        serial: proto::DeviceSerial::parse(SERIAL).expect("serial"),
        tenant: proto::PartnerId::parse("acme").expect("tenant"),
        version: 1,
    };
    platform::sealed_config::seal(
        &SealingKeyring::parse(sealing_keys).expect("keys"),
        &binding,
        &AppConfiguration::default(),
    )
    .expect("seal")
}
