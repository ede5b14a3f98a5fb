//! PostgreSQL. Optionally confined to one schema (tests give each its own).

use super::{SqlStore, StoreContext, StoreError};
use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// The store on PostgreSQL: one pool for readers and writers.
pub type PgStore = SqlStore<Postgres>;

impl PgStore {
    /// Connects to `url` and migrates (the tables in the connection's default schema).
    pub async fn connect(url: &str, ctx: StoreContext) -> Result<Self, StoreError> {
        Self::connect_with(PgConnectOptions::from_str(url)?, ctx).await
    }

    /// Connects with every session's `search_path` set to `schema` (created if missing), so
    /// several managers, or parallel tests, can share one database; then migrates.
    pub async fn connect_in_schema(
        url: &str,
        schema: &str,
        ctx: StoreContext,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        platform::sql::create_schema(&options, schema).await?;
        Self::connect_with(options.options([("search_path", schema)]), ctx).await
    }

    async fn connect_with(
        options: PgConnectOptions,
        ctx: StoreContext,
    ) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(platform::sql::service_session(options))
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            writer: pool.clone(),
            pool,
            ctx,
        })
    }

    /// Drops a schema made by `connect_in_schema` (tests clean up after themselves).
    pub async fn drop_schema(url: &str, schema: &str) -> Result<(), StoreError> {
        platform::sql::drop_schema(&PgConnectOptions::from_str(url)?, schema).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{SystemClock, UuidV7};
    use crate::crypto::KeyRing;
    use std::sync::Arc;

    /// The manager's own pool opens its sessions with JIT off ([`platform::sql::service_session`]),
    /// whatever the server's default (`on` in PostgreSQL 15).
    #[tokio::test]
    async fn the_stores_sessions_run_without_jit() {
        let url = std::env::var("DATABASE_URL_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let ctx = StoreContext {
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            keys: Arc::new(KeyRing::single("test1", [42; 32]).expect("key ring")),
        };
        let store = PgStore::connect_in_schema(&url, &schema, ctx)
            .await
            .expect("PostgreSQL at DATABASE_URL_PG");
        let jit: Result<String, _> = sqlx::query_scalar("SHOW jit").fetch_one(&store.pool).await;
        store.pool.close().await;
        PgStore::drop_schema(&url, &schema)
            .await
            .expect("drop schema");
        assert_eq!(jit.expect("SHOW jit"), "off");
    }
}
