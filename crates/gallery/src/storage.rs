//! Storage: one trait, a SQLite implementation (default, WAL) and a PostgreSQL one.
//! Both are [`SqlStore`]: one generic implementation over the sqlx database, running the same
//! runtime-checked SQL (`$N` placeholders read by both) against their own migrations.
//! [`connect`] picks the backend by the URL scheme and hands back `Arc<dyn Store>`.

use crate::domain::{AppId, DeviceSerial, Scope, Tenant};
use crate::entitlement::{Contract, Entitlements};
use chrono::{DateTime, NaiveDate, Utc};
use platform::sql::RowsAffected;
use semver::Version;
use sqlx::Row;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("database URL must start with sqlite: or postgres:, got {0:?}")]
    UnsupportedUrl(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A device the gallery manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub serial: DeviceSerial,
    pub tenant: Tenant,
    /// The device's administrator opted in to automatic updates.
    pub auto_update: bool,
}

/// A published app version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub app_id: AppId,
    pub version: Version,
    pub manifest_json: String,
    pub package: Vec<u8>,
    pub sha256: String,
    pub published_at: DateTime<Utc>,
}

/// An issued device credential (the token itself is not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    pub id: Uuid,
    pub serial: DeviceSerial,
    pub tenant: Tenant,
    pub app_id: AppId,
    pub key_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An app installed on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    pub serial: DeviceSerial,
    pub app_id: AppId,
    pub version: Version,
    pub credential_id: Uuid,
    pub installed_at: DateTime<Utc>,
}

/// Everything the gallery keeps.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    async fn add_api_key_hash(
        &self,
        key_hash: &str,
        label: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn api_key_hash_exists(&self, key_hash: &str) -> StoreResult<bool>;
    /// Stores a key (hashed) with its scope; the same hash twice keeps the first.
    async fn add_api_key(
        &self,
        key_hash: &str,
        label: &str,
        scope: &Scope,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The scope of a stored key, `None` for an unknown key.
    async fn api_key_scope(&self, key_hash: &str) -> StoreResult<Option<Scope>>;
    /// Devices a key of `scope` sees, by serial.
    async fn devices(&self, scope: &Scope) -> StoreResult<Vec<Device>>;

    async fn put_device(&self, device: &Device, at: DateTime<Utc>) -> StoreResult<()>;
    async fn device(&self, serial: &DeviceSerial) -> StoreResult<Option<Device>>;

    /// Stores the sealed app configuration blob of a device (the device must exist).
    async fn put_configuration(
        &self,
        serial: &DeviceSerial,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn configuration(&self, serial: &DeviceSerial) -> StoreResult<Option<String>>;
    /// Replaces the blob only if it is still `expected` (`None`: there is none yet); false if
    /// another writer came first.
    async fn replace_configuration(
        &self,
        serial: &DeviceSerial,
        expected: Option<&str>,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Every stored configuration blob, by serial.
    async fn configurations(&self) -> StoreResult<Vec<(DeviceSerial, String)>>;

    async fn put_entitlements(
        &self,
        serial: &DeviceSerial,
        entitlements: &Entitlements,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn entitlements(&self, serial: &DeviceSerial) -> StoreResult<Option<Entitlements>>;

    /// Adds a version; publishing the same app id and version twice is a conflict.
    async fn add_version(&self, version: &StoredVersion) -> StoreResult<()>;
    async fn versions(&self, app_id: &AppId) -> StoreResult<Vec<Version>>;
    async fn version(
        &self,
        app_id: &AppId,
        version: &Version,
    ) -> StoreResult<Option<StoredVersion>>;

    /// Records an issued credential and the installation it belongs to, in one transaction.
    async fn record_installation(
        &self,
        credential: &CredentialRecord,
        installation: &Installation,
    ) -> StoreResult<()>;
    async fn installations(&self, serial: &DeviceSerial) -> StoreResult<Vec<Installation>>;
    async fn credential(&self, id: Uuid) -> StoreResult<Option<CredentialRecord>>;
    /// Marks a credential revoked; false if there is no such credential.
    async fn revoke_credential(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Ids of revoked credentials that have not yet expired at `now`.
    async fn revoked_credentials(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>>;
}

fn parse<T: FromStr>(what: &str, text: &str) -> StoreResult<T> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {text:?}")))
}

/// A `devices` row (serial, tenant, auto_update).
fn device_row<R: Row>(row: &R) -> StoreResult<Device>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Device {
        serial: parse("serial", &row.try_get::<String, _>("serial")?)?,
        tenant: parse("tenant", &row.try_get::<String, _>("tenant")?)?,
        auto_update: row.try_get("auto_update")?,
    })
}

fn contract(starts: Option<NaiveDate>, ends: Option<NaiveDate>) -> Option<Contract> {
    match (starts, ends) {
        (Some(starts_on), Some(ends_on)) => Some(Contract { starts_on, ends_on }),
        _ => None,
    }
}

// The SQL below is written once for both backends: SQLite reads `$N` placeholders as well as
// PostgreSQL does, and every type bound here holds for both (the where clause is what the
// queries need; it is repeated on the inherent impl, as Rust does not carry it over).
#[async_trait::async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> NaiveDate: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<NaiveDate>: sqlx::Encode<'q, DB>,
    DB::QueryResult: RowsAffected,
{
    async fn add_api_key_hash(
        &self,
        key_hash: &str,
        label: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (key_hash, label, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(key_hash)
        .bind(label)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn api_key_hash_exists(&self, key_hash: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM api_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn add_api_key(
        &self,
        key_hash: &str,
        label: &str,
        scope: &Scope,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (key_hash, label, created_at, partner) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(key_hash)
        .bind(label)
        .bind(at)
        .bind(scope.partner().map(Tenant::as_str))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn api_key_scope(&self, key_hash: &str) -> StoreResult<Option<Scope>> {
        let row = sqlx::query("SELECT partner FROM api_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(match row.try_get::<Option<String>, _>("partner")? {
                None => Scope::Admin,
                Some(partner) => Scope::Partner(parse("partner", &partner)?),
            })
        })
        .transpose()
    }

    async fn devices(&self, scope: &Scope) -> StoreResult<Vec<Device>> {
        let rows = sqlx::query(
            "SELECT serial, tenant, auto_update FROM devices
             WHERE $1 IS NULL OR tenant = $1 ORDER BY serial",
        )
        .bind(scope.partner().map(Tenant::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_row).collect()
    }

    async fn put_device(&self, device: &Device, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO devices (serial, tenant, auto_update, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (serial) DO UPDATE SET tenant = excluded.tenant,
                auto_update = excluded.auto_update, updated_at = excluded.updated_at",
        )
        .bind(device.serial.as_str())
        .bind(device.tenant.as_str())
        .bind(device.auto_update)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn device(&self, serial: &DeviceSerial) -> StoreResult<Option<Device>> {
        let row = sqlx::query("SELECT serial, tenant, auto_update FROM devices WHERE serial = $1")
            .bind(serial.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(device_row).transpose()
    }

    async fn put_configuration(
        &self,
        serial: &DeviceSerial,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.require_device(serial).await?;
        sqlx::query(
            "INSERT INTO app_configurations (serial, sealed, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (serial) DO UPDATE SET sealed = excluded.sealed,
                updated_at = excluded.updated_at",
        )
        .bind(serial.as_str())
        .bind(sealed)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn configuration(&self, serial: &DeviceSerial) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT sealed FROM app_configurations WHERE serial = $1")
            .bind(serial.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("sealed")).transpose()?)
    }

    async fn replace_configuration(
        &self,
        serial: &DeviceSerial,
        expected: Option<&str>,
        sealed: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.require_device(serial).await?;
        let result = match expected {
            None => sqlx::query(
                "INSERT INTO app_configurations (serial, sealed, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (serial) DO NOTHING",
            )
            .bind(serial.as_str())
            .bind(sealed)
            .bind(at)
            .execute(&self.pool)
            .await,
            Some(expected) => {
                sqlx::query(
                    "UPDATE app_configurations SET sealed = $2, updated_at = $3
                     WHERE serial = $1 AND sealed = $4",
                )
                .bind(serial.as_str())
                .bind(sealed)
                .bind(at)
                .bind(expected)
                .execute(&self.pool)
                .await
            }
        };
        Ok(result?.rows_affected() == 1)
    }

    async fn configurations(&self) -> StoreResult<Vec<(DeviceSerial, String)>> {
        let rows = sqlx::query("SELECT serial, sealed FROM app_configurations ORDER BY serial")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse("serial", &r.try_get::<String, _>("serial")?)?,
                    r.try_get("sealed")?,
                ))
            })
            .collect()
    }

    async fn put_entitlements(
        &self,
        serial: &DeviceSerial,
        entitlements: &Entitlements,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.require_device(serial).await?;
        sqlx::query(
            "INSERT INTO entitlements (serial, service_starts_on, service_ends_on,
                supplies_starts_on, supplies_ends_on, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (serial) DO UPDATE SET
                service_starts_on = excluded.service_starts_on,
                service_ends_on = excluded.service_ends_on,
                supplies_starts_on = excluded.supplies_starts_on,
                supplies_ends_on = excluded.supplies_ends_on,
                updated_at = excluded.updated_at",
        )
        .bind(serial.as_str())
        .bind(entitlements.service.map(|c| c.starts_on))
        .bind(entitlements.service.map(|c| c.ends_on))
        .bind(entitlements.supplies.map(|c| c.starts_on))
        .bind(entitlements.supplies.map(|c| c.ends_on))
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn entitlements(&self, serial: &DeviceSerial) -> StoreResult<Option<Entitlements>> {
        let row = sqlx::query(
            "SELECT service_starts_on, service_ends_on, supplies_starts_on, supplies_ends_on
             FROM entitlements WHERE serial = $1",
        )
        .bind(serial.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Entitlements {
                service: contract(
                    row.try_get("service_starts_on")?,
                    row.try_get("service_ends_on")?,
                ),
                supplies: contract(
                    row.try_get("supplies_starts_on")?,
                    row.try_get("supplies_ends_on")?,
                ),
            })
        })
        .transpose()
    }

    async fn add_version(&self, v: &StoredVersion) -> StoreResult<()> {
        let result = sqlx::query(
            "INSERT INTO app_versions (app_id, version, manifest, package, sha256, published_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, version) DO NOTHING",
        )
        .bind(v.app_id.as_str())
        .bind(v.version.to_string())
        .bind(&v.manifest_json)
        .bind(&v.package)
        .bind(&v.sha256)
        .bind(v.published_at)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "{} version {} is already published; publish a new version number",
                v.app_id, v.version
            )));
        }
        Ok(())
    }

    async fn versions(&self, app_id: &AppId) -> StoreResult<Vec<Version>> {
        let rows = sqlx::query("SELECT version FROM app_versions WHERE app_id = $1")
            .bind(app_id.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut versions = rows
            .iter()
            .map(|r| parse::<Version>("version", &r.try_get::<String, _>("version")?))
            .collect::<StoreResult<Vec<_>>>()?;
        versions.sort();
        Ok(versions)
    }

    async fn version(
        &self,
        app_id: &AppId,
        version: &Version,
    ) -> StoreResult<Option<StoredVersion>> {
        let row = sqlx::query(
            "SELECT manifest, package, sha256, published_at FROM app_versions
             WHERE app_id = $1 AND version = $2",
        )
        .bind(app_id.as_str())
        .bind(version.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(StoredVersion {
                app_id: app_id.clone(),
                version: version.clone(),
                manifest_json: row.try_get("manifest")?,
                package: row.try_get("package")?,
                sha256: row.try_get("sha256")?,
                published_at: row.try_get("published_at")?,
            })
        })
        .transpose()
    }

    async fn record_installation(&self, c: &CredentialRecord, i: &Installation) -> StoreResult<()> {
        self.require_device(&c.serial).await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO credentials (id, serial, tenant, app_id, key_id, issued_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id.to_string())
        .bind(c.serial.as_str())
        .bind(c.tenant.as_str())
        .bind(c.app_id.as_str())
        .bind(&c.key_id)
        .bind(c.issued_at)
        .bind(c.expires_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO installations (serial, app_id, version, credential_id, installed_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (serial, app_id) DO UPDATE SET version = excluded.version,
                credential_id = excluded.credential_id, installed_at = excluded.installed_at",
        )
        .bind(i.serial.as_str())
        .bind(i.app_id.as_str())
        .bind(i.version.to_string())
        .bind(i.credential_id.to_string())
        .bind(i.installed_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn installations(&self, serial: &DeviceSerial) -> StoreResult<Vec<Installation>> {
        let rows = sqlx::query(
            "SELECT app_id, version, credential_id, installed_at FROM installations
             WHERE serial = $1 ORDER BY app_id",
        )
        .bind(serial.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Installation {
                    serial: serial.clone(),
                    app_id: parse("app id", &row.try_get::<String, _>("app_id")?)?,
                    version: parse("version", &row.try_get::<String, _>("version")?)?,
                    credential_id: parse(
                        "credential id",
                        &row.try_get::<String, _>("credential_id")?,
                    )?,
                    installed_at: row.try_get("installed_at")?,
                })
            })
            .collect()
    }

    async fn credential(&self, id: Uuid) -> StoreResult<Option<CredentialRecord>> {
        let row = sqlx::query(
            "SELECT serial, tenant, app_id, key_id, issued_at, expires_at, revoked_at
             FROM credentials WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(CredentialRecord {
                id,
                serial: parse("serial", &row.try_get::<String, _>("serial")?)?,
                tenant: parse("tenant", &row.try_get::<String, _>("tenant")?)?,
                app_id: parse("app id", &row.try_get::<String, _>("app_id")?)?,
                key_id: row.try_get("key_id")?,
                issued_at: row.try_get("issued_at")?,
                expires_at: row.try_get("expires_at")?,
                revoked_at: row.try_get("revoked_at")?,
            })
        })
        .transpose()
    }

    async fn revoke_credential(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE credentials SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn revoked_credentials(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        let rows = sqlx::query(
            "SELECT id FROM credentials WHERE revoked_at IS NOT NULL AND expires_at > $1
             ORDER BY id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse("credential id", &r.try_get::<String, _>("id")?))
            .collect()
    }
}

impl<DB> SqlStore<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> NaiveDate: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<NaiveDate>: sqlx::Encode<'q, DB>,
    DB::QueryResult: RowsAffected,
{
    async fn require_device(&self, serial: &DeviceSerial) -> StoreResult<()> {
        let row = sqlx::query("SELECT 1 AS one FROM devices WHERE serial = $1")
            .bind(serial.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound(format!("device {serial}"))),
        }
    }
}

/// The gallery's store on one sqlx database: `SqliteStore` or `PgStore`.
pub struct SqlStore<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
}

impl<DB: sqlx::Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
        }
    }
}

impl<DB: sqlx::Database> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &DB::NAME)
            .finish()
    }
}

/// SQLite, in WAL mode with a busy timeout.
pub type SqliteStore = SqlStore<sqlx::Sqlite>;
/// PostgreSQL, in a schema of its own.
pub type PgStore = SqlStore<sqlx::Postgres>;

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite:path` or `sqlite::memory:`)
    /// and runs the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let memory = url.contains(":memory:");
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// The PostgreSQL schema the gallery uses when started from a URL.
pub const PG_SCHEMA: &str = "gallery";

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(sqlx::postgres::PgConnectOptions::from_str(url)?).await
    }

    /// Connects with every session's `search_path` set to `schema` (created if missing), so
    /// several galleries, or parallel tests, can share one database.
    pub async fn connect_in_schema(url: &str, schema: &str) -> StoreResult<Self> {
        let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
        platform::sql::create_schema(&options, schema).await?;
        Self::connect_with(options.options([("search_path", schema)])).await
    }

    async fn connect_with(options: sqlx::postgres::PgConnectOptions) -> StoreResult<Self> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(platform::sql::service_session(options))
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// Connects to the store the URL names, migrations applied: `sqlite:PATH` (created if
/// missing; WAL) or `postgres://…` (in schema [`PG_SCHEMA`], so services sharing one database
/// keep their tables and migration histories apart).
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::connect_in_schema(url, PG_SCHEMA).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.chars().take(40).collect()))
    }
}
