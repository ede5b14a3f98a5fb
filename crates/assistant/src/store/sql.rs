//! SQLite and PostgreSQL behind [`OutboxStore`]. The SQL is written once with numbered placeholders
//! (`$1`, which SQLite reads as `?1`); only the claim differs (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! where several instances drain one outbox; one statement on SQLite, where one worker does).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::{
    Inserted, NewSubmission, OutboxStore, StoreError, Submission, SubmissionKind, SubmissionState,
    from_millis, millis,
};

const COLUMNS: &str = "id, reference, device_serial, tenant, kind, idempotency_key, request_hash, payload, contact_sealed, send_mail, state, attempts, next_attempt_at, incident_number, last_error, created_at";

const INSERT: &str = "INSERT INTO outbox (id, reference, device_serial, tenant, kind, idempotency_key, request_hash, payload, contact_sealed, send_mail, state, attempts, next_attempt_at, created_at, locked_until) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $12, $13) ON CONFLICT (device_serial, idempotency_key) DO NOTHING";

fn by_key() -> String {
    format!("SELECT {COLUMNS} FROM outbox WHERE device_serial = $1 AND idempotency_key = $2")
}
fn by_id() -> String {
    format!("SELECT {COLUMNS} FROM outbox WHERE id = $1")
}
const DUE: &str = "state IN ('pending', 'delivered') AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)";

fn claim_sqlite() -> String {
    format!(
        "UPDATE outbox SET locked_until = $2 WHERE id IN (SELECT id FROM outbox WHERE {DUE} ORDER BY next_attempt_at LIMIT $3) RETURNING {COLUMNS}"
    )
}
fn claim_postgres() -> String {
    format!(
        "UPDATE outbox SET locked_until = $2 WHERE id IN (SELECT id FROM outbox WHERE {DUE} ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
    )
}

/// `$N` → `?N` for SQLite.
fn sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

fn row_to_submission<R: Row>(row: &R) -> Result<Submission, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(what.to_string());
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let payload: String = row.try_get("payload")?;
    Ok(Submission {
        id: Uuid::from_str(&id).map_err(|_| corrupt("id"))?,
        reference: row.try_get("reference")?,
        device_serial: row.try_get("device_serial")?,
        tenant: row.try_get("tenant")?,
        kind: SubmissionKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        idempotency_key: row.try_get("idempotency_key")?,
        request_hash: row.try_get("request_hash")?,
        payload: serde_json::from_str(&payload).map_err(|_| corrupt("payload"))?,
        contact_sealed: row.try_get("contact_sealed")?,
        send_mail: row.try_get("send_mail")?,
        state: SubmissionState::parse(&state).ok_or_else(|| corrupt("state"))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        incident_number: row.try_get("incident_number")?,
        last_error: row.try_get("last_error")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

macro_rules! outbox_store {
    ($name:ident, $pool:ty, $prepare:expr, $claim:expr) => {
        impl $name {
            pub fn pool(&self) -> &$pool {
                &self.pool
            }
        }

        #[async_trait::async_trait]
        impl OutboxStore for $name {
            async fn insert(&self, new: NewSubmission) -> Result<Inserted, StoreError> {
                let prepare: fn(&str) -> String = $prepare;
                let result = sqlx::query(AssertSqlSafe(prepare(INSERT)))
                    .bind(new.id.to_string())
                    .bind(&new.reference)
                    .bind(&new.device_serial)
                    .bind(&new.tenant)
                    .bind(new.kind.as_str())
                    .bind(&new.idempotency_key)
                    .bind(&new.request_hash)
                    .bind(new.payload.to_string())
                    .bind(&new.contact_sealed)
                    .bind(new.send_mail)
                    .bind(millis(new.created_at))
                    .bind(millis(new.created_at))
                    .bind(new.lease_until.map(millis))
                    .execute(&self.pool)
                    .await?;
                let row = sqlx::query(AssertSqlSafe(prepare(&by_key())))
                    .bind(&new.device_serial)
                    .bind(&new.idempotency_key)
                    .fetch_one(&self.pool)
                    .await?;
                let stored = row_to_submission(&row)?;
                if result.rows_affected() == 1 {
                    Ok(Inserted::New(stored))
                } else if stored.request_hash == new.request_hash && stored.kind == new.kind {
                    Ok(Inserted::Existing(stored))
                } else {
                    Err(StoreError::IdempotencyConflict(new.idempotency_key))
                }
            }

            async fn get(&self, id: Uuid) -> Result<Option<Submission>, StoreError> {
                let prepare: fn(&str) -> String = $prepare;
                let row = sqlx::query(AssertSqlSafe(prepare(&by_id()))).bind(id.to_string()).fetch_optional(&self.pool).await?;
                row.as_ref().map(row_to_submission).transpose()
            }

            async fn claim_due(&self, now: DateTime<Utc>, lease: Duration, limit: i64) -> Result<Vec<Submission>, StoreError> {
                let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
                let claim: fn() -> String = $claim;
                let rows = sqlx::query(AssertSqlSafe(claim())).bind(millis(now)).bind(millis(until)).bind(limit).fetch_all(&self.pool).await?;
                rows.iter().map(row_to_submission).collect()
            }

            async fn record_delivery(&self, id: Uuid, incident_number: &str) -> Result<(), StoreError> {
                let prepare: fn(&str) -> String = $prepare;
                sqlx::query(AssertSqlSafe(prepare(
                    "UPDATE outbox SET incident_number = $2, locked_until = NULL, last_error = NULL, \
                     state = CASE WHEN send_mail THEN 'delivered' ELSE 'done' END, \
                     contact_sealed = CASE WHEN send_mail THEN contact_sealed ELSE NULL END WHERE id = $1",
                )))
                .bind(id.to_string())
                .bind(incident_number)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn record_done(&self, id: Uuid) -> Result<(), StoreError> {
                let prepare: fn(&str) -> String = $prepare;
                sqlx::query(AssertSqlSafe(prepare("UPDATE outbox SET state = 'done', contact_sealed = NULL, locked_until = NULL, last_error = NULL WHERE id = $1")))
                    .bind(id.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn retry_later(&self, id: Uuid, at: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
                let prepare: fn(&str) -> String = $prepare;
                sqlx::query(AssertSqlSafe(prepare("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1")))
                    .bind(id.to_string())
                    .bind(millis(at))
                    .bind(error)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn record_failure(&self, id: Uuid, error: &str) -> Result<(), StoreError> {
                let prepare: fn(&str) -> String = $prepare;
                sqlx::query(AssertSqlSafe(prepare("UPDATE outbox SET state = 'failed', contact_sealed = NULL, locked_until = NULL, last_error = $2 WHERE id = $1")))
                    .bind(id.to_string())
                    .bind(error)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn counts(&self) -> Result<Vec<(SubmissionState, i64)>, StoreError> {
                let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        let s: String = r.try_get("state")?;
                        let n: i64 = r.try_get("n")?;
                        Ok((SubmissionState::parse(&s).ok_or_else(|| StoreError::Corrupt("state".into()))?, n))
                    })
                    .collect()
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

pub struct SqliteStore {
    pool: sqlx::SqlitePool,
}

impl SqliteStore {
    /// `sqlite://PATH` (or `sqlite::memory:`): WAL, a busy timeout, migrations applied.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

pub struct PgStore {
    pool: sqlx::PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

outbox_store!(SqliteStore, sqlx::SqlitePool, sqlite, claim_sqlite_prepared);
outbox_store!(PgStore, sqlx::PgPool, |s| s.to_string(), claim_postgres);

fn claim_sqlite_prepared() -> String {
    sqlite(&claim_sqlite())
}
