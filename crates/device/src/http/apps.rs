//! Installed apps (weblets).
//!
//! - `POST /api/apps/install` (HTTP Basic `admin:<password>`), JSON
//!   `{"app_id","version","package_b64","sealed_config","credential"}`: checks the app id and
//!   version, decodes the `.weblet` zip (standard base64), checks its paths and its `manifest.json`
//!   (same app id and version, an entry page inside the package), and stores it under
//!   `<data_dir>/apps/<app_id>/`: the package's files in `www/`, and `config.json` with the version,
//!   sealed configuration and credential. The new version replaces the old one in one rename.
//!   Answers 201 `{"installed": true, "app_id", "version"}`.
//! - `GET /api/apps`: `[{"app_id","version"}]`.
//! - `GET /api/apps/<app_id>/config`: `{"app_id","version","sealed_config","credential"}`, only to
//!   callers on the device itself (loopback): the app on the panel reads it; the network does not.
//! - `GET /apps/<app_id>/<path>`: the app's files (only regular files under `www/`; `..`, empty
//!   segments and backslashes are refused). `/apps/<app_id>/` redirects to the manifest's entry page.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::require_admin_basic;
use super::error::ApiError;

/// The largest package accepted (the App Gallery's limit for a `.weblet`).
pub const MAX_PACKAGE_BYTES: usize = 8 * 1024 * 1024;
/// The most the package may unpack to (guards against zip bombs).
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// The most files a package may hold.
pub const MAX_ENTRIES: usize = 2000;
/// Longest sealed configuration or credential accepted.
const MAX_SECRET_TEXT: usize = 64 * 1024;
const MANIFEST: &str = "manifest.json";
const CONFIG: &str = "config.json";
const WWW: &str = "www";

/// The body of `POST /api/apps/install`.
#[derive(Debug, Clone, Deserialize)]
pub struct InstallRequest {
    pub app_id: String,
    pub version: String,
    pub package_b64: String,
    pub sealed_config: String,
    pub credential: String,
}

/// What `config.json` of an installed app holds, and what the app reads back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppConfig {
    pub app_id: String,
    pub version: String,
    pub sealed_config: String,
    pub credential: String,
}

/// An app as `GET /api/apps` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListedApp {
    pub app_id: String,
    pub version: String,
}

/// What the panel shows of an installed app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledApp {
    pub app_id: String,
    pub version: String,
    pub name: String,
    pub entry: String,
    pub icon: Option<String>,
}

/// The part of a weblet's `manifest.json` the device uses.
#[derive(Debug, Clone, Deserialize)]
struct Manifest {
    app_id: String,
    version: String,
    #[serde(default)]
    name: String,
    entry: String,
    #[serde(default)]
    icons: Vec<String>,
}

/// App ids as the App Gallery makes them: 1 to 64 of `a-z 0-9 - _ .`, starting with a letter.
pub fn valid_app_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// A relative path made only of ordinary names: no empty, `.` or `..` segments, no backslash,
/// colon or control character, not absolute.
pub fn safe_relative_path(s: &str) -> Option<PathBuf> {
    if s.is_empty() || s.len() > 512 {
        return None;
    }
    let mut out = PathBuf::new();
    for seg in s.split('/') {
        if seg.is_empty()
            || seg == "."
            || seg == ".."
            || seg.chars().any(|c| c == '\\' || c == ':' || c.is_control())
        {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

fn apps_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("apps")
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("{what} {}: {e}", path.display()))
}

/// The package's files after checking: (relative path, contents), and its manifest.
struct Unpacked {
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn unpack(package: &[u8], req: &InstallRequest) -> Result<Unpacked, ApiError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(package))
        .map_err(|e| bad(format!("package_b64 is not a readable zip (.weblet): {e}")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(bad(format!(
            "the package holds {} entries; at most {MAX_ENTRIES} are allowed",
            archive.len()
        )));
    }
    let mut files = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("package entry {i} cannot be read: {e}")))?;
        let name = entry.name().to_owned();
        if entry.is_symlink() {
            return Err(bad(format!(
                "package entry {name:?} is a symbolic link; packages hold regular files only"
            )));
        }
        if entry.is_dir() {
            let trimmed = name.trim_end_matches('/');
            if safe_relative_path(trimmed).is_none() {
                return Err(bad(format!("package entry {name:?} has an unsafe path")));
            }
            continue;
        }
        let path = safe_relative_path(&name)
            .ok_or_else(|| bad(format!("package entry {name:?} has an unsafe path")))?;
        let remaining = MAX_UNPACKED_BYTES.saturating_sub(total);
        let mut content = Vec::new();
        (&mut entry)
            .take(remaining + 1)
            .read_to_end(&mut content)
            .map_err(|e| bad(format!("package entry {name:?} cannot be unpacked: {e}")))?;
        total += content.len() as u64;
        if total > MAX_UNPACKED_BYTES {
            return Err(bad(format!(
                "the package unpacks to more than {MAX_UNPACKED_BYTES} bytes"
            )));
        }
        files.push((path, content));
    }
    let manifest_bytes = files
        .iter()
        .find(|(p, _)| p == Path::new(MANIFEST))
        .map(|(_, c)| c.as_slice())
        .ok_or_else(|| bad(format!("the package has no {MANIFEST} at its root")))?;
    let manifest: Manifest = serde_json::from_slice(manifest_bytes)
        .map_err(|e| bad(format!("{MANIFEST} is not valid: {e}")))?;
    if manifest.app_id != req.app_id {
        return Err(bad(format!(
            "{MANIFEST} names app {:?}, but the request installs {:?}",
            manifest.app_id, req.app_id
        )));
    }
    if manifest.version != req.version {
        return Err(bad(format!(
            "{MANIFEST} says version {:?}, but the request installs {:?}",
            manifest.version, req.version
        )));
    }
    let entry = safe_relative_path(&manifest.entry).ok_or_else(|| {
        bad(format!(
            "{MANIFEST} entry {:?} is not a safe path",
            manifest.entry
        ))
    })?;
    if !files.iter().any(|(p, _)| *p == entry) {
        return Err(bad(format!(
            "{MANIFEST} entry page {:?} is not in the package",
            manifest.entry
        )));
    }
    Ok(Unpacked { files })
}

fn validate(req: &InstallRequest) -> Result<Vec<u8>, ApiError> {
    if !valid_app_id(&req.app_id) {
        return Err(bad(format!(
            "app_id {:?} is invalid: use 1 to 64 of a-z, 0-9, '-', '_', '.', starting with a letter",
            req.app_id.chars().take(80).collect::<String>()
        )));
    }
    semver::Version::parse(&req.version).map_err(|e| {
        bad(format!(
            "version {:?} is not a semantic version such as 1.4.0: {e}",
            req.version.chars().take(40).collect::<String>()
        ))
    })?;
    for (name, value) in [
        ("sealed_config", &req.sealed_config),
        ("credential", &req.credential),
    ] {
        if value.trim().is_empty() {
            return Err(bad(format!("{name} is missing or empty")));
        }
        if value.len() > MAX_SECRET_TEXT {
            return Err(bad(format!(
                "{name} is longer than {MAX_SECRET_TEXT} characters"
            )));
        }
    }
    let max_b64 = MAX_PACKAGE_BYTES.div_ceil(3) * 4;
    if req.package_b64.len() > max_b64 {
        return Err(ApiError::PackageTooLarge {
            size: req.package_b64.len() / 4 * 3,
            max: MAX_PACKAGE_BYTES,
        });
    }
    let package = base64::engine::general_purpose::STANDARD
        .decode(req.package_b64.trim())
        .map_err(|e| bad(format!("package_b64 is not standard base64: {e}")))?;
    if package.len() > MAX_PACKAGE_BYTES {
        return Err(ApiError::PackageTooLarge {
            size: package.len(),
            max: MAX_PACKAGE_BYTES,
        });
    }
    if package.is_empty() {
        return Err(bad("package_b64 is empty"));
    }
    Ok(package)
}

fn write_app(data_dir: &Path, req: &InstallRequest, unpacked: Unpacked) -> Result<(), ApiError> {
    let apps = apps_dir(data_dir);
    std::fs::create_dir_all(&apps).map_err(|e| io_err("cannot create", &apps, e))?;
    let suffix = hex::encode(rand::random::<[u8; 8]>());
    let staging = apps.join(format!(".staging-{suffix}"));
    let result = (|| {
        let www = staging.join(WWW);
        std::fs::create_dir_all(&www).map_err(|e| io_err("cannot create", &www, e))?;
        for (rel, content) in &unpacked.files {
            let path = www.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io_err("cannot create", parent, e))?;
            }
            std::fs::write(&path, content).map_err(|e| io_err("cannot write", &path, e))?;
        }
        let config = AppConfig {
            app_id: req.app_id.clone(),
            version: req.version.clone(),
            sealed_config: req.sealed_config.clone(),
            credential: req.credential.clone(),
        };
        let json = serde_json::to_vec_pretty(&config)
            .map_err(|e| ApiError::Internal(format!("cannot encode {CONFIG}: {e}")))?;
        let config_path = staging.join(CONFIG);
        std::fs::write(&config_path, json).map_err(|e| io_err("cannot write", &config_path, e))?;
        let target = apps.join(&req.app_id);
        if target.exists() {
            let old = apps.join(format!(".old-{suffix}"));
            std::fs::rename(&target, &old).map_err(|e| io_err("cannot move", &target, e))?;
            std::fs::rename(&staging, &target).map_err(|e| io_err("cannot move", &staging, e))?;
            if let Err(e) = std::fs::remove_dir_all(&old) {
                tracing::warn!(path = %old.display(), error = %e, "could not remove the replaced app");
            }
        } else {
            std::fs::rename(&staging, &target).map_err(|e| io_err("cannot move", &staging, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

pub(crate) async fn install(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require_admin_basic(&state, &headers).await?;
    let body = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            ApiError::RequestTooLarge {
                max_body: super::INSTALL_BODY_LIMIT,
                max_package: MAX_PACKAGE_BYTES,
            }
        }
        other => bad(format!(
            "the request body cannot be read: {}",
            other.body_text()
        )),
    })?;
    let req: InstallRequest = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "the body is not the install JSON {{app_id, version, package_b64, sealed_config, credential}}: {e}"
        ))
    })?;
    let _guard = state.install_lock.lock().await;
    let data_dir = state.config.data_dir.clone();
    let req = tokio::task::spawn_blocking(move || -> Result<InstallRequest, ApiError> {
        let package = validate(&req)?;
        let unpacked = unpack(&package, &req)?;
        write_app(&data_dir, &req, unpacked)?;
        Ok(req)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("install task failed: {e}")))??;
    tracing::info!(app_id = %req.app_id, version = %req.version, "app installed");
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "installed": true,
            "app_id": req.app_id,
            "version": req.version,
        })),
    )
        .into_response())
}

/// Removes what an interrupted install left behind (`.staging-*`, `.old-*`); called at start-up.
pub fn remove_leftovers(data_dir: &Path) {
    let Ok(dir) = std::fs::read_dir(apps_dir(data_dir)) else {
        return;
    };
    for entry in dir.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if (name.starts_with(".staging-") || name.starts_with(".old-"))
            && let Err(e) = std::fs::remove_dir_all(entry.path())
        {
            tracing::warn!(path = %entry.path().display(), error = %e, "could not remove an interrupted install");
        }
    }
}

fn read_config(data_dir: &Path, app_id: &str) -> Option<AppConfig> {
    let bytes = std::fs::read(apps_dir(data_dir).join(app_id).join(CONFIG)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The installed apps, by app id (blocking: reads the data directory).
pub fn installed_apps(data_dir: &Path) -> Vec<InstalledApp> {
    let Ok(dir) = std::fs::read_dir(apps_dir(data_dir)) else {
        return Vec::new();
    };
    let mut apps: Vec<InstalledApp> = dir
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| valid_app_id(name))
        .filter_map(|app_id| {
            let config = read_config(data_dir, &app_id)?;
            let www = apps_dir(data_dir).join(&app_id).join(WWW);
            let manifest: Manifest =
                serde_json::from_slice(&std::fs::read(www.join(MANIFEST)).ok()?).ok()?;
            let icon = manifest
                .icons
                .iter()
                .find(|i| safe_relative_path(i).is_some_and(|p| www.join(p).is_file()));
            Some(InstalledApp {
                name: if manifest.name.trim().is_empty() {
                    app_id.clone()
                } else {
                    manifest.name.clone()
                },
                entry: manifest.entry.clone(),
                icon: icon.cloned(),
                version: config.version,
                app_id,
            })
        })
        .collect();
    apps.sort_by(|a, b| a.app_id.cmp(&b.app_id));
    apps
}

pub(crate) async fn list(State(state): State<AppState>) -> Json<Vec<ListedApp>> {
    let data_dir = state.config.data_dir.clone();
    let apps = tokio::task::spawn_blocking(move || installed_apps(&data_dir))
        .await
        .unwrap_or_default();
    Json(
        apps.into_iter()
            .map(|a| ListedApp {
                app_id: a.app_id,
                version: a.version,
            })
            .collect(),
    )
}

pub(crate) async fn config(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    UrlPath(app_id): UrlPath<String>,
) -> Result<Json<AppConfig>, ApiError> {
    let local = connect.is_some_and(|Extension(ConnectInfo(addr))| addr.ip().is_loopback());
    if !local {
        return Err(ApiError::Forbidden(
            "an app's configuration is given only to apps on the device itself (loopback)".into(),
        ));
    }
    let not_installed = || ApiError::NotFound(format!("no app {app_id:?} is installed"));
    if !valid_app_id(&app_id) {
        return Err(not_installed());
    }
    let data_dir = state.config.data_dir.clone();
    let id = app_id.clone();
    tokio::task::spawn_blocking(move || read_config(&data_dir, &id))
        .await
        .ok()
        .flatten()
        .map(Json)
        .ok_or_else(not_installed)
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "text/xml; charset=utf-8",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// Reads `rel` under the app's `www/`, only if it resolves to a regular file inside it.
fn read_app_file(data_dir: &Path, app_id: &str, rel: &Path) -> Option<Vec<u8>> {
    let www = apps_dir(data_dir)
        .join(app_id)
        .join(WWW)
        .canonicalize()
        .ok()?;
    let file = www.join(rel).canonicalize().ok()?;
    if !file.starts_with(&www) || !file.is_file() {
        return None;
    }
    std::fs::read(file).ok()
}

pub(crate) async fn app_file(
    State(state): State<AppState>,
    UrlPath((app_id, path)): UrlPath<(String, String)>,
) -> Response {
    let Some(rel) = safe_relative_path(&path).filter(|_| valid_app_id(&app_id)) else {
        return not_found();
    };
    let data_dir = state.config.data_dir.clone();
    let file_rel = rel.clone();
    let content = tokio::task::spawn_blocking(move || read_app_file(&data_dir, &app_id, &file_rel))
        .await
        .ok()
        .flatten();
    match content {
        Some(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&rel)),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            bytes,
        )
            .into_response(),
        None => not_found(),
    }
}

pub(crate) async fn app_root(
    State(state): State<AppState>,
    UrlPath(app_id): UrlPath<String>,
) -> Response {
    if !valid_app_id(&app_id) {
        return not_found();
    }
    let data_dir = state.config.data_dir.clone();
    let apps = tokio::task::spawn_blocking(move || installed_apps(&data_dir))
        .await
        .unwrap_or_default();
    match apps.into_iter().find(|a| a.app_id == app_id) {
        Some(app) => match HeaderValue::from_str(&super::panel::app_entry_url(&app)) {
            Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
            Err(_) => not_found(),
        },
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_traversal_or_odd_segments_are_refused() {
        for bad in [
            "",
            "..",
            "../x",
            "a/../b",
            "/etc/passwd",
            "a//b",
            "a\\b",
            "./a",
            "c:x",
            "a/",
        ] {
            assert!(safe_relative_path(bad).is_none(), "{bad:?}");
        }
        assert_eq!(
            safe_relative_path("img/icon.png"),
            Some(PathBuf::from("img").join("icon.png"))
        );
    }

    #[test]
    fn app_ids_follow_the_gallery_rule() {
        assert!(valid_app_id("support-assistant"));
        assert!(valid_app_id("a.b_c-1"));
        for bad in ["", "Support", "1app", "a/b", "..", &"a".repeat(65)] {
            assert!(!valid_app_id(bad), "{bad:?}");
        }
    }
}
