//! Storage of the fleet agent's data, on both backends: one trait ([`FleetStorage`], a supertrait
//! of [`crate::storage::Storage`]) and one body of SQL (`fleet_store!`, instantiated next to
//! `sql_store!` for `SqliteStore` and `PgStore`). Every query takes the partner id or the agent id.

use chrono::{DateTime, Utc};
use proto::fleet::{AgentView, Reading, ReadingOutcome, StoredReading};
use uuid::Uuid;

use crate::storage::Result;

/// An agent found by its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentIdentity {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
}

/// What storing one reading did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub outcome: ReadingOutcome,
    pub new_device: bool,
    pub detail: Option<String>,
}

/// A device's last reading, for the console.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetDeviceSummary {
    pub serial: String,
    pub model: String,
    pub customer_name: String,
    pub is_new: bool,
    pub last: Option<StoredReading>,
}

#[async_trait::async_trait]
pub trait FleetStorage: Send + Sync + 'static {
    /// A new agent of `customer_id` waiting for enrolment with the token whose hash is given.
    async fn create_agent(
        &self,
        partner_id: Uuid,
        customer_id: Uuid,
        name: &str,
        enrol_token_hash: &str,
        enrol_expires_at: DateTime<Utc>,
    ) -> Result<AgentView>;
    /// Trades a valid, unused, unexpired enrolment token for a credential (stored as its hash).
    /// `None` when the token is unknown, used, expired or the agent revoked.
    async fn enroll_agent(
        &self,
        enrol_token_hash: &str,
        credential_hash: &str,
        version: &str,
        host: Option<&str>,
    ) -> Result<Option<AgentIdentity>>;
    /// The agent a credential belongs to, unless revoked; records the contact and version.
    async fn agent_for_credential(
        &self,
        credential_hash: &str,
        version: Option<&str>,
    ) -> Result<Option<AgentIdentity>>;
    async fn list_agents(&self, partner_id: Uuid) -> Result<Vec<AgentView>>;
    /// Revokes an agent: its credential and any enrolment token stop working at once.
    async fn revoke_agent(&self, partner_id: Uuid, agent_id: Uuid) -> Result<()>;
    /// Stores one reading of a batch (idempotent by reading id); creates an unknown device under the
    /// agent's customer, marked new.
    async fn ingest_reading(
        &self,
        agent: &AgentIdentity,
        batch_id: Uuid,
        reading: &Reading,
    ) -> Result<Ingested>;
    /// Records that a batch was received; false when it had been received before.
    async fn record_batch(
        &self,
        agent: &AgentIdentity,
        batch_id: Uuid,
        readings: u32,
    ) -> Result<bool>;
    /// A device's readings, newest first.
    async fn list_readings(
        &self,
        partner_id: Uuid,
        serial: &str,
        limit: u32,
    ) -> Result<Vec<StoredReading>>;
    /// Every device an agent reported, with its last reading.
    async fn fleet_devices(&self, partner_id: Uuid) -> Result<Vec<FleetDeviceSummary>>;
}

macro_rules! fleet_store {
    ($store:ident, $db:ty) => {
        const _: () = {
            use $crate::fleet::store::{AgentIdentity, FleetDeviceSummary, FleetStorage, Ingested};
            use $crate::storage::{Result, StorageError, from_ms, ms, uuid};
            use chrono::{DateTime, Utc};
            use proto::fleet::{AgentView, Reading, ReadingOutcome, StoredReading};
            use sqlx::Row;
            use uuid::Uuid;

            type DbRow = <$db as sqlx::Database>::Row;

            fn json_err(e: serde_json::Error) -> StorageError {
                StorageError::Corrupt(format!("reading: {e}"))
            }

            fn agent_view(r: &DbRow) -> Result<AgentView> {
                let revoked: Option<i64> = r.try_get("revoked_at")?;
                let credential: Option<String> = r.try_get("credential_hash")?;
                let state = if revoked.is_some() {
                    "revoked"
                } else if credential.is_some() {
                    "active"
                } else {
                    "waiting_enrolment"
                };
                Ok(AgentView {
                    id: uuid(&r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                    customer_id: uuid(&r.try_get::<String, _>("customer_id")?)?,
                    customer_name: r.try_get("customer_name")?,
                    state: state.to_string(),
                    version: r.try_get("version")?,
                    host: r.try_get("host")?,
                    last_contact_at: r
                        .try_get::<Option<i64>, _>("last_contact_at")?
                        .map(from_ms)
                        .transpose()?,
                    created_at: from_ms(r.try_get("created_at")?)?,
                })
            }

            fn identity_row(r: &DbRow) -> Result<AgentIdentity> {
                Ok(AgentIdentity {
                    id: uuid(&r.try_get::<String, _>("id")?)?,
                    partner_id: uuid(&r.try_get::<String, _>("partner_id")?)?,
                    customer_id: uuid(&r.try_get::<String, _>("customer_id")?)?,
                    customer_name: r.try_get("customer_name")?,
                })
            }

            const AGENT_SELECT: &str = "SELECT a.id, a.partner_id, a.customer_id, c.name AS customer_name, a.name, \
                a.credential_hash, a.revoked_at, a.version, a.host, a.last_contact_at, a.created_at \
                FROM agents a JOIN customers c ON c.id = a.customer_id";

            fn stored(r: &DbRow) -> Result<StoredReading> {
                let body: String = r.try_get("body")?;
                let reading: Reading = serde_json::from_str(&body).map_err(json_err)?;
                Ok(StoredReading {
                    reading_id: reading.reading_id,
                    agent_id: uuid(&r.try_get::<String, _>("agent_id")?)?,
                    serial: r.try_get("serial")?,
                    read_at: reading.read_at,
                    received_at: from_ms(r.try_get("received_at")?)?,
                    address: reading.address,
                    identity: reading.identity,
                    status: reading.status,
                    supplies: reading.supplies,
                    meters: reading.meters,
                    alerts: reading.alerts,
                })
            }

            #[async_trait::async_trait]
            impl FleetStorage for $store {
                async fn create_agent(
                    &self,
                    partner_id: Uuid,
                    customer_id: Uuid,
                    name: &str,
                    enrol_token_hash: &str,
                    enrol_expires_at: DateTime<Utc>,
                ) -> Result<AgentView> {
                    let id = self.ctx.ids.new_id().to_string();
                    let now = ms(self.ctx.clock.now());
                    let inserted = sqlx::query(
                        "INSERT INTO agents (id, partner_id, customer_id, name, enrol_token_hash, enrol_expires_at, created_at) \
                         SELECT $1, $2, c.id, $4, $5, $6, $7 FROM customers c WHERE c.id = $3 AND c.partner_id = $2",
                    )
                    .bind(&id)
                    .bind(partner_id.to_string())
                    .bind(customer_id.to_string())
                    .bind(name)
                    .bind(enrol_token_hash)
                    .bind(ms(enrol_expires_at))
                    .bind(now)
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
                    if inserted == 0 {
                        return Err(StorageError::NotFound("customer"));
                    }
                    let r = sqlx::query(sqlx::AssertSqlSafe(format!("{AGENT_SELECT} WHERE a.id = $1")))
                        .bind(&id)
                        .fetch_one(&self.writer)
                        .await?;
                    agent_view(&r)
                }

                async fn enroll_agent(
                    &self,
                    enrol_token_hash: &str,
                    credential_hash: &str,
                    version: &str,
                    host: Option<&str>,
                ) -> Result<Option<AgentIdentity>> {
                    let now = ms(self.ctx.clock.now());
                    // One statement: the token is used up by exactly one enrolment.
                    let row = sqlx::query(
                        "UPDATE agents SET enrol_token_hash = NULL, enrol_expires_at = NULL, credential_hash = $2, \
                         version = $3, host = $4, last_contact_at = $5 \
                         WHERE enrol_token_hash = $1 AND revoked_at IS NULL AND enrol_expires_at > $5 RETURNING id",
                    )
                    .bind(enrol_token_hash)
                    .bind(credential_hash)
                    .bind(version)
                    .bind(host)
                    .bind(now)
                    .fetch_optional(&self.writer)
                    .await?;
                    let Some(row) = row else { return Ok(None) };
                    let id: String = row.try_get("id")?;
                    let r = sqlx::query(
                        "SELECT a.id, a.partner_id, a.customer_id, c.name AS customer_name FROM agents a \
                         JOIN customers c ON c.id = a.customer_id WHERE a.id = $1",
                    )
                    .bind(&id)
                    .fetch_one(&self.writer)
                    .await?;
                    Ok(Some(identity_row(&r)?))
                }

                async fn agent_for_credential(
                    &self,
                    credential_hash: &str,
                    version: Option<&str>,
                ) -> Result<Option<AgentIdentity>> {
                    let r = sqlx::query(
                        "SELECT a.id, a.partner_id, a.customer_id, c.name AS customer_name FROM agents a \
                         JOIN customers c ON c.id = a.customer_id \
                         WHERE a.credential_hash = $1 AND a.revoked_at IS NULL",
                    )
                    .bind(credential_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                    let Some(r) = r else { return Ok(None) };
                    let agent = identity_row(&r)?;
                    sqlx::query(
                        "UPDATE agents SET last_contact_at = $2, version = COALESCE($3, version) WHERE id = $1",
                    )
                    .bind(agent.id.to_string())
                    .bind(ms(self.ctx.clock.now()))
                    .bind(version)
                    .execute(&self.writer)
                    .await?;
                    Ok(Some(agent))
                }

                async fn list_agents(&self, partner_id: Uuid) -> Result<Vec<AgentView>> {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{AGENT_SELECT} WHERE a.partner_id = $1 ORDER BY a.created_at, a.id"
                    )))
                    .bind(partner_id.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(agent_view).collect()
                }

                async fn revoke_agent(&self, partner_id: Uuid, agent_id: Uuid) -> Result<()> {
                    let n = sqlx::query(
                        "UPDATE agents SET revoked_at = COALESCE(revoked_at, $3), enrol_token_hash = NULL \
                         WHERE id = $1 AND partner_id = $2",
                    )
                    .bind(agent_id.to_string())
                    .bind(partner_id.to_string())
                    .bind(ms(self.ctx.clock.now()))
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Err(StorageError::NotFound("agent"));
                    }
                    Ok(())
                }

                async fn ingest_reading(
                    &self,
                    agent: &AgentIdentity,
                    batch_id: Uuid,
                    reading: &Reading,
                ) -> Result<Ingested> {
                    let partner = agent.partner_id.to_string();
                    let now = ms(self.ctx.clock.now());
                    let read_at = ms(reading.read_at);
                    let serial = reading.identity.serial.clone();
                    let mut tx = self.writer.begin().await?;
                    // Begin with a write (SQLite takes its lock up front): a new device is added
                    // under the agent's customer; a known one is left as it is.
                    let new_id = self.ctx.ids.new_id().to_string();
                    let model: String = reading.identity.model.clone().unwrap_or_default().chars().take(200).collect();
                    let created = sqlx::query(
                        "INSERT INTO devices (id, partner_id, customer_id, serial, model, location, created_at) \
                         VALUES ($1, $2, $3, $4, $5, '', $6) ON CONFLICT (partner_id, serial) DO NOTHING",
                    )
                    .bind(&new_id)
                    .bind(&partner)
                    .bind(agent.customer_id.to_string())
                    .bind(&serial)
                    .bind(&model)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    let dev = sqlx::query("SELECT id, customer_id FROM devices WHERE partner_id = $1 AND serial = $2")
                        .bind(&partner)
                        .bind(&serial)
                        .fetch_one(&mut *tx)
                        .await?;
                    let device_id: String = dev.try_get("id")?;
                    let customer: String = dev.try_get("customer_id")?;
                    if customer != agent.customer_id.to_string() {
                        tx.rollback().await?;
                        return Ok(Ingested {
                            outcome: ReadingOutcome::Rejected,
                            new_device: false,
                            detail: Some(format!(
                                "device {serial} belongs to another customer than the agent's"
                            )),
                        });
                    }
                    let body = serde_json::to_string(reading).map_err(json_err)?;
                    let inserted = sqlx::query(
                        "INSERT INTO fleet_readings (id, partner_id, device_id, agent_id, batch_id, read_at, received_at, \
                         address, device_status, printer_status, errors, body) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(reading.reading_id.to_string())
                    .bind(&partner)
                    .bind(&device_id)
                    .bind(agent.id.to_string())
                    .bind(batch_id.to_string())
                    .bind(read_at)
                    .bind(now)
                    .bind(&reading.address)
                    .bind(&reading.status.device)
                    .bind(&reading.status.printer)
                    .bind(reading.status.errors.join(","))
                    .bind(&body)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 0 {
                        tx.rollback().await?;
                        return Ok(Ingested {
                            outcome: ReadingOutcome::Duplicate,
                            new_device: false,
                            detail: None,
                        });
                    }
                    for s in &reading.supplies {
                        sqlx::query(
                            "INSERT INTO fleet_supply_levels (reading_id, device_id, supply_index, description, kind, class, \
                             colorant, level, max_capacity, percent, status, read_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
                        )
                        .bind(reading.reading_id.to_string())
                        .bind(&device_id)
                        .bind(&s.index)
                        .bind(&s.description)
                        .bind(&s.kind)
                        .bind(s.class.as_str())
                        .bind(&s.colorant)
                        .bind(s.level)
                        .bind(s.max_capacity)
                        .bind(s.percent.map(i64::from))
                        .bind(s.status.as_str())
                        .bind(read_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    for a in &reading.alerts {
                        sqlx::query(
                            "INSERT INTO fleet_alerts (reading_id, device_id, alert_index, severity, training_level, alert_group, \
                             code, code_name, description, device_time, read_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
                        )
                        .bind(reading.reading_id.to_string())
                        .bind(&device_id)
                        .bind(&a.index)
                        .bind(&a.severity)
                        .bind(&a.training_level)
                        .bind(&a.group)
                        .bind(a.code)
                        .bind(&a.code_name)
                        .bind(&a.description)
                        .bind(a.time.map(i64::from))
                        .bind(read_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    sqlx::query(
                        "INSERT INTO fleet_devices (device_id, partner_id, agent_id, is_new, first_seen_at, last_reading_id, last_read_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (device_id) DO UPDATE SET agent_id = excluded.agent_id, \
                         last_reading_id = CASE WHEN fleet_devices.last_read_at IS NULL OR excluded.last_read_at >= fleet_devices.last_read_at \
                           THEN excluded.last_reading_id ELSE fleet_devices.last_reading_id END, \
                         last_read_at = CASE WHEN fleet_devices.last_read_at IS NULL OR excluded.last_read_at >= fleet_devices.last_read_at \
                           THEN excluded.last_read_at ELSE fleet_devices.last_read_at END",
                    )
                    .bind(&device_id)
                    .bind(&partner)
                    .bind(agent.id.to_string())
                    .bind(i64::from(created))
                    .bind(now)
                    .bind(reading.reading_id.to_string())
                    .bind(read_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(Ingested {
                        outcome: ReadingOutcome::Stored,
                        new_device: created,
                        detail: None,
                    })
                }

                async fn record_batch(
                    &self,
                    agent: &AgentIdentity,
                    batch_id: Uuid,
                    readings: u32,
                ) -> Result<bool> {
                    let n = sqlx::query(
                        "INSERT INTO fleet_batches (agent_id, batch_id, readings, received_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(agent.id.to_string())
                    .bind(batch_id.to_string())
                    .bind(i64::from(readings))
                    .bind(ms(self.ctx.clock.now()))
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn list_readings(
                    &self,
                    partner_id: Uuid,
                    serial: &str,
                    limit: u32,
                ) -> Result<Vec<StoredReading>> {
                    let rows = sqlx::query(
                        "SELECT r.agent_id, r.received_at, r.body, d.serial FROM fleet_readings r \
                         JOIN devices d ON d.id = r.device_id \
                         WHERE r.partner_id = $1 AND d.partner_id = $1 AND d.serial = $2 \
                         ORDER BY r.read_at DESC, r.id DESC LIMIT $3",
                    )
                    .bind(partner_id.to_string())
                    .bind(serial)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(stored).collect()
                }

                async fn fleet_devices(&self, partner_id: Uuid) -> Result<Vec<FleetDeviceSummary>> {
                    let rows = sqlx::query(
                        "SELECT d.serial, d.model, c.name AS customer_name, f.is_new, r.agent_id, r.received_at, r.body \
                         FROM fleet_devices f JOIN devices d ON d.id = f.device_id JOIN customers c ON c.id = d.customer_id \
                         LEFT JOIN fleet_readings r ON r.id = f.last_reading_id \
                         WHERE f.partner_id = $1 ORDER BY c.name, d.serial",
                    )
                    .bind(partner_id.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            let body: Option<String> = r.try_get("body")?;
                            Ok(FleetDeviceSummary {
                                serial: r.try_get("serial")?,
                                model: r.try_get("model")?,
                                customer_name: r.try_get("customer_name")?,
                                is_new: r.try_get::<i64, _>("is_new")? != 0,
                                last: match body {
                                    Some(_) => Some(stored(r)?),
                                    None => None,
                                },
                            })
                        })
                        .collect()
                }
            }
        };
    };
}
pub(crate) use fleet_store;
