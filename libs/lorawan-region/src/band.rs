//! [`Band`]: one band (or one sub-band of a fixed channel plan) selected by its configuration
//! name, with every Regional Parameters question the network server asks answered from the
//! const tables in `tables`.
//!
//! A `Band` is a plain value: the table it points at plus the channels this deployment
//! defines and enables. It does no I/O and keeps no per-device state; the network server
//! passes a device's settings (dwell time, RX1DROffset, enabled channels) in.

mod channels;
mod describe;
mod names;
mod windows;

pub use describe::{BandDescription, DataRateDescription, Rx1FrequencyDescription};

use lorawan_codec::DwellTime;

use crate::channel::{ChannelPlan, expand_groups};
use crate::data_rate::DataRateEntry;
use crate::tables::BandTable;
use crate::{
    BeaconDefaults, ChMaskRule, Channel, DataRate, DutyCycleSubBand, DwellTimes, Error, MaxPayload,
    Modulation, Result, Revision, Rx1FrequencyRule, Timing,
};

/// A band as the network server uses it: the RP002 tables of one band plus the channels
/// this deployment defines and enables.
///
/// Built with [`Band::by_name`] from a configuration name such as `eu868`, `us915_1`
/// (sub-band 2: channels 8 to 15 and 65) or `cn470_26a`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    name: String,
    table: &'static BandTable,
    sub_band: Option<u8>,
    /// Every channel the band defines: the default channels plus configured ones for a
    /// dynamic plan, every numbered channel for a fixed plan.
    channels: Vec<Channel>,
    /// One flag per entry of `channels`.
    enabled: Vec<bool>,
}

impl Band {
    fn new(name: String, table: &'static BandTable, sub_band: Option<u8>) -> Self {
        let channels = match table.plan {
            ChannelPlan::Dynamic {
                default_channels, ..
            } => default_channels.to_vec(),
            ChannelPlan::Fixed { groups, .. } => expand_groups(groups),
        };
        let enabled = match (table.plan, sub_band) {
            (ChannelPlan::Fixed { sub_bands, .. }, Some(sub_band)) => {
                let on = sub_bands.channels(sub_band);
                (0..channels.len())
                    .map(|index| on.contains(&index))
                    .collect()
            }
            _ => vec![true; channels.len()],
        };
        Self {
            name,
            table,
            sub_band,
            channels,
            enabled,
        }
    }

    /// Returns the configuration name, e.g. `us915_1`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the name the specification uses, e.g. `US902-928`.
    pub fn common_name(&self) -> &'static str {
        self.table.common_name
    }

    /// Returns the Regional Parameters revision the band's tables implement.
    pub fn revision(&self) -> Revision {
        self.table.revision
    }

    /// Returns the selected sub-band of a fixed channel plan (0 for channels 0 to 7), or
    /// `None` when every channel is enabled.
    pub fn sub_band(&self) -> Option<u8> {
        self.sub_band
    }

    fn entry(&self, dr: u8) -> Result<&'static DataRateEntry> {
        self.table
            .data_rates
            .get(usize::from(dr))
            .and_then(Option::as_ref)
            .ok_or(Error::InvalidDataRate(dr))
    }

    /// Returns data rate `dr` (RP002-1.0.4, the band's data rate table), or
    /// [`Error::InvalidDataRate`] for an RFU or out-of-range index.
    pub fn data_rate(&self, dr: u8) -> Result<DataRate> {
        self.entry(dr).map(|entry| entry.data_rate)
    }

    /// Returns every data rate the band defines with its index.
    pub fn data_rates(&self) -> Vec<(u8, DataRate)> {
        (0..=u8::MAX)
            .zip(self.table.data_rates)
            .filter_map(|(dr, entry)| entry.map(|entry| (dr, entry.data_rate)))
            .collect()
    }

    /// Returns the uplink data rate index of `modulation` (the lowest index that matches),
    /// e.g. for the modulation a gateway reports.
    pub fn uplink_data_rate_index(&self, modulation: &Modulation) -> Result<u8> {
        self.data_rates()
            .into_iter()
            .find(|(_, rate)| rate.uplink && rate.modulation == *modulation)
            .map(|(dr, _)| dr)
            .ok_or(Error::NoDataRateForModulation(*modulation))
    }

    /// Returns the downlink data rate index of `modulation` (the highest index that matches:
    /// US902-928 repeats uplink modulations at higher, downlink-only indexes).
    pub fn downlink_data_rate_index(&self, modulation: &Modulation) -> Result<u8> {
        self.data_rates()
            .into_iter()
            .rev()
            .find(|(_, rate)| rate.downlink && rate.modulation == *modulation)
            .map(|(dr, _)| dr)
            .ok_or(Error::NoDataRateForModulation(*modulation))
    }

    /// Returns the maximum MACPayload (M) and application payload (N) at data rate `dr`,
    /// RP002-1.0.4, the band's maximum payload size tables.
    ///
    /// `dwell` is the dwell time limit of the frame's direction (it matters in AS923 and
    /// AU915-928); with `repeater` the sizes shrink so a repeater can add its header (M is
    /// at most 230 bytes, 228 at 2.4 GHz). Fails with [`Error::NoPayloadAtDataRate`] where
    /// the table says "N/A" (e.g. AS923 DR0 under a 400 ms dwell time).
    pub fn max_payload(&self, dr: u8, dwell: DwellTime, repeater: bool) -> Result<MaxPayload> {
        let mut m = self.entry(dr)?.max_mac_payload(dwell);
        if repeater {
            m = m.min(self.table.repeater_max_mac_payload);
        }
        MaxPayload::from_m(m).ok_or(Error::NoPayloadAtDataRate(dr))
    }

    /// Returns the TX power in dBm EIRP of TXPower `index` for a device whose maximum EIRP
    /// is `max_eirp_dbm`: `max_eirp_dbm` plus the band's offset (0, −2, −4, … dB),
    /// RP002-1.0.4, the band's TXPower table.
    pub fn tx_power_dbm(&self, index: u8, max_eirp_dbm: f32) -> Result<f32> {
        self.table
            .tx_power_offsets_db
            .get(usize::from(index))
            .map(|offset| max_eirp_dbm + f32::from(*offset))
            .ok_or(Error::InvalidTxPower(index))
    }

    /// Returns the largest TXPower index the band defines (the lowest power).
    pub fn max_tx_power_index(&self) -> u8 {
        u8::try_from(self.table.tx_power_offsets_db.len().saturating_sub(1)).unwrap_or(u8::MAX)
    }

    /// Returns the maximum EIRP in dBm a device is assumed to have by default.
    pub fn default_max_eirp_dbm(&self) -> f32 {
        self.table.default_max_eirp_dbm
    }

    /// Returns the data rate range ADR may assign on the default channels.
    pub fn adr_data_rate_range(&self) -> (u8, u8) {
        self.table.adr_data_rates
    }

    /// Returns the default receive delays and counters, RP002-1.0.4 §2.3 default settings.
    pub fn timing(&self) -> Timing {
        Timing::RP002
    }

    /// Returns the class B beacon and ping-slot defaults.
    pub fn beacon_defaults(&self) -> BeaconDefaults {
        let beacon = &self.table.beacon;
        BeaconDefaults {
            data_rate: beacon.data_rate,
            frequencies_hz: beacon.frequencies.to_vec(),
            ping_slot_data_rate: beacon.data_rate,
            ping_slot_frequencies_hz: beacon.ping_slot_frequencies.to_vec(),
        }
    }

    /// Returns the regulatory sub-bands with their duty cycle and maximum EIRP; empty where
    /// the band imposes no duty cycle.
    pub fn duty_cycle_sub_bands(&self) -> &'static [DutyCycleSubBand] {
        self.table.duty_cycle_sub_bands
    }

    /// Returns whether devices in this band implement TxParamSetupReq (AS923, AU915-928).
    pub fn supports_tx_param_setup(&self) -> bool {
        self.table.tx_param_setup
    }

    /// Returns the dwell time limits a device assumes until TxParamSetupReq changes them.
    pub fn default_dwell_time(&self) -> DwellTimes {
        self.table.default_dwell
    }

    /// Returns the unit, in Hz, of frequencies in the CFList, NewChannelReq, DlChannelReq,
    /// RXParamSetupReq, PingSlotChannelReq and BeaconFreqReq: 100 Hz, or 200 Hz at 2.4 GHz.
    pub fn frequency_step_hz(&self) -> u32 {
        self.table.frequency_step_hz
    }

    /// Returns how the RX1 frequency follows from the uplink.
    pub fn rx1_frequency_rule(&self) -> Rx1FrequencyRule {
        self.table.rx1_frequency
    }

    /// Returns what ChMaskCntl means in this band's LinkADRReq.
    pub fn ch_mask_rule(&self) -> ChMaskRule {
        self.table.ch_mask
    }
}
