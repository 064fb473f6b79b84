//! Refused joins over `js.join`: each gets its typed code and is counted, none panics, and the
//! service keeps answering.

use lorawan_codec::{Aes128Key, Eui64};
use tern_join::testsuite::{
    TestDevice, TestEnv, expect_accept, expect_refusal, join_request_message,
};
use tern_join::{JoinStore, MacVersion};
use tern_proto::internal::v1 as pb;

/// Changes one setting of a request.
type Tweak = fn(&mut pb::JoinRequest);

fn counted(env: &TestEnv, result: &str) -> u64 {
    let text = env.replicas[0].metrics.encode().unwrap();
    let prefix = format!("tern_join_requests_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn rejects_a_bad_mic() {
    let env = TestEnv::start().await.unwrap();
    for (seed, version) in [(1, MacVersion::V1_0_3), (2, MacVersion::V1_1)] {
        let device = TestDevice::new(version, seed);
        env.add_device(&device).await.unwrap();
        // Signed with the wrong key: for 1.1 the AppKey instead of the NwkKey.
        let impostor = TestDevice {
            nwk_key: None,
            app_key: if version.is_1_1() {
                device.app_key
            } else {
                Aes128Key::from_bytes([0x11; 16])
            },
            ..device.clone()
        };
        let answer = env
            .request(&join_request_message(impostor.join_request(1)))
            .await
            .unwrap();
        assert_eq!(
            expect_refusal(answer).unwrap(),
            pb::JoinErrorCode::InvalidMic,
            "{version}"
        );
    }
    assert_eq!(counted(&env, "invalid_mic"), 2);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn rejects_unknown_and_deleted_devices_and_a_foreign_join_eui() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_0_4, 3);
    let answer = env
        .request(&join_request_message(device.join_request(1)))
        .await
        .unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::UnknownDevice
    );

    env.add_device(&device).await.unwrap();
    let foreign = TestDevice {
        join_eui: Eui64::from_u64(0xffff_0000_0000_0001),
        ..device.clone()
    };
    let answer = env
        .request(&join_request_message(foreign.join_request(1)))
        .await
        .unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::UnknownDevice
    );

    assert!(env.store.delete_device(device.dev_eui).await.unwrap());
    assert!(!env.store.delete_device(device.dev_eui).await.unwrap());
    let answer = env
        .request(&join_request_message(device.join_request(2)))
        .await
        .unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::UnknownDevice
    );
    assert_eq!(counted(&env, "unknown_device"), 3);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn rejects_a_1_1_device_without_nwk_key() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice {
        nwk_key: None,
        ..TestDevice::new(MacVersion::V1_1, 4)
    };
    env.add_device(&device).await.unwrap();
    let answer = env
        .request(&join_request_message(device.join_request(1)))
        .await
        .unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::KeysMissing
    );
    assert_eq!(counted(&env, "keys_missing"), 1);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn answers_malformed_requests_with_invalid_frame_and_counts_them() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_0_3, 5);
    env.add_device(&device).await.unwrap();
    let good = device.join_request(1);

    let mut truncated = good.clone();
    truncated.pop();
    let mut longer = good.clone();
    longer.push(0);
    let frames: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("join-request one byte short", truncated),
        ("join-request one byte long", longer),
        ("garbage", vec![0xff; 40]),
        // Unconfirmed data up, FCnt 1 (bus testsuite sample).
        (
            "data uplink",
            vec![
                0x40, 0x04, 0x03, 0x02, 0x01, 0x80, 0x01, 0x00, 0x01, 0xa6, 0x94, 0x64, 0x26, 0x15,
                0xd6, 0xc3, 0xb5, 0x82,
            ],
        ),
        ("join-accept", [vec![0x20], vec![0; 16]].concat()),
        ("rejoin type 3", [vec![0xc0, 0x03], vec![0; 17]].concat()),
        ("major version 1", [vec![0x01], good[1..].to_vec()].concat()),
    ];
    let mut requests: Vec<(&str, pb::JoinRequest)> = frames
        .into_iter()
        .map(|(name, frame)| (name, join_request_message(frame)))
        .collect();
    let settings: [(&str, Tweak); 5] = [
        ("net_id over 24 bits", |r| r.net_id = 1 << 24),
        ("rx1_dr_offset 8", |r| r.rx1_dr_offset = 8),
        ("rx_delay 16", |r| r.rx_delay = 16),
        ("cf_list of 15 bytes", |r| r.cf_list = vec![0; 15].into()),
        ("cf_list of type 9", |r| r.cf_list = vec![9; 16].into()),
    ];
    for (name, change) in settings {
        let mut request = join_request_message(good.clone());
        change(&mut request);
        requests.push((name, request));
    }

    let n_requests = requests.len() as u64 + 1;
    for (name, request) in &requests {
        let answer = env.request(request).await.unwrap();
        assert_eq!(
            expect_refusal(answer).unwrap(),
            pb::JoinErrorCode::InvalidFrame,
            "{name}"
        );
    }
    // Not a JoinRequest at all: field 1 is a varint where the request has bytes.
    let not_a_request = pb::JoinError {
        code: 4,
        message: String::new(),
    };
    let answer = env.request_message(&not_a_request).await.unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::InvalidFrame
    );
    assert_eq!(counted(&env, "invalid_frame"), n_requests);

    // The service still answers, and none of the refusals touched the device's state.
    let answer = env.request(&join_request_message(good)).await.unwrap();
    assert_eq!(expect_accept(answer).unwrap().join_nonce, 1);
    assert_eq!(counted(&env, "ok"), 1);
    env.stop().await.unwrap();
}
