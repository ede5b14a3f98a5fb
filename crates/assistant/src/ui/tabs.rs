//! The three tabs: Services, Supplies, Meters.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use printer::DeviceReport;
use proto::IncidentKind;

use super::pages::{
    Errors, IncidentRow, MeterRow, MetersTab, ServicesTab, SuppliesTab, SupplyRow, error_page,
    html, thousands,
};
use crate::api::sealed_config;
use crate::app::AppState;
use crate::rules::{MeterInput, SupplyPick};
use crate::service::DeviceContext;

/// The device's incidents of one kind, or why they cannot be shown.
async fn incidents_of(
    state: &AppState,
    device: &DeviceContext,
    kind: IncidentKind,
    language: &str,
) -> (Vec<IncidentRow>, Option<String>) {
    match state.services.recent_incidents(device).await {
        Ok(list) => (
            list.iter()
                .filter(|i| i.kind == kind)
                .map(|i| IncidentRow::from_view(i, language))
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.detail())),
    }
}

pub async fn services(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
) -> Response {
    let config = match state.services.open_config(sealed_config(&headers)) {
        Ok(c) => c,
        Err(e) => return error_page(device.demo, &e),
    };
    let language = config.language.as_str();
    let ((incidents, incidents_error), allowed) = tokio::join!(
        incidents_of(&state, &device, IncidentKind::Service, language),
        state.services.check_service_allowed(&device, &config)
    );
    html(
        StatusCode::OK,
        &ServicesTab {
            demo: device.demo,
            incidents,
            incidents_error,
            can_report: allowed.is_ok(),
            reason: allowed.err().map(|e| e.detail()),
        },
    )
}

/// The supplies of a report as the wizard offers them.
pub fn offered(report: &DeviceReport) -> Vec<SupplyPick> {
    report
        .supplies
        .iter()
        .map(|s| SupplyPick {
            index: s.index.clone(),
            description: s.description.clone(),
            part_number: s.part_number.clone(),
            colorant: s.colorant.clone(),
            percent: s.percent,
        })
        .collect()
}

pub fn supply_rows(report: &DeviceReport, picked: &[String]) -> Vec<SupplyRow> {
    report
        .supplies
        .iter()
        .map(|s| SupplyRow {
            index: s.index.clone(),
            description: s.description.clone(),
            part_number: s.part_number.clone().unwrap_or_default(),
            level: s.percent.map(|p| format!("{p}%")).unwrap_or_default(),
            status: s.status.label().to_string(),
            low: matches!(
                s.status,
                printer::SupplyStatus::Low | printer::SupplyStatus::Empty
            ),
            checked: picked.contains(&s.index),
        })
        .collect()
}

pub async fn supplies(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(report): Json<DeviceReport>,
) -> Response {
    let config = match state.services.open_config(sealed_config(&headers)) {
        Ok(c) => c,
        Err(e) => return error_page(device.demo, &e),
    };
    let language = config.language.as_str();
    let ((incidents, incidents_error), allowed) = tokio::join!(
        incidents_of(&state, &device, IncidentKind::Supply, language),
        state.services.check_supplies_allowed(&device, &config)
    );
    let offered = offered(&report);
    html(
        StatusCode::OK,
        &SuppliesTab {
            demo: device.demo,
            show_incidents: true,
            incidents,
            incidents_error,
            supplies: supply_rows(&report, &[]),
            can_request: allowed.is_ok() && !offered.is_empty(),
            reason: allowed.err().map(|e| e.detail()),
            hidden: vec![(
                "offered".into(),
                serde_json::to_string(&offered).unwrap_or_default(),
            )],
            errors: Errors::default(),
        },
    )
}

/// The meters of a report as they are sent.
pub fn meter_inputs(report: &DeviceReport) -> Vec<MeterInput> {
    report
        .meters
        .iter()
        .map(|m| MeterInput {
            id: m.id.clone(),
            name: m.name.clone(),
            value: i64::try_from(m.value).unwrap_or(i64::MAX),
        })
        .collect()
}

pub fn meter_rows(meters: &[MeterInput]) -> Vec<MeterRow> {
    meters
        .iter()
        .map(|m| MeterRow {
            name: m.name.clone(),
            value: thousands(u64::try_from(m.value).unwrap_or(0)),
        })
        .collect()
}

pub async fn meters(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    Json(report): Json<DeviceReport>,
) -> Response {
    let config = match state.services.open_config(sealed_config(&headers)) {
        Ok(c) => c,
        Err(e) => return error_page(device.demo, &e),
    };
    let allowed = state.services.check_meters_allowed(&config);
    let meters = meter_inputs(&report);
    html(
        StatusCode::OK,
        &MetersTab {
            demo: device.demo,
            meters: meter_rows(&meters),
            can_send: allowed.is_ok() && !meters.is_empty(),
            reason: allowed.err().map(|e| e.detail()),
            hidden: vec![(
                "meters".into(),
                serde_json::to_string(&meters).unwrap_or_default(),
            )],
            error: None,
        },
    )
}
