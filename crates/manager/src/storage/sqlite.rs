//! SQLite: one file, WAL journal, a busy timeout so concurrent writers wait instead of failing.

use super::{SqlStore, StoreContext};
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// The store on SQLite: readers in a pool, every write through one connection.
pub type SqliteStore = SqlStore<Sqlite>;

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH`) and migrates it.
    pub async fn connect(url: &str, ctx: StoreContext) -> Result<Self, super::StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before it is acknowledged (an agent drops the readings the
            // manager acknowledged, so a power loss must not take them back; NORMAL would only
            // survive a crash of the process). One fsync per write transaction, per batch for
            // ingestion.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                opts.clone()
                    // Checkpoints run after each batch ingested, on a reader connection, outside
                    // the one writer (`FleetStorage::ingest_batch`); the writer itself checkpoints
                    // only when the log reaches 64 MiB (SQLite's default: every 4 MiB, which a
                    // batch of a thousand readings passed each commit).
                    .pragma("wal_autocheckpoint", "16384")
                    // 64 MiB of pages (SQLite's default: 2 MiB): a batch of a thousand readings
                    // changes more pages than 2 MiB hold, which SQLite then wrote to the log
                    // before the commit as well as at it.
                    .pragma("cache_size", "-65536"),
            )
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Self { pool, writer, ctx })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{SystemClock, UuidV7};
    use crate::crypto::KeyRing;
    use std::sync::Arc;

    /// The SQLite linked in is built as `.cargo/config.toml` asks (`LIBSQLITE3_FLAGS`): each
    /// connection with a page cache of its own (no `SQLITE_ENABLE_MEMORY_MANAGEMENT`) and no
    /// allocation counting. Fails if that file is lost or no longer read.
    #[tokio::test]
    async fn the_bundled_sqlite_gives_each_connection_its_own_page_cache() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let ctx = StoreContext {
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            keys: Arc::new(KeyRing::single("test1", [42; 32]).expect("key ring")),
        };
        let store = SqliteStore::connect(&url, ctx).await.expect("sqlite store");
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&store.pool)
            .await
            .expect("compile options");
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }
}
