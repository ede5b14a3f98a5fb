//! Our reader against an agent nobody here wrote: snmpsim serving each recording of
//! ../shared/printers/recordings; `device read --json` matches ../shared/printers/expected/.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Running, bin, run, shared_recordings};

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_snmpsim() -> (Running, String, tempfile::TempDir) {
    let cache = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = Command::new("snmpsim-command-responder");
    cmd.arg(format!("--data-dir={}", shared_recordings().display()))
        .arg(format!("--agent-udpv4-endpoint={addr}"))
        .arg(format!("--cache-dir={}", cache.path().display()))
        .arg("--logging-method=null")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // snmpsim refuses to run as root unless told which user to become; the Python it runs from may not
    // be readable by `nobody`, so it stays root (on loopback, in a test).
    if std::env::var("USER").as_deref() == Ok("root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"))
    {
        cmd.args(["--process-user=root", "--process-group=root"]);
    }
    let running = Running(
        cmd.spawn()
            .expect("snmpsim-command-responder (pip install snmpsim pysmi)"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let (ok, _, _) = run(Command::new("snmpget").args([
            "-v2c",
            "-c",
            "ricoh_mpc3002",
            "-t",
            "0.5",
            "-r",
            "0",
            &addr,
            "1.3.6.1.2.1.1.1.0",
        ]));
        if ok {
            return (running, addr, cache);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("snmpsim did not start on {addr}");
}

#[test]
fn device_read_matches_expected_for_every_shared_recording() {
    let (_sim, addr, _cache) = start_snmpsim();
    let expected_dir = shared_recordings().join("../expected");
    let mut checked = 0;
    for entry in std::fs::read_dir(shared_recordings()).expect("recordings") {
        let path = entry.expect("entry").path();
        let community = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let (ok, out, err) = run(bin().args([
            "device",
            "read",
            "--json",
            "--timeout-ms",
            "3000",
            "--target",
            &addr,
            "--community",
            &community,
        ]));
        assert!(ok, "{community}: {err}");
        let actual: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(expected_dir.join(format!("{community}.json")))
                .expect("expected"),
        )
        .expect("JSON");
        let diffs = printer::contract::differences(&expected, &actual);
        assert!(diffs.is_empty(), "{community}:\n{}", diffs.join("\n"));
        checked += 1;
    }
    assert_eq!(checked, 4);
}
