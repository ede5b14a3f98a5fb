//! What every service's generic SQL store (`SqlStore<DB>` over SQLite and PostgreSQL) needs of
//! sqlx beyond its traits. The stores write their SQL once with `$N` placeholders (sqlx's SQLite
//! driver binds `$N` by number, as PostgreSQL does) and implement their storage traits once,
//! for every `DB` that meets the sqlx bounds they list.

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
