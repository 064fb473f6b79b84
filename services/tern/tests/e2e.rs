//! End to end through the real UDP edge: a simulated packet forwarder joins an OTAA LoRaWAN
//! 1.0.3 EU868 device via the gateway edge, the network service and the join service, all
//! running in this process against the loopback NATS, Redis and PostgreSQL with their own
//! subject root, key prefix and schemas; then the device's first data uplink comes out on
//! `as.up`, and the application service turns the session and the uplink into `join` and
//! decrypted `up` events.

use std::net::SocketAddr;
use std::time::Duration;

use lorawan_codec::{Direction, JoinReqType};
use lorawan_crypto::{CipherKey, decrypt_frm_payload, encrypt_frm_payload};
use semtech_udp::{
    CodingRate, CrcStatus, DataRate, Datagram, GatewayEui, ProtocolVersion, PullData, PullResp,
    PushData, Rxpk, Token, TxAck,
};
use tern_bus::{Bus, BusMetrics};
use tern_config::GatewayConfig;
use tern_gateway::GatewayDeps;
use tern_join::testsuite::{TestDevice, test_kek};
use tern_join::{JoinDeps, JoinStore, MacVersion, PgJoinStore};
use tern_network::testsuite::{SimDevice, TestEnv, next};
use tern_network::{Activation, DeviceRegistry, NetworkDevice};
use tern_postgres::testsuite::TestSchema;
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};
use tokio::net::UdpSocket;
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
        activation: Activation::Otaa {
            join_eui: device.join_eui,
        },
    }
}

/// A simulated packet forwarder speaking Semtech UDP protocol v2.
struct TestGateway {
    eui: GatewayEui,
    socket: UdpSocket,
    server: SocketAddr,
    next_token: u16,
}

impl TestGateway {
    async fn new(server: SocketAddr) -> TestGateway {
        TestGateway {
            eui: GatewayEui::from_u64(GATEWAY_EUI),
            socket: UdpSocket::bind("127.0.0.1:0")
                .await
                .expect("gateway socket"),
            server,
            next_token: 0x0e2e,
        }
    }

    fn token(&mut self) -> Token {
        self.next_token = self.next_token.wrapping_add(1);
        Token(self.next_token)
    }

    async fn send(&self, datagram: Datagram) {
        let bytes = datagram.encode().expect("datagram encodes");
        self.socket
            .send_to(&bytes, self.server)
            .await
            .expect("datagram sent");
    }

    async fn recv(&self) -> Datagram {
        let mut buf = vec![0u8; 65_536];
        let (len, _) = tokio::time::timeout(TIMEOUT, self.socket.recv_from(&mut buf))
            .await
            .expect("datagram from the edge in time")
            .expect("socket receives");
        Datagram::decode(&buf[..len]).expect("datagram from the edge decodes")
    }

    async fn pull_data(&mut self) -> Token {
        let token = self.token();
        self.send(Datagram::PullData(PullData {
            version: ProtocolVersion::V2,
            token,
            gateway_eui: self.eui,
        }))
        .await;
        token
    }

    async fn push_data(&mut self, rxpk: Rxpk) -> Token {
        let token = self.token();
        self.send(Datagram::PushData(PushData {
            version: ProtocolVersion::V2,
            token,
            gateway_eui: self.eui,
            rxpk: vec![rxpk],
            stat: None,
            rejected: vec![],
        }))
        .await;
        token
    }

    async fn tx_ack(&self, token: Token) {
        self.send(Datagram::TxAck(TxAck {
            version: ProtocolVersion::V2,
            token,
            gateway_eui: self.eui,
            txpk_ack: None,
        }))
        .await;
    }

    /// Receives datagrams until a PULL_RESP, skipping acknowledgements.
    async fn next_pull_resp(&self) -> PullResp {
        loop {
            if let Datagram::PullResp(pull_resp) = self.recv().await {
                return pull_resp;
            }
        }
    }
}

/// An rxpk received on 868.1 MHz at SF7BW125 (EU868 DR5) with concentrator counter `tmst`.
fn rxpk(data: Vec<u8>, tmst: u32) -> Rxpk {
    Rxpk {
        time: None,
        tmms: None,
        tmst,
        ftime: None,
        freq: 868.1,
        chan: Some(0),
        rfch: Some(0),
        brd: None,
        mid: None,
        aesk: None,
        stat: CrcStatus::Ok,
        datr: DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
        },
        codr: Some(CodingRate::lora(5)),
        hpw: None,
        rssi: Some(-60),
        rssis: None,
        lsnr: Some(8.5),
        foff: None,
        data,
        rsig: vec![],
    }
}

#[tokio::test]
async fn otaa_device_joins_through_the_udp_edge_and_its_uplink_reaches_as_up() {
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

    let mut gateway = TestGateway::new(edge_addr).await;
    let pull_token = gateway.pull_data().await;
    match gateway.recv().await {
        Datagram::PullAck(ack) => assert_eq!(ack.token, pull_token),
        other => panic!("expected PULL_ACK, got {other:?}"),
    }
    next(&mut claims)
        .await
        .expect("the edge claims the gateway");

    // Join-request (LoRaWAN 1.0.3 §6.2.4) with the AppKey MIC.
    let dev_nonce = 0x0e2e;
    gateway
        .push_data(rxpk(device.join_request(dev_nonce), JOIN_TMST))
        .await;

    let pull_resp = gateway.next_pull_resp().await;
    let txpk = &pull_resp.txpk;
    assert_eq!(txpk.tmst, Some(JOIN_TMST + JOIN_ACCEPT_DELAY1_US));
    assert_eq!(txpk.freq_hz(), 868_100_000);
    assert!(txpk.ipol, "downlinks use inverted polarity");
    let opened = device
        .open_join_accept(&txpk.data, JoinReqType::JoinRequest, dev_nonce)
        .expect("the join-accept decrypts with the AppKey and its MIC checks");
    gateway.tx_ack(pull_resp.token).await;

    // First data uplink of the session: FPort 1, FCnt 0, FRMPayload under the AppSKey.
    let dev_addr = opened.body.dev_addr;
    let f_cnt = 0;
    let plain = b"\x01\x02tern";
    let app_s_key = CipherKey::new(&opened.app_s_key);
    let encrypted = encrypt_frm_payload(&app_s_key, Direction::Uplink, dev_addr, f_cnt, plain)
        .expect("a short payload encrypts");
    let sim = SimDevice {
        dev_addr,
        f_nwk_s_int_key: opened.f_nwk_s_int_key,
        s_nwk_s_int_key: opened.s_nwk_s_int_key,
        nwk_s_enc_key: opened.nwk_s_enc_key,
        lorawan_1_1: false,
    };
    gateway
        .push_data(rxpk(sim.data_up(f_cnt, false, &encrypted), 1_900_000_000))
        .await;

    let uplink = next(&mut as_up).await.expect("an uplink on as.up");
    assert_eq!(uplink.dev_eui, device.dev_eui.to_u64());
    assert_eq!(uplink.join_eui, device.join_eui.to_u64());
    assert_eq!(uplink.dev_addr, dev_addr.to_u32());
    assert_eq!(uplink.f_cnt, f_cnt);
    assert_eq!(uplink.f_port, Some(1));
    assert_eq!(uplink.frm_payload.as_ref(), encrypted.as_slice());
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
    assert_eq!(up.f_cnt, f_cnt);
    assert_eq!(up.frm_payload, "AQJ0ZXJu");
    assert_eq!(up.rx_metadata[0].gateway_eui, "0016c001ff10e2e0");
    application.stop().await.expect("application service stops");

    edge.stop().await;
    join.stop().await;
    bus.drain().await.expect("services bus drains");
    join_schema.cleanup().await.expect("join schema dropped");
    env.stop().await.expect("network service stops");
}
