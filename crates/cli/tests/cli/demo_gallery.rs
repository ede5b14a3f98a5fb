//! The App Gallery line the demo prints: its URL answers 200 in a browser with the list of the
//! demo's devices when given the printed key (HTTP Basic, any user name), 401 without it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Running, bin, free_base_port};

/// `curl` with HTTP Basic: (status, body).
pub(crate) fn get(url: &str, basic: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"]);
    if let Some(credentials) = basic {
        cmd.args(["-u", credentials]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("curl is installed (scripts/install-test-deps.sh)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_string())
}

/// Starts `support-assistant demo` in `dir` (with the weblet when `weblet`) and returns it with
/// what it printed up to "Press Ctrl-C" (bounded by 90 s).
pub(crate) fn start_demo(dir: &std::path::Path, weblet: bool) -> (Running, String) {
    let base = free_base_port();
    let mut cmd = bin();
    cmd.args(["demo", "--base-port", &base.to_string()])
        .args(["--snmp-base-port", &(base + 50).to_string()])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if !weblet {
        cmd.env("SA_WEBLET_DIR", dir.join("no-weblet"));
    }
    let mut child = cmd.spawn().expect("the demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !printed.contains("Press Ctrl-C") && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) {
            printed.push_str(&line);
            printed.push('\n');
        }
    }
    (running, printed)
}

#[test]
fn the_demos_printed_gallery_url_answers_200_with_the_device_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_running, printed) = start_demo(dir.path(), false);
    let line = printed
        .lines()
        .find(|l| l.contains("App Gallery"))
        .unwrap_or_else(|| panic!("the demo prints the App Gallery line:\n{printed}"));
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .expect("a URL on the line");
    let key = line
        .split_whitespace()
        .find(|w| w.starts_with("sag_"))
        .unwrap_or_else(|| panic!("the gallery API key on the line: {line}"));
    assert!(url.ends_with("/admin"), "{line}");

    let (status, _) = get(url, None);
    assert_eq!(status, 401, "the index asks for the key");
    let (status, page) = get(url, Some(&format!("admin:{key}")));
    assert_eq!(status, 200, "{page}");
    let panels = printed
        .lines()
        .filter(|l| l.contains("device panel"))
        .count();
    assert!(panels > 0, "the demo prints its devices:\n{printed}");
    let links = page.matches("href=\"/admin/devices/").count();
    assert_eq!(
        links, panels,
        "the index links every device the demo runs:\n{page}"
    );
}
