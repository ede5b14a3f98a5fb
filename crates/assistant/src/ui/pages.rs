//! The pages: one askama template each (templates/ui/), the rows they show, and how an answer
//! becomes an HTML response.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::i18n::Locale;
use proto::AppConfiguration;
use proto::manager::IncidentView;

use crate::error::{FieldError, RuleError as ApiError};

/// What every page knows about whom it speaks to: Demo Mode, and the language (the app
/// configuration's, else the device's, else English; `platform::i18n`). Templates say
/// `{{ p.t("panel-send") }}`.
#[derive(Clone, Copy, Debug)]
pub struct Panel {
    pub demo: bool,
    pub lang: Locale,
}

impl Panel {
    /// The panel of a device in the language of its app configuration, else the device's own
    /// (also while the configuration cannot be opened), else English.
    pub fn new(device: &crate::service::DeviceContext, config: Option<&AppConfiguration>) -> Self {
        Self {
            demo: device.demo,
            lang: device.locale(config),
        }
    }
    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        self.lang.t1(id, name, value)
    }
}

/// Hidden form fields that carry the wizard's state from step to step.
pub type Hidden = Vec<(String, String)>;

/// An incident as the panel lists it (no contact details: the panel is shared).
pub struct IncidentRow {
    pub number: String,
    pub date: String,
    pub status: String,
    pub what: String,
    /// Raised by the partner's fleet policies (an automatic supply order, an incident from a
    /// printer alert) rather than reported by a person: the row says so (`source`).
    pub automatic: bool,
    /// "Ordered automatically" / "Reported by the printer"; empty for walk-up incidents.
    pub source: String,
}

impl IncidentRow {
    pub fn from_view(i: &IncidentView, lang: Locale) -> Self {
        let what = match &i.issue_code {
            Some(code) => {
                let label = crate::issues::label(code, lang.code()).unwrap_or_else(|| code.clone());
                if i.description.trim().is_empty() {
                    label
                } else {
                    platform::i18n::t_args(
                        lang,
                        "issue-with-description",
                        &platform::i18n::Args::new()
                            .text("issue", label)
                            .text("description", i.description.trim().to_string()),
                    )
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
        Self {
            number: i.number.clone(),
            date: lang.date(i.created_at.date_naive()),
            status: lang.t(&format!("panel-status-{}", i.status.as_str())),
            what: what.chars().take(120).collect(),
            automatic: i.source == proto::IncidentSource::Automatic,
            source: match (i.source, i.kind) {
                (proto::IncidentSource::Automatic, proto::IncidentKind::Supply) => {
                    lang.t("panel-source-automatic-order")
                }
                (proto::IncidentSource::Automatic, _) => lang.t("panel-source-automatic-alert"),
                (proto::IncidentSource::WalkUp, _) => String::new(),
            },
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

/// Field errors keyed by the form field they belong to, in words for a person.
#[derive(Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    /// Maps the App API's field names (`contact.email`, `supplies[0].description`) to the form's.
    /// In English the rule's own words make the sentence ("The e-mail address must contain
    /// '@'."); the rules speak English only, so other languages get the catalogue's sentence for
    /// the field (`errors.ftl`).
    pub fn from_fields(errors: &[FieldError], lang: Locale) -> Self {
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
            if lang != Locale::En {
                if !out.iter().any(|(f, _)| f == field) {
                    out.push((field.to_string(), translated(field, detail, lang)));
                }
                continue;
            }
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

/// The catalogue's sentence for a refused field.
fn translated(field: &str, detail: &str, lang: Locale) -> String {
    let max = |n: i64| platform::i18n::Args::new().number("max", n);
    match field {
        "name" => lang.t("error-name-required"),
        "email" => lang.t("error-email-invalid"),
        "phone" => lang.t("error-phone-invalid"),
        "issue_code" => lang.t("error-issue-required"),
        "description" if detail.contains("at most") => platform::i18n::t_args(
            lang,
            "error-description-too-long",
            &max(proto::FreeText::MAX as i64),
        ),
        "description" => lang.t1(
            "error-text-control-characters",
            "field",
            &lang.t("panel-description"),
        ),
        "supplies" if detail.contains("at most") => platform::i18n::t_args(
            lang,
            "error-supplies-too-many",
            &max(proto::manager::limits::MAX_SUPPLIES as i64),
        ),
        "supplies" => lang.t("error-supplies-none"),
        _ => lang.t("error-check-field"),
    }
}

#[derive(Template)]
#[template(path = "ui/error.html")]
pub struct ErrorPage {
    pub p: Panel,
    pub title: String,
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
pub fn error_page(p: Panel, e: &ApiError) -> Response {
    let title = match e {
        ApiError::Forbidden(_) => "panel-error-forbidden",
        ApiError::UnknownDevice(_) => "panel-error-unknown-device",
        ApiError::Unavailable(_) => "panel-error-unavailable",
        ApiError::Unauthorized(_) => "panel-error-unauthorized",
        ApiError::TooMany(_) => "panel-error-too-many",
        _ => "panel-error-other",
    };
    let hint = match e {
        ApiError::Unavailable(_) | ApiError::Internal(_) | ApiError::TooMany(_) => {
            Some("panel-hint-retry")
        }
        ApiError::Unauthorized(_) => Some("panel-hint-reinstall"),
        _ => None,
    };
    let message = match hint {
        Some(h) => format!("{} {}", e.detail_in(p.lang), p.t(h)),
        None => e.detail_in(p.lang),
    };
    html(
        e.status(),
        &ErrorPage {
            p,
            title: title.to_string(),
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_read_as_sentences_next_to_their_field() {
        let e = Errors::from_fields(
            &[
                FieldError::new("contact.email", "must contain '@'"),
                FieldError::new("issue_code", "pick one of the common issues"),
                FieldError::new("supplies[1].description", "1–200 characters"),
            ],
            Locale::En,
        );
        assert_eq!(e.get("email"), Some("The e-mail address must contain '@'."));
        assert_eq!(e.get("issue_code"), Some("Pick one of the common issues."));
        assert_eq!(e.get("supplies"), Some("1–200 characters."));
        assert!(e.only(&["name"]).is_empty());
    }

    #[test]
    fn field_errors_in_other_languages_come_from_the_catalogue() {
        let fields = [
            FieldError::new("contact.email", "must contain '@'"),
            FieldError::new("description", "must be at most 2000 characters"),
            FieldError::new("supplies", "Pick at least one supply"),
        ];
        let de = Errors::from_fields(&fields, Locale::De);
        assert_eq!(de.get("email"), Some("Die E-Mail-Adresse ist ungültig."));
        assert_eq!(
            de.get("description"),
            Some("Die Beschreibung darf höchstens 2.000 Zeichen lang sein.")
        );
        let es = Errors::from_fields(&fields, Locale::Es);
        assert_eq!(es.get("supplies"), Some("Elija al menos un consumible."));
    }
}
