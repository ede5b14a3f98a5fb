//! What every service's generic SQL store (`SqlStore<DB>` over SQLite and PostgreSQL) needs of
//! sqlx beyond its traits. The stores write their SQL once with `$N` placeholders (sqlx's SQLite
//! driver binds `$N` by number, as PostgreSQL does) and implement their storage traits once,
//! for every `DB` that meets the sqlx bounds they list. On PostgreSQL a service (or a test run)
//! may keep its tables in a schema of its own ([`create_schema`], [`drop_schema`]).

/// The rows a statement changed. sqlx gives each backend's result this as an inherent method
/// only, so a store generic over the database reads it through this trait.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}

/// The session settings every service's PostgreSQL connections start with (sent at connection,
/// so they hold on every connection of the pool, whatever the server's defaults).
/// `jit=off`: PostgreSQL compiles a query to machine code when its estimated cost passes
/// `jit_above_cost`, and a table no ANALYZE has seen yet (a fleet's first minutes) gives short
/// lookups estimates far above it. The compiling then takes longer than the query: 130-150 ms
/// for a supply-history query that runs in 76 ms (issue 12, EXPLAIN ANALYZE on PostgreSQL 15).
/// The services run short queries only, which JIT does not speed up.
pub fn service_session(
    options: sqlx::postgres::PgConnectOptions,
) -> sqlx::postgres::PgConnectOptions {
    options.options([("jit", "off")])
}

/// Whether `name` may name a PostgreSQL schema in SQL text without quoting: a lowercase letter or
/// `_`, then lowercase letters, digits and `_`, at most 63 bytes (PostgreSQL keeps
/// `NAMEDATALEN - 1` = 63 bytes of an identifier and cuts the rest; "Identifiers and Key Words"
/// in its manual). Tests give each run a schema of its own; services may be told one.
pub fn is_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

/// Creates `schema` if it does not exist, over one connection of `options` (the caller then
/// connects with `search_path` set to it). A name [`is_schema_name`] refuses is a configuration
/// error, as it is written into the SQL text.
pub async fn create_schema(
    options: &sqlx::postgres::PgConnectOptions,
    schema: &str,
) -> Result<(), sqlx::Error> {
    let schema = checked(schema)?;
    execute_once(options, format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await
}

/// Drops `schema` and everything in it, if it exists (tests clean up after themselves).
pub async fn drop_schema(
    options: &sqlx::postgres::PgConnectOptions,
    schema: &str,
) -> Result<(), sqlx::Error> {
    let schema = checked(schema)?;
    execute_once(options, format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await
}

fn checked(schema: &str) -> Result<&str, sqlx::Error> {
    if is_schema_name(schema) {
        Ok(schema)
    } else {
        Err(sqlx::Error::Configuration(
            format!(
                "schema name {schema:?} must be a lowercase letter or '_', then lowercase letters, digits and '_' (at most 63)"
            )
            .into(),
        ))
    }
}

async fn execute_once(
    options: &sqlx::postgres::PgConnectOptions,
    sql: String,
) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(options).await?;
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await?;
    conn.close().await
}

#[cfg(test)]
mod tests {
    use super::is_schema_name;

    #[test]
    fn schema_names_are_plain_lowercase_identifiers() {
        for good in ["gallery", "t_0123abcd", "_x", "login_9f"] {
            assert!(is_schema_name(good), "{good}");
        }
        let too_long = "a".repeat(64);
        for bad in [
            "",
            "1abc",
            "Gallery",
            "a-b",
            "a b",
            "a;drop",
            "\"q\"",
            "é",
            too_long.as_str(),
        ] {
            assert!(!is_schema_name(bad), "{bad:?}");
        }
        assert!(is_schema_name(&"a".repeat(63)));
    }
}
