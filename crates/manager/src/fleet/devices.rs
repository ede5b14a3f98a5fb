//! `GET /api/v1/fleet/devices` (issue 13, part 7, API only): the partner's devices that an agent
//! reports, paged, each with its last reading's status, open alerts and supplies, and per supply
//! the forecast of [`super::forecast`] (days left and the date it predicts).
//!
//! The forecast reads the supply levels of `fleet_supply_levels` (no reading bodies): the last
//! [`HISTORY_DAYS`] days, at most [`HISTORY_ROWS`] rows (newest) per device.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use proto::fleet::{FleetAlert, StoredReading};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

use super::forecast::{Forecast, LevelPoint, RunsOut, forecast_with};
use crate::api::ApiPartner;
use crate::api::error::ApiError;
use crate::api::types::Problem;
use crate::app::AppState;
use crate::storage::{Result, Storage};

/// Days of supply levels the forecasts look at.
pub const HISTORY_DAYS: i64 = 30;
/// At most this many supply-level rows (all supplies) per device, the newest.
pub const HISTORY_ROWS: u32 = 3000;
/// Devices per supply-history query (bound values stay far below SQLite's and PostgreSQL's limits).
pub const HISTORY_CHUNK: usize = 200;

/// A device's supply-level history (`fleet_supply_levels`), on both backends.
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
    /// The same for several devices in one query (a page of the fleet API): each device's newest
    /// `limit` rows read at or after `since`, as (serial, supply index, point).
    async fn supply_histories(
        &self,
        partner_id: Uuid,
        serials: &[String],
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(String, String, LevelPoint)>>;
}

macro_rules! supply_history_store {
    ($store:ident) => {
        const _: () = {
            use $crate::fleet::devices::SupplyHistoryStorage;
            use $crate::fleet::forecast::LevelPoint;
            use $crate::storage::{Result, from_ms, ms};
            use chrono::{DateTime, Utc};
            use sqlx::Row;
            use uuid::Uuid;

            #[async_trait::async_trait]
            impl SupplyHistoryStorage for $store {
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

                async fn supply_histories(
                    &self,
                    partner_id: Uuid,
                    serials: &[String],
                    since: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<(String, String, LevelPoint)>> {
                    if serials.is_empty() {
                        return Ok(vec![]);
                    }
                    let list = (0..serials.len())
                        .map(|i| format!("${}", i + 4))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let sql = format!(
                        "SELECT serial, supply_index, level, max_capacity, read_at FROM ( \
                         SELECT d.serial, l.supply_index, l.level, l.max_capacity, l.read_at, \
                         ROW_NUMBER() OVER (PARTITION BY l.device_id ORDER BY l.read_at DESC) AS rn \
                         FROM fleet_supply_levels l JOIN devices d ON d.id = l.device_id \
                         WHERE d.partner_id = $1 AND l.read_at >= $2 AND d.serial IN ({list})) h \
                         WHERE rn <= $3"
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(partner_id.to_string())
                        .bind(ms(since))
                        .bind(i64::from(limit));
                    for s in serials {
                        q = q.bind(s.as_str());
                    }
                    let rows = q.fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| {
                            Ok((
                                r.try_get::<String, _>("serial")?,
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
            }
        };
    };
}
pub(crate) use supply_history_store;
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

/// The supplies of `last` with forecasts from `history` ((supply index, point), any order), once a
/// cartridge's points span `min_span` (the device's policy: `forecast_min_history_minutes`).
pub fn supply_forecasts(
    last: &StoredReading,
    history: &[(String, LevelPoint)],
    now: DateTime<Utc>,
    min_span: chrono::Duration,
) -> Vec<SupplyForecastView> {
    last.supplies
        .iter()
        .map(|s| {
            let points: Vec<LevelPoint> = history
                .iter()
                .filter(|(index, _)| *index == s.index)
                .map(|(_, p)| *p)
                .collect();
            let runs_out = RunsOut::for_class(s.class.as_str());
            let f = forecast_with(&points, runs_out, now, min_span);
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
        })
        .collect()
}

/// One page of the partner's agent-reported devices (ordered by customer, then serial): one query
/// for the page, one for the supply history of all its devices, one for the policies.
pub async fn fleet_device_page(
    store: &dyn Storage,
    partner_id: Uuid,
    offset: u32,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<FleetDevicePage> {
    let (page, total) = store.fleet_devices_page(partner_id, offset, limit).await?;
    let policies = super::policy::load(store, partner_id).await?;
    let with_readings: Vec<String> = page
        .iter()
        .filter(|d| d.last.is_some())
        .map(|d| d.serial.clone())
        .collect();
    let mut histories: HashMap<String, Vec<(String, LevelPoint)>> = HashMap::new();
    for chunk in with_readings.chunks(HISTORY_CHUNK) {
        let since = now - chrono::Duration::days(HISTORY_DAYS);
        for (serial, index, point) in store
            .supply_histories(partner_id, chunk, since, HISTORY_ROWS)
            .await?
        {
            histories.entry(serial).or_default().push((index, point));
        }
    }
    let mut devices = Vec::new();
    for d in page {
        let supplies = match &d.last {
            Some(last) => {
                let history = histories.remove(&d.serial).unwrap_or_default();
                let policy = policies.effective(Some(d.customer_id), Some(&d.serial));
                supply_forecasts(last, &history, now, policy.forecast_min_history())
            }
            None => vec![],
        };
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
