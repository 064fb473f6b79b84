//! Unit tests of [`PhyPayload`]: constructors, validation and the MIC helpers. Frame vectors
//! from independent implementations live in `tests/vectors/frames.json`.

use super::*;
use crate::{DevAddr, DevNonce, DlSettings, Eui64, FCtrl, FHdr, FOpts, JoinNonce, NetId, RxDelay};

fn fhdr(f_ctrl: FCtrl) -> FHdr {
    FHdr {
        dev_addr: DevAddr::from_u32(0x0102_0304),
        f_ctrl,
        f_cnt: 1,
        f_opts: FOpts::empty(),
    }
}

fn join_accept_body() -> JoinAcceptPayload {
    JoinAcceptPayload {
        join_nonce: JoinNonce::new(65793).unwrap(),
        home_net_id: NetId::from_u32(0x02_0202).unwrap(),
        dev_addr: DevAddr::from_u32(0x0102_0304),
        dl_settings: DlSettings::new(false, 0, 0).unwrap(),
        rx_delay: RxDelay::new(0).unwrap(),
        cf_list: None,
    }
}

#[test]
fn split_mic_returns_covered_bytes_without_decoding() {
    // Uplink from lora-packet's README: MIC 2b11ff0d.
    let frame = hex::decode("40f17dbe4900020001954378762b11ff0d").unwrap();
    let (covered, mic) = PhyPayload::split_mic(&frame).unwrap();
    assert_eq!(covered, &frame[..13]);
    assert_eq!(mic, [0x2b, 0x11, 0xff, 0x0d]);
    for len in 0..5 {
        assert_eq!(
            PhyPayload::split_mic(&frame[..len]),
            Err(Error::TooShort {
                needed: 5,
                got: len
            })
        );
    }
}

#[test]
fn plaintext_join_accept_encodes_for_mic_and_encryption() {
    // Plaintext of ChirpStack's LoRaWAN 1.0.x join-accept example (lrwn/src/phy_payload.rs
    // docs): MIC 3449f212 over MHDR | body.
    let phy = PhyPayload::join_accept(join_accept_body(), [0x34, 0x49, 0xf2, 0x12]);
    let expected = hex::decode("200101010202020403020100003449f212").unwrap();
    assert_eq!(phy.encode(), expected);
    assert_eq!(phy.encode_without_mic(), expected[..13]);
    assert_eq!(phy.encoded_len(), 17);
    assert_eq!(
        PhyPayload::decode_plaintext_join_accept(&expected),
        Ok(phy.clone())
    );
    assert_eq!(phy.validate(), Ok(()));
    // Decoding the same bytes as received on the air keeps them as ciphertext.
    let on_air = PhyPayload::decode(&expected).unwrap();
    assert_eq!(
        on_air.payload,
        Payload::EncryptedJoinAccept(EncryptedJoinAccept::new(&expected[1..]).unwrap())
    );
    assert_eq!(on_air.mic, None);
}

#[test]
fn plaintext_join_accept_decoding_checks_mtype_and_length() {
    let cases: [(&[u8], Error); 4] = [
        (&[], Error::TooShort { needed: 17, got: 0 }),
        (
            &[0x40; 17],
            Error::UnexpectedMType(MType::UnconfirmedDataUp),
        ),
        (
            &[0x20; 18],
            Error::InvalidLength {
                structure: "join-accept",
                got: 18,
            },
        ),
        (&[0x21; 17], Error::UnsupportedMajor(1)),
    ];
    for (bytes, error) in cases {
        assert_eq!(PhyPayload::decode_plaintext_join_accept(bytes), Err(error));
    }
}

#[test]
fn data_constructor_checks_mtype_and_fctrl_direction() {
    let mac_payload = MacPayload::new(
        fhdr(FCtrl {
            class_b: true,
            ..FCtrl::default()
        }),
        1,
        vec![],
    )
    .unwrap();
    assert!(PhyPayload::data(MType::ConfirmedDataUp, mac_payload.clone(), [0; 4]).is_ok());
    assert_eq!(
        PhyPayload::data(MType::UnconfirmedDataDown, mac_payload.clone(), [0; 4]),
        Err(Error::FCtrlFlagWrongDirection { flag: "ClassB" })
    );
    assert_eq!(
        PhyPayload::data(MType::JoinRequest, mac_payload, [0; 4]),
        Err(Error::UnexpectedMType(MType::JoinRequest))
    );
}

#[test]
fn validate_reports_inconsistent_fields() {
    let join_request = JoinRequest {
        join_eui: Eui64::from_u64(1),
        dev_eui: Eui64::from_u64(2),
        dev_nonce: DevNonce::new(3),
    };
    let mac_payload = MacPayload::without_port(fhdr(FCtrl::default()));
    let down = PhyPayload::data(MType::UnconfirmedDataDown, mac_payload, [0; 4]).unwrap();
    let cases = [
        (
            PhyPayload {
                mhdr: Mhdr::new(MType::JoinAccept),
                ..PhyPayload::join_request(join_request, [0; 4])
            },
            Error::UnexpectedMType(MType::JoinAccept),
        ),
        (
            PhyPayload {
                mic: None,
                ..PhyPayload::join_request(join_request, [0; 4])
            },
            Error::MissingMic(MType::JoinRequest),
        ),
        (
            PhyPayload {
                mic: Some([0; 4]),
                ..PhyPayload::proprietary(vec![1]).unwrap()
            },
            Error::UnexpectedMic(MType::Proprietary),
        ),
        (
            PhyPayload {
                payload: Payload::Proprietary(vec![0; 255]),
                ..PhyPayload::proprietary(vec![]).unwrap()
            },
            Error::TooLong { max: 255, got: 256 },
        ),
        (
            PhyPayload {
                payload: Payload::MacPayload(MacPayload::without_port(fhdr(FCtrl {
                    adr_ack_req: true,
                    ..FCtrl::default()
                }))),
                ..down
            },
            Error::FCtrlFlagWrongDirection { flag: "ADRACKReq" },
        ),
    ];
    for (phy, error) in cases {
        assert_eq!(phy.validate(), Err(error), "{phy:?}");
    }
}

#[test]
fn proprietary_payload_is_limited_to_254_bytes() {
    assert!(PhyPayload::proprietary(vec![0; 254]).is_ok());
    assert_eq!(
        PhyPayload::proprietary(vec![0; 255]),
        Err(Error::TooLong { max: 254, got: 255 })
    );
}

#[test]
fn mac_payload_accessors_follow_the_payload_variant() {
    let mut phy = PhyPayload::data(
        MType::UnconfirmedDataUp,
        MacPayload::new(fhdr(FCtrl::default()), 2, vec![0xaa]).unwrap(),
        [0; 4],
    )
    .unwrap();
    assert_eq!(phy.direction(), Some(Direction::Uplink));
    assert_eq!(
        phy.mac_payload().map(MacPayload::frm_payload),
        Some(&[0xaa][..])
    );
    if let Some(mac_payload) = phy.mac_payload_mut() {
        mac_payload.frm_payload_mut()[0] = 0xbb;
    }
    assert_eq!(phy.encode()[9], 0xbb);
    let proprietary = PhyPayload::proprietary(vec![]).unwrap();
    assert_eq!(proprietary.mac_payload(), None);
    assert_eq!(proprietary.direction(), None);
}

#[cfg(feature = "serde")]
#[test]
fn serializes_byte_fields_as_hex() {
    let frame = hex::decode("4084412505a3010009110308b33750f504d4b86a").unwrap();
    let phy = PhyPayload::decode(&frame).unwrap();
    let json = serde_json::to_value(&phy).unwrap();
    assert_eq!(json["mic"], "04d4b86a");
    let mac_payload = &json["payload"]["mac_payload"];
    assert_eq!(mac_payload["fhdr"]["dev_addr"], "05254184");
    assert_eq!(mac_payload["fhdr"]["f_opts"], "091103");
    assert_eq!(mac_payload["f_port"], 8);
    assert_eq!(mac_payload["frm_payload"], "b33750f5");
    assert_eq!(serde_json::from_value::<PhyPayload>(json).unwrap(), phy);
}

#[cfg(feature = "serde")]
#[test]
fn deserializing_validates_the_frame() {
    let json = serde_json::json!({
        "mhdr": {"m_type": "unconfirmed_data_up", "major": "lorawan_r1"},
        "payload": {"mac_payload": {
            "fhdr": {"dev_addr": "01020304", "f_ctrl": {}, "f_cnt": 1, "f_opts": "02"},
            "f_port": 0,
            "frm_payload": ""
        }},
        "mic": "00000000"
    });
    let error = serde_json::from_value::<PhyPayload>(json).unwrap_err();
    assert!(error.to_string().contains("FOpts must be empty"), "{error}");
    let json = serde_json::json!({
        "mhdr": {"m_type": "proprietary", "major": "lorawan_r1"},
        "payload": {"proprietary": "0102"},
        "mic": "00000000"
    });
    let error = serde_json::from_value::<PhyPayload>(json).unwrap_err();
    assert!(error.to_string().contains("unexpected MIC"), "{error}");
}
