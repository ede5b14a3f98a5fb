//! The partner console: server-rendered HTML pages that work without JavaScript.
//! Sessions are opaque random tokens in an HttpOnly, SameSite=Strict cookie (Secure on TLS),
//! stored hashed; every form carries a CSRF token; every query is scoped to the user's partner.
//!
//! One module per page (`login`, `incidents`, `incident`, `device_list`, `devices`, `users`); this module holds
//! the router, the error type (mapped once to a response), the session extractor and the
//! cookie helpers the pages share. Page modules use only this module, never each other.

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

pub const SESSION_COOKIE: &str = "sa_session";
pub const LOGIN_CSRF_COOKIE: &str = "sa_login_csrf";

pub fn routes() -> Router<AppState> {
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
        .merge(users::routes())
}

/// Errors of the console, each mapped once to a status and an HTML page.
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
        let page = MessagePage {
            user_email: None,
            csrf: String::new(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            message: self.to_string(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.to_string()).into_response(),
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

/// The human label of an issue code ("Paper jam" for `paper_jam`): the panel's catalogue label
/// (the console is English until it is translated); a code outside the list is shown as sent.
fn issue_label(code: &str) -> String {
    if proto::issues::is_common(code) {
        platform::i18n::Locale::negotiate(Some("en"), None).t(&format!("issue-{code}"))
    } else {
        code.to_string()
    }
}

/// An incident in a few words for a list: its supplies, or its issue and description (80 characters).
fn incident_summary(i: &crate::storage::Incident) -> String {
    let text = if i.kind == crate::domain::IncidentKind::Supply {
        i.supplies
            .iter()
            .map(|s| s.description.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        let label = i.issue_code.as_deref().map(issue_label);
        match (label, i.description.is_empty()) {
            (Some(label), true) => label,
            (Some(label), false) => format!("{label}: {}", i.description),
            (None, _) => i.description.clone(),
        }
    };
    let mut s: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        s.push('…');
    }
    s
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
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
