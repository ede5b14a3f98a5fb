//! The local store-and-forward queue (SQLite, WAL, synchronous=FULL): every reading is committed
//! here before anything is sent. Upload takes the oldest readings into a batch whose id is written
//! down first, so a batch cut short (manager down, agent killed) is sent again with the same id and
//! the same readings; the manager stores each reading id once. The queue is bounded: when full, the
//! older readings of devices that have a newer one are dropped (the latest per device is kept), and
//! the drop is counted and logged.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use proto::fleet::Reading;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, reading_id TEXT NOT NULL UNIQUE, \
     serial TEXT NOT NULL, body TEXT NOT NULL, batch_id TEXT, queued_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS queue_serial ON queue(serial, seq)",
    "CREATE TABLE IF NOT EXISTS devices (serial TEXT PRIMARY KEY, address TEXT NOT NULL, community TEXT NOT NULL, \
     model TEXT, first_seen_at INTEGER NOT NULL, last_poll_at INTEGER, last_ok_at INTEGER, last_error TEXT, \
     last_meter_at INTEGER)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
];

#[derive(Clone)]
pub struct Queue {
    pool: SqlitePool,
    limit: u64,
}

/// A known printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownDevice {
    pub serial: String,
    pub address: String,
    pub community: String,
    pub model: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_ok_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_meter_at: Option<DateTime<Utc>>,
}

/// A clock that went back by at most this much keeps the readings' order (the manager takes times
/// up to a day ahead of its own clock); one that went back by more was wrong before (it had jumped
/// ahead) and is believed.
pub const MAX_HOLD_BACK: chrono::Duration = chrono::Duration::days(1);

/// Times for new readings: the clock's; just after the last one when the clock jumped back by up to
/// [`MAX_HOLD_BACK`] (so a device's readings keep their order in the manager); the clock's again
/// when it went back by more (the last readings' times were ahead: pinning to them would send every
/// later reading ahead too; the manager stores readings more than a day ahead at the time they
/// arrive).
#[derive(Debug, Clone, Copy)]
pub struct ReadingClock(Option<DateTime<Utc>>);

impl ReadingClock {
    pub fn next(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let t = match self.0 {
            Some(l) if now <= l && l - now <= MAX_HOLD_BACK => {
                if l - now > chrono::Duration::seconds(1) {
                    tracing::warn!(clock = %now.to_rfc3339(), last = %l.to_rfc3339(),
                        "the clock is behind the last reading (it jumped back); readings keep their order");
                }
                l + chrono::Duration::milliseconds(1)
            }
            Some(l) if now < l => {
                tracing::warn!(clock = %now.to_rfc3339(), last = %l.to_rfc3339(),
                    "the clock is more than a day behind the last reading: it was ahead before; taking the clock's time");
                now
            }
            _ => now,
        };
        self.0 = Some(t);
        t
    }
}

/// A batch to send.
#[derive(Debug, Clone)]
pub struct Batch {
    pub batch_id: Uuid,
    pub readings: Vec<Reading>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.and_then(DateTime::from_timestamp_millis)
}

impl Queue {
    /// Opens (creating) `queue.db` in `data_dir`; at most `limit` readings are kept.
    pub async fn open(data_dir: &Path, limit: u64) -> anyhow::Result<Self> {
        crate::credential::ensure_dir(data_dir)?;
        let url = format!("sqlite://{}", data_dir.join("queue.db").display());
        let opts = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        for stmt in SCHEMA {
            sqlx::query(sqlx::AssertSqlSafe(*stmt))
                .execute(&pool)
                .await?;
        }
        Ok(Self {
            pool,
            limit: limit.max(1),
        })
    }

    pub async fn meta(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.get::<String, _>("value")))
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// This agent's site: a random id made when the queue is first used, kept in the queue (it
    /// scopes the stand-in keys of devices without serial, enrolled or not).
    pub async fn site_id(&self) -> anyhow::Result<String> {
        if let Some(id) = self.meta("site_id").await? {
            return Ok(id);
        }
        // Insert-if-absent, then read: two first uses at once agree on one id.
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('site_id', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(Uuid::new_v4().to_string())
        .execute(&self.pool)
        .await?;
        self.meta("site_id")
            .await?
            .ok_or_else(|| anyhow::anyhow!("the queue lost its site id"))
    }

    pub async fn counter(&self, key: &str) -> anyhow::Result<u64> {
        Ok(self
            .meta(key)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The clock for readings of this cycle, continuing after the last queued reading.
    pub async fn reading_clock(&self) -> anyhow::Result<ReadingClock> {
        Ok(ReadingClock(
            self.meta("last_read_at")
                .await?
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(DateTime::from_timestamp_millis),
        ))
    }

    /// Commits one reading; see [`Queue::push_many`].
    pub async fn push(
        &self,
        reading: &Reading,
        community: &str,
        meters_taken: bool,
    ) -> anyhow::Result<u64> {
        self.push_many(&[(reading.clone(), community.to_string(), meters_taken)])
            .await
    }

    /// Commits readings (reading, community, meters taken) to the queue in one transaction and remembers
    /// their devices. Returns how many older readings were dropped to keep the queue within its limit.
    pub async fn push_many(&self, items: &[(Reading, String, bool)]) -> anyhow::Result<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let mut last_read_at = i64::MIN;
        for (reading, community, meters_taken) in items {
            let body = serde_json::to_string(reading)?;
            let serial = &reading.identity.serial;
            let now = ms(reading.read_at);
            last_read_at = last_read_at.max(now);
            sqlx::query(
                "INSERT INTO queue (reading_id, serial, body, queued_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(reading.reading_id.to_string())
            .bind(serial)
            .bind(&body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO devices (serial, address, community, model, first_seen_at, last_poll_at, last_ok_at, last_meter_at) \
                 VALUES ($1, $2, $3, $4, $5, $5, $5, $6) ON CONFLICT (serial) DO UPDATE SET address = excluded.address, \
                 community = excluded.community, model = excluded.model, last_poll_at = excluded.last_poll_at, \
                 last_ok_at = excluded.last_ok_at, last_error = NULL, \
                 last_meter_at = COALESCE(excluded.last_meter_at, devices.last_meter_at)",
            )
            .bind(serial)
            .bind(&reading.address)
            .bind(community)
            .bind(&reading.identity.model)
            .bind(now)
            .bind(meters_taken.then_some(now))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('readings_total', $1) \
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + $1 AS TEXT)",
        )
        .bind(i64::try_from(items.len()).unwrap_or(0))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('last_read_at', $1) \
             ON CONFLICT (key) DO UPDATE SET value = CAST(MAX(CAST(meta.value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
        )
        .bind(last_read_at.to_string())
        .execute(&mut *tx)
        .await?;
        let depth: i64 = sqlx::query("SELECT COUNT(*) AS n FROM queue")
            .fetch_one(&mut *tx)
            .await?
            .get("n");
        let excess = u64::try_from(depth).unwrap_or(0).saturating_sub(self.limit);
        let mut dropped = 0;
        if excess > 0 {
            dropped = sqlx::query(
                "DELETE FROM queue WHERE seq IN (SELECT q.seq FROM queue q WHERE q.batch_id IS NULL \
                 AND EXISTS (SELECT 1 FROM queue n WHERE n.serial = q.serial AND n.seq > q.seq) ORDER BY q.seq LIMIT $1)",
            )
            .bind(i64::try_from(excess).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ('dropped_total', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + $1 AS TEXT)",
            )
            .bind(i64::try_from(dropped).unwrap_or(0))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if dropped > 0 {
            tracing::warn!(
                dropped,
                limit = self.limit,
                "the queue is full: dropped older readings of devices that have a newer one (the latest per device is kept)"
            );
        }
        Ok(dropped)
    }

    /// Records a failed poll of a known device.
    pub async fn poll_failed(
        &self,
        serial: &str,
        at: DateTime<Utc>,
        error: &str,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE devices SET last_poll_at = $2, last_error = $3 WHERE serial = $1")
            .bind(serial)
            .bind(ms(at))
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn devices(&self) -> anyhow::Result<Vec<KnownDevice>> {
        let rows = sqlx::query("SELECT * FROM devices ORDER BY serial")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| KnownDevice {
                serial: r.get("serial"),
                address: r.get("address"),
                community: r.get("community"),
                model: r.get("model"),
                first_seen_at: time(Some(r.get("first_seen_at"))).unwrap_or_default(),
                last_poll_at: time(r.get("last_poll_at")),
                last_ok_at: time(r.get("last_ok_at")),
                last_error: r.get("last_error"),
                last_meter_at: time(r.get("last_meter_at")),
            })
            .collect())
    }

    pub async fn depth(&self) -> anyhow::Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM queue")
            .fetch_one(&self.pool)
            .await?
            .get("n");
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The batch to send next: one cut short earlier (same id, same readings), else the oldest readings
    /// up to `max_readings` and `max_bytes` of JSON (each reading's bytes and one separator; at
    /// least one reading), under a new id written down before sending.
    pub async fn next_batch(
        &self,
        max_readings: usize,
        max_bytes: usize,
    ) -> anyhow::Result<Option<Batch>> {
        let pending = sqlx::query(
            "SELECT batch_id FROM queue WHERE batch_id IS NOT NULL ORDER BY seq LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let batch_id = match pending {
            Some(r) => Uuid::parse_str(&r.get::<String, _>("batch_id"))?,
            None => {
                // Bytes, not characters (LENGTH of TEXT counts characters).
                let rows = sqlx::query("SELECT seq, LENGTH(CAST(body AS BLOB)) AS n FROM queue WHERE batch_id IS NULL ORDER BY seq LIMIT $1")
                    .bind(i64::try_from(max_readings.max(1)).unwrap_or(1000))
                    .fetch_all(&self.pool)
                    .await?;
                if rows.is_empty() {
                    return Ok(None);
                }
                let mut bytes = 0usize;
                let mut last_seq = 0i64;
                for (i, r) in rows.iter().enumerate() {
                    let n = usize::try_from(r.get::<i64, _>("n")).unwrap_or(0) + 1;
                    if i > 0 && bytes + n > max_bytes {
                        break;
                    }
                    bytes += n;
                    last_seq = r.get("seq");
                }
                let id = Uuid::now_v7();
                sqlx::query("UPDATE queue SET batch_id = $1 WHERE batch_id IS NULL AND seq <= $2")
                    .bind(id.to_string())
                    .bind(last_seq)
                    .execute(&self.pool)
                    .await?;
                id
            }
        };
        let rows = sqlx::query("SELECT body FROM queue WHERE batch_id = $1 ORDER BY seq")
            .bind(batch_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        let readings = rows
            .iter()
            .map(|r| serde_json::from_str::<Reading>(&r.get::<String, _>("body")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Batch { batch_id, readings }))
    }

    /// The manager has the batch: its readings leave the queue.
    pub async fn delivered(&self, batch_id: Uuid, at: DateTime<Utc>) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM queue WHERE batch_id = $1")
            .bind(batch_id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('uploaded_total', $1) \
             ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + $1 AS TEXT)",
        )
        .bind(i64::try_from(n).unwrap_or(0))
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ('last_upload_at', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(at.to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proto::fleet::FleetIdentity;

    fn reading(serial: &str, minute: i64) -> Reading {
        Reading {
            reading_id: Uuid::new_v4(),
            read_at: DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap(),
            address: "127.0.0.1:161".into(),
            identity: FleetIdentity {
                serial: serial.into(),
                ..Default::default()
            },
            status: Default::default(),
            supplies: vec![],
            meters: vec![],
            alerts: vec![],
        }
    }

    #[tokio::test]
    async fn a_full_queue_keeps_the_latest_reading_of_every_device() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 3).await.unwrap();
        for i in 0..3 {
            q.push(&reading("A", i), "public", false).await.unwrap();
        }
        let b = reading("B", 10);
        let dropped = q.push(&b, "public", false).await.unwrap();
        assert_eq!(dropped, 1);
        let last_a = reading("A", 11);
        q.push(&last_a, "public", false).await.unwrap();
        let batch = q.next_batch(100, 1 << 20).await.unwrap().unwrap();
        let ids: Vec<_> = batch
            .readings
            .iter()
            .map(|r| (r.identity.serial.clone(), r.read_at))
            .collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&("B".into(), b.read_at)));
        assert!(ids.contains(&("A".into(), last_a.read_at)));
        assert_eq!(q.counter("dropped_total").await.unwrap(), 2);
        assert_eq!(q.counter("readings_total").await.unwrap(), 5);
    }

    #[tokio::test]
    async fn a_batch_cut_short_is_sent_again_with_the_same_id_and_readings() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 100).await.unwrap();
        for i in 0..5 {
            q.push(&reading("A", i), "public", false).await.unwrap();
        }
        let first = q.next_batch(3, 1 << 20).await.unwrap().unwrap();
        drop(q);
        // "killed": reopened from the file
        let q = Queue::open(dir.path(), 100).await.unwrap();
        let again = q.next_batch(3, 1 << 20).await.unwrap().unwrap();
        assert_eq!(first.batch_id, again.batch_id);
        assert_eq!(first.readings, again.readings);
        assert_eq!(q.delivered(again.batch_id, Utc::now()).await.unwrap(), 3);
        let rest = q.next_batch(10, 1 << 20).await.unwrap().unwrap();
        assert_ne!(rest.batch_id, first.batch_id);
        assert_eq!(rest.readings.len(), 2);
    }

    #[tokio::test]
    async fn reading_times_never_go_back_when_the_clock_jumps() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(dir.path(), 100).await.unwrap();
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut clock = q.reading_clock().await.unwrap();
        assert_eq!(clock.next(t), t);
        let back = clock.next(t - chrono::Duration::hours(2));
        assert!(back > t);
        let mut r = reading("A", 0);
        r.read_at = back;
        q.push(&r, "public", false).await.unwrap();
        // the next run continues after the stored reading, even with the clock still behind
        let mut clock = q.reading_clock().await.unwrap();
        assert!(clock.next(t) > back);
        let later = t + chrono::Duration::hours(1);
        assert_eq!(clock.next(later), later);
    }

    #[test]
    fn a_clock_that_was_ahead_by_days_is_not_followed_once_it_is_right_again() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut clock = ReadingClock(None);
        let ahead = t + chrono::Duration::days(3);
        assert_eq!(clock.next(ahead), ahead, "jumped forward: taken as it is");
        // Corrected: the readings go on at the right time, not after the wrong ones.
        assert_eq!(clock.next(t), t);
        let later = t + chrono::Duration::minutes(15);
        assert_eq!(clock.next(later), later);
    }
}
