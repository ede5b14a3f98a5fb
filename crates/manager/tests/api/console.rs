//! The partner console over the real server, on both backends.

use crate::helpers::{Backend, PASSWORD, TestApp, both_backends, spawn_app, t0};
use manager::api::types::*;
use manager::client::ManagerClient;
use manager::storage::SupplyItem;
use secrecy::SecretString;

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

fn hidden_csrf(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// A logged-in browser: its session cookie and its CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn try_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    try_login_at(&app.http, &app.base, email, password).await
}

/// A login as a browser makes it: the login page (CSRF cookie and field), then the form.
pub(crate) async fn try_login_at(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = http
        .get(format!("{base}/console/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = cookie_value(&set_cookie(&page, "sa_login_csrf").unwrap());
    let csrf = hidden_csrf(&page.text().await.unwrap());
    http.post(format!("{base}/console/login"))
        .header("cookie", format!("sa_login_csrf={login_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap()
}

async fn login(app: &TestApp, email: &str) -> Browser {
    let res = try_login(app, email, PASSWORD).await;
    assert_eq!(res.status(), 303, "login of {email}");
    let cookie = cookie_value(&set_cookie(&res, "sa_session").unwrap());
    let mut b = Browser {
        cookie,
        csrf: String::new(),
    };
    let html = get(app, &b, "/console/incidents")
        .await
        .text()
        .await
        .unwrap();
    b.csrf = hidden_csrf(&html);
    b
}

async fn get(app: &TestApp, b: &Browser, path: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header("cookie", format!("sa_session={}", b.cookie))
        .send()
        .await
        .unwrap()
}

async fn post(app: &TestApp, b: &Browser, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("cookie", format!("sa_session={}", b.cookie))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .unwrap()
}

fn client(app: &TestApp, key: &str) -> ManagerClient {
    ManagerClient::new(&app.base, SecretString::from(key.to_string())).unwrap()
}

fn request(description: &str, name: &str) -> CreateIncidentRequest {
    CreateIncidentRequest {
        device_serial: "SN-100".into(),
        kind: "service".into(),
        issue_code: Some("toner_low".into()),
        description: description.into(),
        supplies: vec![],
        contact: ContactBody {
            name: name.into(),
            email: "walkup@example.com".into(),
            phone: None,
        },
    }
}

both_backends!(
    login_sets_a_strict_http_only_session_cookie_and_logout_ends_it,
    console_login_is_rate_limited,
    forms_without_the_csrf_token_are_refused,
    incidents_page_filters_and_pages,
    incident_page_shows_history_and_changes_status,
    device_page_shows_supplies_and_an_svg_meter_chart_and_admins_export_csv,
    xss_payloads_are_escaped_in_pages_and_csv,
    a_partner_never_sees_another_partners_data_in_the_console,
    only_partner_admins_manage_users_of_their_own_partner,
    devices_list_shows_every_device_of_the_partner_and_filters,
    incidents_csv_applies_the_filters_and_guards_formulas,
    console_shows_the_panels_issue_labels_not_codes,
    every_console_page_speaks_the_browsers_language,
);

async fn login_sets_a_strict_http_only_session_cookie_and_logout_ends_it(be: Backend) {
    let app = spawn_app(be).await;
    let res = app
        .http
        .get(app.url("/console/incidents"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/console/login");
    let res = try_login(&app, &app.a.admin_email, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let c = set_cookie(&res, "sa_session").unwrap();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/console"),
        "{c}"
    );
    assert!(!c.contains("Secure"), "no Secure without TLS");
    let wrong = try_login(&app, &app.a.admin_email, "wrong password").await;
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(&wrong, "sa_session").is_none());
    let b = login(&app, &app.a.tech_email).await;
    assert_eq!(get(&app, &b, "/console/incidents").await.status(), 200);
    let out = post(&app, &b, "/console/logout", &[("csrf", &b.csrf)]).await;
    assert_eq!(out.status(), 303);
    let after = get(&app, &b, "/console/incidents").await;
    assert_eq!(
        after.status(),
        303,
        "the old session cookie no longer works"
    );
}

async fn console_login_is_rate_limited(be: Backend) {
    let app = spawn_app(be).await;
    for _ in 0..5 {
        assert_eq!(
            try_login(&app, &app.a.admin_email, "guess").await.status(),
            401
        );
    }
    let blocked = try_login(&app, &app.a.admin_email, PASSWORD).await;
    assert_eq!(
        blocked.status(),
        429,
        "even the right password waits once the limit is reached"
    );
    assert!(set_cookie(&blocked, "sa_session").is_none());
    // Once the window has passed, the right password works again.
    app.store.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        try_login(&app, &app.a.admin_email, PASSWORD).await.status(),
        303
    );
}

async fn forms_without_the_csrf_token_are_refused(be: Backend) {
    let app = spawn_app(be).await;
    let inc = client(&app, &app.a.api_key)
        .create_incident("c1", &request("x", "Ana"))
        .await
        .unwrap();
    let b = login(&app, &app.a.tech_email).await;
    let path = format!("/console/incidents/{}/status", inc.number);
    let res = post(&app, &b, &path, &[("status", "acknowledged")]).await;
    assert_eq!(res.status(), 403);
    let res = post(
        &app,
        &b,
        &path,
        &[("status", "acknowledged"), ("csrf", "forged")],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(post(&app, &b, "/console/logout", &[]).await.status(), 403);
    // Login without the login CSRF cookie is refused too.
    let res = app
        .http
        .post(app.url("/console/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", &app.a.admin_email),
            ("password", PASSWORD),
            ("csrf", "x"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let still_open = client(&app, &app.a.api_key)
        .get_incident(&inc.number)
        .await
        .unwrap();
    assert_eq!(still_open.status, manager::domain::IncidentStatus::Open);
}

async fn incidents_page_filters_and_pages(be: Backend) {
    let app = spawn_app(be).await;
    let c = client(&app, &app.a.api_key);
    let mut numbers = vec![];
    for i in 0..30 {
        app.store.clock.set(t0() + chrono::Duration::hours(i));
        numbers.push(
            c.create_incident(&format!("p{i}"), &request(&format!("incident {i}"), "Ana"))
                .await
                .unwrap()
                .number,
        );
    }
    let mut supply = request("", "Ana");
    supply.kind = "supply".into();
    supply.supplies = vec![SupplyItem {
        description: "Cyan Toner".into(),
        part_number: None,
        colorant: None,
        level_percent: Some(2),
    }];
    let s = c.create_incident("s", &supply).await.unwrap();
    let b = login(&app, &app.a.tech_email).await;
    let page1 = get(&app, &b, "/console/incidents")
        .await
        .text()
        .await
        .unwrap();
    assert!(page1.contains("31 incidents; page 1 of 2"), "{page1}");
    assert!(page1.contains(&s.number) && page1.contains(&numbers[29]));
    assert!(
        !page1.contains(&format!(">{}<", numbers[0])),
        "oldest is on page 2"
    );
    assert!(page1.contains("page=2"));
    let page2 = get(&app, &b, "/console/incidents?page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(page2.contains(&format!(">{}<", numbers[0])));
    let supplies = get(&app, &b, "/console/incidents?kind=supply")
        .await
        .text()
        .await
        .unwrap();
    assert!(supplies.contains("1 incident") && supplies.contains("Cyan Toner"));
    let day = get(
        &app,
        &b,
        "/console/incidents?from=2026-03-02&to=2026-03-02&status=open&device=SN-100",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        day.contains("17 incidents"),
        "hours 14..29 and the supply one fall on 2 March"
    );
    let customer = app.a.device.customer_id;
    let by_customer = get(&app, &b, &format!("/console/incidents?customer={customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_customer.contains("31 incidents"));
    let bad = get(&app, &b, "/console/incidents?from=yesterday")
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("From: enter a date"));
}

async fn incident_page_shows_history_and_changes_status(be: Backend) {
    let app = spawn_app(be).await;
    let inc = client(&app, &app.a.api_key)
        .create_incident("h", &request("fuser noise", "Ana Lopez"))
        .await
        .unwrap();
    let b = login(&app, &app.a.tech_email).await;
    let path = format!("/console/incidents/{}", inc.number);
    let html = get(&app, &b, &path).await.text().await.unwrap();
    assert!(
        html.contains("fuser noise")
            && html.contains("Ana Lopez")
            && html.contains("walkup@example.com")
    );
    assert!(html.contains("<option value=\"acknowledged\">"));
    let res = post(
        &app,
        &b,
        &format!("{path}/status"),
        &[
            ("csrf", &b.csrf),
            ("status", "acknowledged"),
            ("comment", "calling back"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let html = get(&app, &b, &path).await.text().await.unwrap();
    assert!(
        html.contains("Open → Acknowledged")
            && html.contains("calling back")
            && html.contains(&app.a.tech_email)
    );
    let res = post(
        &app,
        &b,
        &format!("{path}/status"),
        &[("csrf", &b.csrf), ("status", "closed")],
    )
    .await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("cannot change from Acknowledged to Closed")
    );
}

async fn device_page_shows_supplies_and_an_svg_meter_chart_and_admins_export_csv(be: Backend) {
    let app = spawn_app(be).await;
    let c = client(&app, &app.a.api_key);
    let mut supply = request("", "Ana");
    supply.kind = "supply".into();
    supply.supplies = vec![SupplyItem {
        description: "Magenta Toner".into(),
        part_number: Some("TN-M".into()),
        colorant: Some("magenta".into()),
        level_percent: Some(4),
    }];
    c.create_incident("s", &supply).await.unwrap();
    for (i, v) in [100, 250, 400].into_iter().enumerate() {
        let req = RecordMeterReadRequest {
            read_at: t0() - chrono::Duration::days(10 - i as i64),
            source: "automatic".into(),
            meter_replacement: false,
            meters: vec![MeterValueBody {
                id: "101".into(),
                name: "Total".into(),
                value: v,
            }],
        };
        c.record_meter_read("SN-100", &format!("m{i}"), &req)
            .await
            .unwrap();
    }
    let tech = login(&app, &app.a.tech_email).await;
    let html = get(&app, &tech, "/console/devices/SN-100")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Magenta Toner") && html.contains("TN-M") && html.contains("4%"));
    assert!(html.contains("<svg") && html.contains("<polyline") && html.contains("3 reads"));
    assert!(
        !html.contains("meter-reads.csv"),
        "technicians get no export link"
    );
    assert_eq!(
        get(&app, &tech, "/console/devices/SN-100/meter-reads.csv")
            .await
            .status(),
        403
    );
    let admin = login(&app, &app.a.admin_email).await;
    let res = get(&app, &admin, "/console/devices/SN-100/meter-reads.csv").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[1].contains("\"SN-100\"") && lines[1].ends_with(",100") && lines[3].ends_with(",400"),
        "{csv}"
    );
    assert_eq!(
        get(&app, &admin, "/console/devices/NOPE").await.status(),
        404
    );
}

const XSS: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

async fn xss_payloads_are_escaped_in_pages_and_csv(be: Backend) {
    let app = spawn_app(be).await;
    let key = &app.a.api_key;
    // Every text field: customer name, device model and location, incident fields, supplies, meters.
    let cust: CustomerView = app
        .http
        .post(app.url("/api/v1/customers"))
        .bearer_auth(key)
        .json(&CreateCustomerRequest {
            name: format!("C{XSS}"),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dev = CreateDeviceRequest {
        customer_id: cust.id,
        serial: "XSS-1".into(),
        model: format!("M{XSS}"),
        location: format!("L{XSS}"),
    };
    assert_eq!(
        app.http
            .post(app.url("/api/v1/devices"))
            .bearer_auth(key)
            .json(&dev)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let c = client(&app, key);
    let mut r = request(&format!("D{XSS}"), &format!("N{XSS}"));
    r.device_serial = "XSS-1".into();
    let inc = c.create_incident("x1", &r).await.unwrap();
    let mut s = r.clone();
    s.kind = "supply".into();
    s.supplies = vec![SupplyItem {
        description: format!("S{XSS}"),
        part_number: Some(format!("P{XSS}")),
        colorant: Some(format!("K{XSS}")),
        level_percent: None,
    }];
    let sup = c.create_incident("x2", &s).await.unwrap();
    let read = RecordMeterReadRequest {
        read_at: t0(),
        source: "walk_up".into(),
        meter_replacement: false,
        meters: vec![
            MeterValueBody {
                id: "=HYPERLINK(\"http://x\")".into(),
                name: format!("=cmd|' /C calc'!A0{XSS}"),
                value: 5,
            },
            MeterValueBody {
                id: "@SUM(A1)".into(),
                name: "+1-2".into(),
                value: 6,
            },
        ],
    };
    c.record_meter_read("XSS-1", "x3", &read).await.unwrap();
    let admin = login(&app, &app.a.admin_email).await;
    // A status comment with the payload, through the console form.
    let res = post(
        &app,
        &admin,
        &format!("/console/incidents/{}/status", inc.number),
        &[
            ("csrf", &admin.csrf),
            ("status", "acknowledged"),
            ("comment", &format!("X{XSS}")),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    for path in [
        "/console/incidents".to_string(),
        format!("/console/incidents?device={}", enc(XSS)),
        format!("/console/incidents/{}", inc.number),
        format!("/console/incidents/{}", sup.number),
        "/console/devices/XSS-1".to_string(),
    ] {
        let html = get(&app, &admin, &path).await.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{path}: raw script tag");
        assert!(!html.contains("<img src=x"), "{path}: raw img tag");
        let escaped = html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        assert!(
            escaped || path.contains("device="),
            "{path}: escaped payload shown"
        );
    }
    let csv = get(&app, &admin, "/console/devices/XSS-1/meter-reads.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    assert!(csv.contains("\"'=cmd|' /C calc'!A0<script>"), "{csv}");
    assert!(
        csv.contains("\"'@SUM(A1)\"") && csv.contains("\"'+1-2\""),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("\"C{}\"", XSS.replace('"', "\"\""))),
        "customer cell quoted: {csv}"
    );
    for line in csv.lines().skip(1) {
        for cell in line.split(",\"").skip(1) {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "unguarded cell in {line}"
            );
        }
    }
}

async fn a_partner_never_sees_another_partners_data_in_the_console(be: Backend) {
    let app = spawn_app(be).await;
    // Both partners have a device SN-100; A has an incident, meter reads and supplies.
    let ca = client(&app, &app.a.api_key);
    let mut supply = request("", "Ana");
    supply.kind = "supply".into();
    supply.supplies = vec![SupplyItem {
        description: "A-only toner".into(),
        part_number: None,
        colorant: None,
        level_percent: None,
    }];
    let inc = ca
        .create_incident("a", &request("A-only secret", "Alice A"))
        .await
        .unwrap();
    ca.create_incident("a2", &supply).await.unwrap();
    let read = RecordMeterReadRequest {
        read_at: t0(),
        source: "walk_up".into(),
        meter_replacement: false,
        meters: vec![MeterValueBody {
            id: "101".into(),
            name: "A-only meter".into(),
            value: 123456,
        }],
    };
    ca.record_meter_read("SN-100", "a3", &read).await.unwrap();
    for email in [&app.b.admin_email, &app.b.tech_email] {
        let b = login(&app, email).await;
        let list = get(&app, &b, "/console/incidents")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            list.contains("0 incidents") && !list.contains(&inc.number) && !list.contains("A-only")
        );
        let filtered = get(
            &app,
            &b,
            &format!("/console/incidents?customer={}", app.a.device.customer_id),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(filtered.contains("0 incidents"));
        assert!(
            !list.contains("Acme customer"),
            "A's customers are not offered as a filter"
        );
        assert_eq!(
            get(&app, &b, &format!("/console/incidents/{}", inc.number))
                .await
                .status(),
            404
        );
        let res = post(
            &app,
            &b,
            &format!("/console/incidents/{}/status", inc.number),
            &[("csrf", &b.csrf), ("status", "acknowledged")],
        )
        .await;
        assert_eq!(res.status(), 404);
        let device = get(&app, &b, "/console/devices/SN-100")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !device.contains("A-only")
                && !device.contains("123456")
                && device.contains("No meter reads")
        );
        let csv = get(&app, &b, "/console/devices/SN-100/meter-reads.csv").await;
        if email == &app.b.admin_email {
            let text = csv.text().await.unwrap();
            assert!(!text.contains("123456") && !text.contains("A-only"));
        } else {
            assert_eq!(csv.status(), 403);
        }
    }
    let still = ca.get_incident(&inc.number).await.unwrap();
    assert_eq!(still.status, manager::domain::IncidentStatus::Open);
}

async fn only_partner_admins_manage_users_of_their_own_partner(be: Backend) {
    let app = spawn_app(be).await;
    let tech = login(&app, &app.a.tech_email).await;
    assert_eq!(get(&app, &tech, "/console/users").await.status(), 403);
    let res = post(
        &app,
        &tech,
        "/console/users",
        &[
            ("csrf", &tech.csrf),
            ("email", "x@acme.example"),
            ("password", "long enough password"),
            ("role", "partner_admin"),
        ],
    )
    .await;
    assert_eq!(res.status(), 403, "a technician cannot make users");
    let admin = login(&app, &app.a.admin_email).await;
    let page = get(&app, &admin, "/console/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&app.a.tech_email) && !page.contains(&app.b.admin_email),
        "only A's users are listed"
    );
    let short = post(
        &app,
        &admin,
        "/console/users",
        &[
            ("csrf", &admin.csrf),
            ("email", "new@acme.example"),
            ("password", "short"),
            ("role", "technician"),
        ],
    )
    .await;
    assert_eq!(short.status(), 422);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("at least 12 characters")
    );
    let res = post(
        &app,
        &admin,
        "/console/users",
        &[
            ("csrf", &admin.csrf),
            ("email", "new@acme.example"),
            ("password", PASSWORD),
            ("role", "technician"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Added new@acme.example (technician)")
    );
    let newbie = login(&app, "new@acme.example").await;
    assert_eq!(get(&app, &newbie, "/console/users").await.status(), 403);
    let b_admin = login(&app, &app.b.admin_email).await;
    let b_page = get(&app, &b_admin, "/console/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(!b_page.contains("new@acme.example") && !b_page.contains(&app.a.admin_email));
}

/// A second customer of A with a device that has a 300-character location (for the overflow
/// checks) and a device of B that A must never see.
async fn more_devices(app: &TestApp) -> uuid::Uuid {
    use manager::domain::{DeviceSerial, Label};
    use manager::storage::NewDevice;
    let store = &app.store.store;
    let other = store
        .create_customer(app.a.partner_id, &Label::parse("Zeta Labs", 100).unwrap())
        .await
        .unwrap();
    store
        .create_device(
            app.a.partner_id,
            &NewDevice {
                customer_id: other.id,
                serial: DeviceSerial::parse("ZX-900").unwrap(),
                model: Label::parse("Colour 9000", 100).unwrap(),
                location: Label::parse("Basement lab", 100).unwrap(),
            },
        )
        .await
        .unwrap();
    store
        .create_device(
            app.b.partner_id,
            &NewDevice {
                customer_id: app.b.device.customer_id,
                serial: DeviceSerial::parse("BOLT-777").unwrap(),
                model: Label::parse("Bolt-only model", 100).unwrap(),
                location: Label::parse("Bolt-only room", 100).unwrap(),
            },
        )
        .await
        .unwrap();
    other.id
}

async fn devices_list_shows_every_device_of_the_partner_and_filters(be: Backend) {
    let app = spawn_app(be).await;
    let zeta = more_devices(&app).await;
    let c = client(&app, &app.a.api_key);
    let open = c
        .create_incident("o1", &request("one", "Ana"))
        .await
        .unwrap();
    c.create_incident("o2", &request("two", "Ana"))
        .await
        .unwrap();
    let cancelled = c
        .create_incident("o3", &request("three", "Ana"))
        .await
        .unwrap();
    app.store
        .store
        .change_status(
            app.a.partner_id,
            &manager::domain::IncidentNumber::parse(&cancelled.number).unwrap(),
            manager::domain::IncidentStatus::Cancelled,
            "test",
            "",
        )
        .await
        .unwrap();
    let read = RecordMeterReadRequest {
        read_at: t0() - chrono::Duration::days(3),
        source: "walk_up".into(),
        meter_replacement: false,
        meters: vec![MeterValueBody {
            id: "101".into(),
            name: "Total".into(),
            value: 4242,
        }],
    };
    c.record_meter_read("SN-100", "m1", &read).await.unwrap();
    let b = login(&app, &app.a.tech_email).await;
    let page = get(&app, &b, "/console/devices").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("href=\"/console/devices\""), "in the nav");
    assert!(html.contains("2 devices"), "{html}");
    for text in [
        "href=\"/console/devices/SN-100\"",
        "MFD 5000",
        "Acme customer",
        "2nd floor",
        "href=\"/console/devices/ZX-900\"",
        "Colour 9000",
        "Zeta Labs",
        "Basement lab",
        "26 Feb 2026, 10:00 UTC",
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    let sn100 = html.split("/console/devices/SN-100\"").nth(1).unwrap();
    let sn100 = &sn100[..sn100.find("</tr>").unwrap()];
    assert!(
        sn100.contains("<td class=\"num\">2</td>"),
        "two open, the cancelled one not counted: {sn100}"
    );
    assert!(!html.contains(&open.number), "counts, not numbers");
    assert!(!html.contains("BOLT-777") && !html.contains("Bolt-only"));
    let by_customer = get(&app, &b, &format!("/console/devices?customer={zeta}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_customer.contains("1 device") && by_customer.contains("ZX-900"));
    assert!(!by_customer.contains("/console/devices/SN-100\""));
    let search = get(&app, &b, "/console/devices?q=basement")
        .await
        .text()
        .await
        .unwrap();
    assert!(search.contains("1 device") && search.contains("ZX-900"));
    let by_serial = get(&app, &b, "/console/devices?q=sn-1")
        .await
        .text()
        .await
        .unwrap();
    assert!(by_serial.contains("1 device") && by_serial.contains("/console/devices/SN-100\""));
    let bad = get(&app, &b, "/console/devices?customer=nope")
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("Customer: unknown customer.") && bad.contains("0 devices"));
    // B sees its own devices only, and A's customer filter finds nothing for B.
    let bolt = login(&app, &app.b.admin_email).await;
    let theirs = get(&app, &bolt, "/console/devices")
        .await
        .text()
        .await
        .unwrap();
    assert!(theirs.contains("2 devices") && theirs.contains("BOLT-777"));
    assert!(!theirs.contains("ZX-900") && !theirs.contains("Zeta") && !theirs.contains("Acme"));
    assert!(!theirs.contains("2026-02-26"), "A's meter read is not B's");
    let foreign = get(&app, &bolt, &format!("/console/devices?customer={zeta}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(foreign.contains("0 devices"));
}

async fn incidents_csv_applies_the_filters_and_guards_formulas(be: Backend) {
    let app = spawn_app(be).await;
    let c = client(&app, &app.a.api_key);
    let mut jam = request("=HYPERLINK(\"http://evil\",\"x\")", "Ana");
    jam.issue_code = Some("paper_jam".into());
    let jam = c.create_incident("c1", &jam).await.unwrap();
    app.store.clock.set(t0() + chrono::Duration::days(2));
    let later = c
        .create_incident("c2", &request("said \"hello\", then left", "Ana"))
        .await
        .unwrap();
    let mut supply = request("", "Ana");
    supply.kind = "supply".into();
    supply.supplies = vec![SupplyItem {
        description: "@Cyan Toner".into(),
        part_number: None,
        colorant: None,
        level_percent: Some(2),
    }];
    let supply = c.create_incident("c3", &supply).await.unwrap();
    let b = login(&app, &app.a.tech_email).await;
    let page = get(&app, &b, "/console/incidents?kind=service&from=2026-03-01")
        .await
        .text()
        .await
        .unwrap();
    let page = page.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        page.contains("href=\"/console/incidents.csv?kind=service&from=2026-03-01\""),
        "the link carries the filters: {page}"
    );
    let all = get(&app, &b, "/console/incidents.csv").await;
    assert_eq!(all.status(), 200);
    assert_eq!(all.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        all.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let text = all.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "header and three incidents: {text}");
    assert!(lines[0].starts_with("number,created_at,kind,status"));
    assert!(text.ends_with("\r\n"));
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""),
        "{text}"
    );
    assert!(text.contains("\"said \"\"hello\"\", then left\""));
    assert!(text.contains("\"'@Cyan Toner\""));
    assert!(text.contains("\"Paper jam\""), "human label: {text}");
    assert!(
        !text.contains("Ana") && !text.contains("walkup@"),
        "no contact details"
    );
    let service = get(&app, &b, "/console/incidents.csv?kind=service")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(service.matches("\r\n").count(), 3);
    assert!(!service.contains(&supply.number));
    let dated = get(
        &app,
        &b,
        "/console/incidents.csv?kind=service&from=2026-03-02",
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(dated.matches("\r\n").count(), 2);
    assert!(dated.contains(&later.number) && !dated.contains(&jam.number));
    let bad = get(&app, &b, "/console/incidents.csv?status=lost").await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Status: choose one from the list.")
    );
    // B's export holds none of A's incidents, even with A's customer as the filter.
    let bolt = login(&app, &app.b.admin_email).await;
    for path in [
        "/console/incidents.csv".to_string(),
        format!(
            "/console/incidents.csv?customer={}",
            app.a.device.customer_id
        ),
    ] {
        let theirs = get(&app, &bolt, &path).await.text().await.unwrap();
        assert_eq!(theirs.matches("\r\n").count(), 1, "header only: {theirs}");
    }
}

async fn console_shows_the_panels_issue_labels_not_codes(be: Backend) {
    let app = spawn_app(be).await;
    let c = client(&app, &app.a.api_key);
    let mut jam = request("Tray 2", "Ana");
    jam.issue_code = Some("paper_jam".into());
    let jam = c.create_incident("l1", &jam).await.unwrap();
    let b = login(&app, &app.a.tech_email).await;
    let list = get(&app, &b, "/console/incidents")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Paper jam: Tray 2") && !list.contains("paper_jam"),
        "{list}"
    );
    let one = get(&app, &b, &format!("/console/incidents/{}", jam.number))
        .await
        .text()
        .await
        .unwrap();
    assert!(one.contains("<td>Paper jam</td>") && !one.contains("paper_jam"));
}

/// A console page as a browser whose `Accept-Language` is `accept` gets it.
async fn get_in(app: &TestApp, b: Option<&Browser>, path: &str, accept: &str) -> reqwest::Response {
    let mut req = app
        .http
        .get(app.url(path))
        .header("accept-language", accept);
    if let Some(b) = b {
        req = req.header("cookie", format!("sa_session={}", b.cookie));
    }
    req.send().await.unwrap()
}

async fn post_in(
    app: &TestApp,
    b: &Browser,
    path: &str,
    pairs: &[(&str, &str)],
    accept: &str,
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("cookie", format!("sa_session={}", b.cookie))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept-language", accept)
        .body(form(pairs))
        .send()
        .await
        .unwrap()
}

/// `text` as the console's templates escape it.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
}

/// Every console page (login, incidents, one incident, devices, one device, users, fleet, e-mail
/// notifications, an error page) in each of the five languages the browser may ask for: the page's heading and
/// labels from that language's `console.ftl`, `lang` and `Content-Language` naming it, no
/// missing message, the dates and percentages written the language's way; q-values decide.
async fn every_console_page_speaks_the_browsers_language(be: Backend) {
    use platform::i18n::{Args, Locale, t, t_args};
    let app = spawn_app(be).await;
    let c = client(&app, &app.a.api_key);
    let mut jam = request("Tray 2", "Ana");
    jam.issue_code = Some("paper_jam".into());
    let jam = c.create_incident("i18n-1", &jam).await.unwrap();
    let mut supply = request("", "Ana");
    supply.kind = "supply".into();
    supply.issue_code = None;
    supply.supplies = vec![SupplyItem {
        description: "Cyan Toner".into(),
        part_number: Some("TN-C".into()),
        colorant: Some("cyan".into()),
        level_percent: Some(45),
    }];
    c.create_incident("i18n-2", &supply).await.unwrap();
    let read = RecordMeterReadRequest {
        read_at: t0() - chrono::Duration::days(3),
        source: "automatic".into(),
        meter_replacement: false,
        meters: vec![MeterValueBody {
            id: "101".into(),
            name: "Total".into(),
            value: 1234,
        }],
    };
    c.record_meter_read("SN-100", "i18n-m", &read)
        .await
        .unwrap();
    let admin = login(&app, &app.a.admin_email).await;
    let incident = format!("/console/incidents/{}", jam.number);
    for l in Locale::ALL {
        let accept = match l {
            Locale::En => "en-GB,en;q=0.9".to_string(),
            other => format!("{}-XX, {};q=0.9, en;q=0.1", other.code(), other.code()),
        };
        // (path, logged in, messages the page must show)
        let pages: [(&str, bool, &[&str]); 8] = [
            (
                "/console/login",
                false,
                &["console-login-title", "console-password"],
            ),
            (
                "/console/incidents",
                true,
                &[
                    "console-incidents-title",
                    "console-download-csv",
                    "issue-paper_jam",
                    "panel-status-open",
                    "console-badge-walk-up",
                ],
            ),
            (
                &incident,
                true,
                &[
                    "console-history",
                    "console-change-status",
                    "issue-paper_jam",
                ],
            ),
            (
                "/console/devices",
                true,
                &["console-devices-title", "console-open-incidents"],
            ),
            (
                "/console/devices/SN-100",
                true,
                &[
                    "console-requested-supplies",
                    "console-meter-history",
                    "console-export-meter-reads",
                ],
            ),
            (
                "/console/users",
                true,
                &["console-users-title", "console-add-user"],
            ),
            (
                "/console/fleet",
                true,
                &[
                    "console-fleet-title",
                    "console-agents",
                    "console-webhooks",
                    "console-email-notifications",
                ],
            ),
            (
                "/console/notifications",
                true,
                &[
                    "console-notif-intro",
                    "console-notif-add-address",
                    "console-notif-last-mails",
                ],
            ),
        ];
        for (path, logged_in, ids) in pages {
            let res = get_in(&app, logged_in.then_some(&admin), path, &accept).await;
            assert_eq!(res.status(), 200, "{l} {path}");
            assert_eq!(
                res.headers()["content-language"].to_str().unwrap(),
                l.code(),
                "{l} {path}"
            );
            let html = res.text().await.unwrap();
            assert!(html.contains(&format!("<html lang=\"{l}\">")), "{l} {path}");
            assert!(!html.contains("[missing"), "{l} {path}: {html}");
            for id in ids {
                let text = t(l, id);
                let escaped = text
                    .replace('&', "&amp;")
                    .replace('\'', "&#39;")
                    .replace('"', "&#34;");
                assert!(
                    html.contains(&text) || html.contains(&escaped),
                    "{l} {path}: {id} = {text:?} missing in {html}"
                );
            }
            if logged_in {
                assert!(
                    html.contains(&t(l, "console-nav-incidents")),
                    "{l} {path}: the navigation"
                );
            }
            if l != Locale::En {
                // A heading English and this language write differently is not English here.
                for id in ids.iter().filter(|id| t(l, id) != t(Locale::En, id)) {
                    assert!(
                        !html.contains(&format!(">{}<", t(Locale::En, id))),
                        "{l} {path}: {id} shown in English"
                    );
                }
            }
        }
        // Dates and numbers the language's way.
        let one = get_in(&app, Some(&admin), &incident, &accept)
            .await
            .text()
            .await
            .unwrap();
        let created = l.date_time_utc(jam.created_at);
        assert!(one.contains(&created), "{l}: {created} in {one}");
        let device = get_in(&app, Some(&admin), "/console/devices/SN-100", &accept)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            device.contains(&l.percent(45)),
            "{l}: {} in {device}",
            l.percent(45)
        );
        // The meter chart's accessible name, and why a form was refused, in the language too
        // (the API's problem details stay English). No --webhook-allow-private: loopback refused.
        let label = format!(
            "aria-label=\"{}\"",
            escape_html(&t(l, "console-meter-history"))
        );
        assert!(device.contains(&label), "{l}: {label} in {device}");
        let refused = post_in(
            &app,
            &admin,
            "/console/fleet/webhooks",
            &[("csrf", &admin.csrf), ("url", "http://127.0.0.1/hook")],
            &accept,
        )
        .await;
        assert_eq!(refused.status(), 422, "{l}");
        let refused = refused.text().await.unwrap();
        let why = t_args(
            l,
            "console-guard-points-to",
            &Args::new().text("why", t(l, "console-guard-loopback")),
        );
        assert!(
            refused.contains(&escape_html(&why)),
            "{l}: {why} in {refused}"
        );
        if l != Locale::En {
            assert!(
                !refused.contains("loopback address"),
                "{l}: English in {refused}"
            );
        }
        let refused = post_in(
            &app,
            &admin,
            "/console/notifications",
            &[("csrf", &admin.csrf), ("address", "not an address")],
            &accept,
        )
        .await;
        assert_eq!(refused.status(), 422, "{l}");
        let refused = refused.text().await.unwrap();
        let why = t(l, "console-notif-bad-address");
        assert!(
            refused.contains(&escape_html(&why)),
            "{l}: {why} in {refused}"
        );
        // The error page too.
        let missing = get_in(
            &app,
            Some(&admin),
            "/console/incidents/SR-2099-999999",
            &accept,
        )
        .await;
        assert_eq!(missing.status(), 404);
        let missing = missing.text().await.unwrap();
        assert!(
            missing.contains(&t(l, "console-title-not-found")),
            "{l}: {missing}"
        );
        assert!(
            missing.contains(&t(l, "console-back-to-incidents")),
            "{l}: {missing}"
        );
    }
    // The German heading for a German browser; q-values decide; no language of ours: English.
    for (accept, heading) in [
        ("de-DE,de;q=0.9,en;q=0.8", "Vorgänge"),
        ("fr;q=0.4, it;q=0.9", "Interventi"),
        ("ja, pt;q=0.8", "Incidents"),
        ("de;q=0, es;q=0.2", "Incidencias"),
    ] {
        let html = get_in(&app, Some(&admin), "/console/incidents", accept)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!("<h1>{heading}</h1>")),
            "{accept}: {html}"
        );
    }
    // The CSV stays English whatever the browser's language.
    let csv = get_in(&app, Some(&admin), "/console/incidents.csv", "de")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("number,created_at,kind,status"), "{csv}");
    assert!(csv.contains("Paper jam"), "{csv}");
}
