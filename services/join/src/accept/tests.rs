//! Join-accept construction against published vectors and the device-side crypto.

use lorawan_codec::{CfListFrequencies, Payload};
use lorawan_crypto::{decrypt_join_accept, verify_join_accept_mic_1_1};

use super::*;
use crate::MacVersion;

fn key(hex: &str) -> Aes128Key {
    hex.parse().unwrap()
}

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|idx| u8::from_str_radix(&hex[idx..idx + 2], 16).unwrap())
        .collect()
}

fn params(net_id: u32, cf_list: Option<CfList>) -> AcceptParams {
    AcceptParams {
        dev_addr: DevAddr::from_u32(0x2601_2e43),
        net_id: NetId::from_u32(net_id).unwrap(),
        rx1_dr_offset: 0,
        rx2_dr: 3,
        rx_delay: RxDelay::new(1).unwrap(),
        cf_list,
    }
}

fn join_request(nonce: u16) -> Answering {
    Answering {
        join_req_type: JoinReqType::JoinRequest,
        nonce,
    }
}

#[test]
fn builds_the_join_accept_of_a_captured_1_0_otaa_join() {
    // avbentem "deciphering a LoRaWAN OTAA join-accept" (runkit), published in lora-packet
    // issue #10: AppKey, the decrypted fields and the join-accept as sent by The Things Network.
    let app_key = key("b6b53f4a168a7a88bdf7ea135ce9cfca");
    let cf_list = CfList::Frequencies(
        CfListFrequencies::new([
            867_100_000,
            867_300_000,
            867_500_000,
            867_700_000,
            867_900_000,
        ])
        .unwrap(),
    );
    let accepted = build(
        &RootKeys::V1_0 { app_key },
        Eui64::from_u64(0x00af_ee7c_f5ed_6f1e),
        Eui64::from_u64(0x70b3_d57e_d000_00dc),
        &params(0x13, Some(cf_list)),
        join_request(0xcc85),
        JoinNonce::new(0x00e5_063a).unwrap(),
    )
    .unwrap();
    assert_eq!(
        accepted.phy_payload,
        bytes("204dd85ae608b87fc4889970b7d2042c9e72959b0057aed6094b16003df12de145")
    );
}

#[test]
fn derives_1_0_session_keys_from_app_key_net_id_and_dev_nonce() {
    // The Things Stack pkg/crypto/key_derivation_test.go TestKeyDerivation.
    let app_key = key("bec499c69e9c939e413b663961636c61");
    let accepted = build(
        &RootKeys::V1_0 { app_key },
        Eui64::from_u64(1),
        Eui64::from_u64(2),
        &params(0x02_0101, None),
        join_request(29545),
        JoinNonce::new(11_418_396).unwrap(),
    )
    .unwrap();
    let SessionKeys::V1_0(keys) = accepted.keys else {
        panic!("1.0 keys expected");
    };
    assert_eq!(keys.nwk_s_key, key("0db924ee6af90698e05fc7ce48303c01"));
    assert_eq!(keys.app_s_key, key("8c1e0543a229088de6f84e74bb46bd62"));
    assert_eq!(accepted.phy_payload.len(), 17);
}

/// The Things Stack TestKeyDerivation inputs for LoRaWAN 1.1.
fn v1_1_root() -> RootKeys {
    RootKeys::V1_1 {
        nwk_key: key("bec499c69e9c939e413b663961636c61"),
        app_key: key("bec499c69e9c939e413b663961636c61"),
    }
}

const DEV_EUI: u64 = 0x0042_0042_1342_4341;
const JOIN_EUI: u64 = 0x0000_0012_2322_4242;

#[test]
fn answers_a_1_1_join_request_with_opt_neg_nwk_key_encryption_and_js_int_key_mic() {
    let accepted = build(
        &v1_1_root(),
        Eui64::from_u64(DEV_EUI),
        Eui64::from_u64(JOIN_EUI),
        &params(0x13, None),
        join_request(29545),
        JoinNonce::new(11_418_396).unwrap(),
    )
    .unwrap();
    let mut frame = accepted.phy_payload.clone();
    decrypt_join_accept(&key("bec499c69e9c939e413b663961636c61"), &mut frame[1..]).unwrap();
    let decoded = PhyPayload::decode_plaintext_join_accept(&frame).unwrap();
    let Payload::JoinAccept(body) = decoded.payload else {
        panic!("join-accept expected");
    };
    assert!(body.dl_settings.opt_neg());
    assert_eq!(body.join_nonce.to_u32(), 11_418_396);
    // JSIntKey of this DevEUI, from the same TTS test.
    let js_int_key = MicKey::new(&key("cb8e9ee114c3fb5ce472a5aa13ab1855"));
    let (msg, mic) = frame.split_at(13);
    verify_join_accept_mic_1_1(
        &js_int_key,
        JoinReqType::JoinRequest,
        Eui64::from_u64(JOIN_EUI),
        29545,
        msg,
        mic.try_into().unwrap(),
    )
    .unwrap();
    let SessionKeys::V1_1(keys) = accepted.keys else {
        panic!("1.1 keys expected");
    };
    assert_eq!(
        keys.f_nwk_s_int_key,
        key("379084e7ce22ff191bff4b77536f2aa3")
    );
    assert_eq!(
        keys.s_nwk_s_int_key,
        key("63c59309d53485bc5164dbf71627aeb9")
    );
    assert_eq!(keys.nwk_s_enc_key, key("ce07a009a3970ac0519a099ed53e550b"));
    assert_eq!(keys.app_s_key, key("b035cce24e4a040eb5cecbf21724412d"));
}

#[test]
fn answers_a_rejoin_with_js_enc_key_and_the_rj_count_in_mic_and_keys() {
    let accepted = build(
        &v1_1_root(),
        Eui64::from_u64(DEV_EUI),
        Eui64::from_u64(JOIN_EUI),
        &params(0x13, None),
        Answering {
            join_req_type: JoinReqType::RejoinType1,
            nonce: 29545,
        },
        JoinNonce::new(11_418_396).unwrap(),
    )
    .unwrap();
    let mut frame = accepted.phy_payload.clone();
    // JSEncKey of this DevEUI, The Things Stack TestKeyDerivation.
    decrypt_join_accept(&key("bb711eefb9829b4a75866f8616bacd6d"), &mut frame[1..]).unwrap();
    let js_int_key = MicKey::new(&key("cb8e9ee114c3fb5ce472a5aa13ab1855"));
    let (msg, mic) = frame.split_at(13);
    verify_join_accept_mic_1_1(
        &js_int_key,
        JoinReqType::RejoinType1,
        Eui64::from_u64(JOIN_EUI),
        29545,
        msg,
        mic.try_into().unwrap(),
    )
    .unwrap();
    // Same JoinNonce, JoinEUI and nonce as the join-request case: same session keys.
    let SessionKeys::V1_1(keys) = accepted.keys else {
        panic!("1.1 keys expected");
    };
    assert_eq!(keys.app_s_key, key("b035cce24e4a040eb5cecbf21724412d"));
}

#[test]
fn reads_request_settings_and_rejects_out_of_range_ones() {
    let good = pb::JoinRequest {
        dev_addr: 0x2601_2e43,
        net_id: 0x00_0013,
        rx1_dr_offset: 7,
        rx2_dr: 15,
        rx_delay: 15,
        cf_list: bytes("184f84e85684b85e84886684586e8400").into(),
        ..pb::JoinRequest::default()
    };
    let read = AcceptParams::from_request(&good).unwrap();
    assert_eq!(read.rx1_dr_offset, 7);
    assert_eq!(read.rx2_dr, 15);
    assert_eq!(read.rx_delay.del(), 15);
    assert!(matches!(read.cf_list, Some(CfList::Frequencies(_))));

    let cases: [(pb::JoinRequest, &str); 6] = [
        (
            pb::JoinRequest {
                net_id: 1 << 24,
                ..good.clone()
            },
            "net_id 16777216 out of range",
        ),
        (
            pb::JoinRequest {
                rx1_dr_offset: 8,
                ..good.clone()
            },
            "rx1_dr_offset 8 out of range",
        ),
        (
            pb::JoinRequest {
                rx2_dr: 16,
                ..good.clone()
            },
            "rx2_dr 16 out of range",
        ),
        (
            pb::JoinRequest {
                rx_delay: 300,
                ..good.clone()
            },
            "rx_delay 300 out of range",
        ),
        (
            pb::JoinRequest {
                cf_list: vec![0; 15].into(),
                ..good.clone()
            },
            "cf_list must be 16 bytes or empty, got 15",
        ),
        (
            pb::JoinRequest {
                cf_list: vec![7; 16].into(),
                ..good.clone()
            },
            "decode CFList",
        ),
    ];
    for (request, message) in cases {
        let error = AcceptParams::from_request(&request).unwrap_err();
        assert_eq!(error.to_string(), message);
        assert_eq!(error.result_label(), "invalid_frame");
    }
}

#[test]
fn root_keys_follow_the_version_and_need_a_nwk_key_for_1_1() {
    let mut device = DeviceRootKeys {
        dev_eui: Eui64::from_u64(1),
        join_eui: Eui64::from_u64(2),
        mac_version: MacVersion::V1_0_3,
        app_key: key("01010101010101010101010101010101"),
        nwk_key: Some(key("02020202020202020202020202020202")),
    };
    let root = RootKeys::of(&device).unwrap();
    assert_eq!(*root.join_request_key(), device.app_key);
    device.mac_version = MacVersion::V1_1;
    let root = RootKeys::of(&device).unwrap();
    assert_eq!(Some(*root.join_request_key()), device.nwk_key);
    device.nwk_key = None;
    assert!(matches!(RootKeys::of(&device), Err(Error::NwkKeyMissing)));
}
