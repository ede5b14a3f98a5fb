//! SQLite: one file, WAL journal, a busy timeout so concurrent writers wait instead of failing.

use super::StoreContext;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    /// Readers (WAL lets them run beside the writer).
    pool: Pool<Sqlite>,
    /// One connection for all writes: SQLite has one writer at a time anyway, and queueing in
    /// process is fairer and faster than many connections sleeping in the busy handler.
    writer: Pool<Sqlite>,
    ctx: StoreContext,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH`) and migrates it.
    pub async fn connect(url: &str, ctx: StoreContext) -> Result<Self, super::StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Self { pool, writer, ctx })
    }
}

impl SqliteStore {
    /// The next number of the partner's year: one counter row per partner and year, taken in the
    /// incident's transaction. Numbers count per partner (each starts at SR-YYYY-000001), so no
    /// partner learns another's volume; gapless (a rolled back create gives its number back).
    async fn next_seq(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
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

super::sql::sql_store!(SqliteStore, Sqlite);
crate::fleet::store::fleet_store!(SqliteStore, Sqlite);
crate::fleet::devices::supply_history_store!(SqliteStore, Sqlite);
super::login_attempts::login_attempt_store!(SqliteStore);
crate::fleet::rules_store::rules_store!(SqliteStore, Sqlite);
crate::fleet::mail_store::mail_store!(SqliteStore, Sqlite);
