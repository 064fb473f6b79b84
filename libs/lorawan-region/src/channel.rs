//! Channels: uplink channel definitions, join channels, and the two channel plan shapes of
//! RP002-1.0.4 (each band's channel frequencies section): dynamic plans (a few default channels, more added by the network) and
//! fixed plans (every channel numbered by the specification).
//!
//! This module describes channels; choosing which are enabled belongs to [`crate::Band`].

/// An uplink channel: a centre frequency and the data rates a device may use on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Channel {
    /// Centre frequency in Hz.
    pub frequency_hz: u32,
    /// Lowest data rate index allowed on the channel.
    pub min_dr: u8,
    /// Highest data rate index allowed on the channel.
    pub max_dr: u8,
}

impl Channel {
    /// Creates a channel.
    pub const fn new(frequency_hz: u32, min_dr: u8, max_dr: u8) -> Self {
        Self {
            frequency_hz,
            min_dr,
            max_dr,
        }
    }

    /// Returns whether `dr` is within the channel's data rate range.
    pub const fn allows(&self, dr: u8) -> bool {
        dr >= self.min_dr && dr <= self.max_dr
    }
}

/// A channel a device may send its join-request on.
///
/// Most bands answer a join-request like any other uplink (RX1 by the band's RX1 rule, RX2
/// on the default RX2 parameters). The CN470-510 plans of RP002-1.0.4 §2.9 fix the
/// join-accept frequency per join channel and, for the 20 MHz antenna plans, the RX2
/// frequency of the session that starts with the join; those appear in the two optional
/// fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct JoinChannel {
    /// Uplink frequency of the join-request in Hz.
    pub frequency_hz: u32,
    /// Lowest data rate a join-request may use here.
    pub min_dr: u8,
    /// Highest data rate a join-request may use here.
    pub max_dr: u8,
    /// Frequency of both receive windows of the join-accept, when the band fixes it.
    pub join_accept_frequency_hz: Option<u32>,
    /// RX2 frequency of the session after a join on this channel, when it differs from the
    /// band's default RX2 frequency.
    pub rx2_frequency_hz: Option<u32>,
}

impl JoinChannel {
    /// A join channel answered with the band's usual RX1 and RX2 rules.
    pub(crate) const fn plain(channel: Channel) -> Self {
        Self {
            frequency_hz: channel.frequency_hz,
            min_dr: channel.min_dr,
            max_dr: channel.max_dr,
            join_accept_frequency_hz: None,
            rx2_frequency_hz: None,
        }
    }
}

/// An arithmetic run of channels: `count` channels from `first_hz`, `step_hz` apart, all
/// allowing the same data rates. Fixed plans number their channels by concatenating runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ChannelGroup {
    /// Frequency of the first channel in Hz.
    pub first_hz: u32,
    /// Spacing in Hz.
    pub step_hz: u32,
    /// Number of channels.
    pub count: u16,
    /// Lowest data rate on these channels.
    pub min_dr: u8,
    /// Highest data rate on these channels.
    pub max_dr: u8,
}

impl ChannelGroup {
    /// Returns the position of `frequency_hz` within the run, if it is one of its channels.
    pub const fn position(&self, frequency_hz: u32) -> Option<usize> {
        if frequency_hz < self.first_hz {
            return None;
        }
        let offset = frequency_hz - self.first_hz;
        if !offset.is_multiple_of(self.step_hz) {
            return None;
        }
        let position = (offset / self.step_hz) as usize;
        if position < self.count as usize {
            Some(position)
        } else {
            None
        }
    }

    /// Returns the frequency of the channel at `position`, or `None` past the run.
    pub const fn frequency_hz(&self, position: usize) -> Option<u32> {
        if position >= self.count as usize {
            return None;
        }
        // `position` is below `count`, a u16, so it fits a u32.
        Some(self.first_hz + self.step_hz * position as u32)
    }
}

/// Expands runs of channels into the numbered channel list of a fixed plan.
pub(crate) fn expand_groups(groups: &[ChannelGroup]) -> Vec<Channel> {
    groups
        .iter()
        .flat_map(|group| {
            (0..usize::from(group.count)).filter_map(|position| {
                let frequency_hz = group.frequency_hz(position)?;
                Some(Channel::new(frequency_hz, group.min_dr, group.max_dr))
            })
        })
        .collect()
}

/// Returns the number of a channel in a list of runs, counting from the first run.
pub(crate) fn index_in_groups(groups: &[ChannelGroup], frequency_hz: u32) -> Option<usize> {
    let mut base = 0;
    for group in groups {
        if let Some(position) = group.position(frequency_hz) {
            return Some(base + position);
        }
        base += usize::from(group.count);
    }
    None
}

/// Returns the frequency of channel `index` in a list of runs.
pub(crate) fn frequency_in_groups(groups: &[ChannelGroup], index: usize) -> Option<u32> {
    let mut base = 0;
    for group in groups {
        let count = usize::from(group.count);
        if index < base + count {
            return group.frequency_hz(index - base);
        }
        base += count;
    }
    None
}

/// How a fixed plan splits into the sub-bands operators select for 8-channel gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SubBands {
    /// Number of sub-bands: sub-band `k` holds the narrow channels `8k..8k+8`.
    pub count: u8,
    /// Index of the first wide (500 kHz) channel, when sub-band `k` also holds channel
    /// `first_wide + k` (US902-928, AU915-928).
    pub first_wide: Option<usize>,
}

impl SubBands {
    /// Narrow channels per sub-band.
    pub(crate) const WIDTH: usize = 8;

    /// Returns the channel indexes of sub-band `sub_band`.
    pub(crate) fn channels(&self, sub_band: u8) -> Vec<usize> {
        let first = usize::from(sub_band) * Self::WIDTH;
        let mut channels: Vec<usize> = (first..first + Self::WIDTH).collect();
        if let Some(first_wide) = self.first_wide {
            channels.push(first_wide + usize::from(sub_band));
        }
        channels
    }
}

/// The channel plan shape of a band (RP002-1.0.4, each band's channel frequencies).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ChannelPlan {
    /// A few default channels every device knows; the network adds up to `max_channels` in
    /// total through the CFList or NewChannelReq within `min_hz..=max_hz`.
    Dynamic {
        default_channels: &'static [Channel],
        /// Channels a device also sends join-requests on without keeping them afterwards.
        extra_join_channels: &'static [Channel],
        min_hz: u32,
        max_hz: u32,
        max_channels: usize,
        /// Highest data rate a CFList type 0 channel allows (DR0 up to this).
        cf_list_max_dr: u8,
    },
    /// Channels numbered by the specification, all enabled after a reset.
    Fixed {
        groups: &'static [ChannelGroup],
        sub_bands: SubBands,
        /// The join channels when the band restricts them; empty means every channel.
        join_channels: &'static [(usize, JoinChannel)],
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPS: [ChannelGroup; 2] = [
        ChannelGroup {
            first_hz: 902_300_000,
            step_hz: 200_000,
            count: 64,
            min_dr: 0,
            max_dr: 3,
        },
        ChannelGroup {
            first_hz: 903_000_000,
            step_hz: 1_600_000,
            count: 8,
            min_dr: 4,
            max_dr: 4,
        },
    ];

    #[test]
    fn numbers_channels_across_groups() {
        assert_eq!(index_in_groups(&GROUPS, 902_300_000), Some(0));
        assert_eq!(index_in_groups(&GROUPS, 914_900_000), Some(63));
        assert_eq!(index_in_groups(&GROUPS, 903_000_000), Some(64));
        assert_eq!(index_in_groups(&GROUPS, 914_200_000), Some(71));
        assert_eq!(index_in_groups(&GROUPS, 902_400_000), None);
        assert_eq!(index_in_groups(&GROUPS, 915_100_000), None);
        assert_eq!(frequency_in_groups(&GROUPS, 65), Some(904_600_000));
        assert_eq!(frequency_in_groups(&GROUPS, 72), None);
        assert_eq!(expand_groups(&GROUPS).len(), 72);
    }

    #[test]
    fn sub_band_holds_eight_narrow_and_one_wide_channel() {
        let sub_bands = SubBands {
            count: 8,
            first_wide: Some(64),
        };
        assert_eq!(
            sub_bands.channels(1),
            vec![8, 9, 10, 11, 12, 13, 14, 15, 65]
        );
    }
}
