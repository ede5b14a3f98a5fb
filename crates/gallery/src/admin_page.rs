//! The admin pages: `/admin` lists the devices the key sees, `/admin/devices/{serial}` is a
//! server-rendered form to edit one device's app configuration.
//! Protected by HTTP Basic (any user name, an API key as password); POSTs must come from the
//! page itself (Sec-Fetch-Site / Origin), so another site cannot make a logged-in browser save.

use crate::b64;
use crate::config::{AppConfiguration, Language, SnmpCommunity};
use crate::domain::{DeviceSerial, Scope};
use crate::http::ApiError;
use crate::logo::{Logo, LogoInput as _, MAX_LOGO_BYTES};
use crate::service::{AppState, ServiceError, configuration_of, device_for, save_configuration};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{FromRequestParts, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/", get(index))
        .route("/admin/devices/{serial}", get(show).post(save))
}

/// A browser that gave an API key through HTTP Basic, and what that key may see.
pub struct PageAdmin(pub Scope);

fn challenge() -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, "API key required").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"App Gallery\", charset=\"UTF-8\""),
    );
    response
}

impl FromRequestParts<AppState> for PageAdmin {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let password = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|v| b64::std_decode(v).ok())
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.split_once(':').map(|(_, p)| p.to_owned()));
        let Some(password) = password else {
            return Err(challenge());
        };
        match crate::http::auth::key_scope(state, &password).await {
            Ok(Some(scope)) => Ok(PageAdmin(scope)),
            Ok(None) => Err(challenge()),
            Err(err) => Err(err.into_response()),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "device.html")]
struct DevicePage {
    serial: String,
    notice: Option<String>,
    error: Option<String>,
    snmp_community: String,
    language: String,
    logo_src: Option<String>,
    logo_url: String,
    create_service_incidents: bool,
    create_supply_incidents: bool,
    submit_meters: bool,
    email_service_incident: bool,
    email_supply_incident: bool,
    email_meter_submission: bool,
    tab_service: bool,
    tab_supplies: bool,
    tab_meters: bool,
    tab_help: bool,
    help_desk_text: String,
    help_desk_override: bool,
}

impl DevicePage {
    fn new(serial: &DeviceSerial, c: &AppConfiguration) -> Self {
        Self {
            serial: serial.to_string(),
            notice: None,
            error: None,
            snmp_community: c.snmp_community.expose().to_owned(),
            language: c
                .language
                .as_ref()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            logo_src: c.logo.as_ref().and_then(Logo::data_uri),
            logo_url: c
                .logo
                .as_ref()
                .and_then(Logo::source_url)
                .unwrap_or_default()
                .to_owned(),
            create_service_incidents: c.permissions.create_service_incidents,
            create_supply_incidents: c.permissions.create_supply_incidents,
            submit_meters: c.permissions.submit_meters,
            email_service_incident: c.confirmation_email.service_incident,
            email_supply_incident: c.confirmation_email.supply_incident,
            email_meter_submission: c.confirmation_email.meter_submission,
            tab_service: c.tabs.service,
            tab_supplies: c.tabs.supplies,
            tab_meters: c.tabs.meters,
            tab_help: c.tabs.help,
            help_desk_text: c.help_desk_text.clone(),
            help_desk_override: c.help_desk_override,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
struct IndexPage {
    scope: String,
    devices: Vec<crate::storage::Device>,
}

/// The devices this key sees, each linking to its configuration page.
async fn index(
    PageAdmin(scope): PageAdmin,
    State(state): State<AppState>,
) -> Result<IndexPage, ApiError> {
    let devices = state.store.devices(&scope).await?;
    Ok(IndexPage {
        scope: scope.to_string(),
        devices,
    })
}

async fn device_serial(
    state: &AppState,
    scope: &Scope,
    text: &str,
) -> Result<DeviceSerial, ApiError> {
    let serial = DeviceSerial::parse(text)?;
    device_for(state, scope, &serial).await?;
    Ok(serial)
}

async fn show(
    PageAdmin(scope): PageAdmin,
    State(state): State<AppState>,
    Path(serial): Path<String>,
) -> Result<DevicePage, ApiError> {
    let serial = device_serial(&state, &scope, &serial).await?;
    let config = configuration_of(&state, &serial).await?;
    Ok(DevicePage::new(&serial, &config))
}

#[derive(Debug, Default)]
pub struct DeviceForm {
    snmp_community: String,
    language: String,
    logo_url: String,
    logo_file: Option<Vec<u8>>,
    logo_remove: Option<String>,
    create_service_incidents: Option<String>,
    create_supply_incidents: Option<String>,
    submit_meters: Option<String>,
    email_service_incident: Option<String>,
    email_supply_incident: Option<String>,
    email_meter_submission: Option<String>,
    tab_service: Option<String>,
    tab_supplies: Option<String>,
    tab_meters: Option<String>,
    tab_help: Option<String>,
    help_desk_text: String,
    help_desk_override: Option<String>,
}

fn same_origin(headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = site {
        return site == "same-origin" || site == "none";
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
        (None, _) => true, // not a browser form post
    }
}

fn apply(form: &DeviceForm, mut config: AppConfiguration) -> Result<AppConfiguration, String> {
    let on = |v: &Option<String>| v.is_some();
    config.snmp_community =
        SnmpCommunity::parse(form.snmp_community.trim()).map_err(|e| e.to_string())?;
    // Empty: the device's own language (else English).
    config.language = match form.language.trim() {
        "" => None,
        tag => Some(Language::parse(tag).map_err(|e| e.to_string())?),
    };
    if on(&form.logo_remove) {
        config.logo = None;
    } else if let Some(bytes) = form.logo_file.as_deref().filter(|b| !b.is_empty()) {
        config.logo = Some(Logo::from_upload(bytes).map_err(|e| e.to_string())?);
    } else if !form.logo_url.trim().is_empty()
        && config.logo.as_ref().and_then(Logo::source_url) != Some(form.logo_url.trim())
    {
        // A new URL: fetched and checked when saved (`save_configuration`).
        config.logo = Some(Logo::from_url(&form.logo_url).map_err(|e| e.to_string())?);
    }
    config.permissions.create_service_incidents = on(&form.create_service_incidents);
    config.permissions.create_supply_incidents = on(&form.create_supply_incidents);
    config.permissions.submit_meters = on(&form.submit_meters);
    config.confirmation_email.service_incident = on(&form.email_service_incident);
    config.confirmation_email.supply_incident = on(&form.email_supply_incident);
    config.confirmation_email.meter_submission = on(&form.email_meter_submission);
    config.tabs.service = on(&form.tab_service);
    config.tabs.supplies = on(&form.tab_supplies);
    config.tabs.meters = on(&form.tab_meters);
    config.tabs.help = on(&form.tab_help);
    config.help_desk_text = form.help_desk_text.replace("\r\n", "\n");
    config.help_desk_override = on(&form.help_desk_override);
    crate::config::validate(&config).map_err(|e| e.to_string())?;
    Ok(config)
}

async fn save(
    PageAdmin(scope): PageAdmin,
    State(state): State<AppState>,
    Path(serial): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "form posts must come from the admin page itself".into(),
        ));
    }
    let form = read_form(multipart).await?;
    let serial = device_serial(&state, &scope, &serial).await?;
    let current = configuration_of(&state, &serial).await?;
    let saved = match apply(&form, current.clone()) {
        Ok(config) => match save_configuration(&state, &serial, config).await {
            Ok((config, _)) => Ok(config),
            Err(ServiceError::Invalid(message) | ServiceError::Unprocessable(message)) => {
                Err(message)
            }
            Err(other) => return Err(other.into()),
        },
        Err(message) => Err(message),
    };
    match saved {
        Ok(config) => {
            let mut page = DevicePage::new(&serial, &config);
            page.notice = Some(
                "Saved. The device receives the new configuration with its next install or update."
                    .into(),
            );
            Ok(page.into_response())
        }
        Err(message) => {
            let mut page = DevicePage::new(&serial, &current);
            page.error = Some(message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Reads the multipart form; the logo file is read only up to one byte past the limit.
async fn read_form(mut multipart: Multipart) -> Result<DeviceForm, ApiError> {
    let bad =
        |e: axum::extract::multipart::MultipartError| ApiError::BadRequest(format!("form: {e}"));
    let mut form = DeviceForm::default();
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "logo_file" {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > MAX_LOGO_BYTES {
                    break;
                }
            }
            form.logo_file = Some(bytes);
            continue;
        }
        let mut value = String::new();
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            value.push_str(&String::from_utf8_lossy(&chunk));
            if value.len() > 16 * 1024 {
                return Err(ApiError::BadRequest(format!(
                    "form field {name} is too long"
                )));
            }
        }
        let on = Some(value.clone());
        match name.as_str() {
            "snmp_community" => form.snmp_community = value,
            "language" => form.language = value,
            "logo_url" => form.logo_url = value,
            "help_desk_text" => form.help_desk_text = value,
            "logo_remove" => form.logo_remove = on,
            "create_service_incidents" => form.create_service_incidents = on,
            "create_supply_incidents" => form.create_supply_incidents = on,
            "submit_meters" => form.submit_meters = on,
            "email_service_incident" => form.email_service_incident = on,
            "email_supply_incident" => form.email_supply_incident = on,
            "email_meter_submission" => form.email_meter_submission = on,
            "tab_service" => form.tab_service = on,
            "tab_supplies" => form.tab_supplies = on,
            "tab_meters" => form.tab_meters = on,
            "tab_help" => form.tab_help = on,
            "help_desk_override" => form.help_desk_override = on,
            _ => {}
        }
    }
    Ok(form)
}
