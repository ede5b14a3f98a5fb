//! The common service issues a person can pick at the panel, localised.

use platform::i18n::Locale;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CommonIssue {
    pub code: &'static str,
    pub label: String,
}

/// The codes and their order are the shared ones (`proto::issues`); the console reads the same
/// catalogue labels.
use proto::issues::CODES;

/// The list in `language` (one of the five; anything else gets English).
pub fn common_issues(language: &str) -> Vec<CommonIssue> {
    let l = Locale::negotiate(Some(language), None);
    CODES
        .iter()
        .map(|code| CommonIssue {
            code,
            label: l.t(&format!("issue-{code}")),
        })
        .collect()
}

/// The label of `code`, if it is one of the common issues.
pub fn label(code: &str, language: &str) -> Option<String> {
    CODES
        .contains(&code)
        .then(|| Locale::negotiate(Some(language), None).t(&format!("issue-{code}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_issue_has_a_label_in_each_language_else_english() {
        assert_eq!(common_issues("en").len(), 7);
        assert_eq!(label("paper_jam", "de").as_deref(), Some("Papierstau"));
        assert_eq!(label("no_power", "fr").as_deref(), Some("Ne s’allume pas"));
        assert_eq!(
            label("no_power", "pt").as_deref(),
            Some("Will not power on")
        );
        assert_eq!(label("coffee", "en"), None);
    }
}
