//! `GET /api/v1/fleet/devices` (issue 13, part 7, API only): the partner's devices that an agent
//! reports, paged, each with its last reading's status, open alerts and supplies, and per supply
//! the forecast of [`super::forecast`] (days left and the date it predicts).
//!
//! A forecast reads the supply levels of `fleet_supply_levels` (no reading bodies): the last
//! [`HISTORY_DAYS`] days, at most [`HISTORY_ROWS`] rows (newest) per device. What it computes from
//! them apart from "days left" (the [`Fit`]) is stored per device and supply
//! (`fleet_supply_forecasts`) when readings are evaluated ([`super::evaluate`], after each batch
//! and periodically), so a page reads the stored fits of all its devices in one query and derives
//! days left with the clock. A stored fit is used only while a computation from the history would
//! give the same ([`DeviceFits::fresh`]); otherwise (a device with none yet, e.g. data from before
//! the table existed, a newer reading, another minimum span, a row that left the window) it is
//! computed, for all such devices of the page with one history query, and stored.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use proto::fleet::{FleetAlert, FleetSupply, StoredReading};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Row};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use super::forecast::{Fit, Forecast, LevelPoint, RunsOut, fit};
use super::store::{MAX_PARAMS, is_transient, rows_per_statement};
use crate::api::ApiPartner;
use crate::api::error::ApiError;
use crate::api::types::Problem;
use crate::app::AppState;
use crate::storage::sql::push_list;
use crate::storage::{Result, SqlStore, Storage, StoreError, from_ms, ms, uuid};

/// Days of supply levels the forecasts look at.
pub const HISTORY_DAYS: i64 = 30;
/// At most this many supply-level rows (all supplies) per device, the newest.
pub const HISTORY_ROWS: u32 = 3000;
/// Devices whose forecasts are computed with one history query (and stored with one transaction).
pub const DEVICES_PER_QUERY: usize = 200;

/// The fits of a device's supplies (those of its last reading) and what they were computed from,
/// as `fleet_supply_forecasts` keeps them.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFits {
    pub serial: String,
    /// The device's last reading when they were computed (its supplies are the ones fitted).
    pub reading_id: Uuid,
    /// The minimum span of history (the device's effective `forecast_min_history_minutes`), ms.
    pub min_span_ms: i64,
    /// When they were computed: the history then read started [`HISTORY_DAYS`] earlier.
    pub computed_at: DateTime<Utc>,
    /// The oldest history row read, plus [`HISTORY_DAYS`]: after that instant the row has left
    /// the window and a computation would read less. `None` when no row was read.
    pub valid_until: Option<DateTime<Utc>>,
    /// (supply index, fit), one per supply index of the reading.
    pub fits: Vec<(String, Fit)>,
}

impl DeviceFits {
    /// Fits `last`'s supplies from `history` ((supply index, point), any order, as
    /// [`SupplyHistoryStorage::supply_history`] reads it at `now`).
    pub fn compute(
        serial: &str,
        last: &StoredReading,
        history: &[(String, LevelPoint)],
        min_span: Duration,
        now: DateTime<Utc>,
    ) -> Self {
        let mut fits: Vec<(String, Fit)> = Vec::with_capacity(last.supplies.len());
        for s in &last.supplies {
            if fits.iter().any(|(index, _)| *index == s.index) {
                continue;
            }
            let points: Vec<LevelPoint> = history
                .iter()
                .filter(|(index, _)| *index == s.index)
                .map(|(_, p)| *p)
                .collect();
            fits.push((s.index.clone(), fit(&points, min_span)));
        }
        DeviceFits {
            serial: serial.to_string(),
            reading_id: last.reading_id,
            min_span_ms: min_span.num_milliseconds(),
            computed_at: now,
            valid_until: history
                .iter()
                .map(|(_, p)| p.at)
                .min()
                .map(|oldest| oldest + Duration::days(HISTORY_DAYS)),
            fits,
        }
    }

    /// Whether computing at `now` from the history would give these fits: the same last reading
    /// (new readings arrive through ingestion, which evaluates, and so recomputes, their devices),
    /// the same minimum span, no row read has left the window ([`Self::valid_until`]) and none can
    /// have entered it (`now` is not before the computation), a fit for every supply.
    pub fn fresh(&self, last: &StoredReading, min_span: Duration, now: DateTime<Utc>) -> bool {
        self.reading_id == last.reading_id
            && self.min_span_ms == min_span.num_milliseconds()
            && self.computed_at <= now
            && self.valid_until.is_none_or(|v| now <= v)
            && last
                .supplies
                .iter()
                .all(|s| self.fits.iter().any(|(index, _)| *index == s.index))
    }

    /// The same fits from the same inputs (whenever they were computed).
    fn same(&self, other: &DeviceFits) -> bool {
        self.reading_id == other.reading_id
            && self.min_span_ms == other.min_span_ms
            && self.valid_until == other.valid_until
            && self.fits == other.fits
    }

    /// The forecast views of `last`'s supplies at `now`.
    pub fn views(&self, last: &StoredReading, now: DateTime<Utc>) -> Vec<SupplyForecastView> {
        last.supplies
            .iter()
            .map(|s| {
                let runs_out = RunsOut::for_class(s.class.as_str());
                let f = self
                    .fits
                    .iter()
                    .find(|(index, _)| *index == s.index)
                    .map(|(_, f)| f.at(runs_out, now))
                    .unwrap_or(Forecast::NotEnoughData {
                        points: 0,
                        span_hours: 0,
                    });
                view(s, runs_out, f)
            })
            .collect()
    }
}

/// A device's supply-level history (`fleet_supply_levels`) and its stored forecasts
/// (`fleet_supply_forecasts`), on both backends.
#[async_trait::async_trait]
pub trait SupplyHistoryStorage: Send + Sync + 'static {
    /// The partner's device's supply levels read at or after `since`, newest first, at most
    /// `limit` rows: (supply index, point).
    async fn supply_history(
        &self,
        partner_id: Uuid,
        serial: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(String, LevelPoint)>>;
    /// The stored fits of these devices (by serial) of the partner, one query per
    /// [`crate::fleet::store::MAX_PARAMS`] serials; devices without any (or whose rows do not agree,
    /// two writers having crossed) are left out.
    async fn stored_fits(
        &self,
        partner_id: Uuid,
        serials: &[String],
    ) -> Result<HashMap<String, DeviceFits>>;
    /// Stores these devices' fits in one transaction, replacing what was stored for them.
    async fn store_fits(&self, partner_id: Uuid, fits: &[DeviceFits]) -> Result<()>;
    /// The serials of a page of the partner's agent-reported devices (by customer name, then
    /// serial, as [`crate::fleet::FleetStorage::fleet_devices`] orders them) and how many
    /// there are in all. Only the serials are sorted: the page's readings are then read by serial
    /// (`fleet_devices_of`), not carried through the sort of the whole fleet.
    async fn fleet_device_serials(
        &self,
        partner_id: Uuid,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<String>, u64)>;
}

/// The row of `fleet_supply_forecasts` a fit is kept as: (state, predicted run-out instant in ms,
/// rate per day, fitted level, points, span in hours).
pub(crate) type FitColumns = (
    &'static str,
    Option<i64>,
    Option<f64>,
    Option<f64>,
    i64,
    i64,
);

pub(crate) fn fit_columns(f: &Fit) -> FitColumns {
    match *f {
        Fit::NotEnoughData { points, span_hours } => (
            "not_enough_data",
            None,
            None,
            None,
            i64::try_from(points).unwrap_or(i64::MAX),
            span_hours,
        ),
        Fit::NotDecreasing => ("not_decreasing", None, None, None, 0, 0),
        Fit::Predicted {
            date,
            rate_per_day,
            level_now,
        } => (
            "predicted",
            Some(date.timestamp_millis()),
            Some(rate_per_day),
            Some(level_now),
            0,
            0,
        ),
    }
}

/// The fit of a `fleet_supply_forecasts` row; `None` when the row makes no sense.
pub(crate) fn fit_from_columns(
    state: &str,
    predicted_at: Option<i64>,
    rate_per_day: Option<f64>,
    level_now: Option<f64>,
    points: i64,
    span_hours: i64,
) -> Option<Fit> {
    match state {
        "not_enough_data" => Some(Fit::NotEnoughData {
            points: usize::try_from(points).ok()?,
            span_hours,
        }),
        "not_decreasing" => Some(Fit::NotDecreasing),
        "predicted" => Some(Fit::Predicted {
            date: DateTime::from_timestamp_millis(predicted_at?)?,
            rate_per_day: rate_per_day?,
            level_now: level_now?,
        }),
        _ => None,
    }
}

// The SQL of both backends, written once: `$N` placeholders, times in BIGINT ms (see
// `storage::sql`). Rows are read by name.
#[async_trait::async_trait]
impl<DB> SupplyHistoryStorage for SqlStore<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: platform::sql::RowsAffected,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
{
    async fn supply_history(
        &self,
        partner_id: Uuid,
        serial: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(String, LevelPoint)>> {
        let rows = sqlx::query(
                "SELECT l.supply_index, l.level, l.max_capacity, l.read_at FROM fleet_supply_levels l \
                 WHERE l.device_id = (SELECT id FROM devices WHERE partner_id = $1 AND serial = $2) \
                 AND l.read_at >= $3 ORDER BY l.read_at DESC LIMIT $4",
            )
            .bind(partner_id.to_string())
            .bind(serial)
            .bind(ms(since))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("supply_index")?,
                    LevelPoint {
                        at: from_ms(r.try_get("read_at")?)?,
                        level: r.try_get("level")?,
                        max_capacity: r.try_get("max_capacity")?,
                    },
                ))
            })
            .collect()
    }

    async fn stored_fits(
        &self,
        partner_id: Uuid,
        serials: &[String],
    ) -> Result<HashMap<String, DeviceFits>> {
        let partner = partner_id.to_string();
        let mut out: HashMap<String, DeviceFits> = HashMap::new();
        let mut torn: HashSet<String> = HashSet::new();
        for chunk in serials.chunks(MAX_PARAMS - 1) {
            let mut q = QueryBuilder::<DB>::new(
                "SELECT d.serial, f.supply_index, f.reading_id, f.min_span_ms, f.computed_at, \
                     f.valid_until, f.state, f.predicted_at, f.rate_per_day, f.level_now, f.points, \
                     f.span_hours FROM fleet_supply_forecasts f JOIN devices d ON d.id = f.device_id \
                     WHERE d.partner_id = ",
            );
            q.push_bind(partner.as_str()).push(" AND d.serial IN ");
            push_list(&mut q, chunk.iter().map(|serial| serial.as_str()));
            for r in q.build().fetch_all(&self.pool).await? {
                let serial: String = r.try_get("serial")?;
                let index: String = r.try_get("supply_index")?;
                let fit = fit_from_columns(
                    &r.try_get::<String, _>("state")?,
                    r.try_get("predicted_at")?,
                    r.try_get("rate_per_day")?,
                    r.try_get("level_now")?,
                    r.try_get("points")?,
                    r.try_get("span_hours")?,
                )
                .ok_or_else(|| StoreError::Corrupt(format!("forecast of {serial} {index}")))?;
                let row = DeviceFits {
                    serial: serial.clone(),
                    reading_id: uuid(&r.try_get::<String, _>("reading_id")?)?,
                    min_span_ms: r.try_get("min_span_ms")?,
                    computed_at: from_ms(r.try_get("computed_at")?)?,
                    valid_until: r
                        .try_get::<Option<i64>, _>("valid_until")?
                        .map(from_ms)
                        .transpose()?,
                    fits: vec![(index, fit)],
                };
                match out.get_mut(&serial) {
                    None => {
                        out.insert(serial, row);
                    }
                    Some(d) => {
                        // Rows of one computation agree on what it was made from.
                        if d.reading_id != row.reading_id
                            || d.min_span_ms != row.min_span_ms
                            || d.computed_at != row.computed_at
                            || d.valid_until != row.valid_until
                        {
                            torn.insert(serial);
                        }
                        d.fits.extend(row.fits);
                    }
                }
            }
        }
        out.retain(|serial, _| !torn.contains(serial));
        Ok(out)
    }

    async fn store_fits(&self, partner_id: Uuid, fits: &[DeviceFits]) -> Result<()> {
        if fits.is_empty() {
            return Ok(());
        }
        let partner = partner_id.to_string();
        // The devices' ids (a serial the partner has no device of is skipped).
        let serials: Vec<&str> = fits.iter().map(|f| f.serial.as_str()).collect();
        let ids: HashMap<String, String> = {
            let mut conn = self.pool.acquire().await?;
            Self::devices_by_serial(&mut conn, &partner, &serials)
                .await?
                .into_iter()
                .map(|(serial, (id, _, _))| (serial, id))
                .collect()
        };
        // By device id, then supply: concurrent writers of the same devices lock in one order.
        let mut devices: Vec<(&str, &DeviceFits)> = fits
            .iter()
            .filter_map(|d| ids.get(&d.serial).map(|id| (id.as_str(), d)))
            .collect();
        devices.sort_unstable_by_key(|(id, _)| *id);
        let rows: Vec<(&str, &DeviceFits, &str, _)> = devices
            .iter()
            .flat_map(|&(id, d)| {
                let mut fits: Vec<_> = d
                    .fits
                    .iter()
                    .map(move |(index, f)| (id, d, index.as_str(), fit_columns(f)))
                    .collect();
                fits.sort_unstable_by(|a, b| a.2.cmp(b.2));
                fits
            })
            .collect();
        // Each device's reading, as its rows now carry it.
        let readings: Vec<(&str, String)> = devices
            .iter()
            .map(|(id, d)| (*id, d.reading_id.to_string()))
            .collect();
        // Two writers of the same devices (pages, an evaluation) may deadlock on PostgreSQL: the
        // transaction is then run again, at most three more times.
        let mut attempt = 0;
        loop {
            let done: Result<()> = async {
                let mut tx = self.writer.begin().await?;
                // Each supply's row is written over in place (upsert; a delete and an insert
                // were four B-tree writes per row); writing starts the transaction (SQLite's
                // write lock up front).
                for chunk in rows.chunks(rows_per_statement(13)) {
                    let mut q = QueryBuilder::<DB>::new(
                        "INSERT INTO fleet_supply_forecasts (device_id, supply_index, reading_id, \
                             min_span_ms, computed_at, valid_until, state, predicted_at, rate_per_day, \
                             level_now, points, span_hours, partner_id) ",
                    );
                    q.push_values(chunk, |mut b, (id, d, index, c)| {
                        b.push_bind(*id)
                            .push_bind(*index)
                            .push_bind(d.reading_id.to_string())
                            .push_bind(d.min_span_ms)
                            .push_bind(ms(d.computed_at))
                            .push_bind(d.valid_until.map(ms))
                            .push_bind(c.0)
                            .push_bind(c.1)
                            .push_bind(c.2)
                            .push_bind(c.3)
                            .push_bind(c.4)
                            .push_bind(c.5)
                            .push_bind(partner.as_str());
                    });
                    // Another writer (a page, an evaluation) may have stored the same device
                    // since the delete: the last one wins, a later read checks freshness anyway.
                    q.push(
                        " ON CONFLICT (device_id, supply_index) DO UPDATE SET \
                             reading_id = excluded.reading_id, min_span_ms = excluded.min_span_ms, \
                             computed_at = excluded.computed_at, valid_until = excluded.valid_until, \
                             state = excluded.state, predicted_at = excluded.predicted_at, \
                             rate_per_day = excluded.rate_per_day, level_now = excluded.level_now, \
                             points = excluded.points, span_hours = excluded.span_hours",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                // Then what is left of an earlier reading goes (a supply the device's last
                // reading no longer has): the rows just written carry the device's reading, and
                // a reading id belongs to one device.
                for chunk in readings.chunks(MAX_PARAMS / 2) {
                    let mut q = QueryBuilder::<DB>::new(
                        "DELETE FROM fleet_supply_forecasts WHERE device_id IN ",
                    );
                    push_list(&mut q, chunk.iter().map(|(id, _)| *id));
                    q.push(" AND reading_id NOT IN ");
                    push_list(&mut q, chunk.iter().map(|(_, reading)| reading.as_str()));
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }
            .await;
            match done {
                Err(e) if attempt < 3 && is_transient(&e) => attempt += 1,
                done => return done,
            }
        }
    }

    async fn fleet_device_serials(
        &self,
        partner_id: Uuid,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<String>, u64)> {
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM fleet_devices WHERE partner_id = $1")
                .bind(partner_id.to_string())
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        let rows = sqlx::query(
            "SELECT d.serial FROM fleet_devices f JOIN devices d ON d.id = f.device_id \
             JOIN customers c ON c.id = d.customer_id WHERE f.partner_id = $1 \
             ORDER BY c.name, d.serial LIMIT $2 OFFSET $3",
        )
        .bind(partner_id.to_string())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        let serials = rows
            .iter()
            .map(|r| r.try_get("serial"))
            .collect::<std::result::Result<Vec<String>, _>>()?;
        Ok((serials, u64::try_from(total).unwrap_or(0)))
    }
}

/// How [`device_forecasts`] treats stored fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Use the fresh ones, compute (and store) the others: readers.
    IfStale,
    /// Compute all from the history, store those that changed: the evaluator, which runs
    /// after new readings (an older reading uploaded late changes the history but not the last
    /// reading) and periodically.
    Always,
}

/// A device to forecast: its last reading and the minimum span of its effective policy.
pub struct ForecastTarget<'a> {
    pub serial: &'a str,
    pub last: &'a StoredReading,
    pub min_span: Duration,
}

/// The supply forecasts at `now` of these devices of the partner, by serial: per
/// [`DEVICES_PER_QUERY`] devices one query for the stored fits and, for those to compute, one
/// for their history and one transaction to store them. Equal to [`supply_forecasts`] from the
/// history read at `now`.
pub async fn device_forecasts(
    store: &dyn Storage,
    partner: Uuid,
    targets: &[ForecastTarget<'_>],
    now: DateTime<Utc>,
    refresh: Refresh,
) -> Result<HashMap<String, Vec<SupplyForecastView>>> {
    let mut out = HashMap::with_capacity(targets.len());
    let since = now - Duration::days(HISTORY_DAYS);
    let with_supplies: Vec<&ForecastTarget> = targets
        .iter()
        .filter(|t| {
            // Nothing to forecast, nothing to read.
            if t.last.supplies.is_empty() {
                out.insert(t.serial.to_string(), vec![]);
            }
            !t.last.supplies.is_empty()
        })
        .collect();
    // Stored at the end in one transaction: on SQLite every write transaction waits for the one
    // writer, which the batches being ingested hold in turn, so one wait per evaluation instead of
    // one per chunk of devices.
    let mut changed = Vec::new();
    let clock = platform::clock::SystemClock;
    let mut phases = super::store::Phases::new(&clock);
    for chunk in with_supplies.chunks(DEVICES_PER_QUERY) {
        let serials: Vec<String> = chunk.iter().map(|t| t.serial.to_string()).collect();
        let mut stored = store.stored_fits(partner, &serials).await?;
        phases.mark("stored_fits");
        let mut compute = Vec::new();
        for t in chunk {
            match stored.get(t.serial) {
                Some(s) if refresh == Refresh::IfStale && s.fresh(t.last, t.min_span, now) => {
                    out.insert(t.serial.to_string(), s.views(t.last, now));
                }
                _ => compute.push(*t),
            }
        }
        if compute.is_empty() {
            continue;
        }
        let serials: Vec<String> = compute.iter().map(|t| t.serial.to_string()).collect();
        let mut histories = store
            .supply_histories(partner, &serials, since, HISTORY_ROWS)
            .await?;
        phases.mark("histories");
        for t in compute {
            let history = histories.remove(t.serial).unwrap_or_default();
            let fits = DeviceFits::compute(t.serial, t.last, &history, t.min_span, now);
            out.insert(t.serial.to_string(), fits.views(t.last, now));
            if !stored.remove(t.serial).is_some_and(|s| s.same(&fits)) {
                changed.push(fits);
            }
        }
        phases.mark("compute");
    }
    if changed.is_empty() {
        return Ok(out);
    }
    let stored = store.store_fits(partner, &changed).await;
    phases.mark("store_fits");
    tracing::debug!(%phases, changed = changed.len(), "forecasts (ms per phase)");
    match stored {
        Ok(()) => {}
        // A reader answers with what it computed; storing is for the next reader.
        Err(e) if refresh == Refresh::IfStale => {
            tracing::warn!(error = %e, "storing computed supply forecasts failed")
        }
        Err(e) => return Err(e),
    }
    Ok(out)
}

/// Page size when none is asked for, and the largest one.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/fleet/devices", get(list_fleet_devices))
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SupplyForecastView {
    pub index: String,
    pub description: String,
    /// consumed | receptacle
    pub class: String,
    pub colorant: Option<String>,
    pub percent: Option<u8>,
    /// As the device reports it: ok, low, empty, almost_full, full, some_remaining, …
    pub status: String,
    /// predicted | not_enough_data | not_decreasing
    pub forecast: String,
    /// empty (consumed) or full (receptacle)
    pub runs_out: String,
    /// Days until empty/full from now, one decimal; absent without a prediction.
    pub days_left: Option<f64>,
    pub predicted_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FleetDeviceView {
    pub serial: String,
    pub model: String,
    pub customer: String,
    pub location: String,
    /// Time of the last reading.
    pub last_seen: Option<DateTime<Utc>>,
    /// hrDeviceStatus of the last reading (unknown, running, warning, testing, down).
    pub status: String,
    /// hrPrinterDetectedErrorState bits raised in the last reading.
    pub errors: Vec<String>,
    /// The prtAlertTable rows of the last reading.
    pub open_alerts: Vec<FleetAlert>,
    pub supplies: Vec<SupplyForecastView>,
    /// Newly found by an agent.
    pub is_new: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FleetDevicePage {
    /// Devices in all pages.
    pub total: u32,
    pub offset: u32,
    pub limit: u32,
    pub devices: Vec<FleetDeviceView>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Devices to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295_i64)]
    pub offset: Option<String>,
    /// Page size (default 50, 1 to 200).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

fn number(v: Option<&str>, field: &str, default: u32) -> std::result::Result<u32, ApiError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| ApiError::BadRequest {
            field: Some(field.into()),
            detail: format!("{field}: must be a whole number"),
        }),
    }
}

/// The supplies of `last` with forecasts at `now` computed from `history` ((supply index,
/// point), any order), once a cartridge's points span `min_span` (the device's policy:
/// `forecast_min_history_minutes`). What the stored fits must equal.
pub fn supply_forecasts(
    last: &StoredReading,
    history: &[(String, LevelPoint)],
    now: DateTime<Utc>,
    min_span: Duration,
) -> Vec<SupplyForecastView> {
    DeviceFits::compute("", last, history, min_span, now).views(last, now)
}

fn view(s: &FleetSupply, runs_out: RunsOut, f: Forecast) -> SupplyForecastView {
    SupplyForecastView {
        index: s.index.clone(),
        description: s.description.clone(),
        class: s.class.to_string(),
        colorant: s.colorant.clone(),
        percent: s.percent,
        status: s.status.to_string(),
        forecast: match f {
            Forecast::Predicted { .. } => "predicted",
            Forecast::NotEnoughData { .. } => "not_enough_data",
            Forecast::NotDecreasing => "not_decreasing",
        }
        .into(),
        runs_out: match runs_out {
            RunsOut::Empty => "empty",
            RunsOut::Full => "full",
        }
        .into(),
        days_left: f.days_left().map(|d| (d * 10.0).round() / 10.0),
        predicted_date: f.date(),
    }
}

/// One page of the partner's agent-reported devices (ordered by customer, then serial): the
/// page's serials (with a count), their devices with last readings, the policies, the stored
/// forecasts of its devices (computing only stale ones).
pub async fn fleet_device_page(
    store: &dyn Storage,
    partner_id: Uuid,
    offset: u32,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<FleetDevicePage> {
    let (serials, total) = store
        .fleet_device_serials(partner_id, offset, limit)
        .await?;
    let mut page = store.fleet_devices_of(partner_id, &serials).await?;
    // In the database's order (its collation), whatever order they were read in.
    let place: HashMap<&str, usize> = serials
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    page.sort_by_key(|d| place.get(d.serial.as_str()).copied());
    let policies = super::policy::load(store, partner_id).await?;
    let targets: Vec<ForecastTarget> = page
        .iter()
        .filter_map(|d| {
            d.last.as_ref().map(|last| ForecastTarget {
                serial: &d.serial,
                last,
                min_span: policies
                    .effective(Some(d.customer_id), Some(&d.serial))
                    .forecast_min_history(),
            })
        })
        .collect();
    let mut forecasts =
        device_forecasts(store, partner_id, &targets, now, Refresh::IfStale).await?;
    let mut devices = Vec::new();
    for d in page {
        let supplies = forecasts.remove(&d.serial).unwrap_or_default();
        devices.push(FleetDeviceView {
            location: d.location,
            last_seen: d.last.as_ref().map(|r| r.read_at),
            status: d
                .last
                .as_ref()
                .and_then(|r| r.status.device.clone())
                .unwrap_or_else(|| "unknown".into()),
            errors: d
                .last
                .as_ref()
                .map(|r| r.status.errors.clone())
                .unwrap_or_default(),
            open_alerts: d
                .last
                .as_ref()
                .map(|r| r.alerts.clone())
                .unwrap_or_default(),
            supplies,
            is_new: d.is_new,
            serial: d.serial,
            model: d.model,
            customer: d.customer_name,
        });
    }
    Ok(FleetDevicePage {
        total: u32::try_from(total).unwrap_or(u32::MAX),
        offset,
        limit,
        devices,
    })
}

/// The partner's devices that agents report, paged, with status, open alerts and supplies with
/// their forecasts (days left until empty — or full for a waste receptacle — and the date).
#[utoipa::path(get, path = "/api/v1/fleet/devices", security(("api_key" = [])), params(PageQuery),
    responses((status = 200, body = FleetDevicePage), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list_fleet_devices(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Query(q): Query<PageQuery>,
) -> std::result::Result<Json<FleetDevicePage>, ApiError> {
    // 1–200 as documented: outside is refused, not quietly clamped.
    let limit = number(q.limit.as_deref(), "limit", DEFAULT_LIMIT)?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest {
            field: Some("limit".into()),
            detail: format!("limit: must be 1 to {MAX_LIMIT}"),
        });
    }
    let offset = number(q.offset.as_deref(), "offset", 0)?;
    Ok(Json(
        fleet_device_page(&*st.store, p, offset, limit, st.clock.now()).await?,
    ))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_fleet_devices),
    components(schemas(FleetDevicePage, FleetDeviceView, SupplyForecastView, FleetAlert))
)]
pub struct FleetDevicesApiDoc;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proto::fleet::{FleetIdentity, FleetStatus, SupplyClass, SupplyStatus};

    fn t(day: f64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single().unwrap()
            + Duration::milliseconds((day * 86_400_000.0) as i64)
    }

    fn supply(index: &str, class: SupplyClass) -> FleetSupply {
        FleetSupply {
            index: index.into(),
            description: format!("supply {index}"),
            part_number: None,
            kind: "toner".into(),
            class,
            colorant: None,
            max_capacity: Some(100),
            level: Some(50),
            percent: Some(50),
            status: SupplyStatus::Ok,
        }
    }

    fn last(at: DateTime<Utc>) -> StoredReading {
        StoredReading {
            reading_id: Uuid::new_v4(),
            agent_id: Uuid::new_v4(),
            serial: "SN-1".into(),
            read_at: at,
            received_at: at,
            address: "127.0.10.1:161".into(),
            identity: FleetIdentity::default(),
            status: FleetStatus::default(),
            supplies: vec![
                supply("1.1", SupplyClass::Consumed),
                supply("1.2", SupplyClass::Receptacle),
            ],
            meters: vec![],
            alerts: vec![],
        }
    }

    /// Days 0..=10 of a toner falling 5 % a day (and a receptacle 1 % a day), noisy.
    fn history() -> Vec<(String, LevelPoint)> {
        (0..=10)
            .flat_map(|d| {
                let noise = [0, 2, -1, 1, -2, 0, 1, -1, 2, 0, -1][d as usize];
                [("1.1", 100 - 5 * d + noise), ("1.2", 80 - d)].map(|(index, level)| {
                    (
                        index.to_string(),
                        LevelPoint {
                            at: t(d as f64),
                            level: Some(level),
                            max_capacity: Some(100),
                        },
                    )
                })
            })
            .collect()
    }

    #[test]
    fn stored_fits_give_the_forecasts_computed_at_any_later_time() {
        let last = last(t(10.0));
        let h = history();
        let span = Duration::hours(24);
        let stored = DeviceFits::compute("SN-1", &last, &h, span, t(10.0));
        for now in [t(10.0), t(12.5), t(30.0)] {
            assert!(stored.fresh(&last, span, now));
            assert_eq!(
                stored.views(&last, now),
                supply_forecasts(&last, &h, now, span)
            );
        }
        let v = stored.views(&last, t(12.5));
        assert_eq!(v[0].forecast, "predicted");
        assert_eq!(v[0].runs_out, "empty");
        assert_eq!(v[1].runs_out, "full");
    }

    #[test]
    fn stored_fits_go_stale_when_what_they_were_computed_from_changes() {
        let last = last(t(10.0));
        let span = Duration::hours(24);
        let stored = DeviceFits::compute("SN-1", &last, &history(), span, t(10.0));
        // The oldest row (day 0) leaves the 30-day window after day 30.
        assert_eq!(stored.valid_until, Some(t(30.0)));
        assert!(!stored.fresh(&last, span, t(30.0) + Duration::milliseconds(1)));
        // A newer reading, another minimum span, a time before the computation (rows may enter
        // the window), a supply without a fit.
        let newer = StoredReading {
            reading_id: Uuid::new_v4(),
            ..last.clone()
        };
        assert!(!stored.fresh(&newer, span, t(11.0)));
        assert!(!stored.fresh(&last, Duration::hours(2), t(11.0)));
        assert!(!stored.fresh(&last, span, t(9.0)));
        let mut more = last.clone();
        more.supplies.push(supply("1.3", SupplyClass::Consumed));
        assert!(!stored.fresh(&more, span, t(11.0)));
        // No history at all: valid until the next reading.
        let empty = DeviceFits::compute("SN-1", &last, &[], span, t(10.0));
        assert_eq!(empty.valid_until, None);
        assert!(empty.fresh(&last, span, t(400.0)));
    }

    #[test]
    fn fits_survive_their_columns() {
        let last = last(t(10.0));
        let stored = DeviceFits::compute("SN-1", &last, &history(), Duration::hours(24), t(10.0));
        let short =
            DeviceFits::compute("SN-1", &last, &history()[..2], Duration::hours(24), t(10.0));
        let fits = stored
            .fits
            .iter()
            .chain(&short.fits)
            .map(|(_, f)| *f)
            .chain([Fit::NotDecreasing]);
        for f in fits {
            let (state, at, rate, level, points, span) = fit_columns(&f);
            assert_eq!(
                fit_from_columns(state, at, rate, level, points, span),
                Some(f)
            );
        }
        assert_eq!(fit_from_columns("predicted", None, None, None, 0, 0), None);
        assert_eq!(fit_from_columns("soon", None, None, None, 0, 0), None);
    }
}
