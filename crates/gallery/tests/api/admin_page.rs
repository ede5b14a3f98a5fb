//! The server-rendered admin page.

use crate::helpers::{TestApp, spawn_app};
use gallery::config::AppConfiguration;
use gallery::logo::{Logo, LogoInput as _};
use reqwest::multipart::{Form, Part};

fn form(fields: &[(&'static str, &'static str)]) -> Form {
    fields
        .iter()
        .fold(Form::new(), |form, (name, value)| form.text(*name, *value))
}

async fn post(app: &TestApp, form: Form, site: &str) -> reqwest::Response {
    app.http
        .post(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .header("sec-fetch-site", site)
        .multipart(form)
        .send()
        .await
        .expect("request")
}

async fn stored(app: &TestApp) -> AppConfiguration {
    let blob = gallery::storage::Store::configuration(
        app.state.store.as_ref(),
        &gallery::domain::DeviceSerial::parse("D1").expect("serial"),
    )
    .await
    .expect("read")
    .expect("stored");
    crate::helpers::open_config(&app.state.sealing, &blob).expect("unseal")
}

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

    let fields = form(&[
        ("snmp_community", "ro-community"),
        ("language", "fr"),
        ("create_service_incidents", "on"),
        ("submit_meters", "on"),
        ("email_service_incident", "on"),
        ("tab_service", "on"),
        ("tab_help", "on"),
        ("help_desk_override", "on"),
        ("help_desk_text", "<b>Call us</b>"),
    ]);
    let saved = post(&app, fields, "same-origin").await;
    assert_eq!(saved.status(), 200);
    let html = saved.text().await.expect("html");
    assert!(html.contains("Saved."));
    assert!(
        !html.contains("<b>Call us</b>"),
        "help-desk text must be escaped"
    );

    let config = stored(&app).await;
    assert_eq!(config.snmp_community.expose(), "ro-community");
    assert_eq!(config.language.as_ref().expect("a language").as_str(), "fr");
    assert_eq!(config.logo, None);
    assert!(config.permissions.create_service_incidents);
    assert!(!config.permissions.create_supply_incidents);
    assert!(config.confirmation_email.service_incident);
    assert!(!config.confirmation_email.supply_incident);
    assert!(!config.confirmation_email.meter_submission);
    assert!(config.help_desk_override);
    assert!(config.tabs.service && config.tabs.help);
    assert!(!config.tabs.supplies && !config.tabs.meters);
    assert_eq!(config.help_desk_text, "<b>Call us</b>");
}

const BASE: [(&str, &str); 3] = [
    ("snmp_community", "public"),
    ("language", "en"),
    ("tab_service", "on"),
];

#[tokio::test]
async fn the_admin_page_takes_a_logo_upload_and_refuses_bad_ones() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#036"/></svg>"##;
    let upload = form(&BASE).part("logo_file", Part::bytes(svg.to_vec()).file_name("logo.svg"));
    assert_eq!(post(&app, upload, "same-origin").await.status(), 200);
    assert_eq!(
        stored(&app).await.logo,
        Some(Logo::from_upload(svg).expect("svg"))
    );

    let script = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let upload = form(&BASE).part("logo_file", Part::bytes(script.to_vec()).file_name("x.svg"));
    let refused = post(&app, upload, "same-origin").await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.expect("html");
    assert!(
        html.contains("SVG logo contains a &#60;script&#62; element"),
        "{html}"
    );

    let big = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 11 * 1024]].concat();
    let upload = form(&BASE).part("logo_file", Part::bytes(big).file_name("big.png"));
    let refused = post(&app, upload, "same-origin").await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("at most 10240 bytes")
    );

    let gif = b"GIF89a\x01\x00\x01\x00".to_vec();
    let upload = form(&BASE).part("logo_file", Part::bytes(gif).file_name("x.gif"));
    let refused = post(&app, upload, "same-origin").await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("not PNG, JPEG or SVG")
    );
    // The refused uploads left the good logo in place.
    assert_eq!(
        stored(&app).await.logo,
        Some(Logo::from_upload(svg).expect("svg"))
    );
}

#[tokio::test]
async fn the_admin_page_refuses_cross_site_posts_and_shows_bad_input() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let cross = post(&app, form(&BASE), "cross-site").await;
    assert_eq!(cross.status(), 403);

    let bad = form(&BASE).text("logo_url", "http://insecure.example/l.png");
    let bad = post(&app, bad, "same-origin").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.expect("html").contains("https://"));
}

/// An empty language is "the device's own" (the configuration then names none), not an error.
#[tokio::test]
async fn an_empty_language_leaves_it_to_the_device() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let fields = form(&[
        ("snmp_community", "public"),
        ("language", ""),
        ("tab_service", "on"),
        ("tab_help", "on"),
    ]);
    assert_eq!(post(&app, fields, "same-origin").await.status(), 200);
    assert_eq!(stored(&app).await.language, None);
    let fields = form(&[
        ("snmp_community", "public"),
        ("language", "de-CH"),
        ("tab_service", "on"),
        ("tab_help", "on"),
    ]);
    assert_eq!(post(&app, fields, "same-origin").await.status(), 200);
    assert_eq!(
        stored(&app).await.language.map(|l| l.as_str().to_string()),
        Some("de-CH".to_string())
    );
}
