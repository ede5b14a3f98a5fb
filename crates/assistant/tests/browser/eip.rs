//! The weblet speaks the real device's EIP contract (../shared/eip/README.md) to the emulator:
//! SOAP 1.1 to Device Configuration and Session, SOAP 1.2 to WS-SNMP, `SOAPAction: ""`; the
//! administrator recognised from the Session's roles, a walk-up user as `guest`, the e-mail
//! pre-filled from the Session's `from`; the panel and the app fit 800×480 and 1024×600 panels.

use device::http::soap::{SNMP_PATH, SoapVersion};
use fantoccini::{Client, Locator};
use gallery::config::AppConfiguration;

use crate::harness::*;
use crate::helpers::*;

const ADMIN_EMAIL: &str = "it-admin@example.org";

async fn is_displayed(client: &Client, css: &str) -> bool {
    match client.find(Locator::Css(css)).await {
        Ok(el) => el.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

async fn value_of(client: &Client, css: &str) -> String {
    wait_for(client, css)
        .await
        .prop("value")
        .await
        .expect("a value")
        .unwrap_or_default()
}

/// Opens "Report a problem" up to the contact step.
async fn to_contact_step(c: &Client) {
    click(c, "#report-problem").await;
    wait_for(c, "#service-form").await;
    click(c, "input[value=paper_jam]").await;
    type_into(c, "#description", "Paper jams in tray 2").await;
    click(c, "#service-form button.primary").await;
    wait_for(c, "#contact-form").await;
}

#[tokio::test]
async fn the_weblet_speaks_the_device_contract_and_knows_the_administrator_by_role() {
    let sys = start_system().await;
    let options = DeviceOptions {
        admin_email: Some(ADMIN_EMAIL.into()),
        ..DeviceOptions::default()
    };
    let dev = device_with(
        &sys,
        SERIAL_A,
        &AppConfiguration::default(),
        &sys.assistant.base,
        &options,
    )
    .await;
    let b = browser().await;
    let c = &b.client;

    // A walk-up user: `guest`, no role, so no gear and nothing pre-filled.
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    assert!(!is_displayed(c, "#gear").await, "no gear for guest");
    // Supplies and meters come through WS-SNMP: the Meters tab shows once the walks are done.
    click(c, "#tab-meters").await;
    wait_for(c, "#meters tr.meter").await;
    let log = dev.soap_log.exchanges();
    let snmp: Vec<_> = log.iter().filter(|e| e.path == SNMP_PATH).collect();
    assert!(
        snmp.len() > 10,
        "the walks went through WS-SNMP: {}",
        snmp.len()
    );
    assert!(
        snmp.iter()
            .all(|e| e.version == SoapVersion::V12 && e.operation == "GetNextRequest"),
        "WS-SNMP over SOAP 1.2: {snmp:?}"
    );
    let others: Vec<_> = log.iter().filter(|e| e.path != SNMP_PATH).collect();
    let ops: Vec<&str> = others.iter().map(|e| e.operation.as_str()).collect();
    assert!(
        ops.contains(&"GetSessionInformationRequest")
            && ops.contains(&"GetDeviceInformationRequest"),
        "{ops:?}"
    );
    assert!(
        others.iter().all(|e| e.version == SoapVersion::V11),
        "Device Configuration and Session over SOAP 1.1: {others:?}"
    );
    for e in &log {
        assert_eq!(e.soap_action.as_deref(), Some("\"\""), "{e:?}");
        assert!(e.content_type.starts_with("text/xml"), "{e:?}");
    }
    let canvas = c
        .execute(
            "return document.documentElement.getAttribute('data-canvas');",
            Vec::new(),
        )
        .await
        .expect("canvas");
    assert_eq!(canvas, serde_json::json!("1024x600"), "canvasSize is read");
    click(c, "#tab-services").await;
    wait_for(c, "#no-incidents").await;
    to_contact_step(c).await;
    assert_eq!(
        value_of(c, "#email").await,
        "",
        "nothing to pre-fill for guest"
    );
    screenshot(c, "eip-01-guest-contact").await;

    // The administrator: recognised from the role xeSystemAdministrator; `from` pre-fills the e-mail.
    admin_login(c, &dev).await;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    assert!(
        is_displayed(c, "#gear").await,
        "the gear for the administrator"
    );
    to_contact_step(c).await;
    assert_eq!(value_of(c, "#email").await, ADMIN_EMAIL);
    screenshot(c, "eip-02-admin-contact-prefilled").await;
    type_into(c, "#name", "Ida Admin").await;
    click(c, "#contact-form button.primary").await;
    wait_text(c, "#review", ADMIN_EMAIL).await;
}

/// The device's panel page and the weblet at both panel sizes: no horizontal scrolling, the
/// login and logout controls on screen.
#[tokio::test]
async fn the_panel_and_the_weblet_fit_800x480_and_1024x600() {
    let sys = start_system().await;
    for (w, h) in [(800, 480), (1024, 600)] {
        let options = DeviceOptions {
            panel: (w, h),
            ..DeviceOptions::default()
        };
        let dev = device_with(
            &sys,
            SERIAL_A,
            &AppConfiguration::default(),
            &sys.assistant.base,
            &options,
        )
        .await;
        let b = browser().await;
        let c = &b.client;
        panel_size(c, (w, h)).await;
        let size = format!("{w}x{h}");

        c.goto(&dev.url).await.expect("the panel");
        wait_text(c, "footer", "Administrator login").await;
        assert_eq!(horizontal_overflow(c).await, None, "panel {size}");
        assert!(
            in_viewport(c, ".panel header").await,
            "panel {size}: home frame"
        );
        assert!(
            in_viewport(c, "footer a[href='/login']").await,
            "panel {size}: login"
        );
        screenshot(c, &format!("eip-panel-{size}-walkup")).await;
        admin_login(c, &dev).await;
        c.goto(&dev.url).await.expect("the panel");
        wait_text(c, "footer", "Log out").await;
        assert_eq!(horizontal_overflow(c).await, None, "panel {size} (admin)");
        assert!(
            in_viewport(c, "footer button[type=submit]").await,
            "panel {size}: Log out"
        );
        screenshot(c, &format!("eip-panel-{size}-admin")).await;

        c.goto(&dev.app_url()).await.expect("open the app");
        wait_for(c, "#no-incidents").await;
        let canvas = c
            .execute(
                "return document.documentElement.getAttribute('data-canvas');",
                Vec::new(),
            )
            .await
            .expect("canvas");
        assert_eq!(canvas, serde_json::json!(size));
        assert_eq!(horizontal_overflow(c).await, None, "app {size}: services");
        screenshot(c, &format!("eip-app-{size}-services")).await;
        click(c, "#tab-supplies").await;
        wait_for(c, "#supplies-form").await;
        assert_eq!(horizontal_overflow(c).await, None, "app {size}: supplies");
        screenshot(c, &format!("eip-app-{size}-supplies")).await;
        click(c, "#tab-meters").await;
        wait_for(c, "#meters").await;
        assert_eq!(horizontal_overflow(c).await, None, "app {size}: meters");
        click(c, "#tab-services").await;
        wait_for(c, "#no-incidents").await;
        to_contact_step(c).await;
        assert_eq!(
            horizontal_overflow(c).await,
            None,
            "app {size}: contact step"
        );
        screenshot(c, &format!("eip-app-{size}-contact")).await;
    }
}

/// Back in the middle of a request asks first; staying keeps the step and what was typed.
#[tokio::test]
async fn back_in_a_half_filled_request_asks_before_leaving_the_app() {
    let sys = start_system().await;
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.url).await.expect("the panel");
    click(c, "ul.apps a").await;
    wait_for(c, "#no-incidents").await;
    click(c, "#report-problem").await;
    wait_for(c, "#service-form").await;
    type_into(c, "#description", "Streaks on every page").await;

    c.back().await.ok();
    let mut asked = None;
    for _ in 0..50 {
        if let Ok(text) = c.get_alert_text().await {
            asked = Some(text);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let asked = asked.expect("Back with a half-filled request asks first");
    assert!(asked.contains("Leave Support Assistant"), "{asked}");
    c.dismiss_alert().await.expect("stay");
    assert_eq!(value_of(c, "#description").await, "Streaks on every page");
    assert!(
        c.current_url()
            .await
            .expect("url")
            .as_str()
            .contains("/apps/")
    );
    screenshot(c, "eip-back-stayed").await;

    c.back().await.ok();
    for _ in 0..50 {
        if c.accept_alert().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    wait_text(c, "footer", "Administrator login").await;
}

/// Ending a browser session leaves no Chromium process behind.
#[tokio::test]
async fn no_chromium_is_left_running_after_a_session() {
    let b = browser().await;
    b.client.goto("about:blank").await.expect("a page");
    let profile = b.profile();
    assert!(
        !processes_using(&profile).is_empty(),
        "Chromium runs with the session's profile"
    );
    drop(b);
    assert_eq!(processes_using(&profile), Vec::<u32>::new());
}
