//! The rule of shared/printers/CONTRACT.md for comparing a reader's output with an expected result:
//! for every supply and meter listed in the expected result, the same index carries the same values
//! (extra meters are fine). Used by the tests of every reader path.

use serde_json::Value as Json;

/// Checks `actual` (our report as JSON) against `expected` by the contract's rule; returns the differences.
pub fn differences(expected: &Json, actual: &Json) -> Vec<String> {
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
