//! The common service issues a person picks at the panel: their codes, in the order the panel
//! lists them. The human labels are `issue-<code>` in the language catalogues
//! (`crates/platform/locales/<lang>/panel.ftl`), which the panel (assistant) and the partner
//! console (manager) both read, so "Paper jam" reads the same on the printer and in the console.

/// The codes, in the order the panel lists them.
pub const CODES: &[&str] = &[
    "paper_jam",
    "print_quality",
    "error_code",
    "noise",
    "no_power",
    "scanner_fax",
    "other",
];

/// Whether `code` is one of the common issues.
pub fn is_common(code: &str) -> bool {
    CODES.contains(&code)
}
