//! Serving: HTTPS with rustls, TLS 1.3 and 1.2 only (rustls has no TLS 1.1 or older), one crypto
//! provider (aws-lc-rs) for the whole process, and a generated CA plus server certificate for
//! development and tests; the connection limits (request-head read timeout, connection cap).

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use axum::Router;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::task::JoinHandle;

/// How long open connections may finish their requests after shutdown was asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The one crypto provider: aws-lc-rs.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Makes aws-lc-rs the process default, for clients (reqwest, lettre) that ask rustls for the
/// default provider. Harmless if a default is already installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The rustls server configuration: TLS 1.3 and 1.2, h2 and http/1.1.
pub fn server_config(settings: &TlsSettings) -> anyhow::Result<ServerConfig> {
    let cert_pem = std::fs::read(&settings.cert)
        .with_context(|| format!("reading the TLS certificate {}", settings.cert.display()))?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing the PEM certificate {}", settings.cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "the TLS certificate file {} holds no CERTIFICATE block",
            settings.cert.display()
        );
    }
    let key_pem = std::fs::read(&settings.key)
        .with_context(|| format!("reading the TLS private key {}", settings.key.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).with_context(|| {
        format!(
            "the TLS private key file {} holds no PEM private key",
            settings.key.display()
        )
    })?;
    let mut config = ServerConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .with_context(|| {
            format!(
                "the TLS certificate {} does not go with the key {}",
                settings.cert.display(),
                settings.key.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A development certificate: the CA file a client must trust, and the server's settings.
#[derive(Debug, Clone)]
pub struct DevCertificate {
    pub ca: PathBuf,
    pub tls: TlsSettings,
    /// False when the files of an earlier start were reused.
    pub generated: bool,
}

/// Days the generated server certificate is valid (under the 825 days some clients accept).
const DEV_CERT_DAYS: i64 = 800;
/// Age at which a generated set is replaced on start, well before it expires.
const DEV_CERT_RENEW_AFTER: Duration = Duration::from_secs(700 * 24 * 3600);

/// Reuses `ca.pem`, `cert.pem` and `key.pem` in `dir`, or writes a new self-signed CA and a
/// server certificate for `localhost` and `127.0.0.1` signed by it. Prints where the CA is.
pub fn dev_certificate(dir: &Path) -> anyhow::Result<DevCertificate> {
    let ca = dir.join("ca.pem");
    let tls = TlsSettings {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let reusable = [&ca, &tls.cert, &tls.key].iter().all(|p| p.is_file())
        && std::fs::metadata(&tls.cert)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age < DEV_CERT_RENEW_AFTER)
        && server_config(&tls).is_ok();
    let generated = !reusable;
    if generated {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the certificate folder {}", dir.display()))?;
        let (ca_pem, cert_pem, key_pem) = generate_dev_certificates()?;
        write_file(&ca, ca_pem.as_bytes(), false)?;
        write_file(&tls.cert, cert_pem.as_bytes(), false)?;
        write_file(&tls.key, key_pem.as_bytes(), true)?;
    }
    println!(
        "development TLS: {} certificate for localhost and 127.0.0.1; trust the CA file {}",
        if generated {
            "generated a"
        } else {
            "reusing the"
        },
        ca.display()
    );
    Ok(DevCertificate { ca, tls, generated })
}

/// (CA PEM, server certificate PEM, server key PEM).
fn generate_dev_certificates() -> anyhow::Result<(String, String, String)> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
    };
    let today = chrono::Utc::now().date_naive();
    let ymd = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        let month = u8::try_from(d.month()).unwrap_or(1);
        let day = u8::try_from(d.day()).unwrap_or(1);
        rcgen::date_time_ymd(d.year(), month, day)
    };
    let yesterday = today - chrono::Duration::days(1);

    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut ca_dn = DistinguishedName::new();
    ca_dn.push(DnType::OrganizationName, "Support Assistant (development)");
    ca_dn.push(DnType::CommonName, "Support Assistant development CA");
    ca_params.distinguished_name = ca_dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = ymd(yesterday);
    ca_params.not_after = ymd(today + chrono::Duration::days(DEV_CERT_DAYS + 30));
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    params.distinguished_name = dn;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = ymd(yesterday);
    params.not_after = ymd(today + chrono::Duration::days(DEV_CERT_DAYS));
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &issuer)?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

fn write_file(path: &Path, contents: &[u8], private: bool) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Connection-level limits of a server (what hyper and the accept loop enforce, below the
/// routes): how long a client may take to send a request's headers, and how many connections
/// are served at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// A connection that has not sent a complete request head within this time is closed
    /// (slowloris); it also bounds the time before the first request (protocol detection).
    pub header_read_timeout: Duration,
    /// Connections served at once; a connection over the cap is closed right after accept.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// A bound listening socket, HTTPS or plain HTTP, not yet serving.
#[derive(Debug)]
pub struct Listener {
    socket: std::net::TcpListener,
    local_addr: SocketAddr,
    tls: Option<Arc<ServerConfig>>,
    /// Where the certificate and key were read from (read again on SIGHUP).
    files: Option<TlsSettings>,
    limits: ServerLimits,
}

/// Binds `listen` (port 0 picks a free port) and loads the certificate, so that both kinds of
/// mistake show before anything is served.
pub async fn bind(listen: SocketAddr, tls: Option<TlsSettings>) -> anyhow::Result<Listener> {
    // The certificate first: a bad one should not leave a port bound.
    if let Some(settings) = &tls {
        server_config(settings)?;
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    Listener::from_tokio(listener, tls)
}

impl Listener {
    /// Wraps a listener the caller bound already (e.g. to learn the port before building the
    /// app), loading the certificate when `tls` is given.
    pub fn from_tokio(
        listener: tokio::net::TcpListener,
        tls: Option<TlsSettings>,
    ) -> anyhow::Result<Self> {
        let files = tls;
        let tls = match &files {
            Some(settings) => Some(Arc::new(server_config(settings)?)),
            None => None,
        };
        let socket = listener.into_std()?;
        let local_addr = socket.local_addr()?;
        Ok(Self {
            socket,
            local_addr,
            tls,
            files,
            limits: ServerLimits::default(),
        })
    }

    /// Replaces the default [`ServerLimits`].
    pub fn with_limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The URL of this listener's root: `https://…` or `http://…` (a wildcard address is shown
    /// as `localhost` for HTTPS, the name the certificate most likely carries, and as
    /// `127.0.0.1` for HTTP).
    pub fn url(&self) -> String {
        let addr = self.local_addr;
        if self.tls.is_some() {
            let host = if addr.ip().is_loopback() || addr.ip().is_unspecified() {
                "localhost".to_string()
            } else {
                match addr.ip() {
                    std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                    std::net::IpAddr::V4(ip) => ip.to_string(),
                }
            };
            format!("https://{host}:{}", addr.port())
        } else if addr.ip().is_unspecified() {
            format!("http://127.0.0.1:{}", addr.port())
        } else {
            format!("http://{addr}")
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves `router` until `shutdown` completes, then lets open requests finish (for at most
    /// [`SHUTDOWN_GRACE`]). Handlers can read the peer address as `ConnectInfo<SocketAddr>`.
    /// Over TLS, SIGHUP reads the certificate and key files again (new connections get the new
    /// certificate; a file that does not load is logged and the current certificate kept).
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let handle: Handle<SocketAddr> = Handle::new();
        let make = router.into_make_service_with_connect_info::<SocketAddr>();
        let limits = self.limits;
        let cap = ConnectionCap::new(limits.max_connections);
        let rustls = self.tls.map(RustlsConfig::from_config);
        let reloader = match (&rustls, self.files) {
            (Some(config), Some(files)) => {
                Some(tokio::spawn(reload_on_hangup(config.clone(), files)))
            }
            _ => None,
        };
        let server = {
            let handle = handle.clone();
            async move {
                let mut server = axum_server::from_tcp(self.socket)?
                    .handle(handle)
                    .first_request_timeout(limits.header_read_timeout);
                server
                    .http_builder()
                    .http1()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(limits.header_read_timeout);
                match rustls {
                    Some(config) => {
                        let tls =
                            axum_server::tls_rustls::RustlsAcceptor::new(config).acceptor(cap);
                        server.acceptor(tls).serve(make).await
                    }
                    None => server.acceptor(cap).serve(make).await,
                }
            }
        };
        tokio::pin!(server);
        tokio::pin!(shutdown);
        let result = tokio::select! {
            result = &mut server => result.context("serving"),
            () = &mut shutdown => {
                handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
                server.await.context("serving")
            }
        };
        if let Some(reloader) = reloader {
            reloader.abort();
        }
        result
    }
}

/// Reads the certificate and key again on every SIGHUP (Unix; elsewhere nothing happens).
async fn reload_on_hangup(config: RustlsConfig, files: TlsSettings) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be watched: the TLS certificate is not reloadable");
            return;
        };
        while hangups.recv().await.is_some() {
            match server_config(&files) {
                Ok(new) => {
                    config.reload_from_config(Arc::new(new));
                    tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                }
                Err(e) => tracing::warn!(
                    error = %format!("{e:#}"),
                    "TLS certificate not reloaded; the current one stays"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (config, files);
    }
}

/// The accept side of [`ServerLimits::max_connections`]: a connection holds a permit for its
/// whole life; one that finds none is closed at once (and counted in
/// `http_connections_refused_total`).
#[derive(Debug, Clone)]
pub struct ConnectionCap {
    permits: Arc<tokio::sync::Semaphore>,
}

impl ConnectionCap {
    pub fn new(max_connections: usize) -> Self {
        Self {
            permits: Arc::new(tokio::sync::Semaphore::new(max_connections.max(1))),
        }
    }
}

impl<S: Send + 'static> axum_server::accept::Accept<tokio::net::TcpStream, S> for ConnectionCap {
    type Stream = CappedStream;
    type Service = S;
    type Future = std::future::Ready<std::io::Result<(CappedStream, S)>>;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        std::future::ready(match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok((
                CappedStream {
                    inner: stream,
                    _permit: permit,
                },
                service,
            )),
            Err(_) => {
                metrics::counter!("http_connections_refused_total").increment(1);
                Err(std::io::Error::other("connection cap reached"))
            }
        })
    }
}

/// A TCP stream that gives its connection permit back when it is dropped.
#[derive(Debug)]
pub struct CappedStream {
    inner: tokio::net::TcpStream,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl tokio::io::AsyncRead for CappedStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for CappedStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `router` on `listen`, over TLS when `tls` is given, until `shutdown` completes.
pub async fn serve(
    router: Router,
    listen: SocketAddr,
    tls: Option<TlsSettings>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    bind(listen, tls).await?.serve(router, shutdown).await
}

/// Binds first, then serves on a task: returns the bound address (for `127.0.0.1:0`) and the
/// task, which ends when `shutdown` completes and the open requests are done.
pub async fn serve_bound(
    router: Router,
    listen: SocketAddr,
    tls: Option<TlsSettings>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, JoinHandle<anyhow::Result<()>>)> {
    let listener = bind(listen, tls).await?;
    let addr = listener.local_addr();
    Ok((addr, tokio::spawn(listener.serve(router, shutdown))))
}
