//! A real Services Manager and App Gallery on loopback, and the assistant wired to them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use assistant::app::{AppState, Background};
use assistant::clock::SystemClock;
use assistant::run::{AssistantConfig, build, serve_on};
use chrono::{Duration as Days, Utc};
use gallery::config::AppConfiguration;
use gallery::credential::SigningKeyring;
use gallery::domain::{AppId, DeviceSerial, Tenant};
use gallery::seal::SealingKeyring;
use manager::domain::{DeviceSerial as MSerial, Label};
use manager::storage::{NewDevice, StoreContext};
use secrecy::SecretString;
use uuid::Uuid;

pub const SERIAL_A: &str = "XRX9C934E4A7B21";
pub const SERIAL_B: &str = "XRXB405LOW0007";
/// A device of the same partner without a supplies contract.
pub const SERIAL_NO_SUPPLIES: &str = "XRXNOSUPPLY001";

pub struct Manager {
    pub base: String,
    pub api_key: String,
    addr: SocketAddr,
    state: manager::app::AppState,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Manager {
    async fn start(&mut self) {
        let listener = bind_retry(self.addr).await;
        let state = self.state.clone();
        self.server = Some(tokio::spawn(async move {
            let _ = manager::app::serve(listener, state).await;
        }));
    }
    /// Takes the manager off the network (an outage).
    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
    /// Brings it back on the same address.
    pub async fn restart(&mut self) {
        self.stop();
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.start().await;
    }
}

async fn bind_retry(addr: SocketAddr) -> tokio::net::TcpListener {
    for _ in 0..100 {
        if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind {addr} again");
}

pub async fn start_manager() -> Manager {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock: Arc<dyn manager::clock::Clock> = Arc::new(manager::clock::SystemClock);
    let ctx = StoreContext {
        clock: clock.clone(),
        ids: Arc::new(manager::clock::UuidV7),
        keys: Arc::new(manager::crypto::KeyRing::single("m1", [7; 32]).expect("keys")),
    };
    let url = format!("sqlite://{}", dir.path().join("manager.db").display());
    let store = manager::storage::connect(&url, ctx)
        .await
        .expect("manager store");
    let partner = store
        .create_partner(&Label::parse("Acme Print Services", 100).expect("label"))
        .await
        .expect("partner");
    let customer = store
        .create_customer(partner.id, &Label::parse("Contoso", 100).expect("label"))
        .await
        .expect("customer");
    for serial in [SERIAL_A, SERIAL_B, SERIAL_NO_SUPPLIES] {
        store
            .create_device(
                partner.id,
                &NewDevice {
                    customer_id: customer.id,
                    serial: MSerial::parse(serial).expect("serial"),
                    model: Label::parse("AltaLink C8055", 100).expect("label"),
                    location: Label::parse("3rd floor", 100).expect("label"),
                },
            )
            .await
            .expect("device");
    }
    let key = manager::auth::generate_api_key();
    let api_key = secrecy::ExposeSecret::expose_secret(&key).to_string();
    store
        .create_api_key(
            partner.id,
            &Label::parse("assistant", 50).expect("label"),
            &manager::auth::token_hash(&api_key),
        )
        .await
        .expect("key");
    let config = manager::app::AppConfig {
        password_cost: manager::auth::PasswordCost::Cheap,
        ..Default::default()
    };
    let state = manager::app::AppState::new(store.clone(), clock, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let mut m = Manager {
        base: format!("http://{addr}"),
        api_key,
        addr,
        state,
        server: None,
        _dir: dir,
    };
    m.start().await;
    m
}

pub struct Gallery {
    pub base: String,
    pub api_key: String,
    pub state: gallery::http::AppState,
    _dir: tempfile::TempDir,
}

pub async fn start_gallery() -> Gallery {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("gallery.db").display());
    let store = gallery::storage::connect(&url)
        .await
        .expect("gallery store");
    let state = gallery::http::AppState {
        store,
        sealing: Arc::new(config_keys()),
        signing: Arc::new(SigningKeyring::from_seed(
            gallery::domain::KeyId::parse("sig1").expect("kid"),
            [9; 32],
        )),
        clock: Arc::new(gallery::clock::SystemClock),
        ids: Arc::new(gallery::clock::RandomIds),
        logos: gallery::logo::LogoFetcher::default(),
    };
    let api_key = gallery::http::generate_api_key();
    state
        .store
        .add_api_key_hash(&gallery::http::hash_api_key(&api_key), "test", Utc::now())
        .await
        .expect("api key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let served = state.clone();
    tokio::spawn(async move {
        let _ = gallery::cli::serve_on(listener, served, std::future::pending()).await;
    });
    let g = Gallery {
        base,
        api_key,
        state,
        _dir: dir,
    };
    let http = reqwest::Client::new();
    let today = Utc::now().date_naive();
    for (serial, supplies) in [
        (SERIAL_A, true),
        (SERIAL_B, true),
        (SERIAL_NO_SUPPLIES, false),
    ] {
        let r = http
            .put(format!("{}/api/devices/{serial}", g.base))
            .bearer_auth(&g.api_key)
            .json(&serde_json::json!({"tenant": "acme", "auto_update": false}))
            .send()
            .await
            .expect("register");
        assert!(
            r.status().is_success(),
            "register: {}",
            r.text().await.unwrap_or_default()
        );
        let contract = serde_json::json!({"starts_on": today - Days::days(30), "ends_on": today + Days::days(365)});
        let body = if supplies {
            serde_json::json!({"service": contract, "supplies": contract})
        } else {
            serde_json::json!({"service": contract})
        };
        let r = http
            .put(format!("{}/api/devices/{serial}/entitlements", g.base))
            .bearer_auth(&g.api_key)
            .json(&body)
            .send()
            .await
            .expect("entitlements");
        assert!(
            r.status().is_success(),
            "entitlements: {}",
            r.text().await.unwrap_or_default()
        );
    }
    g
}

pub fn config_keys() -> SealingKeyring {
    SealingKeyring::new(
        gallery::domain::KeyId::parse("cfg1").expect("kid"),
        gallery::seal::SealingKey::from_bytes([3; 32]),
    )
}

pub fn contact_keys() -> SealingKeyring {
    SealingKeyring::new(
        gallery::domain::KeyId::parse("contact1").expect("kid"),
        gallery::seal::SealingKey::from_bytes([5; 32]),
    )
}

impl Gallery {
    /// A device credential as the gallery issues it at install.
    pub fn credential(&self, serial: &str) -> String {
        let now = Utc::now();
        self.state
            .signing
            .issue(
                Uuid::new_v4(),
                DeviceSerial::parse(serial).expect("serial"),
                Tenant::parse("acme").expect("tenant"),
                AppId::parse("support-assistant").expect("app id"),
                now,
                now + Days::days(30),
            )
            .expect("issue")
            .0
    }

    pub fn sealed(&self, config: &AppConfiguration) -> String {
        self.state.sealing.seal(config).expect("seal")
    }
}

pub struct TestAssistant {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    pub mail_dir: std::path::PathBuf,
    pub db_path: std::path::PathBuf,
    _background: Background,
    _dir: tempfile::TempDir,
}

pub async fn start_assistant(manager: &Manager, gallery: &Gallery) -> TestAssistant {
    start_assistant_on(manager, gallery, None, true).await
}

/// The assistant on `database` (default: a fresh SQLite file), with or without the rate limit.
pub async fn start_assistant_on(
    manager: &Manager,
    gallery: &Gallery,
    database: Option<&str>,
    rate_limit: bool,
) -> TestAssistant {
    let limit = rate_limit.then(assistant::ops::RateLimitSettings::default);
    start_assistant_limited(manager, gallery, database, limit).await
}

/// The assistant on `database` (default: a fresh SQLite file) with the rate limit `limit`.
pub async fn start_assistant_limited(
    manager: &Manager,
    gallery: &Gallery,
    database: Option<&str>,
    limit: Option<assistant::ops::RateLimitSettings>,
) -> TestAssistant {
    start_assistant_with(manager, gallery, database, |config| {
        config.rate_limit = limit
    })
    .await
}

/// The assistant on `database` (default: a fresh SQLite file) with the test defaults (default
/// rate limit), then `adjust` applied to its configuration (a fixed clock, say).
pub async fn start_assistant_with(
    manager: &Manager,
    gallery: &Gallery,
    database: Option<&str>,
    adjust: impl FnOnce(&mut AssistantConfig),
) -> TestAssistant {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("assistant.db");
    let mail_dir = dir.path().join("outbox");
    let db_url = database
        .map(str::to_string)
        .unwrap_or_else(|| format!("sqlite://{}", db_path.display()));
    let mut config = AssistantConfig::new(&db_url, &manager.base, config_keys(), contact_keys())
        .expect("config");
    config.manager_keys = HashMap::from([(
        "acme".to_string(),
        SecretString::from(manager.api_key.clone()),
    )]);
    config.gallery_url = Some(gallery.base.clone());
    config.mail = Some(Arc::new(
        assistant::mail::FolderTransport::new(&mail_dir).expect("mail dir"),
    ));
    config.ack_deadline = Duration::from_secs(2);
    config.clock = Arc::new(SystemClock);
    config.rate_limit = Some(assistant::ops::RateLimitSettings::default());
    adjust(&mut config);
    let (state, background) = build(config).await.expect("assistant");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let served = state.clone();
    tokio::spawn(async move {
        let _ = serve_on(listener, served).await;
    });
    TestAssistant {
        base,
        state,
        http: reqwest::Client::new(),
        mail_dir,
        db_path,
        _background: background,
        _dir: dir,
    }
}

/// The three parts, running.
pub struct System {
    pub manager: Manager,
    pub gallery: Gallery,
    pub assistant: TestAssistant,
}

pub async fn start_system() -> System {
    let manager = start_manager().await;
    let gallery = start_gallery().await;
    let assistant = start_assistant(&manager, &gallery).await;
    System {
        manager,
        gallery,
        assistant,
    }
}

/// The three parts, the assistant's configuration changed by `adjust` (see [`start_assistant_with`]).
pub async fn start_system_with(adjust: impl FnOnce(&mut AssistantConfig)) -> System {
    let manager = start_manager().await;
    let gallery = start_gallery().await;
    let assistant = start_assistant_with(&manager, &gallery, None, adjust).await;
    System {
        manager,
        gallery,
        assistant,
    }
}

/// A device's view of the App API.
pub struct Panel<'a> {
    pub sys: &'a System,
    pub credential: String,
    pub sealed_config: String,
    pub demo: bool,
}

impl System {
    pub fn panel(&self, serial: &str) -> Panel<'_> {
        self.panel_with(serial, &AppConfiguration::default())
    }
    pub fn panel_with(&self, serial: &str, config: &AppConfiguration) -> Panel<'_> {
        Panel {
            sys: self,
            credential: self.gallery.credential(serial),
            sealed_config: self.gallery.sealed(config),
            demo: false,
        }
    }
}

impl Panel<'_> {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .sys
            .assistant
            .http
            .request(method, format!("{}{path}", self.sys.assistant.base))
            .bearer_auth(&self.credential)
            .header("x-app-config", &self.sealed_config);
        if self.demo {
            r = r.header("x-demo-mode", "on");
        }
        r
    }
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request");
        (
            r.status().as_u16(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }
    pub async fn post(
        &self,
        path: &str,
        key: Option<&str>,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut r = self.request(reqwest::Method::POST, path).json(&body);
        if let Some(k) = key {
            r = r.header("idempotency-key", k);
        }
        let r = r.send().await.expect("request");
        (
            r.status().as_u16(),
            r.json().await.unwrap_or(serde_json::Value::Null),
        )
    }
}

pub fn contact() -> serde_json::Value {
    serde_json::json!({"name": "Erika Mustermann", "email": "erika.mustermann@example.org", "phone": "+49 30 1234567"})
}

/// Waits (bounded) until `f` holds.
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}
