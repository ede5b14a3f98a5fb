//! The common service issues a person can pick at the panel, localised.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CommonIssue {
    pub code: &'static str,
    pub label: &'static str,
}

/// The table lives in `proto` so the partner console shows the same labels.
use proto::issues::ISSUES;

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
