//! The "Request supplies" wizard (`/ui/v1/supply-request`): 1 the supplies picked (the Supplies
//! tab's form), 2 the contact, 3 review and Send.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::forms::FormFields;
use super::pages::{Errors, Hidden, Panel, SupplyRow, error_page, html};
use super::supplies::{Offered, SuppliesTab, supply_row};
use super::wizard::{
    BackTo, CONTACT_FIELDS, Review, cancelled, contact_hidden, contact_of, contact_rows,
    contact_step, done, invalid_fields, not_sent, open,
};
use crate::api::{idempotency_key, sealed_config};
use crate::app::AppState;
use crate::error::RuleError as ApiError;
use crate::rules::{ContactInput, SupplyPick, SupplyRequestInput};
use crate::service::DeviceContext;

const SUPPLY_ACTION: &str = "/ui/v1/supply-request";
/// Message id (`panel.ftl`) of the wizard's title.
const SUPPLY_TITLE: &str = "panel-request-supplies";

struct SupplyForm {
    offered: Vec<Offered>,
    picks: Vec<String>,
    contact: ContactInput,
}

impl SupplyForm {
    fn parse(p: Panel, f: &FormFields) -> Result<Self, ApiError> {
        let offered: Vec<Offered> = serde_json::from_str(f.get("offered"))
            .map_err(|_| ApiError::BadRequest(p.t("panel-lost-supplies")))?;
        Ok(Self {
            offered,
            picks: f.all("pick"),
            contact: contact_of(f),
        })
    }

    fn chosen(&self) -> Vec<SupplyPick> {
        self.offered
            .iter()
            .filter(|s| self.picks.contains(&s.pick.index))
            .map(|s| s.pick.clone())
            .collect()
    }

    fn request(&self) -> SupplyRequestInput {
        SupplyRequestInput {
            supplies: self.chosen(),
            contact: self.contact.clone(),
        }
    }

    fn data_hidden(&self) -> Hidden {
        let mut h = vec![(
            "offered".to_string(),
            serde_json::to_string(&self.offered).unwrap_or_default(),
        )];
        h.extend(self.picks.iter().map(|p| ("pick".to_string(), p.clone())));
        h
    }

    fn rows(&self, p: Panel, only_chosen: bool) -> Vec<SupplyRow> {
        self.offered
            .iter()
            .filter(|s| !only_chosen || self.picks.contains(&s.pick.index))
            .map(|s| supply_row(p, s, self.picks.contains(&s.pick.index)))
            .collect()
    }
}

fn supply_step1(p: Panel, form: &SupplyForm, errors: Errors) -> Response {
    let mut hidden = vec![(
        "offered".to_string(),
        serde_json::to_string(&form.offered).unwrap_or_default(),
    )];
    hidden.extend(contact_hidden(&form.contact));
    html(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &SuppliesTab {
            p,
            show_incidents: false,
            incidents: Vec::new(),
            incidents_error: None,
            supplies: form.rows(p, false),
            can_request: true,
            reason: None,
            hidden,
            errors,
        },
    )
}

fn supply_review(p: Panel, form: &SupplyForm, error: Option<(StatusCode, String)>) -> Response {
    let mut hidden = form.data_hidden();
    hidden.extend(contact_hidden(&form.contact));
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    html(
        status,
        &Review {
            p,
            action: SUPPLY_ACTION,
            title: SUPPLY_TITLE,
            rows: contact_rows(p, &form.contact),
            supplies: form.rows(p, true),
            hidden,
            error,
        },
    )
}

fn supply_invalid(p: Panel, form: &SupplyForm, e: &ApiError) -> Response {
    match invalid_fields(p, e) {
        Some(errors) if errors.get("supplies").is_some() => {
            supply_step1(p, form, errors.only(&["supplies"]))
        }
        Some(errors) => contact_step(
            p,
            SUPPLY_ACTION,
            SUPPLY_TITLE,
            form.data_hidden(),
            &form.contact,
            errors.only(CONTACT_FIELDS),
        ),
        None => supply_review(p, form, Some((e.status(), not_sent(p, e)))),
    }
}

pub async fn supply_step(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = FormFields::parse(&body);
    let config = open(&state, &headers);
    let p = Panel::new(&device, config.as_ref().ok());
    if f.get("op") == "cancel" {
        return cancelled(p, BackTo::Supplies);
    }
    let config = match config {
        Ok(c) => c,
        Err(e) => return error_page(p, &e),
    };
    if let Err(e) = crate::rules::check_tab(&device, &config, proto::Tab::Supplies) {
        return error_page(p, &e);
    }
    let form = match SupplyForm::parse(p, &f) {
        Ok(form) => form,
        Err(e) => return error_page(p, &e),
    };
    if let Err(e) = state
        .services
        .check_supplies_allowed(&device, &config)
        .await
    {
        return error_page(p, &e);
    }
    match (f.get("step"), f.get("op")) {
        ("2", "back") => supply_step1(p, &form, Errors::default()),
        ("3", "back") => contact_step(
            p,
            SUPPLY_ACTION,
            SUPPLY_TITLE,
            form.data_hidden(),
            &form.contact,
            Errors::default(),
        ),
        ("1", "next") => {
            if form.chosen().is_empty() {
                supply_step1(
                    p,
                    &form,
                    Errors::from_fields(
                        &[crate::error::FieldError::new(
                            "supplies",
                            "Pick at least one supply",
                        )],
                        p.lang,
                    ),
                )
            } else {
                contact_step(
                    p,
                    SUPPLY_ACTION,
                    SUPPLY_TITLE,
                    form.data_hidden(),
                    &form.contact,
                    Errors::default(),
                )
            }
        }
        ("2", "next") => match state.services.validate_supplies(&form.request()) {
            Ok(_) => supply_review(p, &form, None),
            Err(e) => supply_invalid(p, &form, &e),
        },
        ("3", "send") => match state
            .services
            .create_supply(
                &device,
                sealed_config(&headers),
                idempotency_key(&headers),
                form.request(),
            )
            .await
        {
            Ok(a) => done(
                p,
                "panel-supplies-requested",
                &a,
                config.confirmation_email.supply_incident,
                config.help_desk_override,
                BackTo::Supplies,
            ),
            Err(e) => supply_invalid(p, &form, &e),
        },
        _ => error_page(p, &ApiError::BadRequest(p.t("panel-unknown-step-supplies"))),
    }
}
