//! The Supplies tab (`/ui/v1/supplies`, with the device report): supply incidents and the supplies
//! to pick from (step 1 of the supplies wizard).

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use printer::DeviceReport;
use proto::IncidentKind;

use super::pages::{Errors, Hidden, IncidentRow, Panel, SupplyRow, error_page, html};
use super::services::incidents_of;
use crate::api::sealed_config;
use crate::app::AppState;
use crate::rules::SupplyPick;
use crate::service::DeviceContext;

#[derive(Template)]
#[template(path = "ui/supplies.html")]
pub struct SuppliesTab {
    pub p: Panel,
    /// False when the page is step 1 of the wizard shown again (Back).
    pub show_incidents: bool,
    pub incidents: Vec<IncidentRow>,
    pub incidents_error: Option<String>,
    pub supplies: Vec<SupplyRow>,
    pub can_request: bool,
    pub reason: Option<String>,
    pub hidden: Hidden,
    pub errors: Errors,
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

pub fn supply_rows(p: Panel, report: &DeviceReport, picked: &[String]) -> Vec<SupplyRow> {
    report
        .supplies
        .iter()
        .map(|s| SupplyRow {
            index: s.index.clone(),
            description: s.description.clone(),
            part_number: s.part_number.clone().unwrap_or_default(),
            level: s
                .percent
                .map(|v| p.lang.percent(u32::from(v)))
                .unwrap_or_default(),
            status: p.t(&format!("supply-status-{}", s.status.as_str())),
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
        Err(e) => return error_page(Panel::new(&device, None), &e),
    };
    let p = Panel::new(&device, Some(&config));
    let ((incidents, incidents_error), allowed) = tokio::join!(
        incidents_of(&state, &device, IncidentKind::Supply, p),
        state.services.check_supplies_allowed(&device, &config)
    );
    let offered = offered(&report);
    html(
        StatusCode::OK,
        &SuppliesTab {
            p,
            show_incidents: true,
            incidents,
            incidents_error,
            supplies: supply_rows(p, &report, &[]),
            can_request: allowed.is_ok() && !offered.is_empty(),
            reason: allowed.err().map(|e| e.detail_in(p.lang)),
            hidden: vec![(
                "offered".into(),
                serde_json::to_string(&offered).unwrap_or_default(),
            )],
            errors: Errors::default(),
        },
    )
}
