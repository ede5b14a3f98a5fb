//! The incident list: filters (status, kind, device, customer, dates) and pages, and the same
//! list (every page, filters applied) as a CSV download.

use super::{
    ConsoleError, ConsoleUser, csv, fmt_time, incident_summary, issue_label, kind_label, lang,
    status_label,
};
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
use platform::i18n::{Args, Locale, t_args};
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
    kind: String,
    source: crate::fleet::console::SourceBadge,
    status: String,
    serial: String,
    customer: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "console_incidents.html")]
struct IncidentsPage {
    l: Locale,
    user_email: Option<String>,
    csrf: String,
    /// (value, label) of each option.
    statuses: Vec<(&'static str, String)>,
    kinds: Vec<(&'static str, String)>,
    customers: Vec<(String, String)>,
    filter_status: String,
    filter_kind: String,
    filter_device: String,
    filter_customer: String,
    filter_from: String,
    filter_to: String,
    error: Option<String>,
    rows: Vec<IncidentRow>,
    count_text: String,
    page_of: String,
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

    /// The storage filter, or what is wrong with the query in `l`.
    fn filter(&self, l: Locale) -> Result<IncidentFilter, String> {
        let date = |s: &str, label: &str| -> Result<Option<DateTime<Utc>>, String> {
            if s.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| Some(d.and_utc()))
                .ok_or_else(|| l.t1("console-error-date", "field", &l.t(label)))
        };
        Ok(IncidentFilter {
            status: (!self.status.is_empty())
                .then(|| IncidentStatus::parse(&self.status))
                .transpose()
                .map_err(|_| l.t("console-error-status-value"))?,
            kind: (!self.kind.is_empty())
                .then(|| IncidentKind::parse(&self.kind))
                .transpose()
                .map_err(|_| l.t("console-error-kind-value"))?,
            device: (!self.device.trim().is_empty())
                .then(|| DeviceSerial::parse(&self.device))
                .transpose()
                .map_err(|_| l.t("console-error-serial"))?,
            customer_id: (!self.customer.is_empty())
                .then(|| Uuid::parse_str(&self.customer))
                .transpose()
                .map_err(|_| l.t("console-error-customer"))?,
            from: date(&self.from, "console-from")?,
            // "to" is inclusive: up to the end of that day.
            to: date(&self.to, "console-to")?.map(|d| d + chrono::Duration::days(1)),
        })
    }
}

async fn incidents_page(
    State(st): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<IncidentsQuery>,
) -> Result<Html<String>, ConsoleError> {
    let partner = user.user.partner_id;
    let l = lang();
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let (filter, error) = match q.filter(l) {
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
        l,
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        statuses: IncidentStatus::ALL
            .iter()
            .map(|s| (s.as_str(), status_label(*s, l)))
            .collect(),
        kinds: vec![
            ("service", l.t("console-kind-service")),
            ("supply", l.t("console-kind-supply")),
        ],
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
                kind: kind_label(i.kind, l),
                source: crate::fleet::console::source_badge(i, l),
                status: status_label(i.status, l),
                serial: i.device_serial.to_string(),
                customer: i.customer_name.clone(),
                summary: incident_summary(i, l),
            })
            .collect(),
        count_text: l.tn("console-incidents-count", "count", total as i64),
        page_of: t_args(
            l,
            "console-page-of",
            &Args::new()
                .number("page", i64::from(page))
                .number("pages", pages as i64),
        ),
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
/// refused with the same message the page shows, before anything is written. The file itself is
/// English whatever the browser's language (column names, codes and issue labels are data that
/// scripts and spreadsheets read; see `csv`).
async fn incidents_csv(
    State(st): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<IncidentsQuery>,
) -> Result<Response, ConsoleError> {
    let partner = user.user.partner_id;
    let filter = q.filter(lang()).map_err(ConsoleError::BadRequest)?;
    let mut body = String::from(csv::INCIDENTS_HEADER);
    let mut offset = 0;
    while offset < CSV_MAX_ROWS {
        let (list, total) = st
            .store
            .search_incidents(partner, &filter, offset, CSV_CHUNK)
            .await?;
        for i in &list {
            let issue = i
                .issue_code
                .as_deref()
                .map(|c| issue_label(c, Locale::En))
                .unwrap_or_default();
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
