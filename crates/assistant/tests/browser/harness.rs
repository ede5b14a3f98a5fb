//! Chromedriver, a browser session, and a device emulator with the weblet installed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use fantoccini::{Client, ClientBuilder, Locator};
use gallery::config::AppConfiguration;

use crate::helpers::System;

pub const DEVICE_ADMIN_PASSWORD: &str = "device-admin-1";

/// A chromedriver process we started, killed when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killing chromedriver leaves the Chromium it started running: end every process of this
        // session's browser, found by its profile directory (unique to this session).
        kill_processes_using(self._profile.path());
    }
}

/// The ids of processes whose command line names `dir`.
pub fn processes_using(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            (pid != me && String::from_utf8_lossy(&cmdline).contains(&needle)).then_some(pid)
        })
        .collect()
}

/// Kills the processes whose command line names `dir` (this test's Chromium and its helpers),
/// bounded in rounds; each is ended by its id.
fn kill_processes_using(dir: &Path) {
    for _ in 0..20 {
        let pids: Vec<String> = processes_using(dir).iter().map(u32::to_string).collect();
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A browser session in a fresh profile, the size of a device panel.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
}

impl Browser {
    /// The session's profile directory (every Chromium process of the session names it).
    pub fn profile(&self) -> std::path::PathBuf {
        self._driver._profile.path().to_path_buf()
    }
}

pub async fn browser() -> Browser {
    browser_in(None).await
}

/// A browser whose user interface language is `lang` (its `navigator.language` and
/// `Accept-Language`), as a device set to that language.
pub async fn browser_in(lang: Option<&str>) -> Browser {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian package chromium-driver) is installed");
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: profile,
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
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--window-size=1024,600",
                format!("--user-data-dir={}", driver._profile.path().display()),
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
    Browser {
        client,
        _driver: driver,
    }
}

/// An emulated device (from a recording) with the weblet installed for `serial`.
pub struct Device {
    pub url: String,
    /// The SOAP requests the device read (what the weblet sent).
    pub soap_log: std::sync::Arc<device::http::soap::SoapLog>,
    _running: device::serve::RunningDevice,
    _dir: tempfile::TempDir,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read weblet dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The weblet from `weblet/`, packaged by the gallery, with the assistant's address in its page.
pub fn weblet_package(assistant_url: &str) -> gallery::package::Package {
    let build = tempfile::tempdir().expect("build dir");
    copy_dir(&workspace().join("weblet"), build.path());
    let index = build.path().join("index.html");
    let html = std::fs::read_to_string(&index).expect("index.html");
    let marker = "<meta name=\"assistant-url\" content=\"\">";
    assert!(
        html.contains(marker),
        "index.html has the assistant-url meta"
    );
    std::fs::write(
        &index,
        html.replace(
            marker,
            &format!("<meta name=\"assistant-url\" content=\"{assistant_url}\">"),
        ),
    )
    .expect("write index.html");
    gallery::package::Package::build(build.path()).expect("the gallery packages the weblet")
}

pub async fn device(sys: &System, serial: &str, config: &AppConfiguration) -> Device {
    device_for(sys, serial, config, &sys.assistant.base).await
}

/// As [`device`], with the weblet pointed at `assistant_url`.
pub async fn device_for(
    sys: &System,
    serial: &str,
    config: &AppConfiguration,
    assistant_url: &str,
) -> Device {
    device_with(
        sys,
        serial,
        config,
        assistant_url,
        &DeviceOptions::default(),
    )
    .await
}

/// The colour MFD with billing meters (`fixtures/`).
pub const COLOUR_RECORDING: &str = "xerox-altalink-c8055-meters.snmprec";
/// A mono device: black toner only (`fixtures/`).
pub const MONO_RECORDING: &str = "xerox-versalink-b415-mono.snmprec";

/// How the emulated device is set up.
#[derive(Debug, Clone)]
pub struct DeviceOptions {
    /// The panel's size (Device Configuration `display/canvasSize`).
    pub panel: (u32, u32),
    /// The administrator's e-mail address (Session `from` while logged in).
    pub admin_email: Option<String>,
    /// The recording the device answers from (a file in `fixtures/`).
    pub recording: &'static str,
    /// The sealed configuration to install (e.g. bound to the device as the gallery seals);
    /// `None`: the configuration given, sealed unbound.
    pub sealed_config: Option<String>,
}

impl Default for DeviceOptions {
    fn default() -> Self {
        Self {
            panel: (1024, 600),
            admin_email: None,
            recording: COLOUR_RECORDING,
            sealed_config: None,
        }
    }
}

/// As [`device_for`], with the device set up as `options` say.
pub async fn device_with(
    sys: &System,
    serial: &str,
    config: &AppConfiguration,
    assistant_url: &str,
    options: &DeviceOptions,
) -> Device {
    let dir = tempfile::tempdir().expect("device dir");
    let recording = workspace().join("fixtures").join(options.recording);
    let soap_log = std::sync::Arc::new(device::http::soap::SoapLog::default());
    let (panel, admin_email, log) = (options.panel, options.admin_email.clone(), soap_log.clone());
    let running = device::serve::start_with(
        device::serve::DeviceSpec {
            varbinds: printer::snmprec::read_file(&recording).expect("recording"),
            snmp: "127.0.0.1:0".parse().expect("addr"),
            http: "127.0.0.1:0".parse().expect("addr"),
            community: "public".into(),
            admin_password: DEVICE_ADMIN_PASSWORD.into(),
            data_dir: dir.path().to_path_buf(),
            simulate: None,
        },
        move |state| {
            state
                .with_panel_size(panel)
                .with_admin_email(admin_email)
                .with_soap_log(log)
        },
    )
    .await
    .expect("device");
    let url = format!("http://{}", running.http);
    let package = weblet_package(assistant_url);
    let manifest = &package.manifest;
    let res = reqwest::Client::new()
        .post(format!("{url}/api/apps/install"))
        .basic_auth("admin", Some(DEVICE_ADMIN_PASSWORD))
        .json(&serde_json::json!({
            "app_id": manifest.app_id.to_string(),
            "version": manifest.version.to_string(),
            "package_b64": base64::engine::general_purpose::STANDARD.encode(&package.bytes),
            "sealed_config": options
                .sealed_config
                .clone()
                .unwrap_or_else(|| sys.gallery.sealed(config)),
            "credential": sys.gallery.credential(serial),
        }))
        .send()
        .await
        .expect("install");
    assert_eq!(
        res.status(),
        201,
        "install: {}",
        res.text().await.unwrap_or_default()
    );
    Device {
        url,
        soap_log,
        _running: running,
        _dir: dir,
    }
}

impl Device {
    pub fn app_url(&self) -> String {
        format!("{}/apps/support-assistant/index.html", self.url)
    }
}

/// Where screenshots go: `SA_SCREENSHOTS_DIR` (e.g. `screenshots` to refresh the README's
/// pictures), else `target/screenshots`, so a test run leaves the checkout as it found it.
pub fn screenshots_dir() -> std::path::PathBuf {
    match std::env::var_os("SA_SCREENSHOTS_DIR") {
        Some(d) => workspace().join(d),
        None => workspace().join("target").join("screenshots"),
    }
}

/// Saves what the browser shows as `<screenshots_dir>/<name>.png`.
pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let dir = screenshots_dir();
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// Waits (bounded) until the element `css` shows text containing `text`; returns its text.
pub async fn wait_text(client: &Client, css: &str, text: &str) -> String {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && let Ok(t) = el.text().await
        {
            if t.contains(text) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = client.source().await.unwrap_or_default();
    panic!("{css} never showed {text:?}; last text {last:?}; page: {page}");
}

/// Waits (bounded) for an element.
pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    for _ in 0..150 {
        if let Ok(el) = client.find(Locator::Css(css)).await {
            return el;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = client.source().await.unwrap_or_default();
    panic!("{css} never appeared; page: {page}");
}

pub async fn click(client: &Client, css: &str) {
    wait_for(client, css).await.click().await.expect("click");
}

pub async fn type_into(client: &Client, css: &str, text: &str) {
    let el = wait_for(client, css).await;
    el.clear().await.expect("clear");
    el.send_keys(text).await.expect("type");
}

/// Resizes the browser so that its viewport is a panel's size (the window is larger by whatever
/// the browser itself takes).
pub async fn panel_size(client: &Client, (width, height): (u32, u32)) {
    let inner = || async {
        let v = client
            .execute(
                "return [window.innerWidth, window.innerHeight];",
                Vec::new(),
            )
            .await
            .expect("viewport");
        (
            u32::try_from(v[0].as_u64().expect("innerWidth")).unwrap_or(0),
            u32::try_from(v[1].as_u64().expect("innerHeight")).unwrap_or(0),
        )
    };
    client
        .set_window_size(width, height)
        .await
        .expect("resize the window");
    let (w, h) = inner().await;
    client
        .set_window_size(
            width + width.saturating_sub(w),
            height + height.saturating_sub(h),
        )
        .await
        .expect("resize the window");
    assert_eq!(
        inner().await,
        (width, height),
        "the viewport is the panel's size"
    );
}

/// Whether the page or the app's scrolling area (`#main`) needs horizontal scrolling: what is
/// wider than what, when one does.
pub async fn app_overflow(client: &Client) -> Option<String> {
    if let Some((scroll, inner)) = horizontal_overflow(client).await {
        return Some(format!("page {scroll} px wide in a {inner} px window"));
    }
    let v = client
        .execute(
            "var m = document.getElementById('main');\
             return m ? [m.scrollWidth, m.clientWidth] : [0, 0];",
            Vec::new(),
        )
        .await
        .expect("measure #main");
    let scroll = v[0].as_u64().expect("scrollWidth");
    let client_width = v[1].as_u64().expect("clientWidth");
    (scroll > client_width).then(|| format!("#main {scroll} px wide in {client_width} px"))
}

/// Whether the page needs horizontal scrolling: (scrollWidth, innerWidth) when it does.
pub async fn horizontal_overflow(client: &Client) -> Option<(u64, u64)> {
    let v = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            Vec::new(),
        )
        .await
        .expect("measure the page");
    let scroll = v[0].as_u64().expect("scrollWidth");
    let inner = v[1].as_u64().expect("innerWidth");
    (scroll > inner).then_some((scroll, inner))
}

/// Whether the element `css` lies entirely inside the viewport.
pub async fn in_viewport(client: &Client, css: &str) -> bool {
    let v = client
        .execute(
            "var el = document.querySelector(arguments[0]); if (!el) { return false; }\
             var r = el.getBoundingClientRect();\
             return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 &&\
               r.right <= window.innerWidth && r.bottom <= window.innerHeight;",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("measure an element");
    v.as_bool().unwrap_or(false)
}

/// Logs the administrator in at the device (its login page), in this browser.
pub async fn admin_login(client: &Client, device: &Device) {
    client
        .goto(&format!("{}/login", device.url))
        .await
        .expect("login page");
    type_into(client, "input[name=password]", DEVICE_ADMIN_PASSWORD).await;
    click(client, "button[type=submit]").await;
    wait_text(client, "footer", "Administrator logged in").await;
}
