//! Property tests: encryption round trips, key wrap round trips, MIC sensitivity to every bit,
//! and the frame-counter reconstruction rules.

use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use lorawan_crypto::{
    B1Fields, CipherKey, Direction, Error, FOptsCounter, FOptsScheme, FullFCnt, JoinReqType,
    MAX_FCNT_GAP, MicKey, compute_data_downlink_mic_1_0, compute_data_downlink_mic_1_1,
    compute_data_uplink_mic_1_0, compute_data_uplink_mic_1_1, compute_join_accept_mic_1_0,
    compute_join_accept_mic_1_1, compute_join_request_mic, compute_rejoin_request_mic,
    decrypt_f_opts_in_place, decrypt_frm_payload, decrypt_join_accept, encrypt_f_opts,
    encrypt_frm_payload, encrypt_frm_payload_in_place, encrypt_join_accept, reconstruct_f_cnt,
    unwrap_key, verify_data_downlink_mic_1_0, verify_data_downlink_mic_1_1,
    verify_data_uplink_mic_1_0, verify_data_uplink_mic_1_1, verify_join_accept_mic_1_0,
    verify_join_accept_mic_1_1, verify_join_request_mic, verify_rejoin_request_mic, wrap_key,
};
use proptest::prelude::*;

fn any_key() -> impl Strategy<Value = Aes128Key> {
    any::<[u8; 16]>().prop_map(Aes128Key::from_bytes)
}

fn any_direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::Uplink), Just(Direction::Downlink)]
}

fn any_scheme() -> impl Strategy<Value = FOptsScheme> {
    prop_oneof![Just(FOptsScheme::Original), Just(FOptsScheme::Errata)]
}

fn any_counter() -> impl Strategy<Value = FOptsCounter> {
    prop_oneof![
        Just(FOptsCounter::FCntUp),
        Just(FOptsCounter::NFCntDown),
        Just(FOptsCounter::AFCntDown)
    ]
}

/// Flips bit `bit` (taken modulo the bit length) of `bytes`.
fn flip(bytes: &mut [u8], bit: usize) {
    let bit = bit % (bytes.len() * 8);
    bytes[bit / 8] ^= 1 << (bit % 8);
}

/// A MIC check under test: verifies `msg` against `mic`.
type Verify<'a> = Box<dyn Fn(&[u8], &[u8; 4]) -> lorawan_crypto::Result<()> + 'a>;

/// Asserts that `verify` accepts `(msg, mic)` and rejects it after any single bit flip of
/// either, checking every bit of the MIC and the given bit of the message.
fn assert_bit_sensitive(verify: &Verify<'_>, msg: &[u8], mic: [u8; 4], msg_bit: usize) {
    assert_eq!(verify(msg, &mic), Ok(()));
    let mut flipped_msg = msg.to_vec();
    flip(&mut flipped_msg, msg_bit);
    assert_eq!(verify(&flipped_msg, &mic), Err(Error::InvalidMic));
    for mic_bit in 0..32 {
        let mut flipped_mic = mic;
        flip(&mut flipped_mic, mic_bit);
        assert_eq!(verify(msg, &flipped_mic), Err(Error::InvalidMic));
    }
}

proptest! {
    #[test]
    fn frm_payload_decrypts_to_what_was_encrypted(
        key in any_key(),
        dir in any_direction(),
        dev_addr in any::<u32>().prop_map(DevAddr::from_u32),
        f_cnt in any::<u32>(),
        plain in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let key = CipherKey::new(&key);
        let cipher = encrypt_frm_payload(&key, dir, dev_addr, f_cnt, &plain).unwrap();
        prop_assert_eq!(cipher.len(), plain.len());
        prop_assert_eq!(decrypt_frm_payload(&key, dir, dev_addr, f_cnt, &cipher).unwrap(), plain.clone());
        let mut in_place = plain;
        encrypt_frm_payload_in_place(&key, dir, dev_addr, f_cnt, &mut in_place).unwrap();
        prop_assert_eq!(in_place, cipher);
    }

    #[test]
    fn f_opts_decrypt_to_what_was_encrypted(
        key in any_key(),
        scheme in any_scheme(),
        counter in any_counter(),
        dev_addr in any::<u32>().prop_map(DevAddr::from_u32),
        f_cnt in any::<u32>(),
        plain in proptest::collection::vec(any::<u8>(), 0..=15),
    ) {
        let key = CipherKey::new(&key);
        let mut data = encrypt_f_opts(&key, scheme, counter, dev_addr, f_cnt, &plain).unwrap();
        decrypt_f_opts_in_place(&key, scheme, counter, dev_addr, f_cnt, &mut data).unwrap();
        prop_assert_eq!(data, plain);
    }

    #[test]
    fn join_accept_decrypts_to_what_was_encrypted(
        key in any_key(),
        plain in prop_oneof![
            proptest::collection::vec(any::<u8>(), 16),
            proptest::collection::vec(any::<u8>(), 32)
        ],
    ) {
        let mut data = plain.clone();
        encrypt_join_accept(&key, &mut data).unwrap();
        decrypt_join_accept(&key, &mut data).unwrap();
        prop_assert_eq!(data, plain);
    }

    #[test]
    fn unwrap_returns_the_wrapped_key(kek in any_key(), key in any_key()) {
        let wrapped = wrap_key(&kek, &key);
        prop_assert_eq!(unwrap_key(&kek, &wrapped), Ok(key));
    }

    #[test]
    fn data_mics_verify_and_reject_any_flipped_bit(
        key_s in any_key(),
        key_f in any_key(),
        dev_addr in any::<u32>().prop_map(DevAddr::from_u32),
        f_cnt in any::<u32>(),
        conf_f_cnt in proptest::option::of(any::<u32>()),
        tx_dr in any::<u8>(),
        tx_ch in any::<u8>(),
        msg in proptest::collection::vec(any::<u8>(), 1..=255),
        msg_bit in any::<usize>(),
    ) {
        let (s, f) = (MicKey::new(&key_s), MicKey::new(&key_f));
        let b1 = B1Fields { conf_f_cnt, tx_dr, tx_ch };
        let cases: Vec<([u8; 4], Verify<'_>)> = vec![
            (
                compute_data_uplink_mic_1_0(&f, dev_addr, f_cnt, &msg).unwrap(),
                Box::new(|m: &[u8], mic: &[u8; 4]| verify_data_uplink_mic_1_0(&f, dev_addr, f_cnt, m, mic)),
            ),
            (
                compute_data_uplink_mic_1_1(&s, &f, b1, dev_addr, f_cnt, &msg).unwrap(),
                Box::new(|m: &[u8], mic: &[u8; 4]| verify_data_uplink_mic_1_1(&s, &f, b1, dev_addr, f_cnt, m, mic)),
            ),
            (
                compute_data_downlink_mic_1_0(&s, dev_addr, f_cnt, &msg).unwrap(),
                Box::new(|m: &[u8], mic: &[u8; 4]| verify_data_downlink_mic_1_0(&s, dev_addr, f_cnt, m, mic)),
            ),
            (
                compute_data_downlink_mic_1_1(&s, conf_f_cnt, dev_addr, f_cnt, &msg).unwrap(),
                Box::new(|m: &[u8], mic: &[u8; 4]| verify_data_downlink_mic_1_1(&s, conf_f_cnt, dev_addr, f_cnt, m, mic)),
            ),
        ];
        for (mic, verify) in &cases {
            assert_bit_sensitive(verify, &msg, *mic, msg_bit);
        }
        // The full 32-bit counter is covered: another counter fails.
        let mic = compute_data_uplink_mic_1_0(&f, dev_addr, f_cnt, &msg).unwrap();
        let other_f_cnt = f_cnt ^ (1 << (msg_bit % 32));
        prop_assert_eq!(
            verify_data_uplink_mic_1_0(&f, dev_addr, other_f_cnt, &msg, &mic),
            Err(Error::InvalidMic)
        );
    }

    #[test]
    fn join_mics_verify_and_reject_any_flipped_bit(
        key in any_key(),
        join_request in proptest::collection::vec(any::<u8>(), 19),
        join_accept in prop_oneof![
            proptest::collection::vec(any::<u8>(), 13),
            proptest::collection::vec(any::<u8>(), 29)
        ],
        join_eui in any::<u64>().prop_map(Eui64::from_u64),
        dev_nonce in any::<u16>(),
        msg_bit in any::<usize>(),
    ) {
        let k = MicKey::new(&key);
        let req = JoinReqType::RejoinType1;
        let cases: Vec<(Vec<u8>, [u8; 4], Verify<'_>)> = vec![
            (
                join_request.clone(),
                compute_join_request_mic(&k, &join_request).unwrap(),
                Box::new(|m: &[u8], mic: &[u8; 4]| verify_join_request_mic(&k, m, mic)),
            ),
            (
                join_accept.clone(),
                compute_join_accept_mic_1_0(&k, &join_accept).unwrap(),
                Box::new(|m: &[u8], mic: &[u8; 4]| verify_join_accept_mic_1_0(&k, m, mic)),
            ),
            (
                join_accept.clone(),
                compute_join_accept_mic_1_1(&k, req, join_eui, dev_nonce, &join_accept).unwrap(),
                Box::new(|m: &[u8], mic: &[u8; 4]| verify_join_accept_mic_1_1(&k, req, join_eui, dev_nonce, m, mic)),
            ),
        ];
        for (msg, mic, verify) in &cases {
            assert_bit_sensitive(verify, msg, *mic, msg_bit);
        }
    }

    #[test]
    fn rejoin_mic_verifies_and_rejects_any_flipped_bit(
        key in any_key(),
        rejoin_type in 0u8..=2,
        body in proptest::collection::vec(any::<u8>(), 18),
        msg_bit in any::<usize>(),
    ) {
        let len = if rejoin_type == 1 { 20 } else { 15 };
        let mut msg = vec![0xc0, rejoin_type];
        msg.extend_from_slice(&body[..len - 2]);
        let k = MicKey::new(&key);
        let mic = compute_rejoin_request_mic(&k, &msg).unwrap();
        prop_assert_eq!(verify_rejoin_request_mic(&k, &msg, &mic), Ok(()));
        let mut flipped = msg.clone();
        flip(&mut flipped, msg_bit);
        // A flip in the RejoinType byte may also make the type or length invalid.
        prop_assert!(verify_rejoin_request_mic(&k, &flipped, &mic).is_err());
    }

    #[test]
    fn counters_within_the_gap_are_reconstructed_exactly(
        last in any::<u32>(),
        gap in 1u32..=u32::from(MAX_FCNT_GAP),
    ) {
        let res = reconstruct_f_cnt(Some(last), last.wrapping_add(gap) as u16, MAX_FCNT_GAP);
        match last.checked_add(gap) {
            Some(f_cnt) => prop_assert_eq!(res, FullFCnt::Advanced { f_cnt, gap }),
            None => prop_assert_eq!(res, FullFCnt::Exhausted),
        }
    }

    #[test]
    fn earlier_counters_outside_the_gap_are_reported_behind(
        last in any::<u32>(),
        back in 1u32..(0x1_0000 - u32::from(MAX_FCNT_GAP)),
    ) {
        prop_assume!(last >= back);
        let res = reconstruct_f_cnt(Some(last), (last - back) as u16, MAX_FCNT_GAP);
        prop_assert_eq!(res, FullFCnt::Behind { f_cnt: last - back });
    }

    #[test]
    fn reconstructed_counters_keep_the_received_low_bits(
        last in proptest::option::of(any::<u32>()),
        received in any::<u16>(),
        max_gap in any::<u16>(),
    ) {
        let res = reconstruct_f_cnt(last, received, max_gap);
        if let Some(f_cnt) = res.f_cnt() {
            prop_assert_eq!(f_cnt as u16, received);
        }
        match (last, res) {
            (None, FullFCnt::First { .. }) => {}
            (Some(last), FullFCnt::Repeated { f_cnt }) => prop_assert_eq!(f_cnt, last),
            (Some(last), FullFCnt::Advanced { f_cnt, gap }) => {
                prop_assert!(gap >= 1 && gap <= u32::from(max_gap));
                prop_assert_eq!(f_cnt - last, gap);
            }
            (Some(last), FullFCnt::Behind { f_cnt }) => prop_assert!(f_cnt < last),
            (Some(last), FullFCnt::GapTooLarge { f_cnt, gap }) => {
                prop_assert!(gap > u32::from(max_gap));
                prop_assert_eq!(f_cnt - last, gap);
            }
            (Some(last), FullFCnt::Exhausted) => {
                prop_assert!(u64::from(last) + 0x1_0000 > u64::from(u32::MAX));
            }
            (last, res) => prop_assert!(false, "unexpected {res:?} for last {last:?}"),
        }
    }
}
