//! Helpers for tests that talk to the loopback PostgreSQL server (feature `testsuite`).
//!
//! Each [`TestSchema`] has a fresh name, so tests sharing one database run in parallel without
//! seeing each other's tables. A test drops its schema with [`TestSchema::cleanup`]; a test that
//! panics leaves it behind, which is harmless (it is never reused).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use deadpool_postgres::Pool;
use tern_config::PostgresConfig;

use crate::{Error, Result, SchemaName, build_pool};

/// The database tests use: user `postgres` with trust authentication on the standard port on
/// loopback, database `tern`.
pub const TEST_POSTGRES_URL: &str = "postgresql://postgres@127.0.0.1:5432/tern";

/// Returns the `[postgres]` settings for the loopback test database.
pub fn test_config() -> PostgresConfig {
    PostgresConfig {
        url: TEST_POSTGRES_URL.to_owned(),
        pool_max_size: 8,
        ..PostgresConfig::default()
    }
}

/// Builds a pool for the loopback test database.
pub fn test_pool() -> Result<Pool> {
    build_pool(&test_config())
}

/// Returns a fresh schema name, `test_` followed by 16 random hex digits.
pub fn unique_schema_name() -> SchemaName {
    // Each `RandomState` carries distinct random keys; the clock and process id add entropy.
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    SchemaName::new(&format!("test_{:016x}", hasher.finish()))
        .expect("test_ plus hex digits is a valid schema name")
}

/// A unique schema name for one test, and the pool to drop it with.
///
/// The schema itself is created by whoever migrates into it (see [`crate::migrate`]).
#[derive(Debug)]
pub struct TestSchema {
    pool: Pool,
    name: SchemaName,
}

impl TestSchema {
    /// Reserves a fresh schema name on `pool`'s database.
    pub fn new(pool: &Pool) -> TestSchema {
        TestSchema {
            pool: pool.clone(),
            name: unique_schema_name(),
        }
    }

    /// Returns the schema name.
    pub fn name(&self) -> &SchemaName {
        &self.name
    }

    /// Drops the schema and everything in it, if it exists.
    pub async fn cleanup(self) -> Result<()> {
        let client = self.pool.get().await.map_err(Error::Pool)?;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
            .await
            .map_err(Error::query("drop test schema"))
    }
}
