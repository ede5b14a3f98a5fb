//! Tests of the `support-assistant` binary against real peers: net-snmp's tools against our agent,
//! our reader against snmpsim, and the errors a person sees.

mod agent_options;
mod console_login;
mod crash;
mod demo_fleet;
mod demo_gallery;
mod demo_urls;
mod device_read;
mod environment;
mod gallery_install;
mod manager_admin;
mod manager_notify;
mod net_snmp;
mod option_effects;
mod options;
mod outbox;
mod serve_https;
mod snmpsim;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: `SA_BIN` (scripts/test.sh sets it), else the one cargo built.
pub fn bin() -> Command {
    match std::env::var_os("SA_BIN") {
        Some(path) => Command::new(path),
        None => Command::new(env!("CARGO_BIN_EXE_support-assistant")),
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn shared_recordings() -> PathBuf {
    root().join("../shared/printers/recordings")
}

/// A block of ports for `demo --base-port B --snmp-base-port B+50`: TCP B..B+13 (manager,
/// gallery, assistant, a spare for a second service, the device panels) and UDP B+50..B+53 (the
/// devices' SNMP agents), all free when checked. Blocks lie in 10 000–32 700, below Linux's
/// ephemeral range (32 768–60 999), so no client connection of a parallel test can take one of
/// them between this check and the demo's bind; each process starts at its own block.
pub fn free_base_port() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let seed = (std::process::id() ^ nanos) as u16;
    for attempt in 0..200u16 {
        let base = 10_000 + (seed.wrapping_add(attempt.wrapping_mul(37)) % 227) * 100;
        let tcp_free =
            (0..13).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        let udp_free =
            (0..3).all(|i| std::net::UdpSocket::bind(("127.0.0.1", base + 50 + i)).is_ok());
        if tcp_free && udp_free {
            return base;
        }
    }
    panic!("no free block of ports below 32 768");
}

/// A child process killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `device serve` on ephemeral ports and returns it with its SNMP address.
pub fn serve_device(recording: &std::path::Path, extra: &[&str]) -> (Running, String) {
    let data = tempfile::tempdir().expect("tempdir").keep();
    let mut child = bin()
        .args([
            "device",
            "serve",
            "--snmp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--admin-password",
            "test-admin-pw",
        ])
        .arg("--recording")
        .arg(recording)
        .arg("--data-dir")
        .arg(&data)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("device serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("udp://").nth(1) {
            let addr = rest.split_whitespace().next().expect("address").to_string();
            // Keep draining stdout so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (running, addr);
        }
    }
    panic!("device serve did not print its SNMP address");
}

/// Runs a command and returns (exit success, stdout, stderr).
pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (scripts/install-test-deps.sh installs the tools)")
    });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
