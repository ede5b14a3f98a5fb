//! The request wizards: 1 data, 2 contact, 3 review with Send and Cancel. Each step is a form
//! whose hidden fields carry what the earlier steps collected; the button pressed is `op`
//! (`next`, `back`, `send`, `cancel`). Send goes through the same rules and outbox as the App API
//! (`create_service`, `create_supply`, `submit_meters`), with the Idempotency-Key the weblet sends.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use proto::AppConfiguration;

use super::forms::FormFields;
use super::pages::{
    Cancelled, ContactStep, Done, Errors, Hidden, IssueOption, MetersTab, Review, ServiceStep1,
    SuppliesTab, SupplyRow, error_page, html,
};
use super::tabs::meter_rows;
use crate::api::{idempotency_key, sealed_config};
use crate::app::AppState;
use crate::error::RuleError as ApiError;
use crate::rules::{
    Accepted, ContactInput, MeterInput, MeterSubmissionInput, ServiceRequest, SupplyPick,
    SupplyRequestInput,
};
use crate::service::DeviceContext;

const SERVICE_ACTION: &str = "/ui/v1/service-request";
const SUPPLY_ACTION: &str = "/ui/v1/supply-request";
const SERVICE_TITLE: &str = "Report a problem";
const SUPPLY_TITLE: &str = "Request supplies";
const CONTACT_FIELDS: &[&str] = &["name", "email", "phone"];

fn contact_of(f: &FormFields) -> ContactInput {
    ContactInput {
        name: f.get("name").to_string(),
        email: f.get("email").to_string(),
        phone: Some(f.get("phone").to_string()),
    }
}

fn contact_hidden(c: &ContactInput) -> Hidden {
    vec![
        ("name".into(), c.name.clone()),
        ("email".into(), c.email.clone()),
        ("phone".into(), c.phone.clone().unwrap_or_default()),
    ]
}

fn contact_rows(c: &ContactInput) -> Vec<(&'static str, String)> {
    vec![
        ("Name", c.name.trim().to_string()),
        ("E-mail", c.email.trim().to_string()),
        (
            "Phone",
            c.phone
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .unwrap_or("not given")
                .to_string(),
        ),
    ]
}

fn invalid_fields(e: &ApiError) -> Option<Errors> {
    match e {
        ApiError::Invalid(fields) => Some(Errors::from_fields(fields)),
        _ => None,
    }
}

fn done(demo: bool, title: &'static str, a: &Accepted, mail: bool) -> Response {
    html(
        if a.incident_number.is_some() {
            StatusCode::CREATED
        } else {
            StatusCode::ACCEPTED
        },
        &Done {
            demo,
            title,
            number: a.incident_number.clone(),
            reference: a.reference.clone(),
            created: a.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            mail: mail && !demo,
        },
    )
}

fn cancelled(demo: bool) -> Response {
    html(StatusCode::OK, &Cancelled { demo })
}

fn open(state: &AppState, headers: &HeaderMap) -> Result<AppConfiguration, ApiError> {
    state.services.open_config(sealed_config(headers))
}

// ---- Report a problem ----

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

fn contact_step(
    demo: bool,
    action: &'static str,
    title: &'static str,
    hidden: Hidden,
    contact: &ContactInput,
    errors: Errors,
) -> Response {
    html(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &ContactStep {
            demo,
            action,
            title,
            hidden,
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone().unwrap_or_default(),
            errors,
        },
    )
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

fn not_sent(e: &ApiError) -> String {
    let retry = matches!(
        e,
        ApiError::Unavailable(_) | ApiError::Internal(_) | ApiError::TooMany(_)
    );
    format!(
        "Not sent: {}{}",
        e.detail(),
        if retry {
            " Press Send to try again."
        } else {
            ""
        }
    )
}

// ---- Request supplies ----

struct SupplyForm {
    offered: Vec<SupplyPick>,
    picks: Vec<String>,
    contact: ContactInput,
}

impl SupplyForm {
    fn parse(f: &FormFields) -> Result<Self, ApiError> {
        let offered: Vec<SupplyPick> = serde_json::from_str(f.get("offered")).map_err(|_| {
            ApiError::BadRequest(
                "The list of supplies did not come through. Please open the Supplies tab again."
                    .into(),
            )
        })?;
        Ok(Self {
            offered,
            picks: f.all("pick"),
            contact: contact_of(f),
        })
    }

    fn chosen(&self) -> Vec<SupplyPick> {
        self.offered
            .iter()
            .filter(|s| self.picks.contains(&s.index))
            .cloned()
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

    fn rows(&self, only_chosen: bool) -> Vec<SupplyRow> {
        self.offered
            .iter()
            .filter(|s| !only_chosen || self.picks.contains(&s.index))
            .map(|s| SupplyRow {
                index: s.index.clone(),
                description: s.description.clone(),
                part_number: s.part_number.clone().unwrap_or_default(),
                level: s.percent.map(|p| format!("{p}%")).unwrap_or_default(),
                status: String::new(),
                low: false,
                checked: self.picks.contains(&s.index),
            })
            .collect()
    }
}

fn supply_step1(demo: bool, form: &SupplyForm, errors: Errors) -> Response {
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
            demo,
            show_incidents: false,
            incidents: Vec::new(),
            incidents_error: None,
            supplies: form.rows(false),
            can_request: true,
            reason: None,
            hidden,
            errors,
        },
    )
}

fn supply_review(demo: bool, form: &SupplyForm, error: Option<(StatusCode, String)>) -> Response {
    let mut hidden = form.data_hidden();
    hidden.extend(contact_hidden(&form.contact));
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    html(
        status,
        &Review {
            demo,
            action: SUPPLY_ACTION,
            title: SUPPLY_TITLE,
            rows: contact_rows(&form.contact),
            supplies: form.rows(true),
            hidden,
            error,
        },
    )
}

fn supply_invalid(demo: bool, form: &SupplyForm, e: &ApiError) -> Response {
    match invalid_fields(e) {
        Some(errors) if errors.get("supplies").is_some() => {
            supply_step1(demo, form, errors.only(&["supplies"]))
        }
        Some(errors) => contact_step(
            demo,
            SUPPLY_ACTION,
            SUPPLY_TITLE,
            form.data_hidden(),
            &form.contact,
            errors.only(CONTACT_FIELDS),
        ),
        None => supply_review(demo, form, Some((e.status(), not_sent(e)))),
    }
}

pub async fn supply_step(
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
    let form = match SupplyForm::parse(&f) {
        Ok(form) => form,
        Err(e) => return error_page(demo, &e),
    };
    if let Err(e) = state
        .services
        .check_supplies_allowed(&device, &config)
        .await
    {
        return error_page(demo, &e);
    }
    match (f.get("step"), f.get("op")) {
        ("2", "back") => supply_step1(demo, &form, Errors::default()),
        ("3", "back") => contact_step(
            demo,
            SUPPLY_ACTION,
            SUPPLY_TITLE,
            form.data_hidden(),
            &form.contact,
            Errors::default(),
        ),
        ("1", "next") => {
            if form.chosen().is_empty() {
                supply_step1(
                    demo,
                    &form,
                    Errors::from_fields(&[crate::error::FieldError::new(
                        "supplies",
                        "Pick at least one supply",
                    )]),
                )
            } else {
                contact_step(
                    demo,
                    SUPPLY_ACTION,
                    SUPPLY_TITLE,
                    form.data_hidden(),
                    &form.contact,
                    Errors::default(),
                )
            }
        }
        ("2", "next") => match state.services.validate_supplies(&form.request()) {
            Ok(_) => supply_review(demo, &form, None),
            Err(e) => supply_invalid(demo, &form, &e),
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
                demo,
                "Supplies requested",
                &a,
                config.confirmation_email.supply_incident,
            ),
            Err(e) => supply_invalid(demo, &form, &e),
        },
        _ => error_page(
            demo,
            &ApiError::BadRequest(
                "This step of the form is not known. Please start again from the Supplies tab."
                    .into(),
            ),
        ),
    }
}

// ---- Meters ----

pub async fn send_meters(
    State(state): State<AppState>,
    device: DeviceContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let demo = device.demo;
    let f = FormFields::parse(&body);
    let meters: Vec<MeterInput> = match serde_json::from_str(f.get("meters")) {
        Ok(m) => m,
        Err(_) => {
            return error_page(
                demo,
                &ApiError::BadRequest(
                    "The meter values did not come through. Please open the Meters tab again."
                        .into(),
                ),
            );
        }
    };
    let input = MeterSubmissionInput {
        meters: meters.clone(),
        contact: None,
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
        Ok(a) => done(demo, "Meter reads sent", &a, false),
        Err(e) => html(
            e.status(),
            &MetersTab {
                demo,
                meters: meter_rows(&meters),
                can_send: !matches!(e, ApiError::Forbidden(_) | ApiError::UnknownDevice(_)),
                reason: None,
                hidden: vec![(
                    "meters".into(),
                    serde_json::to_string(&meters).unwrap_or_default(),
                )],
                error: Some(not_sent(&e)),
            },
        ),
    }
}
