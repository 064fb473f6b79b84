//! End to end through the real UDP edge: a simulated packet forwarder joins an OTAA LoRaWAN
//! 1.0.3 EU868 device via the gateway edge, the network service and the join service, all
//! running in this process against the loopback NATS, Redis and PostgreSQL with their own
//! subject root, key prefix and schemas; then the device's first data uplink comes out on
//! `as.up`, and the application service turns the session and the uplink into `join` and
//! decrypted `up` events.

use std::net::SocketAddr;
use std::time::Duration;

use lorawan_codec::{Direction, PhyPayload};
use lorawan_crypto::{CipherKey, decrypt_frm_payload};
use lorawan_region::Band;
use semtech_udp::{GatewayEui, Identifier, TxAckCode};
use tern_bus::{Bus, BusMetrics};
use tern_config::GatewayConfig;
use tern_gateway::GatewayDeps;
use tern_join::testsuite::{TestDevice, test_kek};
use tern_join::{JoinDeps, JoinStore, MacVersion, PgJoinStore};
use tern_network::testsuite::{TestEnv, next};
use tern_network::{Activation, DeviceRegistry, NetworkDevice};
use tern_postgres::testsuite::TestSchema;
use tern_sim::{
    Device, DeviceConfig, Gateway, RootKeys, RxContext, RxMeta, RxSlot, TxAckReply, UplinkParams,
};
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};
use tokio::task::JoinHandle;

/// Upper bound of every wait; reached only when the test fails.
const TIMEOUT: Duration = Duration::from_secs(20);
/// EUI of the simulated gateway.
const GATEWAY_EUI: u64 = 0x0016_c001_ff10_e2e0;
/// Concentrator counter of the join-request.
const JOIN_TMST: u32 = 1_208_587_652;
/// JOIN_ACCEPT_DELAY1 in microseconds, 5 s in EU863-870 (RP002-1.0.4 §2.4).
const JOIN_ACCEPT_DELAY1_US: u32 = 5_000_000;

/// A service task with the token that stops it.
struct Service {
    name: &'static str,
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Service {
    /// Triggers shutdown and checks that the task returns `Ok(())` in time.
    async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(TIMEOUT, self.task)
            .await
            .unwrap_or_else(|_| panic!("{} stops in time", self.name))
            .unwrap_or_else(|error| panic!("{} task joins: {error}", self.name))
            .unwrap_or_else(|error| panic!("{} returns Ok: {error:#}", self.name));
    }
}

/// Waits until `readiness` is ready or the task ended.
async fn wait_ready(name: &str, readiness: &Readiness, task: &JoinHandle<anyhow::Result<()>>) {
    tokio::time::timeout(TIMEOUT, async {
        while !readiness.is_ready() && !task.is_finished() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{name} ready in time"));
    assert!(!task.is_finished(), "{name} stopped before it was ready");
}

/// Starts the join service on `bus` with its own schema.
async fn start_join(env: &TestEnv, bus: &Bus) -> (Service, PgJoinStore, TestSchema) {
    let schema = TestSchema::new(&env.pool);
    let mut config = tern_join::testsuite::default_config();
    config.schema = schema.name().as_str().to_owned();
    let readiness = Readiness::new();
    let shutdown = Shutdown::new();
    let deps = JoinDeps {
        bus: bus.clone(),
        pool: env.pool.clone(),
        metrics: Metrics::new(),
        readiness: readiness.clone(),
    };
    let run_shutdown = shutdown.clone();
    let task = tokio::spawn(async move { tern_join::run(&config, deps, run_shutdown).await });
    wait_ready("join service", &readiness, &task).await;
    let store = PgJoinStore::new(env.pool.clone(), schema.name().clone(), test_kek());
    let service = Service {
        name: "join service",
        shutdown,
        task,
    };
    (service, store, schema)
}

/// Binds the gateway edge on an ephemeral loopback port and serves it on `bus`.
async fn start_edge(bus: &Bus) -> (Service, SocketAddr) {
    let config = GatewayConfig {
        listen: "127.0.0.1:0".parse().expect("a socket address"),
        uplinks_per_second: 0,
        ..GatewayConfig::default()
    };
    let readiness = Readiness::new();
    let deps = GatewayDeps {
        bus: bus.clone(),
        metrics: Metrics::new(),
        readiness: readiness.clone(),
    };
    let gateway = tern_gateway::bind(&config, deps).await.expect("edge binds");
    let addr = gateway.local_addr();
    let shutdown = Shutdown::new();
    let task = tokio::spawn(gateway.serve(shutdown.clone()));
    wait_ready("gateway edge", &readiness, &task).await;
    let service = Service {
        name: "gateway edge",
        shutdown,
        task,
    };
    (service, addr)
}

/// The network registry entry of an OTAA LoRaWAN 1.0.3 EU868 class A device.
fn network_device(device: &TestDevice) -> NetworkDevice {
    NetworkDevice {
        dev_eui: device.dev_eui,
        band: String::from("eu868"),
        mac_version: tern_proto::internal::v1::MacVersion::MacVersion103,
        class: tern_proto::internal::v1::DeviceClass::A,
        rx1_delay_s: 1,
        rx1_dr_offset: 0,
        rx2_dr: None,
        rx2_frequency_hz: None,
        adr: true,
        relax_f_cnt: false,
        activation: Activation::Otaa {
            join_eui: device.join_eui,
        },
    }
}

#[tokio::test]
async fn otaa_device_joins_through_the_udp_edge_its_uplink_reaches_as_up_and_an_ack_falls_back_to_rx2()
 {
    let env = TestEnv::start().await.expect("network service starts");
    let bus = Bus::connect(
        &env.bus_options,
        BusMetrics::new(&mut prometheus_client::registry::Registry::default()),
    )
    .await
    .expect("services bus connects");
    let (join, join_store, join_schema) = start_join(&env, &bus).await;
    let (edge, edge_addr) = start_edge(&bus).await;

    let device = TestDevice::new(MacVersion::V1_0_3, 0x3e);
    join_store
        .set_device(&device.root_keys())
        .await
        .expect("join store takes the device");
    env.registry
        .set_device(&network_device(&device))
        .await
        .expect("registry takes the device");

    // The edge announces its claim once it follows the gateway's downlinks.
    let mut claims = bus
        .subscribe_bytes(&bus.subjects().gw_claim(GATEWAY_EUI))
        .await
        .expect("claims subscription");
    let mut as_up = env.subscribe_as_up().await.expect("as.up subscription");
    bus.flush().await.expect("bus flushes");

    // The application service on the same subject root, with the join server's KEK.
    let application = tern_application::testsuite::TestEnv::start_on(
        env.bus_options.clone(),
        tern_application::testsuite::default_config(),
    )
    .await
    .expect("application service starts");
    application
        .register_device(
            device.dev_eui.to_u64(),
            "e2e",
            "otaa-device",
            tern_application::Formatter::None,
        )
        .await
        .expect("application registry takes the device");
    let mut app_events = application
        .subscribe_events("e2e")
        .await
        .expect("application events subscription");

    let mut gateway = Gateway::connect(GatewayEui::from_u64(GATEWAY_EUI), edge_addr)
        .await
        .expect("gateway socket");
    let pull_token = gateway.pull_data().await.expect("PULL_DATA sent");
    let ack = gateway.next_ack(TIMEOUT).await.expect("PULL_ACK in time");
    assert_eq!(
        (ack.identifier, ack.token),
        (Identifier::PullAck, pull_token)
    );
    next(&mut claims)
        .await
        .expect("the edge claims the gateway");

    // Join-request (LoRaWAN 1.0.3 §6.2.4) with the AppKey MIC, at SF7BW125 (EU868 DR5).
    let mut config = DeviceConfig::new(
        tern_sim::MacVersion::V1_0_3,
        Band::by_name("eu868").expect("eu868 is a band"),
    );
    config.dr = 5;
    let mut sim = Device::otaa(
        config,
        RootKeys::v1_0(device.dev_eui, device.join_eui, device.app_key),
    );
    let join_request = sim
        .join_request_with_dev_nonce(0x0e2e)
        .expect("an OTAA device builds a join-request");
    let meta = |tmst| RxMeta {
        tmst: Some(tmst),
        ..RxMeta::default()
    };
    gateway
        .send_uplink(&join_request, meta(JOIN_TMST))
        .await
        .expect("PUSH_DATA sent");

    let downlink = gateway
        .next_downlink(TIMEOUT)
        .await
        .expect("a PULL_RESP in time");
    let txpk = &downlink.txpk;
    assert_eq!(txpk.tmst, Some(JOIN_TMST + JOIN_ACCEPT_DELAY1_US));
    let rx1 = sim.rx1_window(&join_request).expect("an RX1 window");
    assert_eq!(txpk.freq_hz(), u64::from(join_request.frequency_hz));
    assert_eq!(txpk.freq_hz(), u64::from(rx1.frequency_hz));
    assert!(txpk.ipol, "downlinks use inverted polarity");
    let accepted = sim
        .handle_join_accept(&txpk.data)
        .expect("the join-accept decrypts with the AppKey and its MIC checks");

    // First data uplink of the session: FPort 1, FCnt 0, FRMPayload under the AppSKey.
    let dev_addr = accepted.dev_addr;
    let plain = b"\x01\x02tern";
    let data_up = sim
        .uplink(UplinkParams {
            f_port: Some(1),
            payload: plain.to_vec(),
            confirmed: false,
            channel: Some(0),
        })
        .expect("the device builds its first uplink");
    assert_eq!(data_up.f_cnt, Some(0));
    assert_eq!(data_up.frequency_hz, 868_100_000);
    let encrypted = PhyPayload::decode(&data_up.phy)
        .expect("the uplink decodes")
        .mac_payload()
        .expect("a data frame")
        .frm_payload()
        .to_vec();
    gateway
        .send_uplink(&data_up, meta(1_900_000_000))
        .await
        .expect("PUSH_DATA sent");

    let uplink = next(&mut as_up).await.expect("an uplink on as.up");
    assert_eq!(uplink.dev_eui, device.dev_eui.to_u64());
    assert_eq!(uplink.join_eui, device.join_eui.to_u64());
    assert_eq!(uplink.dev_addr, dev_addr.to_u32());
    assert_eq!(uplink.f_cnt, 0);
    assert_eq!(uplink.f_port, Some(1));
    assert_eq!(uplink.frm_payload.as_ref(), encrypted.as_slice());
    let app_s_key = CipherKey::new(&accepted.keys.app_s_key);
    let decrypted = decrypt_frm_payload(
        &app_s_key,
        Direction::Uplink,
        dev_addr,
        uplink.f_cnt,
        &uplink.frm_payload,
    )
    .expect("the FRMPayload decrypts");
    assert_eq!(decrypted, plain);
    assert!(
        tern_network::testsuite::stays_quiet(&mut as_up, Duration::from_millis(300)).await,
        "exactly one uplink on as.up"
    );
    let join_event = tern_application::testsuite::next_event_named(&mut app_events, "join")
        .await
        .expect("a join event");
    assert_eq!(join_event.device.dev_addr, dev_addr.to_string());
    let up_event = tern_application::testsuite::next_event_named(&mut app_events, "up")
        .await
        .expect("an up event");
    let tern_application::EventBody::Up(up) = up_event.body else {
        panic!("not an up event: {up_event:?}");
    };
    assert_eq!(up.f_cnt, 0);
    assert_eq!(up.frm_payload, "AQJ0ZXJu");
    assert_eq!(up.rx_metadata[0].gateway_eui, "0016c001ff10e2e0");

    // The first uplink may have drawn MAC requests; the device takes them in RX1.
    while let Ok(downlink) = gateway.next_downlink(Duration::from_millis(300)).await {
        sim.handle_downlink(
            &downlink.txpk.data,
            RxContext {
                slot: RxSlot::Rx1,
                snr_db: 5.0,
            },
        )
        .expect("the device takes the network's downlink");
    }

    // A confirmed uplink whose ACK the gateway cannot place in RX1 (TOO_LATE): the edge
    // moves to RX2, one second later on 869.525 MHz, and the device gets its ACK there.
    gateway.script_tx_acks([TxAckReply::Reject(TxAckCode::TooLate), TxAckReply::Accept]);
    let confirmed_up = sim
        .uplink(UplinkParams {
            f_port: Some(1),
            payload: b"c".to_vec(),
            confirmed: true,
            channel: Some(0),
        })
        .expect("the device builds a confirmed uplink");
    const CONFIRMED_TMST: u32 = 2_100_000_000;
    gateway
        .send_uplink(&confirmed_up, meta(CONFIRMED_TMST))
        .await
        .expect("PUSH_DATA sent");
    assert!(next(&mut as_up).await.expect("as.up").confirmed);
    let rx1 = gateway.next_downlink(TIMEOUT).await.expect("the RX1 try");
    assert_eq!(rx1.txpk.tmst, Some(CONFIRMED_TMST + 1_000_000));
    assert_eq!(rx1.txpk.freq_hz(), 868_100_000);
    let rx2 = gateway.next_downlink(TIMEOUT).await.expect("the RX2 try");
    assert_eq!(rx2.txpk.tmst, Some(CONFIRMED_TMST + 2_000_000));
    assert_eq!(rx2.txpk.freq_hz(), 869_525_000);
    assert_eq!(rx2.txpk.data, rx1.txpk.data);
    let acked = sim
        .handle_downlink(
            &rx2.txpk.data,
            RxContext {
                slot: RxSlot::Rx2,
                snr_db: 5.0,
            },
        )
        .expect("the device takes the ACK in RX2");
    assert!(acked.ack, "the downlink acknowledges the confirmed uplink");
    assert_eq!(sim.confirmed_uplink_acked(), Some(true));

    application.stop().await.expect("application service stops");
    edge.stop().await;
    join.stop().await;
    bus.drain().await.expect("services bus drains");
    join_schema.cleanup().await.expect("join schema dropped");
    env.stop().await.expect("network service stops");
}
