//! Delivering an app to a device: the gallery prepares an [`InstallBundle`] (package, sealed
//! configuration, credential) and [`install_into_device`] posts it to the device's
//! `POST /api/apps/install` with the device administrator's HTTP Basic credentials.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// What the gallery hands out when an app is installed on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstallBundle {
    pub app_id: String,
    pub version: String,
    /// The `.weblet` zip, standard base64.
    pub package_b64: String,
    /// SHA-256 of the package, hex.
    pub package_sha256: String,
    /// The device's app configuration, sealed (base64url).
    pub sealed_config: String,
    /// The device credential (Ed25519-signed token).
    pub credential: String,
    pub credential_id: uuid::Uuid,
    pub credential_expires_at: chrono::DateTime<chrono::Utc>,
}

/// The body the device's install endpoint takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceInstallRequest<'a> {
    pub app_id: &'a str,
    pub version: &'a str,
    pub package_b64: &'a str,
    pub sealed_config: &'a str,
    pub credential: &'a str,
}

/// An app the device lists at `GET /api/apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceApp {
    pub app_id: String,
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("could not reach {url}: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the device refused the administrator password (HTTP {0})")]
    Unauthorized(u16),
    #[error("the device answered HTTP {status}: {body}")]
    Rejected { status: u16, body: String },
    #[error("the device answered without confirming the install: {0}")]
    NotConfirmed(String),
    #[error("the gallery answered HTTP {status}: {body}")]
    Gallery { status: u16, body: String },
}

fn client() -> reqwest::Client {
    platform::ops::client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

/// Posts the bundle to the device; succeeds only on 201 with `{"installed": true}`.
pub async fn install_into_device(
    device_url: &str,
    admin_password: &SecretString,
    bundle: &InstallBundle,
) -> Result<serde_json::Value, InstallError> {
    let url = format!("{}/api/apps/install", device_url.trim_end_matches('/'));
    let body = DeviceInstallRequest {
        app_id: &bundle.app_id,
        version: &bundle.version,
        package_b64: &bundle.package_b64,
        sealed_config: &bundle.sealed_config,
        credential: &bundle.credential,
    };
    let response = client()
        .post(&url)
        .basic_auth("admin", Some(admin_password.expose_secret()))
        .json(&body)
        .send()
        .await
        .map_err(|source| InstallError::Transport {
            url: url.clone(),
            source,
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        return Err(InstallError::Unauthorized(status.as_u16()));
    }
    if status != reqwest::StatusCode::CREATED {
        return Err(InstallError::Rejected {
            status: status.as_u16(),
            body: text.chars().take(500).collect(),
        });
    }
    let answer: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| InstallError::NotConfirmed(text.chars().take(200).collect()))?;
    if answer.get("installed") != Some(&serde_json::Value::Bool(true)) {
        return Err(InstallError::NotConfirmed(text.chars().take(200).collect()));
    }
    Ok(answer)
}

/// Lists what the device says is installed.
pub async fn device_apps(device_url: &str) -> Result<Vec<DeviceApp>, InstallError> {
    let url = format!("{}/api/apps", device_url.trim_end_matches('/'));
    let response = client()
        .get(&url)
        .send()
        .await
        .map_err(|source| InstallError::Transport {
            url: url.clone(),
            source,
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(InstallError::Rejected {
            status: status.as_u16(),
            body: response.text().await.unwrap_or_default(),
        });
    }
    response
        .json()
        .await
        .map_err(|source| InstallError::Transport { url, source })
}

/// Asks the gallery to install an app for a device (issuing its credential) and returns the
/// bundle to deliver.
pub async fn request_bundle(
    gallery_url: &str,
    api_key: &SecretString,
    serial: &str,
    request: &crate::http::InstallRequest,
) -> Result<InstallBundle, InstallError> {
    let url = format!(
        "{}/api/devices/{serial}/install",
        gallery_url.trim_end_matches('/')
    );
    let response = client()
        .post(&url)
        .bearer_auth(api_key.expose_secret())
        .json(request)
        .send()
        .await
        .map_err(|source| InstallError::Transport {
            url: url.clone(),
            source,
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(InstallError::Gallery {
            status: status.as_u16(),
            body: response.text().await.unwrap_or_default(),
        });
    }
    response
        .json()
        .await
        .map_err(|source| InstallError::Transport { url, source })
}
