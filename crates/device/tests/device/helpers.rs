//! `spawn_app()`: the device's HTTP side on 127.0.0.1:0 over the project's fixture recording, with
//! a manual clock, a temporary data directory and a cheap admin password hash.

#![allow(dead_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use device::http::{HttpState, ManualClock, PasswordCost, hash_password};
use device::mib::Mib;
use printer::snmp::VarBind;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub const COMMUNITY: &str = "public";
pub const ADMIN_PASSWORD: &str = "panel-secret-7";

pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    pub mib: Arc<Mib>,
    pub clock: Arc<ManualClock>,
    pub data_dir: tempfile::TempDir,
    /// Does not follow redirects, keeps no cookies: tests see exactly what the device answers.
    pub client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn fixture_path() -> PathBuf {
    let project = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/xerox-altalink-c8055-meters.snmprec");
    if project.exists() {
        project
    } else {
        PathBuf::from("/work/shared/printers/recordings/xerox_altalink_c8045.snmprec")
    }
}

pub fn recording() -> Vec<VarBind> {
    printer::snmprec::read_file(&fixture_path()).expect("the fixture recording reads")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|s| s).await
}

/// As [`spawn_app`], letting the test change the state (timeouts, limits) first.
pub async fn spawn_app_with(configure: impl FnOnce(HttpState) -> HttpState) -> TestApp {
    let mib = Arc::new(Mib::new(recording()));
    let clock = Arc::new(ManualClock::new());
    let data_dir = tempfile::tempdir().expect("a temporary data directory");
    let hash = hash_password(ADMIN_PASSWORD, PasswordCost::Cheap).expect("hashing works");
    let state = HttpState::with_password_hash(mib.clone(), COMMUNITY, hash, data_dir.path())
        .with_clock(clock.clone());
    let state = configure(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let task = tokio::spawn(async move {
        let _ = device::http::serve(listener, state).await;
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client");
    TestApp {
        addr,
        url: format!("http://{addr}"),
        mib,
        clock,
        data_dir,
        client,
        task,
    }
}

pub fn envelope(inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soap:Body>{inner}</soap:Body></soap:Envelope>"
    )
}

pub fn snmp_request(op: &str, community: &str, oid: &str) -> String {
    envelope(&format!(
        "<{op} xmlns=\"http://www.xerox.com/webservices/SNMP/1\"><SNMPVersion>2c</SNMPVersion>\
         <SNMPv2cData><communityString>{community}</communityString></SNMPv2cData>\
         <OID>{oid}</OID></{op}>"
    ))
}

pub struct SoapAnswer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub body: device::http::soap::Element,
}

impl SoapAnswer {
    /// The first element inside the Body (the response or the Fault).
    pub fn payload(&self) -> &device::http::soap::Element {
        self.body
            .child("Body")
            .and_then(|b| b.children.first())
            .expect("a SOAP Body with an element")
    }

    pub fn field(&self, name: &str) -> String {
        self.payload()
            .child(name)
            .map(|e| e.text.clone())
            .unwrap_or_else(|| panic!("no {name} in {}", self.text))
    }

    /// (faultcode, faultstring, detail ErrorCode) of a fault.
    pub fn fault(&self) -> (String, String, String) {
        let f = self.payload();
        assert_eq!(f.name, "Fault", "expected a fault: {}", self.text);
        let code = f
            .child("detail")
            .and_then(|d| d.child("ErrorCode"))
            .map(|e| e.text.clone())
            .unwrap_or_default();
        (self.field("faultcode"), self.field("faultstring"), code)
    }
}

pub async fn post_soap_raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> SoapAnswer {
    let response = app
        .client
        .post(format!("{}{path}", app.url))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("the device answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("a body");
    let body = device::http::soap::parse_xml(text.as_bytes())
        .unwrap_or_else(|f| panic!("the answer is XML ({f:?}): {text}"));
    assert_eq!(body.name, "Envelope", "{text}");
    SoapAnswer {
        status,
        content_type,
        text,
        body,
    }
}

pub async fn post_soap(app: &TestApp, path: &str, body: String) -> SoapAnswer {
    post_soap_raw(app, path, "text/xml; charset=utf-8", body).await
}

/// A `.weblet`: a zip of (name, contents).
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        w.start_file(*name, options).expect("zip entry");
        w.write_all(content).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

pub fn manifest(app_id: &str, version: &str) -> String {
    serde_json::json!({
        "app_id": app_id,
        "version": version,
        "name": "Support Assistant",
        "entry": "index.html",
        "icons": ["img/icon.png"],
        "services": ["/webservices/SNMP/1"]
    })
    .to_string()
}

pub fn weblet(app_id: &str, version: &str) -> Vec<u8> {
    let m = manifest(app_id, version);
    zip_of(&[
        ("manifest.json", m.as_bytes()),
        (
            "index.html",
            b"<!DOCTYPE html><title>SA</title><script src=\"js/app.js\"></script>",
        ),
        ("js/app.js", b"var x = 1;"),
        ("img/icon.png", b"\x89PNG\r\n\x1a\nfake"),
    ])
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn install_body(app_id: &str, version: &str, package: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "app_id": app_id,
        "version": version,
        "package_b64": b64(package),
        "sealed_config": "c2VhbGVkLWNvbmZpZw",
        "credential": "eyJkZXZpY2UiOiJYUlgifQ.sig",
    })
}

pub async fn install(
    app: &TestApp,
    password: Option<&str>,
    body: &serde_json::Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/api/apps/install", app.url))
        .json(body);
    if let Some(p) = password {
        req = req.basic_auth("admin", Some(p));
    }
    req.send().await.expect("the device answers")
}

/// A GET written byte for byte (no client-side path normalisation), returning status and body.
pub async fn raw_get(app: &TestApp, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        app.addr
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("answer within 10 s")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Logs in at the panel; returns the session cookie ("name=value").
pub async fn login(app: &TestApp, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/login", app.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("password={}", urlencode(password)))
        .send()
        .await
        .expect("the device answers")
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sa_device_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

/// Whether the Session service reports the administrator.
pub async fn session_is_admin(app: &TestApp) -> bool {
    let answer = post_soap(
        app,
        "/webservices/office/cuisession/1",
        envelope("<GetSessionInformationRequest xmlns=\"http://www.xerox.com/webservices/office/cuisession/1\"/>"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let info = device::http::soap::parse_xml(answer.field("Information").as_bytes())
        .expect("Information is XML");
    let is_admin = info
        .child("isAdministrator")
        .map(|e| e.text.clone())
        .unwrap_or_default();
    let user = info
        .child("userName")
        .map(|e| e.text.clone())
        .unwrap_or_default();
    match is_admin.as_str() {
        "true" => {
            assert_eq!(user, "admin");
            true
        }
        "false" => {
            assert_eq!(user, "guest");
            false
        }
        other => panic!("isAdministrator {other:?}"),
    }
}

pub async fn get_panel(app: &TestApp, cookie: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(format!("{}/", app.url));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let r = req.send().await.expect("the device answers");
    (r.status().as_u16(), r.text().await.expect("a body"))
}
