//! `spawn_app()`: the device's HTTP side on 127.0.0.1:0 over the project's fixture recording, with
//! a manual clock, a temporary data directory and a cheap admin password hash.

#![allow(dead_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use device::http::{FixedClock, HttpState, PasswordCost, hash_password};
use device::mib::Mib;
use printer::snmp::VarBind;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

pub const COMMUNITY: &str = "public";
pub const ADMIN_PASSWORD: &str = "panel-secret-7";

pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    pub mib: Arc<Mib>,
    pub clock: Arc<FixedClock>,
    /// The SOAP requests the device read.
    pub soap_log: Arc<device::http::soap::SoapLog>,
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
    let clock = Arc::new(FixedClock::default());
    let data_dir = tempfile::tempdir().expect("a temporary data directory");
    let hash = hash_password(&ADMIN_PASSWORD.into(), PasswordCost::Cheap).expect("hashing works");
    let state = HttpState::with_password_hash(mib.clone(), COMMUNITY, hash, data_dir.path())
        .with_clock(clock.clone());
    let soap_log = Arc::new(device::http::soap::SoapLog::default());
    let state = configure(state.with_soap_log(soap_log.clone()));
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
        soap_log,
        data_dir,
        client,
        task,
    }
}

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const DEVCFG: &str = "/webservices/office/device_configuration/1";
pub const SESSION: &str = "/webservices/office/cuisession/1";
pub const SNMP: &str = "/webservices/SNMP/1";
pub const DEVCFG_NS: &str = "http://www.xerox.com/webservices/office/device_configuration/1";
pub const SESSION_NS: &str = "http://www.xerox.com/webservices/office/cuisession/1";
pub const SNMP_NS: &str = "http://www.xerox.com/webservices/SNMP/1";

/// The SOAP version a test asks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V {
    V11,
    V12,
}

pub const BOTH: [V; 2] = [V::V11, V::V12];

impl V {
    pub fn ns(self) -> &'static str {
        match self {
            V::V11 => SOAP11,
            V::V12 => SOAP12,
        }
    }
}

/// The namespaces the vendor's library declares on its envelopes besides the envelope's own
/// (../shared/eip/README.md: xsi, xsd, WS-Addressing, WS-Security).
const EXTRA_NS: &str = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
     xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
     xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" \
     xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\"";

/// A request envelope as the vendor's library builds one: SOAP 1.1 without a Header, SOAP 1.2
/// with an empty Header; the operation carries the service namespace as a default `xmlns`.
pub fn envelope_v(v: V, inner: &str) -> String {
    match v {
        V::V11 => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <soap:Envelope xmlns:soap=\"{SOAP11}\" {EXTRA_NS}>\
             <soap:Body>{inner}</soap:Body></soap:Envelope>"
        ),
        V::V12 => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <soap12:Envelope xmlns:soap12=\"{SOAP12}\" {EXTRA_NS}>\
             <soap12:Header/><soap12:Body>{inner}</soap12:Body></soap12:Envelope>"
        ),
    }
}

/// A SOAP 1.1 envelope.
pub fn envelope(inner: &str) -> String {
    envelope_v(V::V11, inner)
}

/// `<op xmlns="ns"/>`
pub fn op(op: &str, ns: &str) -> String {
    format!("<{op} xmlns=\"{ns}\"/>")
}

pub fn snmp_body(op: &str, community: &str, oid: &str) -> String {
    format!(
        "<{op} xmlns=\"{SNMP_NS}\"><SNMPVersion>2c</SNMPVersion>\
         <SNMPv2cData><communityString>{community}</communityString></SNMPv2cData>\
         <OID>{oid}</OID></{op}>"
    )
}

pub fn snmp_request(op: &str, community: &str, oid: &str) -> String {
    envelope(&snmp_body(op, community, oid))
}

/// A SetRequest with one `theOID` per (OID, Type, setValue).
pub fn set_body(community: &str, values: &[(&str, &str, &str)]) -> String {
    let the: String = values
        .iter()
        .map(|(oid, t, v)| {
            format!("<theOID><OID>{oid}</OID><Type>{t}</Type><setValue>{v}</setValue></theOID>")
        })
        .collect();
    format!(
        "<SetRequest xmlns=\"{SNMP_NS}\"><SNMPVersion>2c</SNMPVersion>\
         <SNMPv2cData><communityString>{community}</communityString></SNMPv2cData>{the}</SetRequest>"
    )
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

    /// The text of the first element with this local name anywhere, as the vendor's library reads
    /// answers.
    pub fn find(&self, name: &str) -> String {
        self.body
            .find(name)
            .map(|e| e.text.clone())
            .unwrap_or_else(|| panic!("no {name} in {}", self.text))
    }

    /// The SOAP version the answer is in (by its Envelope's namespace).
    pub fn version(&self) -> V {
        match self.body.ns.as_deref() {
            Some(SOAP11) => V::V11,
            Some(SOAP12) => V::V12,
            other => panic!("an Envelope in {other:?}: {}", self.text),
        }
    }

    /// The escaped XML payload of `Information`, parsed.
    pub fn information(&self) -> device::http::soap::Element {
        device::http::soap::parse_xml(self.find("Information").as_bytes())
            .unwrap_or_else(|e| panic!("Information is XML ({e}): {}", self.text))
    }

    /// (fault code, reason, detail ErrorCode) of a fault in either version: `faultcode` /
    /// `faultstring` / `detail` in SOAP 1.1, `Code/Value` / `Reason/Text` / `Detail` in SOAP 1.2.
    pub fn fault(&self) -> (String, String, String) {
        let f = self.payload();
        assert_eq!(f.name, "Fault", "expected a fault: {}", self.text);
        let text = |path: &str| {
            f.path(path)
                .map(|e| e.text.clone())
                .unwrap_or_else(|| panic!("no {path} in {}", self.text))
        };
        match self.version() {
            V::V11 => {
                assert!(f.child("Code").is_none(), "{}", self.text);
                (
                    text("faultcode"),
                    text("faultstring"),
                    text("detail/ErrorCode"),
                )
            }
            V::V12 => {
                assert!(f.child("faultcode").is_none(), "{}", self.text);
                (
                    text("Code/Value"),
                    text("Reason/Text"),
                    text("Detail/ErrorCode"),
                )
            }
        }
    }
}

pub async fn post_soap_with(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> SoapAnswer {
    let mut request = app.client.post(format!("{}{path}", app.url));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.body(body).send().await.expect("the device answers");
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

pub async fn post_soap_raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> SoapAnswer {
    post_soap_with(app, path, &[("Content-Type", content_type)], body).await
}

/// Posts as the vendor's library does: `Content-Type: text/xml`, `SOAPAction: ""`.
pub async fn post_soap(app: &TestApp, path: &str, body: String) -> SoapAnswer {
    post_soap_with(
        app,
        path,
        &[("Content-Type", "text/xml"), ("SOAPAction", "\"\"")],
        body,
    )
    .await
}

/// Posts `inner` in an envelope of version `v`, as the vendor's library does.
pub async fn post_soap_v(app: &TestApp, path: &str, v: V, inner: &str) -> SoapAnswer {
    let answer = post_soap(app, path, envelope_v(v, inner)).await;
    assert_eq!(
        answer.version(),
        v,
        "answered in the version asked: {}",
        answer.text
    );
    answer
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

/// Whether the Session service reports the administrator: from the roles, as a real client
/// decides (`xeSystemAdministrator`, compared case-insensitively); a walk-up user is `guest`.
pub async fn session_is_admin(app: &TestApp) -> bool {
    let mut seen = Vec::new();
    for v in BOTH {
        let answer = post_soap_v(
            app,
            SESSION,
            v,
            &op("GetSessionInformationRequest", SESSION_NS),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let info = answer.information();
        let mut roles = Vec::new();
        info.find_all("role", &mut roles);
        let admin = roles
            .iter()
            .any(|r| r.text.trim().eq_ignore_ascii_case("xeSystemAdministrator"));
        let user = info
            .find("username")
            .map(|e| e.text.clone())
            .unwrap_or_default();
        assert!(
            info.find("isAdministrator").is_none(),
            "no element real devices lack"
        );
        if admin {
            assert_eq!(user, "admin");
        } else {
            assert_eq!(user, "guest");
        }
        seen.push(admin);
    }
    assert_eq!(seen[0], seen[1], "both versions tell the same");
    seen[0]
}

pub async fn get_panel(app: &TestApp, cookie: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(format!("{}/", app.url));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let r = req.send().await.expect("the device answers");
    (r.status().as_u16(), r.text().await.expect("a body"))
}
