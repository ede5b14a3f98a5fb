//! Every URL `support-assistant demo` prints answers 200 in a browser: the device panels, the
//! partner console's login, the App Gallery's admin index (with the key printed on its line, as
//! HTTP Basic with any user name) and the App API's OpenAPI document.

use crate::demo_gallery::{get, start_demo};

#[test]
fn every_url_the_demo_prints_answers_200() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_running, printed) = start_demo(dir.path(), true);
    assert!(
        printed.contains("Press Ctrl-C"),
        "the demo started:\n{printed}"
    );
    let mut urls = 0;
    for line in printed.lines() {
        let Some(url) = line.split_whitespace().find(|w| w.starts_with("http")) else {
            continue;
        };
        let key = line.split_whitespace().find(|w| w.starts_with("sag_"));
        let basic = key.map(|k| format!("admin:{k}"));
        let (status, body) = get(url, basic.as_deref());
        assert_eq!(status, 200, "{line}\n{body}");
        urls += 1;
    }
    for what in ["device panel", "partner console", "App Gallery", "App API"] {
        assert!(
            printed.contains(what),
            "the demo prints its {what}:\n{printed}"
        );
    }
    assert!(
        urls >= 6,
        "three device panels and three services:\n{printed}"
    );
}
