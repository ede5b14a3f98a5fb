//! One incident: its details, its history and the status change form.

use super::{ConsoleError, ConsoleUser, fmt_time, issue_label, lang, status_label};
use crate::app::AppState;
use crate::domain::{FreeText, IncidentNumber, IncidentStatus};
use crate::storage::StoreError;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use platform::i18n::{Args, Locale, t_args};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/incidents/{number}", get(incident_page))
        .route("/console/incidents/{number}/status", post(change_status))
}

#[derive(Template)]
#[template(path = "console_incident.html")]
struct IncidentPage {
    l: Locale,
    user_email: Option<String>,
    csrf: String,
    error: Option<String>,
    number: String,
    kind: String,
    source: crate::fleet::console::SourceBadge,
    status: String,
    serial: String,
    customer: String,
    created: String,
    issue_code: Option<String>,
    description: String,
    contact: Option<(String, String, Option<String>)>,
    supplies: Vec<(String, String, String, String)>,
    history: Vec<(String, String, String, String)>,
    /// (value, label) of each status it may change to.
    next: Vec<(&'static str, String)>,
}

fn parse_number(s: &str) -> Result<IncidentNumber, ConsoleError> {
    IncidentNumber::parse(s).map_err(|_| ConsoleError::NotFound("incident"))
}

async fn render_incident(
    st: &AppState,
    user: &ConsoleUser,
    number: &IncidentNumber,
    error: Option<String>,
) -> Result<Html<String>, ConsoleError> {
    let partner = user.user.partner_id;
    let i = st
        .store
        .get_incident(partner, number)
        .await?
        .ok_or(ConsoleError::NotFound("incident"))?;
    let history = st.store.incident_history(partner, number).await?;
    let l = lang();
    let html = IncidentPage {
        l,
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        error,
        number: i.number.to_string(),
        kind: super::kind_label(i.kind, l),
        source: crate::fleet::console::source_badge(&i, l),
        status: status_label(i.status, l),
        serial: i.device_serial.to_string(),
        customer: i.customer_name.clone(),
        created: fmt_time(i.created_at),
        issue_code: i.issue_code.as_deref().map(|c| issue_label(c, l)),
        description: i.description.clone(),
        contact: i.contact.as_ref().map(|c| {
            (
                c.name.expose().to_string(),
                c.email.expose().to_string(),
                c.phone.as_ref().map(|p| p.expose().to_string()),
            )
        }),
        supplies: i
            .supplies
            .iter()
            .map(|s| {
                (
                    s.description.clone(),
                    s.part_number.clone().unwrap_or_default(),
                    s.colorant
                        .as_deref()
                        .map(|c| platform::i18n::colorant_name(l, c))
                        .unwrap_or_default(),
                    s.level_percent
                        .map(|p| l.percent(u32::from(p)))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        history: history
            .iter()
            .map(|h| {
                let change = match h.from {
                    Some(f) => format!("{} → {}", status_label(f, l), status_label(h.to, l)),
                    None => l.t1("console-history-created", "status", &status_label(h.to, l)),
                };
                (fmt_time(h.at), h.actor.clone(), change, h.comment.clone())
            })
            .collect(),
        next: i
            .status
            .next()
            .iter()
            .map(|s| (s.as_str(), status_label(*s, l)))
            .collect(),
    }
    .render()?;
    Ok(Html(html))
}

async fn incident_page(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(number): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let number = parse_number(&number)?;
    render_incident(&st, &user, &number, None).await
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    status: String,
    #[serde(default)]
    comment: String,
}

async fn change_status(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(number): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, ConsoleError> {
    user.check_csrf(&form.csrf)?;
    let number = parse_number(&number)?;
    let l = lang();
    let status = IncidentStatus::parse(&form.status)
        .map_err(|_| ConsoleError::BadRequest(l.t("console-error-status-value")));
    let comment = FreeText::parse(&form.comment).map_err(|e| {
        ConsoleError::BadRequest(l.t1("console-error-comment", "reason", &e.to_string()))
    });
    let (status, comment) = match (status, comment) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(ConsoleError::BadRequest(e)), _) | (_, Err(ConsoleError::BadRequest(e))) => {
            let page = render_incident(&st, &user, &number, Some(e)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    match st
        .store
        .change_status(
            user.user.partner_id,
            &number,
            status,
            &user.user.email,
            comment.as_str(),
        )
        .await
    {
        Ok(i) => {
            crate::fleet::notify::incident_changed(
                &*st.store,
                crate::fleet::notify::events::INCIDENT_STATUS_CHANGED,
                &i,
                st.clock.now(),
            )
            .await;
            Ok(Redirect::to(&format!("/console/incidents/{number}")).into_response())
        }
        Err(e @ (StoreError::InvalidTransition { .. } | StoreError::Conflict(_))) => {
            let message = match e {
                StoreError::InvalidTransition { from, to } => t_args(
                    l,
                    "console-error-transition",
                    &Args::new()
                        .text("from", status_label(from, l))
                        .text("to", status_label(to, l)),
                ),
                _ => l.t("console-error-changed-meanwhile"),
            };
            let page = render_incident(&st, &user, &number, Some(message)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
