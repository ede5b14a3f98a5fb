//! `support-assistant device serve` as README starts it: `--panel-size` and `--admin-email` reach
//! the EIP services and the panel page; every recording of ../shared/printers/recordings and every
//! project fixture is served (WS-SNMP over SOAP 1.2 walks it back exactly); a recording with a
//! repeated line loads with a warning naming both lines.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `support-assistant` binary: `SA_BIN`, else built once.
fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("SA_BIN") {
        return PathBuf::from(path);
    }
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "support-assistant",
            "--bin",
            "support-assistant",
        ])
        .current_dir(workspace())
        .status()
        .expect("cargo build");
    assert!(status.success(), "building support-assistant failed");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("target"));
    target.join("debug/support-assistant")
}

struct Serve {
    child: Child,
    url: String,
    output: std::sync::Arc<std::sync::Mutex<String>>,
    _data: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `device serve` on ephemeral ports with `extra` options; waits for its HTTP address.
fn serve(recording: &Path, extra: &[&str]) -> Serve {
    let data = tempfile::tempdir().expect("data dir");
    let mut child = Command::new(binary())
        .args([
            "device",
            "serve",
            "--snmp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
        ])
        .args(["--admin-password", ADMIN_PASSWORD])
        .arg("--recording")
        .arg(recording)
        .arg("--data-dir")
        .arg(data.path())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("device serve starts");
    let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    if let Some(err) = child.stderr.take() {
        let out = output.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                out.lock().expect("lock").push_str(&format!("{l}\n"));
            }
        });
    }
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        output.lock().expect("lock").push_str(&format!("{line}\n"));
        if let Some(rest) = line.split("web services on ").nth(1) {
            let url = rest.trim().to_owned();
            let out = output.clone();
            std::thread::spawn(move || {
                for l in lines.map_while(Result::ok) {
                    out.lock().expect("lock").push_str(&format!("{l}\n"));
                }
            });
            return Serve {
                child,
                url,
                output,
                _data: data,
            };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "device serve did not announce its web services: {}",
        output.lock().expect("lock")
    );
}

async fn soap12(
    client: &reqwest::Client,
    url: &str,
    path: &str,
    inner: &str,
) -> device::http::soap::Element {
    let text = client
        .post(format!("{url}{path}"))
        .header("Content-Type", "text/xml")
        .header("SOAPAction", "\"\"")
        .body(envelope_v(V::V12, inner))
        .send()
        .await
        .expect("the device answers")
        .text()
        .await
        .expect("a body");
    device::http::soap::parse_xml(text.as_bytes()).expect("XML")
}

#[tokio::test]
async fn panel_size_and_admin_email_options_reach_the_services_and_the_panel() {
    let s = serve(
        &fixture_path(),
        &[
            "--panel-size",
            "800x480",
            "--admin-email",
            "ops@example.org",
        ],
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let answer = soap12(
        &client,
        &s.url,
        DEVCFG,
        &op("GetDeviceInformationRequest", DEVCFG_NS),
    )
    .await;
    let info = device::http::soap::parse_xml(
        answer
            .find("Information")
            .expect("Information")
            .text
            .as_bytes(),
    )
    .expect("inner XML");
    let at = |p: &str| info.path(p).map(|e| e.text.clone());
    assert_eq!(at("display/canvasSize/width").as_deref(), Some("800"));
    assert_eq!(at("display/canvasSize/height").as_deref(), Some("480"));
    let panel = client
        .get(format!("{}/", s.url))
        .send()
        .await
        .expect("panel")
        .text()
        .await
        .expect("body");
    assert!(
        panel.contains("data-width=\"800\" data-height=\"480\""),
        "{panel}"
    );

    let res = client
        .post(format!("{}/login", s.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("password={}", urlencode(ADMIN_PASSWORD)))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303);
    let answer = soap12(
        &client,
        &s.url,
        SESSION,
        &op("GetSessionInformationRequest", SESSION_NS),
    )
    .await;
    let info = device::http::soap::parse_xml(
        answer
            .find("Information")
            .expect("Information")
            .text
            .as_bytes(),
    )
    .expect("inner XML");
    assert_eq!(
        info.path("from").map(|e| e.text.as_str()),
        Some("ops@example.org")
    );
    assert_eq!(
        info.path("roles/authorized/role").map(|e| e.text.as_str()),
        Some("xeSystemAdministrator")
    );

    // Without the options: 1024×600, and no `from`.
    drop(s);
    let plain = serve(&fixture_path(), &[]);
    let answer = soap12(
        &client,
        &plain.url,
        DEVCFG,
        &op("GetDeviceInformationRequest", DEVCFG_NS),
    )
    .await;
    let info = device::http::soap::parse_xml(
        answer
            .find("Information")
            .expect("Information")
            .text
            .as_bytes(),
    )
    .expect("inner XML");
    assert_eq!(
        info.path("display/canvasSize/width")
            .map(|e| e.text.as_str()),
        Some("1024")
    );
}

#[test]
fn a_panel_size_out_of_range_is_refused_with_the_reason() {
    let out = Command::new(binary())
        .args(["device", "serve", "--recording"])
        .arg(fixture_path())
        .args(["--panel-size", "10x10"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"10x10\" is not WIDTHxHEIGHT"), "{err}");
}

fn every_recording() -> Vec<PathBuf> {
    let shared = workspace().join("../shared/printers/recordings");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&shared)
        .into_iter()
        .flatten()
        .chain(std::fs::read_dir(workspace().join("fixtures")).expect("fixtures"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
        .collect();
    files.sort();
    files
}

/// Every recording and fixture is served, and a WS-SNMP walk (SOAP 1.2, as the vendor's library
/// sends it) returns it exactly.
#[tokio::test]
async fn every_recording_and_fixture_is_served_and_walked_back_exactly_over_ws_snmp() {
    let files = every_recording();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("canon-lbp-repeated-lines.snmprec")),
        "{files:?}"
    );
    let client = reqwest::Client::new();
    for file in files {
        let expected = printer::snmprec::read_file(&file).expect("the recording reads");
        let dir = tempfile::tempdir().expect("dir");
        let running = device::serve::start(device::serve::DeviceSpec {
            varbinds: expected.clone(),
            snmp: "127.0.0.1:0".parse().expect("addr"),
            http: "127.0.0.1:0".parse().expect("addr"),
            community: "public".into(),
            admin_password: "x".into(),
            data_dir: dir.path().to_path_buf(),
            simulate: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{}: {e:#}", file.display()));
        let url = format!("http://{}", running.http);
        let mut walked = Vec::new();
        let mut cursor = "1.3".to_owned();
        for _ in 0..expected.len() + 2 {
            let answer = soap12(
                &client,
                &url,
                SNMP,
                &snmp_body("GetNextRequest", COMMUNITY, &cursor),
            )
            .await;
            let field = |n: &str| answer.find(n).map(|e| e.text.clone()).unwrap_or_default();
            let value = device::http::snmp_text::parse(&field("Type"), &field("returnValue"))
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            if value == printer::snmp::Value::EndOfMibView {
                break;
            }
            cursor = field("OID");
            walked.push(printer::snmp::VarBind::new(
                cursor.parse().expect("an OID"),
                value,
            ));
        }
        assert_eq!(walked, expected, "{}", file.display());
    }
}

#[test]
fn a_recording_with_a_repeated_line_loads_with_a_warning_naming_both_lines() {
    let rec = workspace().join("fixtures/canon-lbp-repeated-lines.snmprec");
    let s = serve(&rec, &[]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = s.output.lock().expect("lock").clone();
        if out.contains("canon-lbp-repeated-lines.snmprec:16: repeats line 14") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no warning naming both lines: {out}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A conflicting repeat: `device serve` refuses the recording, naming the file and both lines.
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("conflict.snmprec");
    std::fs::write(
        &bad,
        "1.3.6.1.2.1.1.5.0|4|printer\n1.3.6.1.2.1.1.3.0|67|42\n1.3.6.1.2.1.1.5.0|4|copier\n",
    )
    .expect("write");
    let out = Command::new(binary())
        .args([
            "device",
            "serve",
            "--snmp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--recording",
        ])
        .arg(&bad)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("conflict.snmprec:3: OID 1.3.6.1.2.1.1.5.0 appears again with another value (first on line 1)"),
        "{text}"
    );
}
