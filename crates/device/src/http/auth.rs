//! The device administrator: password (argon2id), the panel login with one server-side session,
//! its idle timeout, and a limit on failed password checks (panel form and HTTP Basic alike).
//!
//! A device has one panel, so it has at most one administrator session: logging in again replaces
//! it. The browser holds only a random token in an `HttpOnly; SameSite=Strict` cookie; the device
//! keeps the token's SHA-256. The Session SOAP service reports the administrator while that session
//! is active, whoever asks (as on a device, where apps on the panel share the panel's session).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use super::panel::{esc, html, page};

/// The administrator's user name (the panel asks only for the password).
pub const ADMIN_USER: &str = "admin";
/// The cookie that carries the panel session token.
pub const SESSION_COOKIE: &str = "sa_device_session";
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Password hashing cost. `Default` is argon2's recommended cost; tests may use `Cheap`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PasswordCost {
    #[default]
    Default,
    Cheap,
}

#[derive(Debug, thiserror::Error)]
#[error("could not hash the administrator password: {0}")]
pub struct PasswordHashError(String);

/// Hashes a password to an argon2id PHC string with a random salt.
pub fn hash_password(password: &str, cost: PasswordCost) -> Result<String, PasswordHashError> {
    let argon = match cost {
        PasswordCost::Default => Argon2::default(),
        PasswordCost::Cheap => Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).map_err(|e| PasswordHashError(e.to_string()))?,
        ),
    };
    argon
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordHashError(e.to_string()))
}

/// True when `password` matches the PHC string (the cost parameters come from the string).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

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

/// Failed password checks in the last minute; beyond the limit, checks are refused unanswered.
#[derive(Debug)]
pub struct LoginLimiter {
    max_per_minute: u32,
    failures: Mutex<VecDeque<Instant>>,
}

impl LoginLimiter {
    pub fn new(max_per_minute: u32) -> Self {
        Self {
            max_per_minute,
            failures: Mutex::new(VecDeque::new()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut VecDeque<Instant>) -> R) -> R {
        f(&mut self.failures.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// `Err(wait)` when the limit is reached.
    pub fn check(&self, now: Instant) -> Result<(), Duration> {
        self.with(|q| {
            while q
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= RATE_WINDOW)
            {
                q.pop_front();
            }
            if q.len() >= self.max_per_minute as usize {
                let oldest = q.front().copied().unwrap_or(now);
                Err(RATE_WINDOW.saturating_sub(now.saturating_duration_since(oldest)))
            } else {
                Ok(())
            }
        })
    }

    pub fn record_failure(&self, now: Instant) {
        self.with(|q| q.push_back(now));
    }
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
    if let Err(wait) = state.limiter.check(clock.now()) {
        return Err(AdminCheck::Limited { retry_after: wait });
    }
    let phc = state.config.admin_password_hash.clone();
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        state.limiter.record_failure(clock.now());
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
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// True when the request carries the live administrator session (and keeps it alive).
pub(crate) fn is_admin_request(state: &AppState, headers: &HeaderMap) -> bool {
    session_token(headers).is_some_and(|t| {
        state.sessions.touch(
            &t,
            state.config.clock.now(),
            state.config.session_idle_timeout,
        )
    })
}

fn login_form(message: Option<&str>) -> String {
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(m)))
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
            let token = state.sessions.start(state.config.clock.now());
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
    fn password_hash_verifies_only_the_right_password() -> Result<(), PasswordHashError> {
        let h = hash_password("correct horse", PasswordCost::Cheap)?;
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        Ok(())
    }

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

    #[test]
    fn limiter_refuses_after_the_limit_until_the_minute_passes() {
        let l = LoginLimiter::new(2);
        let t0 = Instant::now();
        assert!(l.check(t0).is_ok());
        l.record_failure(t0);
        l.record_failure(t0 + Duration::from_secs(10));
        assert_eq!(
            l.check(t0 + Duration::from_secs(20)),
            Err(Duration::from_secs(40))
        );
        assert!(l.check(t0 + Duration::from_secs(60)).is_ok());
    }
}
