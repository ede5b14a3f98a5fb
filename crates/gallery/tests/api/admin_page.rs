//! The server-rendered admin page.

use crate::helpers::spawn_app;
use gallery::config::AppConfiguration;

#[tokio::test]
async fn the_admin_page_asks_for_the_api_key() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let response = app
        .http
        .get(app.url("/admin/devices/D1"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .expect("h")
            .starts_with("Basic")
    );
}

#[tokio::test]
async fn the_admin_page_shows_and_saves_a_device_configuration() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let page = app
        .http
        .get(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("default-src 'none'")
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("App configuration for device D1"));
    assert!(html.contains("value=\"public\""));

    let form = [
        ("snmp_community", "ro-community"),
        ("language", "fr"),
        ("logo_url", ""),
        ("create_service_incidents", "on"),
        ("submit_meters", "on"),
        ("email_service_incident", "on"),
        ("tab_incidents", "on"),
        ("tab_help", "on"),
        ("help_desk_text", "<b>Call us</b>"),
    ];
    let saved = app
        .http
        .post(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(saved.status(), 200);
    let html = saved.text().await.expect("html");
    assert!(html.contains("Saved."));
    assert!(
        html.contains("&#60;b&#62;Call us&#60;/b&#62;") || html.contains("&lt;b&gt;Call us"),
        "escaped"
    );

    let blob = gallery::storage::Store::configuration(
        &app.state.store,
        &gallery::domain::DeviceSerial::parse("D1").expect("serial"),
    )
    .await
    .expect("read")
    .expect("stored");
    let config: AppConfiguration = app.state.sealing.unseal(&blob).expect("unseal");
    assert_eq!(config.snmp_community.expose(), "ro-community");
    assert_eq!(config.language.as_str(), "fr");
    assert!(
        config.permissions.create_service_incidents && !config.permissions.create_supply_incidents
    );
    assert!(config.tabs.help && !config.tabs.meters);
    assert_eq!(config.help_desk_text, "<b>Call us</b>");
}

#[tokio::test]
async fn the_admin_page_refuses_cross_site_posts_and_shows_bad_input() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let cross = app
        .http
        .post(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("snmp_community", "x"),
            ("language", "en"),
            ("tab_help", "on"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(cross.status(), 403);

    let bad = app
        .http
        .post(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .form(&[
            ("snmp_community", "x"),
            ("language", "en"),
            ("logo_url", "http://insecure.example/l.png"),
            ("tab_help", "on"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.expect("html").contains("https://"));
}
