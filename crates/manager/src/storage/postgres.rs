//! PostgreSQL. Optionally confined to one schema (tests give each its own).

use super::StoreContext;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Pool, Postgres};
use std::str::FromStr;

pub struct PgStore {
    pool: Pool<Postgres>,
    /// The same pool: PostgreSQL runs concurrent writers itself.
    writer: Pool<Postgres>,
    ctx: StoreContext,
}

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

impl PgStore {
    /// The next number of the partner's year: one counter row per partner and year, taken in the
    /// incident's transaction. Numbers count per partner (each starts at SR-YYYY-000001), so no
    /// partner learns another's volume; gapless (a rolled back create gives its number back).
    async fn next_seq(
        tx: &mut sqlx::Transaction<'_, Postgres>,
        counter: super::Counter,
        partner_id: uuid::Uuid,
        year: i32,
    ) -> Result<i64, super::StoreError> {
        use sqlx::Row;
        let row = sqlx::query(counter.next_sql())
            .bind(partner_id.to_string())
            .bind(i64::from(year))
            .bind(1_i64)
            .fetch_one(&mut **tx)
            .await?;
        Ok(row.try_get("last_seq")?)
    }
}

super::sql::sql_store!(PgStore, Postgres);
crate::fleet::store::fleet_store!(PgStore, Postgres);
crate::fleet::devices::supply_history_store!(PgStore, Postgres);
super::login_attempts::login_attempt_store!(PgStore);
crate::fleet::rules_store::rules_store!(PgStore, Postgres);
crate::fleet::mail_store::mail_store!(PgStore, Postgres);
