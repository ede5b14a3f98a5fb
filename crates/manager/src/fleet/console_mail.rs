//! The console's e-mail notification page (`/console/notifications`): the partner's notification
//! addresses (partner admins add and remove them) and the last notification e-mails with their
//! state. The same rules as `/api/v1/notification-emails` (`mail::CreateRecipientRequest`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use platform::i18n::{Args, Locale, t_args};
use serde::Deserialize;
use uuid::Uuid;

use super::mail::{CreateRecipientRequest, MAX_RECIPIENTS};
use super::notify::events;
use crate::app::AppState;
use crate::auth::constant_time_eq;
use crate::console::{ConsoleError, ConsoleUser, lang};
use crate::storage::Role;

/// In the browser's language (`console.ftl`), like every console page.
pub fn routes() -> Router<AppState> {
    crate::console::localized(
        Router::new()
            .route("/console/notifications", get(page).post(add))
            .route("/console/notifications/{id}/delete", post(remove)),
    )
}

struct RecipientRow {
    id: Uuid,
    address: String,
    language: String,
    events: String,
}

struct MailRow {
    created: String,
    event: String,
    attempts: u32,
    state: String,
    error: String,
}

#[derive(Template)]
#[template(path = "console_notifications.html")]
struct NotificationsPage {
    l: Locale,
    user_email: Option<String>,
    csrf: String,
    is_admin: bool,
    error: Option<String>,
    recipients: Vec<RecipientRow>,
    languages: Vec<(&'static str, &'static str)>,
    event_types: Vec<&'static str>,
    mails: Vec<MailRow>,
}

async fn render(
    st: &AppState,
    user: &ConsoleUser,
    error: Option<String>,
) -> Result<Html<String>, ConsoleError> {
    let p = user.user.partner_id;
    let recipients = st
        .store
        .list_recipients(p)
        .await?
        .into_iter()
        .map(|r| RecipientRow {
            id: r.id,
            address: r.address,
            language: r.language,
            events: if r.events.is_empty() {
                lang().t("console-notif-all")
            } else {
                r.events.join(", ")
            },
        })
        .collect();
    let mails = st
        .store
        .list_mail(p, 20)
        .await?
        .into_iter()
        .map(|m| MailRow {
            created: crate::console::fmt_time(m.created_at),
            event: m.event_type,
            attempts: m.attempts,
            state: platform::i18n::lookup(lang(), &format!("console-outbox-state-{}", m.state))
                .unwrap_or(m.state),
            error: m.last_error.unwrap_or_default(),
        })
        .collect();
    let page = NotificationsPage {
        l: lang(),
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        is_admin: user.user.role == Role::PartnerAdmin,
        error,
        recipients,
        languages: Locale::ALL
            .into_iter()
            .map(|l| (l.code(), l.endonym()))
            .collect(),
        event_types: events::ALL.to_vec(),
        mails,
    };
    Ok(Html(
        page.render()
            .map_err(|e| ConsoleError::Internal(e.to_string()))?,
    ))
}

fn check(user: &ConsoleUser, csrf: &str) -> Result<(), ConsoleError> {
    if !constant_time_eq(csrf.as_bytes(), user.csrf.as_bytes()) {
        return Err(ConsoleError::Csrf);
    }
    if user.user.role != Role::PartnerAdmin {
        return Err(ConsoleError::Forbidden);
    }
    Ok(())
}

async fn page(State(st): State<AppState>, user: ConsoleUser) -> Result<Html<String>, ConsoleError> {
    render(&st, &user, None).await
}

async fn add(
    State(st): State<AppState>,
    user: ConsoleUser,
    body: axum::body::Bytes,
) -> Result<Response, ConsoleError> {
    let mut csrf = String::new();
    let mut req = CreateRecipientRequest {
        address: String::new(),
        language: None,
        events: Vec::new(),
    };
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "address" => req.address = v.into_owned(),
            "language" => req.language = Some(v.into_owned()),
            "events" => req.events.push(v.into_owned()),
            _ => {}
        }
    }
    check(&user, &csrf)?;
    let p = user.user.partner_id;
    let refused = |detail: String| async {
        let page = render(&st, &user, Some(detail)).await?;
        Ok::<Response, ConsoleError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let (address, language, evs) = match req.validate() {
        Ok(v) => v,
        Err(problems) => {
            // The API's details are English; the page names the field's problem in its language.
            let l = lang();
            let detail = problems
                .iter()
                .map(|p| match p.field.as_str() {
                    "address" => l.t("console-notif-bad-address"),
                    "language" => l.t("console-notif-bad-language"),
                    _ => l.t("console-notif-bad-events"),
                })
                .collect::<Vec<_>>()
                .join("; ");
            return refused(detail).await;
        }
    };
    if st.store.list_recipients(p).await?.len() >= MAX_RECIPIENTS {
        let max = i64::try_from(MAX_RECIPIENTS).unwrap_or(i64::MAX);
        return refused(t_args(
            lang(),
            "console-notif-too-many",
            &Args::new().number("max", max),
        ))
        .await;
    }
    st.store
        .create_recipient(p, &address, language.code(), &evs)
        .await?;
    Ok(Redirect::to("/console/notifications").into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn remove(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ConsoleError> {
    check(&user, &form.csrf)?;
    st.store.delete_recipient(user.user.partner_id, id).await?;
    Ok(Redirect::to("/console/notifications").into_response())
}
