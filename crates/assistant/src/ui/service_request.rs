//! The "Report a problem" wizard (`/ui/v1/service-request`): 1 the issue and a description,
//! 2 the contact, 3 review and Send.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::forms::FormFields;
use super::pages::{Errors, Hidden, Panel, error_page, html};
use super::wizard::{
    BackTo, CONTACT_FIELDS, Review, cancelled, contact_hidden, contact_of, contact_rows,
    contact_step, done, invalid_fields, not_sent, open,
};
use crate::api::{idempotency_key, sealed_config};
use crate::app::AppState;
use crate::error::RuleError as ApiError;
use crate::rules::{ContactInput, ServiceRequest};
use crate::service::DeviceContext;

const SERVICE_ACTION: &str = "/ui/v1/service-request";
/// Message id (`panel.ftl`) of the wizard's title.
const SERVICE_TITLE: &str = "panel-report-problem";

pub struct IssueOption {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "ui/service_step1.html")]
pub struct ServiceStep1 {
    pub p: Panel,
    pub issues: Vec<IssueOption>,
    pub description: String,
    pub hidden: Hidden,
    pub errors: Errors,
}

fn service_step1(p: Panel, req: &ServiceRequest, errors: Errors) -> Response {
    let issues = crate::issues::common_issues(p.lang.code())
        .into_iter()
        .map(|i| IssueOption {
            code: i.code,
            label: i.label,
            checked: i.code == req.issue_code,
        })
        .collect();
    html(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &ServiceStep1 {
            p,
            issues,
            description: req.description.clone(),
            hidden: contact_hidden(&req.contact),
            errors,
        },
    )
}

fn service_data_hidden(req: &ServiceRequest) -> Hidden {
    vec![
        ("issue_code".into(), req.issue_code.clone()),
        ("description".into(), req.description.clone()),
    ]
}

fn service_review(p: Panel, req: &ServiceRequest, error: Option<(StatusCode, String)>) -> Response {
    let mut rows = vec![(
        "panel-issue",
        crate::issues::label(&req.issue_code, p.lang.code()).unwrap_or_default(),
    )];
    rows.push((
        "panel-description",
        if req.description.trim().is_empty() {
            p.t("panel-none")
        } else {
            req.description.trim().to_string()
        },
    ));
    rows.extend(contact_rows(p, &req.contact));
    let mut hidden = service_data_hidden(req);
    hidden.extend(contact_hidden(&req.contact));
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    html(
        status,
        &Review {
            p,
            action: SERVICE_ACTION,
            title: SERVICE_TITLE,
            rows,
            supplies: Vec::new(),
            hidden,
            error,
        },
    )
}

pub async fn service_start(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
) -> Response {
    let config = match open(&state, &headers) {
        Ok(c) => c,
        Err(e) => return error_page(Panel::new(&device, None), &e),
    };
    let p = Panel::new(&device, Some(&config));
    if let Err(e) = crate::rules::check_tab(&device, &config, proto::Tab::Service) {
        return error_page(p, &e);
    }
    if let Err(e) = state.services.check_service_allowed(&device, &config).await {
        return error_page(p, &e);
    }
    let empty = ServiceRequest {
        issue_code: String::new(),
        description: String::new(),
        contact: ContactInput::default(),
    };
    service_step1(p, &empty, Errors::default())
}

pub async fn service_step(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = FormFields::parse(&body);
    let config = open(&state, &headers);
    let p = Panel::new(&device, config.as_ref().ok());
    if f.get("op") == "cancel" {
        return cancelled(p, BackTo::Services);
    }
    let config = match config {
        Ok(c) => c,
        Err(e) => return error_page(p, &e),
    };
    if let Err(e) = crate::rules::check_tab(&device, &config, proto::Tab::Service) {
        return error_page(p, &e);
    }
    let language = device.locale(Some(&config)).code();
    let req = ServiceRequest {
        issue_code: f.get("issue_code").to_string(),
        description: f.get("description").to_string(),
        contact: contact_of(&f),
    };
    let data_errors = |errors: Errors| errors.only(&["issue_code", "description"]);
    match (f.get("step"), f.get("op")) {
        ("2", "back") => service_step1(p, &req, Errors::default()),
        ("3", "back") => contact_step(
            p,
            SERVICE_ACTION,
            SERVICE_TITLE,
            service_data_hidden(&req),
            &req.contact,
            Errors::default(),
        ),
        ("1", "next") => {
            let errors = match state.services.validate_service(&req, language) {
                Ok(_) => Errors::default(),
                Err(e) => invalid_fields(p, &e).map(data_errors).unwrap_or_default(),
            };
            if errors.is_empty() {
                contact_step(
                    p,
                    SERVICE_ACTION,
                    SERVICE_TITLE,
                    service_data_hidden(&req),
                    &req.contact,
                    Errors::default(),
                )
            } else {
                service_step1(p, &req, errors)
            }
        }
        ("2", "next") => match state.services.validate_service(&req, language) {
            Ok(_) => service_review(p, &req, None),
            Err(e) => service_invalid(p, &req, &e),
        },
        ("3", "send") => match state
            .services
            .create_service(
                &device,
                sealed_config(&headers),
                idempotency_key(&headers),
                req.clone(),
            )
            .await
        {
            Ok(a) => done(
                p,
                "panel-problem-reported",
                &a,
                config.confirmation_email.service_incident,
                config.help_desk_override,
                BackTo::Services,
            ),
            Err(e) => service_invalid(p, &req, &e),
        },
        _ => error_page(p, &ApiError::BadRequest(p.t("panel-unknown-step-service"))),
    }
}

/// Back to the step whose fields are wrong, or the review with the reason it was not sent.
fn service_invalid(p: Panel, req: &ServiceRequest, e: &ApiError) -> Response {
    match invalid_fields(p, e) {
        Some(errors)
            if errors.get("issue_code").is_some() || errors.get("description").is_some() =>
        {
            service_step1(p, req, errors.only(&["issue_code", "description"]))
        }
        Some(errors) => contact_step(
            p,
            SERVICE_ACTION,
            SERVICE_TITLE,
            service_data_hidden(req),
            &req.contact,
            errors.only(CONTACT_FIELDS),
        ),
        None => service_review(p, req, Some((e.status(), not_sent(p, e)))),
    }
}
