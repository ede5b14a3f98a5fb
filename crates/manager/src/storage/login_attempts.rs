//! Console login attempts in the database, so that every manager instance on one PostgreSQL
//! shares the count and a restart does not reset it.
//!
//! One row per key (`sha256("account:EMAIL")`, `sha256("address:IP")`: no e-mail in the table)
//! holds the start of the key's window and the attempts in it. An attempt is *reserved* before
//! the password is checked: in one transaction each key's row is upserted (a window that has
//! passed starts over) and the new count read back; if any key is over the limit the
//! transaction rolls back, so refused attempts neither count nor extend the lock. Keys are
//! locked in sorted order, so two reservations never deadlock. The SQL is the same for SQLite
//! and PostgreSQL (`ON CONFLICT … DO UPDATE … RETURNING`).

use super::{Result, SqlStore, ms};
use chrono::{DateTime, Duration, Utc};
use platform::sql::RowsAffected;
use sqlx::Row;

/// How many attempts a key may make in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimit {
    pub attempts: u32,
    pub window: Duration,
}

/// The outcome of [`LoginAttemptStorage::reserve_login_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReservation {
    /// The attempt is counted for every key; the password may be checked.
    Reserved,
    /// A key used up its attempts; nothing was counted. Try again after `retry_after`.
    Blocked { retry_after: Duration },
}

#[async_trait::async_trait]
pub trait LoginAttemptStorage: Send + Sync {
    /// Counts one attempt for every key at `now`, unless one of them already made
    /// `limit.attempts` in its window (then nothing is counted).
    async fn reserve_login_attempt(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        limit: LoginLimit,
    ) -> Result<LoginReservation>;
    /// After a successful login: the account's attempts are forgotten and the address gets its
    /// attempt back (`forget` keys are deleted, `give_back` keys count one less).
    async fn settle_login_success(&self, forget: &str, give_back: &str) -> Result<()>;
    /// Deletes the rows whose window began at or before `before`; returns how many.
    async fn prune_login_attempts(&self, before: DateTime<Utc>) -> Result<u64>;
}

const UPSERT: &str = "INSERT INTO login_attempts (attempt_key, window_start, attempts) VALUES ($1, $2, 1) \
     ON CONFLICT (attempt_key) DO UPDATE SET \
     attempts = CASE WHEN login_attempts.window_start <= $3 THEN 1 ELSE login_attempts.attempts + 1 END, \
     window_start = CASE WHEN login_attempts.window_start <= $3 THEN $2 ELSE login_attempts.window_start END \
     RETURNING attempts, window_start";
const FORGET: &str = "DELETE FROM login_attempts WHERE attempt_key = $1";
const GIVE_BACK: &str =
    "UPDATE login_attempts SET attempts = attempts - 1 WHERE attempt_key = $1 AND attempts > 0";
const PRUNE: &str = "DELETE FROM login_attempts WHERE window_start <= $1";

/// The verdict for one key's row after the upsert.
fn verdict(
    attempts: i64,
    window_start_ms: i64,
    now: DateTime<Utc>,
    limit: LoginLimit,
) -> Result<Option<Duration>> {
    if attempts <= i64::from(limit.attempts) {
        return Ok(None);
    }
    let start = super::from_ms(window_start_ms)?;
    let left = start + limit.window - now;
    Ok(Some(left.max(Duration::seconds(1))))
}

// The SQL above, run on either backend (the bounds are what these queries need of sqlx).
#[async_trait::async_trait]
impl<DB> LoginAttemptStorage for SqlStore<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
{
    async fn reserve_login_attempt(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        limit: LoginLimit,
    ) -> Result<LoginReservation> {
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        let now_ms = ms(now);
        let cutoff = ms(now - limit.window);
        let mut tx = self.writer.begin().await?;
        let mut blocked: Option<Duration> = None;
        for key in sorted {
            let row = sqlx::query(UPSERT)
                .bind(key.as_str())
                .bind(now_ms)
                .bind(cutoff)
                .fetch_one(&mut *tx)
                .await?;
            let attempts: i64 = row.try_get("attempts")?;
            let start: i64 = row.try_get("window_start")?;
            if let Some(wait) = verdict(attempts, start, now, limit)? {
                blocked = Some(blocked.map_or(wait, |b| b.max(wait)));
            }
        }
        match blocked {
            Some(retry_after) => {
                tx.rollback().await?;
                Ok(LoginReservation::Blocked { retry_after })
            }
            None => {
                tx.commit().await?;
                Ok(LoginReservation::Reserved)
            }
        }
    }

    async fn settle_login_success(&self, forget: &str, give_back: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(FORGET).bind(forget).execute(&mut *tx).await?;
        sqlx::query(GIVE_BACK)
            .bind(give_back)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn prune_login_attempts(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(PRUNE)
            .bind(ms(before))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
