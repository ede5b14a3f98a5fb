//! A folder of `.eml` files (the demo default): each message is written to a temporary file,
//! synced, then renamed into place, so a reader never sees half a message.

use super::headers::reference;
use super::{MailError, MailTransport};
use chrono::{DateTime, Utc};
use lettre::Message;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct FolderTransport {
    dir: PathBuf,
}

impl FolderTransport {
    /// Creates the directory if it does not exist.
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Keeps letters, digits, `-` and `_`; anything else becomes `_` (no path separators, no dots).
fn file_safe(s: &str) -> String {
    s.chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `20261124T040153Z-REFERENCE[-SR-2026-000123].eml`: the creation time and reference from the
/// renderer's headers, so sending the same confirmation again replaces its file.
pub fn file_name(message: &Message) -> String {
    let headers = message.headers();
    let created = headers
        .get_raw("X-Support-Created-At")
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    let mut name = format!(
        "{}-{}",
        created.format("%Y%m%dT%H%M%SZ"),
        file_safe(&reference(message))
    );
    if let Some(number) = headers.get_raw("X-Support-Incident") {
        name.push('-');
        name.push_str(&file_safe(number));
    }
    name.push_str(".eml");
    name
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let final_path = dir.join(name);
    let tmp_path = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp_path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp_path, &final_path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp_path);
        return Err(e);
    }
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(final_path)
}

#[async_trait::async_trait]
impl MailTransport for FolderTransport {
    async fn send(&self, message: &Message) -> Result<(), MailError> {
        let reference = reference(message);
        let name = file_name(message);
        let bytes = message.formatted();
        let dir = self.dir.clone();
        let written = tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes))
            .await
            .map_err(|e| MailError::Transient(format!("folder: writer task failed: {e}")))?;
        match written {
            Ok(path) => {
                tracing::info!(%reference, transport = "folder", path = %path.display(), "e-mail written");
                Ok(())
            }
            Err(e) => {
                let error = MailError::Transient(format!(
                    "folder: cannot write into {}: {e}",
                    self.dir.display()
                ));
                tracing::warn!(%reference, transport = "folder", error = %error, "e-mail not written");
                Err(error)
            }
        }
    }

    fn name(&self) -> &'static str {
        "folder"
    }
}
