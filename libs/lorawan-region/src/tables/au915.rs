//! AU915-928, RP002-1.0.4 §2.8: the US902-928 channel layout from 915.2 MHz, with a 400 ms
//! uplink dwell time by default and TxParamSetupReq.

use super::us915::{BEACON_FREQUENCIES, DOWNLINK_GROUPS};
use super::{BandTable, BeaconTable, REPEATER_MAX_MAC_PAYLOAD, UPLINK_DWELL};
use crate::channel::{ChannelPlan, SubBands};
use crate::data_rate::{DataRateEntry, LrFhssCodingRate::*, lora, lr_fhss};
use crate::{ChMaskRule, ChannelGroup, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.8, data rate table with the maximum payload size tables (M without and
/// with the 400 ms uplink dwell time). DR8 to DR13 are downlink-only.
const DATA_RATES: [Option<DataRateEntry>; 14] = [
    Some(lora(12, 125_000, 59).dwell(0).uplink_only()),
    Some(lora(11, 125_000, 59).dwell(0).uplink_only()),
    Some(lora(10, 125_000, 59).dwell(19).uplink_only()),
    Some(lora(9, 125_000, 123).dwell(61).uplink_only()),
    Some(lora(8, 125_000, 250).dwell(133).uplink_only()),
    Some(lora(7, 125_000, 250).uplink_only()),
    Some(lora(8, 500_000, 250).uplink_only()),
    Some(lr_fhss(1_523_000, Cr1_3, 58)),
    Some(lora(12, 500_000, 61).downlink_only()),
    Some(lora(11, 500_000, 137).downlink_only()),
    Some(lora(10, 500_000, 250).downlink_only()),
    Some(lora(9, 500_000, 250).downlink_only()),
    Some(lora(8, 500_000, 250).downlink_only()),
    Some(lora(7, 500_000, 250).downlink_only()),
];

/// RP002-1.0.4 §2.8, RX1 data rate by uplink data rate and RX1DROffset 0 to 5.
const RX1_DR: [&[u8]; 8] = [
    &[8, 8, 8, 8, 8, 8],
    &[9, 8, 8, 8, 8, 8],
    &[10, 9, 8, 8, 8, 8],
    &[11, 10, 9, 8, 8, 8],
    &[12, 11, 10, 9, 8, 8],
    &[13, 12, 11, 10, 9, 8],
    &[13, 13, 12, 11, 10, 9],
    &[9, 8, 8, 8, 8, 8],
];

/// RP002-1.0.4 §2.8, uplink channels: 0 to 63 from 915.2 MHz in 200 kHz steps (DR0 to DR5),
/// 64 to 71 from 915.9 MHz in 1.6 MHz steps (DR6 to DR7).
const UPLINK_GROUPS: [ChannelGroup; 2] = [
    ChannelGroup {
        first_hz: 915_200_000,
        step_hz: 200_000,
        count: 64,
        min_dr: 0,
        max_dr: 5,
    },
    ChannelGroup {
        first_hz: 915_900_000,
        step_hz: 1_600_000,
        count: 8,
        min_dr: 6,
        max_dr: 7,
    },
];

/// RP002-1.0.4 §2.8 (AU915-928).
pub(crate) const AU915: BandTable = BandTable {
    id: "au915",
    common_name: "AU915-928",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 5),
    // RP002-1.0.4 §2.8, TXPower table: 0 to 14.
    tx_power_offsets_db: &[
        0, -2, -4, -6, -8, -10, -12, -14, -16, -18, -20, -22, -24, -26, -28,
    ],
    default_max_eirp_dbm: 30.0,
    plan: ChannelPlan::Fixed {
        groups: &UPLINK_GROUPS,
        sub_bands: SubBands {
            count: 8,
            first_wide: Some(64),
        },
        join_channels: &[],
    },
    rx1_frequency: Rx1FrequencyRule::DownlinkChannels {
        groups: &DOWNLINK_GROUPS,
    },
    ch_mask: ChMaskRule::Fixed64Plus8,
    // RP002-1.0.4 §2.8, receive windows: 923.3 MHz, DR8.
    rx2: RxWindow {
        frequency_hz: 923_300_000,
        data_rate: 8,
    },
    beacon: BeaconTable {
        data_rate: 8,
        frequencies: &BEACON_FREQUENCIES,
        ping_slot_frequencies: &BEACON_FREQUENCIES,
    },
    duty_cycle_sub_bands: &[],
    tx_param_setup: true,
    default_dwell: UPLINK_DWELL,
    frequency_step_hz: 100,
};
