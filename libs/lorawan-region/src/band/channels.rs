//! Channels of a band: lookup from a frequency, default and join channels, channels the
//! network adds (CFList, NewChannelReq), the join-accept CFList and LinkADRReq channel masks.

use lorawan_codec::{CfList, CfListFrequencies, LinkAdrReqPayload};

use super::Band;
use crate::ch_mask;
use crate::channel::{ChannelPlan, index_in_groups};
use crate::{Channel, Error, JoinChannel, Result};

impl Band {
    /// Returns the index of the uplink channel on `frequency_hz` (the first one, should a
    /// dynamic plan define two channels on one frequency), whether or not it is enabled.
    pub fn uplink_channel(&self, frequency_hz: u32) -> Result<usize> {
        let index = match self.table.plan {
            ChannelPlan::Dynamic { .. } => self
                .channels
                .iter()
                .position(|channel| channel.frequency_hz == frequency_hz),
            ChannelPlan::Fixed { groups, .. } => index_in_groups(groups, frequency_hz),
        };
        index.ok_or(Error::FrequencyNotInBand(frequency_hz))
    }

    /// Returns every channel the band defines, indexed as LinkADRReq numbers them.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Returns the indexes of the enabled channels: all of them, or one sub-band's.
    pub fn enabled_channels(&self) -> Vec<usize> {
        (0..self.enabled.len())
            .filter(|index| self.enabled[*index])
            .collect()
    }

    /// Returns the channels every device knows after a reset: the default channels of a
    /// dynamic plan, every channel of a fixed plan.
    pub fn default_channels(&self) -> Vec<Channel> {
        match self.table.plan {
            ChannelPlan::Dynamic {
                default_channels, ..
            } => default_channels.to_vec(),
            ChannelPlan::Fixed { .. } => self.channels.clone(),
        }
    }

    /// Returns the join channels of the whole plan, with their channel index where they have
    /// one.
    fn plan_join_channels(&self) -> Vec<(Option<usize>, JoinChannel)> {
        match self.table.plan {
            ChannelPlan::Dynamic {
                default_channels,
                extra_join_channels,
                ..
            } => default_channels
                .iter()
                .enumerate()
                .map(|(index, channel)| (Some(index), JoinChannel::plain(*channel)))
                .chain(
                    extra_join_channels
                        .iter()
                        .map(|channel| (None, JoinChannel::plain(*channel))),
                )
                .collect(),
            ChannelPlan::Fixed { join_channels, .. } if !join_channels.is_empty() => join_channels
                .iter()
                .map(|(index, channel)| (Some(*index), *channel))
                .collect(),
            ChannelPlan::Fixed { .. } => self
                .channels
                .iter()
                .enumerate()
                .map(|(index, channel)| (Some(index), JoinChannel::plain(*channel)))
                .collect(),
        }
    }

    /// Returns the channels a device sends join-requests on that this band's enabled
    /// channels cover: the default (and CN779-787's extra) join channels of a dynamic plan;
    /// the enabled channels of US902-928 and AU915-928; the enabled common join channels of
    /// a CN470-510 plan.
    pub fn join_channels(&self) -> Vec<JoinChannel> {
        self.plan_join_channels()
            .into_iter()
            .filter(|(index, _)| index.is_none_or(|index| self.enabled.get(index) == Some(&true)))
            .map(|(_, channel)| channel)
            .collect()
    }

    /// Returns the join channel on `frequency_hz` anywhere in the plan, enabled or not.
    pub(super) fn join_channel(&self, frequency_hz: u32) -> Option<JoinChannel> {
        self.plan_join_channels()
            .into_iter()
            .map(|(_, channel)| channel)
            .find(|channel| channel.frequency_hz == frequency_hz)
    }

    /// Returns whether the band lets the network add or change channels (NewChannelReq):
    /// dynamic-channel bands do, US902-928, AU915-928 and CN470-510 do not.
    pub fn supports_new_channel_req(&self) -> bool {
        matches!(self.table.plan, ChannelPlan::Dynamic { .. })
    }

    /// Returns whether the band lets the network move a channel's RX1 frequency
    /// (DlChannelReq): the dynamic-channel bands.
    pub fn supports_dl_channel_req(&self) -> bool {
        self.supports_new_channel_req()
    }

    /// Returns the frequency range, in Hz, channels added with NewChannelReq or DlChannelReq
    /// must lie in, or `None` for a fixed plan.
    pub fn channel_frequency_range(&self) -> Option<(u32, u32)> {
        match self.table.plan {
            ChannelPlan::Dynamic { min_hz, max_hz, .. } => Some((min_hz, max_hz)),
            ChannelPlan::Fixed { .. } => None,
        }
    }

    /// Checks that the network may define `channel` with NewChannelReq: a dynamic plan, a
    /// frequency within the band on its frequency step, and an uplink data rate range.
    pub fn check_new_channel(&self, channel: &Channel) -> Result<()> {
        let (min_hz, max_hz) = self
            .channel_frequency_range()
            .ok_or(Error::FixedChannelPlan)?;
        if !(min_hz..=max_hz).contains(&channel.frequency_hz) {
            return Err(Error::FrequencyNotInBand(channel.frequency_hz));
        }
        let step_hz = self.table.frequency_step_hz;
        if !channel.frequency_hz.is_multiple_of(step_hz) {
            return Err(Error::FrequencyNotOnStep {
                frequency_hz: channel.frequency_hz,
                step_hz,
            });
        }
        let uplink = |dr| self.data_rate(dr).is_ok_and(|rate| rate.uplink);
        if channel.min_dr > channel.max_dr || !uplink(channel.min_dr) || !uplink(channel.max_dr) {
            return Err(Error::InvalidChannelDataRates {
                min_dr: channel.min_dr,
                max_dr: channel.max_dr,
            });
        }
        Ok(())
    }

    /// Adds a channel to a dynamic plan (as the operator configures extra channels) and
    /// returns its index. The first five added channels allowing DR0 up to DR5 (DR7 at
    /// 2.4 GHz) go into the join-accept CFList.
    pub fn add_channel(&mut self, channel: Channel) -> Result<usize> {
        self.check_new_channel(&channel)?;
        let ChannelPlan::Dynamic { max_channels, .. } = self.table.plan else {
            return Err(Error::FixedChannelPlan);
        };
        if self.channels.len() >= max_channels {
            return Err(Error::TooManyChannels { max: max_channels });
        }
        self.channels.push(channel);
        self.enabled.push(true);
        Ok(self.channels.len() - 1)
    }

    /// Returns the indexes of the channels a join-accept's type 0 CFList defines (RP002-1.0.4
    /// §2.3.1): the channels added after the default ones, up to five, as long as they allow
    /// DR0 to the band's CFList maximum. Empty for a fixed plan, whose CFList only masks.
    pub fn cf_list_channels(&self) -> Vec<usize> {
        let ChannelPlan::Dynamic {
            default_channels,
            cf_list_max_dr,
            ..
        } = self.table.plan
        else {
            return Vec::new();
        };
        self.channels
            .iter()
            .enumerate()
            .skip(default_channels.len())
            .take_while(|(_, channel)| channel.min_dr == 0 && channel.max_dr == cf_list_max_dr)
            .take(5)
            .map(|(index, _)| index)
            .collect()
    }

    /// Returns the frequencies a type 0 CFList carries (see [`Band::cf_list_channels`]).
    fn cf_list_frequencies(&self) -> Option<[u32; 5]> {
        let mut frequencies = [0; 5];
        let indexes = self.cf_list_channels();
        for (slot, index) in frequencies.iter_mut().zip(&indexes) {
            *slot = self.channels.get(*index)?.frequency_hz;
        }
        (!indexes.is_empty()).then_some(frequencies)
    }

    /// Returns the channel masks a type 1 CFList carries: ChMask0 to ChMask5 of the enabled
    /// channels.
    fn cf_list_masks(&self) -> [u16; 6] {
        let mut masks = [0u16; 6];
        for (index, _) in self.enabled.iter().enumerate().filter(|(_, on)| **on) {
            if let Some(mask) = masks.get_mut(index / 16) {
                *mask |= 1 << (index % 16);
            }
        }
        masks
    }

    /// Returns the CFList of a join-accept, RP002-1.0.4 §2.3.1 and §2.3.2: type 0 with the
    /// configured extra channels of a dynamic plan (`None` without any), type 1 with the
    /// enabled channels of a fixed plan.
    ///
    /// Also `None` at 2.4 GHz, whose CFList counts frequencies in 200 Hz units that
    /// [`CfList`] cannot express; use [`Band::cf_list_bytes`] there.
    pub fn cf_list(&self) -> Option<CfList> {
        match self.table.plan {
            ChannelPlan::Dynamic { .. }
                if self.table.frequency_step_hz == CfListFrequencies::STEP_HZ =>
            {
                let frequencies = CfListFrequencies::new(self.cf_list_frequencies()?).ok()?;
                Some(CfList::Frequencies(frequencies))
            }
            ChannelPlan::Dynamic { .. } => None,
            ChannelPlan::Fixed { .. } => Some(CfList::ChannelMask(self.cf_list_masks())),
        }
    }

    /// Returns the 16 CFList bytes of a join-accept, in every band including 2.4 GHz.
    pub fn cf_list_bytes(&self) -> Option<[u8; 16]> {
        if let ChannelPlan::Fixed { .. } = self.table.plan {
            return Some(CfList::ChannelMask(self.cf_list_masks()).encode());
        }
        let frequencies = self.cf_list_frequencies()?;
        let mut bytes = [0u8; 16];
        for (chunk, frequency_hz) in bytes.chunks_exact_mut(3).zip(frequencies) {
            let units = frequency_hz / self.table.frequency_step_hz;
            chunk.copy_from_slice(&units.to_le_bytes()[..3]);
        }
        Some(bytes)
    }

    fn flags(&self, channels: &[usize]) -> Result<Vec<bool>> {
        let mut flags = vec![false; self.channels.len()];
        for &index in channels {
            *flags
                .get_mut(index)
                .ok_or(Error::ChannelNotDefined(index))? = true;
        }
        Ok(flags)
    }

    /// Returns the fewest LinkADRReq payloads whose channel masks leave exactly
    /// `enabled_channels` enabled, whatever the device had enabled before (RP002-1.0.4,
    /// the band's LinkAdrReq command section, e.g. §2.5.5 for US902-928).
    ///
    /// US902-928 and AU915-928 use ChMaskCntl 0 to 4 or the shorter "all 125 kHz channels
    /// on/off" forms (6/7) followed by the 16-channel blocks they leave wrong; CN470-510 its
    /// "all channels on/off" values likewise. ChMaskCntl 5 is not generated (devices built on
    /// earlier Regional Parameters may treat it as RFU).
    ///
    /// DataRate, TXPower and NbTrans are left 0: the caller sets them, at least on the last
    /// payload, which is the one a LoRaWAN 1.0.4 device takes them from.
    pub fn link_adr_masks(&self, enabled_channels: &[usize]) -> Result<Vec<LinkAdrReqPayload>> {
        let pairs = ch_mask::generate(self.table.ch_mask, &self.flags(enabled_channels)?)?;
        Ok(pairs
            .into_iter()
            .map(|(ch_mask_cntl, ch_mask)| LinkAdrReqPayload {
                ch_mask,
                ch_mask_cntl,
                ..LinkAdrReqPayload::default()
            })
            .collect())
    }

    /// Applies the channel masks of a LinkADRReq block to a device's `current` enabled
    /// channels, as the device does, and returns the channels enabled afterwards.
    ///
    /// Fails like the device would refuse the block: [`Error::UnsupportedChMaskCntl`] for an
    /// RFU ChMaskCntl, [`Error::ChannelNotDefined`] for enabling a channel the band does not
    /// define, [`Error::NoChannelEnabled`] when nothing stays enabled.
    pub fn apply_link_adr_masks(
        &self,
        current: &[usize],
        payloads: &[LinkAdrReqPayload],
    ) -> Result<Vec<usize>> {
        let mut flags = self.flags(current)?;
        for payload in payloads {
            ch_mask::apply(
                self.table.ch_mask,
                &mut flags,
                (payload.ch_mask_cntl, payload.ch_mask),
            )?;
        }
        let enabled: Vec<usize> = (0..flags.len()).filter(|index| flags[*index]).collect();
        if enabled.is_empty() {
            return Err(Error::NoChannelEnabled);
        }
        Ok(enabled)
    }
}
