//! `support-assistant serve gallery` as a process.

use crate::helpers::{announced_url, binary};
use std::process::Stdio;
use std::time::{Duration, Instant};

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_gallery_starts_on_sqlite_and_accepts_its_api_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = "sag_test-key-for-the-serve-command";
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log");
    let _server = Server(
        std::process::Command::new(binary())
            .args([
                "serve",
                "gallery",
                "--listen",
                "127.0.0.1:0",
                "--insecure-http",
            ])
            .arg("--database")
            .arg(format!(
                "sqlite:{}",
                dir.path().join("gallery.db").display()
            ))
            .env("SA_GALLERY_API_KEY", key)
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn"),
    );
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let base = loop {
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(base) = announced_url(&output)
            && let Ok(response) = client.get(format!("{base}/healthz")).send().await
        {
            assert_eq!(response.status(), 200);
            break base;
        }
        assert!(
            Instant::now() < deadline,
            "serve gallery did not answer within 20 s; its output:\n{output}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let put = client
        .put(format!("{base}/api/devices/D1"))
        .bearer_auth(key)
        .json(&serde_json::json!({ "tenant": "partner-a" }))
        .send()
        .await
        .expect("request");
    assert_eq!(put.status(), 204);
    let refused = client
        .put(format!("{base}/api/devices/D1"))
        .bearer_auth("sag_other")
        .json(&serde_json::json!({ "tenant": "partner-a" }))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 401);
    // SQLite runs in WAL mode: the write-ahead log sits beside the database while it is open.
    assert!(dir.path().join("gallery.db-wal").exists());
}

/// `support-assistant gallery api-key --partner P` prints a key that the served gallery accepts
/// for P's devices only; without --partner or --admin the command refuses.
#[tokio::test]
async fn the_api_key_command_creates_a_partner_scoped_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite:{}", dir.path().join("gallery.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(binary())
            .args(["gallery", "api-key"])
            .args(args)
            .args(["--database", &database])
            .output()
            .expect("run")
    };
    let refused = run(&[]);
    assert!(!refused.status.success(), "a scope must be chosen");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--partner"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let both = run(&["--partner", "partner-a", "--admin"]);
    assert!(!both.status.success(), "one scope only");
    let created = run(&["--partner", "partner-a"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let printed = String::from_utf8_lossy(&created.stdout).into_owned();
    assert!(printed.contains("partner partner-a"), "{printed}");
    let partner_key = printed
        .split_whitespace()
        .find(|w| w.starts_with("sag_"))
        .expect("the key is printed")
        .to_owned();

    let admin_key = "sag_admin-key-for-the-api-key-command";
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log");
    let _server = Server(
        std::process::Command::new(binary())
            .args([
                "serve",
                "gallery",
                "--listen",
                "127.0.0.1:0",
                "--insecure-http",
            ])
            .args(["--database", &database])
            .env("SA_GALLERY_API_KEY", admin_key)
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn"),
    );
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let base = loop {
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(base) = announced_url(&output)
            && client.get(format!("{base}/healthz")).send().await.is_ok()
        {
            break base;
        }
        assert!(Instant::now() < deadline, "not up:\n{output}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for (serial, tenant) in [("D1", "partner-a"), ("D2", "partner-b")] {
        let put = client
            .put(format!("{base}/api/devices/{serial}"))
            .bearer_auth(admin_key)
            .json(&serde_json::json!({ "tenant": tenant }))
            .send()
            .await
            .expect("request");
        assert_eq!(put.status(), 204);
    }
    for (serial, expected) in [("D1", 200), ("D2", 404)] {
        let read = client
            .get(format!("{base}/api/devices/{serial}/configuration"))
            .bearer_auth(&partner_key)
            .send()
            .await
            .expect("request");
        assert_eq!(read.status(), expected, "partner-a's key reading {serial}");
    }
}
