//! The login page, login (password check under the login limit) and logout.

use super::{ConsoleError, ConsoleUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use crate::app::AppState;
use crate::auth::{constant_time_eq, random_token, token_hash, verify_password};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
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
    let keys = [format!("email:{email}"), format!("ip:{}", peer.ip())];
    let now = st.clock.now();
    if st.login_limiter.is_blocked(&keys, now) {
        let mut res = login_response(
            StatusCode::TOO_MANY_REQUESTS,
            email,
            Some("Too many failed attempts. Wait a few minutes and try again.".into()),
            secure,
        )?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("300"));
        return Ok(res);
    }
    let user = st.store.find_user_by_email(&email).await?;
    let password = secrecy::SecretString::from(form.password);
    // Unknown e-mails cost a verification too, so timing does not tell which users exist.
    let (hash, known) = match &user {
        Some(u) => (u.password_hash.clone(), true),
        None => (dummy_hash(st.config.password_cost), false),
    };
    let pw = password.clone();
    let verified = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let ok = known && verified;
    let Some(user) = user.filter(|_| ok) else {
        st.login_limiter.record_failure(&keys, now);
        return login_response(
            StatusCode::UNAUTHORIZED,
            email,
            Some("Wrong e-mail or password.".into()),
            secure,
        );
    };
    st.login_limiter.clear(&keys[0]);
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
