//! `gallery install` with every option, against `serve gallery` and `device serve` processes:
//! `--tenant` registers the device under that partner, `--auto-update` opts it in, `--version`
//! installs an older release than the latest, `--app-id` names the app; and `gallery api-key
//! --admin --label`, `gallery publish --dry-run --out`, `serve gallery` with `SA_GALLERY_SEAL_KEYS`,
//! `device serve --data-dir`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use gallery::seal::SealingKeyring;
use serde_json::Value;

use crate::{Running, bin, root, run};

const SERIAL: &str = "XRX9C934E4A7B21";

/// Starts `ARGS` and returns it with the first `http://` URL printed on a line with `marker`.
fn start(args: &[&str], envs: &[(&str, &str)], marker: &str) -> (Running, String) {
    let mut cmd = bin();
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.contains(marker)
            && let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://"))
        {
            let url = url.to_string();
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (running, url);
        }
    }
    panic!("{args:?} did not print {marker:?}");
}

/// A copy of the repository's weblet with another version.
fn weblet(dir: &Path, version: &str) -> String {
    let to = dir.join(format!("weblet-{version}"));
    let (ok, _, err) = run(std::process::Command::new("cp")
        .arg("-r")
        .arg(root().join("weblet"))
        .arg(&to));
    assert!(ok, "{err}");
    let manifest = to.join("manifest.json");
    let mut json: Value =
        serde_json::from_slice(&std::fs::read(&manifest).expect("manifest")).expect("JSON");
    json["version"] = Value::String(version.into());
    std::fs::write(&manifest, serde_json::to_vec(&json).expect("JSON")).expect("write");
    to.display().to_string()
}

/// The key printed by `gallery api-key …`.
fn api_key(args: &[&str], database: &str) -> String {
    let (ok, out, err) = run(bin()
        .args(["gallery", "api-key"])
        .args(args)
        .args(["--database", database]));
    assert!(ok, "{err}");
    out.split_whitespace()
        .find(|w| w.starts_with("sag_"))
        .expect("a key")
        .to_string()
}

/// `curl` with a bearer key: (status, body).
fn get(url: &str, key: &str) -> (u16, String) {
    let (_, text, err) = run(std::process::Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(["-H", &format!("Authorization: Bearer {key}")])
        .arg(url));
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), format!("{body}{err}"))
}

#[test]
fn gallery_install_options_choose_the_app_version_and_tenant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("gallery.db");
    let database = format!("sqlite:{}", db_path.display());
    for version in ["1.0.0", "1.1.0"] {
        let (ok, out, err) = run(bin()
            .args(["gallery", "publish", &weblet(dir.path(), version)])
            .args(["--database", &database]));
        assert!(ok && out.contains(version), "{out}{err}");
    }
    // --dry-run --out: the package is written, the version is not added (checked below).
    let out_file = dir.path().join("dry.weblet");
    let (ok, out, err) = run(bin()
        .args([
            "gallery",
            "publish",
            &weblet(dir.path(), "2.0.0"),
            "--dry-run",
            "--out",
        ])
        .arg(&out_file)
        .args(["--database", &database]));
    assert!(
        ok && out.starts_with("built") && !out.contains("published"),
        "{out}{err}"
    );
    let package = std::fs::read(&out_file).expect("--out wrote the package");
    assert!(package.starts_with(b"PK"), "a zip");
    let admin = api_key(&["--admin", "--label", "release bot"], &database);
    let partner_a = api_key(&["--partner", "partner-a"], &database);
    let partner_b = api_key(&["--partner", "partner-b"], &database);
    let (ok, labels, err) = run(std::process::Command::new("sqlite3")
        .arg(&db_path)
        .arg("SELECT label FROM api_keys ORDER BY label"));
    assert!(
        ok,
        "sqlite3 (scripts/install-test-deps.sh installs it): {err}"
    );
    assert!(labels.lines().any(|l| l == "release bot"), "{labels}");

    let sealing = SealingKeyring::generate("optcfg").expect("keys");
    let spec = sealing.to_spec();
    let (_gallery, gallery) = start(
        &[
            "serve",
            "gallery",
            "--insecure-http",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &database,
        ],
        &[("SA_GALLERY_SEAL_KEYS", &spec)],
        "App Gallery on",
    );
    let device_data = dir.path().join("device-data");
    let recording = root().join("fixtures/xerox-altalink-c8055-meters.snmprec");
    let (_device, device) = start(
        &[
            "device",
            "serve",
            "--snmp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--recording",
            &recording.display().to_string(),
            "--data-dir",
            &device_data.display().to_string(),
        ],
        &[("SA_DEVICE_ADMIN_PASSWORD", "device-pw-from-env")],
        "panel and web services on",
    );

    let install = |extra: &[&str]| {
        run(bin()
            .args([
                "gallery", "install", "--device", &device, "--serial", SERIAL,
            ])
            .args(["--gallery", &gallery, "--api-key", &admin])
            .args(extra)
            .env("SA_DEVICE_ADMIN_PASSWORD", "device-pw-from-env"))
    };
    // --app-id: an app nobody published is not installed.
    let (ok, _, err) = install(&["--tenant", "partner-a", "--app-id", "no-such-app"]);
    assert!(!ok && err.contains("no-such-app"), "{err}");
    let (ok, out, err) = install(&[
        "--tenant",
        "partner-a",
        "--auto-update",
        "--app-id",
        "support-assistant",
        "--version",
        "1.0.0",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("installed support-assistant 1.0.0 on {SERIAL}")),
        "{out}"
    );

    // --version: the device has 1.0.0 although 1.1.0 is the latest.
    let (status, apps) = crate::demo_gallery::get(&format!("{device}/api/apps"), None);
    assert_eq!(status, 200, "{apps}");
    assert!(
        apps.contains("\"1.0.0\"") && !apps.contains("1.1.0"),
        "{apps}"
    );
    // --data-dir of the device: the app is kept there.
    assert!(
        std::fs::read_dir(&device_data)
            .expect("device data")
            .next()
            .is_some(),
        "installed apps are kept in --data-dir"
    );
    // The device's sealed configuration opens with the keys given in SA_GALLERY_SEAL_KEYS.
    let (status, kept) =
        crate::demo_gallery::get(&format!("{device}/api/apps/support-assistant/config"), None);
    assert_eq!(status, 200, "{kept}");
    let kept: Value = serde_json::from_str(&kept).expect("JSON");
    platform::sealed_config::open(&sealing, kept["sealed_config"].as_str().expect("sealed"))
        .expect("sealed with the gallery's --seal-keys");

    // --auto-update: the device is told to install 1.1.0 by itself.
    let (status, updates) = get(&format!("{gallery}/api/devices/{SERIAL}/updates"), &admin);
    assert_eq!(status, 200, "{updates}");
    let updates: Value = serde_json::from_str(&updates).expect("JSON");
    assert_eq!(updates[0]["update"]["action"], "auto_update", "{updates}");
    assert_eq!(updates[0]["update"]["version"], "1.1.0", "{updates}");

    let (status, versions) = get(
        &format!("{gallery}/api/apps/support-assistant/versions"),
        &admin,
    );
    assert_eq!(status, 200, "{versions}");
    assert!(
        versions.contains("1.1.0") && !versions.contains("2.0.0"),
        "--dry-run added nothing: {versions}"
    );

    // --tenant: the device is partner-a's, not partner-b's.
    let configuration = format!("{gallery}/api/devices/{SERIAL}/configuration");
    assert_eq!(get(&configuration, &partner_a).0, 200);
    let (status, body) = get(&configuration, &partner_b);
    assert!(status == 403 || status == 404, "{status}: {body}");
}
