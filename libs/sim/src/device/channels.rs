//! The device's channel plan: the channels it knows after a reset, the channel it picks for
//! each uplink, and the changes a CFList or a LinkADRReq block makes.
//!
//! Fixed-plan bands (US902-928, AU915-928, CN470-510) apply channel masks through
//! `lorawan-region`, which owns their ChMaskCntl semantics; dynamic bands, whose channels the
//! device defines itself with the CFList and NewChannelReq, are handled here (ChMaskCntl 0
//! and 6, RP002-1.0.4 §2.4.5 and alike).

use lorawan_codec::{CfList, LinkAdrReqPayload};
use lorawan_region::{Band, Channel};

use super::{Device, Uplink};
use crate::{Error, Result};

/// Most channels a dynamic-plan device holds (RP002-1.0.4: 16).
const MAX_DYNAMIC_CHANNELS: usize = 16;

/// Returns the channels a device knows after a reset and the enabled ones: the default
/// channels of a dynamic plan, every channel of a fixed plan with the band's sub-band on.
pub(super) fn initial(band: &Band) -> (Vec<Option<Channel>>, Vec<usize>) {
    if band.supports_new_channel_req() {
        let channels: Vec<Option<Channel>> =
            band.default_channels().into_iter().map(Some).collect();
        let enabled = (0..channels.len()).collect();
        (channels, enabled)
    } else {
        let channels = band.channels().iter().copied().map(Some).collect();
        (channels, band.enabled_channels())
    }
}

impl Device {
    /// Picks the uplink channel for the current data rate: `wanted` when given, otherwise a
    /// pseudo-random enabled channel that allows the data rate.
    pub(super) fn pick_channel(&mut self, wanted: Option<usize>) -> Result<(usize, Channel)> {
        let dr = self.dr;
        if let Some(index) = wanted {
            let channel = self
                .channels
                .get(index)
                .copied()
                .flatten()
                .filter(|channel| self.enabled.contains(&index) && channel.allows(dr))
                .ok_or(Error::ChannelNotEnabled(index))?;
            return Ok((index, channel));
        }
        let usable: Vec<(usize, Channel)> = self
            .enabled
            .iter()
            .filter_map(|&index| {
                let channel = self.channels.get(index).copied().flatten()?;
                channel.allows(dr).then_some((index, channel))
            })
            .collect();
        if usable.is_empty() {
            return Err(Error::NoChannel { dr });
        }
        let pick = self.random_index(usable.len());
        Ok(usable[pick])
    }

    /// Applies the CFList of a join-accept: extra channels 3 to 7 of a dynamic plan (with the
    /// data rate range of the first default channel), or the channel mask of a fixed plan.
    pub(super) fn apply_cf_list(&mut self, cf_list: &CfList) {
        match cf_list {
            CfList::Frequencies(frequencies) => {
                if !self.config.band.supports_new_channel_req() {
                    return;
                }
                let Some(Some(template)) = self.channels.first().copied() else {
                    return;
                };
                let first = self.config.band.default_channels().len();
                for (offset, frequency_hz) in frequencies.hz().into_iter().enumerate() {
                    if frequency_hz == 0 {
                        continue;
                    }
                    let channel = Channel::new(frequency_hz, template.min_dr, template.max_dr);
                    self.define_channel(first + offset, Some(channel));
                }
            }
            CfList::ChannelMask(masks) => {
                if self.config.band.supports_new_channel_req() {
                    return;
                }
                let enabled: Vec<usize> = (0..self.channels.len())
                    .filter(|index| {
                        masks
                            .get(index / 16)
                            .is_some_and(|mask| mask & (1 << (index % 16)) != 0)
                    })
                    .collect();
                if !enabled.is_empty() {
                    self.enabled = enabled;
                }
            }
        }
    }

    /// Defines (or, with `None`, deletes) the uplink channel at `index` of a dynamic plan and
    /// enables it when defined.
    pub(super) fn define_channel(&mut self, index: usize, channel: Option<Channel>) {
        if index >= MAX_DYNAMIC_CHANNELS {
            return;
        }
        if self.channels.len() <= index {
            self.channels.resize(index + 1, None);
            self.rx1_frequencies.resize(index + 1, None);
        }
        self.channels[index] = channel;
        self.rx1_frequencies[index] = None;
        self.enabled.retain(|enabled| *enabled != index);
        if channel.is_some() {
            self.enabled.push(index);
            self.enabled.sort_unstable();
        }
    }

    /// Returns the channels a LinkADRReq block leaves enabled, or `None` when the device must
    /// refuse the mask (RFU ChMaskCntl, undefined channel, nothing enabled).
    pub(super) fn masked_channels(&self, block: &[LinkAdrReqPayload]) -> Option<Vec<usize>> {
        let band = &self.config.band;
        if !band.supports_new_channel_req() {
            return band.apply_link_adr_masks(&self.enabled, block).ok();
        }
        let mut enabled = self.enabled.clone();
        for payload in block {
            match payload.ch_mask_cntl {
                0 => {
                    enabled.retain(|index| *index >= 16);
                    for bit in 0..16 {
                        if payload.ch_mask & (1 << bit) == 0 {
                            continue;
                        }
                        if !matches!(self.channels.get(bit), Some(Some(_))) {
                            return None;
                        }
                        enabled.push(bit);
                    }
                }
                6 => {
                    enabled = self
                        .channels
                        .iter()
                        .enumerate()
                        .filter_map(|(index, channel)| channel.map(|_| index))
                        .collect();
                }
                _ => return None,
            }
        }
        enabled.sort_unstable();
        enabled.dedup();
        (!enabled.is_empty()).then_some(enabled)
    }

    /// Tells whether some channel of `enabled` allows uplinks at `dr`.
    pub(super) fn dr_allowed_on(&self, enabled: &[usize], dr: u8) -> bool {
        let uplink = self
            .config
            .band
            .data_rate(dr)
            .is_ok_and(|data_rate| data_rate.uplink);
        uplink
            && enabled.iter().any(|index| {
                self.channels
                    .get(*index)
                    .copied()
                    .flatten()
                    .is_some_and(|channel| channel.allows(dr))
            })
    }

    /// Tells whether `frequency_hz` is one the device can use in a dynamic plan: inside the
    /// band and on its frequency step.
    pub(super) fn frequency_usable(&self, frequency_hz: u32) -> bool {
        let band = &self.config.band;
        band.channel_frequency_range()
            .is_some_and(|(min_hz, max_hz)| (min_hz..=max_hz).contains(&frequency_hz))
            && frequency_hz.is_multiple_of(band.frequency_step_hz())
    }

    /// Tells whether `frequency_hz` may be the RX2 frequency: inside a dynamic band, or one of
    /// a fixed plan's downlink frequencies.
    pub(super) fn rx2_frequency_usable(&self, frequency_hz: u32) -> bool {
        let band = &self.config.band;
        if band.supports_new_channel_req() {
            return self.frequency_usable(frequency_hz);
        }
        frequency_hz == band.rx2_params().frequency_hz
            || band
                .channels()
                .iter()
                .any(|channel| band.rx1_frequency(channel.frequency_hz) == Ok(frequency_hz))
    }

    /// Builds the fields of an uplink sent on `channel` at the current data rate.
    pub(super) fn radio_of(&self, index: usize, channel: Channel) -> Result<Uplink> {
        Ok(Uplink {
            phy: Vec::new(),
            frequency_hz: channel.frequency_hz,
            dr: self.dr,
            channel: index,
            modulation: self.modulation(self.dr)?,
            f_cnt: None,
            dev_nonce: None,
        })
    }
}
