//! Every recording in ../shared/printers/recordings, read and interpreted, matches expected/ for every
//! field listed there (CONTRACT.md: extra meters are fine).

use printer::contract::differences;
use printer::{interpret, snmprec};
use serde_json::Value as Json;

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
        let diffs = differences(&expected, &actual);
        assert!(diffs.is_empty(), "{stem}:\n{}", diffs.join("\n"));
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} recordings found");
}
