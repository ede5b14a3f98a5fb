//! RFC 9457 problem details (`application/problem+json`), the one error body of every
//! service.
//!
//! One `type` convention: an absolute URI `https://support-assistant.dev/problems/{slug}`
//! ([`TYPE_BASE`] + a slug in kebab case such as `validation` or `rate-limited`); `title` is
//! the status's reason phrase unless a service has words for a person; `detail` says what
//! happened in words. Validation problems list every wrong field in `errors` and name the
//! first in `field`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of a problem details body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where every problem `type` URI starts; a slug follows.
pub const TYPE_BASE: &str = "https://support-assistant.dev/problems/";

/// One wrong field in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// Path of the field, e.g. `contact.email` or `meters[0].value`.
    pub field: String,
    pub detail: String,
}

impl FieldProblem {
    pub fn new(field: &str, detail: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            detail: detail.into(),
        }
    }
}

/// RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `https://support-assistant.dev/problems/{slug}`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The first (or only) wrong field, if the problem is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every wrong field, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl Problem {
    /// A problem of kind `slug` (the last part of its type URI) with `title`.
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            type_: type_uri(slug),
            title: title.to_string(),
            status,
            detail: detail.into(),
            field: None,
            errors: Vec::new(),
        }
    }

    /// A validation problem (422) listing every wrong field.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.detail))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            field: errors.first().map(|e| e.field.clone()),
            errors,
            ..Self::new(422, "validation", "Unprocessable Entity", detail)
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The slug of `type`, when it follows the convention.
    pub fn slug(&self) -> Option<&str> {
        self.type_.strip_prefix(TYPE_BASE)
    }
}

/// `TYPE_BASE` + `slug`.
pub fn type_uri(slug: &str) -> String {
    format!("{TYPE_BASE}{slug}")
}

/// Collects field problems while parsing a request, so every refusal names its field.
#[derive(Debug, Default)]
pub struct Fields(pub Vec<FieldProblem>);

impl Fields {
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldProblem::new(field, e.to_string()));
                None
            }
        }
    }
    pub fn push(&mut self, field: &str, detail: impl Into<String>) {
        self.0.push(FieldProblem::new(field, detail));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `value` when no field was wrong, else every problem.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldProblem>> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_follow_the_one_type_convention_and_omit_empty_fields() {
        let p = Problem::new(404, "not-found", "Not Found", "incident not found");
        assert_eq!(p.type_, "https://support-assistant.dev/problems/not-found");
        assert_eq!(p.slug(), Some("not-found"));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["type"], p.type_);
        assert!(json.get("errors").is_none() && json.get("field").is_none());
    }

    #[test]
    fn validation_names_the_first_field_and_lists_all() {
        let p = Problem::validation(vec![
            FieldProblem::new("a", "bad"),
            FieldProblem::new("b", "worse"),
        ]);
        assert_eq!(p.status, 422);
        assert_eq!(p.field.as_deref(), Some("a"));
        assert_eq!(p.detail, "a: bad; b: worse");
        assert_eq!(p.errors.len(), 2);
    }
}
