//! Answering MAC commands the way a device does (LoRaWAN 1.0.4 §5, 1.1 §5): validate, apply
//! when everything is acceptable, and queue the answer, sticky for the commands whose answer
//! the spec repeats until a class A downlink arrives (RXParamSetupAns, RXTimingSetupAns,
//! DlChannelAns).
//!
//! Class B commands, ForceRejoinReq and DeviceModeConf are recorded but not acted upon.

use lorawan_codec::{
    DevStatusAnsPayload, DlChannelAnsPayload, DlChannelReqPayload, LinkAdrAnsPayload,
    LinkAdrReqPayload, MacCommand, NewChannelAnsPayload, NewChannelReqPayload,
    RejoinParamSetupAnsPayload, RxParamSetupAnsPayload, RxParamSetupReqPayload,
};
use lorawan_region::Channel;

use super::{Device, MacVersion, RxContext};

impl Device {
    /// Answers the MAC commands of one downlink, in order; consecutive LinkADRReqs form one
    /// block.
    pub(super) fn answer_mac_commands(&mut self, commands: &[MacCommand], rx: RxContext) {
        self.mac_received.extend(commands.iter().cloned());
        let mut index = 0;
        while let Some(command) = commands.get(index) {
            if let MacCommand::LinkAdrReq(_) = command {
                let block: Vec<LinkAdrReqPayload> = commands[index..]
                    .iter()
                    .map_while(|command| match command {
                        MacCommand::LinkAdrReq(payload) => Some(*payload),
                        _ => None,
                    })
                    .collect();
                index += block.len();
                self.link_adr_block(&block);
                continue;
            }
            index += 1;
            self.answer_one(command, rx);
        }
    }

    fn answer_one(&mut self, command: &MacCommand, rx: RxContext) {
        match command {
            MacCommand::DutyCycleReq(payload) => {
                self.max_duty_cycle = payload.max_duty_cycle;
                self.answers.push(MacCommand::DutyCycleAns);
            }
            MacCommand::RxParamSetupReq(payload) => self.rx_param_setup(payload),
            MacCommand::DevStatusReq => {
                // The margin is the SNR rounded to an integer in -32..=31 (LoRaWAN 1.0.4 §5.5).
                let margin = rx.snr_db.round().clamp(-32.0, 31.0) as i8;
                self.answers
                    .push(MacCommand::DevStatusAns(DevStatusAnsPayload {
                        battery: self.config.battery,
                        margin,
                    }));
            }
            MacCommand::NewChannelReq(payload) => self.new_channel(payload),
            MacCommand::RxTimingSetupReq(payload) => {
                self.rx.rx1_delay_s = payload.rx1_delay_secs();
                self.sticky_answers
                    .retain(|command| *command != MacCommand::RxTimingSetupAns);
                self.sticky_answers.push(MacCommand::RxTimingSetupAns);
            }
            // Devices of bands without TxParamSetupReq discard it (RP002-1.0.4).
            MacCommand::TxParamSetupReq(payload) if self.config.band.supports_tx_param_setup() => {
                self.uplink_dwell_time = payload.uplink_dwell_time;
                self.downlink_dwell_time = payload.downlink_dwell_time;
                self.max_eirp = Some(payload.max_eirp);
                self.answers.push(MacCommand::TxParamSetupAns);
            }
            MacCommand::DlChannelReq(payload) => self.dl_channel(payload),
            MacCommand::LinkCheckAns(payload) => self.link_check_answers.push(*payload),
            MacCommand::DeviceTimeAns(payload) => self.device_time_answers.push(*payload),
            MacCommand::RekeyConf(_) => {
                if let Some(session) = &mut self.session {
                    session.rekey_pending = false;
                }
            }
            MacCommand::ResetConf(_) => {
                if let Some(session) = &mut self.session {
                    session.reset_pending = false;
                }
            }
            MacCommand::AdrParamSetupReq(payload) if self.is_lorawan_1_1_session() => {
                self.adr_ack_limit_exp = Some(payload.limit_exp);
                self.adr_ack_delay_exp = Some(payload.delay_exp);
                self.answers.push(MacCommand::AdrParamSetupAns);
            }
            MacCommand::RejoinParamSetupReq(payload) if self.is_lorawan_1_1_session() => {
                self.rejoin_max_time_n = Some(payload.max_time_n);
                self.rejoin_max_count_n = Some(payload.max_count_n);
                self.answers.push(MacCommand::RejoinParamSetupAns(
                    RejoinParamSetupAnsPayload { time_ok: true },
                ));
            }
            _ => {}
        }
    }

    /// Validates and applies a LinkADRReq block, answering one LinkADRAns per request with
    /// the same status bits (LoRaWAN 1.0.4 §5.2).
    fn link_adr_block(&mut self, block: &[LinkAdrReqPayload]) {
        let Some(last) = block.last() else {
            return;
        };
        let keeps_on_15 = self.config.mac_version.keeps_on_15();
        let masked = self.masked_channels(block);
        let channel_mask_ack = masked.is_some();
        let dr = if keeps_on_15 && last.data_rate == 15 {
            self.dr
        } else {
            last.data_rate
        };
        let tx_power = if keeps_on_15 && last.tx_power == 15 {
            self.tx_power
        } else {
            last.tx_power
        };
        let enabled_after = masked.clone().unwrap_or_else(|| self.enabled.clone());
        let data_rate_ack = self.dr_allowed_on(&enabled_after, dr);
        let power_ack = tx_power <= self.config.band.max_tx_power_index();
        if let Some(enabled) = masked
            && data_rate_ack
            && power_ack
        {
            self.enabled = enabled;
            self.dr = dr;
            self.tx_power = tx_power;
            self.nb_trans = match last.nb_trans {
                0 if self.config.mac_version == MacVersion::V1_0_4
                    || self.config.mac_version == MacVersion::V1_1 =>
                {
                    self.nb_trans
                }
                0 => 1,
                n => n,
            };
        }
        let answer = LinkAdrAnsPayload {
            channel_mask_ack,
            data_rate_ack,
            power_ack,
        };
        for _ in block {
            self.answers.push(MacCommand::LinkAdrAns(answer));
        }
    }

    /// Validates and applies an RXParamSetupReq; its answer is sticky (LoRaWAN 1.0.4 §5.4).
    fn rx_param_setup(&mut self, payload: &RxParamSetupReqPayload) {
        let band = &self.config.band;
        let rx1_dr_offset_ack = band
            .rx1_data_rate(self.dr, payload.rx1_dr_offset, self.downlink_dwell_time)
            .is_ok();
        let rx2_data_rate_ack = band
            .data_rate(payload.rx2_data_rate)
            .is_ok_and(|data_rate| data_rate.downlink);
        let channel_ack = self.rx2_frequency_usable(payload.frequency_hz);
        if rx1_dr_offset_ack && rx2_data_rate_ack && channel_ack {
            self.rx.rx1_dr_offset = payload.rx1_dr_offset;
            self.rx.rx2_dr = payload.rx2_data_rate;
            self.rx.rx2_frequency_hz = payload.frequency_hz;
        }
        self.sticky_answers
            .retain(|command| !matches!(command, MacCommand::RxParamSetupAns(_)));
        self.sticky_answers
            .push(MacCommand::RxParamSetupAns(RxParamSetupAnsPayload {
                channel_ack,
                rx2_data_rate_ack,
                rx1_dr_offset_ack,
            }));
    }

    /// Validates and applies a NewChannelReq (LoRaWAN 1.0.4 §5.6); fixed-plan bands and the
    /// default channels refuse it.
    fn new_channel(&mut self, payload: &NewChannelReqPayload) {
        let band = &self.config.band;
        let index = usize::from(payload.ch_index);
        let modifiable = band.supports_new_channel_req() && index >= band.default_channels().len();
        let uplink = |dr| band.data_rate(dr).is_ok_and(|data_rate| data_rate.uplink);
        let data_rate_range_ok = modifiable
            && payload.min_dr <= payload.max_dr
            && uplink(payload.min_dr)
            && uplink(payload.max_dr);
        let channel_frequency_ok = modifiable
            && index < 16
            && (payload.frequency_hz == 0 || self.frequency_usable(payload.frequency_hz));
        if channel_frequency_ok && (data_rate_range_ok || payload.frequency_hz == 0) {
            let channel = (payload.frequency_hz != 0)
                .then(|| Channel::new(payload.frequency_hz, payload.min_dr, payload.max_dr));
            self.define_channel(index, channel);
        }
        self.answers
            .push(MacCommand::NewChannelAns(NewChannelAnsPayload {
                channel_frequency_ok,
                data_rate_range_ok,
            }));
    }

    /// Validates and applies a DlChannelReq; its answer is sticky (LoRaWAN 1.0.4 §5.6).
    fn dl_channel(&mut self, payload: &DlChannelReqPayload) {
        let index = usize::from(payload.ch_index);
        let uplink_frequency_exists = self.config.band.supports_dl_channel_req()
            && matches!(self.channels.get(index), Some(Some(_)));
        let channel_frequency_ok = self.config.band.supports_dl_channel_req()
            && self.frequency_usable(payload.frequency_hz);
        if uplink_frequency_exists
            && channel_frequency_ok
            && let Some(slot) = self.rx1_frequencies.get_mut(index)
        {
            *slot = Some(payload.frequency_hz);
        }
        self.sticky_answers
            .retain(|command| !matches!(command, MacCommand::DlChannelAns(_)));
        self.sticky_answers
            .push(MacCommand::DlChannelAns(DlChannelAnsPayload {
                channel_frequency_ok,
                uplink_frequency_exists,
            }));
    }
}
