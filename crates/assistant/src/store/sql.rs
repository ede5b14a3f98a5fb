//! SQLite and PostgreSQL behind [`OutboxStore`]: one generic [`SqlStore`] over the sqlx database.
//! The SQL is written once with numbered placeholders (`$1`, which SQLite reads as `?1`); what
//! differs is the [`Dialect`]: the claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL, where several
//! instances drain one outbox; one statement on SQLite, where one worker does) and whether the
//! rate limit is shared through the database (PostgreSQL only).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::sql::RowsAffected;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::{
    Claim, Inserted, NewSubmission, OutboxStore, StoreError, Submission, SubmissionKind,
    SubmissionState, from_millis, millis,
};

const COLUMNS: &str = "id, reference, device_serial, tenant, kind, idempotency_key, request_hash, payload, contact_sealed, send_mail, state, attempts, next_attempt_at, incident_number, last_error, created_at, claim_token, locked_until";

const INSERT: &str = "INSERT INTO outbox (id, reference, device_serial, tenant, kind, idempotency_key, request_hash, payload, contact_sealed, send_mail, state, attempts, next_attempt_at, created_at, locked_until, claim_token) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'accepted', 0, $11, $12, $13, $14) ON CONFLICT (device_serial, idempotency_key) DO NOTHING";

const RENEW: &str = "UPDATE outbox SET locked_until = $4 WHERE id = $1 AND claim_token = $2 AND locked_until > $3 AND state IN ('accepted', 'delivered', 'refusal_notice_due')";
const RECORD_DELIVERY: &str = "UPDATE outbox SET incident_number = $3, last_error = NULL, \
     state = CASE WHEN send_mail THEN 'delivered' ELSE 'done' END, \
     contact_sealed = CASE WHEN send_mail THEN contact_sealed ELSE NULL END, \
     locked_until = CASE WHEN send_mail THEN locked_until ELSE NULL END \
     WHERE id = $1 AND claim_token = $2 AND state = 'accepted'";
const RECORD_MAIL_SENT: &str = "UPDATE outbox SET state = 'done', contact_sealed = NULL, locked_until = NULL, last_error = NULL, mail_sent_at = $2 WHERE id = $1 AND state = 'delivered'";
const RECORD_MAIL_REFUSED: &str = "UPDATE outbox SET state = 'done', contact_sealed = NULL, locked_until = NULL, last_error = $3 WHERE id = $1 AND claim_token = $2 AND state = 'delivered'";
// A notice retried keeps the manager's refusal as the row's reason.
const RETRY_LATER: &str = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $3, locked_until = NULL, \
     last_error = CASE WHEN state = 'refusal_notice_due' THEN last_error ELSE $4 END \
     WHERE id = $1 AND claim_token = $2 AND state IN ('accepted', 'delivered', 'refusal_notice_due')";
const RECORD_REFUSAL: &str = "UPDATE outbox SET state = CASE WHEN $4 THEN 'refusal_notice_due' ELSE 'refused' END, \
     contact_sealed = NULL, locked_until = CASE WHEN $4 THEN locked_until ELSE NULL END, last_error = $3 \
     WHERE id = $1 AND claim_token = $2 AND state = 'accepted'";
const RECORD_NOTICE_SENT: &str = "UPDATE outbox SET state = 'refused', locked_until = NULL, mail_sent_at = $2 WHERE id = $1 AND state = 'refusal_notice_due'";
const RECORD_NOTICE_FAILED: &str = "UPDATE outbox SET state = 'refused', locked_until = NULL WHERE id = $1 AND claim_token = $2 AND state = 'refusal_notice_due'";
const WITHDRAW: &str =
    "DELETE FROM outbox WHERE id = $1 AND claim_token = $2 AND state = 'accepted'";

fn by_key() -> String {
    format!("SELECT {COLUMNS} FROM outbox WHERE device_serial = $1 AND idempotency_key = $2")
}
fn by_id() -> String {
    format!("SELECT {COLUMNS} FROM outbox WHERE id = $1")
}
const DUE: &str = "state IN ('accepted', 'delivered', 'refusal_notice_due') AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)";

fn claim_sqlite() -> String {
    format!(
        "UPDATE outbox SET locked_until = $2, claim_token = $4 WHERE id IN (SELECT id FROM outbox WHERE {DUE} ORDER BY next_attempt_at LIMIT $3) AND {DUE} RETURNING {COLUMNS}"
    )
}
fn claim_postgres() -> String {
    format!(
        "UPDATE outbox SET locked_until = $2, claim_token = $4 WHERE id IN (SELECT id FROM outbox WHERE {DUE} ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) AND {DUE} RETURNING {COLUMNS}"
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
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
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
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?)?,
        incident_number: row.try_get("incident_number")?,
        last_error: row.try_get("last_error")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        claim: None,
    })
}

/// The row with the claim it was just given (`token` as written; the lease as stored).
fn claimed<R: Row>(row: &R, token: Uuid) -> Result<Submission, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let mut s = row_to_submission(row)?;
    let stored: Option<String> = row.try_get("claim_token")?;
    let until: Option<i64> = row.try_get("locked_until")?;
    if let (Some(stored), Some(until)) = (stored, until)
        && stored == token.to_string()
    {
        s.claim = Some(Claim {
            token,
            until: from_millis(until)?,
        });
    }
    Ok(s)
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

#[async_trait::async_trait]
impl<DB> OutboxStore for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
{
    async fn insert(&self, new: NewSubmission) -> Result<Inserted, StoreError> {
        let token = Uuid::new_v4();
        let result = sqlx::query(AssertSqlSafe(DB::prepare(INSERT)))
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
            .bind(new.lease_until.map(|_| token.to_string()))
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(AssertSqlSafe(DB::prepare(&by_key())))
            .bind(&new.device_serial)
            .bind(&new.idempotency_key)
            .fetch_one(&self.pool)
            .await?;
        if result.rows_affected() == 1 {
            Ok(Inserted::New(claimed(&row, token)?))
        } else if let stored = row_to_submission(&row)?
            && stored.request_hash == new.request_hash
            && stored.kind == new.kind
        {
            Ok(Inserted::Existing(stored))
        } else {
            Err(StoreError::IdempotencyConflict(new.idempotency_key))
        }
    }

    async fn get(&self, id: Uuid) -> Result<Option<Submission>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(DB::prepare(&by_id())))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_submission).transpose()
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Submission>, StoreError> {
        let token = Uuid::new_v4();
        let rows = sqlx::query(AssertSqlSafe(DB::prepare(&DB::claim())))
            .bind(millis(now))
            .bind(millis(lease_end(now, lease)))
            .bind(limit)
            .bind(token.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| claimed(r, token)).collect()
    }

    async fn renew(
        &self,
        id: Uuid,
        token: Uuid,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<Claim>, StoreError> {
        let until = lease_end(now, lease);
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RENEW)))
            .bind(id.to_string())
            .bind(token.to_string())
            .bind(millis(now))
            .bind(millis(until))
            .execute(&self.pool)
            .await?;
        Ok((done.rows_affected() == 1).then_some(Claim { token, until }))
    }

    async fn record_delivery(
        &self,
        id: Uuid,
        token: Uuid,
        incident_number: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RECORD_DELIVERY)))
            .bind(id.to_string())
            .bind(token.to_string())
            .bind(incident_number)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_mail_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RECORD_MAIL_SENT)))
            .bind(id.to_string())
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_mail_refused(
        &self,
        id: Uuid,
        token: Uuid,
        error: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RECORD_MAIL_REFUSED)))
            .bind(id.to_string())
            .bind(token.to_string())
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn retry_later(
        &self,
        id: Uuid,
        token: Uuid,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RETRY_LATER)))
            .bind(id.to_string())
            .bind(token.to_string())
            .bind(millis(at))
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_refusal(
        &self,
        id: Uuid,
        token: Uuid,
        error: &str,
        notify: bool,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RECORD_REFUSAL)))
            .bind(id.to_string())
            .bind(token.to_string())
            .bind(error)
            .bind(notify)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_notice_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RECORD_NOTICE_SENT)))
            .bind(id.to_string())
            .bind(millis(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_notice_failed(&self, id: Uuid, token: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(RECORD_NOTICE_FAILED)))
            .bind(id.to_string())
            .bind(token.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn withdraw(&self, id: Uuid, token: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query(AssertSqlSafe(DB::prepare(WITHDRAW)))
            .bind(id.to_string())
            .bind(token.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    fn share_rate_limit(&self, burst: u32, per_second: f64) {
        if DB::SHARES_RATE_LIMIT {
            let _ = self
                .rate_limit
                .set((burst.max(1), per_second.max(f64::MIN_POSITIVE)));
        }
    }

    async fn take_rate_token(&self, key: &str) -> Result<Option<Result<(), Duration>>, StoreError> {
        let Some(&(burst, per_second)) = self.rate_limit.get() else {
            return Ok(None);
        };
        let row = sqlx::query(TAKE_TOKEN)
            .bind(key)
            .bind(f64::from(burst))
            .bind(per_second)
            .fetch_one(&self.pool)
            .await?;
        let allowed: bool = row.try_get("allowed")?;
        let tokens: f64 = row.try_get("tokens")?;
        // Every so many takes, buckets idle long enough to be full again are deleted
        // (a full bucket and no bucket are the same), so the table holds only the keys
        // seen within one refill time.
        let n = self
            .takes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n.is_multiple_of(SWEEP_EVERY) {
            let refill_ms = (f64::from(burst) / per_second * 1000.0).ceil().min(1e15);
            sqlx::query(SWEEP_BUCKETS)
                .bind(refill_ms)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(if allowed {
            Ok(())
        } else {
            Err(
                Duration::try_from_secs_f64((1.0 - tokens).max(0.0) / per_second)
                    .unwrap_or(Duration::from_secs(1)),
            )
        }))
    }

    async fn counts(&self) -> Result<Vec<(SubmissionState, i64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get("state")?;
                let n: i64 = r.try_get("n")?;
                Ok((
                    SubmissionState::parse(&s)
                        .ok_or_else(|| StoreError::Corrupt("state".into()))?,
                    n,
                ))
            })
            .collect()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// One token bucket per key on the database's clock, refilled and taken in one atomic upsert (the
/// row lock orders concurrent requests from every instance). In `SET`, every `b.` is the old row.
const TAKE_TOKEN: &str = "INSERT INTO rate_buckets AS b (key, tokens, updated_ms, allowed) \
     VALUES ($1, $2 - 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, TRUE) \
     ON CONFLICT (key) DO UPDATE SET \
     allowed = LEAST($2, b.tokens + GREATEST(0, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - b.updated_ms) * $3 / 1000.0) >= 1, \
     tokens = LEAST($2, b.tokens + GREATEST(0, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - b.updated_ms) * $3 / 1000.0) \
        - CASE WHEN LEAST($2, b.tokens + GREATEST(0, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - b.updated_ms) * $3 / 1000.0) >= 1 THEN 1 ELSE 0 END, \
     updated_ms = GREATEST(b.updated_ms, (extract(epoch FROM clock_timestamp()) * 1000)::bigint) \
     RETURNING allowed, tokens";

/// How many takes between two sweeps of idle buckets.
const SWEEP_EVERY: u64 = 64;

/// Deletes the buckets not touched for longer than a full refill (`$1` ms).
const SWEEP_BUCKETS: &str = "DELETE FROM rate_buckets WHERE updated_ms < (extract(epoch FROM clock_timestamp()) * 1000)::bigint - $1";

/// What differs between the two databases; everything else is the same SQL text.
pub trait Dialect: sqlx::Database {
    /// Whether the per-device rate limit is kept in this database for every instance
    /// (PostgreSQL); SQLite, one instance, keeps it in memory.
    const SHARES_RATE_LIMIT: bool;
    /// The statement that claims due rows (`$1` now, `$2` lease end, `$3` limit, `$4` token).
    fn claim() -> String;
    /// The SQL as this database's driver takes it.
    fn prepare(sql: &str) -> String;
}

impl Dialect for sqlx::Sqlite {
    const SHARES_RATE_LIMIT: bool = false;
    fn claim() -> String {
        claim_sqlite()
    }
    fn prepare(sql: &str) -> String {
        sqlite(sql)
    }
}

impl Dialect for sqlx::Postgres {
    const SHARES_RATE_LIMIT: bool = true;
    fn claim() -> String {
        claim_postgres()
    }
    fn prepare(sql: &str) -> String {
        sql.to_string()
    }
}

/// The outbox on one sqlx database: [`SqliteStore`] or [`PgStore`].
pub struct SqlStore<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    /// The shared per-device limit (burst, per second), once turned on (never on SQLite).
    rate_limit: std::sync::OnceLock<(u32, f64)>,
    /// Takes so far, to sweep idle buckets every [`SWEEP_EVERY`].
    takes: std::sync::atomic::AtomicU64,
}

/// SQLite: WAL, one instance.
pub type SqliteStore = SqlStore<sqlx::Sqlite>;
/// PostgreSQL: several instances may share it.
pub type PgStore = SqlStore<sqlx::Postgres>;

impl<DB: sqlx::Database> SqlStore<DB> {
    fn new(pool: sqlx::Pool<DB>) -> Self {
        Self {
            pool,
            rate_limit: std::sync::OnceLock::new(),
            takes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The pool, for tests that read columns the trait does not show.
    #[cfg(feature = "test-hooks")]
    pub fn pool(&self) -> &sqlx::Pool<DB> {
        &self.pool
    }
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
        Ok(Self::new(pool))
    }
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .connect_with(platform::sql::service_session(
                <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(url)?,
            ))
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self::new(pool))
    }
}
