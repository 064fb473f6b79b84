//! Helpers for tests that run the identity service on loopback NATS and PostgreSQL (feature
//! `testsuite`).
//!
//! [`TestIdentity`] runs the service on `127.0.0.1:0` in a fresh schema and subject root, with
//! the bootstrap admin key in hand; [`authorized`] wraps a message with a key.
//!
//! Device changes reach the network and application services over `ns.device` and
//! `as.device`. [`TestIdentity::start`] answers both with a fake that accepts everything and
//! records what it got ([`Provisioned`]), so registry tests need no other service;
//! [`TestIdentity::start_on`] runs without it, for tests that bring the real services (or
//! none) on the same subject root.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use deadpool_postgres::Pool;
use futures::StreamExt;
use tern_api::v1 as api;
use tern_bus::{Bus, BusMetrics, BusOptions, queue_group};
use tern_config::IdentityConfig;
use tern_postgres::testsuite::{TestSchema, test_pool};
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tokio::task::JoinHandle;
use tonic::transport::Channel;

use crate::{IdentityDeps, prepare};

/// How long tests wait for the service.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The KEK of test environments, 32 hex digits: the one the application and join services'
/// test configurations use, so ABP sessions activated here unwrap there.
pub const TEST_KEK: &str = "000102030405060708090a0b0c0d0e0f";
/// The label of [`TEST_KEK`].
pub const TEST_KEK_LABEL: &str = "test";

/// Returns the `[identity]` section tests start from (the schema is replaced per test), with
/// the test KEK.
pub fn default_config() -> IdentityConfig {
    IdentityConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        kek: Some(tern_config::Secret::new(TEST_KEK.to_owned())),
        kek_label: Some(TEST_KEK_LABEL.to_owned()),
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
    /// What the fake network and application services were asked, when they run.
    pub provisioned: Provisioned,
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
    fake: Option<JoinHandle<()>>,
    schema: TestSchema,
}

/// One provisioning request the fake services answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvisionRequest {
    /// `ns.device`.
    Network(pb::NetworkDeviceRequest),
    /// `as.device`.
    Application(pb::ApplicationDeviceRequest),
}

/// The provisioning requests the fake services answered, in order.
#[derive(Debug, Clone, Default)]
pub struct Provisioned(Arc<Mutex<Vec<ProvisionRequest>>>);

impl Provisioned {
    /// Returns the requests so far.
    pub fn requests(&self) -> Vec<ProvisionRequest> {
        self.0.lock().expect("no panic holds the lock").clone()
    }

    fn push(&self, request: ProvisionRequest) {
        self.0
            .lock()
            .expect("no panic holds the lock")
            .push(request);
    }
}

/// Which provisioning services a test environment fakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fakes {
    /// None: real services answer.
    None,
    /// `ns.device` only, beside a real application service.
    Network,
    /// `ns.device` and `as.device`.
    Both,
}

/// Answers `ns.device` (and with [`Fakes::Both`] `as.device`) with `ok` until `shutdown`,
/// recording every request.
async fn fake_services(
    bus: &Bus,
    fakes: Fakes,
    provisioned: Provisioned,
    shutdown: Shutdown,
) -> anyhow::Result<JoinHandle<()>> {
    let subjects = bus.subjects();
    let mut network = bus
        .queue_subscribe::<pb::NetworkDeviceRequest>(&subjects.ns_device(), queue_group::NETWORK)
        .await?;
    let mut application = if fakes == Fakes::Both {
        Some(
            bus.queue_subscribe::<pb::ApplicationDeviceRequest>(
                &subjects.as_device(),
                queue_group::APPLICATION,
            )
            .await?,
        )
    } else {
        None
    };
    bus.flush().await?;
    let ok = pb::ProvisionAnswer {
        ok: true,
        ..pb::ProvisionAnswer::default()
    };
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                () = shutdown.wait() => return,
                Some(delivery) = network.next() => {
                    provisioned.push(ProvisionRequest::Network(delivery.message().clone()));
                    let _ = delivery.reply(&ok).await;
                }
                Some(delivery) = async {
                    match application.as_mut() {
                        Some(application) => application.next().await,
                        None => std::future::pending().await,
                    }
                } => {
                    provisioned.push(ProvisionRequest::Application(delivery.message().clone()));
                    let _ = delivery.reply(&ok).await;
                }
                else => return,
            }
        }
    }))
}

fn bus_metrics() -> BusMetrics {
    BusMetrics::new(&mut prometheus_client::registry::Registry::default())
}

impl TestIdentity {
    /// Starts the service on a fresh subject root, with fake network and application services
    /// that accept every device, and waits until it is ready.
    pub async fn start() -> anyhow::Result<TestIdentity> {
        TestIdentity::start_with(tern_bus::testsuite::test_options(), Fakes::Both, |_| {}).await
    }

    /// Starts the service on `bus_options` (its subject root) without fake services: device
    /// changes reach whatever serves `ns.device` and `as.device` there.
    pub async fn start_on(bus_options: BusOptions) -> anyhow::Result<TestIdentity> {
        TestIdentity::start_with(bus_options, Fakes::None, |_| {}).await
    }

    /// Starts the service like [`TestIdentity::start`] (fake network and application
    /// services), with its `[identity]` section changed by `configure`.
    pub async fn start_configured(
        configure: impl FnOnce(&mut IdentityConfig),
    ) -> anyhow::Result<TestIdentity> {
        TestIdentity::start_with(tern_bus::testsuite::test_options(), Fakes::Both, configure).await
    }

    /// Starts the service on the subject root of `bus_options` beside a real application
    /// service, with a fake network service accepting every device, and its `[identity]`
    /// section changed by `configure` (the schema is still replaced by a fresh one).
    pub async fn start_beside_application(
        bus_options: BusOptions,
        configure: impl FnOnce(&mut IdentityConfig),
    ) -> anyhow::Result<TestIdentity> {
        TestIdentity::start_with(bus_options, Fakes::Network, configure).await
    }

    async fn start_with(
        bus_options: BusOptions,
        fakes: Fakes,
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
        let provisioned = Provisioned::default();
        let fake = if fakes == Fakes::None {
            None
        } else {
            Some(fake_services(&bus, fakes, provisioned.clone(), shutdown.clone()).await?)
        };
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
            provisioned,
            shutdown,
            task,
            fake,
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
        if let Some(fake) = self.fake {
            fake.await.context("fake services task")?;
        }
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
