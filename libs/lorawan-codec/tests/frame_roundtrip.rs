//! Property tests of the frame codec: every frame kind survives `decode(encode(x)) == x`, and
//! decoding arbitrary bytes never panics and, when it succeeds, re-encodes to the same bytes
//! apart from RFU bits.
//!
//! The strategies build values through the public constructors only, so they produce exactly
//! the frames a caller can build.

use lorawan_codec::{
    CfList, CfListFrequencies, DevAddr, DevNonce, Direction, DlSettings, EncryptedJoinAccept,
    Eui64, FCtrl, FHdr, FOpts, JoinAcceptPayload, JoinNonce, JoinRequest, MType, MacPayload, NetId,
    PhyPayload, RejoinRequest, RxDelay,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn eui() -> impl Strategy<Value = Eui64> {
    any::<u64>().prop_map(Eui64::from_u64)
}

fn dev_addr() -> impl Strategy<Value = DevAddr> {
    any::<u32>().prop_map(DevAddr::from_u32)
}

fn net_id() -> impl Strategy<Value = NetId> {
    (0..=0x00ff_ffffu32).prop_map(|value| NetId::from_u32(value).unwrap())
}

fn f_ctrl(direction: Direction) -> impl Strategy<Value = FCtrl> {
    any::<[bool; 4]>().prop_map(move |[adr, ack, a, b]| match direction {
        Direction::Uplink => FCtrl {
            adr,
            ack,
            adr_ack_req: a,
            class_b: b,
            f_pending: false,
        },
        Direction::Downlink => FCtrl {
            adr,
            ack,
            f_pending: a,
            ..FCtrl::default()
        },
    })
}

fn fhdr(direction: Direction) -> impl Strategy<Value = FHdr> {
    (
        dev_addr(),
        f_ctrl(direction),
        any::<u16>(),
        vec(any::<u8>(), 0..=FOpts::MAX_LEN),
    )
        .prop_map(|(dev_addr, f_ctrl, f_cnt, f_opts)| FHdr {
            dev_addr,
            f_ctrl,
            f_cnt,
            f_opts: FOpts::new(&f_opts).unwrap(),
        })
}

fn mac_payload(direction: Direction) -> impl Strategy<Value = MacPayload> {
    fhdr(direction).prop_flat_map(|fhdr| {
        let room = MacPayload::MAX_LEN - fhdr.encoded_len() - 1;
        // FOpts forbid port 0 (LoRaWAN 1.0.4 §4.3.1.6).
        let lowest_port = u8::from(!fhdr.f_opts.is_empty());
        prop_oneof![
            1 => Just(MacPayload::without_port(fhdr)),
            4 => (lowest_port..=255u8, vec(any::<u8>(), 0..=room))
                .prop_map(move |(f_port, frm)| MacPayload::new(fhdr, f_port, frm).unwrap()),
        ]
    })
}

fn data_frame() -> impl Strategy<Value = PhyPayload> {
    prop_oneof![
        Just(MType::UnconfirmedDataUp),
        Just(MType::UnconfirmedDataDown),
        Just(MType::ConfirmedDataUp),
        Just(MType::ConfirmedDataDown),
    ]
    .prop_flat_map(|m_type| {
        let direction = if m_type.is_uplink() {
            Direction::Uplink
        } else {
            Direction::Downlink
        };
        (mac_payload(direction), any::<[u8; 4]>())
            .prop_map(move |(mac_payload, mic)| PhyPayload::data(m_type, mac_payload, mic).unwrap())
    })
}

fn join_request() -> impl Strategy<Value = JoinRequest> {
    (eui(), eui(), any::<u16>()).prop_map(|(join_eui, dev_eui, dev_nonce)| JoinRequest {
        join_eui,
        dev_eui,
        dev_nonce: DevNonce::new(dev_nonce),
    })
}

fn rejoin_request() -> impl Strategy<Value = RejoinRequest> {
    prop_oneof![
        (net_id(), eui(), any::<u16>()).prop_map(|(net_id, dev_eui, rj_count0)| {
            RejoinRequest::Type0 {
                net_id,
                dev_eui,
                rj_count0,
            }
        }),
        (eui(), eui(), any::<u16>()).prop_map(|(join_eui, dev_eui, rj_count1)| {
            RejoinRequest::Type1 {
                join_eui,
                dev_eui,
                rj_count1,
            }
        }),
        (net_id(), eui(), any::<u16>()).prop_map(|(net_id, dev_eui, rj_count0)| {
            RejoinRequest::Type2 {
                net_id,
                dev_eui,
                rj_count0,
            }
        }),
    ]
}

fn cf_list() -> impl Strategy<Value = Option<CfList>> {
    let frequency = (0..=0x00ff_ffffu32).prop_map(|wire| wire * CfListFrequencies::STEP_HZ);
    prop_oneof![
        Just(None),
        [
            frequency.clone(),
            frequency.clone(),
            frequency.clone(),
            frequency.clone(),
            frequency
        ]
        .prop_map(|hz| Some(CfList::Frequencies(CfListFrequencies::new(hz).unwrap()))),
        any::<[u16; 6]>().prop_map(|masks| Some(CfList::ChannelMask(masks))),
    ]
}

fn join_accept() -> impl Strategy<Value = JoinAcceptPayload> {
    (
        0..=JoinNonce::MAX,
        net_id(),
        dev_addr(),
        (any::<bool>(), 0..=7u8, 0..=15u8),
        0..=15u8,
        cf_list(),
    )
        .prop_map(
            |(join_nonce, home_net_id, dev_addr, (opt_neg, rx1, rx2), rx_delay, cf_list)| {
                JoinAcceptPayload {
                    join_nonce: JoinNonce::new(join_nonce).unwrap(),
                    home_net_id,
                    dev_addr,
                    dl_settings: DlSettings::new(opt_neg, rx1, rx2).unwrap(),
                    rx_delay: RxDelay::new(rx_delay).unwrap(),
                    cf_list,
                }
            },
        )
}

/// Every kind of frame that `PhyPayload::decode` produces.
fn on_air_frame() -> impl Strategy<Value = PhyPayload> {
    prop_oneof![
        1 => (join_request(), any::<[u8; 4]>())
            .prop_map(|(jr, mic)| PhyPayload::join_request(jr, mic)),
        1 => (rejoin_request(), any::<[u8; 4]>())
            .prop_map(|(rr, mic)| PhyPayload::rejoin_request(rr, mic)),
        1 => prop_oneof![vec(any::<u8>(), 16), vec(any::<u8>(), 32)].prop_map(|ciphertext| {
            PhyPayload::encrypted_join_accept(EncryptedJoinAccept::new(&ciphertext).unwrap())
        }),
        4 => data_frame(),
        1 => vec(any::<u8>(), 0..=PhyPayload::MAX_LEN - 1)
            .prop_map(|payload| PhyPayload::proprietary(payload).unwrap()),
    ]
}

/// Clears the RFU bits a decoder ignores, so raw input compares with its re-encoding:
/// MHDR bits 4..2 (LoRaWAN 1.0.4 §4.2) and bit 6 of a downlink FCtrl (§4.3.1).
fn clear_rfu_bits(frame: &[u8]) -> Vec<u8> {
    let mut frame = frame.to_vec();
    if let Some(mhdr) = frame.first_mut() {
        *mhdr &= !0b0001_1100;
        let m_type = MType::from_bits(*mhdr >> 5);
        if m_type.is_data()
            && !m_type.is_uplink()
            && let Some(f_ctrl) = frame.get_mut(5)
        {
            *f_ctrl &= !0x40;
        }
    }
    frame
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_frame_kind_round_trips(phy in on_air_frame()) {
        let bytes = phy.encode();
        prop_assert_eq!(bytes.len(), phy.encoded_len());
        prop_assert!(bytes.len() <= PhyPayload::MAX_LEN);
        prop_assert_eq!(phy.validate(), Ok(()));
        prop_assert_eq!(PhyPayload::decode(&bytes), Ok(phy.clone()));
        let mut appended = vec![0xee];
        phy.encode_into(&mut appended);
        prop_assert_eq!(&appended[1..], &bytes[..]);
    }

    #[test]
    fn plaintext_join_accepts_round_trip(join_accept in join_accept(), mic in any::<[u8; 4]>()) {
        let phy = PhyPayload::join_accept(join_accept, mic);
        let bytes = phy.encode();
        prop_assert!(bytes.len() == 17 || bytes.len() == 33);
        prop_assert_eq!(PhyPayload::decode_plaintext_join_accept(&bytes), Ok(phy.clone()));
        prop_assert_eq!(JoinAcceptPayload::decode(&join_accept.encode()), Ok(join_accept));
        prop_assert_eq!(JoinAcceptPayload::decode_with_mic(&bytes[1..]), Ok((join_accept, mic)));
        prop_assert_eq!(phy.encode_without_mic(), bytes[..bytes.len() - 4].to_vec());
    }

    #[test]
    fn mac_payloads_round_trip_in_both_directions(
        up in mac_payload(Direction::Uplink),
        down in mac_payload(Direction::Downlink),
    ) {
        for (mac_payload, direction) in [(up, Direction::Uplink), (down, Direction::Downlink)] {
            let mut bytes = Vec::new();
            mac_payload.encode_into(direction, &mut bytes);
            prop_assert_eq!(bytes.len(), mac_payload.encoded_len());
            prop_assert_eq!(MacPayload::decode(&bytes, direction), Ok(mac_payload.clone()));
            prop_assert_eq!(FHdr::decode(&bytes, direction), Ok(*mac_payload.fhdr()));
        }
    }

    #[test]
    fn split_mic_matches_the_decoded_mic(phy in data_frame()) {
        let bytes = phy.encode();
        let (covered, mic) = PhyPayload::split_mic(&bytes).unwrap();
        prop_assert_eq!(Some(mic), phy.mic);
        prop_assert_eq!(covered.to_vec(), phy.encode_without_mic());
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..300)) {
        if let Ok(phy) = PhyPayload::decode(&bytes) {
            prop_assert_eq!(phy.validate(), Ok(()));
            prop_assert_eq!(clear_rfu_bits(&phy.encode()), clear_rfu_bits(&bytes));
            prop_assert_eq!(PhyPayload::decode(&phy.encode()), Ok(phy));
        }
        if let Ok(phy) = PhyPayload::decode_plaintext_join_accept(&bytes) {
            prop_assert_eq!(PhyPayload::decode_plaintext_join_accept(&phy.encode()), Ok(phy));
        }
        for direction in [Direction::Uplink, Direction::Downlink] {
            let _ = MacPayload::decode(&bytes, direction);
            let _ = FHdr::decode(&bytes, direction);
        }
        let _ = JoinAcceptPayload::decode(&bytes);
        let _ = RejoinRequest::decode(&bytes);
        let _ = JoinRequest::decode(&bytes);
        let _ = PhyPayload::split_mic(&bytes);
    }

    #[test]
    fn data_frames_shaped_like_real_ones_decode_or_fail_cleanly(
        mhdr in prop_oneof![Just(0x40u8), Just(0x60), Just(0x80), Just(0xa0)],
        f_ctrl in any::<u8>(),
        tail in vec(any::<u8>(), 0..40),
    ) {
        // Random bytes rarely form a data frame; fix the MHDR and FCtrl to reach the FOpts and
        // FPort checks more often.
        let mut bytes = vec![mhdr, 1, 2, 3, 4, f_ctrl, 0, 0];
        bytes.extend_from_slice(&tail);
        match PhyPayload::decode(&bytes) {
            Ok(phy) => prop_assert_eq!(clear_rfu_bits(&phy.encode()), clear_rfu_bits(&bytes)),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}

#[cfg(feature = "serde")]
proptest! {
    #[test]
    fn every_frame_kind_round_trips_through_json(phy in on_air_frame()) {
        let json = serde_json::to_string(&phy).unwrap();
        prop_assert_eq!(serde_json::from_str::<PhyPayload>(&json).unwrap(), phy);
    }

    #[test]
    fn plaintext_join_accepts_round_trip_through_json(join_accept in join_accept()) {
        let phy = PhyPayload::join_accept(join_accept, [1, 2, 3, 4]);
        let json = serde_json::to_string(&phy).unwrap();
        prop_assert_eq!(serde_json::from_str::<PhyPayload>(&json).unwrap(), phy);
    }
}
