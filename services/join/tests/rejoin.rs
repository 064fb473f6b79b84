//! LoRaWAN 1.1 rejoin-requests over `js.join` (LoRaWAN 1.1 §6.2.4).
//!
//! Type 1 is MIC-checked here with the JSIntKey and its RJcount1 must increase. Types 0 and 2
//! are MIC-checked by the network server with the session's SNwkSIntKey before it asks, so the
//! join server answers them without a MIC check.

use lorawan_codec::{Aes128Key, JoinReqType, NetId, RejoinRequest};
use tern_join::MacVersion;
use tern_join::testsuite::{
    TestDevice, TestEnv, expect_accept, expect_refusal, join_request_message,
};
use tern_proto::internal::v1 as pb;

fn rejoin_type1(device: &TestDevice, rj_count1: u16) -> Vec<u8> {
    let rejoin = RejoinRequest::Type1 {
        join_eui: device.join_eui,
        dev_eui: device.dev_eui,
        rj_count1,
    };
    device.rejoin_request(rejoin, &Aes128Key::default())
}

#[tokio::test]
async fn answers_a_rejoin_type_1_of_a_1_1_device() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_1, 1);
    env.add_device(&device).await.unwrap();
    let joined = env
        .request(&join_request_message(device.join_request(1)))
        .await
        .unwrap();
    let joined = expect_accept(joined).unwrap();

    let accept = expect_accept(
        env.request(&join_request_message(rejoin_type1(&device, 0)))
            .await
            .unwrap(),
    )
    .unwrap();
    // Encrypted with the JSEncKey, MIC under the JSIntKey with JoinReqType 1 and RJcount1.
    let opened = device
        .open_join_accept(&accept.phy_payload, JoinReqType::RejoinType1, 0)
        .unwrap();
    assert!(opened.body.dl_settings.opt_neg());
    assert_eq!(accept.join_nonce, joined.join_nonce + 1);
    assert_eq!(accept.dev_nonce, 0);
    let network_key = |envelope: &Option<pb::KeyEnvelope>| {
        Aes128Key::from_bytes(envelope.as_ref().unwrap().key[..].try_into().unwrap())
    };
    assert_eq!(network_key(&accept.s_nwk_s_int_key), opened.s_nwk_s_int_key);
    assert_eq!(network_key(&accept.f_nwk_s_int_key), opened.f_nwk_s_int_key);
    assert_eq!(network_key(&accept.nwk_s_enc_key), opened.nwk_s_enc_key);
    assert_ne!(network_key(&joined.s_nwk_s_int_key), opened.s_nwk_s_int_key);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn rejects_a_rejoin_type_1_with_a_bad_mic_or_an_old_rj_count1() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_1, 2);
    env.add_device(&device).await.unwrap();

    let mut bad_mic = rejoin_type1(&device, 5);
    bad_mic[20] ^= 0x80;
    let answer = env.request(&join_request_message(bad_mic)).await.unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::InvalidMic
    );

    let steps = [(5, true), (5, false), (4, false), (6, true)];
    for (rj_count1, accepted) in steps {
        let answer = env
            .request(&join_request_message(rejoin_type1(&device, rj_count1)))
            .await
            .unwrap();
        match accepted {
            true => {
                expect_accept(answer).unwrap();
            }
            false => assert_eq!(
                expect_refusal(answer).unwrap(),
                pb::JoinErrorCode::DevNonceReused,
                "RJcount1 {rj_count1}"
            ),
        }
    }
    env.stop().await.unwrap();
}

#[tokio::test]
async fn answers_rejoin_types_0_and_2_checked_by_the_network_server() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_1, 3);
    env.add_device(&device).await.unwrap();
    let net_id = NetId::from_u32(0x13).unwrap();
    // The session key the network server checked the MIC with; the join server never sees it.
    let s_nwk_s_int_key = Aes128Key::from_bytes([0x77; 16]);
    let cases = [
        (
            RejoinRequest::Type0 {
                net_id,
                dev_eui: device.dev_eui,
                rj_count0: 3,
            },
            JoinReqType::RejoinType0,
        ),
        (
            RejoinRequest::Type2 {
                net_id,
                dev_eui: device.dev_eui,
                rj_count0: 3,
            },
            JoinReqType::RejoinType2,
        ),
    ];
    let mut join_nonces = Vec::new();
    for (rejoin, join_req_type) in cases {
        let frame = device.rejoin_request(rejoin, &s_nwk_s_int_key);
        let accept =
            expect_accept(env.request(&join_request_message(frame)).await.unwrap()).unwrap();
        let opened = device
            .open_join_accept(&accept.phy_payload, join_req_type, 3)
            .unwrap();
        assert_eq!(accept.dev_eui, device.dev_eui.to_u64());
        assert_eq!(accept.join_eui, device.join_eui.to_u64());
        assert_eq!(accept.dev_nonce, 3);
        assert_eq!(opened.body.join_nonce.to_u32(), accept.join_nonce);
        join_nonces.push(accept.join_nonce);
    }
    assert_eq!(join_nonces, [1, 2]);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn rejects_rejoins_from_1_0_devices() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_0_4, 4);
    env.add_device(&device).await.unwrap();
    let answer = env
        .request(&join_request_message(rejoin_type1(&device, 1)))
        .await
        .unwrap();
    assert_eq!(
        expect_refusal(answer).unwrap(),
        pb::JoinErrorCode::InvalidFrame
    );
    env.stop().await.unwrap();
}
