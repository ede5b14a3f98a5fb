//! The devices list: every device of the partner with its customer, location, open incidents
//! and last meter read, filtered by customer and by a search over serial, model, customer and
//! location; each row links to the device page.

use super::{ConsoleError, ConsoleUser, fmt_time, lang};
use crate::app::AppState;
use crate::domain::IncidentStatus;
use crate::storage::IncidentFilter;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use platform::i18n::Locale;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/console/devices", get(devices_page))
}

struct DeviceRow {
    serial: String,
    model: String,
    customer: String,
    location: String,
    open_incidents: String,
    last_read: String,
}

#[derive(Template)]
#[template(path = "console_devices.html")]
struct DevicesPage {
    l: Locale,
    user_email: Option<String>,
    csrf: String,
    customers: Vec<(String, String)>,
    filter_customer: String,
    filter_q: String,
    error: Option<String>,
    rows: Vec<DeviceRow>,
    count_text: String,
}

#[derive(Deserialize, Default)]
struct DevicesQuery {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    q: String,
}

/// Incidents fetched per storage call when counting open incidents, and the most counted.
const COUNT_CHUNK: u32 = 500;
const COUNT_MAX: u32 = 50_000;
/// How far back the "last meter read" column looks.
const LAST_READ_DAYS: i64 = 400;

/// Open (not closed, not cancelled) incidents per device serial.
async fn open_incidents(
    st: &AppState,
    partner: Uuid,
) -> Result<HashMap<String, u64>, ConsoleError> {
    let mut counts = HashMap::new();
    for status in IncidentStatus::ALL.iter().filter(|s| !s.is_final()) {
        let filter = IncidentFilter {
            status: Some(*status),
            ..Default::default()
        };
        let mut offset = 0;
        while offset < COUNT_MAX {
            let (list, total) = st
                .store
                .search_incidents(partner, &filter, offset, COUNT_CHUNK)
                .await?;
            for i in &list {
                *counts.entry(i.device_serial.to_string()).or_insert(0) += 1;
            }
            offset += COUNT_CHUNK;
            if list.is_empty() || u64::from(offset) >= total {
                break;
            }
        }
    }
    Ok(counts)
}

fn matches(needle: &str, fields: &[&str]) -> bool {
    let needle = needle.trim().to_lowercase();
    needle.is_empty() || fields.iter().any(|f| f.to_lowercase().contains(&needle))
}

async fn devices_page(
    State(st): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<DevicesQuery>,
) -> Result<Html<String>, ConsoleError> {
    let partner = user.user.partner_id;
    let l = lang();
    let (customer, error) = if q.customer.is_empty() {
        (None, None)
    } else {
        match Uuid::parse_str(&q.customer) {
            Ok(id) => (Some(id), None),
            Err(_) => (None, Some(l.t("console-error-customer"))),
        }
    };
    let devices = if error.is_some() {
        vec![]
    } else {
        st.store.list_devices(partner).await?
    };
    let open = open_incidents(&st, partner).await?;
    let since = st.clock.now() - chrono::Duration::days(LAST_READ_DAYS);
    let mut rows = vec![];
    for d in devices
        .iter()
        .filter(|d| customer.is_none_or(|c| d.customer_id == c))
        .filter(|d| {
            matches(
                &q.q,
                &[d.serial.as_str(), &d.model, &d.customer_name, &d.location],
            )
        })
    {
        let reads = st
            .store
            .list_meter_reads(partner, &d.serial, since, 10_000)
            .await?;
        rows.push(DeviceRow {
            serial: d.serial.to_string(),
            model: d.model.clone(),
            customer: d.customer_name.clone(),
            location: d.location.clone(),
            open_incidents: l.integer(open.get(d.serial.as_str()).copied().unwrap_or(0) as i64),
            last_read: reads
                .last()
                .map(|r| fmt_time(r.read_at))
                .unwrap_or_else(|| "—".to_string()),
        });
    }
    let customers = st.store.list_customers(partner).await?;
    let html = DevicesPage {
        l,
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        customers: customers
            .iter()
            .map(|c| (c.id.to_string(), c.name.clone()))
            .collect(),
        filter_customer: q.customer.clone(),
        filter_q: q.q.clone(),
        error,
        count_text: l.tn("console-devices-count", "count", rows.len() as i64),
        rows,
    }
    .render()?;
    Ok(Html(html))
}
