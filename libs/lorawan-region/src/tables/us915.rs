//! US902-928, RP002-1.0.4 §2.5: 64 narrow and 8 wide uplink channels, 8 downlink channels.

use super::{BandTable, BeaconTable, REPEATER_MAX_MAC_PAYLOAD, UPLINK_DWELL};
use crate::channel::{ChannelPlan, SubBands};
use crate::data_rate::{DataRateEntry, LrFhssCodingRate::*, lora, lr_fhss};
use crate::{ChMaskRule, ChannelGroup, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.5, data rate table with the maximum payload size table (M). DR0 to DR6
/// are uplink-only, DR8 to DR13 downlink-only, DR7 is RFU.
const DATA_RATES: [Option<DataRateEntry>; 14] = [
    Some(lora(10, 125_000, 19).uplink_only()),
    Some(lora(9, 125_000, 61).uplink_only()),
    Some(lora(8, 125_000, 133).uplink_only()),
    Some(lora(7, 125_000, 250).uplink_only()),
    Some(lora(8, 500_000, 250).uplink_only()),
    Some(lr_fhss(1_523_000, Cr1_3, 58)),
    Some(lr_fhss(1_523_000, Cr2_3, 133)),
    None,
    Some(lora(12, 500_000, 61).downlink_only()),
    Some(lora(11, 500_000, 137).downlink_only()),
    Some(lora(10, 500_000, 250).downlink_only()),
    Some(lora(9, 500_000, 250).downlink_only()),
    Some(lora(8, 500_000, 250).downlink_only()),
    Some(lora(7, 500_000, 250).downlink_only()),
];

/// RP002-1.0.4 §2.5, RX1 data rate by uplink data rate and RX1DROffset 0 to 3.
const RX1_DR: [&[u8]; 7] = [
    &[10, 9, 8, 8],
    &[11, 10, 9, 8],
    &[12, 11, 10, 9],
    &[13, 12, 11, 10],
    &[13, 13, 12, 11],
    &[10, 9, 8, 8],
    &[11, 10, 9, 8],
];

/// RP002-1.0.4 §2.5, uplink channels: 0 to 63 from 902.3 MHz in 200 kHz steps (DR0 to DR3),
/// 64 to 71 from 903.0 MHz in 1.6 MHz steps (DR4 to DR6).
pub(super) const UPLINK_GROUPS: [ChannelGroup; 2] = [
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
        max_dr: 6,
    },
];

/// RP002-1.0.4 §2.5, downlink channels 0 to 7 from 923.3 MHz in 600 kHz steps (DR8 to DR13);
/// shared with AU915-928.
pub(super) const DOWNLINK_GROUPS: [ChannelGroup; 1] = [ChannelGroup {
    first_hz: 923_300_000,
    step_hz: 600_000,
    count: 8,
    min_dr: 8,
    max_dr: 13,
}];

/// RP002-1.0.4 §2.5, class B: the beacon and ping slots hop over the eight downlink
/// channels; shared with AU915-928.
pub(super) const BEACON_FREQUENCIES: [u32; 8] = [
    923_300_000,
    923_900_000,
    924_500_000,
    925_100_000,
    925_700_000,
    926_300_000,
    926_900_000,
    927_500_000,
];

/// RP002-1.0.4 §2.5 (US902-928).
pub(crate) const US915: BandTable = BandTable {
    id: "us915",
    common_name: "US902-928",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 3),
    // RP002-1.0.4 §2.5, TXPower table: 0 to 14, 30 dBm − 2 dB × TXPower.
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
    // RP002-1.0.4 §2.5, receive windows: 923.3 MHz, DR8.
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
    tx_param_setup: false,
    // FCC 400 ms dwell time on uplinks, as The Things Stack's boot dwell time; the payload
    // table already respects it.
    default_dwell: UPLINK_DWELL,
    frequency_step_hz: 100,
};
