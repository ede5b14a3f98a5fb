//! Storage of fleet intelligence (issue 13), on both backends: policies, supplies contracts,
//! conditions (a supply to order, a printer alert, a silent device or agent) with the automatic
//! incidents they raise, the periodic evaluator's lease, webhooks, their outbox and delivery log.
//! One trait ([`FleetRulesStorage`]), implemented once by the generic `SqlStore` for SQLite and
//! PostgreSQL. Every query takes the partner id.
//!
//! Concurrency: at most one open condition per (partner, key) is a unique partial index, and an
//! automatic incident is created in the transaction that opens (or raises) its condition, so two
//! evaluators (two ingestions, two manager instances) never create two incidents for one condition.

use chrono::{DateTime, Utc};
use proto::Contract;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

use super::policy::{PolicyDocument, PolicyScope};
use crate::domain::{DeviceSerial, IncidentKind, IncidentNumber, IncidentStatus};
use crate::storage::sql::{Columns, IncidentRow, corrupt, push_list};
use crate::storage::{Result, SqlStore, StoreError, SupplyItem, from_ms, ms, uuid};
use platform::sql::RowsAffected;
use sqlx::Row;

/// What a condition is about.
pub mod kinds {
    /// A supply forecast to run out soon or below the threshold (an automatic order with a contract).
    pub const SUPPLY_LOW: &str = "supply_low";
    /// A prtAlertTable row or an hrPrinterDetectedErrorState bit the policy raises.
    pub const ALERT: &str = "alert";
    pub const DEVICE_SILENT: &str = "device_silent";
    pub const AGENT_SILENT: &str = "agent_silent";
}

/// A condition as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Condition {
    pub id: Uuid,
    /// supply_low, alert, device_silent, agent_silent
    pub kind: String,
    /// Names the condition: such as `supply_low/SN1/1.1` or `alert/SN1/jam/media_path/1`.
    pub key: String,
    pub device_serial: Option<String>,
    pub agent_id: Option<Uuid>,
    pub detail: String,
    /// The automatic incident it raised, if any.
    pub incident_number: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// When it was raised (a persisting alert waits; a silent device is raised at once).
    pub raised_at: Option<DateTime<Utc>>,
    pub cleared_at: Option<DateTime<Utc>>,
    /// The supply's percent when the order was made (a jump above it is a replacement).
    pub level_at_open: Option<i64>,
}

/// The automatic incident a condition raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoIncident {
    pub kind: IncidentKind,
    pub description: String,
    pub supplies: Vec<SupplyItem>,
}

/// A new condition of a device or an agent.
#[derive(Debug, Clone)]
pub struct NewCondition {
    pub kind: &'static str,
    pub key: String,
    pub serial: Option<String>,
    pub agent_id: Option<Uuid>,
    pub detail: String,
    pub first_seen_at: DateTime<Utc>,
    /// Raise it now (else it waits, like a jam that has to persist).
    pub raise: bool,
    pub incident: Option<AutoIncident>,
    pub level_at_open: Option<i64>,
}

/// A condition raised now, with the incident it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    pub condition_id: Uuid,
    pub raised: bool,
    pub incident: Option<IncidentNumber>,
}

/// A webhook as the API shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    /// The event types it receives; empty means all.
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// One event to deliver to one webhook, leased by a sender.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub webhook_id: Uuid,
    pub url: String,
    /// The hook's secret (`whsec_…`), decrypted.
    pub secret: String,
    pub event_type: String,
    pub body: String,
    pub attempts: u32,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// One delivery attempt, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub event_id: Uuid,
    pub event_type: String,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, absent when it could not be reached.
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// pending, delivered or failed (the event, after this attempt and any later ones).
    pub state: String,
}

#[async_trait::async_trait]
pub trait FleetRulesStorage: Send + Sync + 'static {
    async fn list_policies(
        &self,
        partner_id: Uuid,
    ) -> Result<Vec<(PolicyScope, String, PolicyDocument)>>;
    async fn put_policy(
        &self,
        partner_id: Uuid,
        scope: PolicyScope,
        scope_id: &str,
        doc: &PolicyDocument,
    ) -> Result<()>;
    /// False when there was none.
    async fn delete_policy(
        &self,
        partner_id: Uuid,
        scope: PolicyScope,
        scope_id: &str,
    ) -> Result<bool>;

    /// Sets (or with `None` removes) a device's supplies contract; `NotFound` for another partner's device.
    async fn set_supplies_contract(
        &self,
        partner_id: Uuid,
        serial: &DeviceSerial,
        contract: Option<Contract>,
    ) -> Result<()>;
    /// The partner's supplies contracts by device serial.
    async fn supplies_contracts(&self, partner_id: Uuid) -> Result<HashMap<String, Contract>>;

    /// The serials of the devices a stored batch of the agent holds readings of.
    async fn batch_serials(&self, agent_id: Uuid, batch_id: Uuid) -> Result<Vec<String>>;
    /// The partner's open conditions.
    async fn open_conditions(&self, partner_id: Uuid) -> Result<Vec<Condition>>;
    /// The open conditions of these devices of the partner (by serial), as [`Self::open_conditions`]
    /// orders them: what an evaluation after a batch needs, whatever the size of the fleet.
    async fn open_conditions_of(
        &self,
        partner_id: Uuid,
        serials: &[String],
    ) -> Result<Vec<Condition>>;
    /// A device's conditions, newest first (alert history), at most `limit`.
    async fn device_conditions(
        &self,
        partner_id: Uuid,
        serial: &str,
        limit: u32,
    ) -> Result<Vec<Condition>>;
    /// Opens a condition (and its incident, when raised with one) in one transaction. `None` when
    /// one with the same key is open already (another evaluator was first).
    async fn open_condition(&self, partner_id: Uuid, new: &NewCondition) -> Result<Option<Raised>>;
    /// Raises a waiting condition (and creates its incident) unless someone else did.
    async fn raise_condition(
        &self,
        partner_id: Uuid,
        condition_id: Uuid,
        incident: Option<&AutoIncident>,
    ) -> Result<Option<Raised>>;
    /// Records that the condition still holds.
    async fn touch_condition(
        &self,
        partner_id: Uuid,
        condition_id: Uuid,
        seen_at: DateTime<Utc>,
        detail: &str,
    ) -> Result<()>;
    /// Clears a condition; its automatic incident, unless final already, becomes `incident_to`
    /// with a history entry by `fleet`. `None` when someone else cleared it; else the incident
    /// number and status it had, if it changed.
    async fn clear_condition(
        &self,
        partner_id: Uuid,
        condition_id: Uuid,
        incident_to: IncidentStatus,
        comment: &str,
    ) -> Result<Option<Option<(IncidentNumber, IncidentStatus)>>>;
    /// Takes (or renews) the lease `name` for `holder` until `until`, unless another holder has
    /// it unexpired. True when `holder` has it now.
    async fn take_lease(&self, name: &str, holder: &str, until: DateTime<Utc>) -> Result<bool>;

    async fn create_webhook(
        &self,
        partner_id: Uuid,
        url: &str,
        secret: &str,
        events: &[String],
    ) -> Result<WebhookView>;
    async fn list_webhooks(&self, partner_id: Uuid) -> Result<Vec<WebhookView>>;
    async fn delete_webhook(&self, partner_id: Uuid, id: Uuid) -> Result<()>;
    /// Puts one event into the outbox once for every webhook of the partner that wants its type;
    /// returns how many deliveries it made.
    async fn enqueue_event(
        &self,
        partner_id: Uuid,
        event_id: Uuid,
        event_type: &str,
        body: &str,
    ) -> Result<u64>;
    /// Leases up to `limit` due deliveries until `lease_until` (other senders skip them meanwhile).
    async fn claim_deliveries(
        &self,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>>;
    /// Records an attempt in the delivery log and what happens next.
    async fn finish_attempt(
        &self,
        item: &OutboxItem,
        status_code: Option<u16>,
        error: Option<&str>,
        outcome: AttemptOutcome,
    ) -> Result<()>;
    /// A webhook's delivery attempts, newest first.
    async fn list_deliveries(
        &self,
        partner_id: Uuid,
        webhook_id: Uuid,
        limit: u32,
    ) -> Result<Vec<DeliveryView>>;
}

const CONDITION_SELECT: &str = "SELECT k.id, k.kind, k.cond_key, d.serial, k.agent_id, k.detail, \
    i.number, k.first_seen_at, k.last_seen_at, k.raised_at, k.cleared_at, k.level_at_open \
    FROM fleet_conditions k LEFT JOIN devices d ON d.id = k.device_id \
    LEFT JOIN incidents i ON i.id = k.incident_id";

fn condition(r: &impl Columns) -> Result<Condition> {
    let opt_time =
        |c: &str| -> Result<Option<DateTime<Utc>>> { r.opt_int(c)?.map(from_ms).transpose() };
    Ok(Condition {
        id: uuid(&r.text("id")?)?,
        kind: r.text("kind")?,
        key: r.text("cond_key")?,
        device_serial: r.opt_text("serial")?,
        agent_id: r.opt_text("agent_id")?.map(|s| uuid(&s)).transpose()?,
        detail: r.text("detail")?,
        incident_number: r.opt_text("number")?,
        first_seen_at: from_ms(r.int("first_seen_at")?)?,
        last_seen_at: from_ms(r.int("last_seen_at")?)?,
        raised_at: opt_time("raised_at")?,
        cleared_at: opt_time("cleared_at")?,
        level_at_open: r.opt_int("level_at_open")?,
    })
}

/// A stored list of event types (comma-separated; empty: all).
pub(crate) fn events_of(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// The id of a queued event, from its stored body (`{"id": …}`).
pub(crate) fn event_id_of(body: &str) -> Result<Uuid> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("id")
                .and_then(|i| i.as_str())
                .and_then(|s| Uuid::parse_str(s).ok())
        })
        .ok_or_else(|| corrupt("event body"))
}

fn webhook(r: &impl Columns) -> Result<WebhookView> {
    Ok(WebhookView {
        id: uuid(&r.text("id")?)?,
        url: r.text("url")?,
        events: events_of(&r.text("events")?),
        created_at: from_ms(r.int("created_at")?)?,
    })
}

/// The automatic incident a condition raises (source `automatic`, no contact details).
fn auto_incident_row<'a>(
    id: &'a str,
    partner_id: Uuid,
    device_id: String,
    customer_id: String,
    auto: &'a AutoIncident,
    now: DateTime<Utc>,
) -> IncidentRow<'a> {
    IncidentRow {
        id,
        partner_id,
        customer_id,
        device_id,
        kind: auto.kind,
        issue_code: None,
        description: auto.description.chars().take(2000).collect(),
        supplies: &auto.supplies,
        contact: [None, None, None],
        source: proto::IncidentSource::Automatic,
        now,
    }
}

impl<DB> SqlStore<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
{
    /// Raises `auto` for the condition `condition_id` of the device (its id, its customer's id)
    /// in `tx`: the incident, numbered from the partner's counter, and the condition's link to it.
    /// The one place a condition's incident is made, whether the condition opens raising or is
    /// raised later (a jam that persists).
    async fn raise_auto_incident(
        &self,
        tx: &mut sqlx::Transaction<'_, DB>,
        partner_id: Uuid,
        (device_id, customer_id): (String, String),
        auto: &AutoIncident,
        condition_id: &str,
        now: DateTime<Utc>,
    ) -> Result<IncidentNumber> {
        let incident_id = self.ctx.ids.new_id().to_string();
        let row = auto_incident_row(&incident_id, partner_id, device_id, customer_id, auto, now);
        let number = self
            .insert_incident(tx, &row, "fleet", "created automatically")
            .await?;
        sqlx::query("UPDATE fleet_conditions SET incident_id = $1 WHERE id = $2")
            .bind(&incident_id)
            .bind(condition_id)
            .execute(&mut **tx)
            .await?;
        Ok(number)
    }
}

// The SQL of this module, run on either backend (the bounds are what its queries need of sqlx).
#[async_trait::async_trait]
impl<DB> FleetRulesStorage for SqlStore<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
{
    async fn list_policies(
        &self,
        partner_id: Uuid,
    ) -> Result<Vec<(PolicyScope, String, PolicyDocument)>> {
        let rows = sqlx::query(
            "SELECT scope, scope_id, body FROM fleet_policies WHERE partner_id = $1 ORDER BY scope, scope_id",
        )
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let scope: String = r.try_get("scope")?;
                let body: String = r.try_get("body")?;
                Ok((
                    PolicyScope::parse(&scope)
                        .ok_or_else(|| corrupt(&format!("policy scope {scope}")))?,
                    r.try_get("scope_id")?,
                    serde_json::from_str(&body).map_err(|e| corrupt(&format!("policy: {e}")))?,
                ))
            })
            .collect()
    }

    async fn put_policy(
        &self,
        partner_id: Uuid,
        scope: PolicyScope,
        scope_id: &str,
        doc: &PolicyDocument,
    ) -> Result<()> {
        let body = serde_json::to_string(doc).map_err(|e| corrupt(&format!("policy: {e}")))?;
        sqlx::query(
            "INSERT INTO fleet_policies (partner_id, scope, scope_id, body, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (partner_id, scope, scope_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(partner_id.to_string())
        .bind(scope.as_str())
        .bind(scope_id)
        .bind(body)
        .bind(ms(self.ctx.clock.now()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn delete_policy(
        &self,
        partner_id: Uuid,
        scope: PolicyScope,
        scope_id: &str,
    ) -> Result<bool> {
        let n = sqlx::query(
            "DELETE FROM fleet_policies WHERE partner_id = $1 AND scope = $2 AND scope_id = $3",
        )
        .bind(partner_id.to_string())
        .bind(scope.as_str())
        .bind(scope_id)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    async fn set_supplies_contract(
        &self,
        partner_id: Uuid,
        serial: &DeviceSerial,
        contract: Option<Contract>,
    ) -> Result<()> {
        let device: Option<String> =
            sqlx::query("SELECT id FROM devices WHERE partner_id = $1 AND serial = $2")
                .bind(partner_id.to_string())
                .bind(serial.as_str())
                .fetch_optional(&self.writer)
                .await?
                .map(|r| r.try_get("id"))
                .transpose()?;
        let device = device.ok_or(StoreError::NotFound("device"))?;
        match contract {
            Some(c) => {
                sqlx::query(
                    "INSERT INTO fleet_supplies_contracts (device_id, partner_id, starts_on, ends_on) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (device_id) DO UPDATE SET starts_on = excluded.starts_on, ends_on = excluded.ends_on",
                )
                .bind(&device)
                .bind(partner_id.to_string())
                .bind(c.starts_on.to_string())
                .bind(c.ends_on.to_string())
                .execute(&self.writer)
                .await?;
            }
            None => {
                sqlx::query(
                    "DELETE FROM fleet_supplies_contracts WHERE device_id = $1 AND partner_id = $2",
                )
                .bind(&device)
                .bind(partner_id.to_string())
                .execute(&self.writer)
                .await?;
            }
        }
        Ok(())
    }

    async fn supplies_contracts(&self, partner_id: Uuid) -> Result<HashMap<String, Contract>> {
        let rows = sqlx::query(
            "SELECT d.serial, s.starts_on, s.ends_on FROM fleet_supplies_contracts s JOIN devices d ON d.id = s.device_id \
             WHERE s.partner_id = $1",
        )
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let day = |s: String| {
            s.parse::<chrono::NaiveDate>()
                .map_err(|_| corrupt(&format!("contract date {s}")))
        };
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("serial")?,
                    Contract {
                        starts_on: day(r.try_get("starts_on")?)?,
                        ends_on: day(r.try_get("ends_on")?)?,
                    },
                ))
            })
            .collect()
    }

    async fn batch_serials(&self, agent_id: Uuid, batch_id: Uuid) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT d.serial FROM fleet_readings r JOIN devices d ON d.id = r.device_id \
             WHERE r.agent_id = $1 AND r.batch_id = $2",
        )
        .bind(agent_id.to_string())
        .bind(batch_id.to_string())
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("serial")?)).collect()
    }

    async fn open_conditions(&self, partner_id: Uuid) -> Result<Vec<Condition>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CONDITION_SELECT} WHERE k.partner_id = $1 AND k.cleared_at IS NULL ORDER BY k.first_seen_at, k.id"
        )))
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(condition).collect()
    }

    async fn open_conditions_of(
        &self,
        partner_id: Uuid,
        serials: &[String],
    ) -> Result<Vec<Condition>> {
        let partner = partner_id.to_string();
        let mut out = Vec::new();
        for chunk in serials.chunks(crate::fleet::store::MAX_PARAMS - 1) {
            let mut q = sqlx::QueryBuilder::<DB>::new(CONDITION_SELECT);
            q.push(" WHERE k.partner_id = ")
                .push_bind(partner.as_str())
                .push(" AND k.cleared_at IS NULL AND d.partner_id = k.partner_id AND d.serial IN ");
            push_list(&mut q, chunk.iter().map(|serial| serial.as_str()));
            for r in q.build().fetch_all(&self.pool).await? {
                out.push(condition(&r)?);
            }
        }
        out.sort_by_key(|a| (a.first_seen_at, a.id));
        Ok(out)
    }

    async fn device_conditions(
        &self,
        partner_id: Uuid,
        serial: &str,
        limit: u32,
    ) -> Result<Vec<Condition>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{CONDITION_SELECT} WHERE k.partner_id = $1 AND k.device_id = \
             (SELECT id FROM devices WHERE partner_id = $1 AND serial = $2) \
             ORDER BY k.first_seen_at DESC, k.id DESC LIMIT $3"
        )))
        .bind(partner_id.to_string())
        .bind(serial)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(condition).collect()
    }

    async fn open_condition(&self, partner_id: Uuid, new: &NewCondition) -> Result<Option<Raised>> {
        let now = self.ctx.clock.now();
        let id = self.ctx.ids.new_id();
        let partner = partner_id.to_string();
        let mut tx = self.writer.begin().await?;
        // The first statement writes: SQLite takes its lock; on PostgreSQL a concurrent
        // insert of the same open key waits for the other transaction, then does nothing.
        let inserted = sqlx::query(
            "INSERT INTO fleet_conditions (id, partner_id, device_id, agent_id, kind, cond_key, detail, \
             first_seen_at, last_seen_at, raised_at, level_at_open) \
             VALUES ($1, $2, (SELECT id FROM devices WHERE partner_id = $2 AND serial = $3), $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (partner_id, cond_key) WHERE cleared_at IS NULL DO NOTHING",
        )
        .bind(id.to_string())
        .bind(&partner)
        .bind(new.serial.as_deref())
        .bind(new.agent_id.map(|a| a.to_string()))
        .bind(new.kind)
        .bind(&new.key)
        .bind(&new.detail)
        .bind(ms(new.first_seen_at))
        .bind(ms(now.max(new.first_seen_at)))
        .bind(new.raise.then(|| ms(now)))
        .bind(new.level_at_open)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let mut incident = None;
        if let (true, Some(auto), Some(serial)) = (new.raise, &new.incident, &new.serial) {
            let dev = sqlx::query(
                "SELECT id, customer_id FROM devices WHERE partner_id = $1 AND serial = $2",
            )
            .bind(&partner)
            .bind(serial)
            .fetch_one(&mut *tx)
            .await?;
            let device = (dev.try_get("id")?, dev.try_get("customer_id")?);
            let number = self
                .raise_auto_incident(&mut tx, partner_id, device, auto, &id.to_string(), now)
                .await?;
            incident = Some(number);
        }
        tx.commit().await?;
        Ok(Some(Raised {
            condition_id: id,
            raised: new.raise,
            incident,
        }))
    }

    async fn raise_condition(
        &self,
        partner_id: Uuid,
        condition_id: Uuid,
        auto: Option<&AutoIncident>,
    ) -> Result<Option<Raised>> {
        let now = self.ctx.clock.now();
        let partner = partner_id.to_string();
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE fleet_conditions SET raised_at = $1 WHERE id = $2 AND partner_id = $3 \
             AND raised_at IS NULL AND cleared_at IS NULL",
        )
        .bind(ms(now))
        .bind(condition_id.to_string())
        .bind(&partner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let mut incident = None;
        if let Some(auto) = auto {
            let dev = sqlx::query(
                "SELECT d.id, d.customer_id FROM fleet_conditions k JOIN devices d ON d.id = k.device_id WHERE k.id = $1",
            )
            .bind(condition_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(dev) = dev {
                let device = (dev.try_get("id")?, dev.try_get("customer_id")?);
                let number = self
                    .raise_auto_incident(
                        &mut tx,
                        partner_id,
                        device,
                        auto,
                        &condition_id.to_string(),
                        now,
                    )
                    .await?;
                incident = Some(number);
            }
        }
        tx.commit().await?;
        Ok(Some(Raised {
            condition_id,
            raised: true,
            incident,
        }))
    }

    async fn touch_condition(
        &self,
        partner_id: Uuid,
        condition_id: Uuid,
        seen_at: DateTime<Utc>,
        detail: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE fleet_conditions SET last_seen_at = $1, detail = $2 WHERE id = $3 AND partner_id = $4 \
             AND (last_seen_at < $1 OR detail <> $2)",
        )
        .bind(ms(seen_at))
        .bind(detail)
        .bind(condition_id.to_string())
        .bind(partner_id.to_string())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn clear_condition(
        &self,
        partner_id: Uuid,
        condition_id: Uuid,
        incident_to: IncidentStatus,
        comment: &str,
    ) -> Result<Option<Option<(IncidentNumber, IncidentStatus)>>> {
        let now = ms(self.ctx.clock.now());
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE fleet_conditions SET cleared_at = $1 WHERE id = $2 AND partner_id = $3 AND cleared_at IS NULL",
        )
        .bind(now)
        .bind(condition_id.to_string())
        .bind(partner_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let inc = sqlx::query(
            "SELECT i.id, i.number, i.status FROM fleet_conditions k JOIN incidents i ON i.id = k.incident_id \
             WHERE k.id = $1 AND i.status NOT IN ('closed', 'cancelled')",
        )
        .bind(condition_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let mut changed = None;
        if let Some(inc) = inc {
            let incident_id: String = inc.try_get("id")?;
            let from: String = inc.try_get("status")?;
            let number: String = inc.try_get("number")?;
            if from != incident_to.as_str() {
                sqlx::query(
                    "UPDATE incidents SET status = $1, updated_at = $2, \
                     closed_at = CASE WHEN $1 IN ('closed', 'cancelled') THEN $2 ELSE closed_at END WHERE id = $3",
                )
                .bind(incident_to.as_str())
                .bind(now)
                .bind(&incident_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO incident_events (id, incident_id, at, actor, from_status, to_status, comment) \
                     VALUES ($1, $2, $3, 'fleet', $4, $5, $6)",
                )
                .bind(self.ctx.ids.new_id().to_string())
                .bind(&incident_id)
                .bind(now)
                .bind(&from)
                .bind(incident_to.as_str())
                .bind(comment)
                .execute(&mut *tx)
                .await?;
                changed = Some((
                    IncidentNumber::parse(&number).map_err(|_| corrupt("number"))?,
                    incident_to,
                ));
            }
        }
        tx.commit().await?;
        Ok(Some(changed))
    }

    async fn take_lease(&self, name: &str, holder: &str, until: DateTime<Utc>) -> Result<bool> {
        let now = ms(self.ctx.clock.now());
        let n = sqlx::query(
            "INSERT INTO fleet_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE fleet_leases.holder = excluded.holder OR fleet_leases.expires_at <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(ms(until))
        .bind(now)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn create_webhook(
        &self,
        partner_id: Uuid,
        url: &str,
        secret: &str,
        events: &[String],
    ) -> Result<WebhookView> {
        let id = self.ctx.ids.new_id().to_string();
        let sealed = self.ctx.keys.encrypt(secret, &format!("{id}:webhook"))?;
        sqlx::query(
            "INSERT INTO webhooks (id, partner_id, url, secret, events, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(partner_id.to_string())
        .bind(url)
        .bind(sealed)
        .bind(events.join(","))
        .bind(ms(self.ctx.clock.now()))
        .execute(&self.writer)
        .await?;
        let r = sqlx::query("SELECT id, url, events, created_at FROM webhooks WHERE id = $1")
            .bind(&id)
            .fetch_one(&self.writer)
            .await?;
        webhook(&r)
    }

    async fn list_webhooks(&self, partner_id: Uuid) -> Result<Vec<WebhookView>> {
        let rows = sqlx::query(
            "SELECT id, url, events, created_at FROM webhooks WHERE partner_id = $1 AND deleted_at IS NULL \
             ORDER BY created_at, id",
        )
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(webhook).collect()
    }

    async fn delete_webhook(&self, partner_id: Uuid, id: Uuid) -> Result<()> {
        let now = ms(self.ctx.clock.now());
        let n = sqlx::query(
            "UPDATE webhooks SET deleted_at = $1 WHERE id = $2 AND partner_id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(partner_id.to_string())
        .execute(&self.writer)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("webhook"));
        }
        // Nothing more goes to a deleted hook.
        sqlx::query(
            "UPDATE notification_outbox SET failed_at = $1 WHERE webhook_id = $2 AND delivered_at IS NULL AND failed_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn enqueue_event(
        &self,
        partner_id: Uuid,
        event_id: Uuid,
        event_type: &str,
        body: &str,
    ) -> Result<u64> {
        let hooks = self.list_webhooks(partner_id).await?;
        let now = ms(self.ctx.clock.now());
        let mut n = 0;
        for h in hooks
            .iter()
            .filter(|h| h.events.is_empty() || h.events.iter().any(|e| e == event_type))
        {
            // One outbox row per (event, hook): the event id names it.
            let digest = <sha2::Sha256 as sha2::Digest>::digest(format!("{event_id}/{}", h.id));
            let id = uuid::Builder::from_random_bytes(digest[..16].try_into().unwrap_or_default())
                .into_uuid();
            n += sqlx::query(
                "INSERT INTO notification_outbox (id, partner_id, webhook_id, event_type, body, created_at, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(partner_id.to_string())
            .bind(h.id.to_string())
            .bind(event_type)
            .bind(body)
            .bind(now)
            .execute(&self.writer)
            .await?
            .rows_affected();
        }
        Ok(n)
    }

    async fn claim_deliveries(
        &self,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxItem>> {
        let now = ms(self.ctx.clock.now());
        let candidates = sqlx::query(
            "SELECT id FROM notification_outbox WHERE delivered_at IS NULL AND failed_at IS NULL \
             AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
             ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut items = Vec::new();
        for c in candidates {
            let id: String = c.try_get("id")?;
            // Compare-and-set: of two senders, one leases the row.
            let taken = sqlx::query(
                "UPDATE notification_outbox SET lease_until = $1 WHERE id = $2 AND delivered_at IS NULL \
                 AND failed_at IS NULL AND (lease_until IS NULL OR lease_until <= $3)",
            )
            .bind(ms(lease_until))
            .bind(&id)
            .bind(now)
            .execute(&self.writer)
            .await?
            .rows_affected();
            if taken == 0 {
                continue;
            }
            let r = sqlx::query(
                "SELECT o.id, o.partner_id, o.webhook_id, o.event_type, o.body, o.attempts, w.url, w.secret \
                 FROM notification_outbox o JOIN webhooks w ON w.id = o.webhook_id WHERE o.id = $1",
            )
            .bind(&id)
            .fetch_one(&self.writer)
            .await?;
            let webhook_id: String = r.try_get("webhook_id")?;
            let sealed: String = r.try_get("secret")?;
            items.push(OutboxItem {
                id: uuid(&id)?,
                partner_id: uuid(&r.try_get::<String, _>("partner_id")?)?,
                secret: self
                    .ctx
                    .keys
                    .decrypt(&sealed, &format!("{webhook_id}:webhook"))?,
                webhook_id: uuid(&webhook_id)?,
                url: r.try_get("url")?,
                event_type: r.try_get("event_type")?,
                body: r.try_get("body")?,
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
            });
        }
        Ok(items)
    }

    async fn finish_attempt(
        &self,
        item: &OutboxItem,
        status_code: Option<u16>,
        error: Option<&str>,
        outcome: AttemptOutcome,
    ) -> Result<()> {
        let now = ms(self.ctx.clock.now());
        let attempt = i64::from(item.attempts) + 1;
        let mut tx = self.writer.begin().await?;
        let (delivered, next, failed) = match outcome {
            AttemptOutcome::Delivered => (Some(now), now, None),
            AttemptOutcome::RetryAt(t) => (None, ms(t), None),
            AttemptOutcome::GiveUp => (None, now, Some(now)),
        };
        sqlx::query(
            "UPDATE notification_outbox SET attempts = $1, delivered_at = $2, next_attempt_at = $3, failed_at = $4, \
             lease_until = NULL WHERE id = $5",
        )
        .bind(attempt)
        .bind(delivered)
        .bind(next)
        .bind(failed)
        .bind(item.id.to_string())
        .execute(&mut *tx)
        .await?;
        let error: Option<String> = error.map(|e| e.chars().take(500).collect());
        sqlx::query(
            "INSERT INTO notification_deliveries (id, outbox_id, webhook_id, attempt, at, status_code, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.ctx.ids.new_id().to_string())
        .bind(item.id.to_string())
        .bind(item.webhook_id.to_string())
        .bind(attempt)
        .bind(now)
        .bind(status_code.map(i64::from))
        .bind(error)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_deliveries(
        &self,
        partner_id: Uuid,
        webhook_id: Uuid,
        limit: u32,
    ) -> Result<Vec<DeliveryView>> {
        let rows = sqlx::query(
            "SELECT o.id AS outbox_id, o.body, o.event_type, o.delivered_at, o.failed_at, l.attempt, l.at, l.status_code, l.error \
             FROM notification_deliveries l JOIN notification_outbox o ON o.id = l.outbox_id \
             WHERE o.partner_id = $1 AND l.webhook_id = $2 ORDER BY l.at DESC, l.attempt DESC LIMIT $3",
        )
        .bind(partner_id.to_string())
        .bind(webhook_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                let event_id = event_id_of(&body)?;
                let state = if r.try_get::<Option<i64>, _>("delivered_at")?.is_some() {
                    "delivered"
                } else if r.try_get::<Option<i64>, _>("failed_at")?.is_some() {
                    "failed"
                } else {
                    "pending"
                };
                Ok(DeliveryView {
                    event_id,
                    event_type: r.try_get("event_type")?,
                    attempt: u32::try_from(r.try_get::<i64, _>("attempt")?).unwrap_or(u32::MAX),
                    at: from_ms(r.try_get("at")?)?,
                    status_code: r
                        .try_get::<Option<i64>, _>("status_code")?
                        .and_then(|c| u16::try_from(c).ok()),
                    error: r.try_get("error")?,
                    state: state.into(),
                })
            })
            .collect()
    }
}
