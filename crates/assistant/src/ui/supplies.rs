//! The Supplies tab (`/ui/v1/supplies`, with the device report): supply incidents and the supplies
//! to pick from (step 1 of the supplies wizard).

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use printer::{DeviceReport, SupplyStatus};
use proto::IncidentKind;
use serde::{Deserialize, Serialize};

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

/// A supply offered to pick, as the wizard carries it from step to step (hidden field `offered`):
/// what is sent when picked, and the state the device reported, so a step shown again (Back, or
/// "pick at least one") has every column the Supplies tab had.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Offered {
    #[serde(flatten)]
    pub pick: SupplyPick,
    #[serde(default)]
    pub status: Option<SupplyStatus>,
}

/// The supplies of a report as the wizard offers them.
pub fn offered(report: &DeviceReport) -> Vec<Offered> {
    report
        .supplies
        .iter()
        .map(|s| Offered {
            pick: SupplyPick {
                index: s.index.clone(),
                description: s.description.clone(),
                part_number: s.part_number.clone(),
                colorant: s.colorant.clone(),
                percent: s.percent,
            },
            status: Some(s.status),
        })
        .collect()
}

/// The one way a supply becomes a row of the panel (the Supplies tab, step 1 shown again, the
/// review).
pub fn supply_row(p: Panel, s: &Offered, checked: bool) -> SupplyRow {
    SupplyRow {
        index: s.pick.index.clone(),
        description: s.pick.description.clone(),
        part_number: s.pick.part_number.clone().unwrap_or_default(),
        level: s
            .pick
            .percent
            .map(|v| p.lang.percent(u32::from(v)))
            .unwrap_or_default(),
        status: s
            .status
            .map(|st| p.t(&format!("supply-status-{}", st.as_str())))
            .unwrap_or_default(),
        low: matches!(s.status, Some(SupplyStatus::Low | SupplyStatus::Empty)),
        checked,
    }
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
    if let Err(e) = crate::rules::check_tab(&device, &config, proto::Tab::Supplies) {
        return error_page(p, &e);
    }
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
            supplies: offered.iter().map(|s| supply_row(p, s, false)).collect(),
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
