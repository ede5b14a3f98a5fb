//! The panel page.

use crate::helpers::*;

#[tokio::test]
async fn panel_is_a_touch_screen_sized_frame() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/", app.url))
        .send()
        .await
        .expect("panel");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let (status, html) = get_panel(&app, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("width:1024px;height:600px"), "{html}");
    assert!(html.contains("No apps installed"));
    assert!(!html.contains("<script"), "plain HTML");

    let small = app
        .client
        .get(format!("{}/?size=800x480", app.url))
        .send()
        .await
        .expect("panel");
    assert!(
        small
            .text()
            .await
            .expect("html")
            .contains("width:800px;height:480px")
    );

    let bad = app
        .client
        .get(format!("{}/?size=huge", app.url))
        .send()
        .await
        .expect("panel");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("html").contains("WIDTHxHEIGHT"));
}

#[tokio::test]
async fn panel_lists_installed_apps_with_icon_and_entry_link() {
    let app = spawn_app().await;
    let r = install(
        &app,
        Some(ADMIN_PASSWORD),
        &install_body(
            "support-assistant",
            "1.2.0",
            &weblet("support-assistant", "1.2.0"),
        ),
    )
    .await;
    assert_eq!(r.status(), 201);
    let (_, html) = get_panel(&app, None).await;
    assert!(
        html.contains("href=\"/apps/support-assistant/index.html\""),
        "{html}"
    );
    assert!(html.contains("src=\"/apps/support-assistant/img/icon.png\""));
    assert!(html.contains(">Support Assistant<"));
    let expected = printer::interpret(&recording()).identity;
    assert!(html.contains(&expected.serial.expect("serial")));
}
