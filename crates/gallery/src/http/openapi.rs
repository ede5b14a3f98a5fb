//! The gallery's OpenAPI document (`GET /openapi.json`): what each operation takes and answers,
//! the path parameters with the rules the handlers apply, and the request bodies as strict as
//! their parsing ([`super::parse_strict`] refuses unknown fields, so every body object says
//! `additionalProperties: false`).
//!
//! Status convention: 400 = the request does not match this document (a parameter or body
//! field breaks its pattern, type or length); 422 = it matches, but breaks a rule a JSON
//! Schema cannot state (a contract that ends before it starts, no tab switched on, logo bytes
//! that are not the image they claim or an SVG with a script, a package whose manifest is wrong
//! or names another app). RFC 9110 §15.5.21.

use super::error::ApiError;
use super::{apps, credentials, devices};
use crate::config::AppConfiguration;
use crate::credential::{PublicKeySet, RevocationList};
use crate::entitlement::{DeviceEntitlements, Entitlements};
use crate::install::InstallBundle;
use crate::package::UpdateAction;
use crate::service::{AppUpdate, InstallRequest, PublishedVersion};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use proto::Problem;
use serde_json::{Value, json};
use utoipa::OpenApi;

/// `proto::DeviceSerial` as a URL takes it (see [`super::serial`]): 1–64 of `A-Z a-z 0-9 . _ -`
/// with at least one letter or digit; case does not matter (stored upper case).
pub const SERIAL_PATTERN: &str = "^[A-Za-z0-9._-]*[A-Za-z0-9][A-Za-z0-9._-]*$";
/// `proto::AppId`: 1–64 of `a-z 0-9 - _ .`, starting with a letter.
pub const APP_ID_PATTERN: &str = "^[a-z][a-z0-9._-]{0,63}$";
/// `proto::PartnerId`: 1–64 of `A-Z a-z 0-9 - _ .`.
pub const TENANT_PATTERN: &str = "^[A-Za-z0-9._-]{1,64}$";
/// `proto::Language`: a primary tag of 2–3 lower-case letters, then subtags of 2–8 letters or
/// digits.
pub const LANGUAGE_PATTERN: &str = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$";
/// `proto::SnmpCommunity`: 1–32 printable ASCII characters, no space.
pub const COMMUNITY_PATTERN: &str = "^[!-~]{1,32}$";
/// Standard base64 with padding (`proto::b64::decode`).
pub const BASE64_PATTERN: &str = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";
/// A Semantic Versioning 2.0.0 version (semver.org's grammar; numbers of at most 16 digits,
/// which the `semver` crate's u64 holds).
pub const SEMVER_PATTERN: &str = r"^(0|[1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,15})(-(0|[1-9][0-9]{0,15}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]{0,15}|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "App Gallery",
        description = "App versions, sealed per-device app configuration, entitlements and device credentials. \
            400: the request does not match this document; 422: it does, but breaks a rule a schema cannot state \
            (a contract ending before it starts, no tab switched on, logo bytes that are not the image they claim \
            or an unsafe SVG, a package whose manifest is wrong or names another app)."
    ),
    paths(
        super::healthz,
        credentials::public_keys,
        credentials::revocations,
        apps::publish_version,
        apps::list_versions,
        devices::put_device,
        devices::get_configuration,
        devices::put_configuration,
        devices::get_sealed_configuration,
        devices::put_entitlements,
        devices::get_entitlements,
        devices::install,
        credentials::revoke,
        devices::updates,
        apps::download_package
    ),
    components(schemas(
        Problem,
        PublicKeySet,
        RevocationList,
        PublishedVersion,
        devices::DeviceRequest,
        devices::SealedConfiguration,
        AppConfiguration,
        Entitlements,
        DeviceEntitlements,
        InstallRequest,
        InstallBundle,
        AppUpdate,
        UpdateAction,
        crate::entitlement::Contract
    )),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

/// `api_key`: a partner-admin API key; `device_credential`: the device's signed token.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "device_credential",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The whole document as served: the derived one, the platform's common problems, and the
/// body rules the derive cannot carry (the shared `proto` types keep lenient serde for reading
/// newer documents, while the gallery refuses unknown fields when they come in).
pub fn document_json() -> Result<Value, serde_json::Error> {
    let mut doc = ApiDoc::openapi();
    platform::ops::document_problems(&mut doc, &platform::ops::COMMON_PROBLEMS);
    let mut value = serde_json::to_value(&doc)?;
    refine_parameters(&mut value);
    if let Some(schemas) = value
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        // `Entitlements` is also flattened into the `DeviceEntitlements` answer, so the strict
        // copy for the request body gets a name of its own.
        if let Some(entitlements) = schemas.get("Entitlements").cloned() {
            schemas.insert("EntitlementsUpdate".into(), entitlements);
        }
        for name in [
            "AppConfiguration",
            "Permissions",
            "ConfirmationEmail",
            "Tabs",
            "EntitlementsUpdate",
            "Contract",
        ] {
            if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
                schema.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        if let Some(tabs) = schemas.get_mut("Tabs").and_then(Value::as_object_mut) {
            tabs.insert(
                "description".into(),
                json!("Which tabs the panel shows; at least one must stay on (else 422)."),
            );
        }
        if let Some(properties) = schemas
            .get_mut("AppConfiguration")
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            refine_app_configuration(properties);
        }
        if let Some(properties) = schemas
            .get_mut("DeviceRequest")
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            properties.insert("tenant".into(), tenant_schema());
        }
        if let Some(properties) = schemas
            .get_mut("InstallRequest")
            .and_then(|s| s.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            properties.insert(
                "app_id".into(),
                json!({ "type": ["string", "null"], "pattern": APP_ID_PATTERN,
                        "description": "Defaults to `support-assistant`." }),
            );
            properties.insert(
                "version".into(),
                json!({ "type": ["string", "null"], "pattern": SEMVER_PATTERN,
                        "description": "Defaults to the latest published version." }),
            );
            properties.insert(
                "valid_days".into(),
                json!({ "type": ["integer", "null"], "minimum": 1, "maximum": 3650,
                        "description": "Credential lifetime in days (default 365)." }),
            );
        }
        if let Some(contract) = schemas.get_mut("Contract").and_then(Value::as_object_mut) {
            contract.insert(
                "description".into(),
                json!("Both days included; `ends_on` before `starts_on` is refused with 422."),
            );
        }
    }
    if let Some(body) = value.pointer_mut(
        "/paths/~1api~1devices~1{serial}~1entitlements/put/requestBody/content/application~1json/schema",
    ) {
        *body = json!({ "$ref": "#/components/schemas/EntitlementsUpdate" });
    }
    Ok(value)
}

fn serial_schema() -> Value {
    json!({
        "type": "string", "pattern": SERIAL_PATTERN, "minLength": 1, "maxLength": 64,
        "example": "TC101642170085",
        "description": "Device serial: 1–64 of `A-Z a-z 0-9 . _ -`, at least one letter or digit; case does not matter."
    })
}

fn tenant_schema() -> Value {
    json!({
        "type": "string", "pattern": TENANT_PATTERN, "minLength": 1, "maxLength": 64,
        "example": "partner-a.customer-7",
        "description": "Partner (and customer) the device belongs to."
    })
}

/// The path and query parameters by name: every `serial`, `app_id` and `version` the handlers
/// parse with the rules above.
fn refine_parameters(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in item.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for parameter in parameters.iter_mut().filter_map(Value::as_object_mut) {
                let schema = match parameter.get("name").and_then(Value::as_str) {
                    Some("serial") => serial_schema(),
                    Some("app_id") => json!({
                        "type": "string", "pattern": APP_ID_PATTERN, "example": "support-assistant"
                    }),
                    Some("version") => {
                        json!({ "type": "string", "pattern": SEMVER_PATTERN, "example": "1.0.0" })
                    }
                    _ => continue,
                };
                parameter.insert("schema".into(), schema);
            }
        }
    }
}

fn refine_app_configuration(properties: &mut serde_json::Map<String, Value>) {
    properties.insert(
        "snmp_community".into(),
        json!({
            "type": "string", "pattern": COMMUNITY_PATTERN, "minLength": 1, "maxLength": 32,
            "example": "public",
            "description": "SNMP v1/v2c read community: 1–32 printable ASCII characters, no space."
        }),
    );
    properties.insert(
        "language".into(),
        json!({
            "type": "string", "pattern": LANGUAGE_PATTERN, "example": "en",
            "description": "Language tag such as `en` or `de-CH`."
        }),
    );
    properties.insert(
        "help_desk_text".into(),
        json!({
            "type": "string", "maxLength": proto::config::HELP_DESK_MAX,
            "description": "Shown on the help tab."
        }),
    );
    properties.insert(
        "support_email".into(),
        json!({
            "type": ["string", "null"], "format": "email", "maxLength": 254,
            "example": "support@partner.example",
            "description": "The partner's support address (a role address, not a person's): told by e-mail \
                when a submission the assistant acknowledged is refused by the Services Manager afterwards."
        }),
    );
    let image = |media_type: &str| {
        json!({
            "type": "object", "additionalProperties": false, "required": ["media_type", "data"],
            "properties": {
                "media_type": { "type": "string", "enum": [media_type] },
                "data": {
                    "type": "string", "pattern": BASE64_PATTERN,
                    "maxLength": proto::config::MAX_LOGO_BYTES.div_ceil(3) * 4,
                    "description": "The image, standard base64"
                }
            }
        })
    };
    properties.insert(
        "logo".into(),
        json!({
            "description": format!(
                "An https URL, or an image of at most {} bytes whose bytes are the type it names \
                 (an SVG must hold no script, event handler, external reference or foreign object). \
                 Content that breaks these rules is refused with 422.",
                proto::config::MAX_LOGO_BYTES
            ),
            "oneOf": [
                { "type": "null" },
                {
                    "type": "object", "additionalProperties": false, "required": ["url"],
                    "properties": { "url": { "type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]://" } }
                },
                image("image/png"),
                image("image/jpeg"),
                image("image/svg+xml")
            ]
        }),
    );
}

/// `GET /openapi.json`.
pub async fn document() -> Response {
    match document_json().and_then(|doc| serde_json::to_string(&doc)) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(err) => ApiError::Internal(err.to_string()).into_response(),
    }
}
