//! Uplinks and stats: acknowledged at once, CRC-valid rxpks on `up`, stats on `gw.{eui}.stats`.

use semtech_udp::{CrcStatus, Identifier, Stat};
use tern_bus::testsuite::test_options;
use tern_proto::internal::v1 as pb;

use crate::support::*;

const EUI: u64 = 0xaa55_5a00_0000_0101;

#[tokio::test]
async fn forwards_crc_valid_uplinks_with_their_metadata_and_drops_crc_errors() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut up = observer
        .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
        .await
        .unwrap();
    let edge = TestEdge::start(&options, &test_config()).await;
    let mut gateway = TestGateway::new(EUI, edge.addr).await;

    let payload = [0x40, 0x29, 0x2e, 0x01, 0x26, 0x80, 0x00, 0x00, 0x01];
    let token = gateway
        .push_data(
            vec![
                rxpk(&[0xff; 12], CrcStatus::Bad),
                rxpk(&payload, CrcStatus::Ok),
                rxpk(&[0x00; 4], CrcStatus::NoCrc),
            ],
            None,
        )
        .await;
    gateway.expect_ack(Identifier::PushAck, token).await;

    let frame = next(&mut up).await.into_message();
    assert_eq!(frame.phy_payload.as_ref(), payload);
    let tx_info = frame.tx_info.unwrap();
    assert_eq!(tx_info.frequency_hz, 868_500_000);
    assert_eq!(
        tx_info.modulation.unwrap().parameters,
        Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
            code_rate: pb::CodeRate::Cr45 as i32,
        }))
    );
    let [rx] = frame.rx_metadata.as_slice() else {
        panic!("one gateway copy expected: {:?}", frame.rx_metadata);
    };
    assert_eq!(rx.gateway_eui, EUI);
    assert_eq!(rx.tmst, Some(1_208_587_652));
    assert_eq!(rx.gps_time_ns, Some(1_367_832_441_123_000_000));
    assert_eq!(rx.gateway_time_unix_ns, Some(1_683_797_223_123_456_000));
    assert_eq!((rx.rssi_dbm, rx.snr_db), (-56, 9.5));
    assert_eq!((rx.channel, rx.rf_chain), (2, 1));
    assert_eq!(rx.crc_status, pb::CrcStatus::Ok as i32);
    assert!(rx.received_at_unix_ns > 1_700_000_000_000_000_000);
    assert_quiet(&mut up).await;

    assert_eq!(edge.metric("tern_gateway_uplinks_forwarded_total"), 1.0);
    assert_eq!(
        edge.metric("tern_gateway_uplinks_dropped_total{reason=\"crc_error\"}"),
        1.0
    );
    assert_eq!(
        edge.metric("tern_gateway_uplinks_dropped_total{reason=\"no_crc\"}"),
        1.0
    );
    assert_eq!(
        edge.metric("tern_gateway_datagrams_sent_total{type=\"push_ack\"}"),
        1.0
    );
    edge.stop().await;
}

#[tokio::test]
async fn stat_becomes_gateway_stats_and_its_position_goes_with_later_uplinks() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut stats = observer
        .subscribe::<pb::GatewayStats>(&observer.subjects().gw_stats(EUI))
        .await
        .unwrap();
    let mut up = observer
        .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
        .await
        .unwrap();
    let edge = TestEdge::start(&options, &test_config()).await;
    let mut gateway = TestGateway::new(EUI, edge.addr).await;

    // Lora-net/packet_forwarder PROTOCOL.TXT §4 stat example.
    let stat = Stat::parse_json(
        r#"{"time":"2014-01-12 08:59:28 GMT","lati":46.24000,"long":3.25230,"alti":145,
            "rxnb":2,"rxok":2,"rxfw":2,"ackr":100.0,"dwnb":2,"txnb":2}"#,
    )
    .unwrap();
    let token = gateway.push_data(vec![], Some(stat)).await;
    gateway.expect_ack(Identifier::PushAck, token).await;
    let report = next(&mut stats).await.into_message();
    assert_eq!(report.gateway_eui, EUI);
    assert_eq!(report.time_unix_ns, Some(1_389_517_168_000_000_000));
    assert_eq!(
        (report.rx_received, report.rx_ok, report.rx_forwarded),
        (2, 2, 2)
    );
    assert_eq!((report.tx_received, report.tx_emitted), (2, 2));
    assert_eq!(report.ack_ratio_percent, 100.0);
    let location = report.location.expect("stat carries a position");
    assert_eq!(
        (
            location.latitude_deg,
            location.longitude_deg,
            location.altitude_m
        ),
        (46.24, 3.2523, 145.0)
    );

    gateway
        .push_data(vec![rxpk(&[0x40, 1, 2, 3], CrcStatus::Ok)], None)
        .await;
    let frame = next(&mut up).await.into_message();
    assert_eq!(frame.rx_metadata[0].location, Some(location));
    assert_eq!(edge.metric("tern_gateway_stats_forwarded_total"), 1.0);
    edge.stop().await;
}

#[tokio::test]
async fn acknowledges_every_push_data_of_a_burst_and_forwards_uplinks_in_order() {
    // A burst of datagrams each carrying several rxpks: every PUSH_ACK comes back and every
    // uplink arrives, in order per gateway.
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut up = observer
        .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
        .await
        .unwrap();
    let edge = TestEdge::start(&options, &test_config()).await;
    let mut gateway = TestGateway::new(EUI, edge.addr).await;
    let mut tokens = Vec::new();
    for batch in 0u8..20 {
        let rxpks = (0u8..4)
            .map(|idx| rxpk(&[0x40, batch, idx], CrcStatus::Ok))
            .collect();
        tokens.push(gateway.push_data(rxpks, None).await);
    }
    for token in tokens {
        gateway.expect_ack(Identifier::PushAck, token).await;
    }
    for batch in 0u8..20 {
        for idx in 0u8..4 {
            let frame = next(&mut up).await.into_message();
            assert_eq!(frame.phy_payload.as_ref(), [0x40, batch, idx]);
        }
    }
    edge.stop().await;
}
