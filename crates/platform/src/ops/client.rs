//! HTTP clients for calls between services: the system's CAs plus the ones given with
//! `--ca-cert` (a partner's own CA), so that HTTPS works between services with a private PKI.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context as _;

static EXTRA_ROOTS: Mutex<Vec<reqwest::Certificate>> = Mutex::new(Vec::new());

/// Adds the CA certificates of a PEM file to those every [`builder`] trusts, for this process.
pub fn trust_ca_file(path: &Path) -> anyhow::Result<()> {
    let pem =
        std::fs::read(path).with_context(|| format!("reading the CA file {}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .with_context(|| format!("parsing the PEM CA file {}", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "the CA file {} holds no CERTIFICATE block",
        path.display()
    );
    EXTRA_ROOTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend(certs);
    Ok(())
}

/// A client builder that trusts the system's CAs and those added with [`trust_ca_file`].
pub fn builder() -> reqwest::ClientBuilder {
    let roots = EXTRA_ROOTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    roots
        .into_iter()
        .fold(reqwest::Client::builder(), |b, c| b.add_root_certificate(c))
}

/// A client from [`builder`] with nothing else set.
pub fn client() -> reqwest::Client {
    builder().build().unwrap_or_default()
}
