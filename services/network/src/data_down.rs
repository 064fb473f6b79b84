//! Data downlinks of the network server (LoRaWAN 1.0.4 §4, 1.1 §4): an ACK, MAC commands in
//! FOpts or on FPort 0, an application item (already encrypted by the application server),
//! FPending, and the MIC (1.1 with the acknowledged uplink's counter).
//!
//! In LoRaWAN 1.1 FOpts are encrypted with NwkSEncKey under the frame's counter: AFCntDown
//! when the frame carries an application port, NFCntDown otherwise (1.1 §4.3.1.6).

use lorawan_codec::{DevAddr, FCtrl, FHdr, FOpts, MType, MacPayload, PhyPayload};
use lorawan_crypto::{
    CipherKey, Direction, FOptsCounter, FOptsScheme, MicKey, compute_data_downlink_mic_1_0,
    compute_data_downlink_mic_1_1, encrypt_f_opts_in_place, encrypt_frm_payload,
};

use crate::Result;

/// What the frame carries after FOpts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DownPayload<'a> {
    /// No FPort, no FRMPayload.
    None,
    /// An application item: FPort 1..=223 and its FRMPayload as the application server
    /// encrypted it.
    App {
        /// FPort.
        f_port: u8,
        /// Encrypted FRMPayload.
        frm_payload: &'a [u8],
    },
    /// MAC commands on FPort 0, plaintext; encrypted here with NwkSEncKey.
    Mac(&'a [u8]),
}

/// One data downlink to build.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataDown<'a> {
    /// DevAddr of the session.
    pub(crate) dev_addr: DevAddr,
    /// The full frame counter the frame carries (NFCntDown, AFCntDown, or 1.0.x FCntDown).
    pub(crate) f_cnt: u32,
    /// The counter of the confirmed uplink this frame acknowledges (sets ACK; 1.1 MIC input).
    pub(crate) ack_of: Option<u32>,
    /// ConfirmedDataDown instead of UnconfirmedDataDown.
    pub(crate) confirmed: bool,
    /// FPending: more is queued for the device.
    pub(crate) f_pending: bool,
    /// Encoded MAC commands for FOpts, plaintext (at most 15 bytes; none with FPort 0).
    pub(crate) f_opts: &'a [u8],
    /// FPort and FRMPayload.
    pub(crate) payload: DownPayload<'a>,
    /// SNwkSIntKey (NwkSKey for 1.0.x).
    pub(crate) s_nwk_s_int_key: &'a MicKey,
    /// NwkSEncKey (NwkSKey for 1.0.x), for FOpts in 1.1 and FPort 0 payloads.
    pub(crate) nwk_s_enc_key: &'a CipherKey,
    /// The FOpts scheme for a LoRaWAN 1.1 session; `None` for 1.0.x.
    pub(crate) lorawan_1_1: Option<FOptsScheme>,
}

/// Builds the PHYPayload of `params`.
pub(crate) fn build(params: DataDown<'_>) -> Result<Vec<u8>> {
    let mut fhdr = FHdr {
        dev_addr: params.dev_addr,
        f_ctrl: FCtrl {
            ack: params.ack_of.is_some(),
            f_pending: params.f_pending,
            ..FCtrl::default()
        },
        // Truncation intended: the frame carries the counter's low 16 bits.
        f_cnt: params.f_cnt as u16,
        f_opts: FOpts::new(params.f_opts)?,
    };
    if let Some(scheme) = params.lorawan_1_1 {
        let counter = match params.payload {
            DownPayload::App { .. } => FOptsCounter::AFCntDown,
            DownPayload::None | DownPayload::Mac(_) => FOptsCounter::NFCntDown,
        };
        encrypt_f_opts_in_place(
            params.nwk_s_enc_key,
            scheme,
            counter,
            params.dev_addr,
            params.f_cnt,
            fhdr.f_opts.as_mut_bytes(),
        )?;
    }
    let mac_payload = match params.payload {
        DownPayload::None => MacPayload::without_port(fhdr),
        DownPayload::App {
            f_port,
            frm_payload,
        } => MacPayload::new(fhdr, f_port, frm_payload.to_vec())?,
        DownPayload::Mac(commands) => {
            let encrypted = encrypt_frm_payload(
                params.nwk_s_enc_key,
                Direction::Downlink,
                params.dev_addr,
                params.f_cnt,
                commands,
            )?;
            MacPayload::new(fhdr, 0, encrypted)?
        }
    };
    let m_type = if params.confirmed {
        MType::ConfirmedDataDown
    } else {
        MType::UnconfirmedDataDown
    };
    let frame = PhyPayload::data(m_type, mac_payload, [0; 4])?;
    let mut bytes = frame.encode_without_mic();
    let mic = if params.lorawan_1_1.is_some() {
        compute_data_downlink_mic_1_1(
            params.s_nwk_s_int_key,
            params.ack_of,
            params.dev_addr,
            params.f_cnt,
            &bytes,
        )?
    } else {
        compute_data_downlink_mic_1_0(
            params.s_nwk_s_int_key,
            params.dev_addr,
            params.f_cnt,
            &bytes,
        )?
    };
    bytes.extend_from_slice(&mic);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use lorawan_codec::{Aes128Key, Payload};
    use lorawan_crypto::{decrypt_frm_payload, verify_data_downlink_mic_1_0};

    use super::*;

    fn params<'a>(mic_key: &'a MicKey, enc_key: &'a CipherKey) -> DataDown<'a> {
        DataDown {
            dev_addr: DevAddr::from_u32(0x2601_1234),
            f_cnt: 0x0001_0002,
            ack_of: Some(5),
            confirmed: false,
            f_pending: false,
            f_opts: &[],
            payload: DownPayload::None,
            s_nwk_s_int_key: mic_key,
            nwk_s_enc_key: enc_key,
            lorawan_1_1: None,
        }
    }

    #[test]
    fn ack_frame_decodes_with_ack_bit_counter_and_valid_mic() {
        let key = Aes128Key::from_bytes([7; 16]);
        let (mic_key, enc_key) = (MicKey::new(&key), CipherKey::new(&key));
        let bytes = build(params(&mic_key, &enc_key)).unwrap();
        let frame = PhyPayload::decode(&bytes).unwrap();
        assert_eq!(frame.mhdr.m_type, MType::UnconfirmedDataDown);
        let Payload::MacPayload(mac) = &frame.payload else {
            panic!("not a data frame");
        };
        assert!(mac.fhdr().f_ctrl.ack);
        assert!(!mac.fhdr().f_ctrl.f_pending);
        assert_eq!(mac.fhdr().f_cnt, 2);
        assert_eq!(mac.f_port(), None);
        let (msg, mic) = bytes.split_at(bytes.len() - 4);
        verify_data_downlink_mic_1_0(
            &mic_key,
            DevAddr::from_u32(0x2601_1234),
            0x0001_0002,
            msg,
            mic.try_into().unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn confirmed_application_frame_keeps_port_payload_and_pending_flag() {
        let key = Aes128Key::from_bytes([9; 16]);
        let (mic_key, enc_key) = (MicKey::new(&key), CipherKey::new(&key));
        let bytes = build(DataDown {
            confirmed: true,
            f_pending: true,
            ack_of: None,
            payload: DownPayload::App {
                f_port: 10,
                frm_payload: &[1, 2, 3],
            },
            ..params(&mic_key, &enc_key)
        })
        .unwrap();
        let frame = PhyPayload::decode(&bytes).unwrap();
        assert_eq!(frame.mhdr.m_type, MType::ConfirmedDataDown);
        let Payload::MacPayload(mac) = &frame.payload else {
            panic!("not a data frame");
        };
        assert!(mac.fhdr().f_ctrl.f_pending);
        assert!(!mac.fhdr().f_ctrl.ack);
        assert_eq!(mac.f_port(), Some(10));
        assert_eq!(mac.frm_payload(), [1, 2, 3]);
    }

    #[test]
    fn port_zero_commands_are_encrypted_with_the_network_key() {
        let key = Aes128Key::from_bytes([3; 16]);
        let (mic_key, enc_key) = (MicKey::new(&key), CipherKey::new(&key));
        let commands = [0x06]; // DevStatusReq
        let bytes = build(DataDown {
            payload: DownPayload::Mac(&commands),
            ..params(&mic_key, &enc_key)
        })
        .unwrap();
        let frame = PhyPayload::decode(&bytes).unwrap();
        let Payload::MacPayload(mac) = &frame.payload else {
            panic!("not a data frame");
        };
        assert_eq!(mac.f_port(), Some(0));
        let plain = decrypt_frm_payload(
            &enc_key,
            Direction::Downlink,
            DevAddr::from_u32(0x2601_1234),
            0x0001_0002,
            mac.frm_payload(),
        )
        .unwrap();
        assert_eq!(plain, commands);
    }
}
