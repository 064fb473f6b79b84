//! The crate's error type: configuration, pool and migration failures.
//!
//! Messages name what failed (the migration version, the schema) but never the connection
//! password, which only ever lives in `tokio_postgres::Config`.

/// Errors of pool building and migrations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `postgres.url` is not a connection string tokio-postgres understands.
    #[error("parse postgres url")]
    InvalidUrl(#[source] tokio_postgres::Error),
    /// The URL asks for TLS (`sslmode=require`), which this build does not offer.
    #[error("postgres url asks for sslmode=require, but TLS connections are not supported yet")]
    TlsUnsupported,
    /// The pool could not be built from the settings.
    #[error("build postgres pool")]
    BuildPool(#[source] deadpool_postgres::BuildError),
    /// No connection could be taken from the pool (database down, timeout).
    #[error("get postgres connection")]
    Pool(#[source] deadpool_postgres::PoolError),
    /// A statement failed.
    #[error("postgres {what}")]
    Query {
        /// What was being done, e.g. `lock migrations`.
        what: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A schema name is not a plain lowercase SQL identifier.
    #[error(
        "invalid schema name {name:?}: use 1 to 63 lowercase letters, digits and '_', \
         starting with a letter or '_', not starting with 'pg_'"
    )]
    InvalidSchemaName {
        /// The rejected name.
        name: String,
    },
    /// The migration list is not strictly increasing by version.
    #[error("migration versions must be strictly increasing: {version} follows {previous}")]
    MigrationsUnordered {
        /// The version out of order.
        version: i64,
        /// The version before it.
        previous: i64,
    },
    /// A migration's SQL failed; nothing of this run was committed.
    #[error("migration {version} ({name}) in schema {schema}")]
    MigrationFailed {
        /// Schema migrated.
        schema: String,
        /// Version of the failing migration.
        version: i64,
        /// Name of the failing migration.
        name: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A migration that was applied earlier has different SQL now: migrations are append-only.
    #[error(
        "migration {version} ({name}) in schema {schema} was changed after it was applied; \
         add a new migration instead"
    )]
    MigrationChanged {
        /// Schema migrated.
        schema: String,
        /// Version of the changed migration.
        version: i64,
        /// Name of the changed migration.
        name: &'static str,
    },
}

/// Result of this crate's operations.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps a driver error with what was being done.
    pub(crate) fn query(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
        move |source| Error::Query { what, source }
    }
}
