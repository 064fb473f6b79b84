//! RU864-870, RP002-1.0.4 §2.13.

use super::{BandTable, BeaconTable, NO_DWELL, REPEATER_MAX_MAC_PAYLOAD, RX1_DR_DOWN_TO_DR0};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, fsk_50k, lora};
use crate::{ChMaskRule, Channel, DutyCycleSubBand, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.13, data rate table with the maximum payload size table (M).
const DATA_RATES: [Option<DataRateEntry>; 8] = [
    Some(lora(12, 125_000, 59)),
    Some(lora(11, 125_000, 59)),
    Some(lora(10, 125_000, 59)),
    Some(lora(9, 125_000, 123)),
    Some(lora(8, 125_000, 250)),
    Some(lora(7, 125_000, 250)),
    Some(lora(7, 250_000, 250)),
    Some(fsk_50k(250)),
];

/// RP002-1.0.4 §2.13, the two default channels.
const DEFAULT_CHANNELS: [Channel; 2] = [
    Channel::new(868_900_000, 0, 5),
    Channel::new(869_100_000, 0, 5),
];

/// 1 % duty cycle over the band, as The Things Stack `pkg/band/ru_864_870_rp2_v1_0_4.go`
/// and LoRaMac-node `RegionRU864.h`.
const SUB_BANDS: [DutyCycleSubBand; 1] = [DutyCycleSubBand {
    min_hz: 864_000_000,
    max_hz: 870_000_000,
    duty_cycle: 0.01,
    max_eirp_dbm: 22.15,
}];

/// RP002-1.0.4 §2.13 (RU864-870).
pub(crate) const RU864: BandTable = BandTable {
    id: "ru864",
    common_name: "RU864-870",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR_DOWN_TO_DR0,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 5),
    // RP002-1.0.4 §2.13, TXPower table: 0 to 7.
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10, -12, -14],
    default_max_eirp_dbm: 16.0,
    plan: ChannelPlan::Dynamic {
        default_channels: &DEFAULT_CHANNELS,
        extra_join_channels: &[],
        min_hz: 864_000_000,
        max_hz: 870_000_000,
        max_channels: 16,
        cf_list_max_dr: 5,
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::Dynamic,
    // RP002-1.0.4 §2.13, receive windows: 869.1 MHz, DR0.
    rx2: RxWindow {
        frequency_hz: 869_100_000,
        data_rate: 0,
    },
    // RP002-1.0.4 §2.13, class B: beacon on 869.1 MHz, ping slots on 868.9 MHz, DR3.
    beacon: BeaconTable {
        data_rate: 3,
        frequencies: &[869_100_000],
        ping_slot_frequencies: &[868_900_000],
    },
    duty_cycle_sub_bands: &SUB_BANDS,
    tx_param_setup: false,
    default_dwell: NO_DWELL,
    frequency_step_hz: 100,
};
