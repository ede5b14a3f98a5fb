//! The partner console: server-rendered HTML pages that work without JavaScript.
//! Sessions are opaque random tokens in an HttpOnly, SameSite=Strict cookie (Secure on TLS),
//! stored hashed; every form carries a CSRF token; every query is scoped to the user's partner.

pub mod csv;
mod limiter;
pub mod svg;

pub use limiter::LoginLimiter;

use crate::app::AppState;
use crate::auth::{constant_time_eq, random_token, token_hash, verify_password};
use crate::domain::{DeviceSerial, FreeText, IncidentKind, IncidentNumber, IncidentStatus};
use crate::storage::{Incident, IncidentFilter, Role, StorageError, User};
use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "sa_session";
pub const LOGIN_CSRF_COOKIE: &str = "sa_login_csrf";
const PAGE_SIZE: u32 = 25;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/incidents") }),
        )
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/incidents", get(incidents_page))
        .route("/console/incidents/{number}", get(incident_page))
        .route("/console/incidents/{number}/status", post(change_status))
        .route("/console/devices/{serial}", get(device_page))
        .route(
            "/console/devices/{serial}/meter-reads.csv",
            get(meter_reads_csv),
        )
        .route("/console/users", get(users_page).post(add_user))
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

impl From<StorageError> for ConsoleError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(w) => ConsoleError::NotFound(w),
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

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ---------- login / logout ----------

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

// ---------- incidents ----------

struct IncidentRow {
    number: String,
    created: String,
    kind: &'static str,
    status: &'static str,
    serial: String,
    customer: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "console_incidents.html")]
struct IncidentsPage {
    user_email: Option<String>,
    csrf: String,
    statuses: Vec<&'static str>,
    kinds: Vec<&'static str>,
    customers: Vec<(String, String)>,
    filter_status: String,
    filter_kind: String,
    filter_device: String,
    filter_customer: String,
    filter_from: String,
    filter_to: String,
    error: Option<String>,
    rows: Vec<IncidentRow>,
    total: u64,
    page: u32,
    pages: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct IncidentsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    device: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<u32>,
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl IncidentsQuery {
    fn href(&self, page: u32) -> String {
        let pairs = [
            ("status", &self.status),
            ("kind", &self.kind),
            ("device", &self.device),
            ("customer", &self.customer),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let mut q: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        q.push(format!("page={page}"));
        format!("/console/incidents?{}", q.join("&"))
    }

    fn filter(&self) -> Result<IncidentFilter, String> {
        let date = |s: &str, name: &str| -> Result<Option<DateTime<Utc>>, String> {
            if s.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| Some(d.and_utc()))
                .ok_or_else(|| format!("{name}: must be a date such as 2026-01-31"))
        };
        Ok(IncidentFilter {
            status: (!self.status.is_empty())
                .then(|| IncidentStatus::parse(&self.status))
                .transpose()
                .map_err(|e| format!("status: {e}"))?,
            kind: (!self.kind.is_empty())
                .then(|| IncidentKind::parse(&self.kind))
                .transpose()
                .map_err(|e| format!("kind: {e}"))?,
            device: (!self.device.trim().is_empty())
                .then(|| DeviceSerial::parse(&self.device))
                .transpose()
                .map_err(|e| format!("device: {e}"))?,
            customer_id: (!self.customer.is_empty())
                .then(|| Uuid::parse_str(&self.customer))
                .transpose()
                .map_err(|_| "customer: unknown customer".to_string())?,
            from: date(&self.from, "from")?,
            // "to" is inclusive: up to the end of that day.
            to: date(&self.to, "to")?.map(|d| d + chrono::Duration::days(1)),
        })
    }
}

fn summary(i: &Incident) -> String {
    let text = if i.kind == IncidentKind::Supply {
        i.supplies
            .iter()
            .map(|s| s.description.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        let code = i.issue_code.clone().unwrap_or_default();
        if i.description.is_empty() {
            code
        } else {
            format!("{code}: {}", i.description)
        }
    };
    let mut s: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        s.push('…');
    }
    s
}

async fn incidents_page(
    State(st): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<IncidentsQuery>,
) -> Result<Html<String>, ConsoleError> {
    let partner = user.user.partner_id;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let (filter, error) = match q.filter() {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e)),
    };
    let (list, total) = match &filter {
        Some(f) => {
            st.store
                .search_incidents(partner, f, (page - 1) * PAGE_SIZE, PAGE_SIZE)
                .await?
        }
        None => (vec![], 0),
    };
    let customers = st.store.list_customers(partner).await?;
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let html = IncidentsPage {
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        statuses: IncidentStatus::ALL
            .iter()
            .map(IncidentStatus::as_str)
            .collect(),
        kinds: vec!["service", "supply"],
        customers: customers
            .iter()
            .map(|c| (c.id.to_string(), c.name.clone()))
            .collect(),
        filter_status: q.status.clone(),
        filter_kind: q.kind.clone(),
        filter_device: q.device.clone(),
        filter_customer: q.customer.clone(),
        filter_from: q.from.clone(),
        filter_to: q.to.clone(),
        error,
        rows: list
            .iter()
            .map(|i| IncidentRow {
                number: i.number.to_string(),
                created: fmt_time(i.created_at),
                kind: crate::fleet::console::kind_label(i),
                status: i.status.as_str(),
                serial: i.device_serial.to_string(),
                customer: i.customer_name.clone(),
                summary: summary(i),
            })
            .collect(),
        total,
        page,
        pages,
        prev_href: (page > 1).then(|| q.href(page - 1)),
        next_href: (u64::from(page) < pages).then(|| q.href(page + 1)),
    }
    .render()?;
    Ok(Html(html))
}

#[derive(Template)]
#[template(path = "console_incident.html")]
struct IncidentPage {
    user_email: Option<String>,
    csrf: String,
    error: Option<String>,
    number: String,
    kind: &'static str,
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
        kind: crate::fleet::console::kind_label(&i),
        status: i.status.as_str(),
        serial: i.device_serial.to_string(),
        customer: i.customer_name.clone(),
        created: fmt_time(i.created_at),
        issue_code: i.issue_code.clone(),
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
        Err(e @ (StorageError::InvalidTransition { .. } | StorageError::Conflict(_))) => {
            let page = render_incident(&st, &user, &number, Some(e.to_string())).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- devices ----------

#[derive(Template)]
#[template(path = "console_device.html")]
struct DevicePage {
    user_email: Option<String>,
    csrf: String,
    serial: String,
    model: String,
    location: String,
    customer: String,
    supplies: Vec<(String, String, &'static str, String, String, String)>,
    chart: String,
    reads: usize,
    since: String,
    is_admin: bool,
}

fn parse_serial(s: &str) -> Result<DeviceSerial, ConsoleError> {
    DeviceSerial::parse(s).map_err(|_| ConsoleError::NotFound("device"))
}

async fn device_page(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(serial): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    let partner = user.user.partner_id;
    let serial = parse_serial(&serial)?;
    let device = st
        .store
        .get_device(partner, &serial)
        .await?
        .ok_or(ConsoleError::NotFound("device"))?;
    let now = st.clock.now();
    let since = now - chrono::Duration::days(365);
    let filter = IncidentFilter {
        kind: Some(IncidentKind::Supply),
        device: Some(serial.clone()),
        ..Default::default()
    };
    let (supply_incidents, _) = st.store.search_incidents(partner, &filter, 0, 100).await?;
    let mut supplies = vec![];
    for i in &supply_incidents {
        for s in &i.supplies {
            supplies.push((
                i.number.to_string(),
                fmt_time(i.created_at),
                i.status.as_str(),
                s.description.clone(),
                s.part_number.clone().unwrap_or_default(),
                s.level_percent.map(|l| format!("{l}%")).unwrap_or_default(),
            ));
        }
    }
    let reads = st
        .store
        .list_meter_reads(partner, &serial, since, 2000)
        .await?;
    let html = DevicePage {
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        serial: device.serial.to_string(),
        model: device.model.clone(),
        location: device.location.clone(),
        customer: device.customer_name.clone(),
        supplies,
        chart: svg::meter_chart(&reads),
        reads: reads.len(),
        since: since.format("%Y-%m-%d").to_string(),
        is_admin: user.user.role == Role::PartnerAdmin,
    }
    .render()?;
    Ok(Html(html))
}

async fn meter_reads_csv(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(serial): Path<String>,
) -> Result<Response, ConsoleError> {
    user.require_admin()?;
    let partner = user.user.partner_id;
    let serial = parse_serial(&serial)?;
    let device = st
        .store
        .get_device(partner, &serial)
        .await?
        .ok_or(ConsoleError::NotFound("device"))?;
    let reads = st
        .store
        .list_meter_reads(partner, &serial, DateTime::<Utc>::MIN_UTC, 100_000)
        .await?;
    let body = csv::meter_reads(&device, &reads);
    let disposition = format!("attachment; filename=\"meter-reads-{}.csv\"", device.serial);
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ConsoleError::Internal(e.to_string()))?,
    );
    Ok(res)
}

// ---------- users (partner admins only) ----------

#[derive(Template)]
#[template(path = "console_users.html")]
struct UsersPage {
    user_email: Option<String>,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    users: Vec<(String, &'static str)>,
}

async fn render_users(
    st: &AppState,
    user: &ConsoleUser,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Html<String>, ConsoleError> {
    let users = st.store.list_users(user.user.partner_id).await?;
    let html = UsersPage {
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        error,
        notice,
        users: users
            .iter()
            .map(|u| (u.email.clone(), u.role.as_str()))
            .collect(),
    }
    .render()?;
    Ok(Html(html))
}

async fn users_page(
    State(st): State<AppState>,
    user: ConsoleUser,
) -> Result<Html<String>, ConsoleError> {
    user.require_admin()?;
    render_users(&st, &user, None, None).await
}

#[derive(Deserialize)]
struct AddUserForm {
    #[serde(default)]
    csrf: String,
    email: String,
    password: String,
    role: String,
}

async fn add_user(
    State(st): State<AppState>,
    user: ConsoleUser,
    Form(form): Form<AddUserForm>,
) -> Result<Response, ConsoleError> {
    user.check_csrf(&form.csrf)?;
    user.require_admin()?;
    let email = crate::domain::EmailAddress::parse(&form.email).map_err(|e| format!("email: {e}"));
    let role = Role::parse(&form.role)
        .ok_or_else(|| "role: must be technician or partner_admin".to_string());
    let password_ok = if form.password.chars().count() >= 12 {
        Ok(())
    } else {
        Err("password: must be at least 12 characters".to_string())
    };
    let (email, role) = match (email, role, password_ok) {
        (Ok(e), Ok(r), Ok(())) => (e, r),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            let page = render_users(&st, &user, Some(e), None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let cost = st.config.password_cost;
    let password = secrecy::SecretString::from(form.password);
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password, cost))
        .await
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
        .map_err(|e| ConsoleError::Internal(e.to_string()))?;
    match st
        .store
        .create_user(user.user.partner_id, email.expose(), &hash, role)
        .await
    {
        Ok(u) => Ok(render_users(
            &st,
            &user,
            None,
            Some(format!("Added {} ({}).", u.email, role.as_str())),
        )
        .await?
        .into_response()),
        Err(StorageError::Conflict(m)) => {
            let page = render_users(&st, &user, Some(m), None).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
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
