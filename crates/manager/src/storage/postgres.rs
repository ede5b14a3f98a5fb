//! PostgreSQL. Optionally confined to one schema (tests give each its own).

use super::{SqlStore, StoreContext};
use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// The store on PostgreSQL: one pool for readers and writers.
pub type PgStore = SqlStore<Postgres>;

impl PgStore {
    /// Connects to `url`, creates `schema` if given and uses it as the search path, and migrates.
    pub async fn connect(
        url: &str,
        schema: Option<&str>,
        ctx: StoreContext,
    ) -> Result<Self, super::StoreError> {
        let mut opts = PgConnectOptions::from_str(url)?;
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(super::StoreError::Conflict(format!(
                    "bad schema name {schema:?}"
                )));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(opts.clone())
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}"
            )))
            .execute(&admin)
            .await?;
            admin.close().await;
            opts = opts.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            writer: pool.clone(),
            pool,
            ctx,
        })
    }

    /// Drops a schema made by `connect` (tests clean up after themselves).
    pub async fn drop_schema(url: &str, schema: &str) -> Result<(), super::StoreError> {
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(super::StoreError::Conflict(format!(
                "bad schema name {schema:?}"
            )));
        }
        let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&admin)
        .await?;
        admin.close().await;
        Ok(())
    }
}

crate::fleet::store::fleet_store!(PgStore, Postgres);
