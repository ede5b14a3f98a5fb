//! Bound configurations, revocations within 5 s and `iat` checks, through the real App API
//! with a real App Gallery on loopback (the gallery's own HTTP API seals and installs).

use crate::helpers::{SERIAL_A, SERIAL_B, System, start_system};
use gallery::domain::{AppId, DeviceSerial, Tenant};
use gallery::install::InstallBundle;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Stores a configuration through the gallery's API; returns the sealed blob it answers.
async fn put_config(sys: &System, serial: &str, config: Value) -> String {
    let r = reqwest::Client::new()
        .put(format!(
            "{}/api/devices/{serial}/configuration",
            sys.gallery.base
        ))
        .bearer_auth(&sys.gallery.api_key)
        .json(&config)
        .send()
        .await
        .expect("gallery");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let body: Value = r.json().await.expect("json");
    body["sealed_config"].as_str().expect("blob").to_string()
}

async fn startup(
    sys: &System,
    serial: &str,
    credential: Option<&str>,
    sealed: &str,
) -> (u16, Value) {
    let mut panel = sys.panel(serial);
    if let Some(credential) = credential {
        panel.credential = credential.to_string();
    }
    panel.sealed_config = sealed.to_string();
    panel.post("/api/v1/startup", None, json!({})).await
}

fn detail(body: &Value) -> String {
    body["detail"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_configuration_sealed_for_another_device_is_refused_with_a_clear_message() {
    let sys = start_system().await;
    let for_b = put_config(&sys, SERIAL_B, json!({})).await;
    let for_a = put_config(&sys, SERIAL_A, json!({})).await;

    let (status, body) = startup(&sys, SERIAL_A, None, &for_a).await;
    assert_eq!(status, 200, "its own configuration: {body}");

    let (status, body) = startup(&sys, SERIAL_A, None, &for_b).await;
    assert_eq!(status, 403, "{body}");
    let text = detail(&body);
    assert!(
        text.contains(&format!("sealed for device {SERIAL_B}")) && text.contains("Re-install"),
        "the message names the device and what to do: {text}"
    );
}

#[tokio::test]
async fn an_outdated_configuration_is_refused_once_the_gallery_has_a_newer_one() {
    let sys = start_system().await;
    let unbound = sys.gallery.sealed(&Default::default());
    let first = put_config(&sys, SERIAL_A, json!({})).await;
    let second = put_config(&sys, SERIAL_A, json!({"help_desk_text": "Call 0800 123"})).await;

    let (status, body) = startup(&sys, SERIAL_A, None, &first).await;
    assert_eq!(status, 409, "{body}");
    let text = detail(&body);
    assert!(
        text.contains("version 1") && text.contains("version 2") && text.contains("Re-install"),
        "{text}"
    );
    let (status, body) = startup(&sys, SERIAL_A, None, &unbound).await;
    assert_eq!(
        status, 409,
        "a blob from before binding counts as version 0: {body}"
    );

    let (status, body) = startup(&sys, SERIAL_A, None, &second).await;
    assert_eq!(status, 200, "the current configuration: {body}");
}

/// Publishes the gallery's fixture weblet and installs it on `serial` through the gallery's API.
async fn install(sys: &System, serial: &str) -> InstallBundle {
    let fixture = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../gallery/tests/fixtures/weblet");
    let package = gallery::package::Package::build(&fixture).expect("package");
    let http = reqwest::Client::new();
    let r = http
        .post(format!(
            "{}/api/apps/{}/versions",
            sys.gallery.base, package.manifest.app_id
        ))
        .bearer_auth(&sys.gallery.api_key)
        .header("content-type", "application/zip")
        .body(package.bytes)
        .send()
        .await
        .expect("publish");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let r = http
        .post(format!("{}/api/devices/{serial}/install", sys.gallery.base))
        .bearer_auth(&sys.gallery.api_key)
        .json(&json!({}))
        .send()
        .await
        .expect("install");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("bundle")
}

#[tokio::test]
async fn a_revoked_credential_stops_working_at_the_assistant_within_5_seconds() {
    let sys = start_system().await;
    let bundle = install(&sys, SERIAL_A).await;
    let (status, body) = startup(
        &sys,
        SERIAL_A,
        Some(&bundle.credential),
        &bundle.sealed_config,
    )
    .await;
    assert_eq!(
        status, 200,
        "installed credential and configuration work: {body}"
    );

    let r = reqwest::Client::new()
        .post(format!(
            "{}/api/credentials/{}/revoke",
            sys.gallery.base, bundle.credential_id
        ))
        .bearer_auth(&sys.gallery.api_key)
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 204);
    let revoked_at = Instant::now();
    let mut refused_after = None;
    // Bounded: at most 40 tries over at most 10 s.
    for _ in 0..40 {
        let (status, _) = startup(
            &sys,
            SERIAL_A,
            Some(&bundle.credential),
            &bundle.sealed_config,
        )
        .await;
        if status == 401 {
            refused_after = Some(revoked_at.elapsed());
            break;
        }
        if revoked_at.elapsed() > Duration::from_secs(10) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let refused_after = refused_after.expect("the revoked credential is refused");
    println!("revoked credential refused after {refused_after:?}");
    // 5 s poll interval, plus the time one poll and one request take on a loaded machine.
    assert!(
        refused_after <= Duration::from_millis(6_500),
        "refused only after {refused_after:?}"
    );
}

#[tokio::test]
async fn a_credential_issued_in_the_future_is_refused() {
    let sys = start_system().await;
    let sealed = sys.gallery.sealed(&Default::default());
    let issue = |issued: chrono::DateTime<chrono::Utc>| {
        sys.gallery
            .state
            .signing
            .issue(
                uuid::Uuid::new_v4(),
                DeviceSerial::parse(SERIAL_B).expect("serial"),
                Tenant::parse("acme").expect("tenant"),
                AppId::parse("support-assistant").expect("app"),
                issued,
                issued + chrono::Duration::days(365),
            )
            .expect("issue")
            .0
    };
    let now = chrono::Utc::now();
    let (status, body) = startup(
        &sys,
        SERIAL_B,
        Some(&issue(now + chrono::Duration::days(3 * 365))),
        &sealed,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(detail(&body).contains("in the future"), "{body}");
    let (status, body) = startup(
        &sys,
        SERIAL_B,
        Some(&issue(now + chrono::Duration::seconds(30))),
        &sealed,
    )
    .await;
    assert_eq!(
        status, 200,
        "30 s ahead is within the allowed clock skew: {body}"
    );
}
