//! Two `support-assistant serve assistant` processes on one PostgreSQL outbox, against the
//! demo's Services Manager and App Gallery and an SMTP server that takes 2 s to answer: every
//! acknowledged submission gets exactly one confirmation.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use gallery::config::AppConfiguration;
use gallery::credential::SigningKeyring;
use gallery::seal::SealingKeyring;

use crate::{Running, bin, free_base_port, run};

#[path = "../../../assistant/tests/app/smtp_sink.rs"]
#[allow(dead_code)]
pub(crate) mod smtp_sink;
use smtp_sink::{Mode, SmtpSink};

const SERIAL: &str = "XRX9C934E4A7B21";

#[derive(serde::Deserialize)]
struct Secrets {
    manager_api_key: String,
    gallery_sealing: String,
    gallery_signing: String,
    contact_keys: String,
}

/// A PostgreSQL database of its own (127.0.0.1:5432, user postgres), dropped with the guard.
struct PgDatabase(String);

impl PgDatabase {
    fn create() -> Self {
        let name = format!("assistant_cli_{}", uuid::Uuid::new_v4().simple());
        let (ok, _, err) = run(std::process::Command::new("createdb")
            .args(["-h", "127.0.0.1", "-U", "postgres"])
            .arg(&name));
        assert!(ok, "createdb: {err}");
        Self(name)
    }
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.0)
    }
    fn query(&self, sql: &str) -> String {
        let (ok, out, err) = run(std::process::Command::new("psql").args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tA",
            "-d",
            &self.0,
            "-c",
            sql,
        ]));
        assert!(ok, "psql: {err}");
        out
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = std::process::Command::new("dropdb")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "--force",
                "--if-exists",
            ])
            .arg(&self.0)
            .output();
    }
}

/// The demo (manager, gallery, an assistant we do not use, devices), until "Press Ctrl-C".
fn start_demo(dir: &Path, base: u16) -> Running {
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
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.starts_with("Press Ctrl-C") {
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return running;
        }
    }
    panic!("the demo did not start");
}

/// `serve assistant` on an ephemeral port; returns it with its base URL.
fn start_assistant(
    secrets: &Secrets,
    base: u16,
    database: &str,
    mail: &str,
    extra: &[&str],
) -> (Running, String) {
    let mut child: Child = bin()
        .args([
            "serve",
            "assistant",
            "--listen",
            "127.0.0.1:0",
            "--insecure-http",
            "--database",
            database,
            "--manager-url",
            &format!("http://127.0.0.1:{base}"),
            "--gallery-url",
            &format!("http://127.0.0.1:{}", base + 1),
            "--mail",
            mail,
        ])
        .args(extra)
        .env(
            "SA_MANAGER_API_KEYS",
            format!("acme={}", secrets.manager_api_key),
        )
        .env("SA_CONFIG_KEYS", &secrets.gallery_sealing)
        .env("SA_CONTACT_KEYS", &secrets.contact_keys)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve assistant starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(url) = line.strip_prefix("assistant: App API on ") {
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (running, url.trim().to_string());
        }
    }
    panic!("serve assistant did not print its address");
}

struct Setup {
    dir: tempfile::TempDir,
    _demo: Running,
    base: u16,
    secrets: Secrets,
    credential: String,
    sealed: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = free_base_port();
    let demo = start_demo(dir.path(), base);
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
    Setup {
        dir,
        _demo: demo,
        base,
        secrets,
        credential,
        sealed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once()
 {
    let s = setup();
    let db = PgDatabase::create();
    let sink = SmtpSink::start(Mode::Delay(Duration::from_secs(2))).await;
    let from = ["--mail-from", "Acme Service <service@acme.example>"];
    let (_a, url_a) = start_assistant(&s.secrets, s.base, &db.url(), &sink.url(10), &from);
    let (_b, url_b) = start_assistant(&s.secrets, s.base, &db.url(), &sink.url(10), &from);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut references = Vec::new();
    for i in 0..20 {
        let url = if i % 2 == 0 { &url_a } else { &url_b };
        let r = http
            .post(format!("{url}/api/v1/service-incidents"))
            .bearer_auth(&s.credential)
            .header("x-app-config", &s.sealed)
            .header("idempotency-key", format!("two-{i}"))
            .json(&serde_json::json!({"issue_code": "noise", "description": format!("two instances #{i}"), "contact": {"name": "Erika Mustermann", "email": "erika.mustermann@example.org"}}))
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.expect("json");
        assert!(status == 201 || status == 202, "{status}: {body}");
        references.push(body["reference"].as_str().expect("reference").to_string());
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while db
        .query("SELECT count(*) FROM outbox WHERE state <> 'done'")
        .trim()
        != "0"
    {
        assert!(
            Instant::now() < deadline,
            "not all done: {}",
            db.query("SELECT state, count(*) FROM outbox GROUP BY state")
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // A second send would be under way within a lease; give it time to arrive.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let received: HashMap<String, usize> = sink.received();
    for r in &references {
        assert_eq!(
            received.get(r),
            Some(&1),
            "{r} must be received exactly once: {received:?}"
        );
    }
    assert_eq!(received.len(), references.len(), "{received:?}");
    for (_, message) in sink.messages() {
        assert!(
            message
                .lines()
                .any(|l| l.starts_with("From:") && l.contains("service@acme.example")),
            "sent from --mail-from: {message}"
        );
    }
    assert_eq!(
        db.query("SELECT count(*) FROM outbox WHERE contact_sealed IS NOT NULL")
            .trim(),
        "0",
        "contacts erased once the confirmation went out"
    );
}

/// The per-device rate limit lives in PostgreSQL when the instances share it: two processes
/// together let a device through no more often than one would (bursts of 60, next to no refill).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_device_rate_limit_holds_across_two_assistant_processes_on_postgres() {
    let s = setup();
    let db = PgDatabase::create();
    let limit = ["--rate-limit-per-second", "0.01"];
    let mail = format!("folder:{}", s.dir.path().join("mail").display());
    let mail = mail.as_str();
    let (_a, url_a) = start_assistant(&s.secrets, s.base, &db.url(), mail, &limit);
    let (_b, url_b) = start_assistant(&s.secrets, s.base, &db.url(), mail, &limit);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut through = [0usize; 2];
    let mut limited = [0usize; 2];
    for i in 0..160 {
        let which = i % 2;
        let url = if which == 0 { &url_a } else { &url_b };
        let r = http
            .get(format!("{url}/api/v1/service-issues"))
            .bearer_auth(&s.credential)
            .header("x-app-config", &s.sealed)
            .send()
            .await
            .expect("get");
        if r.status().as_u16() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            limited[which] += 1;
        } else {
            through[which] += 1;
        }
    }
    let total = through[0] + through[1];
    assert!(
        (60..=61).contains(&total),
        "the device got {total} requests through two instances ({through:?}); one instance allows 60"
    );
    assert!(
        limited[0] > 0 && limited[1] > 0,
        "both instances refuse: {limited:?}"
    );
}

/// The per-address limit (requests that come from no verified device: no credential, or a refused
/// one) lives in PostgreSQL too: two processes together answer an address no more often than one
/// would (bursts of 60, next to no refill), and a refused credential counts like none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_limit_holds_across_two_assistant_processes_on_postgres() {
    let s = setup();
    let db = PgDatabase::create();
    let limit = ["--rate-limit-per-second", "0.01"];
    let mail = format!("folder:{}", s.dir.path().join("mail").display());
    let mail = mail.as_str();
    let (_a, url_a) = start_assistant(&s.secrets, s.base, &db.url(), mail, &limit);
    let (_b, url_b) = start_assistant(&s.secrets, s.base, &db.url(), mail, &limit);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut through = [0usize; 2];
    let mut limited = [0usize; 2];
    for i in 0..160 {
        let which = i % 2;
        let url = if which == 0 { &url_a } else { &url_b };
        let mut r = http.get(format!("{url}/api/v1/incidents"));
        if i % 4 == 1 {
            // A credential that is not accepted counts against the address as well.
            r = r.bearer_auth("not-a-credential");
        }
        let r = r.send().await.expect("get");
        match r.status().as_u16() {
            429 => {
                assert!(r.headers().contains_key("retry-after"));
                limited[which] += 1;
            }
            401 => through[which] += 1,
            other => panic!("unexpected {other}"),
        }
    }
    let total = through[0] + through[1];
    assert!(
        (60..=62).contains(&total),
        "the address got {total} answers through two instances ({through:?}); one instance allows 60"
    );
    assert!(
        limited[0] > 0 && limited[1] > 0,
        "both instances refuse: {limited:?}"
    );
    // A verified device is limited on its own bucket, not its (exhausted) address's.
    let r = http
        .get(format!("{url_a}/api/v1/service-issues"))
        .bearer_auth(&s.credential)
        .header("x-app-config", &s.sealed)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
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
