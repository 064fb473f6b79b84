//! Tern network server: deduplicates uplinks across gateways and replicas, checks MIC and
//! frame counter, keeps device sessions, handles OTAA joins through the join server, answers
//! confirmed uplinks with class A ACKs and a few MAC commands in FOpts.
//!
//! State: device sessions (active and, after a join, pending), the DevAddr index and dedup
//! lists in Redis (keys built only in `keys`), the network device registry in PostgreSQL
//! schema `network.schema` ([`DeviceRegistry`], [`PgDeviceRegistry`]), filled by the identity
//! service over `ns.device` (`device_api`). Bus: `up`, `ns.queue`, `ns.device` (queue group
//! `network`) and `gw.*.txack` in; `as.up`, `as.session`, `gw.{eui}.down` and `js.join`
//! requests out.
//!
//! Not here yet: MAC commands beyond LinkCheckReq, DeviceTimeReq and DevStatusReq, ADR
//! decisions, the application downlink queue (`ns.queue`), class C downlinks and
//! rejoin-requests.
//!
//! Gateway status (`gateway_status`): `gw.*.stats` in (queue group `network`), each
//! gateway's latest stats and last-seen time in Redis, `gw.{eui}.status` out when a gateway
//! starts or stops talking; silence is found by one replica elected through `leader`.
//! `ns.gateway_status` (queue group `network`) answers a gateway's stored status.
//!
//! Entry point: [`run`]. Modules: `server` (the NATS loop), `uplink` (data frames), `otaa`
//! (join-requests), `mac` (MAC command answers), `ack` (network downlink frames), `radio`
//! (windows and modulations), `dedup`, `session`, `registry`, `keys`, `metrics`,
//! `gateway_status`, `leader`.

mod class_c;
mod context;
mod data_down;
mod dedup;
mod device_api;
mod downlink;
mod error;
mod gateway_duty;
mod gateway_status;
mod keys;
pub mod leader;
mod mac;
mod mac_version;
mod metrics;
mod otaa;
mod queue;
mod queue_api;
mod radio;
mod registry;
mod schedule;
mod server;
mod session;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod unknown_addrs;
mod uplink;

use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use anyhow::Context as _;
use fred::prelude::{Builder, ClientLike, Config as RedisClientConfig};
use lorawan_codec::NetId;
use lorawan_crypto::FOptsScheme;
use tern_bus::queue_group;
use tern_config::{FOptsEncryption, NetworkConfig, RedisConfig};
use tern_postgres::SchemaName;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tracing::info;

pub use dedup::{Claim, Dedup, frame_hash};
pub use error::{Error, Result};
pub use keys::RedisKeys;
pub use leader::LeaderChoice;
pub use metrics::{GatewayMetrics, NetworkMetrics};
pub use registry::{
    Activation, DeviceRegistry, NetworkDevice, NetworkSessionKeys, PgDeviceRegistry,
};
pub use session::{SessionStore, StoredSession};

/// Readiness component of the network service.
pub const COMPONENT: &str = "network";

/// How long a dedup list outlives its window, so late copies are still recognised. It stays
/// below the earliest retransmission of a class A device (after RX2 and ACK_TIMEOUT, at least
/// 3 s, LoRaWAN 1.0.4 §18.1), which must get a fresh list.
const DEDUP_GRACE: Duration = Duration::from_secs(1);

/// What the network service needs from the process: shared connections and registries.
#[derive(Debug, Clone)]
pub struct NetworkDeps {
    /// Bus for `up`, `gw.*.txack`, `as.*`, `js.join` and `gw.{eui}.down`.
    pub bus: tern_bus::Bus,
    /// Redis pool for sessions and deduplication (see [`build_redis`]).
    pub redis: fred::clients::Pool,
    /// Prefix of every Redis key of the service (`redis.key_prefix`), travelling with `redis`.
    pub redis_key_prefix: String,
    /// Pool of the database holding the network schema.
    pub pool: deadpool_postgres::Pool,
    /// Registry for `tern_network_*` metrics.
    pub metrics: Metrics,
    /// Readiness flags; component `network` is ready while `up` is served.
    pub readiness: Readiness,
    /// How this replica takes part in electing the one that sweeps for silent gateways.
    pub leader: LeaderChoice,
}

/// Builds and connects the Redis pool described by `[redis]`.
///
/// Fails when the URL does not parse or the server cannot be reached within
/// `redis.connect_timeout`.
pub async fn build_redis(config: &RedisConfig) -> anyhow::Result<fred::clients::Pool> {
    let mut client_config = RedisClientConfig::from_url(&config.url).context("redis.url")?;
    if let Some(password) = &config.password {
        client_config.password = Some(password.expose().clone());
    }
    let connect_timeout = config.connect_timeout;
    let command_timeout = config.command_timeout;
    let pool = Builder::from_config(client_config)
        .with_connection_config(|connection| {
            connection.connection_timeout = connect_timeout;
        })
        .with_performance_config(|performance| {
            performance.default_command_timeout = command_timeout;
        })
        .build_pool(usize::try_from(config.pool_size).unwrap_or(1).max(1))
        .context("build redis pool")?;
    tokio::time::timeout(connect_timeout, pool.init())
        .await
        .context("connect to redis: timed out")?
        .context("connect to redis")?;
    Ok(pool)
}

/// Parses `network.net_id`.
fn net_id(config: &NetworkConfig) -> Result<NetId> {
    u32::from_str_radix(&config.net_id, 16)
        .ok()
        .and_then(|value| NetId::from_u32(value).ok())
        .ok_or_else(|| Error::NetId(config.net_id.clone()))
}

/// Runs the network service until `shutdown`: migrates the network schema, subscribes to `up`
/// in queue group `network` and to `gw.*.txack`, then handles uplinks.
///
/// Redis keys carry `deps.redis_key_prefix`. Readiness component `network`
/// turns true once subscribed and false when draining. On shutdown the subscriptions drain,
/// uplinks in flight finish, and `run` returns `Ok(())`; it does not close the shared bus,
/// Redis pool or database pool, which belong to the caller.
pub async fn run(
    config: &NetworkConfig,
    deps: NetworkDeps,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    deps.readiness.set_ready(COMPONENT, false);
    let net_id = net_id(config)?;
    let schema = SchemaName::new(&config.schema).context("network.schema")?;
    let registry = PgDeviceRegistry::new(deps.pool.clone(), schema);
    let start = async {
        registry.migrate().await.context("migrate network schema")?;
        let subjects = deps.bus.subjects();
        let uplinks = deps
            .bus
            .queue_subscribe(&subjects.up(), queue_group::NETWORK)
            .await
            .context("subscribe to up")?;
        let tx_acks = deps
            .bus
            .queue_subscribe(&subjects.gw_txack_all(), queue_group::NETWORK)
            .await
            .context("subscribe to gw.*.txack")?;
        let queue_requests = deps
            .bus
            .queue_subscribe(&subjects.ns_queue(), queue_group::NETWORK)
            .await
            .context("subscribe to ns.queue")?;
        let device_requests = deps
            .bus
            .queue_subscribe(&subjects.ns_device(), queue_group::NETWORK)
            .await
            .context("subscribe to ns.device")?;
        let gateway_stats = deps
            .bus
            .queue_subscribe(&subjects.gw_stats_all(), queue_group::NETWORK)
            .await
            .context("subscribe to gw.*.stats")?;
        let device_events = unknown_addrs::subscribe(&deps.bus).await?;
        let gateway_status_requests = deps
            .bus
            .queue_subscribe(&subjects.ns_gateway_status(), queue_group::NETWORK)
            .await
            .context("subscribe to ns.gateway_status")?;
        anyhow::Ok((
            uplinks,
            tx_acks,
            queue_requests,
            device_requests,
            (gateway_stats, gateway_status_requests),
            device_events,
        ))
    };
    let (
        uplinks,
        tx_acks,
        queue_requests,
        device_requests,
        (gateway_stats, gateway_status_requests),
        device_events,
    ) = tokio::select! {
        biased;
        () = shutdown.wait() => {
            info!("network service stopped before it started");
            return Ok(());
        }
        subscriptions = start => subscriptions?,
    };
    let keys = RedisKeys::new(&deps.redis_key_prefix);
    let gateway_status_shutdown = shutdown.child();
    let gateway_status = gateway_status::spawn(
        gateway_status::GatewayStatus {
            bus: deps.bus.clone(),
            store: gateway_status::GatewayStore::new(deps.redis.clone(), keys.clone()),
            metrics: GatewayMetrics::register(&deps.metrics),
            offline_after: config.gateway_offline_after,
            sweep_interval: config.gateway_sweep_interval,
            lease_duration: config.leader_lease_duration,
        },
        gateway_stats,
        gateway_status_requests,
        deps.leader.clone(),
        deps.redis.clone(),
        &keys,
        gateway_status_shutdown.clone(),
    );
    let unknown_addrs = Arc::new(unknown_addrs::UnknownAddrs::default());
    let unknown_addrs_task = tokio::spawn(unknown_addrs::follow(
        Arc::clone(&unknown_addrs),
        device_events,
        gateway_status_shutdown.clone(),
    ));
    let context = Arc::new(context::Context {
        bus: deps.bus.clone(),
        registry,
        sessions: SessionStore::new(deps.redis.clone(), keys.clone(), config.session_ttl),
        dedup: Dedup::new(
            deps.redis.clone(),
            keys.clone(),
            config.dedup_window + DEDUP_GRACE,
        ),
        metrics: NetworkMetrics::register(&deps.metrics),
        dedup_window: config.dedup_window,
        join_request_timeout: config.join_request_timeout,
        net_id,
        f_opts_scheme: match config.f_opts_encryption {
            FOptsEncryption::Errata => FOptsScheme::Errata,
            FOptsEncryption::Original => FOptsScheme::Original,
        },
        dev_status_interval: config.dev_status_interval,
        queue: queue::QueueStore::new(
            deps.redis.clone(),
            keys.clone(),
            config.session_ttl,
            config.downlink_queue_max_len,
        ),
        redis: deps.redis.clone(),
        keys,
        confirmed_max_attempts: config.confirmed_downlink_max_attempts,
        duty: gateway_duty::GatewayDuty::new(),
        next_downlink_id: AtomicU32::new(context::random_u32()),
        unknown_addrs,
    });
    let max_in_flight = usize::try_from(config.max_in_flight)
        .unwrap_or(usize::MAX)
        .max(1);
    deps.readiness.set_ready(COMPONENT, true);
    info!(
        schema = %config.schema,
        net_id = %config.net_id,
        dedup_window = ?config.dedup_window,
        max_in_flight,
        "network service ready"
    );
    let served = server::serve(
        server::Subscriptions {
            uplinks,
            tx_acks,
            queue_requests,
            device_requests,
        },
        context,
        max_in_flight,
        &deps.readiness,
        shutdown,
    )
    .await;
    gateway_status_shutdown.trigger();
    gateway_status.await.context("gateway status task")?;
    unknown_addrs_task.await.context("registry event task")?;
    served
}
