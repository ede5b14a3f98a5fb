//! `support-assistant serve manager` notification options, as a partner meets them: addresses
//! added with `manager notification-email add`, an incident created over the API, the e-mail
//! sent through `--mail` (a real SMTP server on loopback) from `--mail-from`; webhooks to
//! loopback refused unless `--webhook-allow-private` is given.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "../../../assistant/tests/app/smtp_sink.rs"]
#[allow(dead_code)]
mod smtp_sink;
use smtp_sink::{Mode, SmtpSink};

use crate::{Running, bin, run};

fn data_args(dir: &Path) -> Vec<String> {
    vec![
        "--database".into(),
        format!("sqlite://{}", dir.join("manager.db").display()),
        "--data-keys-file".into(),
        dir.join("manager.keys").display().to_string(),
    ]
}

/// Runs `support-assistant manager …` and returns its first output line.
fn manager(args: &[&str], data: &[String]) -> String {
    let (ok, out, err) = run(bin().arg("manager").args(args).args(data));
    assert!(ok, "manager {args:?}: {out}{err}");
    out.lines().next().unwrap_or_default().trim().to_string()
}

fn serve(data: &[String], extra: &[String]) -> (Running, String) {
    let mut child = bin()
        .args([
            "serve",
            "manager",
            "--listen",
            "127.0.0.1:0",
            "--insecure-http",
        ])
        .args(data)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve manager starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("manager listening on ").nth(1) {
            let url = rest.split_whitespace().next().expect("url").to_string();
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (running, url);
        }
    }
    panic!("serve manager did not print its URL");
}

async fn add_webhook(http: &reqwest::Client, base: &str, key: &str, url: &str) -> u16 {
    http.post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(key)
        .json(&json!({"url": url}))
        .send()
        .await
        .expect("webhook request")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_manager_mails_notifications_with_mail_and_mail_from_and_allows_loopback_webhooks_only_when_told()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = data_args(dir.path());
    manager(&["tenant", "add", "--name", "Acme"], &data);
    let customer = manager(&["customer", "add", "--partner", "Acme", "--name", "Contoso"], &data);
    manager(
        &[
            "device", "add", "--partner", "Acme", "--customer", &customer, "--serial", "SN-7",
            "--model", "AltaLink",
        ],
        &data,
    );
    let key = manager(&["api-key", "add", "--partner", "Acme"], &data);
    manager(
        &[
            "notification-email",
            "add",
            "--partner",
            "Acme",
            "--address",
            "leitstelle@acme.example",
            "--language",
            "de",
            "--event",
            "incident.created",
        ],
        &data,
    );
    let listed = manager(&["notification-email", "list", "--partner", "Acme"], &data);
    assert!(listed.contains("leitstelle@acme.example\tde\tincident.created"), "{listed}");
    let (ok, _, err) = run(bin()
        .args(["manager", "notification-email", "add", "--partner", "Acme", "--address", "x"])
        .args(&data));
    assert!(!ok && err.contains("address"), "a bad address is refused: {err}");

    let sink = SmtpSink::start(Mode::Delay(Duration::ZERO)).await;
    let (server, base) = serve(
        &data,
        &[
            "--mail".into(),
            sink.url(10),
            "--mail-from".into(),
            "Acme Leitstelle <absender@acme.example>".into(),
        ],
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let res = http
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(&key)
        .header("Idempotency-Key", "k1")
        .json(&json!({
            "device_serial": "SN-7",
            "kind": "service",
            "issue_code": "paper_jam",
            "description": "jam",
            "contact": {"name": "Ana Lopez", "email": "ana@example.com"}
        }))
        .send()
        .await
        .expect("incident");
    assert_eq!(res.status(), 201);
    let number = res.json::<Value>().await.expect("json")["number"]
        .as_str()
        .expect("number")
        .to_string();
    // The sender runs every 5 s: wait up to 30 s for the one message.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.messages().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "one notification e-mail");
    let (rcpt, data_text) = &messages[0];
    assert_eq!(rcpt, &vec!["leitstelle@acme.example".to_string()]);
    let parsed = mail_parser::MessageParser::default()
        .parse(data_text.as_bytes())
        .expect("message");
    let from = parsed.from().and_then(|f| f.first()).expect("from");
    assert_eq!(from.address(), Some("absender@acme.example"));
    assert_eq!(
        parsed.subject(),
        Some(format!("{number}: neuer Vorgang für Gerät SN-7").as_str())
    );
    assert!(!data_text.contains("ana@example.com") && !data_text.contains("Ana Lopez"));

    // Without --webhook-allow-private a loopback receiver is refused…
    assert_eq!(add_webhook(&http, &base, &key, "http://127.0.0.1:9/hook").await, 422);
    drop(server);
    // …and with it, accepted.
    let (_server, base) = serve(
        &data,
        &["--mail".into(), sink.url(10), "--webhook-allow-private".into()],
    );
    assert_eq!(add_webhook(&http, &base, &key, "http://127.0.0.1:9/hook").await, 201);
}
