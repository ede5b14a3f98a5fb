//! What a request does, independent of HTTP: publishing versions, storing and sealing
//! configurations, preparing an install (issuing a credential), planning updates, API keys.
//! The HTTP layer (`crate::http`) parses, authorizes and maps [`ServiceError`] once.

use crate::b64;
use crate::clock::{Clock, IdSource};
use crate::config::AppConfiguration;
use crate::credential::SigningKeyring;
use crate::domain::{AppId, DeviceSerial, Scope};
use crate::install::InstallBundle;
use crate::package::{self, Package, UpdateAction};
use crate::seal::SealingKeyring;
use crate::storage::{CredentialRecord, Device, Installation, Store, StoreError, StoredVersion};
use chrono::{DateTime, Duration, Utc};
use platform::sealed_config;
use proto::config::ConfigBinding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How long the assistant may cache entitlements before revalidating.
pub const ENTITLEMENTS_MAX_AGE: u32 = 300;
pub const DEFAULT_CREDENTIAL_DAYS: i64 = 365;
pub const DEFAULT_APP_ID: &str = "support-assistant";

/// Everything a request needs: the store, the keys, time and ids.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub sealing: Arc<SealingKeyring>,
    pub signing: Arc<SigningKeyring>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    /// Fetches a logo URL once when a partner saves a configuration (`save_configuration`).
    pub logos: crate::logo::LogoFetcher,
}

/// Why a gallery operation did not happen (mapped once to HTTP in `http::error`).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed (it does not match the documented schema).
    #[error("{0}")]
    Invalid(String),
    /// The request is well formed but breaks a rule the schema cannot state (a contract that
    /// ends before it starts, no tab switched on, an SVG logo with a script, a package whose
    /// manifest is wrong).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StoreError::Conflict(msg) => Self::Conflict(msg),
            other => Self::Internal(other.to_string()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Hex SHA-256 of an API key: the form in which keys are stored. API keys are long random
/// strings, so a fast hash suffices (a password hash would only slow every request).
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random API key (printed once, stored only hashed).
pub fn generate_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("sag_{}", b64::url_encode(&bytes))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublishedVersion {
    pub app_id: String,
    pub version: String,
    pub sha256: String,
}

/// Adds the version a `.weblet` declares in its manifest.
pub async fn publish_package(
    store: &dyn Store,
    now: DateTime<Utc>,
    package: Package,
) -> Result<PublishedVersion, StoreError> {
    let manifest_json =
        serde_json::to_string(&package.manifest).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let stored = StoredVersion {
        app_id: package.manifest.app_id.clone(),
        version: package.manifest.version.clone(),
        manifest_json,
        sha256: package.sha256(),
        package: package.bytes,
        published_at: now,
    };
    store.add_version(&stored).await?;
    Ok(PublishedVersion {
        app_id: stored.app_id.to_string(),
        version: stored.version.to_string(),
        sha256: stored.sha256,
    })
}

/// The device, or a not-found error that says how to register it.
pub async fn require_device(state: &AppState, serial: &DeviceSerial) -> ServiceResult<Device> {
    state
        .store
        .device(serial)
        .await?
        .ok_or_else(|| device_not_found(serial))
}

/// The device if a key of `scope` sees it; another partner's device is "not found", worded
/// exactly as a missing one, so a key cannot tell the two apart.
pub async fn device_for(
    state: &AppState,
    scope: &Scope,
    serial: &DeviceSerial,
) -> ServiceResult<Device> {
    match require_device(state, serial).await {
        Ok(device) if scope.sees(&device.tenant) => Ok(device),
        Ok(_) => Err(device_not_found(serial)),
        Err(e) => Err(e),
    }
}

fn device_not_found(serial: &DeviceSerial) -> ServiceError {
    ServiceError::NotFound(format!(
        "device {serial} not found; register it with PUT /api/devices/{serial}"
    ))
}

/// Registers or updates a device for a key of `scope`: a partner key registers only its own
/// partner's devices and cannot take over (or detect) another partner's serial.
pub async fn register_device(
    state: &AppState,
    scope: &Scope,
    device: &Device,
) -> ServiceResult<()> {
    if let Some(partner) = scope.partner() {
        if *partner != device.tenant {
            return Err(ServiceError::NotAllowed(format!(
                "this API key belongs to partner {partner}; it registers devices of that partner only, not of {}",
                device.tenant
            )));
        }
        if let Some(existing) = state.store.device(&device.serial).await?
            && !scope.sees(&existing.tenant)
        {
            return Err(device_not_found(&device.serial));
        }
    }
    state.store.put_device(device, state.clock.now()).await?;
    Ok(())
}

/// Revokes a credential of a device the key of `scope` sees.
pub async fn revoke_credential(
    state: &AppState,
    scope: &Scope,
    id: uuid::Uuid,
) -> ServiceResult<()> {
    let not_found = || ServiceError::NotFound(format!("credential {id} not found"));
    let record = state.store.credential(id).await?.ok_or_else(not_found)?;
    if !scope.sees(&record.tenant) {
        return Err(not_found());
    }
    if state.store.revoke_credential(id, state.clock.now()).await? {
        tracing::info!(credential = %id, "credential revoked");
        Ok(())
    } else {
        Err(not_found())
    }
}

/// The stored configuration of a device, or the defaults.
pub async fn configuration_of(
    state: &AppState,
    serial: &DeviceSerial,
) -> ServiceResult<AppConfiguration> {
    match state.store.configuration(serial).await? {
        Some(blob) => sealed_config::open(&state.sealing, &blob)
            .map(|opened| opened.config)
            .map_err(|e| ServiceError::Internal(format!("stored configuration of {serial}: {e}"))),
        None => Ok(AppConfiguration::default()),
    }
}

/// The version of the device's stored configuration (0: none, or an unbound one).
pub fn version_of(stored: Option<&str>) -> u64 {
    stored
        .and_then(sealed_config::binding_of)
        .map_or(0, |b| b.version)
}

/// How often storing a configuration is tried again when another writer stored one meanwhile.
const STORE_ATTEMPTS: usize = 5;

/// Validates, seals (bound to the device, its tenant and the next version) and stores a
/// configuration; returns the blob. Two concurrent writers cannot both get the same version:
/// the store replaces only the blob the version was counted from.
/// What a partner admin saves (the API's PUT, the admin page): a logo URL is fetched and checked
/// now ("no logo found at …" otherwise) and stored as the image it gave; then stored sealed.
pub async fn save_configuration(
    state: &AppState,
    serial: &DeviceSerial,
    config: AppConfiguration,
) -> ServiceResult<(AppConfiguration, String)> {
    crate::config::validate(&config).map_err(|e| ServiceError::Unprocessable(e.to_string()))?;
    require_device(state, serial).await?;
    let config = state
        .logos
        .resolve(config)
        .await
        .map_err(|e| ServiceError::Unprocessable(e.to_string()))?;
    let sealed = store_configuration(state, serial, &config).await?;
    Ok((config, sealed))
}

pub async fn store_configuration(
    state: &AppState,
    serial: &DeviceSerial,
    config: &AppConfiguration,
) -> ServiceResult<String> {
    crate::config::validate(config).map_err(|e| ServiceError::Unprocessable(e.to_string()))?;
    let device = require_device(state, serial).await?;
    for _ in 0..STORE_ATTEMPTS {
        let current = state.store.configuration(serial).await?;
        let binding = ConfigBinding {
            serial: serial.clone(),
            tenant: device.tenant.clone(),
            version: version_of(current.as_deref()) + 1,
        };
        let sealed = sealed_config::seal(&state.sealing, &binding, config)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        if state
            .store
            .replace_configuration(serial, current.as_deref(), &sealed, state.clock.now())
            .await?
        {
            return Ok(sealed);
        }
    }
    Err(ServiceError::Conflict(format!(
        "the configuration of {serial} changed {STORE_ATTEMPTS} times while storing; try again"
    )))
}

/// The sealed blob the device keeps: the stored one, or the defaults sealed and stored now. A
/// stored blob that is unbound or bound to another tenant (the device moved) is sealed anew.
pub async fn sealed_configuration(
    state: &AppState,
    serial: &DeviceSerial,
) -> ServiceResult<String> {
    let device = require_device(state, serial).await?;
    match state.store.configuration(serial).await? {
        Some(blob) => match sealed_config::binding_of(&blob) {
            Some(b) if b.serial == device.serial && b.tenant == device.tenant => Ok(blob),
            _ => {
                let config = configuration_of(state, serial).await?;
                store_configuration(state, serial, &config).await
            }
        },
        None => store_configuration(state, serial, &AppConfiguration::default()).await,
    }
}

/// One-time upgrade at start: every stored configuration sealed before binding existed is sealed
/// again, bound to its device (version 1). Devices still holding the old unbound blob are then
/// refused by the assistant with a message asking to re-install the app. Returns how many.
pub async fn bind_stored_configurations(state: &AppState) -> ServiceResult<usize> {
    let mut bound = 0;
    for (serial, blob) in state.store.configurations().await? {
        if sealed_config::binding_of(&blob).is_none() {
            sealed_configuration(state, &serial).await?;
            bound += 1;
        }
    }
    if bound > 0 {
        tracing::info!(
            count = bound,
            "stored app configurations bound to their devices (devices with the old blob must re-install the app)"
        );
    }
    Ok(bound)
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallRequest {
    /// Defaults to `support-assistant`.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Defaults to the latest published version.
    #[serde(default)]
    pub version: Option<String>,
    /// Credential lifetime in days (default 365).
    #[serde(default, deserialize_with = "whole_number")]
    pub valid_days: Option<i64>,
}

/// A JSON number without a fraction, as JSON Schema's `integer` is: `447.0` is `447`.
fn whole_number<'de, D: serde::Deserializer<'de>>(input: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error as _;
    let Some(number) = Option::<serde_json::Number>::deserialize(input)? else {
        return Ok(None);
    };
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        })
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{number} is not a whole number of days")))
}

/// Issues a credential for a device and assembles what the device needs to run the app.
pub async fn prepare_install(
    state: &AppState,
    serial: &DeviceSerial,
    request: &InstallRequest,
) -> ServiceResult<InstallBundle> {
    let device = require_device(state, serial).await?;
    let app = AppId::parse(request.app_id.as_deref().unwrap_or(DEFAULT_APP_ID))
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let version = match &request.version {
        Some(text) => semver::Version::parse(text)
            .map_err(|e| ServiceError::Invalid(format!("version {text:?}: {e}")))?,
        None => {
            let versions = state.store.versions(&app).await?;
            package::latest(&versions).cloned().ok_or_else(|| {
                ServiceError::NotFound(format!("no released version of {app} is published"))
            })?
        }
    };
    let stored = state
        .store
        .version(&app, &version)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("{app} version {version} not found")))?;
    let days = request.valid_days.unwrap_or(DEFAULT_CREDENTIAL_DAYS);
    if !(1..=3650).contains(&days) {
        return Err(ServiceError::Invalid(format!(
            "valid_days {days} must be 1 to 3650"
        )));
    }
    let sealed = sealed_configuration(state, serial).await?;
    let now = state.clock.now();
    let expires = now + Duration::days(days);
    let id = state.ids.new_id();
    let (token, claims) = state
        .signing
        .issue(
            id,
            serial.clone(),
            device.tenant.clone(),
            app.clone(),
            now,
            expires,
        )
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    state
        .store
        .record_installation(
            &CredentialRecord {
                id,
                serial: serial.clone(),
                tenant: device.tenant.clone(),
                app_id: app.clone(),
                key_id: claims.kid.to_string(),
                issued_at: now,
                expires_at: expires,
                revoked_at: None,
            },
            &Installation {
                serial: serial.clone(),
                app_id: app.clone(),
                version: version.clone(),
                credential_id: id,
                installed_at: now,
            },
        )
        .await?;
    tracing::info!(%serial, app = %app, %version, credential = %id, "credential issued for install");
    Ok(InstallBundle {
        app_id: app.to_string(),
        version: version.to_string(),
        package_b64: b64::std_encode(&stored.package),
        package_sha256: stored.sha256,
        sealed_config: sealed,
        credential: token,
        credential_id: id,
        credential_expires_at: claims.expires_at(),
    })
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppUpdate {
    pub app_id: String,
    pub installed: String,
    /// Newest released version, if any.
    pub latest: Option<String>,
    pub update: UpdateAction,
}

/// For each app installed on the device: the newest release and what to do about it.
pub async fn updates_for(state: &AppState, device: &Device) -> ServiceResult<Vec<AppUpdate>> {
    let mut answer = Vec::new();
    for installation in state.store.installations(&device.serial).await? {
        let published = state.store.versions(&installation.app_id).await?;
        answer.push(AppUpdate {
            app_id: installation.app_id.to_string(),
            installed: installation.version.to_string(),
            latest: package::latest(&published).map(ToString::to_string),
            update: package::plan_update(&installation.version, &published, device.auto_update),
        });
    }
    Ok(answer)
}
