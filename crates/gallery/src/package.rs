//! `.weblet` packages: a zip of the app's pages, scripts and icons plus `manifest.json`,
//! built reproducibly (sorted entries, fixed timestamps and permissions), so the same
//! directory always gives the same bytes; and the update rule for devices.

use crate::domain::AppId;
use semver::Version;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "manifest.json";
pub const MAX_PACKAGE_BYTES: usize = 8 * 1024 * 1024;

/// The device web services an app may ask for (see the EIP facts in shared/eip).
pub const DEVICE_SERVICES: &[&str] = &[
    "/webservices/office/device_configuration/1",
    "/webservices/office/cuisession/1",
    "/webservices/SNMP/1",
    "/webservices/office/cuiregistration/1",
];

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{MANIFEST} is missing from the app directory or package")]
    NoManifest,
    #[error("{MANIFEST} is not valid: {0}")]
    Manifest(String),
    #[error("manifest names {what} {path:?}, which is not in the package")]
    MissingFile { what: &'static str, path: String },
    #[error("manifest asks for device service {0:?}, which devices do not offer")]
    UnknownService(String),
    #[error("{0:?} is a symbolic link or special file; packages hold regular files only")]
    NotAFile(PathBuf),
    #[error("package entry {0:?} has an unsafe or non-UTF-8 path")]
    UnsafePath(String),
    #[error("package is {0} bytes; at most {MAX_PACKAGE_BYTES} are allowed")]
    TooLarge(usize),
    #[error("package is not a valid zip: {0}")]
    Zip(String),
}

/// `manifest.json` of a weblet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[schema(value_type = String)]
    pub app_id: AppId,
    /// Semantic version, e.g. `1.4.0`.
    #[schema(value_type = String)]
    pub version: Version,
    #[serde(default)]
    pub name: String,
    /// The page the panel opens, relative to the package root.
    pub entry: String,
    #[serde(default)]
    pub icons: Vec<String>,
    /// Device web service paths the app calls.
    #[serde(default)]
    pub services: Vec<String>,
    /// The App Service the weblet talks to (base URL), written in by whoever publishes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant_url: Option<String>,
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Self, PackageError> {
        serde_json::from_slice(bytes).map_err(|e| PackageError::Manifest(e.to_string()))
    }

    fn check(&self, has: impl Fn(&str) -> bool) -> Result<(), PackageError> {
        if !has(&self.entry) {
            return Err(PackageError::MissingFile {
                what: "entry page",
                path: self.entry.clone(),
            });
        }
        for icon in &self.icons {
            if !has(icon) {
                return Err(PackageError::MissingFile {
                    what: "icon",
                    path: icon.clone(),
                });
            }
        }
        for service in &self.services {
            if !DEVICE_SERVICES.contains(&service.as_str()) {
                return Err(PackageError::UnknownService(service.clone()));
            }
        }
        Ok(())
    }
}

/// A built or received `.weblet`, with its manifest read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub manifest: Manifest,
    pub bytes: Vec<u8>,
}

impl Package {
    /// Hex SHA-256 of the package bytes.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }

    /// Builds the `.weblet` for an app directory. Same files and contents → same bytes,
    /// whatever the files' timestamps, permissions or the order the file system lists them in.
    pub fn build(dir: &Path) -> Result<Self, PackageError> {
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        files.sort();
        let manifest_bytes = files
            .iter()
            .find(|(name, _)| name == MANIFEST)
            .map(|(_, path)| read(path))
            .transpose()?
            .ok_or(PackageError::NoManifest)?;
        let manifest = Manifest::parse(&manifest_bytes)?;
        manifest.check(|p| files.iter().any(|(name, _)| name == p))?;

        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, path) in &files {
            let content = read(path)?;
            writer
                .start_file(name.as_str(), options)
                .map_err(|e| PackageError::Zip(e.to_string()))?;
            writer
                .write_all(&content)
                .map_err(|source| PackageError::Io {
                    path: path.clone(),
                    source,
                })?;
        }
        let bytes = writer
            .finish()
            .map_err(|e| PackageError::Zip(e.to_string()))?
            .into_inner();
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(PackageError::TooLarge(bytes.len()));
        }
        Ok(Self { manifest, bytes })
    }

    /// Reads a received package: a zip with safe paths and a manifest whose files exist.
    pub fn open(bytes: Vec<u8>) -> Result<Self, PackageError> {
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(PackageError::TooLarge(bytes.len()));
        }
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes.as_slice()))
            .map_err(|e| PackageError::Zip(e.to_string()))?;
        let mut names = Vec::new();
        for i in 0..archive.len() {
            let file = archive
                .by_index(i)
                .map_err(|e| PackageError::Zip(e.to_string()))?;
            let name = file.name().to_owned();
            if file.enclosed_name().is_none() || name.starts_with('/') || name.contains('\\') {
                return Err(PackageError::UnsafePath(name));
            }
            names.push(name);
        }
        let mut manifest_bytes = Vec::new();
        archive
            .by_name(MANIFEST)
            .map_err(|_| PackageError::NoManifest)?
            .take(64 * 1024)
            .read_to_end(&mut manifest_bytes)
            .map_err(|e| PackageError::Zip(e.to_string()))?;
        let manifest = Manifest::parse(&manifest_bytes)?;
        manifest.check(|p| names.iter().any(|n| n == p))?;
        Ok(Self { manifest, bytes })
    }

    /// The names of the entries, in package order.
    pub fn entries(&self) -> Result<Vec<String>, PackageError> {
        let mut archive = zip::ZipArchive::new(Cursor::new(self.bytes.as_slice()))
            .map_err(|e| PackageError::Zip(e.to_string()))?;
        (0..archive.len())
            .map(|i| {
                archive
                    .by_index(i)
                    .map(|f| f.name().to_owned())
                    .map_err(|e| PackageError::Zip(e.to_string()))
            })
            .collect()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, PackageError> {
    std::fs::read(path).map_err(|source| PackageError::Io {
        path: path.to_owned(),
        source,
    })
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), PackageError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PackageError::Io {
        path: dir.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| PackageError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            return Err(PackageError::UnsafePath(path.display().to_string()));
        };
        if file_name.starts_with('.') {
            continue; // .git, .DS_Store, editor files
        }
        let kind = entry.file_type().map_err(|source| PackageError::Io {
            path: path.clone(),
            source,
        })?;
        if kind.is_dir() {
            collect(root, &path, out)?;
        } else if kind.is_file() {
            let relative = path
                .strip_prefix(root)
                .map_err(|_| PackageError::UnsafePath(path.display().to_string()))?;
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_str())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| PackageError::UnsafePath(path.display().to_string()))?
                .join("/");
            out.push((name, path));
        } else {
            return Err(PackageError::NotAFile(path));
        }
    }
    Ok(())
}

/// What a device should do about one of its apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum UpdateAction {
    /// Nothing newer is published.
    UpToDate,
    /// Install this version now: the device opted in and it is compatible.
    AutoUpdate {
        #[schema(value_type = String)]
        version: Version,
    },
    /// A newer version exists but needs an administrator (not opted in, or not compatible).
    Available {
        #[schema(value_type = String)]
        version: Version,
        reason: HoldReason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    NotOptedIn,
    IncompatibleMajor,
}

/// The update rule: compatible means semver-compatible with the installed version
/// (`^installed`: same major, or same minor below 1.0). Pre-releases are never picked.
/// An opted-in device is moved to the newest compatible version; a newer incompatible one
/// is only offered.
pub fn plan_update(installed: &Version, published: &[Version], opted_in: bool) -> UpdateAction {
    let newer: Vec<&Version> = published
        .iter()
        .filter(|v| v.pre.is_empty() && *v > installed)
        .collect();
    let Some(latest) = newer.iter().max().copied() else {
        return UpdateAction::UpToDate;
    };
    let compatible = semver::VersionReq::parse(&format!("^{installed}"))
        .ok()
        .and_then(|req| newer.iter().filter(|v| req.matches(v)).max().copied());
    match (opted_in, compatible) {
        (true, Some(version)) => UpdateAction::AutoUpdate {
            version: version.clone(),
        },
        (true, None) => UpdateAction::Available {
            version: latest.clone(),
            reason: HoldReason::IncompatibleMajor,
        },
        (false, _) => UpdateAction::Available {
            version: latest.clone(),
            reason: HoldReason::NotOptedIn,
        },
    }
}

/// The newest published version that is not a pre-release.
pub fn latest(published: &[Version]) -> Option<&Version> {
    published.iter().filter(|v| v.pre.is_empty()).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("version")
    }

    #[test]
    fn opted_in_devices_move_to_the_newest_compatible_version() {
        let published = [
            v("1.0.0"),
            v("1.1.0"),
            v("1.2.3"),
            v("2.0.0"),
            v("1.3.0-beta.1"),
        ];
        assert_eq!(
            plan_update(&v("1.0.0"), &published, true),
            UpdateAction::AutoUpdate {
                version: v("1.2.3")
            }
        );
    }

    #[test]
    fn a_new_major_is_offered_not_applied() {
        let published = [v("1.2.3"), v("2.0.0")];
        assert_eq!(
            plan_update(&v("1.2.3"), &published, true),
            UpdateAction::Available {
                version: v("2.0.0"),
                reason: HoldReason::IncompatibleMajor
            }
        );
    }

    #[test]
    fn devices_that_did_not_opt_in_are_only_offered_updates() {
        assert_eq!(
            plan_update(&v("1.0.0"), &[v("1.0.1")], false),
            UpdateAction::Available {
                version: v("1.0.1"),
                reason: HoldReason::NotOptedIn
            }
        );
        assert_eq!(
            plan_update(&v("1.0.1"), &[v("1.0.1"), v("1.0.0")], true),
            UpdateAction::UpToDate
        );
    }

    #[test]
    fn below_1_0_a_minor_bump_is_incompatible() {
        assert_eq!(
            plan_update(&v("0.3.1"), &[v("0.3.2"), v("0.4.0")], true),
            UpdateAction::AutoUpdate {
                version: v("0.3.2")
            }
        );
    }
}
