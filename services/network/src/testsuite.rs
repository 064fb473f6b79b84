//! Test helpers (feature `testsuite`): network service replicas on loopback NATS, Redis and
//! PostgreSQL with their own subject root, key prefix and schema; simulated gateways (plain
//! `UplinkFrame` publishes) and simulated ABP devices that build frames with the codec and
//! crypto crates, never with the service's own code paths.

use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use bytes::Bytes;
use futures::StreamExt;
use lorawan_codec::{Aes128Key, DevAddr, Eui64, FCtrl, FHdr, FOpts, MType, MacPayload, PhyPayload};
use lorawan_crypto::{
    B1Fields, CipherKey, FOptsCounter, FOptsScheme, MicKey, compute_data_uplink_mic_1_0,
    compute_data_uplink_mic_1_1, encrypt_f_opts_in_place,
};
use tern_bus::{Bus, BusMetrics, BusOptions, Subscription};
use tern_config::{NetworkConfig, RedisConfig};
use tern_postgres::deadpool_postgres::Pool;
use tern_postgres::testsuite::{TestSchema, test_pool};
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};
use tokio::task::JoinHandle;

use crate::{NetworkDeps, PgDeviceRegistry};

/// How long a test waits for a message or for readiness.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The Redis server tests use.
pub const TEST_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// EU868 channel 0, where simulated devices transmit.
pub const TEST_FREQUENCY_HZ: u32 = 868_100_000;

/// Returns the default `[network]` section with a short session TTL, so test keys expire, and
/// without DevStatusReq, so a downlink follows an uplink only when a test asks for one.
pub fn default_config() -> NetworkConfig {
    NetworkConfig {
        net_id: String::from("000013"),
        session_ttl: Duration::from_secs(600),
        dev_status_interval: Duration::ZERO,
        ..NetworkConfig::default()
    }
}

/// Returns a `[redis]` section for the loopback server with a fresh key prefix.
pub fn test_redis_config() -> RedisConfig {
    let root = tern_bus::testsuite::unique_subject_root();
    RedisConfig {
        url: TEST_REDIS_URL.to_owned(),
        key_prefix: format!("{root}:"),
        pool_size: 2,
        ..RedisConfig::default()
    }
}

fn bus_metrics() -> BusMetrics {
    BusMetrics::new(&mut prometheus_client::registry::Registry::default())
}

/// One running network service.
#[derive(Debug)]
pub struct Replica {
    /// Its metrics registry.
    pub metrics: Metrics,
    /// Its readiness flags.
    pub readiness: Readiness,
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
    bus: Bus,
}

/// Network service replicas sharing one subject root, key prefix and schema.
#[derive(Debug)]
pub struct TestEnv {
    /// The `[network]` section the replicas run with (its schema is the test schema).
    pub config: NetworkConfig,
    /// The `[redis]` section (its prefix is unique to this environment).
    pub redis_config: RedisConfig,
    /// A client bus on the replicas' subject root.
    pub bus: Bus,
    /// The options the buses connect with, for other services joining the environment.
    pub bus_options: BusOptions,
    /// The database pool.
    pub pool: Pool,
    /// The Redis pool.
    pub redis: fred::clients::Pool,
    /// The replicas' device registry.
    pub registry: PgDeviceRegistry,
    /// The running replicas.
    pub replicas: Vec<Replica>,
    schema: TestSchema,
}

impl TestEnv {
    /// Starts one replica with [`default_config`].
    pub async fn start() -> anyhow::Result<TestEnv> {
        TestEnv::start_with(default_config()).await
    }

    /// Starts one replica with `config`, its schema replaced by a fresh test schema, and
    /// migrates the registry.
    pub async fn start_with(mut config: NetworkConfig) -> anyhow::Result<TestEnv> {
        let bus_options = tern_bus::testsuite::test_options();
        let bus = Bus::connect(&bus_options, bus_metrics())
            .await
            .context("connect test bus")?;
        let pool = test_pool()?;
        let schema = TestSchema::new(&pool);
        config.schema = schema.name().as_str().to_owned();
        let registry = PgDeviceRegistry::new(pool.clone(), schema.name().clone());
        let redis_config = test_redis_config();
        let redis = crate::build_redis(&redis_config).await?;
        let mut env = TestEnv {
            config,
            redis_config,
            bus,
            bus_options,
            pool,
            redis,
            registry,
            replicas: Vec::new(),
            schema,
        };
        env.add_replica().await?;
        Ok(env)
    }

    /// Starts one more replica (own NATS connection, metrics and readiness) and waits until
    /// it is ready and its subscriptions reached the server.
    pub async fn add_replica(&mut self) -> anyhow::Result<&Replica> {
        let bus = Bus::connect(&self.bus_options, bus_metrics())
            .await
            .context("connect replica bus")?;
        let metrics = Metrics::new();
        let readiness = Readiness::new();
        let shutdown = Shutdown::new();
        let deps = NetworkDeps {
            bus: bus.clone(),
            redis: self.redis.clone(),
            redis_key_prefix: self.redis_config.key_prefix.clone(),
            pool: self.pool.clone(),
            metrics: metrics.clone(),
            readiness: readiness.clone(),
            leader: crate::LeaderChoice::Redis,
        };
        let config = self.config.clone();
        let run_shutdown = shutdown.clone();
        let task = tokio::spawn(async move { crate::run(&config, deps, run_shutdown).await });
        let waited = tokio::time::timeout(TEST_TIMEOUT, async {
            while !readiness.is_ready() && !task.is_finished() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        if task.is_finished() {
            task.await.context("network task")??;
            bail!("network service stopped before it was ready");
        }
        ensure!(waited.is_ok(), "network service not ready in time");
        bus.flush().await?;
        self.replicas.push(Replica {
            metrics,
            readiness,
            shutdown,
            task,
            bus,
        });
        Ok(self.replicas.last().expect("a replica was just pushed"))
    }

    /// Subscribes the client bus to `as.up`.
    pub async fn subscribe_as_up(&self) -> anyhow::Result<Subscription<pb::ApplicationUplink>> {
        let subscription = self.bus.subscribe(&self.bus.subjects().as_up()).await?;
        self.bus.flush().await?;
        Ok(subscription)
    }

    /// Subscribes the client bus to `as.session`.
    pub async fn subscribe_as_session(&self) -> anyhow::Result<Subscription<pb::SessionEvent>> {
        let subscription = self
            .bus
            .subscribe(&self.bus.subjects().as_session())
            .await?;
        self.bus.flush().await?;
        Ok(subscription)
    }

    /// Subscribes the client bus to `gw.{eui}.down`.
    pub async fn subscribe_down(
        &self,
        gateway_eui: u64,
    ) -> anyhow::Result<Subscription<pb::DownlinkFrame>> {
        let subscription = self
            .bus
            .subscribe(&self.bus.subjects().gw_down(gateway_eui))
            .await?;
        self.bus.flush().await?;
        Ok(subscription)
    }

    /// Subscribes the client bus to any subject of the environment's root.
    pub async fn subscribe<M: prost::Message + Default>(
        &self,
        subject: &tern_bus::Subject,
    ) -> anyhow::Result<Subscription<M>> {
        let subscription = self.bus.subscribe(subject).await?;
        self.bus.flush().await?;
        Ok(subscription)
    }

    /// Sends `request` on `ns.queue`, as the application server does, and returns the answer.
    pub async fn queue_request(
        &self,
        request: &pb::QueueRequest,
    ) -> anyhow::Result<pb::QueueResponse> {
        Ok(self
            .bus
            .request(&self.bus.subjects().ns_queue(), request, TEST_TIMEOUT)
            .await?)
    }

    /// Publishes `tx_ack` on `gw.{eui}.txack`, as a gateway edge does.
    pub async fn publish_tx_ack(&self, tx_ack: &pb::DownlinkTxAck) -> anyhow::Result<()> {
        self.bus
            .publish(&self.bus.subjects().gw_txack(tx_ack.gateway_eui), tx_ack)
            .await?;
        self.bus.flush().await?;
        Ok(())
    }

    /// Returns the sum over replicas of `tern_network_downlink_outcomes_total{outcome}`.
    pub fn downlink_outcomes(&self, outcome: &str) -> u64 {
        self.counter("tern_network_downlink_outcomes_total", "outcome", outcome)
    }

    /// Publishes `frame` on `up`, as a gateway edge does.
    pub async fn publish_uplink(&self, frame: &pb::UplinkFrame) -> anyhow::Result<()> {
        self.bus.publish(&self.bus.subjects().up(), frame).await?;
        self.bus.flush().await?;
        Ok(())
    }

    /// Returns the sum over replicas of uplink copies counted with `result`.
    pub fn uplinks(&self, result: &str) -> u64 {
        self.counter("tern_network_uplinks_total", "result", result)
    }

    /// Returns the sum over replicas of TX acknowledgements counted with `status`.
    pub fn tx_acks(&self, status: &str) -> u64 {
        self.counter("tern_network_tx_acks_total", "status", status)
    }

    /// Sums one labelled counter over the replicas, read from their exposition text.
    fn counter(&self, name: &str, label: &str, value: &str) -> u64 {
        let series = format!("{name}{{{label}=\"{value}\"}} ");
        self.replicas
            .iter()
            .filter_map(|replica| replica.metrics.encode().ok())
            .map(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix(series.as_str()))
                    .and_then(|count| count.trim().parse::<u64>().ok())
                    .unwrap_or(0)
            })
            .sum()
    }

    /// Waits until the replicas counted `n` uplink copies with `result`.
    pub async fn wait_uplinks(&self, result: &str, n: u64) -> anyhow::Result<()> {
        tokio::time::timeout(TEST_TIMEOUT, async {
            while self.uplinks(result) < n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .with_context(|| {
            format!(
                "waiting for {n} uplinks with result {result}, have {}",
                self.uplinks(result)
            )
        })
    }

    /// Stops every replica, checks that each stopped cleanly, and drops the schema.
    pub async fn stop(self) -> anyhow::Result<()> {
        for replica in self.replicas {
            replica.shutdown.trigger();
            tokio::time::timeout(TEST_TIMEOUT, replica.task)
                .await
                .context("network service did not stop in time")?
                .context("network task")??;
            ensure!(!replica.readiness.is_ready(), "ready after stopping");
            replica.bus.drain().await?;
        }
        self.schema.cleanup().await?;
        Ok(())
    }
}

/// Waits for the next message of `subscription`.
pub async fn next<M>(subscription: &mut Subscription<M>) -> anyhow::Result<M> {
    tokio::time::timeout(TEST_TIMEOUT, subscription.next())
        .await
        .context("timed out waiting for a message")?
        .map(tern_bus::Delivery::into_message)
        .context("subscription ended")
}

/// Tells whether `subscription` yields nothing within `wait`.
pub async fn stays_quiet<M>(subscription: &mut Subscription<M>, wait: Duration) -> bool {
    tokio::time::timeout(wait, subscription.next())
        .await
        .is_err()
}

/// One gateway's reception for [`uplink_frame`].
#[derive(Debug, Clone, Copy)]
pub struct Reception {
    /// Gateway EUI.
    pub gateway_eui: u64,
    /// SNR in dB.
    pub snr_db: f32,
    /// Concentrator counter in microseconds.
    pub tmst: u32,
}

/// Builds the `UplinkFrame` a gateway edge publishes for `phy_payload` received on
/// [`TEST_FREQUENCY_HZ`] at SF7/125 kHz (EU868 DR5).
pub fn uplink_frame(phy_payload: Vec<u8>, receptions: &[Reception]) -> pb::UplinkFrame {
    pb::UplinkFrame {
        phy_payload: Bytes::from(phy_payload),
        tx_info: Some(pb::UplinkTxInfo {
            frequency_hz: TEST_FREQUENCY_HZ,
            modulation: Some(pb::Modulation {
                parameters: Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
                    spreading_factor: 7,
                    bandwidth_hz: 125_000,
                    code_rate: pb::CodeRate::Cr45 as i32,
                })),
            }),
        }),
        rx_metadata: receptions
            .iter()
            .map(|reception| pb::UplinkRxMetadata {
                gateway_eui: reception.gateway_eui,
                tmst: Some(reception.tmst),
                snr_db: reception.snr_db,
                rssi_dbm: -80,
                crc_status: pb::CrcStatus::Ok as i32,
                ..pb::UplinkRxMetadata::default()
            })
            .collect(),
        received_at_unix_ns: 1_715_000_000_000_000_000,
    }
}

/// A simulated device with a session: DevAddr and network session keys.
#[derive(Debug, Clone, Copy)]
pub struct SimDevice {
    /// DevAddr of the session.
    pub dev_addr: DevAddr,
    /// FNwkSIntKey (NwkSKey for 1.0.x).
    pub f_nwk_s_int_key: Aes128Key,
    /// SNwkSIntKey (NwkSKey for 1.0.x).
    pub s_nwk_s_int_key: Aes128Key,
    /// NwkSEncKey (NwkSKey for 1.0.x).
    pub nwk_s_enc_key: Aes128Key,
    /// Whether the session is LoRaWAN 1.1.
    pub lorawan_1_1: bool,
}

impl SimDevice {
    /// Builds a data uplink with FPort 1, FCnt `f_cnt` (its low 16 bits go on the air) and a
    /// valid MIC, sent on [`TEST_FREQUENCY_HZ`] at DR5 (channel 0 for the 1.1 B1 block).
    pub fn data_up(&self, f_cnt: u32, confirmed: bool, payload: &[u8]) -> Vec<u8> {
        self.data_up_with_f_opts(f_cnt, confirmed, &[], payload)
    }

    /// Builds a data uplink as [`SimDevice::data_up`] does, with MAC commands in FOpts: in
    /// clear for LoRaWAN 1.0.x, encrypted with the errata layout for LoRaWAN 1.1.
    pub fn data_up_with_f_opts(
        &self,
        f_cnt: u32,
        confirmed: bool,
        f_opts: &[u8],
        payload: &[u8],
    ) -> Vec<u8> {
        self.data_up_acking(f_cnt, confirmed, f_opts, payload, None)
    }

    /// Builds a data uplink as [`SimDevice::data_up_with_f_opts`] does; with `ack` =
    /// `Some(counter)` it acknowledges the confirmed downlink that carried `counter` (the ACK
    /// bit, and for LoRaWAN 1.1 the ConfFCnt of the MIC).
    pub fn data_up_acking(
        &self,
        f_cnt: u32,
        confirmed: bool,
        f_opts: &[u8],
        payload: &[u8],
        ack: Option<u32>,
    ) -> Vec<u8> {
        let fhdr = FHdr {
            dev_addr: self.dev_addr,
            f_ctrl: FCtrl {
                ack: ack.is_some(),
                ..FCtrl::default()
            },
            // The frame carries the low 16 bits: truncation intended.
            f_cnt: f_cnt as u16,
            f_opts: FOpts::new(f_opts).expect("at most 15 bytes of test FOpts"),
        };
        let mut fhdr = fhdr;
        if self.lorawan_1_1 {
            encrypt_f_opts_in_place(
                &CipherKey::new(&self.nwk_s_enc_key),
                FOptsScheme::Errata,
                FOptsCounter::FCntUp,
                self.dev_addr,
                f_cnt,
                fhdr.f_opts.as_mut_bytes(),
            )
            .expect("at most 15 bytes of test FOpts");
        }
        let mac_payload =
            MacPayload::new(fhdr, 1, payload.to_vec()).expect("a short test payload fits");
        let m_type = if confirmed {
            MType::ConfirmedDataUp
        } else {
            MType::UnconfirmedDataUp
        };
        let frame = PhyPayload::data(m_type, mac_payload, [0; 4]).expect("a data uplink");
        let mut bytes = frame.encode_without_mic();
        let f_key = MicKey::new(&self.f_nwk_s_int_key);
        let mic = if self.lorawan_1_1 {
            let b1 = B1Fields {
                conf_f_cnt: ack,
                tx_dr: 5,
                tx_ch: 0,
            };
            let s_key = MicKey::new(&self.s_nwk_s_int_key);
            compute_data_uplink_mic_1_1(&s_key, &f_key, b1, self.dev_addr, f_cnt, &bytes)
        } else {
            compute_data_uplink_mic_1_0(&f_key, self.dev_addr, f_cnt, &bytes)
        }
        .expect("a short frame has a MIC");
        bytes.extend_from_slice(&mic);
        bytes
    }
}

/// Builds an ABP LoRaWAN 1.0.x registry entry for EU868 with `dev_addr` and `nwk_s_key`.
pub fn abp_device(dev_eui: Eui64, dev_addr: DevAddr, nwk_s_key: Aes128Key) -> crate::NetworkDevice {
    crate::NetworkDevice {
        dev_eui,
        band: String::from("eu868"),
        mac_version: pb::MacVersion::MacVersion103,
        class: pb::DeviceClass::A,
        rx1_delay_s: 1,
        rx1_dr_offset: 0,
        rx2_dr: None,
        rx2_frequency_hz: None,
        adr: true,
        relax_f_cnt: false,
        activation: crate::Activation::Abp {
            dev_addr,
            keys: crate::NetworkSessionKeys::from_nwk_s_key(nwk_s_key),
        },
    }
}
