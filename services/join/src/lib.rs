//! Tern join server: answers OTAA join-requests and LoRaWAN 1.1 rejoin-requests on `js.join`.
//!
//! For each request it checks the MIC with the device's root key, rejects a reused DevNonce
//! (LoRaWAN 1.0.4 and 1.1: it must increase; 1.0.0 to 1.0.3: it must not be among the last
//! `join.dev_nonce_history` ones), allocates the next JoinNonce, builds and encrypts the
//! join-accept with the radio settings the network server chose, and answers with the network
//! session keys in plaintext and the AppSKey wrapped under the KEK for the application server.
//!
//! Root keys live in PostgreSQL (schema `join.schema`), wrapped under `join.kek`; reach them
//! through [`JoinStore`] ([`PgJoinStore`]). The join server keeps no session state and never
//! sees uplinks or downlinks; it holds no SNwkSIntKey, so rejoin-requests of type 0 and 2 are
//! MIC-checked by the network server before it asks.
//!
//! Entry point: [`run`]. Modules: `handler` (one request), `accept` (join-accept and keys),
//! `store` (root keys and nonces), `server` (the NATS loop), `metrics`.

mod accept;
mod error;
mod handler;
mod kek;
mod keys_api;
mod mac_version;
mod metrics;
mod server;
mod store;
#[cfg(feature = "testsuite")]
pub mod testsuite;

use std::sync::Arc;

use anyhow::Context as _;
use tern_bus::queue_group;
use tern_config::JoinConfig;
use tern_postgres::SchemaName;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tracing::info;

pub use error::{Error, Result};
pub use kek::Kek;
pub use mac_version::{MacVersion, UnknownMacVersion};
pub use store::{DeviceRootKeys, JoinRecord, JoinStore, NonceCheck, PgJoinStore};

use handler::Handler;
use metrics::JoinMetrics;
use server::Context;

/// Readiness component of the join service.
pub const COMPONENT: &str = "join";

/// What the join service needs from the process: shared connections and registries.
#[derive(Debug, Clone)]
pub struct JoinDeps {
    /// Bus to serve `js.join` on.
    pub bus: tern_bus::Bus,
    /// Pool of the database holding the join schema.
    pub pool: deadpool_postgres::Pool,
    /// Registry for `tern_join_*` metrics.
    pub metrics: Metrics,
    /// Readiness flags; component `join` is ready while `js.join` is served.
    pub readiness: Readiness,
}

/// Runs the join service until `shutdown`: checks the KEK, migrates the join schema,
/// serves root-key changes on `js.keys` (`keys_api`),
/// subscribes to `js.join` in queue group `join`, then answers requests.
///
/// Readiness component `join` turns true once subscribed and false when draining. On shutdown
/// the subscription drains, requests in flight finish, and `run` returns `Ok(())`; it does not
/// drain the shared bus or close the pool, which belong to the caller. Fails at start-up with
/// [`Error::KekMissing`] or [`Error::KekMalformed`] for a bad `join.kek`, and when the database
/// or NATS cannot be reached.
pub async fn run(config: &JoinConfig, deps: JoinDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    deps.readiness.set_ready(COMPONENT, false);
    let kek = Kek::from_config(config)?;
    let schema = SchemaName::new(&config.schema).context("join.schema")?;
    let store = PgJoinStore::new(deps.pool.clone(), schema, kek.clone());
    let start = async {
        store.migrate().await.context("migrate join schema")?;
        let subject = deps.bus.subjects().js_join();
        let keys_subject = deps.bus.subjects().js_keys();
        let keys = deps
            .bus
            .queue_subscribe_bytes(&keys_subject, queue_group::JOIN)
            .await
            .context("subscribe to js.keys")?;
        deps.bus
            .queue_subscribe_bytes(&subject, queue_group::JOIN)
            .await
            .context("subscribe to js.join")
            .map(|joins| (joins, keys))
    };
    let (subscription, keys_subscription) = tokio::select! {
        biased;
        () = shutdown.wait() => {
            info!("join service stopped before it started");
            return Ok(());
        }
        subscription = start => subscription?,
    };
    let keys_shutdown = shutdown.child();
    let keys_api = tokio::spawn(keys_api::serve(
        keys_subscription,
        store.clone(),
        keys_shutdown.clone(),
    ));
    let context = Arc::new(Context {
        handler: Handler::new(store, kek, config.dev_nonce_history),
        metrics: JoinMetrics::register(&deps.metrics),
        request_timeout: config.request_timeout,
    });
    let max_in_flight = usize::try_from(config.max_in_flight)
        .unwrap_or(usize::MAX)
        .max(1);
    deps.readiness.set_ready(COMPONENT, true);
    info!(
        schema = %config.schema,
        kek_label = %config.kek_label,
        max_in_flight,
        "join service ready"
    );
    let served = server::serve(
        subscription,
        context,
        max_in_flight,
        &deps.readiness,
        shutdown,
    )
    .await;
    // When `js.join` fails without a shutdown, `js.keys` stops with it.
    keys_shutdown.trigger();
    let keys_served = keys_api.await.context("js.keys task")?;
    served.and(keys_served)
}
