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

use super::Result;
use chrono::{DateTime, Duration, Utc};

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

pub(crate) const UPSERT: &str = "INSERT INTO login_attempts (attempt_key, window_start, attempts) VALUES ($1, $2, 1) \
     ON CONFLICT (attempt_key) DO UPDATE SET \
     attempts = CASE WHEN login_attempts.window_start <= $3 THEN 1 ELSE login_attempts.attempts + 1 END, \
     window_start = CASE WHEN login_attempts.window_start <= $3 THEN $2 ELSE login_attempts.window_start END \
     RETURNING attempts, window_start";
pub(crate) const FORGET: &str = "DELETE FROM login_attempts WHERE attempt_key = $1";
pub(crate) const GIVE_BACK: &str =
    "UPDATE login_attempts SET attempts = attempts - 1 WHERE attempt_key = $1 AND attempts > 0";
pub(crate) const PRUNE: &str = "DELETE FROM login_attempts WHERE window_start <= $1";

/// The verdict for one key's row after the upsert.
pub(crate) fn verdict(
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

/// Implements [`LoginAttemptStorage`] for a store with `writer: Pool<$db>` (the SQL is shared;
/// only the pool type differs, which sqlx's executor bounds make awkward to write generically).
macro_rules! login_attempt_store {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl $crate::storage::login_attempts::LoginAttemptStorage for $store {
            async fn reserve_login_attempt(
                &self,
                keys: &[String],
                now: chrono::DateTime<chrono::Utc>,
                limit: $crate::storage::login_attempts::LoginLimit,
            ) -> $crate::storage::Result<$crate::storage::login_attempts::LoginReservation> {
                use sqlx::Row;
                use $crate::storage::login_attempts::{LoginReservation, UPSERT, verdict};
                let mut sorted: Vec<&String> = keys.iter().collect();
                sorted.sort();
                sorted.dedup();
                let now_ms = $crate::storage::ms(now);
                let cutoff = $crate::storage::ms(now - limit.window);
                let mut tx = self.writer.begin().await?;
                let mut blocked: Option<chrono::Duration> = None;
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

            async fn settle_login_success(
                &self,
                forget: &str,
                give_back: &str,
            ) -> $crate::storage::Result<()> {
                use $crate::storage::login_attempts::{FORGET, GIVE_BACK};
                let mut tx = self.writer.begin().await?;
                sqlx::query(FORGET).bind(forget).execute(&mut *tx).await?;
                sqlx::query(GIVE_BACK)
                    .bind(give_back)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn prune_login_attempts(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::Result<u64> {
                let done = sqlx::query($crate::storage::login_attempts::PRUNE)
                    .bind($crate::storage::ms(before))
                    .execute(&self.writer)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use login_attempt_store;
