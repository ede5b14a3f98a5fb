//! One incident: its details, its history and the status change form.

use super::{ConsoleError, ConsoleUser, fmt_time, issue_label};
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
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/incidents/{number}", get(incident_page))
        .route("/console/incidents/{number}/status", post(change_status))
}

#[derive(Template)]
#[template(path = "console_incident.html")]
struct IncidentPage {
    user_email: Option<String>,
    csrf: String,
    error: Option<String>,
    number: String,
    kind: &'static str,
    source: crate::fleet::console::SourceBadge,
    status: &'static str,
    serial: String,
    customer: String,
    created: String,
    issue_code: Option<String>,
    description: String,
    contact: Option<(String, String, Option<String>)>,
    supplies: Vec<(String, String, String, String)>,
    history: Vec<(String, String, String, String)>,
    next: Vec<&'static str>,
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
    let html = IncidentPage {
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        error,
        number: i.number.to_string(),
        kind: i.kind.as_str(),
        source: crate::fleet::console::source_badge(&i),
        status: i.status.as_str(),
        serial: i.device_serial.to_string(),
        customer: i.customer_name.clone(),
        created: fmt_time(i.created_at),
        issue_code: i.issue_code.as_deref().map(issue_label),
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
                    s.colorant.clone().unwrap_or_default(),
                    s.level_percent.map(|l| format!("{l}%")).unwrap_or_default(),
                )
            })
            .collect(),
        history: history
            .iter()
            .map(|h| {
                let change = match h.from {
                    Some(f) => format!("{f} → {}", h.to),
                    None => format!("created ({})", h.to),
                };
                (fmt_time(h.at), h.actor.clone(), change, h.comment.clone())
            })
            .collect(),
        next: i.status.next().iter().map(IncidentStatus::as_str).collect(),
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
    let status = IncidentStatus::parse(&form.status)
        .map_err(|e| ConsoleError::BadRequest(format!("status: {e}")));
    let comment = FreeText::parse(&form.comment)
        .map_err(|e| ConsoleError::BadRequest(format!("comment: {e}")));
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
            let page = render_incident(&st, &user, &number, Some(e.to_string())).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
