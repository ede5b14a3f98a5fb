//! `device read` against our own agent: output and the errors a person can act on.

use crate::{bin, root, run, serve_device};

#[test]
fn json_and_table_of_the_xerox_fixture() {
    let (_dev, addr) = serve_device(
        &root().join("fixtures/xerox-altalink-c8055-meters.snmprec"),
        &[],
    );
    let (ok, out, err) = run(bin().args(["device", "read", "--json", "--target", &addr]));
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["identity"]["serial"], "XRX9C934E4A7B21");
    assert_eq!(json["supplies"].as_array().map(Vec::len), Some(12));
    assert_eq!(json["supplies"][2]["status"], "low");
    assert!(
        json["meters"]
            .as_array()
            .expect("meters")
            .iter()
            .any(|m| m["id"] == "color-impressions" && m["value"] == 103_456)
    );
    let (ok, table, _) = run(bin().args(["device", "read", "--target", &addr]));
    assert!(ok);
    assert!(
        table.contains("Magenta Toner")
            && table.contains("Low")
            && table.contains("[#..................."),
        "{table}"
    );
    assert!(
        table.contains("Color impressions") && table.contains("103456"),
        "{table}"
    );
}

#[test]
fn no_answer_says_what_to_check_and_fails() {
    let (_dev, addr) = serve_device(
        &root().join("fixtures/xerox-altalink-c8055-meters.snmprec"),
        &[],
    );
    let (ok, _, err) = run(bin().args([
        "device",
        "read",
        "--community",
        "wrong",
        "--timeout-ms",
        "200",
        "--retries",
        "0",
        "--target",
        &addr,
    ]));
    assert!(!ok);
    assert!(
        err.contains(&format!("no answer from {addr} within 200 ms (is the device on, and is the community string right?)")),
        "{err}"
    );
}

#[test]
fn an_agent_without_the_printer_mib_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("router.snmprec");
    std::fs::write(
        &rec,
        "1.3.6.1.2.1.1.1.0|4|Some router\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1\n",
    )
    .expect("write");
    let (_dev, addr) = serve_device(&rec, &[]);
    let (ok, _, err) = run(bin().args(["device", "read", "--target", &addr]));
    assert!(!ok);
    assert!(err.contains("has no Printer-MIB (RFC 3805)"), "{err}");
}

#[test]
fn a_bad_recording_line_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("bad.snmprec");
    std::fs::write(
        &rec,
        "1.3.6.1.2.1.1.1.0|4|ok\n1.3.6.1.2.1.1.3.0|67|yesterday\n",
    )
    .expect("write");
    let (ok, _, err) = run(bin()
        .args([
            "device",
            "serve",
            "--snmp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
            "--admin-password",
            "x",
            "--recording",
        ])
        .arg(&rec));
    assert!(!ok);
    assert!(
        err.contains("bad.snmprec:2: tag 67: \"yesterday\" is not TimeTicks"),
        "{err}"
    );
}
