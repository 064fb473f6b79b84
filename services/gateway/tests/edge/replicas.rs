//! Several edge replicas: a gateway moving from one to another gets each downlink exactly
//! once, thanks to the `gateway` queue group and the claim that makes the old replica let go.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use semtech_udp::Datagram;
use tern_bus::testsuite::{samples, test_options};
use tern_proto::internal::v1 as pb;

use crate::support::*;

const EUI: u64 = 0x70b3_d5ff_fe00_0042;

/// Downlinks published across the move.
const N_DOWNLINKS: u32 = 300;

fn frame(downlink_id: u32) -> pb::DownlinkFrame {
    let mut frame = samples::downlink_frame(EUI);
    frame.downlink_id = downlink_id;
    let mut payload = vec![0x60];
    payload.extend_from_slice(&downlink_id.to_be_bytes());
    frame.items[0].phy_payload = Bytes::from(payload);
    frame
}

fn downlink_id(data: &[u8]) -> u32 {
    let bytes: [u8; 4] = data[1..5].try_into().unwrap();
    u32::from_be_bytes(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_moving_between_replicas_gets_every_downlink_exactly_once() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut claims = observer
        .subscribe_bytes(&observer.subjects().gw_claim(EUI))
        .await
        .unwrap();
    let mut txacks = observer
        .subscribe::<pb::DownlinkTxAck>(&observer.subjects().gw_txack(EUI))
        .await
        .unwrap();
    let config = test_config();
    let a = TestEdge::start(&options, &config).await;
    let b = TestEdge::start(&options, &config).await;
    let mut gateway = TestGateway::new(EUI, a.addr).await;
    gateway.connect(&mut claims).await;

    let publisher = {
        let bus = observer.clone();
        tokio::spawn(async move {
            let subject = bus.subjects().gw_down(EUI);
            for id in 0..N_DOWNLINKS {
                bus.publish(&subject, &frame(id)).await.unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            bus.flush().await.unwrap();
        })
    };

    // The gateway keeps its keep-alive going, acknowledges every PULL_RESP to the server it
    // talks to now, and moves to replica B a third of the way through.
    let mut received: BTreeMap<u32, u32> = BTreeMap::new();
    let mut moved = false;
    let mut publisher = Some(publisher);
    let start = tokio::time::Instant::now();
    let mut last_keepalive = start;
    let mut last_pull_resp = start;
    loop {
        let now = tokio::time::Instant::now();
        if now - last_keepalive >= Duration::from_millis(50) {
            gateway.pull_data().await;
            last_keepalive = now;
        }
        if let Some(Datagram::PullResp(pull_resp)) =
            gateway.recv_within(Duration::from_millis(20)).await
        {
            *received
                .entry(downlink_id(&pull_resp.txpk.data))
                .or_default() += 1;
            gateway.tx_ack(pull_resp.token, None).await;
            last_pull_resp = tokio::time::Instant::now();
        }
        if !moved && received.len() >= (N_DOWNLINKS / 3) as usize {
            gateway.server = b.addr;
            gateway.pull_data().await;
            moved = true;
        }
        if publisher.as_ref().is_some_and(|task| task.is_finished()) {
            publisher.take().unwrap().await.unwrap();
        }
        // Done once everything was published and seen, and a late duplicate had time to come.
        let all_seen = publisher.is_none() && received.len() == N_DOWNLINKS as usize;
        if all_seen && last_pull_resp.elapsed() >= QUIET {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "only {} of {N_DOWNLINKS} downlinks arrived",
            received.len()
        );
    }

    let missing: Vec<u32> = (0..N_DOWNLINKS)
        .filter(|id| !received.contains_key(id))
        .collect();
    let duplicated: Vec<(u32, u32)> = received
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(id, count)| (*id, *count))
        .collect();
    assert!(missing.is_empty(), "missing downlinks: {missing:?}");
    assert!(
        duplicated.is_empty(),
        "duplicated downlinks: {duplicated:?}"
    );

    // Replica B claimed the gateway and replica A let go.
    assert_eq!(
        b.metric("tern_gateway_claims_total{event=\"claimed\"}"),
        1.0
    );
    assert_eq!(
        a.metric("tern_gateway_claims_total{event=\"released\"}"),
        1.0
    );
    assert_eq!(a.metric("tern_gateway_gateways_connected"), 0.0);
    assert_eq!(b.metric("tern_gateway_gateways_connected"), 1.0);

    // Every downlink is acknowledged exactly once: OK, or TIMEOUT for the few that A sent
    // after the move, whose TX_ACK went to B.
    let mut acked: BTreeMap<u32, u32> = BTreeMap::new();
    while acked.len() < N_DOWNLINKS as usize {
        let tx_ack = next(&mut txacks).await.into_message();
        *acked.entry(tx_ack.downlink_id).or_default() += 1;
    }
    assert_quiet(&mut txacks).await;
    assert!(acked.values().all(|count| *count == 1), "{acked:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn two_replicas_each_serve_their_own_gateways() {
    let options = test_options();
    let observer = connect_bus(&options).await;
    let mut claims = observer
        .subscribe_bytes(&observer.subjects().gw_claim_all())
        .await
        .unwrap();
    let config = test_config();
    let a = TestEdge::start(&options, &config).await;
    let b = TestEdge::start(&options, &config).await;
    let mut gateway_a = TestGateway::new(EUI, a.addr).await;
    let mut gateway_b = TestGateway::new(EUI + 1, b.addr).await;
    gateway_a.connect(&mut claims).await;
    gateway_b.connect(&mut claims).await;
    for (eui, gateway) in [(EUI, &gateway_a), (EUI + 1, &gateway_b)] {
        let mut frame = frame(7);
        frame.gateway_eui = eui;
        observer
            .publish(&observer.subjects().gw_down(eui), &frame)
            .await
            .unwrap();
        let pull_resp = gateway.next_pull_resp().await;
        assert_eq!(downlink_id(&pull_resp.txpk.data), 7);
    }
    assert_eq!(
        a.metric("tern_gateway_claims_total{event=\"released\"}"),
        0.0
    );
    assert_eq!(
        b.metric("tern_gateway_claims_total{event=\"released\"}"),
        0.0
    );
    a.stop().await;
    b.stop().await;
}
