//! The partner console: server-rendered HTML pages that work without JavaScript.
//! Sessions are opaque random tokens in an HttpOnly, SameSite=Strict cookie (Secure on TLS),
//! stored hashed; every form carries a CSRF token; every query is scoped to the user's partner.
//!
//! One module per page (`login`, `incidents`, `incident`, `device_list`, `devices`, `users`); this module holds
//! the router, the error type (mapped once to a response), the session extractor and the
//! cookie helpers the pages share. Page modules use only this module, never each other.
//!
//! Language: every console route runs inside [`localized`], which picks the browser's language
//! from `Accept-Language` (`platform::i18n::Locale::from_accept_language`: q-values honoured,
//! English when none of ours is named) and holds it for the request ([`lang`]); pages take their
//! texts from `console.ftl`, dates and numbers from the locale. Error pages, which axum renders
//! from a bare `ConsoleError`, read it the same way. CSV downloads stay English (see `csv`).

pub mod csv;
mod device_list;
mod devices;
mod incident;
mod incidents;
pub mod login;
pub mod svg;
mod users;

use crate::app::AppState;
use crate::auth::{constant_time_eq, token_hash};
use crate::storage::{Role, StoreError, User};
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use platform::i18n::{Args, Locale, t_args};

tokio::task_local! {
    /// The language of the console request being answered (set by [`localized`]).
    static LANG: Locale;
}

/// The language of the current console request; English outside one (tests, background jobs).
pub fn lang() -> Locale {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// Runs every route of `router` in the language the browser asks for, and says which one the
/// answer is in (`Content-Language`, `Vary: Accept-Language`, RFC 9110 §8.5 and §12.5.5).
pub fn localized(router: Router<AppState>) -> Router<AppState> {
    router.layer(axum::middleware::from_fn(with_language))
}

async fn with_language(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let locale = req
        .headers()
        .get_all(axum::http::header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let locale = Locale::from_accept_language(&locale);
    let mut res = LANG.scope(locale, next.run(req)).await;
    res.headers_mut().insert(
        axum::http::header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.code()),
    );
    res.headers_mut().append(
        axum::http::header::VARY,
        HeaderValue::from_static("accept-language"),
    );
    res
}

pub const SESSION_COOKIE: &str = "sa_session";
pub const LOGIN_CSRF_COOKIE: &str = "sa_login_csrf";

pub fn routes() -> Router<AppState> {
    localized(
        Router::new()
            .route(
                "/console",
                get(|| async { Redirect::to("/console/incidents") }),
            )
            .merge(login::routes())
            .merge(incidents::routes())
            .merge(incident::routes())
            .merge(device_list::routes())
            .merge(devices::routes())
            .merge(users::routes()),
    )
}

/// Errors of the console, each mapped once to a status and an HTML page (its text from
/// `console.ftl` in the request's language; `BadRequest` carries text already translated).
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("please log in")]
    LoginRequired,
    #[error("the form has expired; reload the page and try again")]
    Csrf,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(w) => ConsoleError::NotFound(w),
            other => ConsoleError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for ConsoleError {
    fn from(e: askama::Error) -> Self {
        ConsoleError::Internal(e.to_string())
    }
}

#[derive(Template)]
#[template(path = "console_message.html")]
struct MessagePage {
    l: Locale,
    user_email: Option<String>,
    csrf: String,
    title: String,
    message: String,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = match &self {
            ConsoleError::LoginRequired => return Redirect::to("/console/login").into_response(),
            ConsoleError::Csrf | ConsoleError::Forbidden => StatusCode::FORBIDDEN,
            ConsoleError::NotFound(_) => StatusCode::NOT_FOUND,
            ConsoleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Internal(msg) => {
                tracing::error!(error = %msg, "console request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let l = lang();
        let title = match status {
            StatusCode::BAD_REQUEST => "console-title-bad-request",
            StatusCode::FORBIDDEN => "console-title-forbidden",
            StatusCode::NOT_FOUND => "console-title-not-found",
            _ => "console-title-error",
        };
        let page = MessagePage {
            l,
            user_email: None,
            csrf: String::new(),
            title: l.t(title),
            message: self.message(l),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.to_string()).into_response(),
        }
    }
}

impl ConsoleError {
    /// What the person reads, in `l`.
    pub fn message(&self, l: Locale) -> String {
        match self {
            ConsoleError::LoginRequired => l.t("console-login-title"),
            ConsoleError::Csrf => l.t("console-error-csrf"),
            ConsoleError::Forbidden => l.t("console-error-forbidden"),
            ConsoleError::NotFound(what) => l.t1("console-error-not-found", "what", what),
            ConsoleError::BadRequest(text) => text.clone(),
            ConsoleError::Internal(_) => l.t("console-error-internal"),
        }
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    platform::cookies::get(headers, name)
}

fn set_cookie(
    name: &str,
    value: &str,
    max_age: i64,
    secure: bool,
) -> Result<HeaderValue, ConsoleError> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| ConsoleError::Internal(e.to_string()))
}

/// The logged-in user of a console request.
pub struct ConsoleUser {
    pub user: User,
    pub csrf: String,
    token_hash: String,
}

impl ConsoleUser {
    fn check_csrf(&self, sent: &str) -> Result<(), ConsoleError> {
        if constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }
    fn require_admin(&self) -> Result<(), ConsoleError> {
        match self.user.role {
            Role::PartnerAdmin => Ok(()),
            Role::Technician => Err(ConsoleError::Forbidden),
        }
    }
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = ConsoleError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ConsoleError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(ConsoleError::LoginRequired)?;
        let hash = token_hash(&token);
        let session = st
            .store
            .find_session(&hash)
            .await?
            .ok_or(ConsoleError::LoginRequired)?;
        Ok(ConsoleUser {
            user: session.user,
            csrf: session.csrf_token,
            token_hash: hash,
        })
    }
}

/// The human label of an issue code in `l` ("Paper jam" for `paper_jam`): the panel's catalogue
/// label; a code outside the list is shown as sent.
fn issue_label(code: &str, l: Locale) -> String {
    if proto::issues::is_common(code) {
        l.t(&format!("issue-{code}"))
    } else {
        code.to_string()
    }
}

/// A time as the request's language writes it (`7 Mar 2026, 09:05 UTC`, `07.03.2026, 09:05 UTC`).
/// Table cells holding one are `nowrap`.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    lang().date_time_utc(t)
}

/// An incident's kind in `l` (`service`, `supply`; whether it was automatic is its badge).
pub fn kind_label(k: crate::domain::IncidentKind, l: Locale) -> String {
    l.t(match k {
        crate::domain::IncidentKind::Service => "console-kind-service",
        crate::domain::IncidentKind::Supply => "console-kind-supply",
    })
}

/// An incident status in `l` (the panel's words for it).
pub fn status_label(s: crate::domain::IncidentStatus, l: Locale) -> String {
    l.t(&format!("panel-status-{}", s.as_str()))
}

/// An incident in a few words for a list, in `l`: its supplies, or its issue and description
/// (80 characters).
fn incident_summary(i: &crate::storage::Incident, l: Locale) -> String {
    let text = if i.kind == crate::domain::IncidentKind::Supply {
        i.supplies
            .iter()
            .map(|s| s.description.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        let label = i.issue_code.as_deref().map(|c| issue_label(c, l));
        match (label, i.description.is_empty()) {
            (Some(label), true) => label,
            (Some(label), false) => t_args(
                l,
                "issue-with-description",
                &Args::new()
                    .text("issue", label)
                    .text("description", i.description.clone()),
            ),
            (None, _) => i.description.clone(),
        }
    };
    let mut s: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_is_secure_only_when_configured() {
        let plain = set_cookie(SESSION_COOKIE, "t", 60, false).unwrap();
        let secure = set_cookie(SESSION_COOKIE, "t", 60, true).unwrap();
        let plain = plain.to_str().unwrap();
        let secure = secure.to_str().unwrap();
        assert!(
            plain.contains("HttpOnly")
                && plain.contains("SameSite=Strict")
                && !plain.contains("Secure")
        );
        assert!(secure.ends_with("; Secure") && secure.contains("HttpOnly"));
    }
}
