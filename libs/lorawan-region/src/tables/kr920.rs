//! KR920-923, RP002-1.0.4 §2.11.

use super::{BandTable, BeaconTable, NO_DWELL, REPEATER_MAX_MAC_PAYLOAD, RX1_DR_DOWN_TO_DR0};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, lora};
use crate::{ChMaskRule, Channel, DutyCycleSubBand, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.11, data rate table with the maximum payload size table (M).
const DATA_RATES: [Option<DataRateEntry>; 6] = [
    Some(lora(12, 125_000, 59)),
    Some(lora(11, 125_000, 59)),
    Some(lora(10, 125_000, 59)),
    Some(lora(9, 125_000, 123)),
    Some(lora(8, 125_000, 250)),
    Some(lora(7, 125_000, 250)),
];

/// RP002-1.0.4 §2.11, RX1 data rate by uplink data rate and RX1DROffset 0 to 5.
const RX1_DR: [&[u8]; 6] = [
    RX1_DR_DOWN_TO_DR0[0],
    RX1_DR_DOWN_TO_DR0[1],
    RX1_DR_DOWN_TO_DR0[2],
    RX1_DR_DOWN_TO_DR0[3],
    RX1_DR_DOWN_TO_DR0[4],
    RX1_DR_DOWN_TO_DR0[5],
];

/// RP002-1.0.4 §2.11, the three default channels.
const DEFAULT_CHANNELS: [Channel; 3] = [
    Channel::new(922_100_000, 0, 5),
    Channel::new(922_300_000, 0, 5),
    Channel::new(922_500_000, 0, 5),
];

/// RP002-1.0.4 §2.11: below 922 MHz a device transmits at most 10 dBm EIRP; no duty cycle
/// (listen-before-talk instead).
const SUB_BANDS: [DutyCycleSubBand; 2] = [
    DutyCycleSubBand {
        min_hz: 920_900_000,
        max_hz: 921_900_000,
        duty_cycle: 1.0,
        max_eirp_dbm: 10.0,
    },
    DutyCycleSubBand {
        min_hz: 922_000_000,
        max_hz: 923_300_000,
        duty_cycle: 1.0,
        max_eirp_dbm: 14.0,
    },
];

/// RP002-1.0.4 §2.11 (KR920-923).
pub(crate) const KR920: BandTable = BandTable {
    id: "kr920",
    common_name: "KR920-923",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 5),
    // RP002-1.0.4 §2.11, TXPower table: 0 to 7.
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10, -12, -14],
    default_max_eirp_dbm: 14.0,
    plan: ChannelPlan::Dynamic {
        default_channels: &DEFAULT_CHANNELS,
        extra_join_channels: &[],
        min_hz: 920_900_000,
        max_hz: 923_300_000,
        max_channels: 16,
        cf_list_max_dr: 5,
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::Dynamic,
    // RP002-1.0.4 §2.11, receive windows: 921.9 MHz, DR0.
    rx2: RxWindow {
        frequency_hz: 921_900_000,
        data_rate: 0,
    },
    // RP002-1.0.4 §2.11, class B: 923.1 MHz, DR3.
    beacon: BeaconTable {
        data_rate: 3,
        frequencies: &[923_100_000],
        ping_slot_frequencies: &[923_100_000],
    },
    duty_cycle_sub_bands: &SUB_BANDS,
    tx_param_setup: false,
    default_dwell: NO_DWELL,
    frequency_step_hz: 100,
};
