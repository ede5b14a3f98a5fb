//! The SQL both backends share, and the one store that runs it: [`SqlStore`], generic over the
//! sqlx database ([`super::SqliteStore`] and [`super::PgStore`] are its two instances).
//! Placeholders are `$N` (sqlx's SQLite driver binds them by number too), times are BIGINT
//! milliseconds, ids are UUID text, so one body of code serves both. Write transactions start
//! with a write, so SQLite takes its write lock up front (no read-to-write upgrade that could
//! fail with BUSY).

use super::{
    Created, Customer, Device, Idempotency, Incident, IncidentFilter, MeterRead, MeterValue,
    NewDevice, NewIncident, NewMeterRead, Partner, Result, Role, Session, StatusChange, Storage,
    StoreContext, StoreError, User, from_ms, ms, uuid,
};
use crate::crypto::KeyRing;
use crate::domain::{
    Contact, ContactName, DeviceSerial, EmailAddress, IncidentKind, IncidentNumber, IncidentStatus,
    Label, MeterReadNumber, MeterSource, PhoneNumber,
};
use chrono::{DateTime, Datelike, Utc};
use platform::sql::RowsAffected;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

/// The manager's store on one sqlx database: `SqliteStore` or `PgStore`. Every storage trait
/// is implemented once for `SqlStore<DB>`, for each `DB` that meets the sqlx bounds its queries
/// need (both backends do).
pub struct SqlStore<DB: sqlx::Database> {
    /// Readers (on SQLite, WAL lets them run beside the writer).
    pub(crate) pool: sqlx::Pool<DB>,
    /// The pool for writes: on SQLite one connection (SQLite has one writer at a time anyway,
    /// and queueing in process is fairer and faster than many connections sleeping in the busy
    /// handler); on PostgreSQL the same pool as `pool`, as it runs concurrent writers itself.
    pub(crate) writer: sqlx::Pool<DB>,
    pub(crate) ctx: StoreContext,
}

impl<DB: sqlx::Database> std::fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &DB::NAME)
            .finish()
    }
}

/// Whether `DB` is PostgreSQL: for the few statements whose best form differs between the two
/// backends (each says why where it branches).
pub(crate) fn is_postgres<DB: sqlx::Database>() -> bool {
    DB::NAME == "PostgreSQL"
}

/// On PostgreSQL, a `SELECT` of the rows bound as `$1`: one JSON array holding each row as an
/// array of its values in column order, `types` the columns' SQL types (`text`, `bigint`). One
/// statement and one parameter for any number of rows, where a VALUES list binds each value
/// (chunked under [`crate::fleet::store::MAX_PARAMS`]): PostgreSQL 15 inserted 8 000 supply levels
/// this way in 56 ms, against 116-132 ms as a VALUES list (psql, same table, issue 12). SQLite
/// keeps VALUES lists: its `json_each` took twice as long as them (Python's SQLite 3.40).
pub(crate) fn pg_json_rows(types: &[&str]) -> String {
    let columns: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| match *t {
            "text" => format!("e->>{i}"),
            t => format!("CAST(e->>{i} AS {t})"),
        })
        .collect();
    format!(
        "SELECT {} FROM jsonb_array_elements(CAST($1 AS jsonb)) AS e",
        columns.join(", ")
    )
}

/// Columns and joins to read an incident.
pub(crate) const INCIDENT_SELECT: &str = "SELECT i.id, i.number, i.partner_id, i.customer_id, \
    c.name AS customer_name, d.serial, i.kind, i.issue_code, i.description, i.supplies, \
    i.contact_name, i.contact_email, i.contact_phone, i.status, i.created_at, i.updated_at, \
    i.closed_at, i.source FROM incidents i JOIN devices d ON d.id = i.device_id \
    JOIN customers c ON c.id = i.customer_id";

/// Like `INCIDENT_SELECT` without contact details: lists neither need nor decrypt them.
pub(crate) const INCIDENT_SUMMARY_SELECT: &str = "SELECT i.id, i.number, i.partner_id, i.customer_id, \
    c.name AS customer_name, d.serial, i.kind, i.issue_code, i.description, i.supplies, \
    CAST(NULL AS TEXT) AS contact_name, CAST(NULL AS TEXT) AS contact_email, \
    CAST(NULL AS TEXT) AS contact_phone, i.status, i.created_at, i.updated_at, \
    i.closed_at, i.source FROM incidents i JOIN devices d ON d.id = i.device_id \
    JOIN customers c ON c.id = i.customer_id";

pub(crate) const DEVICE_SELECT: &str = "SELECT d.id, d.partner_id, d.customer_id, c.name AS customer_name, \
    d.serial, d.model, d.location, d.created_at FROM devices d JOIN customers c ON c.id = d.customer_id";

/// A value to bind in a query built at run time.
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// How a supply incident's supplies are kept in the `supplies` column (JSON). A storage row of
/// its own, so the API type (`proto::manager::SupplyItem`) can change without touching rows.
#[derive(serde::Serialize, serde::Deserialize)]
struct SupplyRow {
    description: String,
    #[serde(default)]
    part_number: Option<String>,
    #[serde(default)]
    colorant: Option<String>,
    #[serde(default)]
    level_percent: Option<u8>,
}

pub(crate) fn supplies_to_json(items: &[super::SupplyItem]) -> Option<String> {
    let rows: Vec<SupplyRow> = items
        .iter()
        .map(|s| SupplyRow {
            description: s.description.clone(),
            part_number: s.part_number.clone(),
            colorant: s.colorant.clone(),
            level_percent: s.level_percent,
        })
        .collect();
    serde_json::to_string(&rows).ok()
}

pub(crate) fn supplies_from_json(text: &str) -> Option<Vec<super::SupplyItem>> {
    let rows: Vec<SupplyRow> = serde_json::from_str(text).ok()?;
    Some(
        rows.into_iter()
            .map(|r| super::SupplyItem {
                description: r.description,
                part_number: r.part_number,
                colorant: r.colorant,
                level_percent: r.level_percent,
            })
            .collect(),
    )
}

/// Reads a column of a row of either backend (the row mapping below is written once, as plain
/// functions, instead of once per backend inside `sql_store!`).
/// Appends `(v1, v2, …)`, each value bound: the list of an `IN`.
pub(crate) fn push_list<'t, DB, T>(
    q: &mut sqlx::QueryBuilder<DB>,
    values: impl IntoIterator<Item = T>,
) where
    DB: sqlx::Database,
    T: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push("(");
    let mut list = q.separated(", ");
    for value in values {
        list.push_bind(value);
    }
    list.push_unseparated(")");
}

pub(crate) trait Columns {
    fn text(&self, column: &str) -> Result<String>;
    fn opt_text(&self, column: &str) -> Result<Option<String>>;
    fn int(&self, column: &str) -> Result<i64>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>>;
}

impl<R> Columns for R
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn text(&self, column: &str) -> Result<String> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn int(&self, column: &str) -> Result<i64> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        Ok(self.try_get(column)?)
    }
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn device_from_row(r: &impl Columns) -> Result<Device> {
    Ok(Device {
        id: uuid(&r.text("id")?)?,
        partner_id: uuid(&r.text("partner_id")?)?,
        customer_id: uuid(&r.text("customer_id")?)?,
        customer_name: r.text("customer_name")?,
        serial: DeviceSerial::parse(&r.text("serial")?).map_err(|_| corrupt("serial"))?,
        model: r.text("model")?,
        location: r.text("location")?,
        created_at: from_ms(r.int("created_at")?)?,
    })
}

fn decrypt_opt(keys: &KeyRing, v: Option<String>, ctx: &str) -> Result<Option<String>> {
    v.map(|s| keys.decrypt(&s, ctx))
        .transpose()
        .map_err(StoreError::from)
}

pub(crate) fn incident_from_row(keys: &KeyRing, r: &impl Columns) -> Result<Incident> {
    let id_text = r.text("id")?;
    let name = decrypt_opt(
        keys,
        r.opt_text("contact_name")?,
        &format!("{id_text}:name"),
    )?;
    let email = decrypt_opt(
        keys,
        r.opt_text("contact_email")?,
        &format!("{id_text}:email"),
    )?;
    let phone = decrypt_opt(
        keys,
        r.opt_text("contact_phone")?,
        &format!("{id_text}:phone"),
    )?;
    let contact = match (name, email) {
        (Some(n), Some(e)) => Some(Contact {
            name: ContactName::parse(&n).map_err(|_| corrupt("contact name"))?,
            email: EmailAddress::parse(&e).map_err(|_| corrupt("contact email"))?,
            phone: phone
                .map(|p| PhoneNumber::parse(&p))
                .transpose()
                .map_err(|_| corrupt("contact phone"))?,
        }),
        _ => None,
    };
    Ok(Incident {
        id: uuid(&id_text)?,
        number: IncidentNumber::parse(&r.text("number")?).map_err(|_| corrupt("number"))?,
        partner_id: uuid(&r.text("partner_id")?)?,
        customer_id: uuid(&r.text("customer_id")?)?,
        customer_name: r.text("customer_name")?,
        device_serial: DeviceSerial::parse(&r.text("serial")?).map_err(|_| corrupt("serial"))?,
        kind: IncidentKind::parse(&r.text("kind")?).map_err(|_| corrupt("kind"))?,
        issue_code: r.opt_text("issue_code")?,
        description: r.text("description")?,
        supplies: supplies_from_json(&r.text("supplies")?).ok_or_else(|| corrupt("supplies"))?,
        contact,
        status: IncidentStatus::parse(&r.text("status")?).map_err(|_| corrupt("status"))?,
        source: proto::IncidentSource::parse(&r.text("source")?).map_err(|_| corrupt("source"))?,
        created_at: from_ms(r.int("created_at")?)?,
        updated_at: from_ms(r.int("updated_at")?)?,
        closed_at: r.opt_int("closed_at")?.map(from_ms).transpose()?,
    })
}

pub(crate) fn user_from_row(r: &impl Columns) -> Result<User> {
    Ok(User {
        id: uuid(&r.text("id")?)?,
        partner_id: uuid(&r.text("partner_id")?)?,
        email: r.text("email")?,
        role: Role::parse(&r.text("role")?).ok_or_else(|| corrupt("role"))?,
        password_hash: r.text("password_hash")?,
    })
}

pub(crate) fn meter_value_from_row(r: &impl Columns) -> Result<MeterValue> {
    Ok(MeterValue {
        id: r.text("meter_id")?,
        name: r.text("name")?,
        value: r.int("value")?,
    })
}

/// A meter read row (`id, serial, read_at, source, meter_replacement, created_at`) and its meters.
pub(crate) fn meter_read_from_row(r: &impl Columns, meters: Vec<MeterValue>) -> Result<MeterRead> {
    Ok(MeterRead {
        id: uuid(&r.text("id")?)?,
        number: r
            .opt_text("number")?
            .as_deref()
            .and_then(|n| MeterReadNumber::parse(n).ok())
            .ok_or_else(|| corrupt("meter read number"))?,
        device_serial: DeviceSerial::parse(&r.text("serial")?).map_err(|_| corrupt("serial"))?,
        read_at: from_ms(r.int("read_at")?)?,
        source: MeterSource::parse(&r.text("source")?).map_err(|_| corrupt("source"))?,
        meter_replacement: r.int("meter_replacement")? != 0,
        meters,
        created_at: from_ms(r.int("created_at")?)?,
    })
}

fn bind_all<'q, DB>(
    mut q: sqlx::query::Query<'q, DB, DB::Arguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    DB: sqlx::Database,
    for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
        };
    }
    q
}

/// An incident to insert ([`SqlStore::insert_incident`]): one a person reported (sealed contact
/// details) or one the fleet raised (none).
pub(crate) struct IncidentRow<'a> {
    pub id: &'a str,
    pub partner_id: Uuid,
    pub customer_id: String,
    pub device_id: String,
    pub kind: IncidentKind,
    pub issue_code: Option<String>,
    pub description: String,
    pub supplies: &'a [super::SupplyItem],
    /// Name, e-mail and phone, each sealed with the key ring.
    pub contact: [Option<String>; 3],
    pub source: proto::IncidentSource,
    pub now: DateTime<Utc>,
}

// The SQL below is written once for both backends. The where clause is what the queries need of
// sqlx (both backends meet it); Rust does not carry a where clause from one impl to another, so
// each generic impl of the manager's storage states it again.
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
    /// The next number of the partner's year: one counter row per partner and year, taken in the
    /// incident's transaction. Numbers count per partner (each starts at SR-YYYY-000001), so no
    /// partner learns another's volume; gapless (a rolled back create gives its number back).
    pub(crate) async fn next_seq(
        tx: &mut sqlx::Transaction<'_, DB>,
        counter: super::Counter,
        partner_id: Uuid,
        year: i32,
    ) -> Result<i64> {
        let row = sqlx::query(counter.next_sql())
            .bind(partner_id.to_string())
            .bind(i64::from(year))
            .bind(1_i64)
            .fetch_one(&mut **tx)
            .await?;
        Ok(row.try_get("last_seq")?)
    }

    /// Numbers an incident from the partner's counter and inserts it (status `open`) with its
    /// first history entry by `actor`, in `tx`: the one place an incident row is written, for
    /// the ones people report and the ones the fleet raises.
    pub(crate) async fn insert_incident(
        &self,
        tx: &mut sqlx::Transaction<'_, DB>,
        row: &IncidentRow<'_>,
        actor: &str,
        comment: &str,
    ) -> Result<IncidentNumber> {
        let year = row.now.year();
        let seq = Self::next_seq(tx, super::Counter::Incident, row.partner_id, year).await?;
        let number = IncidentNumber::new(year, seq)
            .map_err(|e| StoreError::Conflict(format!("incident number: {e}")))?;
        let supplies = supplies_to_json(row.supplies).ok_or_else(|| corrupt("supplies"))?;
        let [name, email, phone] = &row.contact;
        sqlx::query(
            "INSERT INTO incidents (id, number, partner_id, customer_id, device_id, kind, issue_code, \
             description, supplies, contact_name, contact_email, contact_phone, status, created_at, updated_at, source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $13, $14)",
        )
        .bind(row.id)
        .bind(number.to_string())
        .bind(row.partner_id.to_string())
        .bind(&row.customer_id)
        .bind(&row.device_id)
        .bind(row.kind.as_str())
        .bind(&row.issue_code)
        .bind(&row.description)
        .bind(supplies)
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(ms(row.now))
        .bind(row.source.as_str())
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO incident_events (id, incident_id, at, actor, from_status, to_status, comment) \
             VALUES ($1, $2, $3, $4, NULL, 'open', $5)",
        )
        .bind(self.ctx.ids.new_id().to_string())
        .bind(row.id)
        .bind(ms(row.now))
        .bind(actor)
        .bind(comment)
        .execute(&mut **tx)
        .await?;
        Ok(number)
    }

    async fn device_row(&self, partner_id: Uuid, serial: &DeviceSerial) -> Result<Device> {
        self.device_by_serial(partner_id, serial)
            .await?
            .ok_or(StoreError::NotFound("device"))
    }

    async fn device_by_serial(
        &self,
        partner_id: Uuid,
        serial: &DeviceSerial,
    ) -> Result<Option<Device>> {
        let sql = format!("{DEVICE_SELECT} WHERE d.partner_id = $1 AND d.serial = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(partner_id.to_string())
            .bind(serial.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(device_from_row).transpose()
    }

    async fn incident_by_id(&self, id: &str) -> Result<Incident> {
        let sql = format!("{INCIDENT_SELECT} WHERE i.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        incident_from_row(&self.ctx.keys, &row)
    }

    async fn meter_read_by_id(&self, id: &str) -> Result<MeterRead> {
        let row = sqlx::query(
            "SELECT r.id, r.number, d.serial, r.read_at, r.source, r.meter_replacement, r.created_at \
             FROM meter_reads r JOIN devices d ON d.id = r.device_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let mut reads = self.meter_reads_from_rows(vec![row]).await?;
        reads.pop().ok_or(StoreError::NotFound("meter read"))
    }

    async fn meter_reads_from_rows(&self, rows: Vec<DB::Row>) -> Result<Vec<MeterRead>> {
        let mut reads = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get("id")?;
            let values = sqlx::query(
                "SELECT meter_id, name, value FROM meter_values WHERE read_id = $1 ORDER BY meter_id",
            )
            .bind(&id)
            .fetch_all(&self.pool)
            .await?;
            let meters = values
                .iter()
                .map(meter_value_from_row)
                .collect::<Result<Vec<_>>>()?;
            reads.push(meter_read_from_row(&r, meters)?);
        }
        Ok(reads)
    }

    /// Claims the idempotency key for the resource `resource_id` about to be made in `tx`; false
    /// when the key was used before (the caller rolls back and replays the earlier resource).
    async fn claim_idempotency_key(
        &self,
        tx: &mut sqlx::Transaction<'_, DB>,
        partner_id: Uuid,
        operation: &str,
        idem: &Idempotency,
        resource_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (partner_id, operation, key, request_hash, resource_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(partner_id.to_string())
        .bind(operation)
        .bind(&idem.key)
        .bind(&idem.request_hash)
        .bind(resource_id)
        .bind(ms(now))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Looks up an earlier use of an idempotency key after our insert lost the race.
    async fn idempotent_replay(
        &self,
        partner_id: Uuid,
        operation: &str,
        idem: &Idempotency,
    ) -> Result<String> {
        let row = sqlx::query(
            "SELECT request_hash, resource_id FROM idempotency_keys \
             WHERE partner_id = $1 AND operation = $2 AND key = $3",
        )
        .bind(partner_id.to_string())
        .bind(operation)
        .bind(&idem.key)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::Conflict("idempotency key vanished; retry".into()))?;
        let hash: String = row.try_get("request_hash")?;
        if hash != idem.request_hash {
            return Err(StoreError::IdempotencyMismatch);
        }
        Ok(row.try_get("resource_id")?)
    }
}

#[async_trait::async_trait]
impl<DB> Storage for SqlStore<DB>
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
    // The other storage traits `Storage` extends, implemented (for the same backends) in
    // their own modules.
    Self: crate::fleet::FleetStorage
        + crate::fleet::devices::SupplyHistoryStorage
        + super::LoginAttemptStorage
        + crate::fleet::rules_store::FleetRulesStorage
        + crate::fleet::mail_store::MailNotifyStorage,
{
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_partner(&self, name: &Label) -> Result<Partner> {
        let p = Partner {
            id: self.ctx.ids.new_id(),
            name: name.as_str().to_string(),
            created_at: self.ctx.clock.now(),
        };
        sqlx::query("INSERT INTO partners (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(p.id.to_string())
            .bind(&p.name)
            .bind(ms(p.created_at))
            .execute(&self.writer)
            .await?;
        Ok(p)
    }

    async fn list_partners(&self) -> Result<Vec<Partner>> {
        let rows = sqlx::query("SELECT id, name, created_at FROM partners ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Partner {
                    id: uuid(&r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                    created_at: from_ms(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    async fn create_customer(&self, partner_id: Uuid, name: &Label) -> Result<Customer> {
        let c = Customer {
            id: self.ctx.ids.new_id(),
            partner_id,
            name: name.as_str().to_string(),
            created_at: self.ctx.clock.now(),
        };
        let res = sqlx::query(
            "INSERT INTO customers (id, partner_id, name, created_at) \
             SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM partners WHERE id = $2)",
        )
        .bind(c.id.to_string())
        .bind(partner_id.to_string())
        .bind(&c.name)
        .bind(ms(c.created_at))
        .execute(&self.writer)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound("partner"));
        }
        Ok(c)
    }

    async fn list_customers(&self, partner_id: Uuid) -> Result<Vec<Customer>> {
        let rows = sqlx::query(
            "SELECT id, partner_id, name, created_at FROM customers WHERE partner_id = $1 ORDER BY name",
        )
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Customer {
                    id: uuid(&r.try_get::<String, _>("id")?)?,
                    partner_id: uuid(&r.try_get::<String, _>("partner_id")?)?,
                    name: r.try_get("name")?,
                    created_at: from_ms(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    async fn create_device(&self, partner_id: Uuid, device: &NewDevice) -> Result<Device> {
        let id = self.ctx.ids.new_id();
        let res = sqlx::query(
            "INSERT INTO devices (id, partner_id, customer_id, serial, model, location, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE EXISTS (SELECT 1 FROM customers WHERE id = $3 AND partner_id = $2) \
             ON CONFLICT (partner_id, serial) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(partner_id.to_string())
        .bind(device.customer_id.to_string())
        .bind(device.serial.as_str())
        .bind(device.model.as_str())
        .bind(device.location.as_str())
        .bind(ms(self.ctx.clock.now()))
        .execute(&self.writer)
        .await?;
        if res.rows_affected() == 0 {
            return match self.get_device(partner_id, &device.serial).await? {
                Some(_) => Err(StoreError::Conflict(format!(
                    "a device with serial {} already exists",
                    device.serial
                ))),
                None => Err(StoreError::NotFound("customer")),
            };
        }
        self.device_row(partner_id, &device.serial).await
    }

    async fn get_device(&self, partner_id: Uuid, serial: &DeviceSerial) -> Result<Option<Device>> {
        self.device_by_serial(partner_id, serial).await
    }

    async fn list_devices(&self, partner_id: Uuid) -> Result<Vec<Device>> {
        let sql = format!("{DEVICE_SELECT} WHERE d.partner_id = $1 ORDER BY d.serial");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(partner_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(device_from_row).collect()
    }

    async fn create_api_key(&self, partner_id: Uuid, name: &Label, key_hash: &str) -> Result<Uuid> {
        let id = self.ctx.ids.new_id();
        let res = sqlx::query(
            "INSERT INTO api_keys (id, partner_id, name, key_hash, created_at) \
             SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM partners WHERE id = $2)",
        )
        .bind(id.to_string())
        .bind(partner_id.to_string())
        .bind(name.as_str())
        .bind(key_hash)
        .bind(ms(self.ctx.clock.now()))
        .execute(&self.writer)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound("partner"));
        }
        Ok(id)
    }

    async fn partner_for_api_key(&self, key_hash: &str) -> Result<Option<Uuid>> {
        let row = sqlx::query("SELECT partner_id FROM api_keys WHERE key_hash = $1")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| uuid(&r.try_get::<String, _>("partner_id")?))
            .transpose()
    }

    async fn create_user(
        &self,
        partner_id: Uuid,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<User> {
        let user = User {
            id: self.ctx.ids.new_id(),
            partner_id,
            email: email.trim().to_lowercase(),
            role,
            password_hash: password_hash.to_string(),
        };
        let res = sqlx::query(
            "INSERT INTO users (id, partner_id, email, password_hash, role, created_at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM partners WHERE id = $2) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(user.id.to_string())
        .bind(partner_id.to_string())
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(role.as_str())
        .bind(ms(self.ctx.clock.now()))
        .execute(&self.writer)
        .await?;
        if res.rows_affected() == 0 {
            return match self.find_user_by_email(&user.email).await? {
                Some(_) => Err(StoreError::Conflict(
                    "a user with this e-mail already exists".into(),
                )),
                None => Err(StoreError::NotFound("partner")),
            };
        }
        Ok(user)
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT id, partner_id, email, password_hash, role FROM users WHERE email = $1",
        )
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self, partner_id: Uuid) -> Result<Vec<User>> {
        let rows = sqlx::query(
            "SELECT id, partner_id, email, password_hash, role FROM users WHERE partner_id = $1 ORDER BY email",
        )
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: Uuid,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(csrf_token)
        .bind(ms(expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT u.id, u.partner_id, u.email, u.password_hash, u.role, s.csrf_token, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(ms(self.ctx.clock.now()))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Session {
            user: user_from_row(&r)?,
            csrf_token: r.try_get("csrf_token")?,
            expires_at: from_ms(r.try_get("expires_at")?)?,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn create_incident(
        &self,
        partner_id: Uuid,
        idem: &Idempotency,
        new: &NewIncident,
    ) -> Result<Created<Incident>> {
        let device = self.device_row(partner_id, &new.device_serial).await?;
        let now = self.ctx.clock.now();
        let id = self.ctx.ids.new_id().to_string();
        let mut tx = self.writer.begin().await?;
        // First statement is a write: it takes SQLite's write lock, and on PostgreSQL a
        // concurrent insert of the same key waits here until the other one commits.
        let claimed = self
            .claim_idempotency_key(&mut tx, partner_id, "create_incident", idem, &id, now)
            .await?;
        if !claimed {
            tx.rollback().await?;
            let earlier = self
                .idempotent_replay(partner_id, "create_incident", idem)
                .await?;
            return Ok(Created::Replayed(self.incident_by_id(&earlier).await?));
        }
        let keys = &self.ctx.keys;
        let c = &new.contact;
        let row = IncidentRow {
            id: &id,
            partner_id,
            customer_id: device.customer_id.to_string(),
            device_id: device.id.to_string(),
            kind: new.kind,
            issue_code: new.issue_code.as_ref().map(|c| c.as_str().to_string()),
            description: new.description.as_str().to_string(),
            supplies: &new.supplies,
            contact: [
                Some(keys.encrypt(c.name.expose(), &format!("{id}:name"))?),
                Some(keys.encrypt(c.email.expose(), &format!("{id}:email"))?),
                c.phone
                    .as_ref()
                    .map(|p| keys.encrypt(p.expose(), &format!("{id}:phone")))
                    .transpose()?,
            ],
            source: proto::IncidentSource::WalkUp,
            now,
        };
        self.insert_incident(&mut tx, &row, "api", "created")
            .await?;
        tx.commit().await?;
        Ok(Created::New(self.incident_by_id(&id).await?))
    }

    async fn get_incident(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
    ) -> Result<Option<Incident>> {
        let sql = format!("{INCIDENT_SELECT} WHERE i.partner_id = $1 AND i.number = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(partner_id.to_string())
            .bind(number.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| incident_from_row(&self.ctx.keys, &r))
            .transpose()
    }

    async fn list_device_incidents(
        &self,
        partner_id: Uuid,
        serial: &DeviceSerial,
        since: DateTime<Utc>,
    ) -> Result<Vec<Incident>> {
        let sql = format!(
            "{INCIDENT_SUMMARY_SELECT} WHERE i.device_id = \
             (SELECT id FROM devices WHERE partner_id = $1 AND serial = $2) \
             AND i.created_at >= $3 \
             ORDER BY i.created_at DESC, i.number DESC LIMIT 1000"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(partner_id.to_string())
            .bind(serial.as_str())
            .bind(ms(since))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| incident_from_row(&self.ctx.keys, r))
            .collect()
    }

    async fn search_incidents(
        &self,
        partner_id: Uuid,
        f: &IncidentFilter,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Incident>, u64)> {
        let mut cond = vec!["i.partner_id = $1".to_string()];
        let mut args = vec![Arg::Text(partner_id.to_string())];
        let mut push = |c: &str, a: Arg, args: &mut Vec<Arg>| {
            args.push(a);
            cond.push(c.replace('?', &format!("${}", args.len())));
        };
        if let Some(s) = f.status {
            push("i.status = ?", Arg::Text(s.as_str().into()), &mut args);
        }
        if let Some(k) = f.kind {
            push("i.kind = ?", Arg::Text(k.as_str().into()), &mut args);
        }
        if let Some(d) = &f.device {
            // By device id, so the (device_id, created_at) index is used.
            push(
                "i.device_id = (SELECT id FROM devices WHERE partner_id = $1 AND serial = ?)",
                Arg::Text(d.as_str().into()),
                &mut args,
            );
        }
        if let Some(c) = f.customer_id {
            push("i.customer_id = ?", Arg::Text(c.to_string()), &mut args);
        }
        if let Some(t) = f.from {
            push("i.created_at >= ?", Arg::Int(ms(t)), &mut args);
        }
        if let Some(t) = f.to {
            push("i.created_at < ?", Arg::Int(ms(t)), &mut args);
        }
        let where_ = cond.join(" AND ");
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM incidents i JOIN devices d ON d.id = i.device_id WHERE {where_}"
        );
        let count_args = args
            .iter()
            .map(|a| match a {
                Arg::Text(s) => Arg::Text(s.clone()),
                Arg::Int(i) => Arg::Int(*i),
            })
            .collect();
        let total: i64 = bind_all(sqlx::query(AssertSqlSafe(count_sql)), count_args)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let n = args.len();
        let sql = format!(
            "{INCIDENT_SUMMARY_SELECT} WHERE {where_} ORDER BY i.created_at DESC, i.number DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        args.push(Arg::Int(i64::from(limit)));
        args.push(Arg::Int(i64::from(offset)));
        let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), args)
            .fetch_all(&self.pool)
            .await?;
        let list = rows
            .iter()
            .map(|r| incident_from_row(&self.ctx.keys, r))
            .collect::<Result<Vec<_>>>()?;
        Ok((list, u64::try_from(total).unwrap_or_default()))
    }

    async fn ticket_reference(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT r.reference FROM incident_ticket_references r \
             JOIN incidents i ON i.id = r.incident_id \
             WHERE i.partner_id = $1 AND i.number = $2",
        )
        .bind(partner_id.to_string())
        .bind(number.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("reference")).transpose()?)
    }

    async fn set_ticket_reference(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO incident_ticket_references (incident_id, reference, set_at) \
             SELECT id, $3, $4 FROM incidents WHERE partner_id = $1 AND number = $2 \
             ON CONFLICT (incident_id) DO UPDATE \
             SET reference = excluded.reference, set_at = excluded.set_at",
        )
        .bind(partner_id.to_string())
        .bind(number.to_string())
        .bind(reference)
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn change_status(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
        to: IncidentStatus,
        actor: &str,
        comment: &str,
    ) -> Result<Incident> {
        let now = self.ctx.clock.now();
        let current = self
            .get_incident(partner_id, number)
            .await?
            .ok_or(StoreError::NotFound("incident"))?;
        if !current.status.can_become(to) {
            return Err(StoreError::InvalidTransition {
                from: current.status,
                to,
            });
        }
        let mut tx = self.writer.begin().await?;
        // Compare-and-set on the status: a concurrent change makes this update miss.
        let changed = sqlx::query(
            "UPDATE incidents SET status = $1, updated_at = $2, \
             closed_at = CASE WHEN $1 IN ('closed', 'cancelled') THEN $2 ELSE closed_at END \
             WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(ms(now))
        .bind(current.id.to_string())
        .bind(current.status.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(
                "the incident changed meanwhile; reload and try again".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO incident_events (id, incident_id, at, actor, from_status, to_status, comment) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.ctx.ids.new_id().to_string())
        .bind(current.id.to_string())
        .bind(ms(now))
        .bind(actor)
        .bind(current.status.as_str())
        .bind(to.as_str())
        .bind(comment)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.incident_by_id(&current.id.to_string()).await
    }

    async fn incident_history(
        &self,
        partner_id: Uuid,
        number: &IncidentNumber,
    ) -> Result<Vec<StatusChange>> {
        let rows = sqlx::query(
            "SELECT e.at, e.actor, e.from_status, e.to_status, e.comment FROM incident_events e \
             JOIN incidents i ON i.id = e.incident_id \
             WHERE i.partner_id = $1 AND i.number = $2 ORDER BY e.at, e.id",
        )
        .bind(partner_id.to_string())
        .bind(number.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StatusChange {
                    at: from_ms(r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                    from: r
                        .try_get::<Option<String>, _>("from_status")?
                        .map(|s| IncidentStatus::parse(&s))
                        .transpose()
                        .map_err(|_| corrupt("status"))?,
                    to: IncidentStatus::parse(&r.try_get::<String, _>("to_status")?)
                        .map_err(|_| corrupt("status"))?,
                    comment: r.try_get("comment")?,
                })
            })
            .collect()
    }

    async fn record_meter_read(
        &self,
        partner_id: Uuid,
        idem: &Idempotency,
        read: &NewMeterRead,
    ) -> Result<Created<MeterRead>> {
        let device = self.device_row(partner_id, &read.device_serial).await?;
        let now = self.ctx.clock.now();
        let id = self.ctx.ids.new_id().to_string();
        let device_id = device.id.to_string();
        let read_at = ms(read.read_at);
        let mut tx = self.writer.begin().await?;
        let claimed = self
            .claim_idempotency_key(&mut tx, partner_id, "record_meter_read", idem, &id, now)
            .await?;
        if !claimed {
            tx.rollback().await?;
            let earlier = self
                .idempotent_replay(partner_id, "record_meter_read", idem)
                .await?;
            return Ok(Created::Replayed(self.meter_read_by_id(&earlier).await?));
        }
        // Serialises reads of one device (row lock on PostgreSQL), so two concurrent
        // reads cannot both pass the monotonicity check against the same previous value.
        sqlx::query("UPDATE devices SET meter_version = meter_version + 1 WHERE id = $1")
            .bind(&device_id)
            .execute(&mut *tx)
            .await?;
        for m in &read.meters {
            let before = sqlx::query(
                "SELECT value FROM meter_values WHERE device_id = $1 AND meter_id = $2 AND read_at <= $3 \
                 ORDER BY read_at DESC LIMIT 1",
            )
            .bind(&device_id)
            .bind(&m.id)
            .bind(read_at)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = before {
                let previous: i64 = r.try_get("value")?;
                if m.value < previous && !read.meter_replacement {
                    tx.rollback().await?;
                    return Err(StoreError::MeterRollback {
                        meter_id: m.id.clone(),
                        previous,
                        value: m.value,
                    });
                }
            }
            let after = sqlx::query(
                "SELECT v.value, r.meter_replacement FROM meter_values v JOIN meter_reads r ON r.id = v.read_id \
                 WHERE v.device_id = $1 AND v.meter_id = $2 AND v.read_at > $3 ORDER BY v.read_at ASC LIMIT 1",
            )
            .bind(&device_id)
            .bind(&m.id)
            .bind(read_at)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = after {
                let later: i64 = r.try_get("value")?;
                let later_is_replacement = r.try_get::<i64, _>("meter_replacement")? != 0;
                if m.value > later && !later_is_replacement {
                    tx.rollback().await?;
                    return Err(StoreError::MeterAboveLater {
                        meter_id: m.id.clone(),
                        later,
                        value: m.value,
                    });
                }
            }
        }
        let seq =
            Self::next_seq(&mut tx, super::Counter::MeterRead, partner_id, now.year()).await?;
        let number = MeterReadNumber::new(now.year(), seq)
            .map_err(|e| StoreError::Conflict(format!("meter read number: {e}")))?;
        sqlx::query(
            "INSERT INTO meter_reads (id, number, partner_id, device_id, read_at, source, meter_replacement, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(number.to_string())
        .bind(partner_id.to_string())
        .bind(&device_id)
        .bind(read_at)
        .bind(read.source.as_str())
        .bind(i64::from(read.meter_replacement))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        for m in &read.meters {
            sqlx::query(
                "INSERT INTO meter_values (read_id, device_id, meter_id, name, value, read_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(&device_id)
            .bind(&m.id)
            .bind(&m.name)
            .bind(m.value)
            .bind(read_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Created::New(self.meter_read_by_id(&id).await?))
    }

    async fn list_meter_reads(
        &self,
        partner_id: Uuid,
        serial: &DeviceSerial,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<MeterRead>> {
        let rows = sqlx::query(
            "SELECT r.id, r.number, d.serial, r.read_at, r.source, r.meter_replacement, r.created_at \
             FROM meter_reads r JOIN devices d ON d.id = r.device_id \
             WHERE r.device_id = (SELECT id FROM devices WHERE partner_id = $1 AND serial = $2) \
             AND r.read_at >= $3 \
             ORDER BY r.read_at, r.id LIMIT $4",
        )
        .bind(partner_id.to_string())
        .bind(serial.as_str())
        .bind(ms(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.meter_reads_from_rows(rows).await
    }

    async fn remove_expired_contacts(&self, closed_before: DateTime<Utc>) -> Result<u64> {
        let res = sqlx::query(
            "UPDATE incidents SET contact_name = NULL, contact_email = NULL, contact_phone = NULL, \
             contact_removed_at = $1 \
             WHERE status IN ('closed', 'cancelled') AND closed_at < $2 AND contact_removed_at IS NULL",
        )
        .bind(ms(self.ctx.clock.now()))
        .bind(ms(closed_before))
        .execute(&self.writer)
        .await?;
        Ok(res.rows_affected())
    }

    #[cfg(feature = "test-hooks")]
    async fn raw_contact_columns(&self, number: &IncidentNumber) -> Result<Vec<Option<String>>> {
        let r = sqlx::query(
            "SELECT contact_name, contact_email, contact_phone FROM incidents WHERE number = $1",
        )
        .bind(number.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(vec![
            r.try_get("contact_name")?,
            r.try_get("contact_email")?,
            r.try_get("contact_phone")?,
        ])
    }
}
