//! Every workflow at the panel, as a walk-up user and as the device administrator.

use fantoccini::{Client, Locator};
use gallery::config::AppConfiguration;

use crate::harness::*;
use crate::helpers::*;

async fn service_incidents(panel: &Panel<'_>) -> Vec<serde_json::Value> {
    let (status, list) = panel.get("/api/v1/incidents?kind=service").await;
    assert_eq!(status, 200, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

async fn is_displayed(client: &Client, css: &str) -> bool {
    match client.find(Locator::Css(css)).await {
        Ok(el) => el.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

/// Steps 1 to 3 of "Report a problem", up to the review.
async fn report_until_review(c: &Client, email: &str) {
    click(c, "#report-problem").await;
    wait_for(c, "#service-form").await;
    click(c, "input[value=paper_jam]").await;
    type_into(c, "#description", "Paper jams in tray 2 every morning").await;
    click(c, "#service-form button.primary").await;
    wait_for(c, "#contact-form").await;
    type_into(c, "#name", "Erika Mustermann").await;
    type_into(c, "#email", email).await;
    type_into(c, "#phone", "+49 30 1234567").await;
    click(c, "#contact-form button.primary").await;
    wait_text(c, "#review", email).await;
}

#[tokio::test]
async fn walk_up_user_sees_incidents_and_reports_a_problem_after_fixing_the_email() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (status, body) = panel
        .post(
            "/api/v1/service-incidents",
            Some("browser-earlier-1"),
            serde_json::json!({"issue_code": "noise", "description": "Rattling", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let earlier = body["incident_number"]
        .as_str()
        .expect("number")
        .to_string();
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_text(c, "#incidents", &earlier).await;
    assert!(
        !is_displayed(c, "#gear").await,
        "no gear for a walk-up user"
    );
    assert!(!is_displayed(c, "#badge").await, "no DEMO badge");
    screenshot(c, "01-services").await;

    click(c, "#report-problem").await;
    wait_for(c, "#service-form").await;
    click(c, "input[value=paper_jam]").await;
    type_into(c, "#description", "Paper jams in tray 2 every morning").await;
    screenshot(c, "02-report-step1-issue").await;
    click(c, "#service-form button.primary").await;
    wait_for(c, "#contact-form").await;
    type_into(c, "#name", "Erika Mustermann").await;
    type_into(c, "#email", "erika.example.org").await;
    type_into(c, "#phone", "+49 30 1234567").await;
    click(c, "#contact-form button.primary").await;
    wait_text(c, "#error-email", "must contain '@'").await;
    screenshot(c, "03-report-step2-wrong-email").await;
    type_into(c, "#email", "erika.mustermann@example.org").await;
    click(c, "#contact-form button.primary").await;
    wait_text(c, "#review", "erika.mustermann@example.org").await;
    wait_text(c, "#review", "Paper jams in tray 2 every morning").await;
    screenshot(c, "04-report-step3-review").await;
    click(c, "#send").await;
    let number = wait_text(c, "#incident-number", "SR-").await;
    screenshot(c, "05-report-confirmation").await;

    let list = service_incidents(&panel).await;
    assert!(
        list.iter()
            .any(|i| i["number"] == number.as_str() && i["issue_code"] == "paper_jam"),
        "{list:?}"
    );
    let mail_dir = sys.assistant.mail_dir.clone();
    let wanted = number.clone();
    eventually(
        "the confirmation e-mail with the number is in the outbox",
        || {
            let dir = mail_dir.clone();
            let wanted = wanted.clone();
            async move {
                std::fs::read_dir(&dir).is_ok_and(|entries| {
                    entries.filter_map(Result::ok).any(|e| {
                        std::fs::read_to_string(e.path()).is_ok_and(|m| {
                            m.contains(&wanted) && m.contains("Paper jams in tray 2 every morning")
                        })
                    })
                })
            }
        },
    )
    .await;
    // Back to Services: the new incident is listed.
    click(c, "a[data-tab=services]").await;
    wait_text(c, "#incidents", &number).await;
}

#[tokio::test]
async fn cancel_on_the_review_sends_nothing() {
    let sys = start_system().await;
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    report_until_review(c, "erika.mustermann@example.org").await;
    click(c, "#cancel").await;
    wait_text(c, "#cancelled", "Nothing was sent").await;
    screenshot(c, "06-report-cancelled").await;
    assert!(service_incidents(&sys.panel(SERIAL_A)).await.is_empty());
    click(c, "a[data-tab=services]").await;
    wait_for(c, "#no-incidents").await;
}

#[tokio::test]
async fn walk_up_user_requests_two_supplies() {
    let sys = start_system().await;
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    click(c, "#tab-supplies").await;
    wait_for(c, "#supplies-form").await;
    screenshot(c, "07-supplies").await;
    click(c, "#pick-1").await;
    click(c, "#pick-2").await;
    click(c, "#request-supplies").await;
    wait_for(c, "#contact-form").await;
    type_into(c, "#name", "Erika Mustermann").await;
    type_into(c, "#email", "erika.mustermann@example.org").await;
    click(c, "#contact-form button.primary").await;
    wait_for(c, "#review-supplies").await;
    let rows = c
        .find_all(Locator::Css("#review-supplies tr.supply"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2);
    screenshot(c, "08-supplies-review").await;
    click(c, "#send").await;
    let number = wait_text(c, "#incident-number", "SR-").await;
    screenshot(c, "09-supplies-confirmation").await;
    let (_, list) = sys
        .panel(SERIAL_A)
        .get("/api/v1/incidents?kind=supply")
        .await;
    let list = list.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["number"], number.as_str());
    assert_eq!(list[0]["supplies"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn walk_up_user_reads_the_meters_and_sends_them() {
    let sys = start_system().await;
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    click(c, "#tab-meters").await;
    wait_for(c, "#meters").await;
    let rows = c
        .find_all(Locator::Css("#meters tr.meter"))
        .await
        .expect("rows");
    assert!(!rows.is_empty());
    screenshot(c, "10-meters").await;
    click(c, "#send-meters").await;
    wait_text(c, "#main h2", "Meter reads sent").await;
    screenshot(c, "11-meters-sent").await;
    let client = manager::client::ManagerClient::new(
        &sys.manager.base,
        secrecy::SecretString::from(sys.manager.api_key.clone()),
    )
    .expect("client");
    let expected = rows.len();
    eventually("the meter read is in the manager", || {
        let client = client.clone();
        async move {
            client
                .list_meter_reads(SERIAL_A, chrono::Utc::now() - chrono::Duration::days(1))
                .await
                .is_ok_and(|r| r.first().is_some_and(|r| r.meters.len() == expected))
        }
    })
    .await;
}

#[tokio::test]
async fn administrator_switches_demo_mode_on_and_off_and_nothing_is_sent_meanwhile() {
    let sys = start_system().await;
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    admin_login(c, &dev).await;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    assert!(
        is_displayed(c, "#gear").await,
        "the gear for the administrator"
    );
    click(c, "#gear").await;
    wait_text(c, "#demo-state", "OFF").await;
    screenshot(c, "12-demo-settings").await;
    click(c, "#demo-toggle").await;
    wait_text(c, "#demo-banner", "DEMO").await;
    wait_text(c, "#incidents", "DEMO: paper jams in tray 2").await;
    assert!(is_displayed(c, "#badge").await);
    screenshot(c, "13-demo-on-services").await;
    // Kept on the device: a fresh start of the app is still in Demo Mode.
    c.goto(&dev.app_url()).await.expect("reopen the app");
    wait_text(c, "#demo-banner", "DEMO").await;
    report_until_review(c, "erika.mustermann@example.org").await;
    wait_for(c, "#demo-banner").await;
    click(c, "#send").await;
    wait_text(c, "#incident-number", "DEMO-SR-").await;
    screenshot(c, "14-demo-sent").await;
    assert!(service_incidents(&sys.panel(SERIAL_A)).await.is_empty());
    let mails = std::fs::read_dir(&sys.assistant.mail_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(mails, 0, "no e-mail in Demo Mode");
    // Off again.
    click(c, "#gear").await;
    wait_text(c, "#demo-state", "ON").await;
    click(c, "#demo-toggle").await;
    wait_for(c, "#no-incidents").await;
    assert!(!is_displayed(c, "#badge").await);
    assert!(
        c.find(Locator::Css("#demo-banner")).await.is_err(),
        "no DEMO once it is off"
    );
    screenshot(c, "15-demo-off").await;
}

#[tokio::test]
async fn a_device_without_a_supplies_contract_explains_why_supplies_cannot_be_requested() {
    let sys = start_system().await;
    let dev = device(&sys, SERIAL_NO_SUPPLIES, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    click(c, "#tab-supplies").await;
    wait_text(c, "#supplies-unavailable", "not under a supplies contract").await;
    assert!(
        c.find(Locator::Css("input[type=checkbox]")).await.is_err(),
        "nothing to pick without a contract"
    );
    screenshot(c, "16-no-supplies-contract").await;
}

#[tokio::test]
async fn a_wrong_snmp_community_gives_a_clear_message_instead_of_supplies() {
    let sys = start_system().await;
    let config: AppConfiguration =
        serde_json::from_value(serde_json::json!({"snmp_community": "not-the-device-one"}))
            .expect("config");
    let dev = device(&sys, SERIAL_A, &config).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    click(c, "#tab-supplies").await;
    wait_text(c, "#app-message", "community string").await;
    screenshot(c, "17-wrong-community").await;
    click(c, "#tab-meters").await;
    wait_text(c, "#app-message", "community string").await;
}

/// What the panel does from its start until the Services tab is shown: requests and bytes are
/// checked against the budget (9 requests — the ninth is `strings.js`, the weblet's own texts in
/// five languages, needed before the assistant answers — and 100 KB); the time is printed, not asserted.
#[tokio::test]
async fn panel_start_to_the_services_tab_stays_within_9_requests_and_100_kb() {
    let sys = start_system().await;
    let dev = device(&sys, SERIAL_A, &AppConfiguration::default()).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    let measured = c
        .execute(
            "var m = performance.getEntriesByName('sa-services-shown')[0];\
             var nav = performance.getEntriesByType('navigation')[0];\
             var res = performance.getEntriesByType('resource').filter(function (r) { return r.responseEnd <= m.startTime; });\
             var bytes = nav.transferSize;\
             for (var i = 0; i < res.length; i++) { bytes += res[i].transferSize; }\
             return {requests: 1 + res.length, bytes: bytes, ms: m.startTime, names: res.map(function (r) { return r.name; })};",
            Vec::new(),
        )
        .await
        .expect("performance entries");
    let requests = measured["requests"].as_u64().expect("requests");
    let bytes = measured["bytes"].as_u64().expect("bytes");
    println!(
        "panel start to Services tab: {requests} requests, {bytes} bytes, {:.0} ms ({})",
        measured["ms"].as_f64().unwrap_or_default(),
        measured["names"]
    );
    assert!(requests <= 9, "{measured}");
    assert!(bytes > 0 && bytes <= 100_000, "{measured}");
}

#[tokio::test]
async fn an_unreachable_assistant_is_explained_and_try_again_starts_over() {
    let sys = start_system().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port");
    let dev = device_for(
        &sys,
        SERIAL_A,
        &AppConfiguration::default(),
        &format!("http://{closed}"),
    )
    .await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_text(c, "#app-message", "cannot be reached").await;
    screenshot(c, "18-assistant-unreachable").await;
    click(c, "#restart").await;
    wait_text(c, "#app-message", "cannot be reached").await;
}

#[tokio::test]
async fn a_wrong_community_message_offers_to_read_the_device_again() {
    let sys = start_system().await;
    let config: AppConfiguration =
        serde_json::from_value(serde_json::json!({"snmp_community": "not-the-device-one"}))
            .expect("config");
    let dev = device(&sys, SERIAL_A, &config).await;
    let b = browser().await;
    let c = &b.client;
    c.goto(&dev.app_url()).await.expect("open the app");
    wait_for(c, "#no-incidents").await;
    click(c, "#tab-meters").await;
    wait_text(c, "#app-message", "community string").await;
    // Reading again asks the device again (and, with the same configuration, says the same).
    click(c, "a[data-reread]").await;
    wait_text(c, "#app-message", "community string").await;
    wait_for(c, "a[data-reread]").await;
}
