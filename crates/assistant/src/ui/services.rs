//! The Services tab (`/ui/v1/services`): the device's service incidents of the last 30 days and
//! "Report a problem".

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use proto::IncidentKind;

use super::pages::{IncidentRow, Panel, error_page, html};
use crate::api::sealed_config;
use crate::app::AppState;
use crate::service::DeviceContext;

#[derive(Template)]
#[template(path = "ui/services.html")]
pub struct ServicesTab {
    pub p: Panel,
    pub incidents: Vec<IncidentRow>,
    pub incidents_error: Option<String>,
    pub can_report: bool,
    pub reason: Option<String>,
}

/// The device's incidents of one kind, or why they cannot be shown.
pub(super) async fn incidents_of(
    state: &AppState,
    device: &DeviceContext,
    kind: IncidentKind,
    p: Panel,
) -> (Vec<IncidentRow>, Option<String>) {
    match state.services.recent_incidents(device).await {
        Ok(list) => (
            list.iter()
                .filter(|i| i.kind == kind)
                .map(|i| IncidentRow::from_view(i, p.lang))
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.detail_in(p.lang))),
    }
}

pub async fn services(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
) -> Response {
    let config = match state.services.open_config(sealed_config(&headers)) {
        Ok(c) => c,
        Err(e) => return error_page(Panel::new(&device, None), &e),
    };
    let p = Panel::new(&device, Some(&config));
    if let Err(e) = crate::rules::check_tab(&device, &config, proto::Tab::Service) {
        return error_page(p, &e);
    }
    let ((incidents, incidents_error), allowed) = tokio::join!(
        incidents_of(&state, &device, IncidentKind::Service, p),
        state.services.check_service_allowed(&device, &config)
    );
    html(
        StatusCode::OK,
        &ServicesTab {
            p,
            incidents,
            incidents_error,
            can_report: allowed.is_ok(),
            reason: allowed.err().map(|e| e.detail_in(p.lang)),
        },
    )
}
