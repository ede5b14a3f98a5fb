//! The common service issues a person can pick at the panel, localised.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CommonIssue {
    pub code: &'static str,
    pub label: &'static str,
}

/// (code, English, German)
const ISSUES: &[(&str, &str, &str)] = &[
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

/// The list in `language` ("en" or "de"; anything else falls back to English).
pub fn common_issues(language: &str) -> Vec<CommonIssue> {
    ISSUES
        .iter()
        .map(|(code, en, de)| CommonIssue {
            code,
            label: if language.starts_with("de") { de } else { en },
        })
        .collect()
}

/// The label of `code`, if it is one of the common issues.
pub fn label(code: &str, language: &str) -> Option<&'static str> {
    common_issues(language)
        .into_iter()
        .find(|i| i.code == code)
        .map(|i| i.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_issue_has_both_languages() {
        assert_eq!(common_issues("en").len(), 7);
        assert_eq!(label("paper_jam", "de"), Some("Papierstau"));
        assert_eq!(label("no_power", "fr"), Some("Will not power on"));
        assert_eq!(label("coffee", "en"), None);
    }
}
