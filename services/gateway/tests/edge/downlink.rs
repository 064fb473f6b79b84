//! Downlinks: PULL_RESP per item, TX_ACK back as `DownlinkTxAck`, fallback and timeout.

use bytes::Bytes;
use semtech_udp::{DataRate, Datagram, ProtocolVersion};
use tern_bus::Subscription;
use tern_bus::testsuite::{samples, test_options};
use tern_proto::internal::v1 as pb;

use crate::support::*;

const EUI: u64 = 0x0016_c001_ff10_a235;

/// An edge, a connected gateway, and the observer's subscriptions.
struct Setup {
    edge: TestEdge,
    gateway: TestGateway,
    observer: tern_bus::Bus,
    txack: Subscription<pb::DownlinkTxAck>,
}

async fn setup(version: ProtocolVersion) -> Setup {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut claims = observer
        .subscribe_bytes(&observer.subjects().gw_claim(EUI))
        .await
        .unwrap();
    let txack = observer
        .subscribe::<pb::DownlinkTxAck>(&observer.subjects().gw_txack(EUI))
        .await
        .unwrap();
    let edge = TestEdge::start(&options, &test_config()).await;
    let mut gateway = TestGateway::new(EUI, edge.addr).await;
    gateway.version = version;
    gateway.connect(&mut claims).await;
    Setup {
        edge,
        gateway,
        observer,
        txack,
    }
}

impl Setup {
    async fn send_downlink(&self, frame: &pb::DownlinkFrame) {
        self.observer
            .publish(&self.observer.subjects().gw_down(EUI), frame)
            .await
            .unwrap();
    }
}

fn statuses(tx_ack: &pb::DownlinkTxAck) -> Vec<pb::TxAckStatus> {
    tx_ack
        .items
        .iter()
        .map(|item| pb::TxAckStatus::try_from(item.status).unwrap())
        .collect()
}

#[tokio::test]
async fn downlink_reaches_the_gateway_as_pull_resp_and_its_tx_ack_comes_back() {
    let mut setup = setup(ProtocolVersion::V2).await;
    setup.send_downlink(&samples::downlink_frame(EUI)).await;

    let pull_resp = setup.gateway.next_pull_resp().await;
    assert_eq!(pull_resp.version, ProtocolVersion::V2);
    let txpk = &pull_resp.txpk;
    // RX1 of the sample frame: uplink tmst 3 512 348 611 µs plus a 1 s delay.
    assert_eq!(
        (txpk.imme, txpk.tmst, txpk.tmms),
        (false, Some(3_513_348_611), None)
    );
    assert_eq!(txpk.freq_hz(), 868_100_000);
    assert_eq!(
        txpk.datr,
        DataRate::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000
        }
    );
    assert_eq!(txpk.powe, Some(14));
    assert!(txpk.ipol);
    assert_eq!(txpk.data, [0x60, 0x04, 0x03, 0x02, 0x01, 0x20, 0x01, 0x00]);

    setup.gateway.tx_ack(pull_resp.token, None).await;
    let tx_ack = next(&mut setup.txack).await.into_message();
    assert_eq!(tx_ack.downlink_id, 0xdead_beef);
    assert_eq!(tx_ack.gateway_eui, EUI);
    assert_eq!(
        statuses(&tx_ack),
        [pb::TxAckStatus::Ok, pb::TxAckStatus::Ignored]
    );
    assert_eq!(
        setup
            .edge
            .metric("tern_gateway_tx_acks_total{status=\"ok\"}"),
        1.0
    );
    assert_eq!(
        setup
            .edge
            .metric("tern_gateway_downlinks_total{result=\"ok\"}"),
        1.0
    );
    assert_eq!(setup.edge.metric("tern_gateway_gateways_connected"), 1.0);
    setup.edge.stop().await;
}

#[tokio::test]
async fn rejected_first_item_falls_back_to_the_second() {
    let mut setup = setup(ProtocolVersion::V2).await;
    setup.send_downlink(&samples::downlink_frame(EUI)).await;

    let rx1 = setup.gateway.next_pull_resp().await;
    assert_eq!(rx1.txpk.tmst, Some(3_513_348_611));
    setup.gateway.tx_ack(rx1.token, Some("TOO_LATE")).await;
    let rx2 = setup.gateway.next_pull_resp().await;
    assert_ne!(rx2.token, rx1.token);
    assert_eq!(rx2.txpk.tmms, Some(1_400_000_002_000));
    assert_eq!(rx2.txpk.freq_hz(), 869_525_000);
    setup.gateway.tx_ack(rx2.token, None).await;

    let tx_ack = next(&mut setup.txack).await.into_message();
    assert_eq!(
        statuses(&tx_ack),
        [pb::TxAckStatus::TooLate, pb::TxAckStatus::Ok]
    );
    assert_quiet(&mut setup.txack).await;
    setup.edge.stop().await;
}

#[tokio::test]
async fn both_items_rejected_reports_each_reason() {
    let mut setup = setup(ProtocolVersion::V2).await;
    setup.send_downlink(&samples::downlink_frame(EUI)).await;
    let rx1 = setup.gateway.next_pull_resp().await;
    setup
        .gateway
        .tx_ack(rx1.token, Some("COLLISION_PACKET"))
        .await;
    let rx2 = setup.gateway.next_pull_resp().await;
    setup.gateway.tx_ack(rx2.token, Some("GPS_UNLOCKED")).await;
    let tx_ack = next(&mut setup.txack).await.into_message();
    assert_eq!(
        statuses(&tx_ack),
        [
            pb::TxAckStatus::CollisionPacket,
            pb::TxAckStatus::GpsUnlocked
        ]
    );
    assert_eq!(
        setup
            .edge
            .metric("tern_gateway_downlinks_total{result=\"rejected\"}"),
        1.0
    );
    setup.edge.stop().await;
}

#[tokio::test]
async fn missing_tx_ack_is_reported_as_timeout_and_a_late_one_is_ignored() {
    let mut setup = setup(ProtocolVersion::V2).await;
    setup.send_downlink(&samples::downlink_frame(EUI)).await;
    let rx1 = setup.gateway.next_pull_resp().await;

    let tx_ack = next(&mut setup.txack).await.into_message();
    assert_eq!(
        statuses(&tx_ack),
        [pb::TxAckStatus::Timeout, pb::TxAckStatus::Ignored]
    );
    // Nothing else is tried: a timed-out item may still be on the air.
    assert!(setup.gateway.recv_within(QUIET).await.is_none());

    setup.gateway.tx_ack(rx1.token, None).await;
    eventually("late tx_ack counted", || {
        setup
            .edge
            .metric("tern_gateway_datagrams_dropped_total{reason=\"unknown_token\"}")
            == 1.0
    })
    .await;
    assert_quiet(&mut setup.txack).await;
    assert_eq!(
        setup
            .edge
            .metric("tern_gateway_tx_acks_total{status=\"timeout\"}"),
        1.0
    );
    setup.edge.stop().await;
}

#[tokio::test]
async fn protocol_v1_gateway_gets_a_v1_pull_resp_reported_ok_without_tx_ack() {
    let mut setup = setup(ProtocolVersion::V1).await;
    setup.send_downlink(&samples::downlink_frame(EUI)).await;
    let pull_resp = setup.gateway.next_pull_resp().await;
    assert_eq!(pull_resp.version, ProtocolVersion::V1);
    let tx_ack = next(&mut setup.txack).await.into_message();
    assert_eq!(
        statuses(&tx_ack),
        [pb::TxAckStatus::Ok, pb::TxAckStatus::Ignored]
    );
    setup.edge.stop().await;
}

#[tokio::test]
async fn item_the_gateway_cannot_send_is_an_internal_error_and_the_next_is_sent() {
    let mut setup = setup(ProtocolVersion::V2).await;
    let mut frame = samples::downlink_frame(EUI);
    frame.items[0].modulation = None;
    frame.items[1].phy_payload = Bytes::from_static(&[0x60, 0xaa]);
    setup.send_downlink(&frame).await;
    let pull_resp = setup.gateway.next_pull_resp().await;
    assert_eq!(pull_resp.txpk.data, [0x60, 0xaa]);
    setup.gateway.tx_ack(pull_resp.token, None).await;
    let tx_ack = next(&mut setup.txack).await.into_message();
    assert_eq!(
        statuses(&tx_ack),
        [pb::TxAckStatus::InternalError, pb::TxAckStatus::Ok]
    );
    setup.edge.stop().await;
}

#[tokio::test]
async fn several_downlinks_in_flight_are_matched_by_token() {
    let mut setup = setup(ProtocolVersion::V2).await;
    let mut first = samples::downlink_frame(EUI);
    first.downlink_id = 1;
    let mut second = samples::downlink_frame(EUI);
    second.downlink_id = 2;
    setup.send_downlink(&first).await;
    let a = setup.gateway.next_pull_resp().await;
    setup.send_downlink(&second).await;
    let b = setup.gateway.next_pull_resp().await;
    // Acknowledge in reverse order: the second accepted, the first rejected for good.
    setup.gateway.tx_ack(b.token, None).await;
    let ack = next(&mut setup.txack).await.into_message();
    assert_eq!(
        (ack.downlink_id, statuses(&ack)[0]),
        (2, pb::TxAckStatus::Ok)
    );
    setup.gateway.tx_ack(a.token, Some("TX_FREQ")).await;
    let rx2 = setup.gateway.next_pull_resp().await;
    setup.gateway.tx_ack(rx2.token, Some("TX_FREQ")).await;
    let ack = next(&mut setup.txack).await.into_message();
    assert_eq!(ack.downlink_id, 1);
    assert_eq!(
        statuses(&ack),
        [pb::TxAckStatus::TxFreq, pb::TxAckStatus::TxFreq]
    );
    setup.edge.stop().await;
}

#[tokio::test]
async fn shutdown_sends_downlinks_already_received_and_reports_them() {
    let mut setup = setup(ProtocolVersion::V2).await;
    setup.send_downlink(&samples::downlink_frame(EUI)).await;
    let pull_resp = setup.gateway.next_pull_resp().await;
    let (task, readiness, _metrics) = setup.edge.begin_stop();
    eventually("not ready once shutdown begins", || !readiness.is_ready()).await;
    // The edge still matches TX_ACKs while it drains.
    setup.gateway.tx_ack(pull_resp.token, None).await;
    let tx_ack = next(&mut setup.txack).await.into_message();
    assert_eq!(statuses(&tx_ack)[0], pb::TxAckStatus::Ok);
    tokio::time::timeout(RECEIVE_TIMEOUT, task)
        .await
        .expect("edge stops in time")
        .unwrap()
        .unwrap();
    // Stopped: PULL_DATA goes unanswered.
    setup.gateway.pull_data().await;
    match setup.gateway.recv_within(QUIET).await {
        None => {}
        Some(Datagram::PullAck(_)) => panic!("a stopped edge answered"),
        Some(other) => panic!("unexpected {other:?}"),
    }
}
