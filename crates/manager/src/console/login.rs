//! The login page, login (password check under the login limit) and logout.
//!
//! The limit holds across instances and restarts: attempts are counted in the database
//! (`storage::login_attempts`) before the password is checked, and at most
//! `AppConfig::password_checks` checks run at once (argon2 costs ~19 MiB each).

use super::{
    ConsoleError, ConsoleUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, lang, set_cookie,
};
use crate::app::AppState;
use crate::auth::{constant_time_eq, random_token, token_hash, verify_password};
use crate::storage::LoginReservation;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use platform::i18n::Locale;
use serde::Deserialize;
use std::net::SocketAddr;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
}

#[derive(Template)]
#[template(path = "console_login.html")]
struct LoginPage {
    l: Locale,
    user_email: Option<String>,
    csrf: String,
    email: String,
    error: Option<String>,
}

fn login_response(
    status: StatusCode,
    email: String,
    error: Option<String>,
    secure: bool,
) -> Result<Response, ConsoleError> {
    let csrf = random_token();
    let html = LoginPage {
        l: lang(),
        user_email: None,
        csrf: csrf.clone(),
        email,
        error,
    }
    .render()?;
    let mut res = (status, Html(html)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, secure)?,
    );
    Ok(res)
}

async fn login_page(State(st): State<AppState>) -> Result<Response, ConsoleError> {
    login_response(
        StatusCode::OK,
        String::new(),
        None,
        st.config.secure_cookies,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// Password checks made (argon2 verifications), whatever their outcome.
pub const PASSWORD_CHECKS_TOTAL: &str = "manager_console_password_checks_total";
/// Logins answered 429 because every password check permit was taken.
pub const LOGINS_BUSY_TOTAL: &str = "manager_console_logins_busy_total";
/// Logins answered 429 because the account or the address used up its attempts.
pub const LOGINS_LOCKED_TOTAL: &str = "manager_console_logins_locked_total";

/// The database keys an attempt counts against: the account and the source address, hashed
/// (the attempts table holds no e-mail address).
struct AttemptKeys {
    account: String,
    address: String,
}

impl AttemptKeys {
    fn new(email: &str, peer: std::net::IpAddr) -> Self {
        Self {
            account: token_hash(&format!("account:{email}")),
            address: token_hash(&format!("address:{peer}")),
        }
    }
}

fn too_many(
    email: String,
    message: &str,
    retry_after: chrono::Duration,
    secure: bool,
) -> Result<Response, ConsoleError> {
    let mut res = login_response(
        StatusCode::TOO_MANY_REQUESTS,
        email,
        Some(message.to_string()),
        secure,
    )?;
    let secs = retry_after.num_seconds().max(1);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    Ok(res)
}

/// Login, in this order: CSRF; a password-check permit (none free: 429, nothing counted); the
/// attempt reserved in the database for the account and the address (either used up: 429 with
/// the time left, nothing counted); only then the password check, holding the permit until the
/// hash is done even if the client goes away. A success forgets the account's attempts and gives
/// the address its attempt back.
async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ConsoleError> {
    let secure = st.config.secure_cookies;
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(ConsoleError::Csrf);
    }
    let email = form.email.trim().to_lowercase();
    let Ok(permit) = st.password_checks.clone().try_acquire_owned() else {
        metrics::counter!(LOGINS_BUSY_TOTAL).increment(1);
        return too_many(
            email,
            &lang().t("console-login-busy"),
            chrono::Duration::seconds(1),
            secure,
        );
    };
    let keys = AttemptKeys::new(&email, peer.ip());
    let now = st.clock.now();
    let reservation = st
        .store
        .reserve_login_attempt(
            &[keys.account.clone(), keys.address.clone()],
            now,
            st.config.login_limit(),
        )
        .await?;
    if let LoginReservation::Blocked { retry_after } = reservation {
        metrics::counter!(LOGINS_LOCKED_TOTAL).increment(1);
        return too_many(
            email,
            &lang().t("console-login-locked"),
            retry_after,
            secure,
        );
    }
    let user = st.store.find_user_by_email(&email).await?;
    let password = secrecy::SecretString::from(form.password);
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let cost = st.config.password_cost;
    let verified = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        metrics::counter!(PASSWORD_CHECKS_TOTAL).increment(1);
        // Unknown e-mails cost a verification too, so timing does not tell which users exist.
        match stored {
            Some(hash) => verify_password(&password, &hash),
            None => {
                verify_password(&password, &dummy_hash(cost));
                false
            }
        }
    })
    .await
    .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|_| verified) else {
        return login_response(
            StatusCode::UNAUTHORIZED,
            email,
            Some(lang().t("console-login-wrong")),
            secure,
        );
    };
    st.store
        .settle_login_success(&keys.account, &keys.address)
        .await?;
    let token = random_token();
    let ttl = st.config.session_ttl;
    st.store
        .create_session(&token_hash(&token), user.id, &random_token(), now + ttl)
        .await?;
    let mut res = Redirect::to("/console/incidents").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, ttl.num_seconds(), secure)?,
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure)?,
    );
    Ok(res)
}

/// A hash of a random password at the configured cost, made once (on a blocking thread, under
/// a password-check permit).
fn dummy_hash(cost: crate::auth::PasswordCost) -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        crate::auth::hash_password(&secrecy::SecretString::from(random_token()), cost)
            .unwrap_or_default()
    })
    .clone()
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(st): State<AppState>,
    user: ConsoleUser,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ConsoleError> {
    user.check_csrf(&form.csrf)?;
    st.store.delete_session(&user.token_hash).await?;
    let mut res = Redirect::to("/console/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, st.config.secure_cookies)?,
    );
    Ok(res)
}

/// Deletes the attempt rows whose window has passed, every `every`, until the task is dropped
/// (the attempts table then holds at most the keys seen in one window).
pub async fn clean_login_attempts(
    store: std::sync::Arc<dyn crate::storage::Storage>,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    window: chrono::Duration,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = store.prune_login_attempts(clock.now() - window).await {
            tracing::warn!(error = %e, "cleaning login attempts failed");
        }
    }
}
