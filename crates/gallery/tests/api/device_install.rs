//! End to end: the gallery installs the app into a running device emulator
//! (`support-assistant device serve`), and the device lists it afterwards.

use crate::helpers::{TestApp, announced_url, binary, spawn_app, workspace};
use gallery::install::{InstallError, device_apps, install_into_device};
use secrecy::SecretString;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The serial the recording reports (prtGeneralSerialNumber).
const SERIAL: &str = "XRX9C934E4A7B21";
const ADMIN_PASSWORD: &str = "device-admin-pw";

struct Emulator {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_emulator() -> Emulator {
    let data = tempfile::tempdir().expect("tempdir");
    let log_path = data.path().join("emulator.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let recording = workspace().join("fixtures/xerox-altalink-c8055-meters.snmprec");
    let child = Command::new(binary())
        .args(["device", "serve", "--recording"])
        .arg(&recording)
        .args(["--snmp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(["--admin-password", ADMIN_PASSWORD, "--data-dir"])
        .arg(data.path())
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn the device emulator");
    let mut emulator = Emulator {
        child,
        url: String::new(),
        _data: data,
    };
    // Wait (bounded) until it says where it listens and answers there.
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = reqwest::Client::new();
    loop {
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        if emulator.url.is_empty()
            && let Some(url) = announced_url(&output)
        {
            emulator.url = url;
        }
        if !emulator.url.is_empty()
            && client
                .get(format!("{}/api/apps", emulator.url))
                .send()
                .await
                .is_ok()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the emulator did not answer within 20 s; its output:\n{output}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    emulator
}

#[test]
fn the_emulator_announcement_is_read() {
    let log = "SNMP v2c agent on udp://127.0.0.1:49576 (community \"public\")\n\
               panel and web services on http://127.0.0.1:37927\n";
    assert_eq!(
        announced_url(log).as_deref(),
        Some("http://127.0.0.1:37927")
    );
    assert_eq!(announced_url("starting\n"), None);
}

async fn ready_gallery() -> TestApp {
    let app = spawn_app().await;
    app.register(SERIAL, "partner-a.cust-1", false).await;
    app.publish("1.0.0").await;
    app
}

#[tokio::test]
async fn install_into_a_running_emulator_end_to_end() {
    let app = ready_gallery().await;
    let device = start_emulator().await;
    let bundle = app.install(SERIAL).await;
    let answer = install_into_device(
        &device.url,
        &SecretString::from(ADMIN_PASSWORD.to_owned()),
        &bundle,
    )
    .await
    .expect("installed");
    assert_eq!(answer["installed"], true);
    let apps = device_apps(&device.url).await.expect("apps");
    assert!(
        apps.iter()
            .any(|a| a.app_id == "support-assistant" && a.version == "1.0.0"),
        "{apps:?}"
    );
    // The device keeps the sealed configuration and the credential as delivered (it shows
    // them only to callers on the device itself, which this test is).
    let kept: serde_json::Value =
        reqwest::get(format!("{}/api/apps/support-assistant/config", device.url))
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
    assert_eq!(kept["sealed_config"], bundle.sealed_config.as_str());
    assert_eq!(kept["credential"], bundle.credential.as_str());
    let config: gallery::config::AppConfiguration = crate::helpers::open_config(
        &app.state.sealing,
        kept["sealed_config"].as_str().expect("blob"),
    )
    .expect("the blob the device kept still opens");
    assert_eq!(config.snmp_community.expose(), "public");
}

#[tokio::test]
async fn the_device_refuses_a_wrong_admin_password() {
    let app = ready_gallery().await;
    let device = start_emulator().await;
    let bundle = app.install(SERIAL).await;
    let err = install_into_device(
        &device.url,
        &SecretString::from("wrong".to_owned()),
        &bundle,
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, InstallError::Unauthorized(401)), "{err}");
    assert!(device_apps(&device.url).await.expect("apps").is_empty());
}

#[tokio::test]
async fn the_install_command_line_installs_through_the_gallery() {
    let app = ready_gallery().await;
    let device = start_emulator().await;
    let bin = binary();
    let output = tokio::process::Command::new(bin)
        .args([
            "gallery",
            "install",
            "--device",
            &device.url,
            "--serial",
            SERIAL,
        ])
        .args([
            "--admin-password",
            ADMIN_PASSWORD,
            "--gallery",
            &app.address,
        ])
        .args(["--api-key", &app.api_key])
        .output()
        .await
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("installed support-assistant 1.0.0"));
    let apps = device_apps(&device.url).await.expect("apps");
    assert_eq!(apps.len(), 1, "{apps:?}");
}
