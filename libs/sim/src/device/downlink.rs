//! Data downlinks (LoRaWAN 1.0.4 §4, 1.1 §4): address and counter checks, MIC, FOpts and
//! FRMPayload decryption, acknowledgements both ways, and handing MAC commands to `mac`.

use lorawan_codec::{Direction, MType, MacCommand, PhyPayload, decode_mac_commands};
use lorawan_crypto::{
    CipherKey, FOptsCounter, FullFCnt, MAX_FCNT_GAP, MicKey, decrypt_f_opts_in_place,
    decrypt_frm_payload_in_place, reconstruct_f_cnt, verify_data_downlink_mic_1_0,
    verify_data_downlink_mic_1_1,
};

use super::Device;
use crate::{Error, Result};

/// The receive slot a downlink arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RxSlot {
    /// The first class A window.
    Rx1,
    /// The second class A window.
    Rx2,
    /// A class C continuous window outside RX1/RX2.
    ClassC,
}

/// How a downlink was received.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RxContext {
    /// The window it arrived in; a class A window (RX1, RX2) ends the sticky MAC answers.
    pub slot: RxSlot,
    /// The SNR in dB the device measured, reported as DevStatusAns margin.
    pub snr_db: f32,
}

impl Default for RxContext {
    fn default() -> Self {
        Self {
            slot: RxSlot::Rx1,
            snr_db: 10.0,
        }
    }
}

/// An application payload the device received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPayload {
    /// FPort (1..=255).
    pub f_port: u8,
    /// The full downlink counter it carried (AFCntDown in 1.1).
    pub f_cnt: u32,
    /// The decrypted FRMPayload.
    pub payload: Vec<u8>,
}

/// What a downlink carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downlink {
    /// Whether it was a confirmed downlink (the device now owes an ACK).
    pub confirmed: bool,
    /// The ACK bit: it acknowledged the device's last confirmed uplink.
    pub ack: bool,
    /// FPending.
    pub f_pending: bool,
    /// The full downlink counter.
    pub f_cnt: u32,
    /// FPort, if any.
    pub f_port: Option<u8>,
    /// The decrypted FRMPayload (MAC commands on port 0).
    pub payload: Vec<u8>,
    /// The MAC commands it carried, from FOpts or a port-0 payload.
    pub mac_commands: Vec<MacCommand>,
}

impl Device {
    /// Opens a downlink: checks DevAddr, reconstructs the 32-bit counter (NFCntDown or
    /// AFCntDown in 1.1), checks the MIC, decrypts FOpts and FRMPayload, records ACKs both
    /// ways and answers the MAC commands. A refused frame changes nothing.
    pub fn handle_downlink(&mut self, phy: &[u8], rx: RxContext) -> Result<Downlink> {
        let session = self.session.as_ref().ok_or(Error::NotActivated)?;
        let frame = PhyPayload::decode(phy)?;
        let m_type = frame.mhdr.m_type;
        if !matches!(
            m_type,
            MType::UnconfirmedDataDown | MType::ConfirmedDataDown
        ) {
            return Err(Error::UnexpectedMType(m_type));
        }
        let mac_payload = frame.mac_payload().ok_or(Error::UnexpectedMType(m_type))?;
        let fhdr = mac_payload.fhdr();
        if fhdr.dev_addr != session.dev_addr {
            return Err(Error::DevAddrMismatch {
                expected: session.dev_addr,
                got: fhdr.dev_addr,
            });
        }
        let f_port = mac_payload.f_port();
        let application = session.lorawan_1_1 && f_port.is_some_and(|port| port > 0);
        let last = if application {
            session.a_f_cnt_down
        } else {
            session.n_f_cnt_down
        };
        // The default MAX_FCNT_GAP tells a stale counter from one far ahead; a network server
        // never skips that many downlinks.
        let f_cnt = match reconstruct_f_cnt(last, fhdr.f_cnt, MAX_FCNT_GAP) {
            FullFCnt::First { f_cnt } | FullFCnt::Advanced { f_cnt, .. } => f_cnt,
            FullFCnt::Repeated { f_cnt } | FullFCnt::Behind { f_cnt } => {
                return Err(Error::FCntNotNew { f_cnt });
            }
            FullFCnt::GapTooLarge { f_cnt, .. } => return Err(Error::FCntGapTooLarge { f_cnt }),
            FullFCnt::Exhausted => return Err(Error::FCntExhausted),
        };
        let keys = session.keys;
        let dev_addr = session.dev_addr;
        let (msg, mic) = lorawan_crypto::split_mic(phy)?;
        if session.lorawan_1_1 {
            let conf_f_cnt = match session.confirmed_uplink {
                Some((f_cnt_up, _)) if fhdr.f_ctrl.ack => Some(f_cnt_up),
                _ => None,
            };
            verify_data_downlink_mic_1_1(
                &MicKey::new(&keys.s_nwk_s_int_key),
                conf_f_cnt,
                dev_addr,
                f_cnt,
                msg,
                mic,
            )?;
        } else {
            verify_data_downlink_mic_1_0(
                &MicKey::new(&keys.nwk_s_key()),
                dev_addr,
                f_cnt,
                msg,
                mic,
            )?;
        }

        let mut f_opts = fhdr.f_opts;
        if session.lorawan_1_1 && !f_opts.is_empty() {
            let counter = if application {
                FOptsCounter::AFCntDown
            } else {
                FOptsCounter::NFCntDown
            };
            decrypt_f_opts_in_place(
                &CipherKey::new(&keys.nwk_s_enc_key),
                self.config.f_opts_scheme,
                counter,
                dev_addr,
                f_cnt,
                f_opts.as_mut_bytes(),
            )?;
        }
        let mut payload = mac_payload.frm_payload().to_vec();
        if let Some(port) = f_port {
            let key = if port == 0 {
                keys.nwk_s_enc_key
            } else {
                keys.app_s_key
            };
            decrypt_frm_payload_in_place(
                &CipherKey::new(&key),
                Direction::Downlink,
                dev_addr,
                f_cnt,
                &mut payload,
            )?;
        }
        let mac_bytes: &[u8] = if f_port == Some(0) { &payload } else { &f_opts };
        let mac_commands = decode_mac_commands(mac_bytes, Direction::Downlink).commands;

        let confirmed = m_type == MType::ConfirmedDataDown;
        let ack = fhdr.f_ctrl.ack;
        let f_pending = fhdr.f_ctrl.f_pending;
        let session = self.session.as_mut().ok_or(Error::NotActivated)?;
        if application {
            session.a_f_cnt_down = Some(f_cnt);
        } else {
            session.n_f_cnt_down = Some(f_cnt);
        }
        session.ack_owed = confirmed.then_some(f_cnt);
        self.adr_ack_cnt = 0;
        if ack && let Some((_, acked)) = &mut session.confirmed_uplink {
            *acked = true;
        }
        if rx.slot != RxSlot::ClassC {
            self.sticky_answers.clear();
        }
        self.answer_mac_commands(&mac_commands, rx);
        if let Some(port) = f_port.filter(|port| *port > 0) {
            self.received.push(ReceivedPayload {
                f_port: port,
                f_cnt,
                payload: payload.clone(),
            });
        }
        Ok(Downlink {
            confirmed,
            ack,
            f_pending,
            f_cnt,
            f_port,
            payload,
            mac_commands,
        })
    }
}
