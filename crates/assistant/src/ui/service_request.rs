//! The "Report a problem" wizard (`/ui/v1/service-request`): 1 the issue and a description,
//! 2 the contact, 3 review and Send.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::forms::FormFields;
use super::pages::{Errors, Hidden, error_page, html};
use super::wizard::{
    CONTACT_FIELDS, Review, cancelled, contact_hidden, contact_of, contact_rows, contact_step,
    done, invalid_fields, not_sent, open,
};
use crate::api::{idempotency_key, sealed_config};
use crate::app::AppState;
use crate::error::RuleError as ApiError;
use crate::rules::{ContactInput, ServiceRequest};
use crate::service::DeviceContext;

const SERVICE_ACTION: &str = "/ui/v1/service-request";
const SERVICE_TITLE: &str = "Report a problem";

pub struct IssueOption {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "ui/service_step1.html")]
pub struct ServiceStep1 {
    pub demo: bool,
    pub issues: Vec<IssueOption>,
    pub description: String,
    pub hidden: Hidden,
    pub errors: Errors,
}

fn service_step1(demo: bool, language: &str, req: &ServiceRequest, errors: Errors) -> Response {
    let issues = crate::issues::common_issues(language)
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
            demo,
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

fn service_review(
    demo: bool,
    language: &str,
    req: &ServiceRequest,
    error: Option<(StatusCode, String)>,
) -> Response {
    let mut rows = vec![(
        "Issue",
        crate::issues::label(&req.issue_code, language)
            .unwrap_or("")
            .to_string(),
    )];
    rows.push((
        "Description",
        if req.description.trim().is_empty() {
            "none".to_string()
        } else {
            req.description.trim().to_string()
        },
    ));
    rows.extend(contact_rows(&req.contact));
    let mut hidden = service_data_hidden(req);
    hidden.extend(contact_hidden(&req.contact));
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    html(
        status,
        &Review {
            demo,
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
        Err(e) => return error_page(device.demo, &e),
    };
    if let Err(e) = state.services.check_service_allowed(&device, &config).await {
        return error_page(device.demo, &e);
    }
    let empty = ServiceRequest {
        issue_code: String::new(),
        description: String::new(),
        contact: ContactInput::default(),
    };
    service_step1(
        device.demo,
        config.language.as_str(),
        &empty,
        Errors::default(),
    )
}

pub async fn service_step(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let demo = device.demo;
    let f = FormFields::parse(&body);
    if f.get("op") == "cancel" {
        return cancelled(demo);
    }
    let config = match open(&state, &headers) {
        Ok(c) => c,
        Err(e) => return error_page(demo, &e),
    };
    let language = config.language.as_str();
    let req = ServiceRequest {
        issue_code: f.get("issue_code").to_string(),
        description: f.get("description").to_string(),
        contact: contact_of(&f),
    };
    let data_errors = |errors: Errors| errors.only(&["issue_code", "description"]);
    match (f.get("step"), f.get("op")) {
        ("2", "back") => service_step1(demo, language, &req, Errors::default()),
        ("3", "back") => contact_step(
            demo,
            SERVICE_ACTION,
            SERVICE_TITLE,
            service_data_hidden(&req),
            &req.contact,
            Errors::default(),
        ),
        ("1", "next") => {
            let errors = match state.services.validate_service(&req, language) {
                Ok(_) => Errors::default(),
                Err(e) => invalid_fields(&e).map(data_errors).unwrap_or_default(),
            };
            if errors.is_empty() {
                contact_step(
                    demo,
                    SERVICE_ACTION,
                    SERVICE_TITLE,
                    service_data_hidden(&req),
                    &req.contact,
                    Errors::default(),
                )
            } else {
                service_step1(demo, language, &req, errors)
            }
        }
        ("2", "next") => match state.services.validate_service(&req, language) {
            Ok(_) => service_review(demo, language, &req, None),
            Err(e) => service_invalid(demo, language, &req, &e),
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
                demo,
                "Problem reported",
                &a,
                config.confirmation_email.service_incident,
            ),
            Err(e) => service_invalid(demo, language, &req, &e),
        },
        _ => error_page(
            demo,
            &ApiError::BadRequest(
                "This step of the form is not known. Please start again from the Services tab."
                    .into(),
            ),
        ),
    }
}

/// Back to the step whose fields are wrong, or the review with the reason it was not sent.
fn service_invalid(demo: bool, language: &str, req: &ServiceRequest, e: &ApiError) -> Response {
    match invalid_fields(e) {
        Some(errors)
            if errors.get("issue_code").is_some() || errors.get("description").is_some() =>
        {
            service_step1(
                demo,
                language,
                req,
                errors.only(&["issue_code", "description"]),
            )
        }
        Some(errors) => contact_step(
            demo,
            SERVICE_ACTION,
            SERVICE_TITLE,
            service_data_hidden(req),
            &req.contact,
            errors.only(CONTACT_FIELDS),
        ),
        None => service_review(demo, language, req, Some((e.status(), not_sent(e)))),
    }
}
