//! OTAA joins end to end over `js.join`: the test plays the network server and the device.
//!
//! The device side builds the join-request and opens the join-accept with `lorawan-codec` and
//! `lorawan-crypto` (see `tern_join::testsuite::TestDevice`), then compares the keys it derives
//! with the keys in the answer.

use lorawan_codec::{Aes128Key, CfList, DevAddr, JoinReqType, NetId};
use tern_join::testsuite::{
    TEST_KEK, TEST_KEK_LABEL, TestDevice, TestEnv, expect_accept, join_request_message,
};
use tern_join::{JoinStore, MacVersion};
use tern_proto::internal::v1 as pb;

fn plaintext(envelope: &Option<pb::KeyEnvelope>) -> Aes128Key {
    let envelope = envelope.as_ref().expect("key envelope present");
    assert_eq!(envelope.kek_label, "", "network keys travel in plaintext");
    Aes128Key::from_bytes(envelope.key[..].try_into().expect("16-byte key"))
}

fn unwrap_app_s_key(envelope: &Option<pb::KeyEnvelope>) -> Aes128Key {
    let envelope = envelope.as_ref().expect("AppSKey envelope present");
    assert_eq!(envelope.kek_label, TEST_KEK_LABEL);
    assert_eq!(envelope.key.len(), 24, "RFC 3394 wrapped AES-128 key");
    lorawan_crypto::unwrap_key(&TEST_KEK.parse().unwrap(), &envelope.key).unwrap()
}

#[tokio::test]
async fn joins_a_1_0_3_device_end_to_end() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_0_3, 1);
    env.add_device(&device).await.unwrap();

    let request = join_request_message(device.join_request(0x1234));
    let accept = expect_accept(env.request(&request).await.unwrap()).unwrap();
    let opened = device
        .open_join_accept(&accept.phy_payload, JoinReqType::JoinRequest, 0x1234)
        .unwrap();

    let body = opened.body;
    assert_eq!(body.dev_addr, DevAddr::from_u32(request.dev_addr));
    assert_eq!(body.home_net_id, NetId::from_u32(0x13).unwrap());
    assert!(!body.dl_settings.opt_neg(), "no OptNeg for 1.0.x");
    assert_eq!(body.dl_settings.rx1_dr_offset(), 1);
    assert_eq!(body.dl_settings.rx2_data_rate(), 3);
    assert_eq!(body.rx_delay.del(), 5);
    let cf_list: [u8; 16] = request.cf_list[..].try_into().unwrap();
    assert_eq!(body.cf_list, Some(CfList::decode(&cf_list).unwrap()));
    assert_eq!(accept.phy_payload.len(), 33);

    assert_eq!(accept.mac_version(), pb::MacVersion::MacVersion103);
    assert_eq!(accept.dev_eui, device.dev_eui.to_u64());
    assert_eq!(accept.join_eui, device.join_eui.to_u64());
    assert_eq!(accept.dev_addr, request.dev_addr);
    assert_eq!(accept.join_nonce, body.join_nonce.to_u32());
    assert_eq!(accept.dev_nonce, 0x1234);
    // LoRaWAN 1.0.x: one NwkSKey in all three network roles.
    for envelope in [
        &accept.f_nwk_s_int_key,
        &accept.s_nwk_s_int_key,
        &accept.nwk_s_enc_key,
    ] {
        assert_eq!(plaintext(envelope), opened.f_nwk_s_int_key);
    }
    assert_eq!(unwrap_app_s_key(&accept.app_s_key), opened.app_s_key);
    assert_ne!(opened.app_s_key, opened.f_nwk_s_int_key);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn joins_a_1_1_device_end_to_end() {
    let env = TestEnv::start().await.unwrap();
    let device = TestDevice::new(MacVersion::V1_1, 2);
    env.add_device(&device).await.unwrap();

    let mut request = join_request_message(device.join_request(0));
    request.cf_list = Vec::new().into();
    let accept = expect_accept(env.request(&request).await.unwrap()).unwrap();
    // The device decrypts with its NwkKey and checks the MIC with its JSIntKey.
    let opened = device
        .open_join_accept(&accept.phy_payload, JoinReqType::JoinRequest, 0)
        .unwrap();

    assert!(opened.body.dl_settings.opt_neg(), "OptNeg for 1.1");
    assert_eq!(opened.body.cf_list, None);
    assert_eq!(accept.phy_payload.len(), 17);
    assert_eq!(accept.mac_version(), pb::MacVersion::MacVersion11);
    assert_eq!(accept.join_nonce, opened.body.join_nonce.to_u32());
    assert_eq!(plaintext(&accept.f_nwk_s_int_key), opened.f_nwk_s_int_key);
    assert_eq!(plaintext(&accept.s_nwk_s_int_key), opened.s_nwk_s_int_key);
    assert_eq!(plaintext(&accept.nwk_s_enc_key), opened.nwk_s_enc_key);
    assert_eq!(unwrap_app_s_key(&accept.app_s_key), opened.app_s_key);
    let keys = [
        opened.f_nwk_s_int_key,
        opened.s_nwk_s_int_key,
        opened.nwk_s_enc_key,
        opened.app_s_key,
    ];
    for (idx, key) in keys.iter().enumerate() {
        assert!(!keys[idx + 1..].contains(key), "four distinct session keys");
    }
    env.stop().await.unwrap();
}

#[tokio::test]
async fn join_nonce_strictly_increases_across_joins_and_re_keying() {
    let env = TestEnv::start().await.unwrap();
    for (seed, version) in [(3, MacVersion::V1_0_2), (4, MacVersion::V1_1)] {
        let mut device = TestDevice::new(version, seed);
        env.add_device(&device).await.unwrap();
        let mut join_nonces = Vec::new();
        for dev_nonce in [5, 6, 9, 200] {
            let request = join_request_message(device.join_request(dev_nonce));
            let accept = expect_accept(env.request(&request).await.unwrap()).unwrap();
            let opened = device
                .open_join_accept(&accept.phy_payload, JoinReqType::JoinRequest, dev_nonce)
                .unwrap();
            assert_eq!(opened.body.join_nonce.to_u32(), accept.join_nonce);
            join_nonces.push(accept.join_nonce);
        }
        assert_eq!(join_nonces, [1, 2, 3, 4], "{version}");

        // New root keys keep the counter: a 1.1 device refuses a JoinNonce it has seen.
        device.app_key = Aes128Key::from_bytes([0x42; 16]);
        env.store.set_device(&device.root_keys()).await.unwrap();
        let request = join_request_message(device.join_request(201));
        let accept = expect_accept(env.request(&request).await.unwrap()).unwrap();
        assert_eq!(accept.join_nonce, 5, "{version}");
    }
    env.stop().await.unwrap();
}
