//! Test helpers (feature `testsuite`): an application service on loopback NATS (JetStream),
//! Redis and PostgreSQL with its own subject root, key prefix, schema and event stream, plus
//! builders for what the network server would send (sessions, encrypted uplinks) and a stand-in
//! for the network's side of `ns.queue`. Frames are encrypted with `lorawan-crypto` directly,
//! never with the service's own code paths.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use bytes::Bytes;
use fred::prelude::{Builder, ClientLike, Config as RedisClientConfig};
use futures::StreamExt;
use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use lorawan_crypto::{CipherKey, Direction, encrypt_frm_payload};
use tern_bus::{Bus, BusMetrics, BusOptions, Subscription};
use tern_config::{ApplicationConfig, Secret};
use tern_postgres::deadpool_postgres::Pool;
use tern_postgres::testsuite::{TestSchema, test_pool};
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{
    ApplicationDeps, ApplicationDevice, ApplicationRegistry, Event, Formatter, Kek,
    PgApplicationRegistry,
};

/// How long a test waits for a message or for readiness.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The Redis server tests use.
pub const TEST_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// The KEK of test environments, 32 hex digits.
pub const TEST_KEK: &str = "000102030405060708090a0b0c0d0e0f";
/// The label of [`TEST_KEK`].
pub const TEST_KEK_LABEL: &str = "test";

/// Returns the default `[application]` section with the test KEK, short webhook backoffs and a
/// short formatter deadline.
pub fn default_config() -> ApplicationConfig {
    ApplicationConfig {
        kek: Some(Secret::new(TEST_KEK.to_owned())),
        kek_label: Some(TEST_KEK_LABEL.to_owned()),
        session_ttl: Duration::from_secs(600),
        events_max_age: Duration::from_secs(3600),
        events_max_bytes: 64 << 20,
        webhook_initial_backoff: Duration::from_millis(50),
        webhook_max_backoff: Duration::from_millis(400),
        webhook_timeout: Duration::from_secs(2),
        formatter_timeout: Duration::from_millis(200),
        ..ApplicationConfig::default()
    }
}

/// Returns the test KEK.
pub fn test_kek() -> Kek {
    Kek::parse(TEST_KEK_LABEL, Some(TEST_KEK)).expect("the test kek is 32 hex digits")
}

fn bus_metrics() -> BusMetrics {
    BusMetrics::new(&mut prometheus_client::registry::Registry::default())
}

/// Connects a Redis pool to the loopback server.
pub async fn test_redis() -> anyhow::Result<fred::clients::Pool> {
    let config = RedisClientConfig::from_url(TEST_REDIS_URL).context("redis url")?;
    let pool = Builder::from_config(config)
        .build_pool(2)
        .context("build redis pool")?;
    tokio::time::timeout(TEST_TIMEOUT, pool.init())
        .await
        .context("connect to redis: timed out")?
        .context("connect to redis")?;
    Ok(pool)
}

/// A running application service with its own subject root, key prefix, schema and stream.
#[derive(Debug)]
pub struct TestEnv {
    /// The `[application]` section it runs with.
    pub config: ApplicationConfig,
    /// A client bus on the service's subject root.
    pub bus: Bus,
    /// The options the buses connect with.
    pub bus_options: BusOptions,
    /// The database pool.
    pub pool: Pool,
    /// The Redis pool.
    pub redis: fred::clients::Pool,
    /// The Redis key prefix of this environment.
    pub redis_key_prefix: String,
    /// The service's registry.
    pub registry: PgApplicationRegistry,
    /// The service's metrics.
    pub metrics: Metrics,
    /// The address of the gRPC downlink API.
    pub grpc_address: SocketAddr,
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
    schema: TestSchema,
}

impl TestEnv {
    /// Starts the service with [`default_config`].
    pub async fn start() -> anyhow::Result<TestEnv> {
        TestEnv::start_with(default_config()).await
    }

    /// Starts the service with `config`; its schema and event stream are replaced by ones
    /// unique to this environment, and its gRPC API listens on a free loopback port.
    pub async fn start_with(config: ApplicationConfig) -> anyhow::Result<TestEnv> {
        TestEnv::start_on(tern_bus::testsuite::test_options(), config).await
    }

    /// Starts the service on the subject root of `bus_options`, to join other services' test
    /// environments; otherwise like [`TestEnv::start_with`].
    pub async fn start_on(
        bus_options: BusOptions,
        mut config: ApplicationConfig,
    ) -> anyhow::Result<TestEnv> {
        let bus = Bus::connect(&bus_options, bus_metrics())
            .await
            .context("connect test bus")?;
        let pool = test_pool()?;
        let schema = TestSchema::new(&pool);
        config.schema = schema.name().as_str().to_owned();
        config.events_stream = format!("TERN_APP_EVENTS_{}", bus_options.subject_root);
        let registry = PgApplicationRegistry::new(pool.clone(), schema.name().clone());
        let redis = test_redis().await?;
        let redis_key_prefix = format!("{}:", bus_options.subject_root);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind grpc")?;
        let grpc_address = listener.local_addr().context("grpc address")?;
        let service_bus = Bus::connect(&bus_options, bus_metrics())
            .await
            .context("connect service bus")?;
        let metrics = Metrics::new();
        let readiness = Readiness::new();
        let shutdown = Shutdown::new();
        let deps = ApplicationDeps {
            bus: service_bus,
            redis: redis.clone(),
            redis_key_prefix: redis_key_prefix.clone(),
            pool: pool.clone(),
            metrics: metrics.clone(),
            readiness: readiness.clone(),
            grpc_listener: Some(listener),
        };
        let run_config = config.clone();
        let run_shutdown = shutdown.clone();
        let task = tokio::spawn(async move { crate::run(&run_config, deps, run_shutdown).await });
        let waited = tokio::time::timeout(TEST_TIMEOUT, async {
            while !readiness.is_ready() && !task.is_finished() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        if task.is_finished() {
            task.await.context("application task")??;
            bail!("application service stopped before it was ready");
        }
        ensure!(waited.is_ok(), "application service not ready in time");
        Ok(TestEnv {
            config,
            bus,
            bus_options,
            pool,
            redis,
            redis_key_prefix,
            registry,
            metrics,
            grpc_address,
            shutdown,
            task,
            schema,
        })
    }

    /// Registers a device of `application_id` named `device_id` with `formatter`.
    pub async fn register_device(
        &self,
        dev_eui: u64,
        application_id: &str,
        device_id: &str,
        formatter: Formatter,
    ) -> anyhow::Result<ApplicationDevice> {
        let device = ApplicationDevice {
            dev_eui: Eui64::from_u64(dev_eui),
            application_id: application_id.to_owned(),
            device_id: device_id.to_owned(),
            name: format!("{device_id} name"),
            formatter,
        };
        self.registry.set_device(&device).await?;
        Ok(device)
    }

    /// Subscribes to every event of `application_id` (core NATS, from now on).
    pub async fn subscribe_events(
        &self,
        application_id: &str,
    ) -> anyhow::Result<Subscription<Bytes>> {
        let subject = self.bus.subjects().app_event_application(application_id)?;
        let subscription = self.bus.subscribe_bytes(&subject).await?;
        Ok(subscription)
    }

    /// Publishes a session as the network server does after a join, with the AppSKey wrapped
    /// under the test KEK, and returns it.
    pub async fn publish_session(
        &self,
        dev_eui: u64,
        dev_addr: u32,
        app_s_key: Aes128Key,
        a_f_cnt_down: u32,
    ) -> anyhow::Result<pb::SessionEvent> {
        let event = pb::SessionEvent {
            dev_eui,
            join_eui: 0x70b3_d57e_d000_0000,
            dev_addr,
            mac_version: pb::MacVersion::MacVersion104 as i32,
            app_s_key: Some(test_kek().envelope(&app_s_key)),
            a_f_cnt_down,
            join_nonce: 7,
            dev_nonce: 9,
            created_at_unix_ns: 1_715_000_000_000_000_000,
        };
        self.bus
            .publish(&self.bus.subjects().as_session(), &event)
            .await?;
        self.bus.flush().await?;
        Ok(event)
    }

    /// Publishes `uplink` on `as.up`.
    pub async fn publish_uplink(&self, uplink: &pb::ApplicationUplink) -> anyhow::Result<()> {
        self.bus
            .publish(&self.bus.subjects().as_up(), uplink)
            .await?;
        self.bus.flush().await?;
        Ok(())
    }

    /// Returns the value of the counter `tern_application_{name}_total` with `labels` (e.g.
    /// `result="ok"`), 0 when absent.
    pub fn counter(&self, name: &str, labels: &str) -> anyhow::Result<u64> {
        let text = self.metrics.encode()?;
        let prefix = format!("tern_application_{name}_total{{{labels}}} ");
        Ok(text
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0))
    }

    /// Waits until the counter reaches `want`.
    pub async fn wait_counter(&self, name: &str, labels: &str, want: u64) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + TEST_TIMEOUT;
        loop {
            let value = self.counter(name, labels)?;
            if value >= want {
                return Ok(());
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "{name}{{{labels}}} is {value}, want {want}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the service, deletes the stream and drops the schema.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        tokio::time::timeout(TEST_TIMEOUT, self.task)
            .await
            .context("application service did not stop in time")?
            .context("application task")??;
        // The stream may already be gone; only the schema must be cleaned.
        let _ = self
            .bus
            .jetstream()
            .delete_stream(&self.config.events_stream)
            .await;
        self.schema.cleanup().await?;
        Ok(())
    }
}

/// Waits for the next event on `subscription` and parses it.
pub async fn next_event(subscription: &mut Subscription<Bytes>) -> anyhow::Result<(String, Event)> {
    let delivery = tokio::time::timeout(TEST_TIMEOUT, subscription.next())
        .await
        .context("no event in time")?
        .context("event subscription ended")?;
    let event: Event = serde_json::from_slice(delivery.message()).context("parse event")?;
    Ok((delivery.subject().to_owned(), event))
}

/// Waits for the next event whose body is named `name` (`up`, `error`, ...), skipping others.
pub async fn next_event_named(
    subscription: &mut Subscription<Bytes>,
    name: &str,
) -> anyhow::Result<Event> {
    loop {
        let (subject, event) = next_event(subscription).await?;
        if subject.ends_with(&format!(".{name}")) {
            return Ok(event);
        }
    }
}

/// Builds the `ApplicationUplink` the network would send for a data uplink of `dev_eui` with
/// `plaintext` on `f_port`, encrypted with `app_s_key`, received by two gateways.
pub fn encrypted_uplink(
    dev_eui: u64,
    dev_addr: u32,
    app_s_key: &Aes128Key,
    f_cnt: u32,
    f_port: u32,
    plaintext: &[u8],
) -> pb::ApplicationUplink {
    let frm_payload = encrypt_frm_payload(
        &CipherKey::new(app_s_key),
        Direction::Uplink,
        DevAddr::from_u32(dev_addr),
        f_cnt,
        plaintext,
    )
    .expect("test payloads are short");
    let frame = tern_bus::testsuite::samples::uplink_frame(0x0016_c001_ff10_0001);
    pb::ApplicationUplink {
        dev_eui,
        join_eui: 0x70b3_d57e_d000_0000,
        dev_addr,
        mac_version: pb::MacVersion::MacVersion104 as i32,
        f_cnt,
        f_port: Some(f_port),
        frm_payload: frm_payload.into(),
        confirmed: true,
        adr: true,
        dr: 5,
        tx_info: frame.tx_info,
        rx_metadata: frame.rx_metadata,
        received_at_unix_ns: frame.received_at_unix_ns,
        band: String::from("eu868"),
        dev_status: None,
    }
}

/// Decrypts a downlink FRMPayload the way a device does.
pub fn decrypt_downlink(
    app_s_key: &Aes128Key,
    dev_addr: u32,
    f_cnt_down: u32,
    frm_payload: &[u8],
) -> Vec<u8> {
    encrypt_frm_payload(
        &CipherKey::new(app_s_key),
        Direction::Downlink,
        DevAddr::from_u32(dev_addr),
        f_cnt_down,
        frm_payload,
    )
    .expect("test payloads are short")
}

/// A stand-in for the network server's side of `ns.queue` in tests: answers each request with
/// what `answer` returns and hands the requests to the test.
#[derive(Debug)]
pub struct FakeNetwork {
    /// Every request received, in order.
    pub requests: mpsc::UnboundedReceiver<pb::QueueRequest>,
    task: JoinHandle<()>,
}

impl FakeNetwork {
    /// Serves `ns.queue` on `bus`'s subject root.
    pub async fn start(
        bus: &Bus,
        mut answer: impl FnMut(&pb::QueueRequest) -> pb::QueueResponse + Send + 'static,
    ) -> anyhow::Result<FakeNetwork> {
        let mut subscription = bus
            .subscribe::<pb::QueueRequest>(&bus.subjects().ns_queue())
            .await?;
        let (sender, requests) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(delivery) = subscription.next().await {
                let response = answer(delivery.message());
                // A failed reply shows up in the test as a timeout of the request.
                let _ = delivery.reply(&response).await;
                let _ = sender.send(delivery.into_message());
            }
        });
        Ok(FakeNetwork { requests, task })
    }

    /// Answers every request as accepted, echoing the items as the queue.
    pub async fn accepting(bus: &Bus, dev_addr: u32) -> anyhow::Result<FakeNetwork> {
        FakeNetwork::start(bus, move |request| pb::QueueResponse {
            error: pb::QueueErrorCode::None as i32,
            message: String::new(),
            items: request.items.clone(),
            dev_addr,
            next_f_cnt_down: request.items.last().map_or(0, |item| item.f_cnt_down + 1),
        })
        .await
    }

    /// Waits for the next request.
    pub async fn next_request(&mut self) -> anyhow::Result<pb::QueueRequest> {
        tokio::time::timeout(TEST_TIMEOUT, self.requests.recv())
            .await
            .context("no ns.queue request in time")?
            .context("fake network stopped")
    }
}

impl Drop for FakeNetwork {
    fn drop(&mut self) {
        self.task.abort();
    }
}
