//! Over-the-air activation: the join-request (LoRaWAN 1.0.4 §6.2.4, 1.1 §6.2.2) and the
//! join-accept (1.0.4 §6.2.5, 1.1 §6.2.3), with the DevNonce rule of each version.
//!
//! Rejoin-requests are not sent.

use lorawan_codec::{
    CfList, DevAddr, DevNonce, JoinAcceptPayload, JoinNonce, JoinReqType, JoinRequest, MType, Mhdr,
    NetId, PhyPayload,
};
use lorawan_crypto::{
    MicKey, compute_join_request_mic, decrypt_join_accept, derive_js_int_key,
    derive_session_keys_1_0, derive_session_keys_1_1, verify_join_accept_mic_1_0,
    verify_join_accept_mic_1_1,
};

use super::{Activation, Device, MacVersion, Session, SessionKeys, Uplink};
use crate::{Error, Result};

/// What a join-accept gave the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAccepted {
    /// The new DevAddr.
    pub dev_addr: DevAddr,
    /// JoinNonce (AppNonce in 1.0.x).
    pub join_nonce: JoinNonce,
    /// Home NetID.
    pub net_id: NetId,
    /// The DevNonce of the join-request answered.
    pub dev_nonce: u16,
    /// OptNeg: the session uses LoRaWAN 1.1 (only a 1.1 device reads it).
    pub opt_neg: bool,
    /// The derived session keys.
    pub keys: SessionKeys,
    /// RX1DROffset from DLSettings.
    pub rx1_dr_offset: u8,
    /// RX2 data rate from DLSettings.
    pub rx2_dr: u8,
    /// RX1 delay in seconds from RxDelay.
    pub rx1_delay_s: u8,
    /// The CFList, if any.
    pub cf_list: Option<CfList>,
}

impl Device {
    /// Builds a join-request with the next DevNonce: a counter for LoRaWAN 1.0.4 and 1.1, a
    /// pseudo-random value never used before for 1.0.2 and 1.0.3. The join channel is picked
    /// among the band's join channels at the current data rate, clamped to the channel's range.
    pub fn join_request(&mut self) -> Result<Uplink> {
        let Activation::Otaa {
            next_dev_nonce,
            used_dev_nonces,
            ..
        } = &self.activation
        else {
            return Err(Error::NotOtaa);
        };
        let dev_nonce = if self.config.mac_version.dev_nonce_is_counter() {
            *next_dev_nonce
        } else {
            let used = used_dev_nonces.clone();
            // At most 2^16 values exist; a full history means every nonce was used.
            let mut candidate = 0;
            for _ in 0..=u16::MAX {
                candidate = (self.next_random() & 0xffff) as u16;
                if !used.contains(&candidate) {
                    break;
                }
            }
            candidate
        };
        self.join_request_with_dev_nonce(dev_nonce)
    }

    /// Builds a join-request with `dev_nonce`; a counting device continues from it.
    pub fn join_request_with_dev_nonce(&mut self, dev_nonce: u16) -> Result<Uplink> {
        let join_channels = self.config.band.join_channels();
        if join_channels.is_empty() {
            return Err(Error::NoChannel { dr: self.dr });
        }
        let pick = self.random_index(join_channels.len());
        let join_channel = join_channels[pick];
        let Activation::Otaa {
            root_keys,
            next_dev_nonce,
            used_dev_nonces,
            pending_dev_nonce,
            join_frequency_hz,
            ..
        } = &mut self.activation
        else {
            return Err(Error::NotOtaa);
        };
        let request = JoinRequest {
            join_eui: root_keys.join_eui,
            dev_eui: root_keys.dev_eui,
            dev_nonce: DevNonce::new(dev_nonce),
        };
        let mut phy = vec![Mhdr::new(MType::JoinRequest).encode()];
        phy.extend_from_slice(&request.encode());
        // LoRaWAN 1.1 signs the join-request with the NwkKey; 1.0.x devices hold it equal to
        // the AppKey.
        let mic = compute_join_request_mic(&MicKey::new(&root_keys.nwk_key), &phy)?;
        phy.extend_from_slice(&mic);
        *next_dev_nonce = dev_nonce.wrapping_add(1);
        used_dev_nonces.push(dev_nonce);
        *pending_dev_nonce = Some(dev_nonce);
        *join_frequency_hz = join_channel.frequency_hz;

        let dr = self.dr.clamp(join_channel.min_dr, join_channel.max_dr);
        let channel = self
            .config
            .band
            .uplink_channel(join_channel.frequency_hz)
            .unwrap_or(0);
        Ok(Uplink {
            phy,
            frequency_hz: join_channel.frequency_hz,
            dr,
            channel,
            modulation: self.modulation(dr)?,
            f_cnt: None,
            dev_nonce: Some(dev_nonce),
        })
    }

    /// Opens a join-accept answering the last join-request: decrypts it, checks its MIC
    /// (LoRaWAN 1.0 with the AppKey; 1.1 with the JSIntKey when OptNeg is set, the NwkKey
    /// otherwise), derives the session keys and applies DLSettings, RxDelay and the CFList.
    /// A failure changes nothing.
    pub fn handle_join_accept(&mut self, phy: &[u8]) -> Result<JoinAccepted> {
        let Activation::Otaa {
            root_keys,
            pending_dev_nonce,
            last_join_nonce,
            join_frequency_hz,
            ..
        } = &self.activation
        else {
            return Err(Error::NotOtaa);
        };
        let dev_nonce = pending_dev_nonce.ok_or(Error::NoJoinRequest)?;
        let frame = PhyPayload::decode(phy)?;
        if frame.mhdr.m_type != MType::JoinAccept {
            return Err(Error::UnexpectedMType(frame.mhdr.m_type));
        }
        let lorawan_1_1 = self.config.mac_version == MacVersion::V1_1;
        let mut plain = phy.to_vec();
        let key = if lorawan_1_1 {
            root_keys.nwk_key
        } else {
            root_keys.app_key
        };
        decrypt_join_accept(&key, plain.get_mut(1..).unwrap_or_default())?;
        let (msg, mic) = lorawan_crypto::split_mic(&plain)?;
        let (accept, _) = JoinAcceptPayload::decode_with_mic(plain.get(1..).unwrap_or_default())?;
        let opt_neg = lorawan_1_1 && accept.dl_settings.opt_neg();
        let join_nonce = accept.join_nonce.to_u32();
        let keys = if opt_neg {
            let js_int_key = derive_js_int_key(&root_keys.nwk_key, root_keys.dev_eui);
            verify_join_accept_mic_1_1(
                &MicKey::new(&js_int_key),
                JoinReqType::JoinRequest,
                root_keys.join_eui,
                dev_nonce,
                msg,
                mic,
            )?;
            if let Some(last) = *last_join_nonce
                && join_nonce <= last
            {
                return Err(Error::JoinNonceNotIncreasing {
                    last,
                    got: join_nonce,
                });
            }
            let keys = derive_session_keys_1_1(
                &root_keys.nwk_key,
                &root_keys.app_key,
                join_nonce,
                root_keys.join_eui,
                dev_nonce,
            );
            SessionKeys {
                f_nwk_s_int_key: keys.f_nwk_s_int_key,
                s_nwk_s_int_key: keys.s_nwk_s_int_key,
                nwk_s_enc_key: keys.nwk_s_enc_key,
                app_s_key: keys.app_s_key,
            }
        } else {
            // A LoRaWAN 1.1 device answered by a 1.0 server uses its NwkKey the way a 1.0
            // device uses its AppKey (LoRaWAN 1.1 §6.2.3).
            verify_join_accept_mic_1_0(&MicKey::new(&key), msg, mic)?;
            let keys = derive_session_keys_1_0(&key, join_nonce, accept.home_net_id, dev_nonce);
            SessionKeys::v1_0(keys.nwk_s_key, keys.app_s_key)
        };
        let join_frequency_hz = *join_frequency_hz;

        let rx1_delay_s = accept.rx_delay.seconds();
        let rx1_dr_offset = accept.dl_settings.rx1_dr_offset();
        let rx2_dr = accept.dl_settings.rx2_data_rate();
        self.rx.rx1_delay_s = rx1_delay_s;
        self.rx.rx1_dr_offset = rx1_dr_offset;
        self.rx.rx2_dr = rx2_dr;
        self.rx.rx2_frequency_hz = self
            .config
            .band
            .rx2_params_after_join(join_frequency_hz)
            .frequency_hz;
        let (channels, enabled) = super::channels::initial(&self.config.band);
        self.rx1_frequencies = vec![None; channels.len()];
        self.channels = channels;
        self.enabled = enabled;
        if let Some(cf_list) = &accept.cf_list {
            self.apply_cf_list(cf_list);
        }
        self.answers.clear();
        self.sticky_answers.clear();
        self.last_uplink = None;
        self.session = Some(Session {
            dev_addr: accept.dev_addr,
            keys,
            lorawan_1_1: opt_neg,
            f_cnt_up: 0,
            n_f_cnt_down: None,
            a_f_cnt_down: None,
            ack_owed: None,
            confirmed_uplink: None,
            rekey_pending: opt_neg,
            reset_pending: false,
        });
        if let Activation::Otaa {
            pending_dev_nonce,
            last_join_nonce,
            ..
        } = &mut self.activation
        {
            *pending_dev_nonce = None;
            if opt_neg {
                *last_join_nonce = Some(join_nonce);
            }
        }
        Ok(JoinAccepted {
            dev_addr: accept.dev_addr,
            join_nonce: accept.join_nonce,
            net_id: accept.home_net_id,
            dev_nonce,
            opt_neg,
            keys,
            rx1_dr_offset,
            rx2_dr,
            rx1_delay_s,
            cf_list: accept.cf_list,
        })
    }
}
