//! The panel pages (`/ui/v1/...`) through the real assistant, manager and gallery: what a person
//! at the panel sees at each step, and that Send, Cancel and Demo Mode do what they say.

use crate::helpers::*;

/// A page as the weblet gets it: status and HTML.
async fn page(
    panel: &Panel<'_>,
    method: reqwest::Method,
    path: &str,
    body: Option<(&str, String)>,
    key: Option<&str>,
) -> (u16, String) {
    let mut r = panel.request(method, path);
    if let Some((content_type, body)) = body {
        r = r.header("content-type", content_type).body(body);
    }
    if let Some(k) = key {
        r = r.header("idempotency-key", k);
    }
    let res = r.send().await.expect("request");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = res.text().await.expect("body");
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}: {text}"
    );
    (status, text)
}

async fn get_page(panel: &Panel<'_>, path: &str) -> (u16, String) {
    page(panel, reqwest::Method::GET, path, None, None).await
}

async fn post_form(
    panel: &Panel<'_>,
    path: &str,
    fields: &[(&str, &str)],
    key: Option<&str>,
) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    page(
        panel,
        reqwest::Method::POST,
        path,
        Some(("application/x-www-form-urlencoded", body)),
        key,
    )
    .await
}

async fn post_report(panel: &Panel<'_>, path: &str, report: &serde_json::Value) -> (u16, String) {
    page(
        panel,
        reqwest::Method::POST,
        path,
        Some(("application/json", report.to_string())),
        None,
    )
    .await
}

/// The device report of the colour MFD recording, as the App API returns it.
fn colour_report() -> serde_json::Value {
    let recording = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/xerox-altalink-c8055-meters.snmprec");
    let varbinds = printer::snmprec::read_file(&recording).expect("fixture");
    serde_json::to_value(printer::interpret(&varbinds)).expect("json")
}

/// The device report of the mono recording (black toner only) as the App API makes it from what
/// the weblet collected, with Demo Mode as `panel` says.
async fn mono_report_from_the_app_api(panel: &Panel<'_>) -> serde_json::Value {
    let recording = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/xerox-versalink-b415-mono.snmprec");
    let varbinds = printer::snmprec::read_file(&recording).expect("fixture");
    let collected: Vec<serde_json::Value> = varbinds
        .iter()
        .map(|vb| {
            let (t, v) = printer::wssnmp::format(&vb.value);
            serde_json::json!({"oid": vb.oid.to_string(), "type": t, "value": v})
        })
        .collect();
    let (status, report) = panel
        .post(
            "/api/v1/device-report",
            None,
            serde_json::json!({ "varbinds": collected }),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    report
}

/// The `<table …id="{id}">…</table>` of a page.
fn table<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("#{id} in {html}"));
    let start = html[..start].rfind("<table").expect("<table");
    let end = html[start..].find("</table>").expect("</table>") + start;
    &html[start..end]
}

/// The value of the hidden field `name` in a page (the first one).
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect(name) + marker.len();
    let end = html[start..].find('"').expect("end of value") + start;
    unescape(&html[start..end])
}

/// Reads back what askama escaped (`&#34;`, `&#39;`, `&#60;`, `&#62;`, `&#38;` and the named ones).
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

async fn manager_incidents(panel: &Panel<'_>, kind: &str) -> Vec<serde_json::Value> {
    let (status, list) = panel.get(&format!("/api/v1/incidents?kind={kind}")).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

const SERVICE: &str = "/ui/v1/service-request";
const SUPPLY: &str = "/ui/v1/supply-request";

#[tokio::test]
async fn services_tab_lists_the_devices_service_incidents_and_offers_a_report() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (_, html) = get_page(&panel, "/ui/v1/services").await;
    assert!(html.contains("id=\"no-incidents\""), "{html}");
    let (status, body) = panel
        .post(
            "/api/v1/service-incidents",
            Some("ui-services-1"),
            serde_json::json!({"issue_code": "paper_jam", "description": "Tray 2", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let number = body["incident_number"].as_str().expect("number");
    let (status, html) = get_page(&panel, "/ui/v1/services").await;
    assert_eq!(status, 200);
    assert!(html.contains(number), "{html}");
    assert!(html.contains("Paper jam: Tray 2"), "{html}");
    // French puts a no-break space before the colon.
    let fr = gallery::config::AppConfiguration {
        language: Some("fr".parse().expect("language")),
        ..Default::default()
    };
    let (_, html_fr) = get_page(&sys.panel_with(SERIAL_A, &fr), "/ui/v1/services").await;
    assert!(
        html_fr.contains("Bourrage papier\u{a0}: Tray 2"),
        "{html_fr}"
    );
    assert!(html.contains("id=\"report-problem\""), "{html}");
    assert!(!html.contains("DEMO"), "{html}");
    // The panel is shared: no contact details on it.
    assert!(!html.contains("erika"), "{html}");
    // Another device sees none of it.
    let (_, other) = get_page(&sys.panel(SERIAL_B), "/ui/v1/services").await;
    assert!(!other.contains(number), "{other}");
}

#[tokio::test]
async fn service_wizard_refuses_a_wrong_email_next_to_the_field_then_sends() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (status, html) = get_page(&panel, SERVICE).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"paper_jam\""), "{html}");
    // Step 1 without an issue: the reason next to the issue list.
    let (status, html) = post_form(&panel, SERVICE, &[("step", "1"), ("op", "next")], None).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"error-issue_code\""), "{html}");
    let data = [
        ("issue_code", "print_quality"),
        ("description", "Streaks <b>everywhere</b>"),
    ];
    let mut step1 = vec![("step", "1"), ("op", "next")];
    step1.extend(data);
    let (status, html) = post_form(&panel, SERVICE, &step1, None).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"contact-form\""), "{html}");
    assert_eq!(hidden_value(&html, "issue_code"), "print_quality");
    // A wrong e-mail: a clear message next to the e-mail field, what was typed kept.
    let mut step2 = vec![("step", "2"), ("op", "next")];
    step2.extend(data);
    let mut wrong = step2.clone();
    wrong.extend([("name", "Erika Mustermann"), ("email", "erika.example.org")]);
    let (status, html) = post_form(&panel, SERVICE, &wrong, None).await;
    assert_eq!(status, 422);
    assert!(
        html.contains(
            "id=\"error-email\" role=\"alert\">The e-mail address must contain &#39;@&#39;."
        ) || html.contains(
            "id=\"error-email\" role=\"alert\">The e-mail address must contain &#x27;@&#x27;."
        ),
        "{html}"
    );
    assert!(html.contains("value=\"erika.example.org\""), "{html}");
    assert!(!html.contains("id=\"error-name\""), "{html}");
    // The right one: the review shows everything, escaped.
    let mut right = step2.clone();
    right.extend([
        ("name", "Erika Mustermann"),
        ("email", "erika.mustermann@example.org"),
        ("phone", "+49 30 1234567"),
    ]);
    let (status, html) = post_form(&panel, SERVICE, &right, None).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"review-form\""), "{html}");
    assert!(html.contains("Print quality"), "{html}");
    assert!(
        unescape(&html).contains("<td class=\"text\">Streaks <b>everywhere</b></td>"),
        "{html}"
    );
    assert!(!html.contains("<b>everywhere"), "{html}");
    assert!(html.contains("erika.mustermann@example.org"), "{html}");
    // Send without a key is refused by the rules; with one it is recorded and confirmed.
    let mut send = vec![("step", "3"), ("op", "send")];
    send.extend(data);
    send.extend([
        ("name", "Erika Mustermann"),
        ("email", "erika.mustermann@example.org"),
        ("phone", "+49 30 1234567"),
    ]);
    let (status, html) = post_form(&panel, SERVICE, &send, None).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("Idempotency-Key"), "{html}");
    let (status, html) = post_form(&panel, SERVICE, &send, Some("ui-send-1")).await;
    assert_eq!(status, 201, "{html}");
    let start = html.find("id=\"incident-number\">").expect("number") + 21;
    let number = &html[start..start + html[start..].find('<').expect("end")];
    assert!(number.starts_with("SR-"), "{number}");
    // A retry of the same Send records nothing new.
    let (status, again) = post_form(&panel, SERVICE, &send, Some("ui-send-1")).await;
    assert_eq!(status, 201, "{again}");
    assert!(again.contains(number), "{again}");
    let list = manager_incidents(&panel, "service").await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["number"], number);
    assert_eq!(list[0]["issue_code"], "print_quality");
}

#[tokio::test]
async fn back_keeps_what_was_typed_and_cancel_sends_nothing() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (_, html) = post_form(
        &panel,
        SERVICE,
        &[
            ("step", "2"),
            ("op", "back"),
            ("issue_code", "noise"),
            ("description", "Grinding"),
            ("name", "Erika"),
            ("email", "e@example.org"),
        ],
        None,
    )
    .await;
    assert!(html.contains("id=\"service-form\""), "{html}");
    assert!(
        html.contains("value=\"noise\" checked") && html.contains(">Grinding</textarea>"),
        "{html}"
    );
    assert_eq!(hidden_value(&html, "email"), "e@example.org");
    let (status, html) = post_form(
        &panel,
        SERVICE,
        &[
            ("step", "3"),
            ("op", "cancel"),
            ("issue_code", "noise"),
            ("description", "Grinding"),
            ("name", "Erika Mustermann"),
            ("email", "erika.mustermann@example.org"),
        ],
        Some("ui-cancel-1"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Nothing was sent."), "{html}");
    assert!(manager_incidents(&panel, "service").await.is_empty());
}

#[tokio::test]
async fn supplies_tab_offers_the_device_supplies_and_two_picked_are_requested() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let report = colour_report();
    let supplies = report["supplies"].as_array().expect("supplies").clone();
    assert!(supplies.len() >= 2, "{report}");
    let (status, html) = post_report(&panel, "/ui/v1/supplies", &report).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"no-incidents\""), "{html}");
    for s in &supplies {
        assert!(
            html.contains(&format!(
                "name=\"pick\" value=\"{}\"",
                s["index"].as_str().expect("index")
            )),
            "{html}"
        );
    }
    let offered = hidden_value(&html, "offered");
    let picks: Vec<String> = supplies[..2]
        .iter()
        .map(|s| s["index"].as_str().expect("index").to_string())
        .collect();
    // None picked: the reason next to the list.
    let (status, html) = post_form(
        &panel,
        SUPPLY,
        &[("step", "1"), ("op", "next"), ("offered", &offered)],
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"error-supplies\""), "{html}");
    let base = vec![
        ("offered", offered.as_str()),
        ("pick", picks[0].as_str()),
        ("pick", picks[1].as_str()),
    ];
    let mut step1 = vec![("step", "1"), ("op", "next")];
    step1.extend(base.clone());
    let (status, html) = post_form(&panel, SUPPLY, &step1, None).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"contact-form\""), "{html}");
    let contact_fields = [
        ("name", "Erika Mustermann"),
        ("email", "erika.mustermann@example.org"),
        ("phone", ""),
    ];
    let mut step2 = vec![("step", "2"), ("op", "next")];
    step2.extend(base.clone());
    step2.extend(contact_fields);
    let (status, html) = post_form(&panel, SUPPLY, &step2, None).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(html.matches("<tr class=\"supply\">").count(), 2, "{html}");
    for s in &supplies[..2] {
        assert!(
            html.contains(s["description"].as_str().expect("description")),
            "{html}"
        );
    }
    let mut send = vec![("step", "3"), ("op", "send")];
    send.extend(base);
    send.extend(contact_fields);
    let (status, html) = post_form(&panel, SUPPLY, &send, Some("ui-supply-1")).await;
    assert_eq!(status, 201, "{html}");
    assert!(html.contains("id=\"incident-number\""), "{html}");
    let list = manager_incidents(&panel, "supply").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["supplies"].as_array().map(Vec::len), Some(2));
    // The supply incident now shows on the Supplies tab.
    let (_, html) = post_report(&panel, "/ui/v1/supplies", &report).await;
    assert!(
        html.contains(list[0]["number"].as_str().expect("number")),
        "{html}"
    );
}

/// "Request selected supplies" with nothing picked says to pick one and shows the very table the
/// Supplies tab showed: every column (Status included), every row, its low-level marks.
#[tokio::test]
async fn nothing_picked_keeps_every_column_of_the_supplies_table() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (_, tab) = post_report(&panel, "/ui/v1/supplies", &colour_report()).await;
    let offered = hidden_value(&tab, "offered");
    let (status, html) = post_form(
        &panel,
        SUPPLY,
        &[("step", "1"), ("op", "next"), ("offered", &offered)],
        None,
    )
    .await;
    assert_eq!(status, 422, "{html}");
    let error = html
        .split("id=\"error-supplies\"")
        .nth(1)
        .unwrap_or_else(|| panic!("the error next to the list: {html}"));
    assert!(error.contains("at least one supply"), "{html}");
    assert_eq!(table(&html, "supplies"), table(&tab, "supplies"));
    assert!(table(&tab, "supplies").contains("<td>OK</td>"), "{tab}");
}

/// Demo Mode shows the device as it is: a mono device's own supplies (black only) and, without a
/// supplies contract, nothing to request; its sample numbers start with DEMO-.
#[tokio::test]
async fn demo_mode_follows_the_device_and_marks_its_numbers_demo() {
    let sys = start_system().await;
    let mut panel = sys.panel(SERIAL_NO_SUPPLIES);
    panel.demo = true;
    let report = mono_report_from_the_app_api(&panel).await;
    let colorants: Vec<&str> = report["supplies"]
        .as_array()
        .expect("supplies")
        .iter()
        .filter_map(|s| s["colorant"].as_str())
        .collect();
    assert!(!colorants.is_empty(), "{report}");
    assert!(colorants.iter().all(|c| *c == "black"), "{report}");
    let (status, html) = post_report(&panel, "/ui/v1/supplies", &report).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"demo-banner\""), "{html}");
    for colour in ["Cyan", "Magenta", "Yellow", "cyan", "magenta", "yellow"] {
        assert!(!html.contains(colour), "{colour}: {html}");
    }
    assert!(html.contains("not under a supplies contract"), "{html}");
    assert!(!html.contains("type=\"checkbox\""), "{html}");
    assert!(!html.contains("id=\"request-supplies\""), "{html}");
    let offered = hidden_value(&html, "offered");
    let (status, html) = post_form(
        &panel,
        SUPPLY,
        &[
            ("step", "3"),
            ("op", "send"),
            ("offered", &offered),
            ("pick", "1.1"),
            ("name", "Erika Mustermann"),
            ("email", "erika.mustermann@example.org"),
        ],
        Some("ui-demo-no-contract"),
    )
    .await;
    assert_eq!(status, 403, "{html}");
    let (_, startup) = panel
        .post("/api/v1/startup", None, serde_json::json!({}))
        .await;
    assert_eq!(startup["entitlements"]["supplies"], false, "{startup}");
    // The sample incidents and every number Demo Mode gives.
    let (_, html) = get_page(&panel, "/ui/v1/services").await;
    let numbers: Vec<&str> = html
        .split("<td class=\"number nowrap\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .collect();
    assert!(!numbers.is_empty(), "{html}");
    assert!(
        numbers.iter().all(|n| n.starts_with("DEMO-")),
        "{numbers:?}"
    );
    let (status, html) = post_form(
        &panel,
        SERVICE,
        &[
            ("step", "3"),
            ("op", "send"),
            ("issue_code", "paper_jam"),
            ("name", "Erika Mustermann"),
            ("email", "erika.mustermann@example.org"),
        ],
        Some("ui-demo-number"),
    )
    .await;
    assert_eq!(status, 201, "{html}");
    let number = html
        .split("id=\"incident-number\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("a number: {html}"));
    assert!(number.starts_with("DEMO-"), "{number}");
    panel.demo = false;
    assert!(manager_incidents(&panel, "service").await.is_empty());
}

#[tokio::test]
async fn without_a_supplies_contract_the_supplies_tab_explains_why() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_NO_SUPPLIES);
    let (status, html) = post_report(&panel, "/ui/v1/supplies", &colour_report()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"supplies-unavailable\""), "{html}");
    assert!(html.contains("not under a supplies contract"), "{html}");
    assert!(!html.contains("type=\"checkbox\""), "{html}");
    assert!(!html.contains("id=\"request-supplies\""), "{html}");
    // The levels are still shown.
    assert!(html.contains("id=\"supplies\""), "{html}");
    // And the wizard refuses too, in words.
    let offered = hidden_value(&html, "offered");
    let (status, html) = post_form(
        &panel,
        SUPPLY,
        &[
            ("step", "1"),
            ("op", "next"),
            ("offered", &offered),
            ("pick", "1.1"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(html.contains("not under a supplies contract"), "{html}");
}

#[tokio::test]
async fn meters_tab_shows_the_meters_and_sends_them() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let report = colour_report();
    let meters = report["meters"].as_array().expect("meters").clone();
    assert!(!meters.is_empty(), "{report}");
    let (status, html) = post_report(&panel, "/ui/v1/meters", &report).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(html.matches("<tr class=\"meter\">").count(), meters.len());
    for m in &meters {
        assert!(html.contains(m["name"].as_str().expect("name")), "{html}");
    }
    let values = hidden_value(&html, "meters");
    let (status, html) = post_form(
        &panel,
        "/ui/v1/meter-reads",
        &[("step", "3"), ("op", "send"), ("meters", &values)],
        Some("ui-meters-1"),
    )
    .await;
    assert!(status == 201 || status == 202, "{status} {html}");
    assert!(html.contains("Meter reads sent"), "{html}");
    // The panel confirms with a number a person can quote, not a UUID.
    if status == 201 {
        let year = chrono::Utc::now().format("%Y").to_string();
        assert!(
            html.contains(&format!("id=\"incident-number\">MR-{year}-000001<")),
            "{html}"
        );
    }
    let client = manager::client::ManagerClient::new(
        &sys.manager.base,
        secrecy::SecretString::from(sys.manager.api_key.clone()),
    )
    .expect("client");
    eventually("the meter read is in the manager", || {
        let client = client.clone();
        let expected = meters.len();
        async move {
            client
                .list_meter_reads(SERIAL_A, chrono::Utc::now() - chrono::Duration::days(1))
                .await
                .is_ok_and(|reads| reads.first().is_some_and(|r| r.meters.len() == expected))
        }
    })
    .await;
}

#[tokio::test]
async fn demo_mode_pages_say_demo_and_send_nothing() {
    let sys = start_system().await;
    let mut panel = sys.panel(SERIAL_A);
    panel.demo = true;
    let (_, html) = get_page(&panel, "/ui/v1/services").await;
    assert!(html.contains("id=\"demo-banner\""), "{html}");
    assert!(html.contains("DEMO: paper jams in tray 2"), "{html}");
    let (_, html) = post_report(&panel, "/ui/v1/supplies", &colour_report()).await;
    assert!(html.contains("id=\"demo-banner\""), "{html}");
    assert!(html.contains("id=\"request-supplies\""), "{html}");
    let (status, html) = post_form(
        &panel,
        SERVICE,
        &[
            ("step", "3"),
            ("op", "send"),
            ("issue_code", "paper_jam"),
            ("name", "Erika Mustermann"),
            ("email", "erika.mustermann@example.org"),
        ],
        Some("ui-demo-1"),
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert!(html.contains("id=\"demo-banner\""), "{html}");
    assert!(html.contains("DEMO-SR-000004"), "{html}");
    panel.demo = false;
    assert!(manager_incidents(&panel, "service").await.is_empty());
    let (_, html) = get_page(&panel, "/ui/v1/services").await;
    assert!(!html.contains("demo-banner"), "{html}");
}

#[tokio::test]
async fn the_weblet_may_call_across_origins_with_its_headers() {
    let sys = start_system().await;
    let http = reqwest::Client::new();
    let res = http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/ui/v1/services", sys.assistant.base),
        )
        .header("origin", "http://127.0.0.1:9999")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "authorization,x-app-config",
        )
        .send()
        .await
        .expect("preflight");
    assert!(res.status().is_success(), "{}", res.status());
    let allowed = res
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    for h in [
        "authorization",
        "x-app-config",
        "x-demo-mode",
        "idempotency-key",
    ] {
        assert!(allowed.contains(h), "{allowed}");
    }
    // A real answer carries the allow-origin header too, errors included.
    let res = http
        .get(format!("{}/api/v1/incidents", sys.assistant.base))
        .header("origin", "http://127.0.0.1:9999")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
}

#[tokio::test]
async fn a_page_without_the_device_credential_is_refused() {
    let sys = start_system().await;
    let res = reqwest::Client::new()
        .get(format!("{}/ui/v1/services", sys.assistant.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn back_from_the_supplies_contact_step_keeps_the_picked_supplies() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let report = colour_report();
    let (_, html) = post_report(&panel, "/ui/v1/supplies", &report).await;
    let offered = hidden_value(&html, "offered");
    let first = report["supplies"][0]["index"]
        .as_str()
        .expect("index")
        .to_string();
    let (status, html) = post_form(
        &panel,
        SUPPLY,
        &[
            ("step", "2"),
            ("op", "back"),
            ("offered", &offered),
            ("pick", &first),
            ("name", "Erika"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("step 1 of 3"), "{html}");
    assert!(
        html.contains(&format!(
            "name=\"pick\" value=\"{first}\" id=\"pick-1\" checked"
        )),
        "{html}"
    );
    assert_eq!(html.matches(" checked").count(), 1, "{html}");
    assert_eq!(hidden_value(&html, "name"), "Erika");
    // A damaged list is refused in words, not with a crash.
    let (status, html) = post_form(
        &panel,
        SUPPLY,
        &[("step", "1"), ("op", "next"), ("offered", "{not json")],
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("open the Supplies tab again"), "{html}");
}

/// "The description at most 2000 characters." had no verb: a refused entry reads as a sentence.
#[tokio::test]
async fn a_too_long_description_is_refused_in_a_whole_sentence() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let long = "x".repeat(2001);
    let (status, html) = post_form(
        &panel,
        SERVICE,
        &[
            ("step", "1"),
            ("op", "next"),
            ("issue_code", "other"),
            ("description", &long),
        ],
        None,
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("The description must be at most 2000 characters."),
        "{html}"
    );
}

/// Every panel page in each of the five languages, as the app configuration sets it: the page
/// says which language it is in, shows that language's texts (a heading and a button), and no
/// message is missing from the catalogue.
#[tokio::test]
async fn every_panel_page_speaks_the_configured_language() {
    let sys = start_system().await;
    let expect = [
        (
            "en",
            "Service incidents of the last 30 days",
            "Report a problem",
            "Billing meters",
            "Next",
        ),
        (
            "de",
            "Servicevorgänge der letzten 30 Tage",
            "Problem melden",
            "Abrechnungszähler",
            "Weiter",
        ),
        (
            "fr",
            "Incidents de service des 30 derniers jours",
            "Signaler un problème",
            "Compteurs de facturation",
            "Suivant",
        ),
        (
            "it",
            "Interventi di assistenza degli ultimi 30 giorni",
            "Segnala un problema",
            "Contatori di fatturazione",
            "Avanti",
        ),
        (
            "es",
            "Incidencias de servicio de los últimos 30 días",
            "Notificar un problema",
            "Contadores de facturación",
            "Siguiente",
        ),
    ];
    for (lang, services_title, report, meters_title, next) in expect {
        let config = gallery::config::AppConfiguration {
            language: Some(gallery::config::Language::parse(lang).expect("language")),
            ..Default::default()
        };
        let panel = sys.panel_with(SERIAL_A, &config);
        let mut pages = Vec::new();
        let (status, services) = get_page(&panel, "/ui/v1/services").await;
        assert_eq!(status, 200, "{services}");
        assert!(services.contains(services_title), "{lang}: {services}");
        assert!(services.contains(report), "{lang}: {services}");
        pages.push(("services", services));
        let (_, step1) = get_page(&panel, SERVICE).await;
        assert!(step1.contains(next), "{lang}: {step1}");
        pages.push(("service step 1", step1));
        let (status, refused) =
            post_form(&panel, SERVICE, &[("step", "1"), ("op", "next")], None).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("id=\"error-issue_code\""), "{refused}");
        pages.push(("service step 1 refused", refused));
        let (_, contact) = post_form(
            &panel,
            SERVICE,
            &[("step", "1"), ("op", "next"), ("issue_code", "paper_jam")],
            None,
        )
        .await;
        pages.push(("contact", contact));
        let (_, review) = post_form(
            &panel,
            SERVICE,
            &[
                ("step", "2"),
                ("op", "next"),
                ("issue_code", "paper_jam"),
                ("name", "Erika Mustermann"),
                ("email", "erika@example.org"),
            ],
            None,
        )
        .await;
        pages.push(("review", review));
        let (_, cancelled) = post_form(&panel, SERVICE, &[("op", "cancel")], None).await;
        pages.push(("cancelled", cancelled));
        let (_, supplies) = post_report(&panel, "/ui/v1/supplies", &colour_report()).await;
        pages.push(("supplies", supplies));
        let (_, meters) = post_report(&panel, "/ui/v1/meters", &colour_report()).await;
        assert!(meters.contains(meters_title), "{lang}: {meters}");
        pages.push(("meters", meters));
        for (name, html) in &pages {
            assert!(!html.contains("[missing"), "{lang} {name}: {html}");
            assert!(
                html.contains(&format!("lang=\"{lang}\"")),
                "{lang} {name}: {html}"
            );
        }
        if lang != "en" {
            for (name, html) in &pages {
                for english in [
                    "Back to Services",
                    "Cancel</button>",
                    "step 2 of 3",
                    "<th>Part number</th>",
                ] {
                    assert!(
                        !html.contains(english),
                        "{lang} {name}: {english:?} in {html}"
                    );
                }
            }
        }
    }
}

/// "The language comes from the app configuration (default: the device's, else English)": a
/// configuration without a language speaks the device's own (what its panel browser asks for in
/// `Accept-Language`), on the panel pages, in the startup answer the weblet takes its own texts
/// from, and in the reasons the rules give; a configured language wins over the device's; a
/// device language we have no catalogue for gives English.
#[tokio::test]
async fn without_a_configured_language_the_panel_speaks_the_devices() {
    let sys = start_system().await;
    let unset = gallery::config::AppConfiguration::default();
    let italian = gallery::config::AppConfiguration {
        language: Some(gallery::config::Language::parse("it").expect("language")),
        ..Default::default()
    };
    let no_faults = gallery::config::AppConfiguration {
        permissions: gallery::config::Permissions {
            create_service_incidents: false,
            ..Default::default()
        },
        ..Default::default()
    };
    for (config, accept, lang, heading) in [
        (
            &unset,
            Some("de-DE,de;q=0.9,en;q=0.5"),
            "de",
            "Servicevorgänge der letzten 30 Tage",
        ),
        (
            &unset,
            Some("fr-CH, fr;q=0.9"),
            "fr",
            "Incidents de service des 30 derniers jours",
        ),
        (
            &unset,
            Some("ja-JP, pt;q=0.5"),
            "en",
            "Service incidents of the last 30 days",
        ),
        (&unset, None, "en", "Service incidents of the last 30 days"),
        (
            &italian,
            Some("de-DE"),
            "it",
            "Interventi di assistenza degli ultimi 30 giorni",
        ),
    ] {
        let panel = sys.panel_with(SERIAL_A, config);
        let with_accept = |r: reqwest::RequestBuilder| match accept {
            Some(a) => r.header("accept-language", a),
            None => r,
        };
        let res = with_accept(panel.request(reqwest::Method::GET, "/ui/v1/services"))
            .send()
            .await
            .expect("services page");
        assert_eq!(res.status(), 200);
        let html = res.text().await.expect("body");
        assert!(html.contains(heading), "{accept:?}: {html}");
        assert!(
            html.contains(&format!("lang=\"{lang}\"")),
            "{accept:?}: {html}"
        );
        let startup: serde_json::Value =
            with_accept(panel.request(reqwest::Method::POST, "/api/v1/startup"))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("startup")
                .json()
                .await
                .expect("startup json");
        assert_eq!(
            startup["settings"]["language"], lang,
            "{accept:?}: {startup}"
        );
    }
    // A rule's reason in the device's language too.
    let panel = sys.panel_with(SERIAL_A, &no_faults);
    let html = panel
        .request(reqwest::Method::GET, "/ui/v1/services")
        .header("accept-language", "es-ES")
        .send()
        .await
        .expect("services page")
        .text()
        .await
        .expect("body");
    assert!(
        html.contains(&platform::i18n::t(
            platform::i18n::Locale::Es,
            "rule-service-switched-off"
        )),
        "{html}"
    );
}

/// Issue 13 item 3: the Services tab (and the Supplies tab, which shares the list) marks an incident
/// the partner's fleet policies raised — here from a printer alert an agent reported to the real
/// manager — in the configured language, and leaves the walk-up one unmarked.
#[tokio::test]
async fn the_services_tab_marks_incidents_raised_by_the_printer_in_every_language() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (status, body) = panel
        .post(
            "/api/v1/service-incidents",
            Some("ui-source-walk-up"),
            serde_json::json!({"issue_code": "paper_jam", "description": "Tray 2", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let walk_up = body["incident_number"]
        .as_str()
        .expect("number")
        .to_string();

    // An agent of the device's customer reports a fuser failure (critical, field service): the
    // manager's default policy raises an automatic service incident.
    let http = reqwest::Client::new();
    let m = &sys.manager;
    // A GET of the manager's API with the partner's key, as JSON.
    let get = |path: String| {
        let request = http
            .get(format!("{}{path}", m.base))
            .bearer_auth(&m.api_key);
        async move {
            request
                .send()
                .await
                .expect(&path)
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let device = get(format!("/api/v1/devices/{SERIAL_A}")).await;
    let created: serde_json::Value = http
        .post(format!("{}/api/v1/agents", m.base))
        .bearer_auth(&m.api_key)
        .json(&serde_json::json!({"customer_id": device["customer_id"], "name": "site"}))
        .send()
        .await
        .expect("agent")
        .json()
        .await
        .expect("json");
    let enrolled: serde_json::Value = http
        .post(format!("{}/api/v1/agents/enroll", m.base))
        .json(&serde_json::json!({"token": created["enrol_token"], "version": "0.1.0"}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("json");
    let credential = enrolled["credential"].as_str().expect("credential");
    let reading = serde_json::json!({
        "reading_id": uuid::Uuid::new_v4(),
        "read_at": chrono::Utc::now(),
        "address": "127.0.10.1:161",
        "identity": {"serial": SERIAL_A, "model": "AltaLink C8055"},
        "status": {"device": "down", "printer": "other", "errors": []},
        "supplies": [], "meters": [],
        "alerts": [{"index": "1", "severity": "critical", "training_level": "field_service",
            "group": "general_printer", "group_index": 1, "location": 0, "code": 30,
            "code_name": "subunitUnrecoverableFailure", "description": "Fuser failure", "time": null}]
    });
    let res = http
        .post(format!("{}/api/v1/agents/readings", m.base))
        .bearer_auth(credential)
        .json(&serde_json::json!({"batch_id": uuid::Uuid::new_v4(), "agent_version": "0.1.0", "readings": [reading]}))
        .send()
        .await
        .expect("readings");
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    // The manager evaluates the reading after answering: wait (10 s at most) for its incident.
    let mut incidents = 0;
    for _ in 0..200 {
        let list = get(format!("/api/v1/devices/{SERIAL_A}/incidents")).await;
        incidents = list
            .as_array()
            .or_else(|| list["incidents"].as_array())
            .map_or(0, Vec::len);
        if incidents >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(incidents, 2, "the walk-up and the automatic incident");

    for (lang, mark) in [
        ("en", "Reported by the printer"),
        ("de", "Vom Drucker gemeldet"),
        ("fr", "Signalé par l&#39;imprimante"),
        ("it", "Segnalato dalla stampante"),
        ("es", "Notificado por la impresora"),
    ] {
        let config = gallery::config::AppConfiguration {
            language: Some(gallery::config::Language::parse(lang).expect("language")),
            ..Default::default()
        };
        let (status, html) = get_page(&sys.panel_with(SERIAL_A, &config), "/ui/v1/services").await;
        assert_eq!(status, 200, "{html}");
        let rows: Vec<&str> = html.split("<tr class=\"incident").skip(1).collect();
        assert_eq!(
            rows.len(),
            2,
            "{lang}: the walk-up and the automatic incident: {html}"
        );
        let (auto, walk): (Vec<&str>, Vec<&str>) =
            rows.iter().partition(|r| r.starts_with(" automatic\""));
        assert_eq!(auto.len(), 1, "{lang}: one marked: {html}");
        let mark = if html.contains(mark) {
            mark.to_string()
        } else {
            mark.replace("&#39;", "&apos;")
        };
        assert!(
            auto[0].contains(&format!("<span class=\"source\">{mark}</span>")),
            "{lang}: {}",
            auto[0]
        );
        assert!(walk[0].contains(&walk_up), "{lang}: {}", walk[0]);
        assert!(!walk[0].contains("class=\"source\""), "{lang}: {}", walk[0]);
    }
}
