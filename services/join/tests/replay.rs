//! DevNonce replay protection over `js.join`: counter semantics for LoRaWAN 1.0.4 and 1.1,
//! bounded history for 1.0.0 to 1.0.3, and races between replicas.

use futures::future::join_all;
use tern_join::MacVersion;
use tern_join::testsuite::{
    TestDevice, TestEnv, default_config, expect_accept, expect_refusal, join_request_message,
};
use tern_proto::internal::v1 as pb;

/// Sends a join-request with `dev_nonce` and tells whether it was accepted; a refusal must be
/// `DEV_NONCE_REUSED`.
async fn join(env: &TestEnv, device: &TestDevice, dev_nonce: u16) -> bool {
    let request = join_request_message(device.join_request(dev_nonce));
    match env.request(&request).await.unwrap().result {
        Some(pb::join_answer::Result::Ok(_)) => true,
        Some(pb::join_answer::Result::Error(refusal)) => {
            assert_eq!(
                refusal.code(),
                pb::JoinErrorCode::DevNonceReused,
                "{}",
                refusal.message
            );
            false
        }
        None => panic!("empty answer"),
    }
}

#[tokio::test]
async fn rejects_a_dev_nonce_that_does_not_increase_for_1_0_4_and_1_1() {
    let env = TestEnv::start().await.unwrap();
    for (seed, version) in [(1, MacVersion::V1_0_4), (2, MacVersion::V1_1)] {
        let device = TestDevice::new(version, seed);
        env.add_device(&device).await.unwrap();
        // (DevNonce, accepted): the first DevNonce may be anything, then each must grow.
        let steps = [
            (10, true),
            (10, false),
            (9, false),
            (0, false),
            (11, true),
            (65535, true),
        ];
        for (dev_nonce, accepted) in steps {
            assert_eq!(
                join(&env, &device, dev_nonce).await,
                accepted,
                "{version} DevNonce {dev_nonce}"
            );
        }
    }
    env.stop().await.unwrap();
}

#[tokio::test]
async fn rejects_a_dev_nonce_seen_before_for_1_0_3_but_accepts_a_lower_new_one() {
    let env = TestEnv::start().await.unwrap();
    for (seed, version) in [(3, MacVersion::V1_0_0), (4, MacVersion::V1_0_3)] {
        let device = TestDevice::new(version, seed);
        env.add_device(&device).await.unwrap();
        let steps = [
            (500, true),
            (500, false),
            (7, true),
            (500, false),
            (7, false),
            (501, true),
        ];
        for (dev_nonce, accepted) in steps {
            assert_eq!(
                join(&env, &device, dev_nonce).await,
                accepted,
                "{version} DevNonce {dev_nonce}"
            );
        }
    }
    env.stop().await.unwrap();
}

#[tokio::test]
async fn forgets_random_dev_nonces_beyond_the_history_bound() {
    let config = tern_config::JoinConfig {
        dev_nonce_history: 3,
        ..default_config()
    };
    let env = TestEnv::start_with(config).await.unwrap();
    let device = TestDevice::new(MacVersion::V1_0_2, 5);
    env.add_device(&device).await.unwrap();
    for dev_nonce in [1, 2, 3, 4] {
        assert!(join(&env, &device, dev_nonce).await);
    }
    // The history holds 2, 3 and 4: 1 was forgotten, 3 is still refused.
    assert!(!join(&env, &device, 3).await);
    assert!(join(&env, &device, 1).await);
    assert!(!join(&env, &device, 1).await);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_refused_join_records_nothing() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_0_4, 6);
    env.add_device(&device).await.unwrap();

    let mut bad_mic = device.join_request(20);
    let last = bad_mic.len() - 1;
    bad_mic[last] ^= 0x01;
    let answer = env.request(&join_request_message(bad_mic)).await.unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::InvalidMic
    );
    let mut bad_settings = join_request_message(device.join_request(20));
    bad_settings.rx2_dr = 16;
    let answer = env.request(&bad_settings).await.unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::InvalidFrame
    );

    // DevNonce 20 is still unused and the JoinNonce counter untouched.
    let answer = env
        .request(&join_request_message(device.join_request(20)))
        .await
        .unwrap();
    assert_eq!(expect_accept(answer).unwrap().join_nonce, 1);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn of_concurrent_copies_of_one_join_request_on_two_replicas_exactly_one_succeeds() {
    let mut env = TestEnv::start().await.unwrap();
    env.add_replica().await.unwrap();
    for (seed, version) in [(7, MacVersion::V1_0_3), (8, MacVersion::V1_1)] {
        let device = TestDevice::new(version, seed);
        env.add_device(&device).await.unwrap();
        // Pairs, as when two gateways' copies reach two network replicas, and one burst.
        let rounds = (1..=10).map(|dev_nonce| (dev_nonce, 2)).chain([(100, 8)]);
        for (dev_nonce, copies) in rounds {
            let request = join_request_message(device.join_request(dev_nonce));
            let answers = join_all((0..copies).map(|_| env.request(&request))).await;
            let mut accepted = 0;
            for answer in answers {
                match answer.unwrap().result {
                    Some(pb::join_answer::Result::Ok(_)) => accepted += 1,
                    Some(pb::join_answer::Result::Error(refusal)) => {
                        assert_eq!(refusal.code(), pb::JoinErrorCode::DevNonceReused);
                    }
                    None => panic!("empty answer"),
                }
            }
            assert_eq!(accepted, 1, "{version} DevNonce {dev_nonce}");
        }
    }
    // Both replicas answered some of the requests.
    for replica in &env.replicas {
        let text = replica.metrics.encode().unwrap();
        assert!(
            !text.contains("tern_join_requests_total{result=\"ok\"} 0\n")
                || !text.contains("tern_join_requests_total{result=\"dev_nonce_reused\"} 0\n"),
            "a replica answered nothing: {text}"
        );
    }
    env.stop().await.unwrap();
}
