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
            .connect_with(options)
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
