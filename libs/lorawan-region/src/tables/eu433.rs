//! EU433, RP002-1.0.4 §2.7.
//!
//! No duty-cycle sub-band is listed: The Things Stack (10 %) and LoRaMac-node (1 %)
//! disagree, and RP002 leaves it to the regulations.

use super::{BandTable, BeaconTable, NO_DWELL, REPEATER_MAX_MAC_PAYLOAD, RX1_DR_DOWN_TO_DR0};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, fsk_50k, lora};
use crate::{ChMaskRule, Channel, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.7, data rate table with the maximum payload size table (M).
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

/// RP002-1.0.4 §2.7, the three default channels.
const DEFAULT_CHANNELS: [Channel; 3] = [
    Channel::new(433_175_000, 0, 5),
    Channel::new(433_375_000, 0, 5),
    Channel::new(433_575_000, 0, 5),
];

/// RP002-1.0.4 §2.7 (EU433).
pub(crate) const EU433: BandTable = BandTable {
    id: "eu433",
    common_name: "EU433",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR_DOWN_TO_DR0,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 5),
    // RP002-1.0.4 §2.7, TXPower table: 0 to 5.
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10],
    default_max_eirp_dbm: 12.15,
    plan: ChannelPlan::Dynamic {
        default_channels: &DEFAULT_CHANNELS,
        extra_join_channels: &[],
        min_hz: 433_175_000,
        max_hz: 434_665_000,
        max_channels: 16,
        cf_list_max_dr: 5,
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::Dynamic,
    // RP002-1.0.4 §2.7, receive windows: 434.665 MHz, DR0.
    rx2: RxWindow {
        frequency_hz: 434_665_000,
        data_rate: 0,
    },
    // RP002-1.0.4 §2.7, class B: 434.665 MHz, DR3 (LoRaMac-node and ChirpStack; The Things
    // Stack has 434.655 MHz).
    beacon: BeaconTable {
        data_rate: 3,
        frequencies: &[434_665_000],
        ping_slot_frequencies: &[434_665_000],
    },
    duty_cycle_sub_bands: &[],
    tx_param_setup: false,
    default_dwell: NO_DWELL,
    frequency_step_hz: 100,
};
