//! The Meters tab (`/ui/v1/meters`, with the device report): the billing meters and Send
//! (`/ui/v1/meter-reads`).

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use printer::DeviceReport;

use super::forms::FormFields;
use super::pages::{Errors, Hidden, MeterRow, Panel, error_page, html};
use super::wizard::{BackTo, done, invalid_fields, not_sent, open};
use crate::api::{idempotency_key, sealed_config};
use crate::app::AppState;
use crate::error::RuleError as ApiError;
use crate::rules::{ContactInput, MeterInput, MeterSubmissionInput};
use crate::service::DeviceContext;

#[derive(Template)]
#[template(path = "ui/meters.html")]
pub struct MetersTab {
    pub p: Panel,
    pub meters: Vec<MeterRow>,
    pub can_send: bool,
    pub reason: Option<String>,
    pub hidden: Hidden,
    pub error: Option<String>,
    /// The app configuration's confirmation e-mail for meter submissions is on: the person may
    /// leave a name and an e-mail address for one (optional).
    pub ask_contact: bool,
    pub name: String,
    pub email: String,
    pub errors: Errors,
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

pub fn meter_rows(p: Panel, meters: &[MeterInput]) -> Vec<MeterRow> {
    meters
        .iter()
        .map(|m| MeterRow {
            name: platform::i18n::meter_name(p.lang, &m.id, &m.name),
            value: p.lang.integer(m.value.max(0)),
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
        Err(e) => return error_page(Panel::new(&device, None), &e),
    };
    let p = Panel::new(&device, Some(&config));
    if let Err(e) = crate::rules::check_tab(&device, &config, proto::Tab::Meters) {
        return error_page(p, &e);
    }
    let allowed = state.services.check_meters_allowed(&device, &config);
    let meters = meter_inputs(&report);
    html(
        StatusCode::OK,
        &MetersTab {
            p,
            meters: meter_rows(p, &meters),
            can_send: allowed.is_ok() && !meters.is_empty(),
            reason: allowed.err().map(|e| e.detail_in(p.lang)),
            hidden: vec![(
                "meters".into(),
                serde_json::to_string(&meters).unwrap_or_default(),
            )],
            error: None,
            ask_contact: config.confirmation_email.meter_submission,
            name: String::new(),
            email: String::new(),
            errors: Errors::default(),
        },
    )
}

pub async fn send_meters(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = match open(&state, &headers) {
        Ok(c) => c,
        Err(e) => return error_page(Panel::new(&device, None), &e),
    };
    let p = Panel::new(&device, Some(&config));
    if let Err(e) = crate::rules::check_tab(&device, &config, proto::Tab::Meters) {
        return error_page(p, &e);
    }
    let ask_contact = config.confirmation_email.meter_submission;
    let f = FormFields::parse(&body);
    let (name, email) = (f.get("name").to_string(), f.get("email").to_string());
    let meters: Vec<MeterInput> = match serde_json::from_str(f.get("meters")) {
        Ok(m) => m,
        Err(_) => {
            return error_page(p, &ApiError::BadRequest(p.t("panel-lost-meters")));
        }
    };
    // A name or an e-mail address given asks for a confirmation; both are then checked.
    let contact =
        (ask_contact && !(name.trim().is_empty() && email.trim().is_empty())).then(|| {
            ContactInput {
                name: name.clone(),
                email: email.clone(),
                phone: None,
            }
        });
    let mail = contact.is_some();
    let input = MeterSubmissionInput {
        meters: meters.clone(),
        contact,
    };
    match state
        .services
        .submit_meters(
            &device,
            sealed_config(&headers),
            idempotency_key(&headers),
            input,
        )
        .await
    {
        Ok(a) => done(p, "panel-meters-sent", &a, mail, false, BackTo::Meters),
        Err(e) => html(
            e.status(),
            &MetersTab {
                p,
                meters: meter_rows(p, &meters),
                can_send: !matches!(e, ApiError::Forbidden(_) | ApiError::UnknownDevice(_)),
                reason: None,
                hidden: vec![(
                    "meters".into(),
                    serde_json::to_string(&meters).unwrap_or_default(),
                )],
                error: Some(not_sent(p, &e)),
                ask_contact,
                errors: invalid_fields(p, &e).unwrap_or_default(),
                name,
                email,
            },
        ),
    }
}
