//! Deduplication across copies and replicas: the first copy owns the frame, later copies on
//! the owner's replica join it in memory, copies on other replicas through Redis, and the
//! owner collects every reception once.

use std::time::Duration;

use tern_network::testsuite::test_redis_config;
use tern_network::{Claim, Dedup, RedisKeys, build_redis};
use tern_proto::internal::v1 as pb;

fn copy(gateway_eui: u64, snr_db: f32) -> pb::UplinkFrame {
    pb::UplinkFrame {
        phy_payload: vec![0x40, 1, 2, 3, 4, 0, 0, 1, 0, 1, 9, 9, 9, 9].into(),
        tx_info: Some(pb::UplinkTxInfo {
            frequency_hz: 868_100_000,
            ..pb::UplinkTxInfo::default()
        }),
        rx_metadata: vec![pb::UplinkRxMetadata {
            gateway_eui,
            snr_db,
            ..pb::UplinkRxMetadata::default()
        }],
        ..pb::UplinkFrame::default()
    }
}

#[tokio::test]
async fn copies_on_the_owners_replica_and_on_others_are_all_collected_once() {
    let config = test_redis_config();
    let redis = build_redis(&config).await.unwrap();
    let keys = RedisKeys::new(&config.key_prefix);
    let ttl = Duration::from_secs(5);
    let replica_a = Dedup::new(redis.clone(), keys.clone(), ttl);
    let replica_b = Dedup::new(redis.clone(), keys.clone(), ttl);

    let Claim::Owner { key } = replica_a.add(&copy(1, 2.0)).await.unwrap() else {
        panic!("the first copy owns the frame");
    };
    assert_eq!(
        replica_a.add(&copy(2, 9.5)).await.unwrap(),
        Claim::Duplicate
    );
    assert_eq!(
        replica_b.add(&copy(3, 4.0)).await.unwrap(),
        Claim::Duplicate
    );
    assert_eq!(
        replica_b.add(&copy(4, -3.0)).await.unwrap(),
        Claim::Duplicate
    );

    let rx = replica_a.collect(&key).await.unwrap();
    let gateways: Vec<u64> = rx.iter().map(|rx| rx.gateway_eui).collect();
    assert_eq!(gateways, [2, 3, 1, 4], "every copy once, best SNR first");

    // After the owner collected, a late copy is still a duplicate and is not handled again.
    assert_eq!(
        replica_a.add(&copy(5, 1.0)).await.unwrap(),
        Claim::Duplicate
    );
    let late = replica_a.collect(&key).await.unwrap();
    assert_eq!(
        late.len(),
        4,
        "the late copy reaches the Redis list only: {late:?}"
    );
}

#[tokio::test]
async fn concurrent_copies_have_one_owner_and_reach_another_replicas_list() {
    let config = test_redis_config();
    let redis = build_redis(&config).await.unwrap();
    let keys = RedisKeys::new(&config.key_prefix);
    let ttl = Duration::from_secs(5);
    let replica_a = Dedup::new(redis.clone(), keys.clone(), ttl);
    let replica_b = Dedup::new(redis.clone(), keys.clone(), ttl);

    // Three copies at once on one replica: exactly one owns the frame.
    let copies = [copy(1, 1.0), copy(2, 2.0), copy(3, 3.0)];
    let (one, two, three) = tokio::join!(
        replica_a.add(&copies[0]),
        replica_a.add(&copies[1]),
        replica_a.add(&copies[2]),
    );
    let claims = [one.unwrap(), two.unwrap(), three.unwrap()];
    let owners: Vec<&Claim> = claims
        .iter()
        .filter(|claim| matches!(claim, Claim::Owner { .. }))
        .collect();
    assert_eq!(owners.len(), 1, "{claims:?}");
    let Claim::Owner { key } = owners[0] else {
        unreachable!()
    };
    assert_eq!(replica_a.collect(key).await.unwrap().len(), 3);

    // Another frame owned by B: copies arriving together on A, while A is still asking Redis,
    // end up in B's list.
    let mut other = copy(7, 0.0);
    other.phy_payload = vec![0x40, 9, 9, 9, 9, 0, 0, 1, 0, 1, 1, 1, 1, 1].into();
    let Claim::Owner { key } = replica_b.add(&other).await.unwrap() else {
        panic!("B owns the second frame");
    };
    let mut later = [other.clone(), other.clone()];
    later[0].rx_metadata[0].gateway_eui = 8;
    later[1].rx_metadata[0].gateway_eui = 9;
    let (eight, nine) = tokio::join!(replica_a.add(&later[0]), replica_a.add(&later[1]));
    assert_eq!(eight.unwrap(), Claim::Duplicate);
    assert_eq!(nine.unwrap(), Claim::Duplicate);
    let mut gateways: Vec<u64> = replica_b
        .collect(&key)
        .await
        .unwrap()
        .iter()
        .map(|rx| rx.gateway_eui)
        .collect();
    gateways.sort_unstable();
    assert_eq!(gateways, [7, 8, 9]);
}
