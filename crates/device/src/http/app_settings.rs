//! Settings an installed app keeps on the device (the device browser forgets everything on
//! logout, so an app must not keep them itself).
//!
//! - `GET /api/apps/<app_id>/settings`: `{"demo_mode": bool}` (false until set), to callers on the
//!   device itself (loopback), like the app's configuration.
//! - `PUT /api/apps/<app_id>/settings` with `{"demo_mode": bool}`: only while the administrator is
//!   logged in at the panel (the panel session cookie); answers the stored settings.
//!
//! Stored in `<data_dir>/app-settings/<app_id>.json` (outside the app's directory, so an update
//! of the app keeps them), written to a temporary file and renamed into place.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::apps::valid_app_id;
use super::auth::is_admin_request;
use super::error::ApiError;

/// What an app keeps on the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    #[serde(default)]
    pub demo_mode: bool,
}

fn settings_path(data_dir: &Path, app_id: &str) -> PathBuf {
    data_dir.join("app-settings").join(format!("{app_id}.json"))
}

/// The stored settings of `app_id` (defaults when none are stored or they cannot be read).
pub fn read_settings(data_dir: &Path, app_id: &str) -> AppSettings {
    std::fs::read(settings_path(data_dir, app_id))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_settings(data_dir: &Path, app_id: &str, settings: AppSettings) -> std::io::Result<()> {
    let path = settings_path(data_dir, app_id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp-{}", hex::encode(rand::random::<[u8; 6]>())));
    std::fs::write(&tmp, serde_json::to_vec(&settings).unwrap_or_default())?;
    std::fs::rename(&tmp, &path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn check_caller(
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    app_id: &str,
) -> Result<(), ApiError> {
    let local = connect.is_some_and(|Extension(ConnectInfo(addr))| addr.ip().is_loopback());
    if !local {
        return Err(ApiError::Forbidden(
            "an app's settings are given only to apps on the device itself (loopback)".into(),
        ));
    }
    if !valid_app_id(app_id) {
        return Err(ApiError::NotFound(format!("no app {app_id:?} is known")));
    }
    Ok(())
}

pub(crate) async fn get_settings(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    UrlPath(app_id): UrlPath<String>,
) -> Result<Json<AppSettings>, ApiError> {
    check_caller(connect, &app_id)?;
    let data_dir = state.config.data_dir.clone();
    tokio::task::spawn_blocking(move || read_settings(&data_dir, &app_id))
        .await
        .map(Json)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

pub(crate) async fn put_settings(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    UrlPath(app_id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AppSettings>, ApiError> {
    check_caller(connect, &app_id)?;
    if !is_admin_request(&state, &headers) {
        return Err(ApiError::Forbidden(
            "only the device administrator can change this; log in as administrator at the panel first".into(),
        ));
    }
    let settings: AppSettings = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be {{\"demo_mode\": true|false}}: {e}"
        ))
    })?;
    let data_dir = state.config.data_dir.clone();
    tokio::task::spawn_blocking(move || write_settings(&data_dir, &app_id, settings))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("cannot store the settings: {e}")))?;
    Ok(Json(settings))
}
