//! A self-contained, serialisable summary of a [`Band`], for `tern region show` and for
//! humans comparing a band with the specification.

use lorawan_codec::{CfList, DwellTime};

use super::Band;
use crate::channel::expand_groups;
use crate::{
    BeaconDefaults, ChMaskRule, Channel, DataRate, DutyCycleSubBand, DwellTimes, JoinChannel,
    MaxPayload, Revision, Rx1FrequencyRule, RxWindow, Timing,
};

/// Everything a [`Band`] answers, as plain owned data.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BandDescription {
    /// Configuration name, e.g. `us915_1`.
    pub name: String,
    /// Name the specification uses.
    pub common_name: String,
    /// Regional Parameters revision.
    pub revision: Revision,
    /// Selected sub-band of a fixed plan.
    pub sub_band: Option<u8>,
    /// Data rates with their payload limits.
    pub data_rates: Vec<DataRateDescription>,
    /// RX1 data rate table: row per uplink data rate, column per RX1DROffset (empty rows
    /// for data rates without RX1 mapping).
    pub rx1_data_rates: Vec<Vec<u8>>,
    /// RX1 data rate table under a downlink dwell time limit, where it differs.
    pub rx1_data_rates_dwell: Option<Vec<Vec<u8>>>,
    /// How the RX1 frequency follows from the uplink.
    pub rx1_frequency: Rx1FrequencyDescription,
    /// Default RX2 window.
    pub rx2: RxWindow,
    /// Default timings.
    pub timing: Timing,
    /// Every channel the band defines.
    pub channels: Vec<Channel>,
    /// Indexes of the enabled channels.
    pub enabled_channels: Vec<usize>,
    /// Join channels.
    pub join_channels: Vec<JoinChannel>,
    /// Join-accept CFList, when the band sends one.
    pub cf_list: Option<CfList>,
    /// LinkADRReq ChMaskCntl semantics.
    pub ch_mask_rule: ChMaskRule,
    /// NewChannelReq support.
    pub supports_new_channel_req: bool,
    /// DlChannelReq support.
    pub supports_dl_channel_req: bool,
    /// Frequency range of added channels.
    pub channel_frequency_range_hz: Option<(u32, u32)>,
    /// Frequency unit of CFList and channel MAC commands.
    pub frequency_step_hz: u32,
    /// Default maximum EIRP.
    pub default_max_eirp_dbm: f32,
    /// TX power offsets in dB, indexed by TXPower.
    pub tx_power_offsets_db: Vec<i8>,
    /// TxParamSetupReq support.
    pub supports_tx_param_setup: bool,
    /// Dwell time limits before TxParamSetupReq.
    pub default_dwell_time: DwellTimes,
    /// Data rates ADR may assign.
    pub adr_data_rate_range: (u8, u8),
    /// Class B defaults.
    pub beacon: BeaconDefaults,
    /// Regulatory sub-bands.
    pub duty_cycle_sub_bands: Vec<DutyCycleSubBand>,
}

/// One data rate of a [`BandDescription`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DataRateDescription {
    /// DataRate index.
    pub index: u8,
    /// Modulation and directions.
    pub data_rate: DataRate,
    /// Payload limits without a dwell time limit, `None` for "N/A".
    pub max_payload: Option<MaxPayload>,
    /// Payload limits under a 400 ms dwell time limit.
    pub max_payload_dwell: Option<MaxPayload>,
    /// Payload limits through a repeater.
    pub max_payload_repeater: Option<MaxPayload>,
}

/// The RX1 frequency rule with its downlink channels spelt out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Rx1FrequencyDescription {
    /// RX1 on the uplink frequency.
    SameAsUplink,
    /// RX1 on downlink channel `uplink channel mod len`.
    DownlinkChannels {
        /// The downlink channel frequencies in Hz.
        frequencies_hz: Vec<u32>,
    },
}

impl Band {
    /// Returns a serialisable summary of everything the band answers.
    pub fn describe(&self) -> BandDescription {
        let table = self.table;
        let data_rates = self
            .data_rates()
            .into_iter()
            .map(|(index, data_rate)| DataRateDescription {
                index,
                data_rate,
                max_payload: self.max_payload(index, DwellTime::NoLimit, false).ok(),
                max_payload_dwell: self.max_payload(index, DwellTime::Limit400Ms, false).ok(),
                max_payload_repeater: self.max_payload(index, DwellTime::NoLimit, true).ok(),
            })
            .collect();
        let rows = |rows: &[&[u8]]| rows.iter().map(|row| row.to_vec()).collect();
        let rx1_frequency = match table.rx1_frequency {
            Rx1FrequencyRule::SameAsUplink => Rx1FrequencyDescription::SameAsUplink,
            Rx1FrequencyRule::DownlinkChannels { groups } => {
                Rx1FrequencyDescription::DownlinkChannels {
                    frequencies_hz: expand_groups(groups)
                        .iter()
                        .map(|channel| channel.frequency_hz)
                        .collect(),
                }
            }
        };
        BandDescription {
            name: self.name.clone(),
            common_name: table.common_name.to_owned(),
            revision: table.revision,
            sub_band: self.sub_band,
            data_rates,
            rx1_data_rates: rows(table.rx1_dr),
            rx1_data_rates_dwell: table.rx1_dr_dwell.map(rows),
            rx1_frequency,
            rx2: self.rx2_params(),
            timing: self.timing(),
            channels: self.channels.clone(),
            enabled_channels: self.enabled_channels(),
            join_channels: self.join_channels(),
            cf_list: self.cf_list(),
            ch_mask_rule: table.ch_mask,
            supports_new_channel_req: self.supports_new_channel_req(),
            supports_dl_channel_req: self.supports_dl_channel_req(),
            channel_frequency_range_hz: self.channel_frequency_range(),
            frequency_step_hz: table.frequency_step_hz,
            default_max_eirp_dbm: table.default_max_eirp_dbm,
            tx_power_offsets_db: table.tx_power_offsets_db.to_vec(),
            supports_tx_param_setup: table.tx_param_setup,
            default_dwell_time: table.default_dwell,
            adr_data_rate_range: table.adr_data_rates,
            beacon: self.beacon_defaults(),
            duty_cycle_sub_bands: table.duty_cycle_sub_bands.to_vec(),
        }
    }
}
