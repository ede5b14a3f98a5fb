//! The panel's polish at both panel sizes (800×480 and 1024×600): supply rows are whole touch
//! targets, "Request selected supplies" with nothing picked keeps the table, the tab bar stays on
//! screen while the page scrolls, Demo Mode follows the device, and every panel page in each of
//! the five languages, with 300 characters without a space in every field, fits the panel without
//! horizontal scrolling (a screenshot of each is saved).

use fantoccini::{Client, Locator};
use gallery::config::AppConfiguration;

use crate::harness::*;
use crate::helpers::*;

const SIZES: [(u32, u32); 2] = [(800, 480), (1024, 600)];

/// 300 characters without a space or any other place to break a line.
fn unbroken(n: usize) -> String {
    "W".repeat(n)
}

/// A number the page's script gives back.
async fn js_f64(c: &Client, script: &str) -> f64 {
    c.execute(script, Vec::new())
        .await
        .expect("script")
        .as_f64()
        .unwrap_or(f64::NAN)
}

async fn checked(c: &Client, css: &str) -> bool {
    wait_for(c, css)
        .await
        .prop("checked")
        .await
        .expect("checked")
        .as_deref()
        == Some("true")
}

async fn texts(c: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for el in c.find_all(Locator::Css(css)).await.expect("elements") {
        out.push(el.text().await.expect("text"));
    }
    out
}

async fn no_overflow(c: &Client, what: &str) {
    if let Some(o) = app_overflow(c).await {
        let page = c.source().await.unwrap_or_default();
        panic!("{what}: {o}\n{page}");
    }
}

/// Tapping anywhere in a supply row picks it; nothing picked keeps the table with its Status
/// column and says to pick one; the bar with the tabs stays at the top when the page scrolls (the
/// device's canvas is the demo's 1024×600, larger than the 800×480 window: the page itself scrolls
/// there).
#[tokio::test]
async fn supply_rows_are_touch_targets_nothing_picked_keeps_the_table_and_the_tabs_stay() {
    let sys = start_system().await;
    for (w, h) in SIZES {
        let size = format!("{w}x{h}");
        let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
        let b = browser().await;
        let c = &b.client;
        panel_size(c, (w, h)).await;
        c.goto(&dev.app_url()).await.expect("open the app");
        wait_for(c, "#no-incidents").await;
        click(c, "#tab-supplies").await;
        wait_for(c, "#supplies-form").await;
        let rows = c
            .find_all(Locator::Css("#supplies tr.pick"))
            .await
            .expect("rows");
        assert!(rows.len() >= 2, "{size}: supplies to pick");
        let heights = c
            .execute(
                "var r = document.querySelectorAll('#supplies tr.pick'), h = [];\
                 for (var i = 0; i < r.length; i++) { h.push(r[i].getBoundingClientRect().height); }\
                 return h;",
                Vec::new(),
            )
            .await
            .expect("row heights");
        for v in heights.as_array().expect("heights") {
            assert!(
                v.as_f64().unwrap_or(0.0) >= 44.0,
                "{size}: a row is a 44 px target: {heights}"
            );
        }
        let header = texts(c, "#supplies th").await;
        let status_before = texts(c, "#supplies tr.pick td:last-child").await;
        assert!(
            status_before.iter().all(|s| !s.trim().is_empty()),
            "{size}: every supply has its status: {status_before:?}"
        );

        // Nothing picked: the reason, and the same table.
        click(c, "#request-supplies").await;
        wait_text(c, "#error-supplies", "at least one").await;
        assert_eq!(texts(c, "#supplies th").await, header, "{size}: columns");
        assert_eq!(
            texts(c, "#supplies tr.pick td:last-child").await,
            status_before,
            "{size}: the Status column after nothing was picked"
        );
        screenshot(c, &format!("panel-{size}-supplies-none-picked")).await;

        // The status cell and the part number cell are the row too.
        click(c, "#supplies tr.pick:nth-child(2) td:last-child").await;
        assert!(
            checked(c, "#pick-1").await,
            "{size}: tapping the status picks"
        );
        click(c, "#supplies tr.pick:nth-child(3) td:nth-child(3)").await;
        assert!(
            checked(c, "#pick-2").await,
            "{size}: tapping the part number"
        );
        click(c, "#supplies tr.pick:nth-child(2) td:nth-child(4)").await;
        assert!(
            !checked(c, "#pick-1").await,
            "{size}: tapping again unpicks"
        );
        click(c, "#pick-1").await;
        assert!(checked(c, "#pick-1").await, "{size}: the checkbox itself");
        screenshot(c, &format!("panel-{size}-supplies-picked")).await;

        // Scrolled to the end, the bar with the tabs is still at the top.
        let scrolled = js_f64(
            c,
            "window.scrollTo(0, document.body.scrollHeight);\
             var m = document.getElementById('main'); m.scrollTop = m.scrollHeight;\
             return window.pageYOffset + m.scrollTop;",
        )
        .await;
        assert!(scrolled > 0.0, "{size}: the page is long enough to scroll");
        let top = js_f64(
            c,
            "return document.getElementById('bar').getBoundingClientRect().top;",
        )
        .await;
        assert_eq!(top, 0.0, "{size}: the bar is at the top");
        assert!(
            in_viewport(c, "#tab-supplies").await && in_viewport(c, "#tab-services").await,
            "{size}: the tabs are on screen"
        );
        screenshot(c, &format!("panel-{size}-scrolled")).await;

        // The picks go on.
        click(c, "#request-supplies").await;
        wait_for(c, "#contact-form").await;
        assert!(in_viewport(c, "#tab-services").await, "{size}: tabs");
    }
}

/// A mono device without a supplies contract in Demo Mode: black toner only, nothing to request,
/// and numbers that say DEMO.
#[tokio::test]
async fn demo_mode_on_a_mono_device_without_a_supplies_contract() {
    let sys = start_system().await;
    for (w, h) in SIZES {
        let size = format!("{w}x{h}");
        let options = DeviceOptions {
            panel: (w, h),
            recording: MONO_RECORDING,
            ..DeviceOptions::default()
        };
        let dev = device_with(
            &sys,
            SERIAL_NO_SUPPLIES,
            &AppConfiguration::default(),
            &sys.assistant.base,
            &options,
        )
        .await;
        let b = browser().await;
        let c = &b.client;
        panel_size(c, (w, h)).await;
        admin_login(c, &dev).await;
        c.goto(&dev.app_url()).await.expect("open the app");
        wait_for(c, "#no-incidents").await;
        click(c, "#gear").await;
        click(c, "#demo-toggle").await;
        wait_text(c, "#demo-banner", "DEMO").await;
        // The settings box out of the way (the gear closes it).
        if wait_for(c, "#settings")
            .await
            .is_displayed()
            .await
            .unwrap_or(false)
        {
            click(c, "#gear").await;
        }
        let numbers = texts(c, "#incidents td.number").await;
        assert!(!numbers.is_empty(), "{size}: sample incidents");
        assert!(
            numbers.iter().all(|n| n.starts_with("DEMO-")),
            "{size}: {numbers:?}"
        );
        screenshot(c, &format!("panel-{size}-demo-mono-services")).await;

        click(c, "#tab-supplies").await;
        wait_text(c, "#supplies-unavailable", "not under a supplies contract").await;
        let supplies = texts(c, "#supplies tr.supply").await.join("\n");
        assert!(supplies.contains("Black"), "{size}: {supplies}");
        for colour in ["Cyan", "Magenta", "Yellow"] {
            assert!(!supplies.contains(colour), "{size}: {colour} in {supplies}");
        }
        assert!(
            c.find(Locator::Css("#supplies input[type=checkbox]"))
                .await
                .is_err(),
            "{size}: nothing to request without a supplies contract"
        );
        no_overflow(c, &format!("{size} demo supplies")).await;
        screenshot(c, &format!("panel-{size}-demo-mono-supplies")).await;

        click(c, "#tab-services").await;
        click(c, "#report-problem").await;
        wait_for(c, "#service-form").await;
        click(c, "input[value=paper_jam]").await;
        click(c, "#service-form button.primary").await;
        wait_for(c, "#contact-form").await;
        type_into(c, "#name", "Erika Mustermann").await;
        type_into(c, "#email", "erika.mustermann@example.org").await;
        click(c, "#contact-form button.primary").await;
        click(c, "#send").await;
        let number = wait_text(c, "#incident-number", "DEMO-").await;
        assert!(number.starts_with("DEMO-"), "{size}: {number}");
        screenshot(c, &format!("panel-{size}-demo-mono-sent")).await;
    }
    let (_, list) = sys.panel(SERIAL_NO_SUPPLIES).get("/api/v1/incidents").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing was sent");
}

/// One page of the tour: in `lang` (the weblet's own Help page aside), no horizontal scrolling,
/// a screenshot.
async fn check(c: &Client, lang: &str, name: String) {
    let page_lang = c
        .execute(
            "var p = document.querySelector('#main .sa-page');\
             return p ? p.getAttribute('lang') : null;",
            Vec::new(),
        )
        .await
        .expect("lang");
    if name.ends_with("help") {
        // The weblet's own page (the partner's text as given).
    } else {
        assert_eq!(page_lang, serde_json::json!(lang), "{name}");
    }
    no_overflow(c, &name).await;
    screenshot(c, &name).await;
}

/// Every panel page in `lang` at both sizes, each field given 300 characters without a space
/// (the browser keeps what a field's maxlength allows), the long texts shown back: no page needs
/// horizontal scrolling, and each is saved as `lang-<lang>-<size>-<nn>-<page>.png`.
async fn every_page_in(lang: &str) {
    let sys = start_system().await;
    let long = unbroken(300);
    let config: AppConfiguration = serde_json::from_value(serde_json::json!({
        "language": lang,
        "help_desk_text": long,
    }))
    .expect("config");
    // An incident with a long description, listed on the Services tab.
    let (status, body) = sys
        .panel(SERIAL_A)
        .post(
            "/api/v1/service-incidents",
            Some(&format!("browser-long-{lang}")),
            serde_json::json!({"issue_code": "other", "description": long, "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    for (w, h) in SIZES {
        let size = format!("{w}x{h}");
        let options = DeviceOptions {
            panel: (w, h),
            ..DeviceOptions::default()
        };
        let dev = device_with(&sys, SERIAL_A, &config, &sys.assistant.base, &options).await;
        let b = browser().await;
        let c = &b.client;
        panel_size(c, (w, h)).await;
        let mut n = 0;
        let mut page = |name: &str| {
            n += 1;
            format!("lang-{lang}-{size}-{n:02}-{name}")
        };
        c.goto(&dev.app_url()).await.expect("open the app");
        wait_for(c, "#incidents").await;
        check(c, lang, page("services")).await;

        // Report a problem: nothing chosen, then every field too long.
        click(c, "#report-problem").await;
        wait_for(c, "#service-form").await;
        check(c, lang, page("service-step1")).await;
        type_into(c, "#description", &long).await;
        click(c, "#service-form button.primary").await;
        wait_for(c, "#error-issue_code").await;
        check(c, lang, page("service-step1-error")).await;
        click(c, "input[value=paper_jam]").await;
        click(c, "#service-form button.primary").await;
        wait_for(c, "#contact-form").await;
        check(c, lang, page("service-contact")).await;
        type_into(c, "#name", &long).await;
        type_into(c, "#email", &long).await;
        type_into(c, "#phone", &long).await;
        click(c, "#contact-form button.primary").await;
        wait_for(c, "#error-email").await;
        check(c, lang, page("service-contact-errors")).await;
        type_into(c, "#email", "erika.mustermann@example.org").await;
        type_into(c, "#phone", "").await;
        click(c, "#contact-form button.primary").await;
        wait_for(c, "#review").await;
        check(c, lang, page("service-review")).await;
        click(c, "#send").await;
        wait_for(c, "#incident-number, #reference").await;
        check(c, lang, page("service-done")).await;

        // Request supplies: nothing picked, then one, cancelled on the review.
        click(c, "#tab-supplies").await;
        wait_for(c, "#supplies-form").await;
        check(c, lang, page("supplies")).await;
        click(c, "#request-supplies").await;
        wait_for(c, "#error-supplies").await;
        check(c, lang, page("supplies-none-picked")).await;
        click(c, "#pick-1").await;
        click(c, "#request-supplies").await;
        wait_for(c, "#contact-form").await;
        type_into(c, "#name", &long).await;
        type_into(c, "#email", "erika.mustermann@example.org").await;
        click(c, "#contact-form button.primary").await;
        wait_for(c, "#review-supplies").await;
        check(c, lang, page("supplies-review")).await;
        click(c, "#cancel").await;
        wait_for(c, "#cancelled").await;
        // Back to where the request started (a supply request is listed on Supplies).
        wait_for(c, "#back[data-tab=supplies]").await;
        check(c, lang, page("cancelled")).await;

        // Meters, sent.
        click(c, "#tab-meters").await;
        wait_for(c, "#meters").await;
        // The meters by their names in the page's language, not the English the report carries.
        let total = match lang {
            "de" => "Drucke gesamt",
            "fr" => "Impressions totales",
            "it" => "Impressioni totali",
            "es" => "Impresiones totales",
            _ => "Total impressions",
        };
        wait_text(c, "#meters", total).await;
        check(c, lang, page("meters")).await;
        click(c, "#send-meters").await;
        wait_for(c, "#incident-number, #reference").await;
        wait_for(c, "#back[data-tab=meters]").await;
        check(c, lang, page("meters-sent")).await;

        // Help: the partner's text (300 characters without a space).
        if c.find(Locator::Css("#tab-help")).await.is_ok() {
            click(c, "#tab-help").await;
            wait_for(c, "#help-text").await;
            check(c, lang, page("help")).await;
        }
    }
}

#[tokio::test]
async fn every_panel_page_in_english_fits_both_panels() {
    every_page_in("en").await;
}

#[tokio::test]
async fn every_panel_page_in_german_fits_both_panels() {
    every_page_in("de").await;
}

#[tokio::test]
async fn every_panel_page_in_french_fits_both_panels() {
    every_page_in("fr").await;
}

#[tokio::test]
async fn every_panel_page_in_italian_fits_both_panels() {
    every_page_in("it").await;
}

#[tokio::test]
async fn every_panel_page_in_spanish_fits_both_panels() {
    every_page_in("es").await;
}
