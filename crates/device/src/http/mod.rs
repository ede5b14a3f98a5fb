//! The device's HTTP side: the EIP SOAP web services an app on the panel calls (Device
//! Configuration, Session, WS-SNMP), the administrator's login at the panel, installed apps
//! (`POST /api/apps/install` from the App Gallery, their files under `/apps/<id>/`) and the panel page.
//!
//! Serve [`router`] with [`serve`] (or `into_make_service_with_connect_info::<SocketAddr>()`): the
//! app configuration endpoint answers only callers on the device itself (loopback), and it learns
//! the caller's address from axum's `ConnectInfo`.

pub mod app_settings;
pub mod apps;
pub mod auth;
pub mod error;
pub mod panel;
pub mod snmp_text;
pub mod soap;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::mib::Mib;
pub use platform::clock::{Clock, FixedClock, SystemClock};
pub use platform::password::{HashError, PasswordCost, hash_password};

/// Idle time after which the administrator's panel session ends.
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Failed administrator logins allowed per minute before further attempts are refused.
pub const DEFAULT_LOGIN_FAILURES_PER_MINUTE: u32 = 5;

/// Everything the device's HTTP side needs.
#[derive(Clone)]
pub struct HttpState {
    /// The recording's values (shared with the SNMP agent and the usage simulation).
    pub mib: Arc<Mib>,
    /// The device's SNMP v1/v2c read community; WS-SNMP requests must carry it.
    pub community: String,
    /// The administrator's password as an argon2 PHC string.
    pub admin_password_hash: String,
    /// Where installed apps live (`<data_dir>/apps/<app_id>/`).
    pub data_dir: PathBuf,
    /// Time source for session timeouts and the login rate limit.
    pub clock: Arc<dyn Clock>,
    /// The administrator's panel session ends after this much idle time.
    pub session_idle_timeout: Duration,
    /// Failed administrator password checks allowed in any minute.
    pub login_failures_per_minute: u32,
    /// The panel's drawing area in pixels (Device Configuration `display/canvasSize`, and the
    /// panel page's default size).
    pub panel_size: (u32, u32),
    /// The administrator's e-mail address (Session `from` while the administrator is logged in).
    pub admin_email: Option<String>,
    /// The SOAP requests the device read (what clients sent).
    pub soap_log: Arc<soap::SoapLog>,
}

impl std::fmt::Debug for HttpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpState")
            .field("mib_entries", &self.mib.len())
            .field("community", &self.community)
            .field("admin_password_hash", &"[redacted]")
            .field("data_dir", &self.data_dir)
            .field("session_idle_timeout", &self.session_idle_timeout)
            .field("login_failures_per_minute", &self.login_failures_per_minute)
            .field("panel_size", &self.panel_size)
            .field("admin_email", &self.admin_email.as_ref().map(|_| "[set]"))
            .finish()
    }
}

impl HttpState {
    /// Hashes `admin_password` with argon2id (recommended cost) and uses the system clock and
    /// default session settings.
    pub fn new(
        mib: Arc<Mib>,
        community: impl Into<String>,
        admin_password: &str,
        data_dir: impl Into<PathBuf>,
    ) -> Result<Self, HashError> {
        let hash = hash_password(
            &secrecy::SecretString::from(admin_password),
            PasswordCost::Default,
        )?;
        Ok(Self::with_password_hash(mib, community, hash, data_dir))
    }

    /// As [`HttpState::new`], with an already hashed password (argon2 PHC string).
    pub fn with_password_hash(
        mib: Arc<Mib>,
        community: impl Into<String>,
        admin_password_hash: impl Into<String>,
        data_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            mib,
            community: community.into(),
            admin_password_hash: admin_password_hash.into(),
            data_dir: data_dir.into(),
            clock: Arc::new(SystemClock),
            session_idle_timeout: DEFAULT_SESSION_IDLE_TIMEOUT,
            login_failures_per_minute: DEFAULT_LOGIN_FAILURES_PER_MINUTE,
            panel_size: panel::DEFAULT_SIZE,
            admin_email: None,
            soap_log: Arc::new(soap::SoapLog::default()),
        }
    }

    /// The panel's size in pixels (see [`panel::parse_size`] for the sizes allowed).
    pub fn with_panel_size(mut self, size: (u32, u32)) -> Self {
        self.panel_size = size;
        self
    }

    pub fn with_admin_email(mut self, email: Option<String>) -> Self {
        self.admin_email = email;
        self
    }

    /// Notes SOAP requests in `log` (a test keeps a clone to see what a client sent).
    pub fn with_soap_log(mut self, log: Arc<soap::SoapLog>) -> Self {
        self.soap_log = log;
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.session_idle_timeout = timeout;
        self
    }

    pub fn with_login_failures_per_minute(mut self, n: u32) -> Self {
        self.login_failures_per_minute = n;
        self
    }
}

/// What the handlers share: the configuration plus the live session, rate limit and install lock.
pub(crate) struct Shared {
    pub config: HttpState,
    pub sessions: auth::Sessions,
    pub limiter: platform::limiter::LoginLimiter,
    pub install_lock: tokio::sync::Mutex<()>,
}

pub(crate) type AppState = Arc<Shared>;

/// SOAP requests are small; this bounds what a caller can make the parser read.
const SOAP_BODY_LIMIT: usize = 64 * 1024;
/// Install bodies carry a base64 package of up to [`apps::MAX_PACKAGE_BYTES`].
pub(crate) const INSTALL_BODY_LIMIT: usize = apps::MAX_PACKAGE_BYTES / 3 * 4 + 64 * 1024;

/// The device's HTTP routes.
pub fn router(state: HttpState) -> Router {
    apps::remove_leftovers(&state.data_dir);
    let shared: AppState = Arc::new(Shared {
        limiter: auth::login_limiter(state.login_failures_per_minute),
        sessions: auth::Sessions::default(),
        install_lock: tokio::sync::Mutex::new(()),
        config: state,
    });
    let soap_routes = Router::new()
        .route(
            soap::DEVICE_CONFIGURATION_PATH,
            post(soap::device_configuration::handler),
        )
        .route(soap::SESSION_PATH, post(soap::session::handler))
        .route(soap::SNMP_PATH, post(soap::wssnmp::handler))
        .layer(DefaultBodyLimit::max(SOAP_BODY_LIMIT));
    let install = Router::new()
        .route("/api/apps/install", post(apps::install))
        .layer(DefaultBodyLimit::max(INSTALL_BODY_LIMIT));
    Router::new()
        .route("/", get(panel::panel))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/api/apps", get(apps::list))
        .route("/api/apps/{app_id}/config", get(apps::config))
        .route(
            "/api/apps/{app_id}/settings",
            get(app_settings::get_settings).put(app_settings::put_settings),
        )
        .route("/apps/{app_id}", get(apps::app_root))
        .route("/apps/{app_id}/", get(apps::app_root))
        .route("/apps/{app_id}/{*path}", get(apps::app_file))
        .merge(soap_routes)
        .merge(install)
        .layer(DefaultBodyLimit::max(SOAP_BODY_LIMIT))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(shared)
}

async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    response
}

/// Serves the router on `listener`, giving handlers the caller's address.
pub async fn serve(listener: tokio::net::TcpListener, state: HttpState) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
