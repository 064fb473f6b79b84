//! Test helpers (feature `testsuite`): a join service on loopback NATS and PostgreSQL with its
//! own subject root and schema, and a simulated end-device that builds requests and opens
//! join-accepts the way a device does.
//!
//! The device side uses `lorawan-codec` and `lorawan-crypto` directly, never the join server's
//! own code paths, so tests compare the server against an independent assembly of the frames.

use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use lorawan_codec::{
    Aes128Key, DevNonce, Eui64, JoinAcceptPayload, JoinReqType, JoinRequest, Payload, PhyPayload,
    RejoinRequest,
};
use lorawan_crypto::{
    MicKey, compute_join_request_mic, compute_rejoin_request_mic, decrypt_join_accept,
    derive_join_server_keys, derive_session_keys_1_0, derive_session_keys_1_1,
    verify_join_accept_mic_1_0, verify_join_accept_mic_1_1,
};
use tern_bus::{Bus, BusMetrics};
use tern_config::{JoinConfig, Secret};
use tern_postgres::deadpool_postgres::Pool;
use tern_postgres::testsuite::{TestSchema, test_pool};
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};
use tokio::task::JoinHandle;

use crate::{DeviceRootKeys, JoinDeps, Kek, MacVersion, PgJoinStore};

/// KEK of [`default_config`].
pub const TEST_KEK: &str = "000102030405060708090a0b0c0d0e0f";
/// KEK label of [`default_config`].
pub const TEST_KEK_LABEL: &str = "test";
/// How long a test waits for an answer or for readiness.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Returns the default `[join]` section with [`TEST_KEK`] set.
pub fn default_config() -> JoinConfig {
    JoinConfig {
        kek: Some(Secret::new(TEST_KEK.to_owned())),
        kek_label: TEST_KEK_LABEL.to_owned(),
        ..JoinConfig::default()
    }
}

/// Returns the KEK of [`default_config`].
pub fn test_kek() -> Kek {
    Kek::new(
        TEST_KEK_LABEL,
        TEST_KEK.parse().expect("TEST_KEK is 32 hex digits"),
    )
}

/// One running join service.
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

/// Join service replicas sharing one subject root and one schema, and a client to ask them.
#[derive(Debug)]
pub struct TestEnv {
    /// The `[join]` section the replicas run with (its schema is the test schema).
    pub config: JoinConfig,
    /// The client bus, on the replicas' subject root.
    pub bus: Bus,
    /// The database pool.
    pub pool: Pool,
    /// The replicas' store, for setting keys.
    pub store: PgJoinStore,
    /// The running replicas.
    pub replicas: Vec<Replica>,
    bus_options: tern_bus::BusOptions,
    schema: TestSchema,
}

fn bus_metrics() -> BusMetrics {
    BusMetrics::new(&mut prometheus_client::registry::Registry::default())
}

impl TestEnv {
    /// Starts one replica with [`default_config`].
    pub async fn start() -> anyhow::Result<TestEnv> {
        TestEnv::start_with(default_config()).await
    }

    /// Starts one replica with `config`, its schema replaced by a fresh test schema.
    pub async fn start_with(mut config: JoinConfig) -> anyhow::Result<TestEnv> {
        let bus_options = tern_bus::testsuite::test_options();
        let bus = Bus::connect(&bus_options, bus_metrics())
            .await
            .context("connect test bus")?;
        let pool = test_pool()?;
        let schema = TestSchema::new(&pool);
        config.schema = schema.name().as_str().to_owned();
        let store = PgJoinStore::new(pool.clone(), schema.name().clone(), test_kek());
        let mut env = TestEnv {
            config,
            bus,
            pool,
            store,
            replicas: Vec::new(),
            bus_options,
            schema,
        };
        env.add_replica().await?;
        Ok(env)
    }

    /// Starts one more replica (own NATS connection, metrics and readiness) and waits until it
    /// is ready.
    pub async fn add_replica(&mut self) -> anyhow::Result<&Replica> {
        let bus = Bus::connect(&self.bus_options, bus_metrics())
            .await
            .context("connect replica bus")?;
        let metrics = Metrics::new();
        let readiness = Readiness::new();
        let shutdown = Shutdown::new();
        let deps = JoinDeps {
            bus: bus.clone(),
            pool: self.pool.clone(),
            metrics: metrics.clone(),
            readiness: readiness.clone(),
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
            task.await.context("join task")??;
            bail!("join service stopped before it was ready");
        }
        ensure!(waited.is_ok(), "join service not ready in time");
        self.replicas.push(Replica {
            metrics,
            readiness,
            shutdown,
            task,
            bus,
        });
        Ok(self.replicas.last().expect("a replica was just pushed"))
    }

    /// Asks `js.join` and waits for the answer.
    pub async fn request(&self, request: &pb::JoinRequest) -> anyhow::Result<pb::JoinAnswer> {
        self.request_message(request).await
    }

    /// Sends any message on `js.join`, e.g. one that is not a `JoinRequest`.
    pub async fn request_message<M: prost::Message>(
        &self,
        message: &M,
    ) -> anyhow::Result<pb::JoinAnswer> {
        let subject = self.bus.subjects().js_join();
        Ok(self.bus.request(&subject, message, TEST_TIMEOUT).await?)
    }

    /// Adds `device` to the store.
    pub async fn add_device(&self, device: &TestDevice) -> anyhow::Result<()> {
        use crate::JoinStore;
        self.store.set_device(&device.root_keys()).await?;
        Ok(())
    }

    /// Stops every replica, checks that each stopped cleanly, and drops the schema.
    pub async fn stop(self) -> anyhow::Result<()> {
        for replica in self.replicas {
            replica.shutdown.trigger();
            tokio::time::timeout(TEST_TIMEOUT, replica.task)
                .await
                .context("join service did not stop in time")?
                .context("join task")??;
            ensure!(!replica.readiness.is_ready(), "ready after stopping");
            replica.bus.drain().await?;
        }
        self.schema.cleanup().await?;
        Ok(())
    }
}

/// Returns the `JoinRequest` message the network server would send for `phy_payload`: DevAddr
/// `0x26011234`, NetID `0x000013`, RX1DRoffset 1, RX2 DR 3, RxDelay 5 and the EU868 CFList of
/// five extra channels.
pub fn join_request_message(phy_payload: Vec<u8>) -> pb::JoinRequest {
    pb::JoinRequest {
        phy_payload: phy_payload.into(),
        dev_addr: 0x2601_1234,
        net_id: 0x00_0013,
        rx1_dr_offset: 1,
        rx2_dr: 3,
        rx_delay: 5,
        // 867.1 to 867.9 MHz, CFListType 0 (RP002-1.0.3 §2.4.4).
        cf_list: vec![
            0x18, 0x4f, 0x84, 0xe8, 0x56, 0x84, 0xb8, 0x5e, 0x84, 0x88, 0x66, 0x84, 0x58, 0x6e,
            0x84, 0x00,
        ]
        .into(),
        received_at_unix_ns: 1_715_000_000_000_000_000,
    }
}

/// Returns the accepted join of `answer`, or fails with the refusal.
pub fn expect_accept(answer: pb::JoinAnswer) -> anyhow::Result<pb::JoinAccept> {
    match answer.result {
        Some(pb::join_answer::Result::Ok(accept)) => Ok(accept),
        Some(pb::join_answer::Result::Error(refusal)) => {
            bail!("join refused: {:?}: {}", refusal.code(), refusal.message)
        }
        None => bail!("empty join answer"),
    }
}

/// Returns the refusal code of `answer`, or fails when the join was accepted.
pub fn expect_refusal(answer: pb::JoinAnswer) -> anyhow::Result<pb::JoinErrorCode> {
    match answer.result {
        Some(pb::join_answer::Result::Error(refusal)) => Ok(refusal.code()),
        Some(pb::join_answer::Result::Ok(accept)) => {
            bail!("join accepted with JoinNonce {}", accept.join_nonce)
        }
        None => bail!("empty join answer"),
    }
}

/// A simulated end-device with its identity and root keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDevice {
    /// DevEUI.
    pub dev_eui: Eui64,
    /// JoinEUI.
    pub join_eui: Eui64,
    /// LoRaWAN version.
    pub mac_version: MacVersion,
    /// AppKey.
    pub app_key: Aes128Key,
    /// NwkKey (LoRaWAN 1.1).
    pub nwk_key: Option<Aes128Key>,
}

/// What a device learns from a join-accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedAccept {
    /// The decrypted join-accept body.
    pub body: JoinAcceptPayload,
    /// FNwkSIntKey (NwkSKey for 1.0.x).
    pub f_nwk_s_int_key: Aes128Key,
    /// SNwkSIntKey (NwkSKey for 1.0.x).
    pub s_nwk_s_int_key: Aes128Key,
    /// NwkSEncKey (NwkSKey for 1.0.x).
    pub nwk_s_enc_key: Aes128Key,
    /// AppSKey.
    pub app_s_key: Aes128Key,
}

impl TestDevice {
    /// Creates a device whose EUIs and keys are derived from `seed`; a 1.1 device gets a NwkKey.
    pub fn new(mac_version: MacVersion, seed: u8) -> TestDevice {
        TestDevice {
            dev_eui: Eui64::from_u64(0x70b3_d57e_d000_0000 | u64::from(seed)),
            join_eui: Eui64::from_u64(0x0000_0000_0000_0100 | u64::from(seed)),
            mac_version,
            app_key: Aes128Key::from_bytes([seed ^ 0xa5; 16]),
            nwk_key: mac_version
                .is_1_1()
                .then(|| Aes128Key::from_bytes([seed ^ 0x5a; 16])),
        }
    }

    /// Returns the record the join server stores for this device.
    pub fn root_keys(&self) -> DeviceRootKeys {
        DeviceRootKeys {
            dev_eui: self.dev_eui,
            join_eui: self.join_eui,
            mac_version: self.mac_version,
            app_key: self.app_key,
            nwk_key: self.nwk_key,
        }
    }

    /// The key of the join-request MIC: NwkKey for 1.1, AppKey before (LoRaWAN 1.1 §6.2.2).
    fn request_key(&self) -> Aes128Key {
        self.nwk_key.unwrap_or(self.app_key)
    }

    /// Builds a join-request PHYPayload with a valid MIC.
    pub fn join_request(&self, dev_nonce: u16) -> Vec<u8> {
        let join_request = JoinRequest {
            join_eui: self.join_eui,
            dev_eui: self.dev_eui,
            dev_nonce: DevNonce::new(dev_nonce),
        };
        let mut frame = PhyPayload::join_request(join_request, [0; 4]).encode_without_mic();
        let mic = compute_join_request_mic(&MicKey::new(&self.request_key()), &frame)
            .expect("a join-request MIC input is 19 bytes");
        frame.extend_from_slice(&mic);
        frame
    }

    /// Builds a rejoin-request PHYPayload. Type 1 is signed with the JSIntKey; types 0 and 2
    /// with `s_nwk_s_int_key`, the current session's key (LoRaWAN 1.1 §6.2.4).
    pub fn rejoin_request(&self, rejoin: RejoinRequest, s_nwk_s_int_key: &Aes128Key) -> Vec<u8> {
        let mut frame = PhyPayload::rejoin_request(rejoin, [0; 4]).encode_without_mic();
        let key = match rejoin {
            RejoinRequest::Type1 { .. } => {
                let nwk_key = self.nwk_key.unwrap_or(self.app_key);
                derive_join_server_keys(&nwk_key, self.dev_eui).js_int_key
            }
            RejoinRequest::Type0 { .. } | RejoinRequest::Type2 { .. } => *s_nwk_s_int_key,
        };
        let mic = compute_rejoin_request_mic(&MicKey::new(&key), &frame)
            .expect("a rejoin-request MIC input has its type's length");
        frame.extend_from_slice(&mic);
        frame
    }

    /// Decrypts a join-accept answering (`join_req_type`, `nonce`), checks its MIC and derives
    /// the session keys, as the device would (LoRaWAN 1.0.4 §6.2.6, LoRaWAN 1.1 §6.2.3).
    pub fn open_join_accept(
        &self,
        phy_payload: &[u8],
        join_req_type: JoinReqType,
        nonce: u16,
    ) -> anyhow::Result<OpenedAccept> {
        let js_keys = self
            .nwk_key
            .map(|nwk_key| derive_join_server_keys(&nwk_key, self.dev_eui));
        let decryption_key = match (self.nwk_key, js_keys, join_req_type) {
            (None, _, _) => self.app_key,
            (Some(nwk_key), _, JoinReqType::JoinRequest) => nwk_key,
            (Some(_), Some(js_keys), _) => js_keys.js_enc_key,
            (Some(_), None, _) => bail!("JS keys derive from the NwkKey"),
        };
        let mut frame = phy_payload.to_vec();
        ensure!(frame.len() == 17 || frame.len() == 33, "join-accept length");
        decrypt_join_accept(&decryption_key, &mut frame[1..])?;
        let decoded = PhyPayload::decode_plaintext_join_accept(&frame)?;
        let Payload::JoinAccept(body) = decoded.payload else {
            bail!("not a join-accept");
        };
        let (msg, mic) = frame.split_at(frame.len() - 4);
        let mic: &[u8; 4] = mic.try_into()?;
        let opt_neg = body.dl_settings.opt_neg();
        match (opt_neg, js_keys, self.nwk_key) {
            (true, Some(js_keys), Some(nwk_key)) => {
                verify_join_accept_mic_1_1(
                    &MicKey::new(&js_keys.js_int_key),
                    join_req_type,
                    self.join_eui,
                    nonce,
                    msg,
                    mic,
                )?;
                let keys = derive_session_keys_1_1(
                    &nwk_key,
                    &self.app_key,
                    body.join_nonce.to_u32(),
                    self.join_eui,
                    nonce,
                );
                Ok(OpenedAccept {
                    body,
                    f_nwk_s_int_key: keys.f_nwk_s_int_key,
                    s_nwk_s_int_key: keys.s_nwk_s_int_key,
                    nwk_s_enc_key: keys.nwk_s_enc_key,
                    app_s_key: keys.app_s_key,
                })
            }
            (true, _, _) => bail!("OptNeg set for a LoRaWAN 1.0.x device"),
            (false, _, _) => {
                // A 1.1 device answered by a 1.0 join server uses its NwkKey as the AppKey.
                let key = self.nwk_key.unwrap_or(self.app_key);
                verify_join_accept_mic_1_0(&MicKey::new(&key), msg, mic)?;
                let keys = derive_session_keys_1_0(
                    &key,
                    body.join_nonce.to_u32(),
                    body.home_net_id,
                    nonce,
                );
                Ok(OpenedAccept {
                    body,
                    f_nwk_s_int_key: keys.nwk_s_key,
                    s_nwk_s_int_key: keys.nwk_s_key,
                    nwk_s_enc_key: keys.nwk_s_key,
                    app_s_key: keys.app_s_key,
                })
            }
        }
    }
}
