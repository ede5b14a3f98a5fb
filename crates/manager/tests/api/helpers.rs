//! Test helpers: a store on either backend, and `spawn_app()` that runs the real server on 127.0.0.1:0.

use chrono::{DateTime, TimeZone, Utc};
use manager::clock::{FixedClock, UuidV7};
use manager::crypto::KeyRing;
use manager::domain::{DeviceSerial, Label};
use manager::storage::{Device, NewDevice, PgStore, SqliteStore, Storage, StoreContext};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one async test body against SQLite and against PostgreSQL, as two tests.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}
pub(crate) use both_backends;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0)
        .single()
        .expect("valid time")
}

pub fn pg_url() -> String {
    std::env::var("DATABASE_URL_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[allow(dead_code)]
pub struct TestStore {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<FixedClock>,
    pub keys: Arc<KeyRing>,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<String>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(schema) = self.pg_schema.take() {
            let url = pg_url();
            // Best effort clean-up on a thread of its own (Drop cannot await).
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    let _ = rt.block_on(PgStore::drop_schema(&url, &schema));
                }
            })
            .join();
        }
    }
}

impl TestStore {
    /// The PostgreSQL schema of this store (benchmarks seed it with SQL of their own).
    #[allow(dead_code)]
    pub fn pg_schema(&self) -> Option<&str> {
        self.pg_schema.as_deref()
    }
}

pub fn test_keys() -> Arc<KeyRing> {
    Arc::new(KeyRing::single("test1", [42; 32]).expect("key ring"))
}

pub async fn test_store(backend: Backend) -> TestStore {
    let clock = Arc::new(FixedClock::new(t0()));
    let keys = test_keys();
    let ctx = StoreContext {
        clock: clock.clone(),
        ids: Arc::new(UuidV7),
        keys: keys.clone(),
    };
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}", dir.path().join("manager.db").display());
            let store = SqliteStore::connect(&url, ctx).await.expect("sqlite store");
            TestStore {
                store: Arc::new(store),
                clock,
                keys,
                url,
                _dir: Some(dir),
                pg_schema: None,
            }
        }
        Backend::Postgres => {
            let schema = format!("t_{}", Uuid::new_v4().simple());
            let url = pg_url();
            let store = PgStore::connect_in_schema(&url, &schema, ctx)
                .await
                .expect("postgres store (is PostgreSQL running at DATABASE_URL_PG?)");
            TestStore {
                store: Arc::new(store),
                clock,
                keys,
                url,
                _dir: None,
                pg_schema: Some(schema),
            }
        }
    }
}

/// A partner with one customer and one device; returns (partner id, device).
pub async fn seed(store: &dyn Storage, partner: &str, serial: &str) -> (Uuid, Device) {
    let p = store
        .create_partner(&Label::parse(partner, 100).expect("label"))
        .await
        .expect("partner");
    let c = store
        .create_customer(
            p.id,
            &Label::parse(&format!("{partner} customer"), 100).expect("label"),
        )
        .await
        .expect("customer");
    let d = store
        .create_device(
            p.id,
            &NewDevice {
                customer_id: c.id,
                serial: DeviceSerial::parse(serial).expect("serial"),
                model: Label::parse("MFD 5000", 100).expect("label"),
                location: Label::parse("2nd floor", 100).expect("label"),
            },
        )
        .await
        .expect("device");
    (p.id, d)
}

pub const PASSWORD: &str = "correct horse battery";

/// One partner's credentials in a running test app.
#[allow(dead_code)]
pub struct Tenant {
    pub partner_id: Uuid,
    pub api_key: String,
    pub device: Device,
    pub admin_email: String,
    pub tech_email: String,
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: TestStore,
    /// Two partners: `a` and `b`, each with a customer, a device `SN-100` and users.
    pub a: Tenant,
    pub b: Tenant,
    _server: tokio::task::JoinHandle<()>,
}

async fn tenant(store: &dyn Storage, name: &str) -> Tenant {
    let (partner_id, device) = seed(store, name, "SN-100").await;
    let key = manager::auth::generate_api_key();
    let api_key = secrecy::ExposeSecret::expose_secret(&key).to_string();
    store
        .create_api_key(
            partner_id,
            &Label::parse("tests", 50).unwrap(),
            &manager::auth::token_hash(&api_key),
        )
        .await
        .unwrap();
    let hash = manager::auth::hash_password(
        &secrecy::SecretString::from(PASSWORD),
        manager::auth::PasswordCost::Cheap,
    )
    .unwrap();
    let admin_email = format!("admin@{}.example", name.to_lowercase());
    let tech_email = format!("tech@{}.example", name.to_lowercase());
    store
        .create_user(
            partner_id,
            &admin_email,
            &hash,
            manager::storage::Role::PartnerAdmin,
        )
        .await
        .unwrap();
    store
        .create_user(
            partner_id,
            &tech_email,
            &hash,
            manager::storage::Role::Technician,
        )
        .await
        .unwrap();
    Tenant {
        partner_id,
        api_key,
        device,
        admin_email,
        tech_email,
    }
}

/// Starts the real server on 127.0.0.1:0 over a fresh store of the given backend.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// `spawn_app` with the configuration changed by `configure`.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut manager::app::AppConfig),
) -> TestApp {
    let store = test_store(backend).await;
    let a = tenant(&*store.store, "Acme").await;
    let b = tenant(&*store.store, "Bolt").await;
    let mut config = manager::app::AppConfig {
        password_cost: manager::auth::PasswordCost::Cheap,
        ..Default::default()
    };
    configure(&mut config);
    let state = manager::app::AppState::new(store.store.clone(), store.clock.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = manager::app::serve(listener, state).await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    TestApp {
        base,
        http,
        store,
        a,
        b,
        _server: server,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}
