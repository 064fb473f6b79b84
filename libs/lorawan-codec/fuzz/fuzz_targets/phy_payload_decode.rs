//! Fuzzes `PhyPayload::decode` on arbitrary bytes: it must never panic, and whatever it
//! accepts must re-encode to the same bytes (apart from RFU bits, which decoding ignores) and
//! decode again to the same value. The plaintext join-accept decoder gets the same input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lorawan_codec::{MType, PhyPayload};

/// Clears the RFU bits the decoder ignores: MHDR bits 4..2 (LoRaWAN 1.0.4 §4.2) and bit 6 of
/// a downlink FCtrl (§4.3.1).
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

fuzz_target!(|bytes: &[u8]| {
    if let Ok(phy) = PhyPayload::decode(bytes) {
        assert_eq!(
            phy.validate(),
            Ok(()),
            "decoded frame is inconsistent: {phy:?}"
        );
        let encoded = phy.encode();
        assert_eq!(encoded.len(), phy.encoded_len());
        assert_eq!(clear_rfu_bits(&encoded), clear_rfu_bits(bytes), "{phy:?}");
        assert_eq!(PhyPayload::decode(&encoded).as_ref(), Ok(&phy));
        if let Some(mic) = phy.mic {
            let (covered, split) = PhyPayload::split_mic(bytes).expect("a frame with a MIC");
            assert_eq!(split, mic);
            assert_eq!(covered.len(), bytes.len() - 4);
        }
    }
    if let Ok(phy) = PhyPayload::decode_plaintext_join_accept(bytes) {
        let encoded = phy.encode();
        assert_eq!(
            PhyPayload::decode_plaintext_join_accept(&encoded).as_ref(),
            Ok(&phy)
        );
    }
});
