//! How a service is reached, the same for every `serve` command: HTTPS with the partner's
//! certificate (TLS 1.2 minimum, with HSTS), or — only when asked for, and only on a loopback
//! address — plain HTTP for development. Nothing in between: a certificate given is a
//! certificate served.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::tls::TlsSettings;

/// `--tls-cert`, `--tls-key`, `--insecure-http`: flatten into a `serve` command's arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TransportArgs {
    /// PEM certificate chain: serve HTTPS only (TLS 1.2 and 1.3, with HSTS). Needs --tls-key.
    #[arg(long, env = "SA_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "SA_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS (development only: refused unless --listen is a loopback address).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub insecure_http: bool,
}

/// Why a service refuses to start with the transport it was given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransportError {
    #[error(
        "no certificate: give --tls-cert FILE and --tls-key FILE (or SA_TLS_CERT and SA_TLS_KEY) to serve HTTPS, \
         or --insecure-http to serve plain HTTP on a loopback address for development"
    )]
    NoCertificate,
    #[error(
        "--insecure-http is only allowed on a loopback address (127.0.0.1, ::1), not on {0}: \
         give --tls-cert and --tls-key to listen there"
    )]
    InsecureNotLoopback(SocketAddr),
    #[error("give both --tls-cert and --tls-key")]
    HalfCertificate,
}

impl TransportArgs {
    /// The TLS settings to serve `listen` with, `None` for plain HTTP (allowed on loopback only).
    pub fn decide(&self, listen: SocketAddr) -> Result<Option<TlsSettings>, TransportError> {
        match (&self.tls_cert, &self.tls_key, self.insecure_http) {
            (Some(cert), Some(key), _) => Ok(Some(TlsSettings {
                cert: cert.clone(),
                key: key.clone(),
            })),
            (Some(_), None, _) | (None, Some(_), _) => Err(TransportError::HalfCertificate),
            (None, None, true) if listen.ip().is_loopback() => Ok(None),
            (None, None, true) => Err(TransportError::InsecureNotLoopback(listen)),
            (None, None, false) => Err(TransportError::NoCertificate),
        }
    }
}

/// `--ca-cert`: the CA a service trusts, besides the system's, when it calls another service
/// over HTTPS (a partner's own CA).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClientTrustArgs {
    /// PEM file of CA certificates to trust (besides the system's) when calling the other services over HTTPS.
    #[arg(long, env = "SA_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

impl ClientTrustArgs {
    /// Makes every client built with [`super::client::builder`] trust the file's CAs.
    pub fn install(&self) -> anyhow::Result<()> {
        if let Some(path) = &self.ca_cert {
            super::client::trust_ca_file(path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cert: bool, insecure: bool) -> TransportArgs {
        TransportArgs {
            tls_cert: cert.then(|| "c.pem".into()),
            tls_key: cert.then(|| "k.pem".into()),
            insecure_http: insecure,
        }
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_rules() {
        let lo: SocketAddr = "127.0.0.1:1".parse().unwrap_or_else(|_| unreachable!());
        let any: SocketAddr = "0.0.0.0:1".parse().unwrap_or_else(|_| unreachable!());
        assert!(matches!(args(true, false).decide(any), Ok(Some(_))));
        assert_eq!(args(false, true).decide(lo), Ok(None));
        assert_eq!(
            args(false, true).decide(any),
            Err(TransportError::InsecureNotLoopback(any))
        );
        assert_eq!(
            args(false, false).decide(lo),
            Err(TransportError::NoCertificate)
        );
    }
}
