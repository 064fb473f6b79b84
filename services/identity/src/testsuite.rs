//! Helpers for tests that run the identity service on loopback NATS and PostgreSQL (feature
//! `testsuite`).
//!
//! [`TestIdentity`] runs the service on `127.0.0.1:0` in a fresh schema and subject root, with
//! the bootstrap admin key in hand; [`authorized`] wraps a message with a key.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use deadpool_postgres::Pool;
use tern_api::v1 as api;
use tern_bus::{Bus, BusMetrics};
use tern_config::IdentityConfig;
use tern_postgres::testsuite::{TestSchema, test_pool};
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::{IdentityDeps, prepare};

/// How long tests wait for the service.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Returns the `[identity]` section tests start from (the schema is replaced per test).
pub fn default_config() -> IdentityConfig {
    IdentityConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..IdentityConfig::default()
    }
}

/// A running identity service with its own schema and subject root.
#[derive(Debug)]
pub struct TestIdentity {
    /// The `[identity]` section it runs with.
    pub config: IdentityConfig,
    /// Where the gRPC API listens.
    pub addr: SocketAddr,
    /// The bootstrap admin API key.
    pub admin_key: String,
    /// A client bus on the service's subject root.
    pub bus: Bus,
    /// The database pool.
    pub pool: Pool,
    /// The service's readiness flags.
    pub readiness: Readiness,
    /// The service's metrics registry.
    pub metrics: Metrics,
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
    schema: TestSchema,
}

fn bus_metrics() -> BusMetrics {
    BusMetrics::new(&mut prometheus_client::registry::Registry::default())
}

impl TestIdentity {
    /// Starts the service and waits until it is ready.
    pub async fn start() -> anyhow::Result<TestIdentity> {
        TestIdentity::start_on(tern_bus::testsuite::test_options(), |_| {}).await
    }

    /// Starts the service on the subject root of `bus_options`, to join other services' test
    /// environments, with its `[identity]` section changed by `configure` (the schema is still
    /// replaced by a fresh one).
    pub async fn start_on(
        bus_options: tern_bus::BusOptions,
        configure: impl FnOnce(&mut IdentityConfig),
    ) -> anyhow::Result<TestIdentity> {
        let bus = Bus::connect(&bus_options, bus_metrics())
            .await
            .context("connect test bus")?;
        let pool = test_pool()?;
        let schema = TestSchema::new(&pool);
        let mut config = default_config();
        configure(&mut config);
        config.schema = schema.name().as_str().to_owned();
        let admin_key = prepare(&config, &pool)
            .await?
            .context("a fresh schema bootstraps")?
            .key;
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let readiness = Readiness::new();
        let shutdown = Shutdown::new();
        let metrics = Metrics::new();
        let deps = IdentityDeps {
            bus: bus.clone(),
            pool: pool.clone(),
            metrics: metrics.clone(),
            readiness: readiness.clone(),
        };
        let run_config = config.clone();
        let run_shutdown = shutdown.clone();
        let task = tokio::spawn(async move {
            crate::serve_on(listener, &run_config, deps, run_shutdown).await
        });
        let waited = tokio::time::timeout(TEST_TIMEOUT, async {
            while !readiness.is_ready() && !task.is_finished() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        if task.is_finished() {
            task.await.context("identity task")??;
            bail!("identity service stopped before it was ready");
        }
        ensure!(waited.is_ok(), "identity service not ready in time");
        Ok(TestIdentity {
            config,
            addr,
            admin_key,
            bus,
            pool,
            readiness,
            metrics,
            shutdown,
            task,
            schema,
        })
    }

    /// Returns the API's URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connects a gRPC channel to the API.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        Ok(Channel::from_shared(self.url())?.connect().await?)
    }

    /// Stops the service, checks that it stopped cleanly, and drops the schema.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        tokio::time::timeout(TEST_TIMEOUT, self.task)
            .await
            .context("identity service did not stop in time")?
            .context("identity task")??;
        ensure!(!self.readiness.is_ready(), "ready after stopping");
        self.bus.drain().await?;
        self.schema.cleanup().await?;
        Ok(())
    }
}

/// Wraps `message` in a request carrying `authorization: Bearer <key>`.
pub fn authorized<T>(key: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {key}").parse().expect("api keys are ASCII");
    request.metadata_mut().insert("authorization", value);
    request
}

/// Returns a valid EU868 OTAA class A device profile of `tenant_id`.
pub fn sample_profile(id: &str, tenant_id: &str) -> api::DeviceProfile {
    api::DeviceProfile {
        id: id.to_owned(),
        tenant_id: tenant_id.to_owned(),
        name: format!("profile {id}"),
        band: "eu868".to_owned(),
        mac_version: "1.0.3".to_owned(),
        regional_parameters_revision: "RP001-1.0.3-revA".to_owned(),
        activation: api::Activation::Otaa.into(),
        rx1_delay_s: 1,
        rx2_dr: 0,
        rx2_frequency_hz: 869_525_000,
        adr_enabled: true,
        max_eirp_dbm: 16.0,
        ..api::DeviceProfile::default()
    }
}
