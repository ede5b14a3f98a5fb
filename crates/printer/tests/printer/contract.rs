//! Every recording in ../shared/printers/recordings, read and interpreted, matches expected/ for every
//! field listed there (CONTRACT.md: extra meters are fine).

use printer::{interpret, snmprec};
use serde_json::Value as Json;

/// Checks `actual` (our report as JSON) against `expected` by the contract's rule; returns the differences.
pub fn contract_differences(expected: &Json, actual: &Json) -> Vec<String> {
    let mut diffs = Vec::new();
    for field in ["model", "serial", "mac", "sys_descr", "sys_object_id"] {
        if expected["identity"][field] != actual["identity"][field] {
            diffs.push(format!(
                "identity.{field}: expected {} got {}",
                expected["identity"][field], actual["identity"][field]
            ));
        }
    }
    let empty = vec![];
    let ours = actual["supplies"].as_array().unwrap_or(&empty);
    for s in expected["supplies"].as_array().unwrap_or(&empty) {
        match ours.iter().find(|o| o["index"] == s["index"]) {
            None => diffs.push(format!("supply {} missing", s["index"])),
            Some(o) => {
                for (k, v) in s.as_object().into_iter().flatten() {
                    if &o[k] != v {
                        diffs.push(format!(
                            "supply {} {k}: expected {v} got {}",
                            s["index"], o[k]
                        ));
                    }
                }
            }
        }
    }
    let ours = actual["meters"].as_array().unwrap_or(&empty);
    for m in expected["meters"].as_array().unwrap_or(&empty) {
        match ours.iter().find(|o| o["id"] == m["id"]) {
            None => diffs.push(format!("meter {} missing", m["id"])),
            Some(o) if o != m => diffs.push(format!("meter {}: expected {m} got {o}", m["id"])),
            Some(_) => {}
        }
    }
    diffs
}

#[test]
fn every_shared_recording_interprets_as_expected() {
    let dir = crate::shared_printers();
    let mut checked = 0;
    for entry in
        std::fs::read_dir(dir.join("recordings")).expect("../shared/printers/recordings exists")
    {
        let path = entry.expect("dir entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name")
            .to_string();
        let expected: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected").join(format!("{stem}.json")))
                .expect("expected file"),
        )
        .expect("expected JSON");
        let varbinds = snmprec::read_file(&path).expect("recording parses");
        let actual = serde_json::to_value(interpret(&varbinds)).expect("report serializes");
        let diffs = contract_differences(&expected, &actual);
        assert!(diffs.is_empty(), "{stem}:\n{}", diffs.join("\n"));
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} recordings found");
}
