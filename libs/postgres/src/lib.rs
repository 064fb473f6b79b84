//! Tern's PostgreSQL plumbing: the connection pool, validated schema names and start-up
//! migrations.
//!
//! - [`build_pool`] turns the `[postgres]` config section into a `deadpool_postgres::Pool`.
//! - [`SchemaName`] is a checked SQL identifier, so services can put their schema into query
//!   text without quoting bugs or injection.
//! - [`migrate`] applies a service's [`Migration`]s into its schema under a PostgreSQL advisory
//!   lock, so any number of replicas can start at once; applied versions are recorded in
//!   `<schema>.schema_migrations`.
//! - Under the `testsuite` feature, [`testsuite`] gives tests a loopback pool and a unique
//!   throw-away schema each.
//!
//! This crate owns no tables and runs no queries of its own beyond migrations: each service
//! brings its own schema, migrations and store. It opens no TLS connections (see
//! [`Error::TlsUnsupported`]) and reads no environment.

mod error;
mod migrate;
mod pool;
mod schema;
#[cfg(feature = "testsuite")]
pub mod testsuite;

pub use error::{Error, Result};
pub use migrate::{MIGRATIONS_TABLE, Migration, MigrationReport, migrate};
pub use pool::build_pool;
pub use schema::SchemaName;

/// Re-export of the pool crate, so services name one version of its types.
pub use deadpool_postgres;
/// Re-export of the client crate, for row and error types.
pub use tokio_postgres;
