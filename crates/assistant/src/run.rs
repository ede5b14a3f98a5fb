//! Building and starting the App Service from its settings (used by `serve assistant`, the demo and tests).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use platform::credential::{PublicKeySet, PublicKeys};
use platform::keyring::Keyring as SealingKeyring;
use platform::manager_client::ManagerClient;
use secrecy::SecretString;

use crate::app::{AppState, Background, router, start_background};
use crate::clock::{Clock, SystemClock};
use crate::mail::{MailTransport, Mailbox};
use crate::service::{GalleryLink, ManagerDirectory, Services};
use crate::worker::Delivery;

pub struct AssistantConfig {
    /// `sqlite://PATH` or `postgres://…`
    pub database_url: String,
    pub manager_url: String,
    /// Each partner's API key for the Services Manager, by tenant as the device credential names it.
    pub manager_keys: HashMap<String, SecretString>,
    pub gallery_url: Option<String>,
    /// Trusted credential keys; when absent they are fetched from the gallery at start.
    pub gallery_public_keys: Option<PublicKeys>,
    /// Opens the sealed app configuration (shared with the gallery).
    pub config_keys: SealingKeyring,
    /// Seals contact details in the outbox (the assistant's own).
    pub contact_keys: SealingKeyring,
    pub mail: Option<Arc<dyn MailTransport>>,
    pub mail_from: Mailbox,
    pub ack_deadline: Duration,
    /// How long a confirmation under the help-desk override waits for the partner's ticket
    /// number before it goes out with the incident number.
    pub help_desk_wait: Duration,
    pub clock: Arc<dyn Clock>,
    /// Run the outbox worker in this instance.
    pub worker: bool,
    /// Requests per device; `None` = no limit.
    pub rate_limit: Option<crate::ops::RateLimitSettings>,
    pub ops: crate::ops::OpsSettings,
}

impl AssistantConfig {
    pub fn new(
        database_url: &str,
        manager_url: &str,
        config_keys: SealingKeyring,
        contact_keys: SealingKeyring,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            database_url: database_url.to_string(),
            manager_url: manager_url.to_string(),
            manager_keys: HashMap::new(),
            gallery_url: None,
            gallery_public_keys: None,
            config_keys,
            contact_keys,
            mail: None,
            mail_from: "Support Assistant <support-assistant@localhost>".parse()?,
            ack_deadline: Duration::from_secs(3),
            help_desk_wait: crate::worker::HELP_DESK_WAIT,
            clock: Arc::new(SystemClock),
            worker: true,
            rate_limit: Some(crate::ops::RateLimitSettings::default()),
            ops: crate::ops::OpsSettings::default(),
        })
    }
}

pub async fn fetch_public_keys(gallery_url: &str) -> anyhow::Result<PublicKeys> {
    let url = format!("{}/api/keys", gallery_url.trim_end_matches('/'));
    let set: PublicKeySet = platform::ops::client::client()
        .get(&url)
        .send()
        .await
        .with_context(|| format!("fetching the gallery's public keys from {url}"))?
        .error_for_status()?
        .json()
        .await?;
    Ok(PublicKeys::from_set(&set)?)
}

/// The services, ready to serve.
pub async fn build(config: AssistantConfig) -> anyhow::Result<(AppState, Background)> {
    let store = crate::store::connect(&config.database_url).await?;
    if let Some(limit) = &config.rate_limit {
        // On PostgreSQL every instance shares the per-device buckets; SQLite keeps them here.
        store.share_rate_limit(limit.burst, limit.per_second);
    }
    let mut managers = HashMap::new();
    for (tenant, key) in &config.manager_keys {
        let http = platform::ops::client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        managers.insert(
            tenant.clone(),
            ManagerClient::with_http(&config.manager_url, key.clone(), http),
        );
    }
    let managers = ManagerDirectory(managers);
    let keys = match (config.gallery_public_keys, &config.gallery_url) {
        (Some(k), _) => k,
        (None, Some(url)) => fetch_public_keys(url).await?,
        (None, None) => anyhow::bail!("no gallery public keys: give the gallery URL or its keys"),
    };
    let gallery = Arc::new(GalleryLink::new(config.gallery_url.clone(), keys));
    let contact_keys = Arc::new(config.contact_keys);
    let delivery = Arc::new(Delivery {
        store: store.clone(),
        managers: managers.clone(),
        contact_keys: contact_keys.clone(),
        mail: config.mail,
        mail_from: config.mail_from,
        clock: config.clock.clone(),
        wake: tokio::sync::Notify::new(),
        lease: Duration::from_secs(30),
        max_backoff: Duration::from_secs(300),
        help_desk_wait: config.help_desk_wait,
    });
    let services = Services {
        store,
        managers,
        gallery,
        config_keys: Arc::new(config.config_keys),
        contact_keys,
        clock: config.clock,
        delivery,
        ack_deadline: config.ack_deadline,
    };
    let background = if config.worker {
        start_background(&services)
    } else {
        Background(Vec::new())
    };
    let limiter = config.rate_limit.map(crate::ops::RateLimiter::new);
    Ok((
        AppState {
            services,
            limiter,
            ops: config.ops,
        },
        background,
    ))
}

/// Serves on a listener from `platform::ops::tls::bind` (HTTPS when it has a certificate; set
/// `ops.hsts` in the configuration accordingly) until `shutdown` completes.
pub async fn serve_listener(
    listener: platform::ops::Listener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    listener.serve(router(state), shutdown).await
}

/// Serves on an already bound listener, plain HTTP (tests and loopback).
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
