//! API keys scoped to a partner, over HTTP on both backends: a partner key sees and changes only
//! its partner's devices; another partner's device answers 404 exactly like a missing one.

use crate::helpers::{Backend, TestApp, spawn_app_on};
use reqwest::StatusCode;
use serde_json::json;

const ACME_DEVICE: &str = "ACME0001";
const GLOBEX_DEVICE: &str = "GLOBEX0001";

async fn setup(backend: Backend) -> (TestApp, String, String) {
    let app = spawn_app_on(backend).await;
    app.publish("1.0.0").await;
    app.register(ACME_DEVICE, "acme", false).await;
    app.register(GLOBEX_DEVICE, "globex", false).await;
    let acme = app.partner_key("acme").await;
    let globex = app.partner_key("globex").await;
    (app, acme, globex)
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, String) {
    let mut request = app.http.request(method, app.url(path)).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn a_partner_key_sees_only_its_partners_devices(backend: Backend) {
    use reqwest::Method;
    let (app, acme, _globex) = setup(backend).await;
    let contract = json!({"starts_on": "2026-01-01", "ends_on": "2027-01-01"});

    // Its own device: everything works.
    let own = format!("/api/devices/{ACME_DEVICE}");
    for (method, path, body, expected) in [
        (
            Method::GET,
            format!("{own}/configuration"),
            None,
            StatusCode::OK,
        ),
        (
            Method::PUT,
            format!("{own}/configuration"),
            Some(json!({})),
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("{own}/configuration/sealed"),
            None,
            StatusCode::OK,
        ),
        (
            Method::PUT,
            format!("{own}/entitlements"),
            Some(json!({"service": contract})),
            StatusCode::NO_CONTENT,
        ),
        (
            Method::GET,
            format!("{own}/entitlements"),
            None,
            StatusCode::OK,
        ),
        (Method::GET, format!("{own}/updates"), None, StatusCode::OK),
        (
            Method::POST,
            format!("{own}/install"),
            Some(json!({})),
            StatusCode::CREATED,
        ),
    ] {
        let (status, text) = call(&app, method.clone(), &path, &acme, body).await;
        assert_eq!(status, expected, "{method} {path}: {text}");
    }

    // Another partner's device: 404 with the same words as a device that does not exist.
    let other = format!("/api/devices/{GLOBEX_DEVICE}");
    let (_, missing_text) = call(
        &app,
        Method::GET,
        "/api/devices/NOSUCH0001/configuration",
        &acme,
        None,
    )
    .await;
    for (method, path, body) in [
        (Method::GET, format!("{other}/configuration"), None),
        (
            Method::PUT,
            format!("{other}/configuration"),
            Some(json!({})),
        ),
        (Method::GET, format!("{other}/configuration/sealed"), None),
        (
            Method::PUT,
            format!("{other}/entitlements"),
            Some(json!({"service": contract})),
        ),
        (Method::GET, format!("{other}/entitlements"), None),
        (Method::GET, format!("{other}/updates"), None),
        (Method::POST, format!("{other}/install"), Some(json!({}))),
        (Method::PUT, other.clone(), Some(json!({"tenant": "acme"}))),
        (
            Method::GET,
            format!("/api/apps/support-assistant/versions/1.0.0/package?serial={GLOBEX_DEVICE}"),
            None,
        ),
    ] {
        let (status, text) = call(&app, method.clone(), &path, &acme, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {text}");
        assert!(
            !text.contains("globex"),
            "{method} {path} must not name the other partner: {text}"
        );
        if path.ends_with("/configuration") && method == Method::GET {
            assert_eq!(
                text.replace(GLOBEX_DEVICE, "X"),
                missing_text.replace("NOSUCH0001", "X"),
                "another partner's device reads exactly like a missing one"
            );
        }
    }

    // The other partner's device was not changed by any of that.
    let device = app
        .state
        .store
        .device(&gallery::domain::DeviceSerial::parse(GLOBEX_DEVICE).expect("serial"))
        .await
        .expect("store")
        .expect("device");
    assert_eq!(device.tenant.as_str(), "globex");

    // A credential of the other partner's device cannot be revoked (404), the admin can.
    let bundle = app.install(GLOBEX_DEVICE).await;
    let revoke = format!("/api/credentials/{}/revoke", bundle.credential_id);
    let (status, _) = call(&app, Method::POST, &revoke, &acme, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, Method::POST, &revoke, &app.api_key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Registering a device for another partner is refused; publishing is the operator's.
    let (status, text) = call(
        &app,
        Method::PUT,
        "/api/devices/NEW0001",
        &acme,
        Some(json!({"tenant": "globex"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    let (status, _) = call(
        &app,
        Method::PUT,
        "/api/devices/NEW0001",
        &acme,
        Some(json!({"tenant": "acme"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, text) = call(
        &app,
        Method::POST,
        "/api/apps/support-assistant/versions",
        &acme,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");

    // The admin key sees both partners' devices.
    for serial in [ACME_DEVICE, GLOBEX_DEVICE] {
        let path = format!("/api/devices/{serial}/configuration");
        let (status, _) = call(&app, Method::GET, &path, &app.api_key, None).await;
        assert_eq!(status, StatusCode::OK, "admin reads {serial}");
    }
}

#[tokio::test]
async fn a_partner_key_sees_only_its_partners_devices_on_sqlite() {
    a_partner_key_sees_only_its_partners_devices(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_partner_key_sees_only_its_partners_devices_on_postgres() {
    a_partner_key_sees_only_its_partners_devices(Backend::Postgres).await;
}

async fn basic(app: &TestApp, path: &str, key: &str) -> (StatusCode, String) {
    let response = app
        .http
        .get(app.url(path))
        .basic_auth("admin", Some(key))
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn the_admin_index_lists_the_devices_the_key_sees(backend: Backend) {
    let (app, acme, _) = setup(backend).await;
    let (status, page) = basic(&app, "/admin", &app.api_key).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for serial in [ACME_DEVICE, GLOBEX_DEVICE] {
        assert!(
            page.contains(&format!("href=\"/admin/devices/{serial}\"")),
            "admin index links {serial}: {page}"
        );
    }
    let (status, page) = basic(&app, "/admin", &acme).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(ACME_DEVICE), "{page}");
    assert!(!page.contains(GLOBEX_DEVICE), "{page}");
    let (status, _) = basic(&app, &format!("/admin/devices/{GLOBEX_DEVICE}"), &acme).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = basic(&app, "/admin", "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_admin_index_lists_the_devices_the_key_sees_on_sqlite() {
    the_admin_index_lists_the_devices_the_key_sees(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_admin_index_lists_the_devices_the_key_sees_on_postgres() {
    the_admin_index_lists_the_devices_the_key_sees(Backend::Postgres).await;
}
