//! The vendor's app settings from the gallery, end to end through the real assistant, manager
//! and gallery: the navigation override, the confirmation e-mail switches, the help-desk
//! override and the logo. Configurations are sealed bound to the device, as the gallery does.

use crate::helpers::*;
use proto::config::{ConfigBinding, Logo};
use proto::{AppConfiguration, Tabs};

/// The configuration sealed bound to `serial` of tenant `acme` (version 1), as the gallery seals.
fn bound(sys: &System, serial: &str, config: &AppConfiguration) -> String {
    let binding = ConfigBinding {
        serial: proto::DeviceSerial::parse(serial).expect("serial"),
        tenant: proto::PartnerId::parse("acme").expect("tenant"),
        version: 1,
    };
    platform::sealed_config::seal(&sys.gallery.state.sealing, &binding, config).expect("seal")
}

fn panel_bound<'a>(sys: &'a System, config: &AppConfiguration) -> Panel<'a> {
    let mut panel = sys.panel(SERIAL_A);
    panel.sealed_config = bound(sys, SERIAL_A, config);
    panel
}

async fn page(
    panel: &Panel<'_>,
    method: reqwest::Method,
    path: &str,
    body: Option<(&str, String)>,
) -> (u16, String) {
    let mut r = panel.request(method, path);
    if let Some((content_type, body)) = body {
        r = r.header("content-type", content_type).body(body);
    }
    let res = r.send().await.expect("request");
    (res.status().as_u16(), res.text().await.expect("body"))
}

fn colour_report() -> serde_json::Value {
    let recording = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/xerox-altalink-c8055-meters.snmprec");
    let varbinds = printer::snmprec::read_file(&recording).expect("fixture");
    serde_json::to_value(printer::interpret(&varbinds)).expect("json")
}

fn supplies() -> serde_json::Value {
    serde_json::json!([{"index": "1.1", "description": "Black Toner", "part_number": "006R01697", "colorant": "black", "percent": 28}])
}

/// Waits until every submission of the outbox is done (delivered and mailed, or no mail wanted).
async fn all_done(sys: &System) {
    let store = sys.assistant.state.services.store.clone();
    eventually("every submission done", || {
        let store = store.clone();
        async move {
            store
                .counts()
                .await
                .map(|c| {
                    c.iter()
                        .all(|(s, n)| *s == assistant::store::SubmissionState::Done || *n == 0)
                })
                .unwrap_or(false)
        }
    })
    .await;
}

fn mails(sys: &System) -> Vec<String> {
    std::fs::read_dir(&sys.assistant.mail_dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| {
                    String::from_utf8_lossy(&std::fs::read(e.path()).expect("eml")).to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_tab_switched_off_is_hidden_and_its_pages_and_endpoints_are_refused() {
    let sys = start_system().await;
    let config = AppConfiguration {
        tabs: Tabs {
            service: false,
            supplies: false,
            meters: true,
            help: false,
        },
        language: Some("de".parse().expect("language")),
        ..Default::default()
    };
    let panel = panel_bound(&sys, &config);
    // The weblet learns which tabs to show.
    let (status, startup) = panel
        .post("/api/v1/startup", None, serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{startup}");
    assert_eq!(
        startup["settings"]["tabs"],
        serde_json::json!({"service": false, "supplies": false, "meters": true, "help": false})
    );
    // The pages of the tabs switched off are refused, saying why in the configured language.
    let report = colour_report().to_string();
    for (method, path, body) in [
        (reqwest::Method::GET, "/ui/v1/services", None),
        (reqwest::Method::GET, "/ui/v1/service-request", None),
        (
            reqwest::Method::POST,
            "/ui/v1/service-request",
            Some((
                "application/x-www-form-urlencoded",
                "step=1&op=next&issue_code=paper_jam".to_string(),
            )),
        ),
        (
            reqwest::Method::POST,
            "/ui/v1/supplies",
            Some(("application/json", report.clone())),
        ),
        (
            reqwest::Method::POST,
            "/ui/v1/supply-request",
            Some((
                "application/x-www-form-urlencoded",
                "step=1&op=next&pick=1.1".to_string(),
            )),
        ),
    ] {
        let (status, html) = page(&panel, method, path, body).await;
        assert_eq!(status, 403, "{path}: {html}");
        assert!(
            html.contains("Ihr Servicepartner hat den Tab"),
            "{path} says why, in German: {html}"
        );
    }
    // And so are their App API endpoints; nothing reaches the manager.
    let (status, problem) = panel
        .post(
            "/api/v1/service-incidents",
            Some("k-off-1"),
            serde_json::json!({"issue_code": "paper_jam", "description": "", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("„Service“"),
        "{problem}"
    );
    let (status, problem) = panel
        .post(
            "/api/v1/supply-incidents",
            Some("k-off-2"),
            serde_json::json!({"supplies": supplies(), "contact": contact()}),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    // The tab left on works.
    let (status, html) = page(
        &panel,
        reqwest::Method::POST,
        "/ui/v1/meters",
        Some(("application/json", report)),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    // The device's incident list leaves out the kinds whose tab is off.
    let open = sys.panel(SERIAL_A);
    let (status, _) = open
        .post(
            "/api/v1/service-incidents",
            Some("k-on-1"),
            serde_json::json!({"issue_code": "paper_jam", "description": "", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, all) = open.get("/api/v1/incidents").await;
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    let (_, filtered) = panel.get("/api/v1/incidents").await;
    assert_eq!(filtered, serde_json::json!([]));
}

#[tokio::test]
async fn the_confirmation_email_goes_out_only_for_the_workflows_switched_on() {
    let sys = start_system().await;
    let mut config = AppConfiguration::default();
    config.confirmation_email.service_incident = false;
    assert!(config.confirmation_email.supply_incident, "on by default");
    let panel = panel_bound(&sys, &config);
    let (status, service) = panel
        .post(
            "/api/v1/service-incidents",
            Some("k-mail-1"),
            serde_json::json!({"issue_code": "paper_jam", "description": "", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{service}");
    let (status, supply) = panel
        .post(
            "/api/v1/supply-incidents",
            Some("k-mail-2"),
            serde_json::json!({"supplies": supplies(), "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{supply}");
    all_done(&sys).await;
    let mails = mails(&sys);
    assert_eq!(mails.len(), 1, "only the supply request is confirmed");
    let supply_number = supply["incident_number"].as_str().expect("number");
    let service_number = service["incident_number"].as_str().expect("number");
    assert!(mails[0].contains(supply_number));
    assert!(!mails[0].contains(service_number));

    // The panel says so too: no "e-mail on its way" where none goes.
    let body = "step=3&op=send&issue_code=paper_jam&description=&name=Erika+Mustermann&email=erika%40example.org&phone=";
    let res = panel
        .request(reqwest::Method::POST, "/ui/v1/service-request")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", "k-mail-3")
        .body(body)
        .send()
        .await
        .expect("request");
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"incident-number\""), "{html}");
    assert!(
        !html.contains("confirmation e-mail is on its way"),
        "{html}"
    );
}

#[tokio::test]
async fn the_help_desk_override_shows_the_partners_ticket_number_instead_of_ours() {
    let sys = start_system().await;
    let config = AppConfiguration {
        help_desk_override: true,
        ..Default::default()
    };
    let panel = panel_bound(&sys, &config);
    let body = "step=3&op=send&issue_code=paper_jam&description=Jams&name=Erika+Mustermann&email=erika%40example.org&phone=";
    let res = panel
        .request(reqwest::Method::POST, "/ui/v1/service-request")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", "k-hd-1")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 201);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"help-desk\""), "{html}");
    assert!(
        html.contains("help desk. Its ticket number follows by e-mail."),
        "{html}"
    );
    assert!(!html.contains("SR-"), "our number is not shown: {html}");
    // The manager has the incident; the partner's help desk (its webhook receiver, say) gives
    // its own ticket number for it.
    let client = manager::client::ManagerClient::new(
        &sys.manager.base,
        secrecy::SecretString::from(sys.manager.api_key.clone()),
    )
    .expect("client");
    let incidents = client
        .list_device_incidents(SERIAL_A, chrono::Utc::now() - chrono::Duration::days(1))
        .await
        .expect("incidents");
    let number = incidents[0].number.clone();
    assert!(
        mails(&sys).is_empty(),
        "the e-mail waits for the ticket number"
    );
    let res = reqwest::Client::new()
        .put(format!(
            "{}/api/v1/incidents/{number}/ticket-reference",
            sys.manager.base
        ))
        .bearer_auth(&sys.manager.api_key)
        .json(&serde_json::json!({"reference": "HD-4711"}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status().as_u16(), 200);
    all_done(&sys).await;
    let mails = mails(&sys);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("Subject: HD-4711:"), "{mail}");
    assert!(
        mail.contains("Ticket number") && mail.contains("HD-4711"),
        "{mail}"
    );
    assert!(
        !mail.contains(&format!("{number}:")),
        "our number is not the subject: {mail}"
    );
}

#[tokio::test]
async fn the_help_desk_override_falls_back_to_our_incident_number_when_no_ticket_arrives() {
    // The partner's help desk never gives a ticket number. The assistant's clock is fixed, so the
    // confirmation cannot go out before the test moves it past the default wait (ten minutes).
    let clock = std::sync::Arc::new(assistant::clock::FixedClock::default());
    let sys = start_system_with(|config| {
        assert_eq!(config.help_desk_wait, assistant::worker::HELP_DESK_WAIT);
        config.clock = clock.clone();
    })
    .await;
    let config = AppConfiguration {
        help_desk_override: true,
        ..Default::default()
    };
    let panel = panel_bound(&sys, &config);
    let body = "step=3&op=send&issue_code=paper_jam&description=Jams&name=Erika+Mustermann&email=erika%40example.org&phone=";
    let res = panel
        .request(reqwest::Method::POST, "/ui/v1/service-request")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", "k-hd-fallback")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 201);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"help-desk\""), "{html}");
    let client = manager::client::ManagerClient::new(
        &sys.manager.base,
        secrecy::SecretString::from(sys.manager.api_key.clone()),
    )
    .expect("client");
    let incidents = client
        .list_device_incidents(SERIAL_A, chrono::Utc::now() - chrono::Duration::days(1))
        .await
        .expect("incidents");
    assert_eq!(incidents.len(), 1);
    let number = incidents[0].number.clone();
    assert!(
        mails(&sys).is_empty(),
        "the e-mail waits for the ticket number"
    );
    // The first try has asked for the ticket number and put the confirmation off (one second on
    // the fixed clock); moving the clock before that try ends would put it off from the new time,
    // which the fixed clock then never reaches.
    let db = format!(
        "sqlite://{}",
        sys.assistant
            .mail_dir
            .parent()
            .expect("dir")
            .join("assistant.db")
            .display()
    );
    let outbox = sqlx::SqlitePool::connect(&db).await.expect("outbox");
    eventually("the first try waits for the help desk", || {
        let outbox = outbox.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>("SELECT last_error FROM outbox")
                .fetch_one(&outbox)
                .await
                .ok()
                .flatten()
                .is_some_and(|e| e.contains("help desk"))
        }
    })
    .await;
    clock.advance(
        chrono::Duration::from_std(assistant::worker::HELP_DESK_WAIT).expect("wait")
            + chrono::Duration::seconds(1),
    );
    all_done(&sys).await;
    let mails = mails(&sys);
    assert_eq!(mails.len(), 1, "the confirmation goes out once");
    let mail = &mails[0];
    assert!(
        mail.contains(&format!("Subject: {number}:")),
        "our incident number is the subject: {mail}"
    );
    assert!(
        mail.contains("Incident number") && mail.contains(number.as_str()),
        "{mail}"
    );
    assert!(!mail.contains("Ticket number"), "no ticket number: {mail}");
    // The manager still has no ticket reference: nothing was made up for it.
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/incidents/{number}/ticket-reference",
            sys.manager.base
        ))
        .bearer_auth(&sys.manager.api_key)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn the_logo_is_the_stored_image_on_the_panel_and_an_inline_part_of_the_email() {
    let sys = start_system().await;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="247" height="72"><rect width="247" height="72" fill="#0a5"/></svg>"##;
    let config = AppConfiguration {
        logo: Some(Logo::image(svg).expect("logo")),
        ..Default::default()
    };
    let panel = panel_bound(&sys, &config);
    let (status, startup) = panel
        .post("/api/v1/startup", None, serde_json::json!({}))
        .await;
    assert_eq!(status, 200);
    let src = startup["settings"]["logo_url"].as_str().expect("logo");
    assert!(src.starts_with("data:image/svg+xml;base64,"), "{src}");
    // A URL the gallery never fetched is not handed to the device's browser.
    let url_only = AppConfiguration {
        logo: Some(Logo::url("https://partner.example/logo.png").expect("url")),
        ..Default::default()
    };
    let (_, startup) = panel_bound(&sys, &url_only)
        .post("/api/v1/startup", None, serde_json::json!({}))
        .await;
    assert!(startup["settings"]["logo_url"].is_null(), "{startup}");

    let (status, _) = panel
        .post(
            "/api/v1/supply-incidents",
            Some("k-logo-1"),
            serde_json::json!({"supplies": supplies(), "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201);
    all_done(&sys).await;
    let mails = mails(&sys);
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains("multipart/related"), "{mail}");
    assert!(mail.contains("Content-ID: <logo>"), "{mail}");
    assert!(
        mail.contains("src=3D\"cid:logo\"") || mail.contains("src=\"cid:logo\""),
        "{mail}"
    );
    assert!(!mail.contains("partner.example"), "{mail}");
}

/// The value of the hidden field `name` in a page, unescaped.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect(name) + marker.len();
    let end = html[start..].find('"').expect("end of value") + start;
    html[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

async fn send_meters(panel: &Panel<'_>, fields: &[(&str, &str)], key: &str) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let res = panel
        .request(reqwest::Method::POST, "/ui/v1/meter-reads")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", key)
        .body(body)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.text().await.expect("html"))
}

#[tokio::test]
async fn the_meters_tab_asks_for_an_email_address_when_meter_confirmations_are_on() {
    let sys = start_system().await;
    let report = colour_report().to_string();
    // On (the default): the Meters tab offers an optional confirmation by e-mail.
    let panel = panel_bound(&sys, &AppConfiguration::default());
    let (status, html) = page(
        &panel,
        reqwest::Method::POST,
        "/ui/v1/meters",
        Some(("application/json", report.clone())),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"meters-mail\""), "{html}");
    let meters = hidden_value(&html, "meters");
    // A wrong address is refused next to its field, and nothing is sent.
    let (status, html) = send_meters(
        &panel,
        &[
            ("step", "3"),
            ("meters", &meters),
            ("name", "Erika Mustermann"),
            ("email", "erika"),
            ("op", "send"),
        ],
        "k-meters-bad",
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"error-email\""), "{html}");
    let (status, html) = send_meters(
        &panel,
        &[
            ("step", "3"),
            ("meters", &meters),
            ("name", "Erika Mustermann"),
            ("email", "erika.mustermann@example.org"),
            ("op", "send"),
        ],
        "k-meters-1",
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert!(html.contains("confirmation e-mail is on its way"), "{html}");
    let number = {
        let start = html.find("MR-").expect("MR number");
        html[start..start + 14].to_string()
    };
    all_done(&sys).await;
    let sent = mails(&sys);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains(&number) && sent[0].contains("erika.mustermann@example.org"));

    // Off: no address asked for, and none used if one came anyway.
    let mut off = AppConfiguration::default();
    off.confirmation_email.meter_submission = false;
    let panel = panel_bound(&sys, &off);
    let (_, html) = page(
        &panel,
        reqwest::Method::POST,
        "/ui/v1/meters",
        Some(("application/json", report)),
    )
    .await;
    assert!(!html.contains("id=\"meters-mail\""), "{html}");
    let (status, html) = send_meters(
        &panel,
        &[
            ("step", "3"),
            ("meters", &meters),
            ("name", "Erika"),
            ("email", "erika@example.org"),
            ("op", "send"),
        ],
        "k-meters-2",
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert!(
        !html.contains("confirmation e-mail is on its way"),
        "{html}"
    );
    all_done(&sys).await;
    assert_eq!(mails(&sys).len(), 1, "no second e-mail");
}
