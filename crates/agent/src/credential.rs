//! The agent's identity file (`agent.json` in the data directory, mode 0600): the manager's URL and
//! the agent's credential from enrolment.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Serialize, Deserialize)]
pub struct Enrolment {
    pub manager: String,
    pub agent_id: Uuid,
    pub credential: String,
    pub customer_name: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("manager", &self.manager)
            .field("agent_id", &self.agent_id)
            .field("credential", &"[redacted]")
            .finish()
    }
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("agent.json")
}

/// Creates the data directory (0700 on Unix).
pub fn ensure_dir(data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", data_dir.display()))?;
    }
    Ok(())
}

/// Writes the file with mode 0600 (written to a temporary file first, then renamed).
pub fn save(data_dir: &Path, e: &Enrolment) -> anyhow::Result<PathBuf> {
    ensure_dir(data_dir)?;
    let target = path(data_dir);
    let tmp = data_dir.join("agent.json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(&serde_json::to_vec_pretty(e)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &target).with_context(|| format!("cannot write {}", target.display()))?;
    Ok(target)
}

pub fn load(data_dir: &Path) -> anyhow::Result<Enrolment> {
    let p = path(data_dir);
    let bytes = std::fs::read(&p).with_context(|| {
        format!(
            "cannot read {}: enrol the agent first (support-assistant agent enroll --manager URL --token TOKEN)",
            p.display()
        )
    })?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not an agent file", p.display()))
}
