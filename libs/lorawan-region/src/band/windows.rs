//! Receive windows: RX1 frequency and data rate from the uplink, RX2 defaults, and the
//! windows of a join-accept, RP002-1.0.4 "receive windows" of each band.

use lorawan_codec::DwellTime;

use super::Band;
use crate::channel::{ChannelPlan, frequency_in_groups};
use crate::{Error, Result, Rx1FrequencyRule, RxWindow};

impl Band {
    /// Returns the RX1 data rate for an uplink at `uplink_dr` and the device's
    /// `rx1_dr_offset`. `downlink_dwell` is the device's DownlinkDwellTime: in AS923 a
    /// 400 ms limit keeps RX1 at DR2 or above.
    ///
    /// Fails with [`Error::InvalidDataRate`] for an uplink data rate the table does not
    /// cover and [`Error::InvalidRx1DrOffset`] for an offset outside its columns.
    pub fn rx1_data_rate(
        &self,
        uplink_dr: u8,
        rx1_dr_offset: u8,
        downlink_dwell: DwellTime,
    ) -> Result<u8> {
        let table = match (downlink_dwell, self.table.rx1_dr_dwell) {
            (DwellTime::Limit400Ms, Some(dwell_table)) => dwell_table,
            _ => self.table.rx1_dr,
        };
        let row = table
            .get(usize::from(uplink_dr))
            .filter(|row| !row.is_empty())
            .ok_or(Error::InvalidDataRate(uplink_dr))?;
        row.get(usize::from(rx1_dr_offset))
            .copied()
            .ok_or(Error::InvalidRx1DrOffset(rx1_dr_offset))
    }

    /// Returns the RX1 frequency for an uplink on `uplink_frequency_hz`: the same frequency
    /// in dynamic-channel bands, the mapped downlink channel in US902-928, AU915-928 and
    /// CN470-510. Fails with [`Error::FrequencyNotInBand`] for a frequency outside the band
    /// or, in a fixed plan, not on one of its channels.
    pub fn rx1_frequency(&self, uplink_frequency_hz: u32) -> Result<u32> {
        match self.table.rx1_frequency {
            Rx1FrequencyRule::SameAsUplink => {
                if let ChannelPlan::Dynamic { min_hz, max_hz, .. } = self.table.plan {
                    if !(min_hz..=max_hz).contains(&uplink_frequency_hz) {
                        return Err(Error::FrequencyNotInBand(uplink_frequency_hz));
                    }
                } else {
                    self.uplink_channel(uplink_frequency_hz)?;
                }
                Ok(uplink_frequency_hz)
            }
            Rx1FrequencyRule::DownlinkChannels { groups } => {
                let uplink_channel = self.uplink_channel(uplink_frequency_hz)?;
                let n_downlink: usize = groups.iter().map(|group| usize::from(group.count)).sum();
                let downlink_channel = uplink_channel
                    .checked_rem(n_downlink)
                    .ok_or(Error::FrequencyNotInBand(uplink_frequency_hz))?;
                frequency_in_groups(groups, downlink_channel)
                    .ok_or(Error::FrequencyNotInBand(uplink_frequency_hz))
            }
        }
    }

    /// Returns the RX1 window of an uplink on `uplink_frequency_hz` at `uplink_dr`, for a
    /// device with `rx1_dr_offset` and DownlinkDwellTime `downlink_dwell`.
    pub fn rx1_params(
        &self,
        uplink_frequency_hz: u32,
        uplink_dr: u8,
        rx1_dr_offset: u8,
        downlink_dwell: DwellTime,
    ) -> Result<RxWindow> {
        Ok(RxWindow {
            frequency_hz: self.rx1_frequency(uplink_frequency_hz)?,
            data_rate: self.rx1_data_rate(uplink_dr, rx1_dr_offset, downlink_dwell)?,
        })
    }

    /// Returns the default RX2 window. In the CN470-510 20 MHz plans this is the window of
    /// a device activated by personalisation; a joined device uses
    /// [`Band::rx2_params_after_join`].
    pub fn rx2_params(&self) -> RxWindow {
        self.table.rx2
    }

    /// Returns the RX1 window of the join-accept answering a join-request on
    /// `uplink_frequency_hz` at `uplink_dr` (RX1DROffset 0, as before any session).
    ///
    /// CN470-510 fixes the frequency per join channel; elsewhere this is the usual RX1 rule.
    pub fn join_accept_rx1_params(
        &self,
        uplink_frequency_hz: u32,
        uplink_dr: u8,
        downlink_dwell: DwellTime,
    ) -> Result<RxWindow> {
        let data_rate = self.rx1_data_rate(uplink_dr, 0, downlink_dwell)?;
        let frequency_hz = match self
            .join_channel(uplink_frequency_hz)
            .and_then(|channel| channel.join_accept_frequency_hz)
        {
            Some(frequency_hz) => frequency_hz,
            None => self.rx1_frequency(uplink_frequency_hz)?,
        };
        Ok(RxWindow {
            frequency_hz,
            data_rate,
        })
    }

    /// Returns the RX2 window of the join-accept answering a join-request on
    /// `uplink_frequency_hz`: the default RX2 window, except in CN470-510 where both
    /// windows of the join-accept use the join channel's downlink frequency.
    pub fn join_accept_rx2_params(&self, uplink_frequency_hz: u32) -> RxWindow {
        let frequency_hz = self
            .join_channel(uplink_frequency_hz)
            .and_then(|channel| channel.join_accept_frequency_hz)
            .unwrap_or(self.table.rx2.frequency_hz);
        RxWindow {
            frequency_hz,
            data_rate: self.table.rx2.data_rate,
        }
    }

    /// Returns the default RX2 window of a session that started with a join-request on
    /// `join_frequency_hz`: the band default, except in the CN470-510 20 MHz plans where
    /// each join channel has its own RX2 frequency.
    pub fn rx2_params_after_join(&self, join_frequency_hz: u32) -> RxWindow {
        let frequency_hz = self
            .join_channel(join_frequency_hz)
            .and_then(|channel| channel.rx2_frequency_hz)
            .unwrap_or(self.table.rx2.frequency_hz);
        RxWindow {
            frequency_hz,
            data_rate: self.table.rx2.data_rate,
        }
    }
}
