//! Settings an app keeps on the device (Demo Mode): readable by the app, changed only while the
//! administrator is logged in at the panel, kept across app updates.

use crate::helpers::*;

async fn settings(app: &TestApp) -> serde_json::Value {
    let r = app
        .client
        .get(format!("{}/api/apps/support-assistant/settings", app.url))
        .send()
        .await
        .expect("settings");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

async fn put(app: &TestApp, cookie: Option<&str>, body: &str) -> (u16, String) {
    let mut r = app
        .client
        .put(format!("{}/api/apps/support-assistant/settings", app.url))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    let r = r.send().await.expect("put");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn demo_mode_is_off_until_the_administrator_switches_it_and_survives_an_update() {
    let app = spawn_app().await;
    assert_eq!(
        settings(&app).await,
        serde_json::json!({"demo_mode": false})
    );
    // A walk-up user cannot switch it.
    let (status, body) = put(&app, None, r#"{"demo_mode":true}"#).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("administrator"), "{body}");
    assert_eq!(settings(&app).await["demo_mode"], false);

    let cookie = session_cookie(&login(&app, ADMIN_PASSWORD).await).expect("session");
    let (status, body) = put(&app, Some(&cookie), r#"{"demo_mode":"yes"}"#).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("demo_mode"), "{body}");
    let (status, body) = put(&app, Some(&cookie), r#"{"demo_mode":true}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(settings(&app).await["demo_mode"], true);

    // Installing a new version of the app keeps the setting.
    let r = install(
        &app,
        Some(ADMIN_PASSWORD),
        &install_body(
            "support-assistant",
            "1.0.1",
            &weblet("support-assistant", "1.0.1"),
        ),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(settings(&app).await["demo_mode"], true);

    let (status, _) = put(&app, Some(&cookie), r#"{"demo_mode":false}"#).await;
    assert_eq!(status, 200);
    assert_eq!(settings(&app).await["demo_mode"], false);
}
