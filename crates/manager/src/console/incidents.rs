//! The incident list: filters (status, kind, device, customer, dates) and pages, and the same
//! list (every page, filters applied) as a CSV download.

use super::{ConsoleError, ConsoleUser, csv, fmt_time, incident_summary, issue_label};
use crate::app::AppState;
use crate::domain::{DeviceSerial, IncidentKind, IncidentStatus};
use crate::storage::IncidentFilter;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/incidents", get(incidents_page))
        .route("/console/incidents.csv", get(incidents_csv))
}

const PAGE_SIZE: u32 = 25;

struct IncidentRow {
    number: String,
    created: String,
    kind: &'static str,
    source: crate::fleet::console::SourceBadge,
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
    csv_href: String,
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
        self.href_to("/console/incidents", Some(page))
    }

    fn href_to(&self, path: &str, page: Option<u32>) -> String {
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
        if let Some(page) = page {
            q.push(format!("page={page}"));
        }
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", q.join("&"))
        }
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
                kind: i.kind.as_str(),
                source: crate::fleet::console::source_badge(i),
                status: i.status.as_str(),
                serial: i.device_serial.to_string(),
                customer: i.customer_name.clone(),
                summary: incident_summary(i),
            })
            .collect(),
        total,
        page,
        pages,
        prev_href: (page > 1).then(|| q.href(page - 1)),
        next_href: (u64::from(page) < pages).then(|| q.href(page + 1)),
        csv_href: q.href_to("/console/incidents.csv", None),
    }
    .render()?;
    Ok(Html(html))
}

/// Rows fetched per storage call while writing the CSV, and the most rows one download holds.
const CSV_CHUNK: u32 = 500;
const CSV_MAX_ROWS: u32 = 100_000;

/// The incidents matching the list page's filters, all pages, as CSV (RFC 4180). A bad filter is
/// refused with the same message the page shows, before anything is written.
async fn incidents_csv(
    State(st): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<IncidentsQuery>,
) -> Result<Response, ConsoleError> {
    let partner = user.user.partner_id;
    let filter = q.filter().map_err(ConsoleError::BadRequest)?;
    let mut body = String::from(csv::INCIDENTS_HEADER);
    let mut offset = 0;
    while offset < CSV_MAX_ROWS {
        let (list, total) = st
            .store
            .search_incidents(partner, &filter, offset, CSV_CHUNK)
            .await?;
        for i in &list {
            let issue = i.issue_code.as_deref().map(issue_label).unwrap_or_default();
            body.push_str(&csv::incident_row(i, &issue));
        }
        offset += CSV_CHUNK;
        if list.is_empty() || u64::from(offset) >= total {
            break;
        }
    }
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"incidents.csv\""),
    );
    Ok(res)
}
