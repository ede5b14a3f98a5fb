//! The vendor's settings at the panel: the navigation override hides tabs (and the app opens
//! on the first tab shown), the partner's logo (the image the gallery stored) is in the bar, and
//! the Help tab shows the partner's help-desk text.

use fantoccini::Locator;
use gallery::config::AppConfiguration;
use proto::config::{ConfigBinding, Logo};

use crate::harness::*;
use crate::helpers::*;

const LOGO: &[u8] = br##"<svg xmlns="http://www.w3.org/2000/svg" width="247" height="72" viewBox="0 0 247 72"><rect width="247" height="72" fill="#f4f6f8"/><text x="10" y="50" font-size="40" font-family="sans-serif" fill="#0a5">ACME</text></svg>"##;

#[tokio::test]
async fn the_navigation_override_hides_tabs_and_the_logo_shows_in_the_bar() {
    let sys = start_system().await;
    let mut config = AppConfiguration {
        logo: Some(Logo::image(LOGO).expect("logo")),
        ..Default::default()
    };
    config.tabs.service = false;
    config.help_desk_text = "Call our help desk: 0800 123 456".into();
    let binding = ConfigBinding {
        serial: proto::DeviceSerial::parse(SERIAL_A).expect("serial"),
        tenant: proto::PartnerId::parse("acme").expect("tenant"),
        version: 1,
    };
    let sealed =
        platform::sealed_config::seal(&sys.gallery.state.sealing, &binding, &config).expect("seal");
    let dev = device_with(
        &sys,
        SERIAL_A,
        &config,
        &sys.assistant.base,
        &DeviceOptions {
            sealed_config: Some(sealed),
            ..Default::default()
        },
    )
    .await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    // The app opens on the first tab shown: Supplies.
    wait_for(c, "#supplies-form").await;
    assert!(
        c.find(Locator::Css("#tab-services")).await.is_err(),
        "no Services tab"
    );
    wait_for(c, "#tab-supplies").await;
    wait_for(c, "#tab-meters").await;
    let logo = c
        .execute(
            "var l = document.getElementById('logo'); \
             return [l.style.display !== 'none', l.naturalWidth, l.getAttribute('src').slice(0, 26)];",
            vec![],
        )
        .await
        .expect("logo");
    assert_eq!(
        logo,
        serde_json::json!([true, 247, "data:image/svg+xml;base64,"]),
        "the stored logo is shown, from the configuration, not fetched from a URL"
    );
    screenshot(c, "vendor-no-services-tab-with-logo").await;
    click(c, "#tab-meters").await;
    wait_for(c, "#meters").await;
    // The Help tab the gallery offers shows the partner's help-desk text.
    click(c, "#tab-help").await;
    wait_text(c, "#help-text", "0800 123 456").await;
}
