//! The device administrator: password (argon2id), the panel login with one server-side session,
//! its idle timeout, and a limit on failed password checks (panel form and HTTP Basic alike).
//!
//! A device has one panel, so it has at most one administrator session: logging in again replaces
//! it. The browser holds only a random token in an `HttpOnly; SameSite=Strict` cookie; the device
//! keeps the token's SHA-256. The Session SOAP service reports the administrator while that session
//! is active, whoever asks (as on a device, where apps on the panel share the panel's session).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use platform::escape::html_escape;
use platform::limiter::LoginLimiter;
use platform::password::verify_password;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use super::panel::{html, page};

/// The administrator's user name (the panel asks only for the password).
pub const ADMIN_USER: &str = "admin";
/// The cookie that carries the panel session token.
pub const SESSION_COOKIE: &str = "sa_device_session";

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug)]
struct PanelSession {
    token_hash: [u8; 32],
    last_seen: Instant,
}

/// The panel's administrator session (at most one).
#[derive(Debug, Default)]
pub struct Sessions {
    current: Mutex<Option<PanelSession>>,
}

impl Sessions {
    fn with<R>(&self, f: impl FnOnce(&mut Option<PanelSession>) -> R) -> R {
        f(&mut self.current.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Starts a session (replacing any other) and returns its token.
    pub fn start(&self, now: Instant) -> String {
        let token = hex::encode(rand::random::<[u8; 32]>());
        let hash = token_hash(&token);
        self.with(|s| {
            *s = Some(PanelSession {
                token_hash: hash,
                last_seen: now,
            })
        });
        token
    }

    fn expire(s: &mut Option<PanelSession>, now: Instant, idle: Duration) {
        if s.as_ref()
            .is_some_and(|p| now.saturating_duration_since(p.last_seen) >= idle)
        {
            *s = None;
        }
    }

    /// True when `token` is the live session's; counts as activity.
    pub fn touch(&self, token: &str, now: Instant, idle: Duration) -> bool {
        let hash = token_hash(token);
        self.with(|s| {
            Self::expire(s, now, idle);
            match s {
                Some(p) if constant_time_eq(&p.token_hash, &hash) => {
                    p.last_seen = now;
                    true
                }
                _ => false,
            }
        })
    }

    /// True while an administrator session is active on the panel.
    pub fn admin_active(&self, now: Instant, idle: Duration) -> bool {
        self.with(|s| {
            Self::expire(s, now, idle);
            s.is_some()
        })
    }

    /// Ends the session if `token` is its token.
    pub fn end(&self, token: &str) {
        let hash = token_hash(token);
        self.with(|s| {
            if s.as_ref()
                .is_some_and(|p| constant_time_eq(&p.token_hash, &hash))
            {
                *s = None;
            }
        });
    }
}

/// The one key of the login limiter: a device has one administrator, and failed checks count
/// against it whatever the caller (panel form or HTTP Basic).
const LIMITER_KEY: &str = "admin";

/// Failed password checks in the last minute; beyond the limit, checks are refused unanswered.
pub(crate) fn login_limiter(max_per_minute: u32) -> LoginLimiter {
    LoginLimiter::new(max_per_minute, chrono::Duration::minutes(1))
}

/// Why an administrator password check did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminCheck {
    Wrong,
    Limited { retry_after: Duration },
}

/// Checks the administrator password under the rate limit (argon2 runs off the async threads).
pub(crate) async fn check_admin_password(
    state: &AppState,
    password: &str,
) -> Result<(), AdminCheck> {
    let clock = state.config.clock.clone();
    let key = [LIMITER_KEY.to_string()];
    if let Some(wait) = state.limiter.retry_after(&key, clock.now()) {
        return Err(AdminCheck::Limited {
            retry_after: wait.to_std().unwrap_or_default(),
        });
    }
    let phc = state.config.admin_password_hash.clone();
    let password = SecretString::from(password);
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        state.limiter.record_failure(&key, clock.now());
        Err(AdminCheck::Wrong)
    }
}

/// HTTP Basic `admin:<password>`, for the JSON API.
pub(crate) async fn require_admin_basic(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let password = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (user, password) = pair.split_once(':')?;
            (user == ADMIN_USER).then(|| password.to_owned())
        })
        .ok_or(ApiError::Unauthorized)?;
    match check_admin_password(state, &password).await {
        Ok(()) => Ok(()),
        Err(AdminCheck::Wrong) => Err(ApiError::Unauthorized),
        Err(AdminCheck::Limited { retry_after }) => Err(ApiError::TooManyAttempts {
            retry_after_secs: retry_after.as_secs().max(1),
        }),
    }
}

/// The session token from the request's cookies, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    platform::cookies::get(headers, SESSION_COOKIE)
}

/// True when the request carries the live administrator session (and keeps it alive).
pub(crate) fn is_admin_request(state: &AppState, headers: &HeaderMap) -> bool {
    session_token(headers).is_some_and(|t| {
        state.sessions.touch(
            &t,
            state.config.clock.instant(),
            state.config.session_idle_timeout,
        )
    })
}

fn login_form(message: Option<&str>) -> String {
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", html_escape(m)))
        .unwrap_or_default();
    page(
        "Administrator login",
        &format!(
            "<h1>Administrator login</h1>{message}\
             <form method=\"post\" action=\"/login\">\
             <p>User: <strong>{ADMIN_USER}</strong></p>\
             <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required autofocus></label>\
             <p><button type=\"submit\">Log in</button> <a href=\"/\">Cancel</a></p></form>"
        ),
    )
}

pub(crate) async fn login_page() -> Response {
    html(StatusCode::OK, login_form(None))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    password: String,
}

fn see_other(location: &'static str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, HeaderValue::from_static(location))],
    )
        .into_response()
}

pub(crate) async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    match check_admin_password(&state, &form.password).await {
        Ok(()) => {
            let token = state.sessions.start(state.config.clock.instant());
            let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            let mut response = see_other("/");
            match HeaderValue::from_str(&cookie) {
                Ok(v) => {
                    response.headers_mut().insert(header::SET_COOKIE, v);
                    response
                }
                Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "session cookie").into_response(),
            }
        }
        Err(AdminCheck::Wrong) => html(
            StatusCode::UNAUTHORIZED,
            login_form(Some("Wrong password.")),
        ),
        Err(AdminCheck::Limited { retry_after }) => {
            let secs = retry_after.as_secs().max(1);
            let mut response = html(
                StatusCode::TOO_MANY_REQUESTS,
                login_form(Some(&format!(
                    "Too many failed logins. Try again in {secs} seconds."
                ))),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            response
        }
    }
}

pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        state.sessions.end(&token);
    }
    let mut response = see_other("/");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "sa_device_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ends_after_idle_time_and_activity_keeps_it() {
        let s = Sessions::default();
        let t0 = Instant::now();
        let idle = Duration::from_secs(300);
        let token = s.start(t0);
        assert!(s.touch(&token, t0 + Duration::from_secs(299), idle));
        assert!(s.admin_active(t0 + Duration::from_secs(598), idle));
        assert!(!s.touch("other", t0 + Duration::from_secs(300), idle));
        assert!(!s.admin_active(t0 + Duration::from_secs(599), idle));
        assert!(!s.touch(&token, t0 + Duration::from_secs(600), idle));
    }
}
