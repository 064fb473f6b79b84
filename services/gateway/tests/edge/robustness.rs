//! A robust edge: garbage datagrams, unknown gateways and floods are counted and dropped while
//! good gateways keep being served.

use std::time::Duration;

use semtech_udp::{CrcStatus, Identifier, ProtocolVersion};
use tern_bus::testsuite::test_options;
use tern_config::GatewayConfig;
use tern_proto::internal::v1 as pb;

use crate::support::*;

const GOOD: u64 = 0xaa55_5a00_0000_0101;
const OTHER: u64 = 0xaa55_5a00_0000_0202;

/// Deterministic pseudo-random bytes (xorshift64), so a failure can be replayed.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn header(version: u8, identifier: u8, eui: u64) -> Vec<u8> {
    let mut bytes = vec![version, 0x12, 0x34, identifier];
    bytes.extend_from_slice(&eui.to_be_bytes());
    bytes
}

#[tokio::test]
async fn garbage_is_counted_by_reason_while_a_good_gateway_keeps_being_served() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut up = observer
        .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
        .await
        .unwrap();
    let edge = TestEdge::start(&options, &test_config()).await;
    let attacker = TestGateway::new(OTHER, edge.addr).await;

    let mut huge = header(2, 0, OTHER);
    huge.extend_from_slice(
        br#"{"rxpk":[{"tmst":1,"freq":868.1,"stat":1,"datr":"SF7BW125","data":""#,
    );
    huge.extend(std::iter::repeat_n(b'A', 60_000));
    huge.extend_from_slice(b"\"}]}");
    let mut bad_json = header(2, 0, OTHER);
    bad_json.extend_from_slice(b"{\"rxpk\":[{\"tmst\":");
    let mut one_bad_rxpk = header(2, 0, OTHER);
    one_bad_rxpk.extend_from_slice(
        br#"{"rxpk":[{"tmst":1,"freq":868.1,"stat":1,"datr":"SF7BW125","data":"!!"},
                     {"tmst":2,"freq":868.1,"stat":1,"datr":"SF7BW125","data":"QAEC"}]}"#,
    );
    let garbage: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "too_short"),
        (vec![2, 0, 0], "too_short"),
        (header(2, 0, OTHER)[..7].to_vec(), "too_short"),
        (header(3, 0, OTHER), "unsupported_version"),
        (header(0, 2, OTHER), "unsupported_version"),
        (header(2, 9, OTHER), "unknown_identifier"),
        (bad_json, "invalid_json"),
        (header(2, 0, OTHER), "missing_json"),
        ([header(2, 2, OTHER), vec![0]].concat(), "trailing_bytes"),
        (huge, "payload_too_long"),
        (one_bad_rxpk, "invalid_base64"),
    ];
    for (bytes, _) in &garbage {
        attacker.send_raw(bytes).await;
    }
    for seed in 1..=50 {
        let len = usize::try_from(seed * 13 % 700).unwrap();
        attacker.send_raw(&noise(seed, len)).await;
    }
    // A datagram only servers send, from a "gateway".
    attacker.send_raw(&[2, 0x12, 0x34, 4]).await;

    let mut good = TestGateway::new(GOOD, edge.addr).await;
    let token = good
        .push_data(vec![rxpk(&[0x40, 0xaa], CrcStatus::Ok)], None)
        .await;
    good.expect_ack(Identifier::PushAck, token).await;
    // The one good rxpk among the garbage and the good gateway's uplink both arrive.
    let mut payloads = vec![
        next(&mut up).await.into_message().phy_payload.to_vec(),
        next(&mut up).await.into_message().phy_payload.to_vec(),
    ];
    payloads.sort();
    assert_eq!(payloads, [vec![0x40, 0x01, 0x02], vec![0x40, 0xaa]]);

    for (_, reason) in &garbage {
        let series = format!("tern_gateway_parse_errors_total{{reason=\"{reason}\"}}");
        assert!(edge.metric(&series) >= 1.0, "{series} not counted");
    }
    let parse_errors: f64 = edge
        .metrics
        .encode()
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("tern_gateway_parse_errors_total{"))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert!(
        parse_errors >= garbage.len() as f64 + 40.0,
        "{parse_errors}"
    );
    assert_eq!(
        edge.metric("tern_gateway_datagrams_dropped_total{reason=\"unexpected_type\"}"),
        1.0
    );
    assert!(edge.metric("tern_gateway_datagrams_received_total{type=\"invalid\"}") >= 6.0);
    edge.stop().await;
}

#[tokio::test]
async fn allow_list_drops_other_gateways_without_an_answer() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut up = observer
        .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
        .await
        .unwrap();
    let config = GatewayConfig {
        allowed_gateways: vec!["AA555A0000000101".to_owned()],
        ..test_config()
    };
    let edge = TestEdge::start(&options, &config).await;
    let mut stranger = TestGateway::new(OTHER, edge.addr).await;
    stranger
        .push_data(vec![rxpk(&[0x40, 0x02], CrcStatus::Ok)], None)
        .await;
    stranger.pull_data().await;
    assert!(
        stranger.recv_within(QUIET).await.is_none(),
        "no ACK for a stranger"
    );
    assert_quiet(&mut up).await;
    assert_eq!(
        edge.metric("tern_gateway_datagrams_dropped_total{reason=\"not_allowed\"}"),
        2.0
    );

    let mut allowed = TestGateway::new(GOOD, edge.addr).await;
    let token = allowed
        .push_data(vec![rxpk(&[0x40, 0x01], CrcStatus::Ok)], None)
        .await;
    allowed.expect_ack(Identifier::PushAck, token).await;
    assert_eq!(
        next(&mut up).await.message().phy_payload.as_ref(),
        [0x40, 0x01]
    );
    edge.stop().await;
}

#[tokio::test]
async fn rate_limit_drops_the_excess_of_one_gateway_only() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut up = observer
        .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
        .await
        .unwrap();
    let config = GatewayConfig {
        uplinks_per_second: 1,
        uplink_burst: 3,
        ..test_config()
    };
    let edge = TestEdge::start(&options, &config).await;
    let mut flooder = TestGateway::new(OTHER, edge.addr).await;
    let rxpks = (0u8..10)
        .map(|idx| rxpk(&[0x40, idx], CrcStatus::Ok))
        .collect();
    let token = flooder.push_data(rxpks, None).await;
    flooder.expect_ack(Identifier::PushAck, token).await;
    for idx in 0u8..3 {
        assert_eq!(
            next(&mut up).await.message().phy_payload.as_ref(),
            [0x40, idx]
        );
    }
    assert_quiet(&mut up).await;
    assert_eq!(
        edge.metric("tern_gateway_uplinks_dropped_total{reason=\"rate_limited\"}"),
        7.0
    );

    // Another gateway has its own bucket.
    let mut calm = TestGateway::new(GOOD, edge.addr).await;
    calm.push_data(vec![rxpk(&[0x40, 0xcc], CrcStatus::Ok)], None)
        .await;
    assert_eq!(
        next(&mut up).await.message().phy_payload.as_ref(),
        [0x40, 0xcc]
    );
    // The flooder's bucket refills at one token per second.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    flooder
        .push_data(vec![rxpk(&[0x40, 0xdd], CrcStatus::Ok)], None)
        .await;
    assert_eq!(
        next(&mut up).await.message().phy_payload.as_ref(),
        [0x40, 0xdd]
    );
    edge.stop().await;
}

#[tokio::test]
async fn push_only_gateway_is_forwarded_and_reported_once() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut up = observer
        .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
        .await
        .unwrap();
    let config = GatewayConfig {
        pull_data_timeout: Duration::from_millis(300),
        ..test_config()
    };
    let edge = TestEdge::start(&options, &config).await;
    let mut gateway = TestGateway::new(GOOD, edge.addr).await;
    for idx in 0u8..8 {
        gateway
            .push_data(vec![rxpk(&[0x40, idx], CrcStatus::Ok)], None)
            .await;
        assert_eq!(
            next(&mut up).await.message().phy_payload.as_ref(),
            [0x40, idx]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(edge.metric("tern_gateway_gateways_push_only_total"), 1.0);
    edge.stop().await;
}

#[tokio::test]
async fn downlink_route_expires_when_pull_data_stops() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut claims = observer
        .subscribe_bytes(&observer.subjects().gw_claim(GOOD))
        .await
        .unwrap();
    let config = GatewayConfig {
        pull_data_timeout: Duration::from_millis(300),
        ..test_config()
    };
    let edge = TestEdge::start(&options, &config).await;
    let mut gateway = TestGateway::new(GOOD, edge.addr).await;
    gateway.version = ProtocolVersion::V2;
    gateway.connect(&mut claims).await;
    assert_eq!(edge.metric("tern_gateway_gateways_connected"), 1.0);
    eventually("route expired", || {
        edge.metric("tern_gateway_gateways_connected") == 0.0
    })
    .await;
    assert_eq!(
        edge.metric("tern_gateway_claims_total{event=\"expired\"}"),
        1.0
    );
    // The next PULL_DATA claims the gateway again.
    gateway.connect(&mut claims).await;
    assert_eq!(edge.metric("tern_gateway_gateways_connected"), 1.0);
    edge.stop().await;
}
