//! Tern identity service: the registry (tenants, users, API keys, applications, device
//! profiles, devices, gateways) in PostgreSQL schema `identity`, and the public gRPC API of
//! package `tern.api.v1` over it, with server reflection and the gRPC health service.
//!
//! Every call authenticates an API key (`authorization: Bearer <key>`) and is checked against
//! the key's tenant and rights (`auth`). Every change publishes a `RegistryEvent` on
//! `registry.{kind}.{id}.{created,updated,deleted}` (`events`). The first start against an
//! empty schema creates an admin user and key (`Store::bootstrap`).
//!
//! The service owns no session state and serves no radio traffic; other services learn of
//! registry changes from the events and, for devices, from `ns.device` and `as.device`
//! requests (`grpc/provision.rs`), never from these tables.
//!
//! Entry points: [`run`], and [`prepare`] for a binary that wants the bootstrap key before
//! serving. Modules: `store` (tables and queries), `grpc` (handlers), `auth`, `validate`,
//! `events`, `error`, and `live` (the application event stream, downlink forwarding and the
//! gateway status heard on the bus).

mod auth;
mod error;
mod events;
mod grpc;
mod kek;
mod live;
mod metrics;
mod store;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod validate;

use anyhow::Context as _;
use tern_config::IdentityConfig;
use tern_postgres::SchemaName;
use tern_telemetry::{Readiness, Shutdown};
use tokio::net::TcpListener;
use tracing::info;

pub use auth::{Caller, Right};
pub use error::{Error, Result};
pub use events::{Events, kind};
pub use grpc::{SERVICE_NAMES, bind};
pub use metrics::IdentityMetrics;
pub use store::{ApiKeySecret, BootstrapKey, ListFilter, Page, Store};
pub use validate::is_slug;

/// Readiness component of the identity service.
pub const COMPONENT: &str = "identity";

/// What the identity service needs from the process.
#[derive(Debug, Clone)]
pub struct IdentityDeps {
    /// Bus for registry events.
    pub bus: tern_bus::Bus,
    /// Pool of the database holding the identity schema.
    pub pool: deadpool_postgres::Pool,
    /// Registry for `tern_identity_*` metrics.
    pub metrics: tern_telemetry::Metrics,
    /// Readiness flags; component `identity` is ready while the API serves.
    pub readiness: Readiness,
}

/// Migrates the identity schema and, on the first start against it, creates the admin user
/// and API key; returns the key only from the call that created it.
///
/// `tern serve` calls this before [`run`] to print the key on stdout; `run` calls it again,
/// which then does nothing.
pub async fn prepare(
    config: &IdentityConfig,
    pool: &deadpool_postgres::Pool,
) -> anyhow::Result<Option<BootstrapKey>> {
    let schema = SchemaName::new(&config.schema).context("identity.schema")?;
    let store = Store::new(pool.clone(), schema);
    store.migrate().await.context("migrate identity schema")?;
    let key = store
        .bootstrap(&config.bootstrap_admin_username)
        .await
        .context("bootstrap admin user")?;
    if let Some(key) = &key {
        // The one moment this key exists in plaintext; a replica started without `tern serve`
        // has no other way to hand it to the operator.
        info!(
            username = %key.username,
            api_key = %key.key,
            "bootstrap admin user and api key created; this key is shown only once"
        );
    }
    Ok(key)
}

/// Runs the identity service until `shutdown`: migrates and bootstraps the schema, binds the
/// gRPC API on `identity.listen` and serves it.
///
/// Readiness component `identity` turns true once the API listens and false on shutdown;
/// calls in flight finish before `run` returns `Ok(())`. Fails at start-up when the schema
/// name is invalid, the database cannot be reached or the address cannot be bound.
pub async fn run(
    config: &IdentityConfig,
    deps: IdentityDeps,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let listener = bind(config.listen).await?;
    serve_on(listener, config, deps, shutdown).await
}

/// Runs the identity service like [`run`], on a listener the caller bound (tests bind
/// `127.0.0.1:0`).
pub async fn serve_on(
    listener: TcpListener,
    config: &IdentityConfig,
    deps: IdentityDeps,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    deps.readiness.set_ready(COMPONENT, false);
    let schema = SchemaName::new(&config.schema).context("identity.schema")?;
    let kek = kek::Kek::from_config(config)?;
    tokio::select! {
        biased;
        () = shutdown.wait() => {
            info!("identity service stopped before it started");
            return Ok(());
        }
        prepared = prepare(config, &deps.pool) => { prepared?; }
    }
    let (live, live_task) = live::Live::start(config, deps.bus.clone(), shutdown.clone()).await?;
    let api = grpc::Api {
        store: Store::new(deps.pool.clone(), schema),
        events: Events::new(deps.bus.clone()),
        live,
        kek,
    };
    let local = listener.local_addr().context("identity api address")?;
    deps.readiness.set_ready(COMPONENT, true);
    info!(listen = %local, schema = %config.schema, "identity service ready");
    let metrics = IdentityMetrics::register(&deps.metrics);
    let res = grpc::serve(listener, api, metrics, shutdown).await;
    deps.readiness.set_ready(COMPONENT, false);
    if res.is_err() {
        // The task otherwise waits for a shutdown that a failed server may never see.
        live_task.abort();
    }
    match live_task.await {
        Err(error) if !error.is_cancelled() => {
            tracing::warn!(error = %error, "gateway status task ended abnormally");
        }
        _ => {}
    }
    info!("identity service stopped");
    res
}
