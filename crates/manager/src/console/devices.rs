//! A device: all its incidents (service and supply, walk-up and automatic, each marked), its supply
//! forecasts and alert history from the fleet agents, the requested supplies, an SVG meter chart,
//! and the meter reads as CSV (admins).

use super::{
    ConsoleError, ConsoleUser, csv, fmt_time, incident_summary, kind_label, lang, status_label, svg,
};
use crate::app::AppState;
use crate::domain::{DeviceSerial, IncidentKind};
use crate::fleet::console::{DeviceFleet, SourceBadge, device_fleet, source_badge};
use crate::storage::{IncidentFilter, Role};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use platform::i18n::{Args, Locale, t_args};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/devices/{serial}", get(device_page))
        .route(
            "/console/devices/{serial}/meter-reads.csv",
            get(meter_reads_csv),
        )
}

/// A row of the device's incident list.
struct IncidentRow {
    number: String,
    created: String,
    kind: String,
    source: SourceBadge,
    status: String,
    summary: String,
}

/// Incidents listed on a device page (newest first).
const INCIDENT_ROWS: u32 = 200;

#[derive(Template)]
#[template(path = "console_device.html")]
struct DevicePage {
    l: Locale,
    title: String,
    /// "The newest 200 of 340" when the list is cut.
    incidents_cut: Option<String>,
    incidents: Vec<IncidentRow>,
    fleet: Option<DeviceFleet>,
    user_email: Option<String>,
    csrf: String,
    serial: String,
    model: String,
    location: String,
    customer: String,
    supplies: Vec<(String, String, String, String, String, String)>,
    chart: String,
    reads: usize,
    reads_since: String,
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
    let l = lang();
    let since = now - chrono::Duration::days(365);
    let all = IncidentFilter {
        device: Some(serial.clone()),
        ..Default::default()
    };
    let (list, incidents_total) = st
        .store
        .search_incidents(partner, &all, 0, INCIDENT_ROWS)
        .await?;
    let incidents: Vec<IncidentRow> = list
        .iter()
        .map(|i| IncidentRow {
            number: i.number.to_string(),
            created: fmt_time(i.created_at),
            kind: kind_label(i.kind, l),
            source: source_badge(i, l),
            status: status_label(i.status, l),
            summary: incident_summary(i, l),
        })
        .collect();
    let fleet = device_fleet(
        &*st.store,
        partner,
        device.serial.as_str(),
        device.customer_id,
        now,
        l,
    )
    .await?;
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
                status_label(i.status, l),
                s.description.clone(),
                s.part_number.clone().unwrap_or_default(),
                s.level_percent
                    .map(|p| l.percent(u32::from(p)))
                    .unwrap_or_default(),
            ));
        }
    }
    let reads = st
        .store
        .list_meter_reads(partner, &serial, since, 2000)
        .await?;
    let html = DevicePage {
        l,
        title: l.t1("console-device-title", "serial", device.serial.as_str()),
        incidents_cut: (incidents_total > incidents.len() as u64).then(|| {
            t_args(
                l,
                "console-incidents-newest",
                &Args::new()
                    .number("shown", incidents.len() as i64)
                    .number("total", incidents_total as i64),
            )
        }),
        incidents,
        fleet,
        user_email: Some(user.user.email.clone()),
        csrf: user.csrf.clone(),
        serial: device.serial.to_string(),
        model: device.model.clone(),
        location: device.location.clone(),
        customer: device.customer_name.clone(),
        supplies,
        chart: svg::meter_chart(&reads, &l.t("console-meter-history")),
        reads: reads.len(),
        reads_since: t_args(
            l,
            "console-reads-since",
            &Args::new()
                .number("count", reads.len() as i64)
                .text("date", l.date(since.date_naive())),
        ),
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
