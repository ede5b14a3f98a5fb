//! spawn_app() and test storage on both backends.

use chrono::{DateTime, TimeZone, Utc};
use gallery::clock::{FixedClock, SequentialIds};
use gallery::credential::SigningKeyring;
use gallery::http::{AppState, hash_api_key};
use gallery::seal::SealingKeyring;
use gallery::storage::{PgStore, SqliteStore, Store};
use std::path::PathBuf;
use std::sync::Arc;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
        .single()
        .expect("time")
}

pub fn pg_url() -> String {
    std::env::var("DATABASE_URL_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

pub fn fixture_weblet() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/weblet")
}

/// A database of its own for one test; the SQLite file or PostgreSQL schema goes away on drop.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite:{}", dir.path().join("gallery.db").display());
                let store = SqliteStore::connect(&url).await.expect("sqlite");
                Self {
                    store: Arc::new(store),
                    _dir: Some(dir),
                    schema: None,
                }
            }
            Backend::Postgres => {
                let schema = format!("gallery_t_{}", uuid::Uuid::new_v4().simple());
                let store = PgStore::connect_in_schema(&pg_url(), &schema)
                    .await
                    .expect("postgres (set DATABASE_URL_PG)");
                Self {
                    store: Arc::new(store),
                    _dir: None,
                    schema: Some(schema),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(schema) = self.schema.take() {
            // Best effort, on a thread of its own so it works inside or outside a runtime.
            let url = pg_url();
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP SCHEMA IF EXISTS {schema} CASCADE"
                        )))
                        .execute(&mut conn)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub api_key: String,
    pub state: AppState,
    pub clock: Arc<FixedClock>,
    pub http: reqwest::Client,
    _db: TestDb,
}

/// Starts the real gallery on 127.0.0.1:0 over a fresh SQLite database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::Sqlite).await
}

pub async fn spawn_app_on(backend: Backend) -> TestApp {
    spawn_app_with(backend, gallery::logo::LogoFetcher::default()).await
}

/// The gallery with its own logo fetcher (tests of logo URLs served on 127.0.0.1).
pub async fn spawn_app_with(backend: Backend, logos: gallery::logo::LogoFetcher) -> TestApp {
    let db = TestDb::new(backend).await;
    let clock = Arc::new(FixedClock::new(t0()));
    let state = AppState {
        store: db.store.clone(),
        sealing: Arc::new(SealingKeyring::generate("seal1").expect("keys")),
        signing: Arc::new(SigningKeyring::generate("sig1").expect("keys")),
        clock: clock.clone(),
        ids: Arc::new(SequentialIds::default()),
        logos,
    };
    let api_key = gallery::http::generate_api_key();
    state
        .store
        .add_api_key_hash(&hash_api_key(&api_key), "test", t0())
        .await
        .expect("api key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let served = state.clone();
    tokio::spawn(async move {
        let _ = gallery::cli::serve_on(listener, served, std::future::pending()).await;
    });
    TestApp {
        address,
        api_key,
        state,
        clock,
        http: reqwest::Client::new(),
        _db: db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A new API key of `partner` stored in the gallery's database.
    pub async fn partner_key(&self, partner: &str) -> String {
        let key = gallery::http::generate_api_key();
        let scope = gallery::domain::Scope::Partner(
            gallery::domain::Tenant::parse(partner).expect("partner"),
        );
        self.state
            .store
            .add_api_key(&hash_api_key(&key), partner, &scope, t0())
            .await
            .expect("partner key");
        key
    }

    pub async fn register(&self, serial: &str, tenant: &str, auto_update: bool) {
        let response = self
            .http
            .put(self.url(&format!("/api/devices/{serial}")))
            .bearer_auth(&self.api_key)
            .json(&serde_json::json!({ "tenant": tenant, "auto_update": auto_update }))
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            204,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    /// Publishes the fixture weblet with the given version.
    pub async fn publish(&self, version: &str) {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&fixture_weblet(), dir.path());
        let manifest_path = dir.path().join("manifest.json");
        let manifest = std::fs::read_to_string(&manifest_path).expect("manifest");
        std::fs::write(
            &manifest_path,
            manifest.replace(
                "\"version\": \"1.0.0\"",
                &format!("\"version\": \"{version}\""),
            ),
        )
        .expect("write");
        let package = gallery::package::Package::build(dir.path()).expect("build");
        let response = self
            .http
            .post(self.url("/api/apps/support-assistant/versions"))
            .bearer_auth(&self.api_key)
            .header("content-type", "application/zip")
            .body(package.bytes)
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
    }

    pub async fn install(&self, serial: &str) -> gallery::install::InstallBundle {
        let response = self
            .http
            .post(self.url(&format!("/api/devices/{serial}/install")))
            .bearer_auth(&self.api_key)
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            201,
            "{}",
            response.text().await.unwrap_or_default()
        );
        response.json().await.expect("bundle")
    }
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `support-assistant` binary, built (or brought up to date) once per test process.
pub fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("SA_BIN") {
        return PathBuf::from(path);
    }
    let status = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "support-assistant",
            "--bin",
            "support-assistant",
        ])
        .current_dir(workspace())
        .status()
        .expect("cargo build");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("target"));
    let path = target.join("debug/support-assistant");
    // In CI the workspace build made it already and this is a no-op. On a shared work tree
    // another crate may be mid-edit: then use the last good binary, and say so.
    if !status.success() {
        assert!(
            path.exists(),
            "building support-assistant failed and no earlier build exists"
        );
        eprintln!("warning: building support-assistant failed; testing the last built binary");
    }
    path
}

/// The `http://127.0.0.1:PORT` a spawned server says it serves on (it binds port 0, so no
/// two tests race for a port).
pub fn announced_url(log: &str) -> Option<String> {
    log.lines()
        .filter(|line| !line.contains("udp://"))
        .find_map(|line| {
            let at = line.find("http://127.0.0.1:")?;
            let url: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            let port = url.rsplit(':').next()?;
            (!port.is_empty() && port.chars().all(|c| c.is_ascii_digit())).then_some(url)
        })
}

/// Opens a sealed configuration as the assistant does (bound or not).
pub fn open_config(
    ring: &SealingKeyring,
    blob: &str,
) -> Result<gallery::config::AppConfiguration, platform::keyring::SealError> {
    platform::sealed_config::open(ring, blob).map(|opened| opened.config)
}
