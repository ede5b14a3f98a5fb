//! The partner console in headless Chromium (Debian's chromium and chromium-driver, driven with
//! fantoccini) against the real server on loopback: no console page is wider than the window at
//! 800 and 1024 px with long unbroken text, and dates and numbers stay on one line. Screenshots
//! go to `target/screenshots/console-*.png` (or `$SA_SCREENSHOTS_DIR`).
#![allow(clippy::unwrap_used)]

#[path = "../api/helpers.rs"]
#[allow(dead_code, unused_macros, unused_imports)]
mod helpers;

use fantoccini::{Client, ClientBuilder, Locator};
use helpers::{Backend, PASSWORD, TestApp, spawn_app, t0};
use manager::api::types::*;
use manager::client::ManagerClient;
use manager::domain::{DeviceSerial, Label};
use manager::storage::{NewDevice, SupplyItem};
use proto::manager::limits;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver we started and its browser's profile; both ended when dropped.
struct Driver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killing chromedriver leaves its Chromium running: end, by id, every process whose
        // command line names this session's own profile directory (bounded in rounds).
        let needle = self.profile.path().display().to_string();
        let me = std::process::id();
        for _ in 0..20 {
            let pids: Vec<String> = std::fs::read_dir("/proc")
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
                    (pid != me && String::from_utf8_lossy(&cmd).contains(&needle))
                        .then(|| pid.to_string())
                })
                .collect();
            if pids.is_empty() {
                return;
            }
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(&pids)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A browser whose language (`Accept-Language`) is `lang`.
async fn browser_in(lang: Option<&str>) -> (Client, Driver) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian package chromium-driver) is installed");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profile: tempfile::tempdir().unwrap(),
    };
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if http
            .get(format!("{}/status", driver.url))
            .send()
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "chromedriver did not start on {}", driver.url);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--window-size=1024,600",
                format!("--user-data-dir={}", driver.profile.path().display()),
            ]
        }),
    );
    if let Some(lang) = lang
        && let Some(options) = caps
            .get_mut("goog:chromeOptions")
            .and_then(|o| o.as_object_mut())
    {
        if let Some(args) = options.get_mut("args").and_then(|a| a.as_array_mut()) {
            args.push(format!("--lang={lang}").into());
            args.push(format!("--accept-lang={lang}").into());
        }
        options.insert(
            "prefs".into(),
            serde_json::json!({ "intl.accept_languages": lang }),
        );
    }
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session");
    (client, driver)
}

/// The device of the long data: a serial as long as real ones (the demo's AltaLink), which the
/// incident list, the device page and the fleet page keep on one line.
const SERIAL: &str = "XRX9C934E4A7B21";

/// 300 characters without a space (fewer where the field's limit is lower: then the limit).
fn unbroken(max: usize) -> String {
    "W".repeat(300.min(max))
}

/// A device with a long model, location and customer name, and incidents and meter reads whose
/// descriptions and meter name are long and unbroken. Returns an incident number.
async fn long_data(app: &TestApp) -> String {
    let store = &app.store.store;
    let customer = store
        .create_customer(
            app.a.partner_id,
            &Label::parse(&unbroken(limits::CUSTOMER_NAME), limits::CUSTOMER_NAME).unwrap(),
        )
        .await
        .unwrap();
    store
        .create_device(
            app.a.partner_id,
            &NewDevice {
                customer_id: customer.id,
                serial: DeviceSerial::parse(SERIAL).unwrap(),
                model: Label::parse(&unbroken(limits::MODEL), limits::MODEL).unwrap(),
                location: Label::parse(&unbroken(limits::LOCATION), limits::LOCATION).unwrap(),
            },
        )
        .await
        .unwrap();
    let c = ManagerClient::new(
        &app.base,
        secrecy::SecretString::from(app.a.api_key.clone()),
    )
    .unwrap();
    let contact = ContactBody {
        name: "Ana".into(),
        email: "ana@example.com".into(),
        phone: None,
    };
    let service = c
        .create_incident(
            "l1",
            &CreateIncidentRequest {
                device_serial: SERIAL.into(),
                kind: "service".into(),
                issue_code: Some("paper_jam".into()),
                description: unbroken(2000),
                supplies: vec![],
                contact: contact.clone(),
            },
        )
        .await
        .unwrap();
    c.create_incident(
        "l2",
        &CreateIncidentRequest {
            device_serial: SERIAL.into(),
            kind: "supply".into(),
            issue_code: None,
            description: String::new(),
            supplies: vec![SupplyItem {
                description: unbroken(limits::MODEL),
                part_number: None,
                colorant: None,
                level_percent: Some(3),
            }],
            contact,
        },
    )
    .await
    .unwrap();
    for (i, v) in [1_000_000, 1_250_000].into_iter().enumerate() {
        c.record_meter_read(
            SERIAL,
            &format!("m{i}"),
            &RecordMeterReadRequest {
                read_at: t0() - chrono::Duration::days(30 - i as i64 * 20),
                source: "automatic".into(),
                meter_replacement: false,
                meters: vec![
                    MeterValueBody {
                        id: "101".into(),
                        name: unbroken(limits::METER_NAME),
                        value: v,
                    },
                    MeterValueBody {
                        id: "112".into(),
                        name: "Colour".into(),
                        value: 30 + i as i64 * 10,
                    },
                ],
            },
        )
        .await
        .unwrap();
    }
    fleet_data(app, customer.id).await;
    service.number
}

/// An agent's readings of SERIAL (a supply and an alert with long unbroken names), evaluated: the
/// device page then has forecasts, an automatic order and incident, and an alert history.
async fn fleet_data(app: &TestApp, customer: uuid::Uuid) {
    use proto::fleet::*;
    let store = &app.store.store;
    let partner = app.a.partner_id;
    store
        .create_agent(
            partner,
            customer,
            "site",
            &manager::auth::token_hash("sae_long"),
            t0() + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    let agent = store
        .enroll_agent(
            &manager::auth::token_hash("sae_long"),
            &manager::auth::token_hash("saa_long"),
            "0.1.0",
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let serial = DeviceSerial::parse(SERIAL).unwrap();
    let contract = proto::Contract::new(
        (t0() - chrono::Duration::days(30)).date_naive(),
        (t0() + chrono::Duration::days(300)).date_naive(),
    )
    .unwrap();
    store
        .set_supplies_contract(partner, &serial, Some(contract))
        .await
        .unwrap();
    for (hours, percent) in [(26, 40u8), (13, 30), (0, 20)] {
        let reading = Reading {
            reading_id: uuid::Uuid::new_v4(),
            read_at: t0() - chrono::Duration::hours(hours),
            address: "127.0.10.1:161".into(),
            identity: FleetIdentity {
                serial: SERIAL.into(),
                model: Some(unbroken(proto::manager::limits::MODEL)),
                ..Default::default()
            },
            status: FleetStatus {
                device: Some("down".into()),
                printer: Some("other".into()),
                errors: vec!["serviceRequested".into()],
            },
            supplies: vec![FleetSupply {
                index: "1.1".into(),
                description: unbroken(200),
                part_number: None,
                kind: "toner".into(),
                class: SupplyClass::Consumed,
                colorant: None,
                max_capacity: Some(100),
                level: Some(i64::from(percent)),
                percent: Some(percent),
                status: SupplyStatus::Ok,
            }],
            meters: vec![],
            alerts: vec![FleetAlert {
                index: "1".into(),
                severity: "critical".into(),
                training_level: Some("field_service".into()),
                group: Some("general_printer".into()),
                group_index: Some(1),
                location: Some(0),
                code: 30,
                code_name: "subunitUnrecoverableFailure".into(),
                description: unbroken(255),
                time: None,
            }],
        };
        store
            .ingest_reading(&agent, uuid::Uuid::new_v4(), &reading)
            .await
            .unwrap();
    }
    manager::fleet::evaluate::evaluate(
        &**store,
        partner,
        manager::fleet::evaluate::Scope::All,
        t0(),
    )
    .await
    .unwrap();
}

async fn login(c: &Client, app: &TestApp) {
    c.goto(&app.url("/console/login")).await.unwrap();
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys(&app.a.admin_email)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..50 {
        if c.current_url().await.unwrap().path() != "/console/login" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("login did not leave the login page");
}

/// The page's width, the visible width (the window without its scrollbar), the `.nowrap`/`.num`
/// cells whose text takes more than one line, and the innermost elements reaching past the window.
const MEASURE: &str = r#"
const wrapped = [];
for (const el of document.querySelectorAll('td.nowrap, td.num')) {
  const r = document.createRange();
  r.selectNodeContents(el);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  if (tops.size > 1) wrapped.push(el.textContent);
}
const cw = document.documentElement.clientWidth;
const wide = [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > cw + 1 || (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0))
  .slice(-4)
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth + '/' + e.clientWidth + ' ' + e.textContent.slice(0, 30));
return [document.documentElement.scrollWidth, cw, wrapped, wide];
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_console_page_is_wider_than_the_window_and_dates_do_not_wrap() {
    let app = spawn_app(Backend::Sqlite).await;
    let number = long_data(&app).await;
    // `SA_SCREENSHOTS_DIR` (relative to the workspace) to refresh the committed pictures; else
    // under target/, so a test run leaves the checkout as it found it.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shots = match std::env::var_os("SA_SCREENSHOTS_DIR") {
        Some(d) => workspace.join(d),
        None => workspace.join("target").join("screenshots"),
    };
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let pages = [
        ("incidents", "/console/incidents".to_string()),
        ("incident", format!("/console/incidents/{number}")),
        ("devices", "/console/devices".to_string()),
        ("device", format!("/console/devices/{SERIAL}")),
        ("users", "/console/users".to_string()),
        ("fleet", "/console/fleet".to_string()),
    ];
    let mut failures = vec![];
    // English, and the two languages with the longest words in the tables' headings and labels.
    for lang in ["en", "de", "it"] {
        let (c, driver) = browser_in(Some(lang)).await;
        login(&c, &app).await;
        let log_out = platform::i18n::t(
            platform::i18n::Locale::from_tag(lang).unwrap_or_default(),
            "console-log-out",
        );
        let prefix = if lang == "en" {
            String::new()
        } else {
            format!("{lang}-")
        };
        for width in [800, 1024] {
            c.set_window_size(width, 600).await.unwrap();
            for (name, path) in &pages {
                c.goto(&app.url(path)).await.unwrap();
                let html = c.source().await.unwrap();
                assert!(
                    html.contains(&log_out),
                    "{path} is a logged-in page in {lang}"
                );
                if *name == "device" {
                    assert!(
                        html.contains("id=\"forecasts\"")
                            && html.contains("id=\"alerts\"")
                            && html.contains("badge automatic")
                            && html.contains("badge walk-up"),
                        "the device page has its forecasts, alert history and marked incidents"
                    );
                }
                let measured = c.execute(MEASURE, vec![]).await.unwrap();
                let page_w = measured[0].as_u64().unwrap();
                let window_w = measured[1].as_u64().unwrap();
                let wrapped = measured[2].as_array().unwrap();
                if page_w > window_w {
                    failures.push(format!(
                        "{path} at {width} in {lang}: {page_w} px wide in {window_w} px: {}",
                        measured[3]
                    ));
                }
                if !wrapped.is_empty() {
                    failures.push(format!("{path} at {width} in {lang}: wrapped {wrapped:?}"));
                }
                if std::fs::create_dir_all(&shots).is_ok() {
                    let png = c.screenshot().await.unwrap();
                    let _ = std::fs::write(
                        shots.join(format!("console-{prefix}{name}-{width}.png")),
                        png,
                    );
                    if *name == "device" {
                        let chart = c.find(Locator::Css("figure")).await.unwrap();
                        let png = chart.screenshot().await.unwrap();
                        let _ = std::fs::write(
                            shots.join(format!("console-{prefix}chart-{width}.png")),
                            png,
                        );
                    }
                }
            }
        }
        let _ = c.close().await;
        drop(driver);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
