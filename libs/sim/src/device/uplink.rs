//! Data uplinks (LoRaWAN 1.0.4 §4, 1.1 §4): frame header, MAC commands the device owes in
//! FOpts (encrypted in 1.1) or in a port-0 FRMPayload, payload encryption and the MIC.

use lorawan_codec::{
    DevAddr, Direction, FCtrl, FHdr, FOpts, MType, MacCommand, MacPayload, PhyPayload,
    encode_mac_commands,
};
use lorawan_crypto::{
    B1Fields, CipherKey, FOptsCounter, MicKey, compute_data_uplink_mic_1_0,
    compute_data_uplink_mic_1_1, encrypt_f_opts_in_place, encrypt_frm_payload_in_place,
};
use lorawan_region::Modulation;

use super::Device;
use crate::{Error, Result};

/// What the caller wants sent in a data uplink.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UplinkParams {
    /// FPort; `None` sends no FRMPayload (MAC commands only, or an empty ACK). `Some(0)` sends
    /// `payload` as raw MAC commands after the ones the device owes, encrypted with the
    /// NwkSEncKey.
    pub f_port: Option<u8>,
    /// The plaintext FRMPayload.
    pub payload: Vec<u8>,
    /// Send a confirmed uplink.
    pub confirmed: bool,
    /// Send on this channel index instead of a pseudo-random enabled one.
    pub channel: Option<usize>,
}

/// A frame the device sends, with the radio parameters it was sent with.
#[derive(Debug, Clone, PartialEq)]
pub struct Uplink {
    /// The PHYPayload.
    pub phy: Vec<u8>,
    /// The uplink frequency in Hz.
    pub frequency_hz: u32,
    /// The data rate index.
    pub dr: u8,
    /// The channel index (TxCh of the LoRaWAN 1.1 MIC).
    pub channel: usize,
    /// The modulation of `dr`, for the gateway's `datr`.
    pub modulation: Modulation,
    /// The full FCntUp of a data uplink; `None` for a join-request.
    pub f_cnt: Option<u32>,
    /// The DevNonce of a join-request.
    pub dev_nonce: Option<u16>,
}

impl Device {
    /// Builds a data uplink and advances FCntUp; see [`UplinkParams`].
    ///
    /// MAC commands the device owes (answers, sticky answers, RekeyInd/ResetInd, queued
    /// requests) ride in FOpts when they fit in 15 bytes, otherwise (without an application
    /// payload) in a port-0 FRMPayload; commands that do not fit wait for the next uplink.
    pub fn uplink(&mut self, params: UplinkParams) -> Result<Uplink> {
        let session = self.session.as_ref().ok_or(Error::NotActivated)?;
        if params.f_port.is_none() && !params.payload.is_empty() {
            return Err(Error::PayloadWithoutPort);
        }
        let f_cnt = session.f_cnt_up;
        let dev_addr = session.dev_addr;
        let lorawan_1_1 = session.lorawan_1_1;
        let keys = session.keys;
        let ack = session.ack_owed;
        let rekey_or_reset = session.rekey_pending || session.reset_pending;

        let adr_ack_req = self.adr_backoff();
        let commands = self.mac_commands_for_uplink();
        let (f_opts_commands, port_commands) = split_commands(&commands, &params);
        let placed = f_opts_commands.len() + port_commands.len();
        let f_opts_bytes = encode_mac_commands(&f_opts_commands)?;
        let (f_port, mut frm_payload) = match params.f_port {
            Some(0) => {
                let mut bytes = encode_mac_commands(&port_commands)?;
                bytes.extend_from_slice(&params.payload);
                (Some(0), bytes)
            }
            None if !port_commands.is_empty() => (Some(0), encode_mac_commands(&port_commands)?),
            other => (other, params.payload.clone()),
        };

        let (channel_index, channel) = self.pick_channel(params.channel)?;
        let mut uplink = self.radio_of(channel_index, channel)?;
        let mut f_opts = FOpts::new(&f_opts_bytes)?;
        if lorawan_1_1 && !f_opts.is_empty() {
            encrypt_f_opts_in_place(
                &CipherKey::new(&keys.nwk_s_enc_key),
                self.config.f_opts_scheme,
                FOptsCounter::FCntUp,
                dev_addr,
                f_cnt,
                f_opts.as_mut_bytes(),
            )?;
        }
        if let Some(port) = f_port {
            let key = if port == 0 {
                keys.nwk_s_enc_key
            } else {
                keys.app_s_key
            };
            encrypt_frm_payload_in_place(
                &CipherKey::new(&key),
                Direction::Uplink,
                dev_addr,
                f_cnt,
                &mut frm_payload,
            )?;
        }
        let fhdr = FHdr {
            dev_addr,
            f_ctrl: FCtrl {
                adr: self.config.adr,
                adr_ack_req,
                ack: ack.is_some(),
                ..FCtrl::default()
            },
            // The frame carries the low 16 bits of FCntUp (LoRaWAN 1.0.4 §4.3.1.5).
            f_cnt: f_cnt as u16,
            f_opts,
        };
        let mac_payload = match f_port {
            Some(port) => MacPayload::new(fhdr, port, frm_payload)?,
            None => MacPayload::without_port(fhdr),
        };
        let max = self
            .config
            .band
            .max_payload(uplink.dr, self.uplink_dwell_time, false)?;
        let mac_payload_len = mac_payload.encoded_len();
        if mac_payload_len > usize::from(max.m) {
            return Err(Error::PayloadTooLong {
                max: usize::from(max.m),
                got: mac_payload_len,
            });
        }
        let m_type = if params.confirmed {
            MType::ConfirmedDataUp
        } else {
            MType::UnconfirmedDataUp
        };
        let mut frame = PhyPayload::data(m_type, mac_payload, [0; 4])?;
        let msg = frame.encode_without_mic();
        let mic = uplink_mic(&keys, lorawan_1_1, ack, &uplink, dev_addr, f_cnt, &msg)?;
        frame.mic = Some(mic);
        uplink.phy = frame.encode();
        uplink.f_cnt = Some(f_cnt);
        let last_uplink = LastUplink {
            msg,
            f_cnt,
            dr: uplink.dr,
            ack,
        };
        let next = f_cnt.checked_add(1).ok_or(Error::FCntExhausted)?;

        // Only now, with the frame built, does the device's state move.
        let session = self.session.as_mut().ok_or(Error::NotActivated)?;
        session.f_cnt_up = next;
        session.ack_owed = None;
        if self.config.adr {
            self.adr_ack_cnt = self.adr_ack_cnt.saturating_add(1);
        }
        if params.confirmed {
            session.confirmed_uplink = Some((f_cnt, false));
        }
        // The commands placed are a prefix of answers, sticky answers, RekeyInd or ResetInd,
        // requests: one-shot answers and requests placed are done, the rest waits.
        let answers_placed = placed.min(self.answers.len());
        self.answers.drain(..answers_placed);
        let before_requests =
            answers_placed + self.sticky_answers.len() + usize::from(rekey_or_reset);
        let requests_placed = placed
            .saturating_sub(before_requests)
            .min(self.requests.len());
        self.requests.drain(..requests_placed);
        self.last_uplink = Some(last_uplink);
        Ok(uplink)
    }

    /// Applies the ADR back-off before an uplink and tells whether it sets ADRACKReq
    /// (LoRaWAN 1.0.4 §4.3.1.1): past ADR_ACK_LIMIT uplinks without a downlink the device asks
    /// for one, and every ADR_ACK_DELAY uplinks after that it first restores the default TX
    /// power, then lowers the data rate one step at a time, and at the lowest data rate
    /// enables the default channels again.
    fn adr_backoff(&mut self) -> bool {
        if !self.config.adr {
            return false;
        }
        let (limit, delay) = self.adr_ack_limits();
        let min_dr = self.config.band.adr_data_rate_range().0;
        let cnt = self.adr_ack_cnt;
        if cnt >= limit.saturating_add(delay) && (cnt - limit).is_multiple_of(delay.max(1)) {
            if self.tx_power != 0 {
                self.tx_power = 0;
            } else if self.dr > min_dr {
                self.dr -= 1;
            } else {
                let (channels, enabled) = super::channels::initial(&self.config.band);
                for index in enabled {
                    if !self.enabled.contains(&index) && channels.get(index).is_some() {
                        self.enabled.push(index);
                    }
                }
                self.enabled.sort_unstable();
            }
        }
        let at_defaults = self.tx_power == 0 && self.dr <= min_dr;
        cnt >= limit && !at_defaults
    }

    /// Sends the last data uplink again with the same FCntUp, as NbTrans and unacknowledged
    /// confirmed uplinks require (LoRaWAN 1.0.4 §4.3.1.1, §18.4): on a pseudo-random enabled
    /// channel allowing its data rate, or on `channel`. A LoRaWAN 1.1 frame gets a new MIC,
    /// whose B1 block covers the channel.
    pub fn retransmit(&mut self, channel: Option<usize>) -> Result<Uplink> {
        let session = self.session.as_ref().ok_or(Error::NotActivated)?;
        let last = self.last_uplink.clone().ok_or(Error::NothingToRetransmit)?;
        let (keys, lorawan_1_1, dev_addr) = (session.keys, session.lorawan_1_1, session.dev_addr);
        let current_dr = self.dr;
        self.dr = last.dr;
        let picked = self.pick_channel(channel);
        self.dr = current_dr;
        let (channel_index, channel) = picked?;
        let mut uplink = self.radio_of(channel_index, channel)?;
        uplink.dr = last.dr;
        uplink.modulation = self.modulation(last.dr)?;
        let mic = uplink_mic(
            &keys,
            lorawan_1_1,
            last.ack,
            &uplink,
            dev_addr,
            last.f_cnt,
            &last.msg,
        )?;
        uplink.phy = last.msg;
        uplink.phy.extend_from_slice(&mic);
        uplink.f_cnt = Some(last.f_cnt);
        Ok(uplink)
    }

    /// Returns every MAC command the next uplink should carry, in order: answers, sticky
    /// answers, RekeyInd or ResetInd, then requests.
    pub(super) fn mac_commands_for_uplink(&self) -> Vec<MacCommand> {
        let mut commands = self.answers.clone();
        commands.extend(self.sticky_answers.iter().cloned());
        if let Some(session) = &self.session {
            // The minor version is 1 for LoRaWAN 1.1 (LoRaWAN 1.1 §5.1 and §5.10).
            if session.rekey_pending {
                commands.push(MacCommand::RekeyInd(lorawan_codec::RekeyIndPayload {
                    dev_lorawan_minor: 1,
                }));
            }
            if session.reset_pending {
                commands.push(MacCommand::ResetInd(lorawan_codec::ResetIndPayload {
                    dev_lorawan_minor: 1,
                }));
            }
        }
        commands.extend(self.requests.iter().cloned());
        commands
    }
}

/// The last data uplink, kept for retransmissions.
#[derive(Debug, Clone)]
pub(super) struct LastUplink {
    /// The PHYPayload without its MIC.
    msg: Vec<u8>,
    f_cnt: u32,
    dr: u8,
    /// The acknowledged downlink counter (ConfFCnt of the 1.1 MIC).
    ack: Option<u32>,
}

/// Splits the owed commands into those for FOpts and those for a port-0 FRMPayload; both are
/// a prefix of `commands`, the rest waits for a later uplink.
fn split_commands(
    commands: &[MacCommand],
    params: &UplinkParams,
) -> (Vec<MacCommand>, Vec<MacCommand>) {
    let total: usize = commands.iter().map(MacCommand::encoded_len).sum();
    if params.f_port == Some(0) || (params.f_port.is_none() && total > FOpts::MAX_LEN) {
        return (Vec::new(), commands.to_vec());
    }
    let mut len = 0;
    let f_opts = commands
        .iter()
        .take_while(|command| {
            len += command.encoded_len();
            len <= FOpts::MAX_LEN
        })
        .cloned()
        .collect();
    (f_opts, Vec::new())
}

/// Computes the MIC of a data uplink: 1.0 with the NwkSKey, 1.1 with B0 and B1 (ConfFCnt when
/// acknowledging, TxDr and TxCh).
fn uplink_mic(
    keys: &super::SessionKeys,
    lorawan_1_1: bool,
    ack: Option<u32>,
    uplink: &Uplink,
    dev_addr: DevAddr,
    f_cnt: u32,
    msg: &[u8],
) -> Result<[u8; 4]> {
    let f_nwk_s_int_key = MicKey::new(&keys.f_nwk_s_int_key);
    if !lorawan_1_1 {
        return Ok(compute_data_uplink_mic_1_0(
            &f_nwk_s_int_key,
            dev_addr,
            f_cnt,
            msg,
        )?);
    }
    let b1 = B1Fields {
        conf_f_cnt: ack,
        tx_dr: uplink.dr,
        // Channel indexes of every band fit the byte TxCh holds.
        tx_ch: u8::try_from(uplink.channel).unwrap_or(u8::MAX),
    };
    Ok(compute_data_uplink_mic_1_1(
        &MicKey::new(&keys.s_nwk_s_int_key),
        &f_nwk_s_int_key,
        b1,
        dev_addr,
        f_cnt,
        msg,
    )?)
}
