//! ISM2400: LoRa in the 2.4 GHz ISM band, from Semtech's LoRaWAN 2.4 GHz parameters (the
//! LoRa Alliance RP002 does not cover it), as ChirpStack `lrwn/src/region/ism2400.rs` and
//! The Things Stack `pkg/band/ism_2400_universal.go` encode them.
//!
//! Frequencies in the CFList and the channel MAC commands count in 200 Hz units here, not
//! 100 Hz. The largest MACPayload is 248 bytes (228 through a repeater), as ChirpStack has
//! it; The Things Stack uses 250.

use super::{BandTable, BeaconTable, NO_DWELL, RX1_DR_DOWN_TO_DR0};
use crate::channel::ChannelPlan;
use crate::data_rate::{DataRateEntry, lora_2g4};
use crate::{ChMaskRule, Channel, Revision, Rx1FrequencyRule, RxWindow};

/// Data rates DR0 (SF12) to DR7 (SF5), 812 kHz, CR 4/8 with long interleaving.
const DATA_RATES: [Option<DataRateEntry>; 8] = [
    Some(lora_2g4(12, 59)),
    Some(lora_2g4(11, 123)),
    Some(lora_2g4(10, 248)),
    Some(lora_2g4(9, 248)),
    Some(lora_2g4(8, 248)),
    Some(lora_2g4(7, 248)),
    Some(lora_2g4(6, 248)),
    Some(lora_2g4(5, 248)),
];

/// The three default channels, DR0 to DR7.
const DEFAULT_CHANNELS: [Channel; 3] = [
    Channel::new(2_403_000_000, 0, 7),
    Channel::new(2_425_000_000, 0, 7),
    Channel::new(2_479_000_000, 0, 7),
];

/// The 2.4 GHz band.
pub(crate) const ISM2400: BandTable = BandTable {
    id: "ism2400",
    common_name: "ISM2400",
    revision: Revision::Ism2400,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR_DOWN_TO_DR0,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: 228,
    adr_data_rates: (0, 7),
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10, -12, -14],
    default_max_eirp_dbm: 10.0,
    plan: ChannelPlan::Dynamic {
        default_channels: &DEFAULT_CHANNELS,
        extra_join_channels: &[],
        min_hz: 2_400_000_000,
        max_hz: 2_500_000_000,
        max_channels: 16,
        cf_list_max_dr: 7,
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::Dynamic,
    rx2: RxWindow {
        frequency_hz: 2_423_000_000,
        data_rate: 0,
    },
    beacon: BeaconTable {
        data_rate: 3,
        frequencies: &[2_424_000_000],
        ping_slot_frequencies: &[2_424_000_000],
    },
    duty_cycle_sub_bands: &[],
    // ChirpStack implements TxParamSetupReq here; The Things Stack does not.
    tx_param_setup: true,
    default_dwell: NO_DWELL,
    frequency_step_hz: 200,
};
