//! AS923, RP002-1.0.4 §2.10: groups AS923-1 to AS923-4 share every table and differ by a
//! frequency offset of the default channels, RX2 and beacon (0, −1.8 MHz, −6.6 MHz,
//! −5.9 MHz).
//!
//! The RX1 data rate is `min(7, max(MinDR, DR − effective offset))`, effective offsets
//! 0, 1, 2, 3, 4, 5, −1, −2 for RX1DROffset 0 to 7 and MinDR 0, or 2 under a downlink dwell
//! time limit; the tables below spell it out as Semtech LoRaMac-node `RegionAS923.h` does.
//! Duty-cycle sub-bands are those The Things Stack `pkg/band/as_923.go` lists.

use super::{BandTable, BeaconTable, REPEATER_MAX_MAC_PAYLOAD, UPLINK_DWELL};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, fsk_50k, lora};
use crate::{ChMaskRule, Channel, DutyCycleSubBand, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.10, data rate table with the maximum payload size tables (M without and
/// with a 400 ms dwell time limit; 0 is "N/A").
const DATA_RATES: [Option<DataRateEntry>; 8] = [
    Some(lora(12, 125_000, 59).dwell(0)),
    Some(lora(11, 125_000, 59).dwell(0)),
    Some(lora(10, 125_000, 123).dwell(19)),
    Some(lora(9, 125_000, 123).dwell(61)),
    Some(lora(8, 125_000, 250).dwell(133)),
    Some(lora(7, 125_000, 250)),
    Some(lora(7, 250_000, 250)),
    Some(fsk_50k(250)),
];

/// RP002-1.0.4 §2.10, RX1 data rate with DownlinkDwellTime 0, RX1DROffset 0 to 7.
const RX1_DR: [&[u8]; 8] = [
    &[0, 0, 0, 0, 0, 0, 1, 2],
    &[1, 0, 0, 0, 0, 0, 2, 3],
    &[2, 1, 0, 0, 0, 0, 3, 4],
    &[3, 2, 1, 0, 0, 0, 4, 5],
    &[4, 3, 2, 1, 0, 0, 5, 6],
    &[5, 4, 3, 2, 1, 0, 6, 7],
    &[6, 5, 4, 3, 2, 1, 7, 7],
    &[7, 6, 5, 4, 3, 2, 7, 7],
];

/// RP002-1.0.4 §2.10, RX1 data rate with DownlinkDwellTime 1 (not below DR2).
const RX1_DR_DWELL: [&[u8]; 8] = [
    &[2, 2, 2, 2, 2, 2, 2, 2],
    &[2, 2, 2, 2, 2, 2, 2, 3],
    &[2, 2, 2, 2, 2, 2, 3, 4],
    &[3, 2, 2, 2, 2, 2, 4, 5],
    &[4, 3, 2, 2, 2, 2, 5, 6],
    &[5, 4, 3, 2, 2, 2, 6, 7],
    &[6, 5, 4, 3, 2, 2, 7, 7],
    &[7, 6, 5, 4, 3, 2, 7, 7],
];

/// Builds one AS923 group from its frequencies (RP002-1.0.4 §2.10: default channels
/// 923.2 and 923.4 MHz, RX2 923.2 MHz at DR2, beacon 923.4 MHz at DR3, before the group
/// offset).
const fn group(
    id: &'static str,
    common_name: &'static str,
    default_channels: &'static [Channel; 2],
    beacon: &'static [u32; 1],
    (min_hz, max_hz): (u32, u32),
    sub_bands: &'static [DutyCycleSubBand; 1],
) -> BandTable {
    BandTable {
        id,
        common_name,
        revision: Revision::Rp002V1_0_4,
        data_rates: &DATA_RATES,
        rx1_dr: &RX1_DR,
        rx1_dr_dwell: Some(&RX1_DR_DWELL),
        repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
        adr_data_rates: (0, 5),
        // RP002-1.0.4 §2.10, TXPower table: 0 to 7.
        tx_power_offsets_db: &[0, -2, -4, -6, -8, -10, -12, -14],
        default_max_eirp_dbm: 16.0,
        plan: ChannelPlan::Dynamic {
            default_channels,
            extra_join_channels: &[],
            min_hz,
            max_hz,
            max_channels: 16,
            cf_list_max_dr: 5,
        },
        rx1_frequency: Rx1FrequencyRule::SameAsUplink,
        ch_mask: ChMaskRule::Dynamic,
        rx2: RxWindow {
            frequency_hz: default_channels[0].frequency_hz,
            data_rate: 2,
        },
        beacon: BeaconTable {
            data_rate: 3,
            frequencies: beacon,
            ping_slot_frequencies: beacon,
        },
        duty_cycle_sub_bands: sub_bands,
        tx_param_setup: true,
        // A 400 ms uplink dwell time until TxParamSetupReq says otherwise, as LoRaMac-node's
        // `AS923_DEFAULT_UPLINK_DWELL_TIME`.
        default_dwell: UPLINK_DWELL,
        frequency_step_hz: 100,
    }
}

const fn channels(first_hz: u32) -> [Channel; 2] {
    [
        Channel::new(first_hz, 0, 5),
        Channel::new(first_hz + 200_000, 0, 5),
    ]
}

const fn one_percent(min_hz: u32, max_hz: u32) -> [DutyCycleSubBand; 1] {
    [DutyCycleSubBand {
        min_hz,
        max_hz,
        duty_cycle: 0.01,
        max_eirp_dbm: 16.0,
    }]
}

const AS923_1_CHANNELS: [Channel; 2] = channels(923_200_000);
const AS923_2_CHANNELS: [Channel; 2] = channels(921_400_000);
const AS923_3_CHANNELS: [Channel; 2] = channels(916_600_000);
const AS923_4_CHANNELS: [Channel; 2] = channels(917_300_000);
const AS923_1_SUB_BANDS: [DutyCycleSubBand; 1] = one_percent(923_000_000, 923_500_000);
const AS923_2_SUB_BANDS: [DutyCycleSubBand; 1] = one_percent(921_400_000, 922_000_000);
const AS923_3_SUB_BANDS: [DutyCycleSubBand; 1] = one_percent(916_500_000, 917_000_000);
const AS923_4_SUB_BANDS: [DutyCycleSubBand; 1] = one_percent(917_300_000, 917_500_000);

/// AS923-1: 923.2 and 923.4 MHz; channels anywhere in 915 to 928 MHz.
pub(crate) const AS923_1: BandTable = group(
    "as923_1",
    "AS923-1",
    &AS923_1_CHANNELS,
    &[923_400_000],
    (915_000_000, 928_000_000),
    &AS923_1_SUB_BANDS,
);

/// AS923-2: 921.4 and 921.6 MHz (offset −1.8 MHz); 920 to 923 MHz.
pub(crate) const AS923_2: BandTable = group(
    "as923_2",
    "AS923-2",
    &AS923_2_CHANNELS,
    &[921_600_000],
    (920_000_000, 923_000_000),
    &AS923_2_SUB_BANDS,
);

/// AS923-3: 916.6 and 916.8 MHz (offset −6.6 MHz); 915 to 921 MHz.
pub(crate) const AS923_3: BandTable = group(
    "as923_3",
    "AS923-3",
    &AS923_3_CHANNELS,
    &[916_800_000],
    (915_000_000, 921_000_000),
    &AS923_3_SUB_BANDS,
);

/// AS923-4: 917.3 and 917.5 MHz (offset −5.9 MHz); 917 to 920 MHz.
pub(crate) const AS923_4: BandTable = group(
    "as923_4",
    "AS923-4",
    &AS923_4_CHANNELS,
    &[917_500_000],
    (917_000_000, 920_000_000),
    &AS923_4_SUB_BANDS,
);
