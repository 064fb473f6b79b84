//! Builds the network server's own downlink frames: the ACK answering a confirmed uplink
//! (LoRaWAN 1.0.4 §4.3.1.2 and §18.1) and MAC command answers in FOpts, with the MIC.
//!
//! The frame has no FPort and no FRMPayload; it uses the next NFCntDown (FCntDown in 1.0.x).
//! FOpts go out in clear for LoRaWAN 1.0.x and encrypted with the NwkSEncKey and NFCntDown
//! for LoRaWAN 1.1 (LoRaWAN 1.1 §4.3.1.6).

use lorawan_codec::{DevAddr, FCtrl, FHdr, FOpts, MType, MacPayload, PhyPayload};
use lorawan_crypto::{
    CipherKey, FOptsCounter, FOptsScheme, MicKey, compute_data_downlink_mic_1_0,
    compute_data_downlink_mic_1_1, encrypt_f_opts_in_place,
};

use crate::Result;

/// What the ACK frame needs from the session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckParams<'a> {
    pub(crate) dev_addr: DevAddr,
    /// The full NFCntDown to use.
    pub(crate) n_f_cnt_down: u32,
    /// FCntUp of the confirmed uplink being acknowledged (sets the ACK bit and enters the
    /// 1.1 MIC), or `None` for a frame that acknowledges nothing.
    pub(crate) conf_f_cnt: Option<u32>,
    /// Encoded MAC commands for FOpts, at most 15 bytes.
    pub(crate) f_opts: &'a [u8],
    /// SNwkSIntKey (NwkSKey in 1.0.x).
    pub(crate) s_nwk_s_int_key: &'a MicKey,
    /// For LoRaWAN 1.1 sessions: the NwkSEncKey and the FOpts encryption layout; `None` for
    /// LoRaWAN 1.0.x.
    pub(crate) lorawan_1_1: Option<(&'a CipherKey, FOptsScheme)>,
}

/// Encodes an unconfirmed data down with the ACK bit and FOpts of `params`, MIC included.
pub(crate) fn ack_frame(params: AckParams<'_>) -> Result<Vec<u8>> {
    let fhdr = FHdr {
        dev_addr: params.dev_addr,
        f_ctrl: FCtrl {
            ack: params.conf_f_cnt.is_some(),
            ..FCtrl::default()
        },
        // The frame carries the low 16 bits of the counter: truncation intended.
        f_cnt: params.n_f_cnt_down as u16,
        f_opts: FOpts::new(params.f_opts)?,
    };
    let mut fhdr = fhdr;
    if let Some((nwk_s_enc_key, scheme)) = params.lorawan_1_1 {
        encrypt_f_opts_in_place(
            nwk_s_enc_key,
            scheme,
            FOptsCounter::NFCntDown,
            params.dev_addr,
            params.n_f_cnt_down,
            fhdr.f_opts.as_mut_bytes(),
        )?;
    }
    let frame = PhyPayload::data(
        MType::UnconfirmedDataDown,
        MacPayload::without_port(fhdr),
        [0; 4],
    )?;
    let mut bytes = frame.encode_without_mic();
    let mic = if params.lorawan_1_1.is_some() {
        compute_data_downlink_mic_1_1(
            params.s_nwk_s_int_key,
            params.conf_f_cnt,
            params.dev_addr,
            params.n_f_cnt_down,
            &bytes,
        )?
    } else {
        compute_data_downlink_mic_1_0(
            params.s_nwk_s_int_key,
            params.dev_addr,
            params.n_f_cnt_down,
            &bytes,
        )?
    };
    bytes.extend_from_slice(&mic);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use lorawan_codec::{Aes128Key, Payload};
    use lorawan_crypto::verify_data_downlink_mic_1_0;

    use super::*;

    #[test]
    fn ack_frame_decodes_with_ack_bit_counter_and_valid_mic() {
        let key = Aes128Key::from_bytes([7; 16]);
        let mic_key = MicKey::new(&key);
        let dev_addr = DevAddr::from_u32(0x2601_1234);
        let bytes = ack_frame(AckParams {
            dev_addr,
            n_f_cnt_down: 0x0001_0002,
            conf_f_cnt: Some(5),
            f_opts: &[],
            s_nwk_s_int_key: &mic_key,
            lorawan_1_1: None,
        })
        .unwrap();
        let frame = PhyPayload::decode(&bytes).unwrap();
        assert_eq!(frame.mhdr.m_type, MType::UnconfirmedDataDown);
        let Payload::MacPayload(mac) = &frame.payload else {
            panic!("not a data frame");
        };
        assert!(mac.fhdr().f_ctrl.ack);
        assert_eq!(mac.fhdr().f_cnt, 2);
        assert_eq!(mac.f_port(), None);
        let (msg, mic) = bytes.split_at(bytes.len() - 4);
        verify_data_downlink_mic_1_0(
            &mic_key,
            dev_addr,
            0x0001_0002,
            msg,
            mic.try_into().unwrap(),
        )
        .unwrap();
    }
}
