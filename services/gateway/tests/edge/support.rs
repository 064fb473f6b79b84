//! Test support: a gateway simulator speaking the Semtech UDP protocol through `semtech-udp`,
//! edge replicas on loopback, a bus observer and metric readers.
//!
//! Every edge binds 127.0.0.1:0 and every test uses its own subject root, so tests run in
//! parallel against the one NATS server.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use prometheus_client::registry::Registry;
use semtech_udp::{
    CrcStatus, DataRate, Datagram, GatewayEui, Identifier, ProtocolVersion, PullData, PullResp,
    PushData, Rxpk, Stat, Token, TxAck, TxAckCode, TxpkAck,
};
use tern_bus::{Bus, BusMetrics, BusOptions, Delivery, Subscription};
use tern_config::GatewayConfig;
use tern_gateway::GatewayDeps;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// Upper bound for anything to arrive on loopback; reached only when a test fails.
pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a test waits to be sure something does *not* arrive.
pub const QUIET: Duration = Duration::from_millis(300);

/// A config for loopback tests: ephemeral port, short TX_ACK timeout, no rate limit.
pub fn test_config() -> GatewayConfig {
    GatewayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tx_ack_timeout: Duration::from_millis(300),
        pull_data_timeout: Duration::from_secs(30),
        uplinks_per_second: 0,
        ..GatewayConfig::default()
    }
}

/// Connects a bus with the given options (all replicas and observers of a test share them).
pub async fn connect_bus(options: &BusOptions) -> Bus {
    let metrics = BusMetrics::new(&mut Registry::default());
    Bus::connect(options, metrics).await.unwrap()
}

/// One running edge replica.
pub struct TestEdge {
    pub addr: SocketAddr,
    pub metrics: Metrics,
    pub readiness: Readiness,
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
}

impl TestEdge {
    /// Binds and serves a replica on its own bus connection.
    pub async fn start(options: &BusOptions, config: &GatewayConfig) -> TestEdge {
        let metrics = Metrics::new();
        let readiness = Readiness::new();
        let deps = GatewayDeps {
            bus: connect_bus(options).await,
            metrics: metrics.clone(),
            readiness: readiness.clone(),
        };
        let gateway = tern_gateway::bind(config, deps).await.unwrap();
        let addr = gateway.local_addr();
        let shutdown = Shutdown::new();
        let task = tokio::spawn(gateway.serve(shutdown.clone()));
        eventually("edge ready", || readiness.is_ready()).await;
        TestEdge {
            addr,
            metrics,
            readiness,
            shutdown,
            task,
        }
    }

    /// Returns the value of a `tern_gateway_*` series, e.g.
    /// `"tern_gateway_parse_errors_total{reason=\"invalid_json\"}"`; 0 when absent.
    pub fn metric(&self, series: &str) -> f64 {
        metric(&self.metrics, series)
    }

    /// Triggers shutdown and waits for `serve` to return.
    pub async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(RECEIVE_TIMEOUT, self.task)
            .await
            .expect("edge stops in time")
            .expect("edge task joins")
            .expect("serve returns Ok");
        assert!(!self.readiness.is_ready(), "not ready after shutdown");
    }

    /// Triggers shutdown and returns the task, for tests of the drain.
    pub fn begin_stop(self) -> (JoinHandle<anyhow::Result<()>>, Readiness, Metrics) {
        self.shutdown.trigger();
        (self.task, self.readiness, self.metrics)
    }
}

/// Reads one series from a registry's text encoding; 0 when absent.
pub fn metric(metrics: &Metrics, series: &str) -> f64 {
    let text = metrics.encode().unwrap();
    text.lines()
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().unwrap())
        })
        .unwrap_or(0.0)
}

/// Waits until `condition` holds, polling; fails the test after [`RECEIVE_TIMEOUT`].
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + RECEIVE_TIMEOUT;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits for the next message of a subscription.
pub async fn next<M>(subscription: &mut Subscription<M>) -> Delivery<M> {
    tokio::time::timeout(RECEIVE_TIMEOUT, subscription.next())
        .await
        .expect("message within timeout")
        .expect("subscription open")
}

/// Asserts that a subscription stays quiet for [`QUIET`].
pub async fn assert_quiet<M: std::fmt::Debug>(subscription: &mut Subscription<M>) {
    if let Ok(Some(delivery)) = tokio::time::timeout(QUIET, subscription.next()).await {
        panic!("unexpected message {delivery:?}");
    }
}

/// A simulated packet forwarder: one UDP socket on loopback, talking to one edge at a time.
pub struct TestGateway {
    pub eui: GatewayEui,
    pub socket: UdpSocket,
    pub server: SocketAddr,
    pub version: ProtocolVersion,
    next_token: u16,
}

impl TestGateway {
    /// Binds the gateway's socket and points it at `server`.
    pub async fn new(eui: u64, server: SocketAddr) -> TestGateway {
        TestGateway {
            eui: GatewayEui::from_u64(eui),
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            server,
            version: ProtocolVersion::V2,
            next_token: 0x0100,
        }
    }

    fn token(&mut self) -> Token {
        self.next_token = self.next_token.wrapping_add(1);
        Token(self.next_token)
    }

    /// Sends raw bytes to the server.
    pub async fn send_raw(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.server).await.unwrap();
    }

    async fn send(&self, datagram: &Datagram) {
        self.send_raw(&datagram.encode().unwrap()).await;
    }

    /// Sends PUSH_DATA and returns its token.
    pub async fn push_data(&mut self, rxpk: Vec<Rxpk>, stat: Option<Stat>) -> Token {
        let token = self.token();
        let push_data = PushData {
            version: self.version,
            token,
            gateway_eui: self.eui,
            rxpk,
            stat,
            rejected: vec![],
        };
        self.send(&Datagram::PushData(push_data)).await;
        token
    }

    /// Sends PULL_DATA and returns its token.
    pub async fn pull_data(&mut self) -> Token {
        let token = self.token();
        let pull_data = PullData {
            version: self.version,
            token,
            gateway_eui: self.eui,
        };
        self.send(&Datagram::PullData(pull_data)).await;
        token
    }

    /// Sends a TX_ACK for `token`; `error` `None` means accepted.
    pub async fn tx_ack(&self, token: Token, error: Option<&str>) {
        let tx_ack = TxAck {
            version: self.version,
            token,
            gateway_eui: self.eui,
            txpk_ack: error.map(|code| TxpkAck {
                error: Some(TxAckCode::parse(code)),
                warn: None,
                value: None,
            }),
        };
        self.send(&Datagram::TxAck(tx_ack)).await;
    }

    /// Receives the next datagram, if one comes within `timeout`.
    pub async fn recv_within(&self, timeout: Duration) -> Option<Datagram> {
        let mut buf = vec![0u8; 65_536];
        let (len, _) = tokio::time::timeout(timeout, self.socket.recv_from(&mut buf))
            .await
            .ok()?
            .unwrap();
        Some(Datagram::decode(&buf[..len]).unwrap())
    }

    /// Receives the next datagram; fails after [`RECEIVE_TIMEOUT`].
    pub async fn recv(&self) -> Datagram {
        self.recv_within(RECEIVE_TIMEOUT)
            .await
            .expect("datagram from the edge")
    }

    /// Expects the ACK of the datagram sent with `token`.
    pub async fn expect_ack(&self, identifier: Identifier, token: Token) {
        let datagram = self.recv().await;
        assert_eq!(datagram.identifier(), identifier, "{datagram:?}");
        assert_eq!(datagram.token(), token);
        assert_eq!(datagram.version(), self.version);
    }

    /// Receives PULL_RESPs only, skipping ACKs.
    pub async fn next_pull_resp(&self) -> PullResp {
        loop {
            if let Datagram::PullResp(pull_resp) = self.recv().await {
                return pull_resp;
            }
        }
    }

    /// Sends PULL_DATA and waits for the claim that shows the edge subscribed to this
    /// gateway's downlinks.
    pub async fn connect(&mut self, claims: &mut Subscription<bytes::Bytes>) {
        let token = self.pull_data().await;
        self.expect_ack(Identifier::PullAck, token).await;
        next(claims).await;
    }
}

/// An rxpk with typical SX1302 metadata and the given payload and CRC status.
pub fn rxpk(data: &[u8], stat: CrcStatus) -> Rxpk {
    Rxpk {
        time: Some("2023-05-11T09:27:03.123456Z".to_owned()),
        tmms: Some(1_367_832_441_123),
        tmst: 1_208_587_652,
        ftime: None,
        freq: 868.5,
        chan: Some(2),
        rfch: Some(1),
        brd: None,
        mid: None,
        aesk: None,
        stat,
        datr: DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
        },
        codr: Some(semtech_udp::CodingRate::lora(5)),
        hpw: None,
        rssi: Some(-56),
        rssis: None,
        lsnr: Some(9.5),
        foff: None,
        data: data.to_vec(),
        rsig: vec![],
    }
}
