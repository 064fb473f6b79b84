//! The virtual gateway against a tiny UDP server in the test: PUSH_DATA/PUSH_ACK,
//! PULL_DATA/PULL_ACK, PULL_RESP/TX_ACK with a scripted error, `stat`, keepalives and the
//! wrapping concentrator counter; a device joins through it.

#[path = "support/network.rs"]
mod network;

use std::net::SocketAddr;
use std::time::Duration;

use lorawan_codec::{DevAddr, Eui64, NetId};
use lorawan_region::Band;
use network::{AcceptFields, join_accept, key};
use semtech_udp::{
    CodingRate, DataRate, Datagram, GatewayEui, Identifier, ProtocolVersion, PullResp, Stat, Token,
    TxAckCode, Txpk, hz_to_mhz,
};
use tern_sim::{
    Device, DeviceConfig, Gateway, GatewayConfig, MacVersion, RootKeys, RxMeta, TxAckReply,
};
use tokio::net::UdpSocket;

const WAIT: Duration = Duration::from_secs(5);
const EUI: u64 = 0x00aa_bbcc_ddee_ff01;

/// The network server side: a bare socket.
struct Server {
    socket: UdpSocket,
}

impl Server {
    async fn bind() -> Self {
        Self {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    async fn recv(&self) -> (Datagram, SocketAddr) {
        let mut buf = vec![0u8; 65_536];
        let (len, from) = tokio::time::timeout(WAIT, self.socket.recv_from(&mut buf))
            .await
            .expect("a datagram in time")
            .unwrap();
        (Datagram::decode(&buf[..len]).unwrap(), from)
    }

    async fn send(&self, datagram: &Datagram, to: SocketAddr) {
        self.socket
            .send_to(&datagram.encode().unwrap(), to)
            .await
            .unwrap();
    }

    async fn ack(&self, datagram: &Datagram, to: SocketAddr) {
        self.socket
            .send_to(&datagram.ack_bytes().unwrap(), to)
            .await
            .unwrap();
    }
}

fn txpk(tmst: u32, frequency_hz: u32, data: Vec<u8>) -> Txpk {
    Txpk {
        imme: false,
        tmst: Some(tmst),
        tmms: None,
        time: None,
        freq: hz_to_mhz(u64::from(frequency_hz)),
        rfch: 0,
        powe: Some(14),
        ant: None,
        brd: None,
        datr: DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
        },
        codr: Some(CodingRate::lora(5)),
        fdev: None,
        ipol: true,
        prea: None,
        ncrc: true,
        nhdr: false,
        data,
    }
}

#[tokio::test]
async fn device_joins_through_the_gateway_with_rx1_refused_and_rx2_accepted() {
    let server = Server::bind().await;
    let mut gateway = Gateway::connect(GatewayEui::from_u64(EUI), server.addr())
        .await
        .unwrap();
    assert_eq!(gateway.eui(), GatewayEui::from_u64(EUI));

    let pull_token = gateway.pull_data().await.unwrap();
    let (pull_data, gateway_addr) = server.recv().await;
    let Datagram::PullData(pull) = &pull_data else {
        panic!("expected PULL_DATA, got {pull_data:?}");
    };
    assert_eq!(
        (pull.token, pull.gateway_eui),
        (pull_token, GatewayEui::from_u64(EUI))
    );
    assert_eq!(gateway_addr, gateway.local_addr().unwrap());
    server.ack(&pull_data, gateway_addr).await;
    let ack = gateway.next_ack(WAIT).await.unwrap();
    assert_eq!(
        (ack.identifier, ack.token),
        (Identifier::PullAck, pull_token)
    );

    let app_key = key("2b7e151628aed2a6abf7158809cf4f3c");
    let (dev_eui, join_eui) = (Eui64::from_u64(10), Eui64::from_u64(11));
    let mut config = DeviceConfig::new(MacVersion::V1_0_3, Band::by_name("eu868").unwrap());
    config.dr = 5;
    let mut device = Device::otaa(config, RootKeys::v1_0(dev_eui, join_eui, app_key));
    let join_request = device.join_request().unwrap();
    let meta = RxMeta {
        rssi: -80,
        snr: 4.25,
        tmst: None,
    };
    let sent = gateway.send_uplink(&join_request, meta).await.unwrap();

    let (push_data, _) = server.recv().await;
    let Datagram::PushData(push) = &push_data else {
        panic!("expected PUSH_DATA, got {push_data:?}");
    };
    assert_eq!(push.token, sent.token);
    let [rxpk] = push.rxpk.as_slice() else {
        panic!("one rxpk, got {:?}", push.rxpk);
    };
    assert_eq!(rxpk.data, join_request.phy);
    assert_eq!(rxpk.freq_hz(), u64::from(join_request.frequency_hz));
    assert_eq!(
        rxpk.datr,
        DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000
        }
    );
    assert_eq!(rxpk.codr, Some(CodingRate::lora(5)));
    assert_eq!(
        (rxpk.tmst, rxpk.rssi, rxpk.lsnr),
        (sent.tmst, Some(-80), Some(4.25))
    );
    server.ack(&push_data, gateway_addr).await;
    let ack = gateway.wait_ack(sent.token, WAIT).await.unwrap();
    assert_eq!(ack.identifier, Identifier::PushAck);

    let fields = AcceptFields {
        join_nonce: 7,
        net_id: NetId::from_u32(0x13).unwrap(),
        dev_addr: DevAddr::from_u32(0x2601_0001),
        opt_neg: false,
        rx1_dr_offset: 0,
        rx2_dr: 0,
        rx_delay: 1,
        cf_list: None,
    };
    let accept = join_accept(
        &fields,
        &app_key,
        dev_eui,
        join_eui,
        join_request.dev_nonce.unwrap(),
    );
    // RX1 is refused as TOO_LATE, the RX2 retry accepted.
    gateway.script_tx_acks([TxAckReply::Reject(TxAckCode::TooLate)]);
    let rx1 = device.rx1_window(&join_request).unwrap();
    let rx2 = device.rx2_window();
    let windows = [
        (
            Token(0x0101),
            sent.tmst.wrapping_add(5_000_000),
            rx1.frequency_hz,
        ),
        (
            Token(0x0102),
            sent.tmst.wrapping_add(6_000_000),
            rx2.frequency_hz,
        ),
    ];
    for (token, tmst, frequency_hz) in windows {
        let pull_resp = Datagram::PullResp(PullResp {
            version: ProtocolVersion::V2,
            token,
            txpk: txpk(tmst, frequency_hz, accept.clone()),
        });
        server.send(&pull_resp, gateway_addr).await;
    }
    let expected = [
        (Token(0x0101), Some(TxAckCode::TooLate)),
        (Token(0x0102), None),
    ];
    for (token, rejection) in expected {
        let (tx_ack, _) = server.recv().await;
        let Datagram::TxAck(tx_ack) = tx_ack else {
            panic!("expected TX_ACK, got {tx_ack:?}");
        };
        assert_eq!(tx_ack.token, token);
        assert_eq!(tx_ack.gateway_eui, GatewayEui::from_u64(EUI));
        assert_eq!(tx_ack.rejection(), rejection.as_ref());
    }

    let first = gateway.next_downlink(WAIT).await.unwrap();
    assert_eq!(first.reply, TxAckReply::Reject(TxAckCode::TooLate));
    assert_eq!(first.txpk.tmst, Some(sent.tmst.wrapping_add(5_000_000)));
    assert_eq!(first.txpk.freq_hz(), u64::from(join_request.frequency_hz));
    let second = gateway.next_downlink(WAIT).await.unwrap();
    assert_eq!(second.reply, TxAckReply::Accept);
    assert_eq!(second.txpk.freq_hz(), 869_525_000);
    let accepted = device.handle_join_accept(&second.txpk.data).unwrap();
    assert_eq!(accepted.dev_addr, fields.dev_addr);
}

#[tokio::test]
async fn silent_policy_sends_no_tx_ack_and_stat_and_keepalives_reach_the_server() {
    let server = Server::bind().await;
    let mut config = GatewayConfig::new(GatewayEui::from_u64(EUI), server.addr());
    config.default_tx_ack = TxAckReply::Silent;
    let mut gateway = Gateway::start(config).await.unwrap();
    let gateway_addr = gateway.local_addr().unwrap();

    let stat = Stat {
        rxnb: 3,
        rxok: 2,
        ackr: 100.0,
        ..Stat::default()
    };
    let token = gateway.push_stat(stat.clone()).await.unwrap();
    let (push_data, _) = server.recv().await;
    let Datagram::PushData(push) = push_data else {
        panic!("expected PUSH_DATA, got {push_data:?}");
    };
    assert_eq!(push.token, token);
    assert!(push.rxpk.is_empty());
    assert_eq!(push.stat, Some(stat));

    let pull_resp = Datagram::PullResp(PullResp {
        version: ProtocolVersion::V2,
        token: Token(9),
        txpk: txpk(1, 869_525_000, vec![0x60, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4]),
    });
    server.send(&pull_resp, gateway_addr).await;
    let downlink = gateway.next_downlink(WAIT).await.unwrap();
    assert_eq!(downlink.reply, TxAckReply::Silent);
    assert_eq!(downlink.token, Token(9));
    assert_eq!(gateway.downlinks_dropped(), 0);

    gateway.start_keepalive(Duration::from_millis(20));
    // The first datagram after the PULL_RESP is a keepalive, not a TX_ACK.
    for _ in 0..3 {
        let (datagram, _) = server.recv().await;
        assert_eq!(datagram.identifier(), Identifier::PullData);
    }
    assert!(matches!(
        gateway.next_ack(Duration::from_millis(10)).await,
        Err(tern_sim::Error::Timeout(_))
    ));
}

#[tokio::test]
async fn concentrator_counter_wraps_at_32_bits() {
    let server = Server::bind().await;
    let mut config = GatewayConfig::new(GatewayEui::from_u64(EUI), server.addr());
    config.tmst_offset = u32::MAX - 1_000;
    let gateway = Gateway::start(config).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let tmst = gateway.tmst();
    assert!(tmst < 1_000_000, "wrapped past 2^32, got {tmst}");
    let sent = gateway
        .uplink(
            &[0x40, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4],
            868_100_000,
            DataRate::Lora {
                spreading_factor: 12,
                bandwidth_hz: 125_000,
            },
            Some(CodingRate::lora(5)),
            RxMeta {
                tmst: Some(42),
                ..RxMeta::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sent.tmst, 42);
    let (push_data, _) = server.recv().await;
    let Datagram::PushData(push) = push_data else {
        panic!("expected PUSH_DATA");
    };
    assert_eq!(push.rxpk[0].tmst, 42);
    assert_eq!(push.rxpk[0].freq_hz(), 868_100_000);
}
