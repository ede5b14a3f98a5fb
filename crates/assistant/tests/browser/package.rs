//! The weblet as the gallery packages it: small, and nothing kept in the browser.

use std::io::Read as _;

use crate::harness::weblet_package;

#[test]
fn the_weblet_is_at_most_60_kb_and_keeps_nothing_in_the_browser() {
    let package = weblet_package("http://127.0.0.1:1");
    assert_eq!(package.manifest.app_id.to_string(), "support-assistant");
    assert_eq!(package.manifest.entry, "index.html");
    assert!(!package.manifest.icons.is_empty());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&package.bytes)).expect("zip");
    let mut total = 0usize;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let name = entry.name().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).expect("read");
        total += content.len();
        let text = String::from_utf8_lossy(&content);
        let code = name.ends_with(".js") || name.ends_with(".html");
        for forbidden in [
            "localStorage",
            "sessionStorage",
            "document.cookie",
            "indexedDB",
        ] {
            assert!(
                !(code && text.contains(forbidden)),
                "{name} uses {forbidden}"
            );
        }
        if name.ends_with(".html") {
            for tag in text.match_indices("<script").map(|(i, _)| &text[i..]) {
                let end = tag.find('>').expect("tag end");
                assert!(tag[..end].contains(" src="), "{name}: inline script");
            }
        }
    }
    assert!(total <= 60 * 1024, "the weblet is {total} bytes");
}

/// The weblet reads only what a real device answers (../shared/eip/README.md): none of the element
/// names the emulator once invented, and it sends the vendor library's envelopes and header.
#[test]
fn the_weblet_uses_no_element_name_only_the_emulator_had() {
    let app = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../weblet/app.js"),
    )
    .expect("weblet/app.js");
    for invented in [
        "isAdministrator",
        "serialNumber",
        "macAddress",
        "userType",
        "firmwareVersion",
    ] {
        assert!(!app.contains(invented), "app.js reads {invented}");
    }
    for fact in [
        "http://schemas.xmlsoap.org/soap/envelope/",
        "http://www.w3.org/2003/05/soap-envelope",
        "'SOAPAction': '\"\"'",
        "xeSystemAdministrator".to_ascii_lowercase().as_str(),
        "canvasSize",
        "getElementsByTagNameNS('*'",
    ] {
        assert!(app.contains(fact), "app.js lacks {fact}");
    }
}
