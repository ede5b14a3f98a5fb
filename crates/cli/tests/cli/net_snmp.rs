//! Real clients against our agent: net-snmp's snmpget, snmpgetnext and snmpbulkwalk against
//! `device serve`. A walk returns the recording exactly, with max-repetitions 1, 10 and 50.

use std::path::{Path, PathBuf};

use printer::snmp::{Value, VarBind};

use crate::{root, run, serve_device, shared_recordings};

/// A recording with one value of every snmprec tag.
const EVERY_TAG: &str = "1.3.6.1.2.1.1.1.0|4|Every tag; with | pipes\n\
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.7\n\
1.3.6.1.2.1.1.3.0|67|4280423\n\
1.3.6.1.2.1.1.5.0|4|\n\
1.3.6.1.2.1.2.2.1.5.1|66|1000000000\n\
1.3.6.1.2.1.2.2.1.6.1|4x|9c934e4a7b21\n\
1.3.6.1.2.1.2.2.1.10.1|65|4294967295\n\
1.3.6.1.2.1.4.20.1.1.10.0.0.7|64|10.0.0.7\n\
1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n\
1.3.6.1.2.1.43.11.1.1.9.1.1|2|-3\n\
1.3.6.1.2.1.43.11.1.1.9.1.2|2|-2147483648\n";

/// What net-snmp prints for a value with `-On -Ot -Ox -Oe`.
fn net_snmp_text(v: &Value) -> String {
    match v {
        Value::Integer(n) => format!("INTEGER: {n}"),
        Value::OctetString(b) if b.is_empty() => "\"\"".into(),
        Value::OctetString(b) => format!(
            "Hex-STRING: {}",
            b.iter()
                .map(|x| format!("{x:02X}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Value::ObjectId(o) => format!("OID: .{o}"),
        Value::IpAddress(a) => format!("IpAddress: {}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        Value::Counter32(n) => format!("Counter32: {n}"),
        Value::Gauge32(n) => format!("Gauge32: {n}"),
        Value::TimeTicks(n) => n.to_string(), // -Ot prints bare ticks
        Value::Counter64(n) => format!("Counter64: {n}"),
        Value::Null => "NULL".into(),
        other => format!("{other:?}"),
    }
}

/// Parses `-On` output into (oid, value text), joining wrapped hex lines.
fn parse_output(out: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        if line.contains("No more variables left in this MIB View") {
            continue; // net-snmp's note that the walk reached endOfMibView, not a value
        }
        if line.starts_with('.') && line.contains(" = ") {
            let (oid, value) = line.split_once(" = ").unwrap_or_default();
            rows.push((
                oid.trim_start_matches('.').to_string(),
                value.trim().to_string(),
            ));
        } else if let Some(last) = rows.last_mut() {
            last.1 = format!("{} {}", last.1, line.trim());
        }
    }
    for r in &mut rows {
        r.1 = r.1.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    rows
}

fn expected_rows(varbinds: &[VarBind]) -> Vec<(String, String)> {
    varbinds
        .iter()
        .map(|vb| (vb.oid.to_string(), net_snmp_text(&vb.value)))
        .collect()
}

fn recordings() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared_recordings())
        .expect("../shared/printers/recordings")
        .chain(std::fs::read_dir(root().join("fixtures")).expect("fixtures"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    files
}

fn walk_matches_recording(recording: &Path) {
    let varbinds = printer::snmprec::read_file(recording).expect("recording");
    let expected = expected_rows(&varbinds);
    let (_dev, addr) = serve_device(recording, &[]);
    for reps in [1, 10, 50] {
        let (ok, out, err) = run(std::process::Command::new("snmpbulkwalk").args([
            "-v2c",
            "-c",
            "public",
            "-On",
            "-Ot",
            "-Ox",
            "-Oe",
            "-t",
            "3",
            "-r",
            "1",
            &format!("-Cr{reps}"),
            &addr,
            ".1",
        ]));
        assert!(
            ok,
            "snmpbulkwalk -Cr{reps} of {}: {err}",
            recording.display()
        );
        let got = parse_output(&out);
        assert_eq!(
            got.len(),
            expected.len(),
            "{} -Cr{reps}: count differs",
            recording.display()
        );
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, e, "{} -Cr{reps}", recording.display());
        }
    }
}

#[test]
fn snmpbulkwalk_returns_every_recording_exactly() {
    for rec in recordings() {
        walk_matches_recording(&rec);
    }
}

#[test]
fn snmpbulkwalk_returns_every_snmprec_tag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = dir.path().join("every-tag.snmprec");
    std::fs::write(&rec, EVERY_TAG).expect("write");
    walk_matches_recording(&rec);
}

#[test]
fn snmpget_and_snmpgetnext_answer_like_a_real_agent() {
    let (_dev, addr) = serve_device(
        &root().join("fixtures/xerox-altalink-c8055-meters.snmprec"),
        &[],
    );
    let (ok, out, err) = run(std::process::Command::new("snmpget").args([
        "-v2c",
        "-c",
        "public",
        "-On",
        "-t",
        "3",
        &addr,
        "1.3.6.1.2.1.43.5.1.1.17.1",
        "1.3.6.1.2.1.43.11.1.1.9.1.99",
        "1.3.6.1.2.1.99.1.0",
    ]));
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        ".1.3.6.1.2.1.43.5.1.1.17.1 = STRING: \"XRX9C934E4A7B21\""
    );
    assert_eq!(
        lines[1],
        ".1.3.6.1.2.1.43.11.1.1.9.1.99 = No Such Instance currently exists at this OID"
    );
    assert_eq!(
        lines[2],
        ".1.3.6.1.2.1.99.1.0 = No Such Object available on this agent at this OID"
    );
    let (ok, out, err) = run(std::process::Command::new("snmpgetnext").args([
        "-v2c",
        "-c",
        "public",
        "-On",
        "-t",
        "3",
        &addr,
        "1.3.6.1.2.1.43.11.1.1.9.1.9",
        "1.3.6.1.6",
    ]));
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], ".1.3.6.1.2.1.43.11.1.1.9.1.10 = INTEGER: 8",
        "9 < 10 by arc, not by text"
    );
    assert!(
        lines[1].contains("No more variables left in this MIB View"),
        "{}",
        lines[1]
    );
    let (ok, _, err) = run(std::process::Command::new("snmpget").args([
        "-v2c",
        "-c",
        "private",
        "-t",
        "0.3",
        "-r",
        "0",
        &addr,
        "1.3.6.1.2.1.1.1.0",
    ]));
    assert!(
        !ok && err.contains("Timeout"),
        "a wrong community gets no answer: {err}"
    );
}
