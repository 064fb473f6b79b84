//! Start-up migrations: each service applies its ordered list of SQL migrations into its own
//! schema, and records them in `<schema>.schema_migrations`.
//!
//! All pending migrations of one run apply in a single transaction that first takes a
//! transaction-level advisory lock keyed by the schema name. Replicas starting together queue
//! on that lock; the first applies the migrations, the others then find nothing left to do.
//! A failing migration rolls the whole run back, and a crashed process releases the lock with
//! its connection. Migrations are append-only: an applied migration whose SQL changed is an
//! error. There are no down-migrations.

use tracing::info;

use crate::{Error, Result, SchemaName};

/// Name of the table, inside each migrated schema, that records applied migrations.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// First key of the advisory lock; the second is `hashtext(<schema>)`.
const LOCK_NAMESPACE: &str = "tern.schema_migrations";

/// One step of a service's schema: a version, a name for humans and the SQL to run.
///
/// The SQL runs with `search_path` set to the target schema, so it names tables without a
/// schema (`CREATE TABLE devices (...)`); it may hold several statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Version; strictly increasing along the list, never reused.
    pub version: i64,
    /// Short description, e.g. `devices`.
    pub name: &'static str,
    /// The SQL statements.
    pub sql: &'static str,
}

impl Migration {
    /// Returns the checksum recorded with the migration: FNV-1a 64 of its SQL, stable across
    /// builds and platforms.
    fn checksum(&self) -> i64 {
        let hash = self
            .sql
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        i64::from_ne_bytes(hash.to_ne_bytes())
    }
}

/// What one [`migrate`] call did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationReport {
    /// Versions applied by this call, in order.
    pub applied: Vec<i64>,
    /// Versions recorded in the schema that this code does not know: a newer release migrated
    /// the schema (normal during a rolling upgrade, as long as migrations stay compatible).
    pub unknown: Vec<i64>,
}

/// Applies every migration of `migrations` not yet recorded in `schema`, creating the schema
/// and its `schema_migrations` table first when needed.
///
/// Safe to call from many processes at once (see the module docs). Fails with
/// [`Error::MigrationsUnordered`] before touching the database when versions do not strictly
/// increase, with [`Error::MigrationChanged`] when an applied migration's SQL differs from the
/// recorded checksum, and with [`Error::MigrationFailed`] when a migration's SQL fails; nothing
/// of the run is committed then.
pub async fn migrate(
    pool: &deadpool_postgres::Pool,
    schema: &SchemaName,
    migrations: &[Migration],
) -> Result<MigrationReport> {
    for pair in migrations.windows(2) {
        if pair[1].version <= pair[0].version {
            return Err(Error::MigrationsUnordered {
                version: pair[1].version,
                previous: pair[0].version,
            });
        }
    }
    let mut client = pool.get().await.map_err(Error::Pool)?;
    let tx = client
        .transaction()
        .await
        .map_err(Error::query("begin migrations"))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
        &[&LOCK_NAMESPACE, &schema.as_str()],
    )
    .await
    .map_err(Error::query("lock migrations"))?;
    let table = schema.table(MIGRATIONS_TABLE);
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {table} (
             version bigint PRIMARY KEY,
             name text NOT NULL,
             checksum bigint NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         );"
    ))
    .await
    .map_err(Error::query("create migrations table"))?;
    let rows = tx
        .query(
            &format!("SELECT version, checksum FROM {table} ORDER BY version"),
            &[],
        )
        .await
        .map_err(Error::query("read applied migrations"))?;
    let recorded: Vec<(i64, i64)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();

    let mut report = MigrationReport::default();
    for &(version, _) in &recorded {
        if !migrations.iter().any(|m| m.version == version) {
            report.unknown.push(version);
        }
    }
    // Migrations see only their own schema (and pg_catalog), for this transaction only.
    tx.batch_execute(&format!("SET LOCAL search_path TO {schema}"))
        .await
        .map_err(Error::query("set search_path"))?;
    for migration in migrations {
        match recorded
            .iter()
            .find(|(version, _)| *version == migration.version)
        {
            Some(&(_, checksum)) if checksum == migration.checksum() => continue,
            Some(_) => {
                return Err(Error::MigrationChanged {
                    schema: schema.as_str().to_owned(),
                    version: migration.version,
                    name: migration.name,
                });
            }
            None => {}
        }
        let failed = |source| Error::MigrationFailed {
            schema: schema.as_str().to_owned(),
            version: migration.version,
            name: migration.name,
            source,
        };
        tx.batch_execute(migration.sql).await.map_err(failed)?;
        tx.execute(
            &format!("INSERT INTO {table} (version, name, checksum) VALUES ($1, $2, $3)"),
            &[&migration.version, &migration.name, &migration.checksum()],
        )
        .await
        .map_err(failed)?;
        report.applied.push(migration.version);
    }
    tx.commit()
        .await
        .map_err(Error::query("commit migrations"))?;
    if !report.applied.is_empty() {
        info!(schema = schema.as_str(), applied = ?report.applied, "schema migrated");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_fnv_1a_64_of_the_sql() {
        // FNV-1a 64 reference values from the algorithm's published test suite
        // (Fowler, Noll, Vo: "FNV hash" test vectors): "" and "a".
        let empty = Migration {
            version: 1,
            name: "x",
            sql: "",
        };
        let a = Migration { sql: "a", ..empty };
        assert_eq!(empty.checksum() as u64, 0xcbf2_9ce4_8422_2325);
        assert_eq!(a.checksum() as u64, 0xaf63_dc4c_8601_ec8c);
    }
}
