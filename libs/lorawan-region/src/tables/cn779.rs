//! CN779-787, RP002-1.0.3 §2.6: RP002-1.0.4 no longer describes the band, so this table
//! keeps the last revision that does (The Things Stack `pkg/band/cn_779_787_rp2_v1_0_3.go`).

use super::{BandTable, BeaconTable, NO_DWELL, REPEATER_MAX_MAC_PAYLOAD, RX1_DR_DOWN_TO_DR0};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, fsk_50k, lora};
use crate::{ChMaskRule, Channel, DutyCycleSubBand, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.3 §2.6, data rate table with the maximum payload size table (M).
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

/// RP002-1.0.3 §2.6, the three default channels.
const DEFAULT_CHANNELS: [Channel; 3] = [
    Channel::new(779_500_000, 0, 5),
    Channel::new(779_700_000, 0, 5),
    Channel::new(779_900_000, 0, 5),
];

/// The other three join-request channels (the JoinReq channel list holds six).
const EXTRA_JOIN_CHANNELS: [Channel; 3] = [
    Channel::new(780_500_000, 0, 5),
    Channel::new(780_700_000, 0, 5),
    Channel::new(780_900_000, 0, 5),
];

/// "The end-device transmit duty-cycle SHOULD be lower than 1 %", EIRP below 12.15 dBm.
const SUB_BANDS: [DutyCycleSubBand; 1] = [DutyCycleSubBand {
    min_hz: 779_500_000,
    max_hz: 786_500_000,
    duty_cycle: 0.01,
    max_eirp_dbm: 12.15,
}];

/// RP002-1.0.3 §2.6 (CN779-787).
pub(crate) const CN779: BandTable = BandTable {
    id: "cn779",
    common_name: "CN779-787",
    revision: Revision::Rp002V1_0_3,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR_DOWN_TO_DR0,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (0, 5),
    // RP002-1.0.3 §2.6, TXPower table: 0 to 5.
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10],
    default_max_eirp_dbm: 12.15,
    plan: ChannelPlan::Dynamic {
        default_channels: &DEFAULT_CHANNELS,
        extra_join_channels: &EXTRA_JOIN_CHANNELS,
        min_hz: 779_500_000,
        max_hz: 786_500_000,
        max_channels: 16,
        cf_list_max_dr: 5,
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::Dynamic,
    // RP002-1.0.3 §2.6, receive windows: 786 MHz, DR0.
    rx2: RxWindow {
        frequency_hz: 786_000_000,
        data_rate: 0,
    },
    // RP002-1.0.3 §2.6, class B: 785 MHz, DR3.
    beacon: BeaconTable {
        data_rate: 3,
        frequencies: &[785_000_000],
        ping_slot_frequencies: &[785_000_000],
    },
    duty_cycle_sub_bands: &SUB_BANDS,
    tx_param_setup: false,
    default_dwell: NO_DWELL,
    frequency_step_hz: 100,
};
