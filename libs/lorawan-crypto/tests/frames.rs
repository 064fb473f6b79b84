//! Known full frames from independent implementations, checked end to end: MIC verification,
//! FOpts and FRMPayload decryption, join-accept decryption and re-encryption.
//!
//! Frames are sliced by hand here (LoRaWAN 1.0.4 §4.3), since frame decoding belongs to the
//! codec. Each vector in `tests/vectors/frames.json` names its `source`.

use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use lorawan_crypto::{
    B1Fields, CipherKey, Direction, FOptsCounter, FOptsScheme, JoinReqType, MicKey, decrypt_f_opts,
    decrypt_frm_payload, decrypt_join_accept, encrypt_join_accept, split_mic,
    verify_data_downlink_mic_1_1, verify_data_uplink_mic_1_0, verify_data_uplink_mic_1_1,
    verify_join_accept_mic_1_0, verify_join_accept_mic_1_1, verify_join_request_mic,
};
use serde::Deserialize;

fn bytes(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

fn key(text: &str) -> Aes128Key {
    text.parse().unwrap()
}

fn scheme(text: &str) -> FOptsScheme {
    match text {
        "original" => FOptsScheme::Original,
        "errata" => FOptsScheme::Errata,
        other => panic!("unknown scheme {other}"),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FrameKind {
    #[serde(rename = "data_uplink_1_0")]
    DataUplink1_0,
    #[serde(rename = "data_uplink_1_1")]
    DataUplink1_1,
    #[serde(rename = "data_downlink_1_1")]
    DataDownlink1_1,
    JoinRequest,
    #[serde(rename = "join_accept_1_0")]
    JoinAccept1_0,
    #[serde(rename = "join_accept_1_1")]
    JoinAccept1_1,
}

#[derive(Deserialize)]
struct FrameVector {
    name: String,
    source: String,
    kind: FrameKind,
    phy: String,
    f_cnt: Option<u32>,
    key: Option<String>,
    nwk_s_key: Option<String>,
    s_nwk_s_int_key: Option<String>,
    f_nwk_s_int_key: Option<String>,
    nwk_s_enc_key: Option<String>,
    app_s_key: Option<String>,
    conf_f_cnt: Option<u32>,
    tx_dr: Option<u8>,
    tx_ch: Option<u8>,
    scheme: Option<String>,
    f_opts: Option<String>,
    frm_payload: Option<String>,
    join_eui: Option<String>,
    dev_nonce: Option<u16>,
    decrypted: Option<String>,
}

/// The fields of a data frame, sliced by hand (LoRaWAN 1.0.4 §4.3).
struct DataFrame<'a> {
    dev_addr: DevAddr,
    f_cnt_16: u16,
    f_opts: &'a [u8],
    f_port: Option<u8>,
    frm_payload: &'a [u8],
}

fn slice_data_frame(msg: &[u8]) -> DataFrame<'_> {
    let f_opts_len = usize::from(msg[5] & 0x0f);
    let f_opts_end = 8 + f_opts_len;
    DataFrame {
        dev_addr: DevAddr::from_le_bytes(msg[1..5].try_into().unwrap()),
        f_cnt_16: u16::from_le_bytes([msg[6], msg[7]]),
        f_opts: &msg[8..f_opts_end],
        f_port: msg.get(f_opts_end).copied(),
        frm_payload: msg.get(f_opts_end + 1..).unwrap_or_default(),
    }
}

fn opt_key(text: &Option<String>) -> Aes128Key {
    key(text.as_deref().unwrap())
}

#[test]
fn known_frames_verify_and_decrypt() {
    let vectors: Vec<FrameVector> =
        serde_json::from_str(include_str!("vectors/frames.json")).unwrap();
    for v in vectors {
        let ctx = format!("{} ({})", v.name, v.source);
        let phy = bytes(&v.phy);
        let (msg, received_mic) = split_mic(&phy).unwrap();
        match v.kind {
            FrameKind::DataUplink1_0 | FrameKind::DataUplink1_1 | FrameKind::DataDownlink1_1 => {
                let frame = slice_data_frame(msg);
                let f_cnt = v.f_cnt.unwrap();
                assert_eq!(frame.f_cnt_16, f_cnt as u16, "{ctx}");
                let (dir, f_opts) = match v.kind {
                    FrameKind::DataUplink1_0 => {
                        let nwk_s_key = MicKey::new(&opt_key(&v.nwk_s_key));
                        verify_data_uplink_mic_1_0(
                            &nwk_s_key,
                            frame.dev_addr,
                            f_cnt,
                            msg,
                            received_mic,
                        )
                        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                        (Direction::Uplink, frame.f_opts.to_vec())
                    }
                    FrameKind::DataUplink1_1 => {
                        let s = MicKey::new(&opt_key(&v.s_nwk_s_int_key));
                        let f = MicKey::new(&opt_key(&v.f_nwk_s_int_key));
                        let b1 = B1Fields {
                            conf_f_cnt: v.conf_f_cnt,
                            tx_dr: v.tx_dr.unwrap(),
                            tx_ch: v.tx_ch.unwrap(),
                        };
                        verify_data_uplink_mic_1_1(
                            &s,
                            &f,
                            b1,
                            frame.dev_addr,
                            f_cnt,
                            msg,
                            received_mic,
                        )
                        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                        (Direction::Uplink, frame.f_opts.to_vec())
                    }
                    _ => {
                        let s = MicKey::new(&opt_key(&v.s_nwk_s_int_key));
                        verify_data_downlink_mic_1_1(
                            &s,
                            None,
                            frame.dev_addr,
                            f_cnt,
                            msg,
                            received_mic,
                        )
                        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                        let counter = match frame.f_port {
                            Some(port) if port > 0 => FOptsCounter::AFCntDown,
                            _ => FOptsCounter::NFCntDown,
                        };
                        let enc = CipherKey::new(&opt_key(&v.nwk_s_enc_key));
                        let scheme = scheme(v.scheme.as_deref().unwrap());
                        let f_opts = decrypt_f_opts(
                            &enc,
                            scheme,
                            counter,
                            frame.dev_addr,
                            f_cnt,
                            frame.f_opts,
                        );
                        (Direction::Downlink, f_opts.unwrap())
                    }
                };
                assert_eq!(f_opts, bytes(v.f_opts.as_deref().unwrap()), "{ctx}");
                let app_s_key = CipherKey::new(&opt_key(&v.app_s_key));
                let payload =
                    decrypt_frm_payload(&app_s_key, dir, frame.dev_addr, f_cnt, frame.frm_payload);
                assert_eq!(
                    payload,
                    Ok(bytes(v.frm_payload.as_deref().unwrap())),
                    "{ctx}"
                );
            }
            FrameKind::JoinRequest => {
                let k = MicKey::new(&opt_key(&v.key));
                assert_eq!(
                    verify_join_request_mic(&k, msg, received_mic),
                    Ok(()),
                    "{ctx}"
                );
            }
            FrameKind::JoinAccept1_0 | FrameKind::JoinAccept1_1 => {
                let k = opt_key(&v.key);
                let mut plain = phy.clone();
                decrypt_join_accept(&k, &mut plain[1..]).unwrap();
                assert_eq!(plain, bytes(v.decrypted.as_deref().unwrap()), "{ctx}");
                let (plain_msg, plain_mic) = split_mic(&plain).unwrap();
                let mic_key = MicKey::new(&k);
                let res = if matches!(v.kind, FrameKind::JoinAccept1_0) {
                    verify_join_accept_mic_1_0(&mic_key, plain_msg, plain_mic)
                } else {
                    let join_eui: Eui64 = v.join_eui.as_deref().unwrap().parse().unwrap();
                    let req = JoinReqType::JoinRequest;
                    let dev_nonce = v.dev_nonce.unwrap();
                    verify_join_accept_mic_1_1(
                        &mic_key, req, join_eui, dev_nonce, plain_msg, plain_mic,
                    )
                };
                assert_eq!(res, Ok(()), "{ctx}");
                let mut encrypted = plain;
                encrypt_join_accept(&k, &mut encrypted[1..]).unwrap();
                assert_eq!(encrypted, phy, "{ctx}");
            }
        }
    }
}
