//! Tern application server: decrypts uplinks, runs payload formatters, publishes application
//! events, delivers them to integrations, and queues downlinks at the network server.
//!
//! State: per device the DevAddr, the AppSKey wrapped under the KEK and the downlink frame
//! counter in Redis (keys built only in `keys`), and its own small registry in PostgreSQL
//! schema `application.schema` ([`ApplicationRegistry`], [`PgApplicationRegistry`]): device to
//! application, ids, payload formatter, and each application's integrations. Events are kept in
//! the JetStream stream `application.events_stream`, created at start-up.
//!
//! Bus: `as.up`, `as.session`, `as.downlink`, `as.queue.invalidated`, `as.device` and `app.*.*.down.push` in
//! (queue group `application`); `app.{application_id}.{dev_eui}.{event}` and `ns.queue`
//! requests out. The gRPC downlink API (`tern.api.v1.DownlinkService`, crate `tern-api`) runs
//! when `application.grpc_listen` is set.
//!
//! Devices arrive from the identity service over `as.device` and are cached per replica
//! ([`CachedRegistry`]) until a registry event says they changed. Not here: device locations.
//!
//! Entry point: [`run`]. Modules: `server` (the NATS loop), `uplink` (uplinks, sessions and
//! downlink outcomes to events), `downlink` (the queue), `formatter` (none, CayenneLPP,
//! JavaScript), `events` (JSON schema and the stream), `integrations` (webhooks, MQTT), `grpc`,
//! `session`, `registry`, `kek`, `keys`, `metrics`.

mod context;
mod device_api;
mod downlink;
mod error;
mod events;
pub mod formatter;
mod grpc;
mod integrations;
mod kek;
mod keys;
mod metrics;
mod registry;
mod server;
mod session;
#[cfg(feature = "testsuite")]
pub mod testsuite;
mod uplink;

use std::sync::Arc;

use anyhow::Context as _;
use futures::FutureExt;
use tern_bus::queue_group;
use tern_config::ApplicationConfig;
use tern_postgres::SchemaName;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tracing::{info, warn};

pub use downlink::{DownlinkRequest, QueuedDownlink};
pub use error::{Error, Result};
pub use events::{
    DeviceIds, DownlinkEventBody, ErrorEvent, Event, EventBody, JoinEvent, Location, Modulation,
    RxMetadata, StatusEvent, UpEvent,
};
pub use formatter::{Formatter, FormatterLimits};
pub use integrations::RetryPolicy;
pub use kek::Kek;
pub use keys::RedisKeys;
pub use metrics::ApplicationMetrics;
pub use registry::{
    ApplicationDevice, ApplicationRegistry, CachedRegistry, Integration, IntegrationKind,
    PgApplicationRegistry,
};
pub use session::{AppSession, SessionStore, StoredSessions};

/// Readiness component of the application service.
pub const COMPONENT: &str = "application";

/// What the application service needs from the process: shared connections and registries.
#[derive(Debug)]
pub struct ApplicationDeps {
    /// Bus for `as.*`, `app.*` and `ns.queue`, and the JetStream event stream.
    pub bus: tern_bus::Bus,
    /// Redis pool for application sessions.
    pub redis: fred::clients::Pool,
    /// Prefix of every Redis key of the service (`redis.key_prefix`).
    pub redis_key_prefix: String,
    /// Pool of the database holding the application schema.
    pub pool: deadpool_postgres::Pool,
    /// Registry for `tern_application_*` metrics.
    pub metrics: Metrics,
    /// Readiness flags; component `application` is ready while `as.up` is served.
    pub readiness: Readiness,
    /// A gRPC listener bound by the caller (tests bind `127.0.0.1:0`); without one, `run` binds
    /// `application.grpc_listen` when it is set.
    pub grpc_listener: Option<std::net::TcpListener>,
}

/// Runs the application service until `shutdown`: checks the KEK, migrates the application
/// schema, creates the event stream when missing, subscribes (queue group `application`),
/// starts the gRPC API when configured, then handles messages.
///
/// Readiness component `application` turns true once subscribed and false when draining. On
/// shutdown the subscriptions drain, messages in flight finish, integration queues are
/// delivered (without further retries) and the gRPC server stops; `run` returns `Ok(())`. It
/// does not close the shared bus, Redis pool or database pool. Fails at start-up for a missing
/// or malformed KEK, and when PostgreSQL, JetStream or NATS cannot be reached.
pub async fn run(
    config: &ApplicationConfig,
    deps: ApplicationDeps,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    deps.readiness.set_ready(COMPONENT, false);
    let kek = Kek::parse(
        config
            .kek_label
            .clone()
            .unwrap_or_else(|| String::from("default")),
        config.kek.as_ref().map(|kek| kek.expose().as_str()),
    )?;
    let schema = SchemaName::new(&config.schema).context("application.schema")?;
    let database = PgApplicationRegistry::new(deps.pool.clone(), schema);
    let registry = CachedRegistry::new(database.clone());
    let stream = events::StreamSettings {
        name: config.events_stream.clone(),
        max_age: config.events_max_age,
        max_bytes: config.events_max_bytes,
    };
    let grpc_listener = match deps.grpc_listener {
        Some(listener) => {
            listener
                .set_nonblocking(true)
                .context("grpc listener non-blocking")?;
            Some(tokio::net::TcpListener::from_std(listener).context("grpc listener")?)
        }
        None => match &config.grpc_listen {
            Some(listen) => Some(grpc::bind(listen).await?),
            None => None,
        },
    };
    let bus = deps.bus.clone();
    let start = async {
        database
            .migrate()
            .await
            .context("migrate application schema")?;
        let registry_events = registry::cache::subscribe(&bus).await?;
        events::ensure_stream(&bus, &stream).await?;
        let subjects = bus.subjects();
        let group = queue_group::APPLICATION;
        let subscriptions = server::Subscriptions {
            uplinks: bus
                .queue_subscribe(&subjects.as_up(), group)
                .await
                .context("subscribe to as.up")?,
            sessions: bus
                .queue_subscribe(&subjects.as_session(), group)
                .await
                .context("subscribe to as.session")?,
            downlink_events: bus
                .queue_subscribe(&subjects.as_downlink(), group)
                .await
                .context("subscribe to as.downlink")?,
            invalidations: bus
                .queue_subscribe(&subjects.as_queue_invalidated(), group)
                .await
                .context("subscribe to as.queue.invalidated")?,
            pushes: bus
                .queue_subscribe_bytes(&subjects.app_down_push_all(), group)
                .await
                .context("subscribe to app.*.*.down.push")?,
            devices: bus
                .queue_subscribe(&subjects.as_device(), group)
                .await
                .context("subscribe to as.device")?,
        };
        anyhow::Ok((subscriptions, registry_events))
    };
    let (subscriptions, registry_events) = tokio::select! {
        biased;
        () = shutdown.wait() => {
            info!("application service stopped before it started");
            return Ok(());
        }
        subscriptions = start => subscriptions?,
    };
    let metrics = ApplicationMetrics::register(&deps.metrics);
    // Stops the gRPC server and the integration workers, also when the loop fails on its own.
    let workers_stop = shutdown.child();
    let cache_task = tokio::spawn(registry::cache::follow(
        registry.clone(),
        registry_events,
        workers_stop.clone(),
    ));
    let loader_registry = registry.clone();
    let loader: integrations::IntegrationLoader = Arc::new(move |application_id: String| {
        let registry = loader_registry.clone();
        async move { registry.integrations(&application_id).await }.boxed()
    });
    let dispatcher = integrations::Dispatcher::new(
        loader,
        RetryPolicy {
            max_attempts: config.webhook_max_attempts.max(1),
            initial_backoff: config.webhook_initial_backoff,
            max_backoff: config.webhook_max_backoff,
            timeout: config.webhook_timeout,
        },
        usize::try_from(config.integration_queue_len).unwrap_or(usize::MAX),
        metrics.clone(),
        workers_stop.clone(),
    )?;
    let publisher =
        events::EventPublisher::new(deps.bus.clone(), dispatcher.clone(), metrics.clone());
    let context = Arc::new(context::Context {
        bus: deps.bus.clone(),
        registry,
        sessions: SessionStore::new(
            deps.redis.clone(),
            RedisKeys::new(&deps.redis_key_prefix),
            config.session_ttl,
        ),
        kek,
        publisher,
        metrics,
        limits: FormatterLimits {
            timeout: config.formatter_timeout,
            memory_limit_bytes: usize::try_from(config.formatter_memory_limit_bytes)
                .unwrap_or(usize::MAX),
        },
        queue_timeout: config.queue_request_timeout,
    });
    let grpc_task = grpc_listener.map(|listener| {
        tokio::spawn(grpc::serve(
            listener,
            Arc::clone(&context),
            workers_stop.clone(),
        ))
    });
    let max_in_flight = usize::try_from(config.max_in_flight)
        .unwrap_or(usize::MAX)
        .max(1);
    deps.readiness.set_ready(COMPONENT, true);
    info!(
        schema = %config.schema,
        events_stream = %config.events_stream,
        max_in_flight,
        "application service ready"
    );
    let served = server::serve(
        subscriptions,
        Arc::clone(&context),
        max_in_flight,
        &deps.readiness,
        shutdown.clone(),
    )
    .await;
    workers_stop.trigger();
    if let Err(error) = cache_task.await {
        warn!(error = %error, "registry event task panicked");
    }
    dispatcher.close().await;
    if let Some(task) = grpc_task {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => warn!(error = %error, "grpc server"),
            Err(error) => warn!(error = %error, "grpc task panicked"),
        }
    }
    served
}
