//! IN865-867, RP002-1.0.4 §2.12.
//!
//! The RX1 data rate table is the specification's, irregular rows included (DR5 with
//! RX1DROffset 7 gives DR7, DR7 with offset 1 gives DR5), as Semtech LoRaMac-node
//! `RegionIN865.h` copies it. The TXPower table stops at 10, as The Things Stack and
//! LoRaMac-node have it for RP002-1.0.4.

use super::{BandTable, BeaconTable, NO_DWELL, REPEATER_MAX_MAC_PAYLOAD};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, fsk_50k, lora};
use crate::{ChMaskRule, Channel, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.12, data rate table with the maximum payload size table (M); DR6 is RFU.
const DATA_RATES: [Option<DataRateEntry>; 8] = [
    Some(lora(12, 125_000, 59)),
    Some(lora(11, 125_000, 59)),
    Some(lora(10, 125_000, 59)),
    Some(lora(9, 125_000, 123)),
    Some(lora(8, 125_000, 250)),
    Some(lora(7, 125_000, 250)),
    None,
    Some(fsk_50k(250)),
];

/// RP002-1.0.4 §2.12, RX1 data rate by uplink data rate and RX1DROffset 0 to 7.
const RX1_DR: [&[u8]; 8] = [
    &[0, 0, 0, 0, 0, 0, 1, 2],
    &[1, 0, 0, 0, 0, 0, 2, 3],
    &[2, 1, 0, 0, 0, 0, 3, 4],
    &[3, 2, 1, 0, 0, 0, 4, 5],
    &[4, 3, 2, 1, 0, 0, 5, 5],
    &[5, 4, 3, 2, 1, 0, 5, 7],
    &[],
    &[7, 5, 5, 4, 3, 2, 7, 7],
];

/// RP002-1.0.4 §2.12, the three default channels.
const DEFAULT_CHANNELS: [Channel; 3] = [
    Channel::new(865_062_500, 0, 5),
    Channel::new(865_402_500, 0, 5),
    Channel::new(865_985_000, 0, 5),
];

/// RP002-1.0.4 §2.12 (IN865-867).
pub(crate) const IN865: BandTable = BandTable {
    id: "in865",
    common_name: "IN865-867",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 5),
    // RP002-1.0.4 §2.12, TXPower table: 0 to 10.
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10, -12, -14, -16, -18, -20],
    default_max_eirp_dbm: 30.0,
    plan: ChannelPlan::Dynamic {
        default_channels: &DEFAULT_CHANNELS,
        extra_join_channels: &[],
        min_hz: 865_000_000,
        max_hz: 867_000_000,
        max_channels: 16,
        cf_list_max_dr: 5,
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::Dynamic,
    // RP002-1.0.4 §2.12, receive windows: 866.550 MHz, DR2.
    rx2: RxWindow {
        frequency_hz: 866_550_000,
        data_rate: 2,
    },
    // RP002-1.0.4 §2.12, class B: 866.550 MHz, DR4 (LoRaMac-node and ChirpStack; The Things
    // Stack has 866.5 MHz).
    beacon: BeaconTable {
        data_rate: 4,
        frequencies: &[866_550_000],
        ping_slot_frequencies: &[866_550_000],
    },
    duty_cycle_sub_bands: &[],
    tx_param_setup: false,
    default_dwell: NO_DWELL,
    frequency_step_hz: 100,
};
