//! Known-answer tests against the vectors in `tests/vectors/*.json`.
//!
//! Every vector names its `source` (a specification section or an independent implementation's
//! test). Each table is checked in both directions where the operation has two: compute then
//! compare with the vector, and verify or invert the vector's output. Full frames are checked in
//! `tests/frames.rs`.

use lorawan_codec::{Aes128Key, DevAddr, Eui64, NetId};
use lorawan_crypto::{
    B1Fields, CipherKey, Direction, Error, FOptsCounter, FOptsScheme, JoinReqType, MicKey,
    compute_data_downlink_mic_1_0, compute_data_downlink_mic_1_1, compute_data_uplink_mic_1_0,
    compute_data_uplink_mic_1_1, compute_join_accept_mic_1_0, compute_join_accept_mic_1_1,
    compute_join_request_mic, compute_rejoin_request_mic, decrypt_f_opts, decrypt_frm_payload,
    decrypt_frm_payload_in_place, decrypt_join_accept, derive_app_s_key, derive_app_s_key_1_1,
    derive_f_nwk_s_int_key, derive_js_enc_key, derive_js_int_key, derive_nwk_s_enc_key,
    derive_nwk_s_key, derive_s_nwk_s_int_key, encrypt_f_opts, encrypt_frm_payload,
    encrypt_join_accept, unwrap_key, verify_data_downlink_mic_1_0, verify_data_downlink_mic_1_1,
    verify_data_uplink_mic_1_0, verify_data_uplink_mic_1_1, verify_join_accept_mic_1_0,
    verify_join_accept_mic_1_1, verify_join_request_mic, verify_rejoin_request_mic, wrap_key,
};
use serde::Deserialize;

fn bytes(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

fn key(text: &str) -> Aes128Key {
    text.parse().unwrap()
}

fn mic(text: &str) -> [u8; 4] {
    bytes(text).try_into().unwrap()
}

fn load<T: for<'de> Deserialize<'de>>(json: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap()
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum JoinMicKind {
    JoinRequest,
    RejoinRequest,
    #[serde(rename = "join_accept_1_0")]
    JoinAccept1_0,
    #[serde(rename = "join_accept_1_1")]
    JoinAccept1_1,
}

#[derive(Deserialize)]
struct JoinMicVector {
    name: String,
    source: String,
    kind: JoinMicKind,
    key: String,
    msg: String,
    mic: String,
    join_eui: Option<String>,
    dev_nonce: Option<u16>,
}

#[test]
fn join_mics_match_vectors_and_verify() {
    let vectors: Vec<JoinMicVector> = load(include_str!("vectors/join_mic.json"));
    assert!(vectors.len() >= 15);
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let mic_key = MicKey::new(&key(&v.key));
        let msg = bytes(&v.msg);
        let expected = mic(&v.mic);
        let (computed, verified) = match v.kind {
            JoinMicKind::JoinRequest => (
                compute_join_request_mic(&mic_key, &msg),
                verify_join_request_mic(&mic_key, &msg, &expected),
            ),
            JoinMicKind::RejoinRequest => (
                compute_rejoin_request_mic(&mic_key, &msg),
                verify_rejoin_request_mic(&mic_key, &msg, &expected),
            ),
            JoinMicKind::JoinAccept1_0 => (
                compute_join_accept_mic_1_0(&mic_key, &msg),
                verify_join_accept_mic_1_0(&mic_key, &msg, &expected),
            ),
            JoinMicKind::JoinAccept1_1 => {
                let join_eui: Eui64 = v.join_eui.as_deref().unwrap().parse().unwrap();
                let dev_nonce = v.dev_nonce.unwrap();
                let req = JoinReqType::JoinRequest;
                (
                    compute_join_accept_mic_1_1(&mic_key, req, join_eui, dev_nonce, &msg),
                    verify_join_accept_mic_1_1(&mic_key, req, join_eui, dev_nonce, &msg, &expected),
                )
            }
        };
        assert_eq!(computed, Ok(expected), "{ctx}");
        assert_eq!(verified, Ok(()), "{ctx}");
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum DataMicKind {
    #[serde(rename = "uplink_1_0")]
    Uplink1_0,
    #[serde(rename = "uplink_1_1")]
    Uplink1_1,
    #[serde(rename = "downlink_1_0")]
    Downlink1_0,
    #[serde(rename = "downlink_1_1")]
    Downlink1_1,
}

#[derive(Deserialize)]
struct DataMicVector {
    name: String,
    source: String,
    kind: DataMicKind,
    /// The NwkSKey, FNwkSIntKey (1.1 uplink) or SNwkSIntKey (1.1 downlink).
    key: String,
    s_key: Option<String>,
    conf_f_cnt: Option<u32>,
    tx_dr: Option<u8>,
    tx_ch: Option<u8>,
    dev_addr: String,
    f_cnt: u32,
    msg: String,
    mic: String,
}

#[test]
fn data_mics_match_vectors_and_verify() {
    let vectors: Vec<DataMicVector> = load(include_str!("vectors/data_mic.json"));
    assert!(vectors.len() >= 15);
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let k = MicKey::new(&key(&v.key));
        let addr: DevAddr = v.dev_addr.parse().unwrap();
        let msg = bytes(&v.msg);
        let expected = mic(&v.mic);
        let (computed, verified) = match v.kind {
            DataMicKind::Uplink1_0 => (
                compute_data_uplink_mic_1_0(&k, addr, v.f_cnt, &msg),
                verify_data_uplink_mic_1_0(&k, addr, v.f_cnt, &msg, &expected),
            ),
            DataMicKind::Downlink1_0 => (
                compute_data_downlink_mic_1_0(&k, addr, v.f_cnt, &msg),
                verify_data_downlink_mic_1_0(&k, addr, v.f_cnt, &msg, &expected),
            ),
            DataMicKind::Uplink1_1 => {
                let s = MicKey::new(&key(v.s_key.as_deref().unwrap()));
                let b1 = B1Fields {
                    conf_f_cnt: v.conf_f_cnt,
                    tx_dr: v.tx_dr.unwrap(),
                    tx_ch: v.tx_ch.unwrap(),
                };
                (
                    compute_data_uplink_mic_1_1(&s, &k, b1, addr, v.f_cnt, &msg),
                    verify_data_uplink_mic_1_1(&s, &k, b1, addr, v.f_cnt, &msg, &expected),
                )
            }
            DataMicKind::Downlink1_1 => (
                compute_data_downlink_mic_1_1(&k, v.conf_f_cnt, addr, v.f_cnt, &msg),
                verify_data_downlink_mic_1_1(&k, v.conf_f_cnt, addr, v.f_cnt, &msg, &expected),
            ),
        };
        assert_eq!(computed, Ok(expected), "{ctx}");
        assert_eq!(verified, Ok(()), "{ctx}");
    }
}

#[derive(Deserialize)]
struct FrmPayloadVector {
    name: String,
    source: String,
    key: String,
    direction: String,
    dev_addr: String,
    f_cnt: u32,
    plain: String,
    cipher: String,
}

fn direction(text: &str) -> Direction {
    match text {
        "uplink" => Direction::Uplink,
        "downlink" => Direction::Downlink,
        other => panic!("unknown direction {other}"),
    }
}

#[test]
fn frm_payload_encryption_matches_vectors_both_ways() {
    let vectors: Vec<FrmPayloadVector> = load(include_str!("vectors/frm_payload.json"));
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let k = CipherKey::new(&key(&v.key));
        let dir = direction(&v.direction);
        let addr: DevAddr = v.dev_addr.parse().unwrap();
        let (plain, cipher) = (bytes(&v.plain), bytes(&v.cipher));
        assert_eq!(
            encrypt_frm_payload(&k, dir, addr, v.f_cnt, &plain),
            Ok(cipher.clone()),
            "{ctx}"
        );
        assert_eq!(
            decrypt_frm_payload(&k, dir, addr, v.f_cnt, &cipher),
            Ok(plain.clone()),
            "{ctx}"
        );
        let mut in_place = cipher;
        decrypt_frm_payload_in_place(&k, dir, addr, v.f_cnt, &mut in_place).unwrap();
        assert_eq!(in_place, plain, "{ctx}");
    }
}

#[derive(Deserialize)]
struct FOptsVector {
    name: String,
    source: String,
    key: String,
    scheme: String,
    counter: String,
    dev_addr: String,
    f_cnt: u32,
    plain: String,
    cipher: String,
}

fn scheme(text: &str) -> FOptsScheme {
    match text {
        "original" => FOptsScheme::Original,
        "errata" => FOptsScheme::Errata,
        other => panic!("unknown scheme {other}"),
    }
}

#[test]
fn f_opts_encryption_matches_vectors_both_ways() {
    let vectors: Vec<FOptsVector> = load(include_str!("vectors/f_opts.json"));
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let k = CipherKey::new(&key(&v.key));
        let counter = match v.counter.as_str() {
            "f_cnt_up" => FOptsCounter::FCntUp,
            "n_f_cnt_down" => FOptsCounter::NFCntDown,
            "a_f_cnt_down" => FOptsCounter::AFCntDown,
            other => panic!("unknown counter {other}"),
        };
        let scheme = scheme(&v.scheme);
        let addr: DevAddr = v.dev_addr.parse().unwrap();
        let (plain, cipher) = (bytes(&v.plain), bytes(&v.cipher));
        let encrypted = encrypt_f_opts(&k, scheme, counter, addr, v.f_cnt, &plain);
        assert_eq!(encrypted, Ok(cipher.clone()), "{ctx}");
        let decrypted = decrypt_f_opts(&k, scheme, counter, addr, v.f_cnt, &cipher);
        assert_eq!(decrypted, Ok(plain), "{ctx}");
    }
}

#[derive(Deserialize)]
struct JoinAcceptVector {
    name: String,
    source: String,
    key: String,
    plain: String,
    cipher: String,
}

#[test]
fn join_accept_encryption_matches_vectors_both_ways() {
    let vectors: Vec<JoinAcceptVector> = load(include_str!("vectors/join_accept_encryption.json"));
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let k = key(&v.key);
        let mut data = bytes(&v.plain);
        encrypt_join_accept(&k, &mut data).unwrap();
        assert_eq!(data, bytes(&v.cipher), "{ctx}");
        decrypt_join_accept(&k, &mut data).unwrap();
        assert_eq!(data, bytes(&v.plain), "{ctx}");
    }
}

#[derive(Deserialize)]
struct DerivationVector {
    name: String,
    source: String,
    kind: String,
    key: String,
    join_nonce: Option<u32>,
    net_id: Option<String>,
    join_eui: Option<String>,
    dev_eui: Option<String>,
    dev_nonce: Option<u16>,
    derived: String,
}

#[test]
fn key_derivations_match_vectors() {
    let vectors: Vec<DerivationVector> = load(include_str!("vectors/key_derivation.json"));
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let root = key(&v.key);
        let net_id = || v.net_id.as_deref().unwrap().parse::<NetId>().unwrap();
        let join_eui = || v.join_eui.as_deref().unwrap().parse::<Eui64>().unwrap();
        let dev_eui = || v.dev_eui.as_deref().unwrap().parse::<Eui64>().unwrap();
        let nonce = || v.join_nonce.unwrap();
        let dev_nonce = || v.dev_nonce.unwrap();
        let derived = match v.kind.as_str() {
            "nwk_s_key" => derive_nwk_s_key(&root, nonce(), net_id(), dev_nonce()),
            "app_s_key" => derive_app_s_key(&root, nonce(), net_id(), dev_nonce()),
            "f_nwk_s_int_key" => derive_f_nwk_s_int_key(&root, nonce(), join_eui(), dev_nonce()),
            "s_nwk_s_int_key" => derive_s_nwk_s_int_key(&root, nonce(), join_eui(), dev_nonce()),
            "nwk_s_enc_key" => derive_nwk_s_enc_key(&root, nonce(), join_eui(), dev_nonce()),
            "app_s_key_1_1" => derive_app_s_key_1_1(&root, nonce(), join_eui(), dev_nonce()),
            "js_int_key" => derive_js_int_key(&root, dev_eui()),
            "js_enc_key" => derive_js_enc_key(&root, dev_eui()),
            other => panic!("unknown derivation {other}"),
        };
        assert_eq!(derived, key(&v.derived), "{ctx}");
    }
}

#[derive(Deserialize)]
struct KeyWrapVector {
    name: String,
    source: String,
    kek: String,
    key: String,
    wrapped: String,
}

#[test]
fn key_wrap_matches_rfc_3394_and_detects_tampering() {
    let vectors: Vec<KeyWrapVector> = load(include_str!("vectors/key_wrap.json"));
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let (kek, plain, wrapped) = (key(&v.kek), key(&v.key), bytes(&v.wrapped));
        assert_eq!(wrap_key(&kek, &plain).to_vec(), wrapped, "{ctx}");
        assert_eq!(unwrap_key(&kek, &wrapped), Ok(plain), "{ctx}");
        for bit in 0..wrapped.len() * 8 {
            let mut tampered = wrapped.clone();
            tampered[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                unwrap_key(&kek, &tampered),
                Err(Error::KeyUnwrap),
                "{ctx}, bit {bit}"
            );
        }
    }
}
