//! The pages: one askama template each (templates/ui/), the rows they show, and how an answer
//! becomes an HTML response.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::manager::IncidentView;

use crate::error::{FieldError, RuleError as ApiError};

/// Hidden form fields that carry the wizard's state from step to step.
pub type Hidden = Vec<(String, String)>;

/// An incident as the panel lists it (no contact details: the panel is shared).
pub struct IncidentRow {
    pub number: String,
    pub date: String,
    pub status: String,
    pub what: String,
}

impl IncidentRow {
    pub fn from_view(i: &IncidentView, language: &str) -> Self {
        let what = match &i.issue_code {
            Some(code) => {
                let label = crate::issues::label(code, language).unwrap_or(code.as_str());
                if i.description.trim().is_empty() {
                    label.to_string()
                } else {
                    format!("{label}: {}", i.description.trim())
                }
            }
            None if !i.supplies.is_empty() => i
                .supplies
                .iter()
                .map(|s| s.description.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            None => i.description.trim().to_string(),
        };
        let status = i.status.as_str().replace('_', " ");
        let mut chars = status.chars();
        let status = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        Self {
            number: i.number.clone(),
            date: i.created_at.format("%Y-%m-%d").to_string(),
            status,
            what: what.chars().take(120).collect(),
        }
    }
}

/// A supply as the panel shows it (and offers it to pick).
pub struct SupplyRow {
    pub index: String,
    pub description: String,
    pub part_number: String,
    pub level: String,
    pub status: String,
    pub low: bool,
    pub checked: bool,
}

/// A meter as the panel shows it.
pub struct MeterRow {
    pub name: String,
    pub value: String,
}

/// Groups digits by thousands for reading on a panel (123456 → 123,456).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Field errors keyed by the form field they belong to, in words for a person.
#[derive(Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    /// Maps the App API's field names (`contact.email`, `supplies[0].description`) to the form's.
    pub fn from_fields(errors: &[FieldError]) -> Self {
        let mut out: Vec<(String, String)> = Vec::new();
        for e in errors {
            let field = e.field.strip_prefix("contact.").unwrap_or(&e.field);
            let field = if field.starts_with("supplies") {
                "supplies"
            } else {
                field
            };
            let label = match field {
                "name" => "name",
                "email" => "e-mail address",
                "phone" => "phone number",
                "description" => "description",
                "issue_code" => "issue",
                "supplies" => "supplies",
                _ => field,
            };
            let detail = e.detail.trim().trim_end_matches('.');
            let starts_as_predicate = ["must", "has", "may", "is ", "contains"]
                .iter()
                .any(|p| detail.starts_with(p));
            let text = if starts_as_predicate {
                format!("The {label} {detail}.")
            } else {
                let mut c = detail.chars();
                match c.next() {
                    Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str()),
                    None => format!("Please check the {label}."),
                }
            };
            if !out.iter().any(|(f, _)| f == field) {
                out.push((field.to_string(), text));
            }
        }
        Self(out)
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, t)| t.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps only the errors of `fields`.
    pub fn only(self, fields: &[&str]) -> Self {
        Self(
            self.0
                .into_iter()
                .filter(|(f, _)| fields.contains(&f.as_str()))
                .collect(),
        )
    }
}

#[derive(Template)]
#[template(path = "ui/error.html")]
pub struct ErrorPage {
    pub demo: bool,
    pub title: &'static str,
    pub message: String,
}

/// Renders a page as an HTML fragment with `status`.
pub fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => {
            let mut res = (status, body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "a panel page could not be rendered");
            ApiError::Internal(e.to_string()).into_response()
        }
    }
}

/// An error as a page a person can act on, with the status the App API would answer.
pub fn error_page(demo: bool, e: &ApiError) -> Response {
    let title = match e {
        ApiError::Forbidden(_) => "Not available on this device",
        ApiError::UnknownDevice(_) => "This device is not registered with your service partner",
        ApiError::Unavailable(_) => "The service cannot be reached right now",
        ApiError::Unauthorized(_) => "This device is not signed in to the service",
        ApiError::TooMany(_) => "Too many requests",
        _ => "Something is not right",
    };
    let hint = match e {
        ApiError::Unavailable(_) | ApiError::Internal(_) | ApiError::TooMany(_) => {
            " Please try again in a moment."
        }
        ApiError::Unauthorized(_) => " Please ask your administrator to reinstall the app.",
        _ => "",
    };
    html(
        e.status(),
        &ErrorPage {
            demo,
            title,
            message: format!("{}{hint}", e.detail()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_read_as_sentences_next_to_their_field() {
        let e = Errors::from_fields(&[
            FieldError::new("contact.email", "must contain '@'"),
            FieldError::new("issue_code", "pick one of the common issues"),
            FieldError::new("supplies[1].description", "1–200 characters"),
        ]);
        assert_eq!(e.get("email"), Some("The e-mail address must contain '@'."));
        assert_eq!(e.get("issue_code"), Some("Pick one of the common issues."));
        assert_eq!(e.get("supplies"), Some("1–200 characters."));
        assert!(e.only(&["name"]).is_empty());
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
