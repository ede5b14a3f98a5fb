//! Every `serve` command and the demo, started as a person would: with a certificate they serve
//! HTTPS only (TLS 1.2 minimum, HSTS); without one they refuse to start unless --insecure-http
//! is given, which is refused off loopback. The assistant's --rate-limit-per-second and
//! --frame-ancestors change what it answers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use gallery::credential::SigningKeyring;
use gallery::domain::{AppId, DeviceSerial, Tenant};
use gallery::seal::SealingKeyring;

use crate::{Running, bin, free_base_port, run};

/// A CA, and a certificate for localhost and 127.0.0.1 signed by it (rcgen).
struct Certs {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn certs() -> Certs {
    let dir = tempfile::tempdir().expect("tempdir");
    let dev = platform::ops::tls::dev_certificate(dir.path()).expect("certificate");
    Certs {
        ca: dev.ca,
        cert: dev.tls.cert,
        key: dev.tls.key,
        _dir: dir,
    }
}

impl Certs {
    fn args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.cert.display().to_string(),
            "--tls-key".into(),
            self.key.display().to_string(),
        ]
    }
}

/// A started process and the first URL it printed.
struct Served {
    process: Running,
    url: String,
    port: u16,
    stdout: mpsc::Receiver<String>,
}

/// Starts `support-assistant ARGS` and waits (at most 60 s) for a line that contains `marker`,
/// then takes the URL on that line.
fn start(args: &[String], envs: &[(&str, &str)], marker: &str, log: &Path) -> Served {
    let mut child = bin()
        .args(args)
        .envs(envs.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log"))
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let process = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
                if line.contains(marker) {
                    // The URL on the line, if any (the demo's first line has none).
                    let url = first_url(&line).unwrap_or_default();
                    let port = url
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    return Served {
                        process,
                        url,
                        port,
                        stdout: rx,
                    };
                }
            }
            Err(_) => panic!(
                "{args:?} did not print {marker:?} within 60 s; stdout:\n{seen}\nstderr:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            ),
        }
    }
}

fn first_url(line: &str) -> Option<String> {
    let at = line.find("https://").or_else(|| line.find("http://"))?;
    let url: String = line[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ')' && *c != ',')
        .collect();
    // Only scheme://host:port.
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    Some(format!("{}://{authority}", url.split_once("://")?.0))
}

/// `curl` (the real one): (HTTP status, response headers lower-cased). Status 0 when no HTTP
/// answer came.
fn curl(extra: &[&str], url: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-o", "/dev/null", "-D", "-"])
        .args(["-w", "\n%{http_code}"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl is installed (scripts/install-test-deps.sh)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (status, text.to_ascii_lowercase())
}

/// `openssl s_client` limited to one protocol version: (handshake succeeded, output).
fn s_client(port: u16, ca: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-servername", "localhost", "-CAfile"])
        .arg(ca)
        .arg("-verify_return_error")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed (scripts/install-test-deps.sh)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// What every service started with a certificate must do on its port.
fn assert_https_only(what: &str, port: u16, ca: &Path) -> String {
    let https = format!("https://localhost:{port}/healthz");
    let (status, headers) = curl(&["--cacert", &ca.display().to_string()], &https);
    assert_eq!(status, 200, "{what}: curl {https}:\n{headers}");
    assert!(
        headers.contains("strict-transport-security: max-age=31536000"),
        "{what}: HSTS on {https}:\n{headers}"
    );

    let plain = format!("http://127.0.0.1:{port}/healthz");
    let (status, _) = curl(&[], &plain);
    assert_ne!(
        status, 200,
        "{what}: plain HTTP on the HTTPS port answered 200"
    );

    // SECLEVEL=0 lets OpenSSL 3 offer TLS 1.1 at all; then the refusal is the server's.
    let old_client = ["-cipher", "DEFAULT@SECLEVEL=0"];
    let (ok, text) = s_client(port, ca, &[&["-tls1_1"], &old_client[..]].concat());
    assert!(!ok, "{what}: a TLS 1.1 handshake must fail:\n{text}");
    assert!(
        !text.contains("no protocols available"),
        "{what}: the client must really offer TLS 1.1:\n{text}"
    );
    assert!(
        text.contains("Protocol  : TLSv1.1") || text.contains("Protocol: TLSv1.1"),
        "{what}: the client offered TLS 1.1 only:\n{text}"
    );
    // rustls answers a hello it cannot accept with a fatal alert (handshake_failure or
    // protocol_version) and no ServerHello.
    assert!(
        text.contains("SSL alert number 40") || text.contains("SSL alert number 70"),
        "{what}: the server must refuse the TLS 1.1 hello with an alert:\n{text}"
    );
    assert!(text.contains("no peer certificate available"), "{text}");

    // The same client limited to TLS 1.2 gets through, and so does TLS 1.3.
    let (ok, text) = s_client(port, ca, &[&["-tls1_2"], &old_client[..]].concat());
    assert!(ok, "{what}: openssl -tls1_2 failed:\n{text}");
    assert!(
        text.contains("TLSv1.2") && text.contains("Verify return code: 0 (ok)"),
        "{what}: {text}"
    );
    let (ok, text) = s_client(port, ca, &["-tls1_3"]);
    assert!(ok, "{what}: openssl -tls1_3 failed:\n{text}");
    headers
}

fn sqlite(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

fn manager_args(dir: &Path, listen: &str) -> Vec<String> {
    vec![
        "serve".into(),
        "manager".into(),
        "--listen".into(),
        listen.into(),
        "--database".into(),
        sqlite(dir, "manager.db"),
        "--data-keys-file".into(),
        dir.join("manager.keys").display().to_string(),
    ]
}

struct GalleryKeys {
    sealing: String,
    signing: String,
}

fn gallery_keys() -> GalleryKeys {
    GalleryKeys {
        sealing: SealingKeyring::generate("cfg1").expect("keys").to_spec(),
        signing: SigningKeyring::generate("sig1").expect("keys").to_spec(),
    }
}

fn gallery_args(dir: &Path, listen: &str, keys: &GalleryKeys) -> Vec<String> {
    vec![
        "serve".into(),
        "gallery".into(),
        "--listen".into(),
        listen.into(),
        "--database".into(),
        sqlite(dir, "gallery.db"),
        "--seal-keys".into(),
        keys.sealing.clone(),
        "--signing-keys".into(),
        keys.signing.clone(),
        "--api-key".into(),
        "sag_serve-https-test".into(),
    ]
}

fn assistant_args(dir: &Path, listen: &str, gallery_url: &str, keys: &GalleryKeys) -> Vec<String> {
    vec![
        "serve".into(),
        "assistant".into(),
        "--listen".into(),
        listen.into(),
        "--database".into(),
        sqlite(dir, "assistant.db"),
        // Nothing listens there: the requests below never get as far as the manager.
        "--manager-url".into(),
        "http://127.0.0.1:9".into(),
        "--manager-api-keys".into(),
        "acme=sam_test".into(),
        "--gallery-url".into(),
        gallery_url.into(),
        "--config-keys".into(),
        keys.sealing.clone(),
        "--contact-keys".into(),
        SealingKeyring::generate("contact1")
            .expect("keys")
            .to_spec(),
        "--mail".into(),
        format!("folder:{}", dir.join("outbox").display()),
    ]
}

/// A device credential signed with the gallery's key, as the gallery issues it at install.
fn credential(keys: &GalleryKeys, serial: &str) -> String {
    let now = Utc::now();
    SigningKeyring::parse(&keys.signing)
        .expect("signing keys")
        .issue(
            uuid::Uuid::new_v4(),
            DeviceSerial::parse(serial).expect("serial"),
            Tenant::parse("acme").expect("tenant"),
            AppId::parse("support-assistant").expect("app id"),
            now,
            now + chrono::Duration::days(30),
        )
        .expect("credential")
        .0
}

#[test]
fn serve_manager_with_a_certificate_serves_https_only() {
    let certs = certs();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = manager_args(dir.path(), "127.0.0.1:0");
    args.extend(certs.args());
    let served = start(&args, &[], "manager listening on", &dir.path().join("log"));
    assert_ne!(served.port, 0, "{}", served.url);
    assert!(served.url.starts_with("https://"), "{}", served.url);
    assert_https_only("serve manager", served.port, &certs.ca);
    let (status, headers) = curl(
        &["--cacert", &certs.ca.display().to_string()],
        &format!("https://localhost:{}/metrics", served.port),
    );
    assert_eq!(status, 200, "/metrics:\n{headers}");
}

/// SIGHUP makes a server read its certificate files again: new connections get the new
/// certificate, without a restart.
#[test]
fn serve_manager_reloads_its_certificate_on_sighup() {
    let first = certs();
    let second = certs();
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::copy(&first.cert, &cert).expect("copy");
    std::fs::copy(&first.key, &key).expect("copy");
    let mut args = manager_args(dir.path(), "127.0.0.1:0");
    args.extend([
        "--tls-cert".to_string(),
        cert.display().to_string(),
        "--tls-key".to_string(),
        key.display().to_string(),
    ]);
    let served = start(&args, &[], "manager listening on", &dir.path().join("log"));
    let url = format!("https://localhost:{}/healthz", served.port);
    let trusting = |ca: &Path| curl(&["--cacert", &ca.display().to_string()], &url).0;
    assert_eq!(trusting(&first.ca), 200);
    assert_ne!(trusting(&second.ca), 200, "the second CA did not sign it");

    std::fs::copy(&second.cert, &cert).expect("copy");
    std::fs::copy(&second.key, &key).expect("copy");
    let (ok, _, stderr) = run(Command::new("kill")
        .arg("-HUP")
        .arg(served.process.0.id().to_string()));
    assert!(ok, "kill -HUP: {stderr}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while trusting(&second.ca) != 200 {
        assert!(
            Instant::now() < deadline,
            "the new certificate is served within 10 s of SIGHUP"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_ne!(trusting(&first.ca), 200, "the old certificate is gone");
}

#[test]
fn serve_gallery_with_a_certificate_serves_https_only() {
    let certs = certs();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = gallery_args(dir.path(), "127.0.0.1:0", &gallery_keys());
    args.extend(certs.args());
    let served = start(&args, &[], "App Gallery on", &dir.path().join("log"));
    assert!(served.url.starts_with("https://"), "{}", served.url);
    assert_https_only("serve gallery", served.port, &certs.ca);
}

/// The assistant over HTTPS fetches the gallery's keys over HTTPS, trusting the partner's CA
/// (--ca-cert); its --frame-ancestors reach the Content-Security-Policy.
#[test]
fn serve_assistant_with_a_certificate_serves_https_only_and_sends_its_frame_ancestors() {
    let certs = certs();
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = gallery_keys();
    let mut args = gallery_args(dir.path(), "127.0.0.1:0", &keys);
    args.extend(certs.args());
    let gallery = start(
        &args,
        &[],
        "App Gallery on",
        &dir.path().join("gallery.log"),
    );

    let mut args = assistant_args(dir.path(), "127.0.0.1:0", &gallery.url, &keys);
    args.extend(certs.args());
    args.extend([
        "--ca-cert".into(),
        certs.ca.display().to_string(),
        "--frame-ancestors".into(),
        "https://panel.example.com,http://127.0.0.1:8080".into(),
    ]);
    let served = start(
        &args,
        &[],
        "assistant: App API on",
        &dir.path().join("assistant.log"),
    );
    assert!(served.url.starts_with("https://"), "{}", served.url);
    let headers = assert_https_only("serve assistant", served.port, &certs.ca);
    assert!(
        headers.contains(
            "content-security-policy: default-src 'self'; img-src 'self' data:; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors https://panel.example.com http://127.0.0.1:8080"
        ),
        "{headers}"
    );
    assert!(!headers.contains("x-frame-options"), "{headers}");

    // The default limit (bursts of 60) lets a device's ten requests through.
    let token = credential(&keys, "XRX0000000001");
    let ca = certs.ca.display().to_string();
    for _ in 0..10 {
        let (status, headers) = curl(
            &[
                "--cacert",
                &ca,
                "-H",
                &format!("Authorization: Bearer {token}"),
            ],
            &format!("https://localhost:{}/api/v1/incidents", served.port),
        );
        assert_ne!(status, 0, "no answer");
        assert_ne!(status, 429, "{headers}");
    }
}

/// `gallery install --ca-cert` makes the installer trust a partner's CA: without it the HTTPS
/// gallery is not reached (certificate unknown), with it the gallery answers (here: a 4xx, no
/// app published and no device registered yet).
#[test]
fn gallery_install_trusts_the_ca_given_with_ca_cert() {
    let certs = certs();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = gallery_args(dir.path(), "127.0.0.1:0", &gallery_keys());
    args.extend(certs.args());
    let gallery = start(&args, &[], "App Gallery on", &dir.path().join("log"));
    let install = |extra: &[&str]| {
        run(bin()
            .args(["gallery", "install", "--device", "http://127.0.0.1:9"])
            .args(["--serial", "XRX0000000001", "--admin-password", "pw"])
            .args([
                "--gallery",
                &gallery.url,
                "--api-key",
                "sag_serve-https-test",
            ])
            .args(extra)
            .env_remove("SA_CA_CERT"))
    };
    let (ok, _, stderr) = install(&[]);
    assert!(!ok);
    assert!(
        !stderr.contains("answered HTTP"),
        "without --ca-cert the gallery's certificate is not trusted:\n{stderr}"
    );
    let ca = certs.ca.display().to_string();
    let (ok, _, stderr) = install(&["--ca-cert", &ca]);
    assert!(!ok, "nothing is published, so the install fails");
    assert!(
        stderr.contains("the gallery answered HTTP 4"),
        "with --ca-cert the gallery is reached over HTTPS:\n{stderr}"
    );
}

/// --rate-limit-per-second 1 with a burst of 3: the fourth quick request of a device is refused
/// with 429 and Retry-After; another device still gets through. Also: --insecure-http serves
/// plain HTTP on loopback, without HSTS, and without --frame-ancestors nobody may frame.
#[test]
fn serve_assistant_applies_its_rate_limit_options() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = gallery_keys();
    let mut args = gallery_args(dir.path(), "127.0.0.1:0", &keys);
    args.push("--insecure-http".into());
    let gallery = start(
        &args,
        &[],
        "App Gallery on",
        &dir.path().join("gallery.log"),
    );
    assert!(
        gallery.url.starts_with("http://127.0.0.1:"),
        "{}",
        gallery.url
    );

    let mut args = assistant_args(dir.path(), "127.0.0.1:0", &gallery.url, &keys);
    args.extend([
        "--insecure-http".into(),
        "--rate-limit-per-second".into(),
        "1".into(),
        "--rate-limit-burst".into(),
        "3".into(),
    ]);
    let served = start(
        &args,
        &[],
        "assistant: App API on",
        &dir.path().join("assistant.log"),
    );
    assert!(
        served.url.starts_with("http://127.0.0.1:"),
        "{}",
        served.url
    );
    let (status, headers) = curl(&[], &format!("{}/healthz", served.url));
    assert_eq!(status, 200);
    assert!(!headers.contains("strict-transport-security"), "{headers}");
    assert!(
        headers.contains("frame-ancestors 'none'") && headers.contains("x-frame-options: deny"),
        "{headers}"
    );

    let url = format!("{}/api/v1/incidents", served.url);
    let ask = |token: &str| curl(&["-H", &format!("Authorization: Bearer {token}")], &url);
    let device = credential(&keys, "XRX0000000001");
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..8 {
        let (status, headers) = ask(&device);
        statuses.push(status);
        if status == 429 {
            limited = Some(headers);
            break;
        }
    }
    let headers = limited.unwrap_or_else(|| panic!("no 429 after the burst: {statuses:?}"));
    assert!(
        statuses.len() >= 4 && statuses.len() <= 5,
        "the burst of 3 (plus at most one refill) passes, then 429: {statuses:?}"
    );
    assert!(headers.contains("retry-after: 1"), "{headers}");
    assert!(
        headers.contains("content-type: application/problem+json"),
        "{headers}"
    );
    let (status, _) = ask(&credential(&keys, "XRX0000000002"));
    assert_ne!(status, 429, "another device has its own bucket");
}

/// Without a certificate and without --insecure-http every `serve` refuses to start, and
/// --insecure-http is refused on a non-loopback address.
#[test]
fn serve_refuses_plain_http_unless_asked_for_on_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = gallery_keys();
    let commands = [
        ("manager", manager_args(dir.path(), "127.0.0.1:0")),
        ("gallery", gallery_args(dir.path(), "127.0.0.1:0", &keys)),
        (
            "assistant",
            assistant_args(dir.path(), "127.0.0.1:0", "http://127.0.0.1:9", &keys),
        ),
    ];
    for (name, args) in commands {
        let (ok, _, stderr) = run(bin().args(&args).env_remove("SA_TLS_CERT"));
        assert!(!ok, "serve {name} without a certificate must not start");
        assert!(
            stderr.contains("--tls-cert") && stderr.contains("--insecure-http"),
            "serve {name}: the message says what to give:\n{stderr}"
        );

        let wildcard: Vec<String> = args
            .iter()
            .map(|a| {
                if a == "127.0.0.1:0" {
                    "0.0.0.0:0".to_string()
                } else {
                    a.clone()
                }
            })
            .chain(["--insecure-http".to_string()])
            .collect();
        let (ok, _, stderr) = run(bin().args(&wildcard));
        assert!(
            !ok,
            "serve {name} --insecure-http on 0.0.0.0 must not start"
        );
        assert!(
            stderr.contains("only allowed on a loopback address") && stderr.contains("0.0.0.0"),
            "serve {name}:\n{stderr}"
        );
    }
}

/// The demo given a certificate serves the manager, the gallery and the assistant over HTTPS
/// only, and says so.
#[test]
fn demo_with_a_certificate_serves_https_for_every_service() {
    let certs = certs();
    let dir = tempfile::tempdir().expect("tempdir");
    let base = free_base_port();
    let mut args: Vec<String> = vec![
        "demo".into(),
        "--base-port".into(),
        base.to_string(),
        "--snmp-base-port".into(),
        (base + 50).to_string(),
        "--data-dir".into(),
        dir.path().join("data").display().to_string(),
        "--ca-cert".into(),
        certs.ca.display().to_string(),
    ];
    args.extend(certs.args());
    let no_weblet = dir.path().join("no-weblet").display().to_string();
    let demo = start(
        &args,
        &[("SA_WEBLET_DIR", no_weblet.as_str())],
        "Support Assistant demo is running",
        &dir.path().join("demo.log"),
    );
    let mut printed = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !printed.contains("Press Ctrl-C") && Instant::now() < deadline {
        if let Ok(line) = demo.stdout.recv_timeout(Duration::from_secs(1)) {
            printed.push_str(&line);
            printed.push('\n');
        }
    }
    assert!(printed.contains("HTTPS only"), "{printed}");
    for (what, port) in [
        ("demo manager", base),
        ("demo gallery", base + 1),
        ("demo assistant", base + 2),
    ] {
        assert!(
            printed.contains(&format!("https://localhost:{port}")),
            "{what} printed with its https URL:\n{printed}"
        );
        assert_https_only(what, port, &certs.ca);
    }
}
