//! The common service issues a person picks at the panel and their human labels: one table that
//! the panel (assistant) and the partner console (manager) both read, so "Paper jam" reads the
//! same on the printer and in the console.

/// (code, English, German)
pub const ISSUES: &[(&str, &str, &str)] = &[
    ("paper_jam", "Paper jam", "Papierstau"),
    (
        "print_quality",
        "Print quality (streaks, faded, smudged)",
        "Druckqualität (Streifen, blass, verschmiert)",
    ),
    (
        "error_code",
        "Error code on the panel",
        "Fehlercode am Bedienfeld",
    ),
    ("noise", "Unusual noise", "Ungewöhnliches Geräusch"),
    (
        "no_power",
        "Will not power on",
        "Lässt sich nicht einschalten",
    ),
    (
        "scanner_fax",
        "Scanner or fax problem",
        "Problem mit Scanner oder Fax",
    ),
    ("other", "Other", "Sonstiges"),
];

/// The label of `code` in `language` ("de…" is German, anything else English), if it is one of
/// the common issues.
pub fn issue_label(code: &str, language: &str) -> Option<&'static str> {
    ISSUES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, en, de)| if language.starts_with("de") { *de } else { *en })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_labels_and_unknown_ones_none() {
        assert_eq!(issue_label("paper_jam", "en"), Some("Paper jam"));
        assert_eq!(issue_label("paper_jam", "de"), Some("Papierstau"));
        assert_eq!(issue_label("coffee", "en"), None);
    }
}
