//! What the request wizards share: 1 data, 2 contact, 3 review with Send and Cancel. Each step is
//! a form whose hidden fields carry what the earlier steps collected; the button pressed is `op`
//! (`next`, `back`, `send`, `cancel`). Send goes through the same rules and outbox as the App API,
//! with the Idempotency-Key the weblet sends. The contact step, the review, Done and Cancelled
//! pages are here; each wizard is its own module (`service_request`, `supply_request`).

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use proto::AppConfiguration;

use super::forms::FormFields;
use super::pages::{Errors, Hidden, Panel, SupplyRow, html};
use crate::api::sealed_config;
use crate::app::AppState;
use crate::error::RuleError as ApiError;
use crate::rules::{Accepted, ContactInput};

pub(super) const CONTACT_FIELDS: &[&str] = &["name", "email", "phone"];

#[derive(Template)]
#[template(path = "ui/contact.html")]
pub struct ContactStep {
    pub p: Panel,
    pub action: &'static str,
    pub title: &'static str,
    pub hidden: Hidden,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub errors: Errors,
}

#[derive(Template)]
#[template(path = "ui/review.html")]
pub struct Review {
    pub p: Panel,
    pub action: &'static str,
    pub title: &'static str,
    pub rows: Vec<(&'static str, String)>,
    pub supplies: Vec<SupplyRow>,
    pub hidden: Hidden,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/done.html")]
pub struct Done {
    pub p: Panel,
    pub title: &'static str,
    pub number: Option<String>,
    pub reference: String,
    pub created: String,
    pub mail: bool,
    /// The help-desk override: the partner's help desk gives its own ticket number (by e-mail),
    /// so the incident number is not shown.
    pub help_desk: bool,
    /// The tab the request came from, where it is now listed: the page's way back.
    pub back: BackTo,
}

/// The tab a finished or cancelled request leads back to (its own: a supply request is listed
/// on Supplies, not on Services).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackTo {
    Services,
    Supplies,
    Meters,
}

impl BackTo {
    /// The weblet's name of the tab (`data-tab`).
    pub fn tab(self) -> &'static str {
        match self {
            Self::Services => "services",
            Self::Supplies => "supplies",
            Self::Meters => "meters",
        }
    }

    /// The catalogue's text of the button.
    pub fn label(self) -> &'static str {
        match self {
            Self::Services => "panel-back-to-services",
            Self::Supplies => "panel-back-to-supplies",
            Self::Meters => "panel-back-to-meters",
        }
    }
}

#[derive(Template)]
#[template(path = "ui/cancelled.html")]
pub struct Cancelled {
    pub p: Panel,
    pub back: BackTo,
}

pub(super) fn contact_of(f: &FormFields) -> ContactInput {
    ContactInput {
        name: f.get("name").to_string(),
        email: f.get("email").to_string(),
        phone: Some(f.get("phone").to_string()),
    }
}

pub(super) fn contact_hidden(c: &ContactInput) -> Hidden {
    vec![
        ("name".into(), c.name.clone()),
        ("email".into(), c.email.clone()),
        ("phone".into(), c.phone.clone().unwrap_or_default()),
    ]
}

/// The review's contact rows: (message id of the label, value).
pub(super) fn contact_rows(p: Panel, c: &ContactInput) -> Vec<(&'static str, String)> {
    vec![
        ("panel-name", c.name.trim().to_string()),
        ("panel-email", c.email.trim().to_string()),
        (
            "panel-phone",
            c.phone
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| p.t("panel-not-given")),
        ),
    ]
}

pub(super) fn invalid_fields(p: Panel, e: &ApiError) -> Option<Errors> {
    match e {
        ApiError::Invalid(fields) | ApiError::Conflicting(fields) => {
            Some(Errors::from_fields(fields, p.lang))
        }
        _ => None,
    }
}

pub(super) fn done(
    p: Panel,
    title: &'static str,
    a: &Accepted,
    mail: bool,
    help_desk: bool,
    back: BackTo,
) -> Response {
    html(
        if a.incident_number.is_some() {
            StatusCode::CREATED
        } else {
            StatusCode::ACCEPTED
        },
        &Done {
            p,
            title,
            number: a.incident_number.clone(),
            reference: a.reference.clone(),
            created: p.lang.date_time_utc(a.created_at),
            mail: mail && !p.demo,
            help_desk,
            back,
        },
    )
}

pub(super) fn cancelled(p: Panel, back: BackTo) -> Response {
    html(StatusCode::OK, &Cancelled { p, back })
}

pub(super) fn open(state: &AppState, headers: &HeaderMap) -> Result<AppConfiguration, ApiError> {
    state.services.open_config(sealed_config(headers))
}

pub(super) fn contact_step(
    p: Panel,
    action: &'static str,
    title: &'static str,
    hidden: Hidden,
    contact: &ContactInput,
    errors: Errors,
) -> Response {
    html(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &ContactStep {
            p,
            action,
            title,
            hidden,
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone().unwrap_or_default(),
            errors,
        },
    )
}

pub(super) fn not_sent(p: Panel, e: &ApiError) -> String {
    let retry = matches!(
        e,
        ApiError::Unavailable(_) | ApiError::Internal(_) | ApiError::TooMany(_)
    );
    let reason = if retry {
        format!("{} {}", e.detail_in(p.lang), p.t("panel-press-send-again"))
    } else {
        e.detail_in(p.lang)
    };
    p.t1("panel-not-sent", "reason", &reason)
}
