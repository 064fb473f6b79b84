//! EU863-870, RP002-1.0.4 §2.4.
//!
//! Duty-cycle sub-bands follow ETSI EN 300 220-2 V3.1.1 as The Things Stack lists them
//! (`pkg/band/eu_863_870_rp2_v1_0_4.go`), EIRP being ERP + 2.15 dB.

use super::{BandTable, BeaconTable, NO_DWELL, REPEATER_MAX_MAC_PAYLOAD, RX1_DR_DOWN_TO_DR0};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, LrFhssCodingRate::*, fsk_50k, lora, lr_fhss};
use crate::{ChMaskRule, Channel, DutyCycleSubBand, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.4, data rate table with the maximum payload size table (M).
const DATA_RATES: [Option<DataRateEntry>; 12] = [
    Some(lora(12, 125_000, 59)),
    Some(lora(11, 125_000, 59)),
    Some(lora(10, 125_000, 59)),
    Some(lora(9, 125_000, 123)),
    Some(lora(8, 125_000, 250)),
    Some(lora(7, 125_000, 250)),
    Some(lora(7, 250_000, 250)),
    Some(fsk_50k(250)),
    Some(lr_fhss(137_000, Cr1_3, 58)),
    Some(lr_fhss(137_000, Cr2_3, 123)),
    Some(lr_fhss(336_000, Cr1_3, 58)),
    Some(lr_fhss(336_000, Cr2_3, 123)),
];

/// RP002-1.0.4 §2.4, RX1 data rate by uplink data rate and RX1DROffset 0 to 5.
const RX1_DR: [&[u8]; 12] = [
    RX1_DR_DOWN_TO_DR0[0],
    RX1_DR_DOWN_TO_DR0[1],
    RX1_DR_DOWN_TO_DR0[2],
    RX1_DR_DOWN_TO_DR0[3],
    RX1_DR_DOWN_TO_DR0[4],
    RX1_DR_DOWN_TO_DR0[5],
    RX1_DR_DOWN_TO_DR0[6],
    RX1_DR_DOWN_TO_DR0[7],
    &[1, 0, 0, 0, 0, 0],
    &[2, 1, 0, 0, 0, 0],
    &[1, 0, 0, 0, 0, 0],
    &[2, 1, 0, 0, 0, 0],
];

/// RP002-1.0.4 §2.4, the three default channels.
const DEFAULT_CHANNELS: [Channel; 3] = [
    Channel::new(868_100_000, 0, 5),
    Channel::new(868_300_000, 0, 5),
    Channel::new(868_500_000, 0, 5),
];

/// ETSI EN 300 220-2 sub-bands K, L, M, N, P and R.
const SUB_BANDS: [DutyCycleSubBand; 6] = [
    sub_band(863_000_000, 865_000_000, 0.001, 16.15),
    sub_band(865_000_000, 868_000_000, 0.01, 16.15),
    sub_band(868_000_000, 868_600_000, 0.01, 16.15),
    sub_band(868_700_000, 869_200_000, 0.001, 16.15),
    sub_band(869_400_000, 869_650_000, 0.1, 29.15),
    sub_band(869_700_000, 870_000_000, 0.01, 16.15),
];

const fn sub_band(
    min_hz: u32,
    max_hz: u32,
    duty_cycle: f32,
    max_eirp_dbm: f32,
) -> DutyCycleSubBand {
    DutyCycleSubBand {
        min_hz,
        max_hz,
        duty_cycle,
        max_eirp_dbm,
    }
}

/// RP002-1.0.4 §2.4 (EU863-870).
pub(crate) const EU868: BandTable = BandTable {
    id: "eu868",
    common_name: "EU863-870",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 5),
    // RP002-1.0.4 §2.4, TXPower table: 0 to 7.
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10, -12, -14],
    default_max_eirp_dbm: 16.0,
    plan: ChannelPlan::Dynamic {
        default_channels: &DEFAULT_CHANNELS,
        extra_join_channels: &[],
        min_hz: 863_000_000,
        max_hz: 870_000_000,
        max_channels: 16,
        cf_list_max_dr: 5,
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::Dynamic,
    // RP002-1.0.4 §2.4, receive windows: 869.525 MHz, DR0.
    rx2: RxWindow {
        frequency_hz: 869_525_000,
        data_rate: 0,
    },
    // RP002-1.0.4 §2.4, class B beacon and ping slot: 869.525 MHz, DR3.
    beacon: BeaconTable {
        data_rate: 3,
        frequencies: &[869_525_000],
        ping_slot_frequencies: &[869_525_000],
    },
    duty_cycle_sub_bands: &SUB_BANDS,
    tx_param_setup: false,
    default_dwell: NO_DWELL,
    frequency_step_hz: 100,
};
