//! CN470-510, RP002-1.0.4 §2.9: four channel plans, for 20 MHz and 26 MHz antennas, type A
//! and type B. A device finds its plan by the common join channel its join-accept answers.
//!
//! The three network-server references disagree here; this file follows the two that agree:
//! RX2 and the RX1 floor use DR1 (Semtech LoRaMac-node `RegionCN470.h`, Azure
//! iotedge-lorawan-starterkit `RegionCN470RP2.cs`), DR3 allows M = 192 (both, and
//! ChirpStack; The Things Stack has 172), and the join-accept of a common join channel goes
//! out on the frequency LoRaMac-node's `CN470_COMMON_JOIN_CHANNELS` gives (the 26 MHz plans
//! answer on the RX2 frequency, not by the RX1 rule).

use super::{BandTable, BeaconTable, NO_DWELL, REPEATER_MAX_MAC_PAYLOAD};
use crate::channel::{ChannelPlan, SubBands};
use crate::data_rate::{DataRateEntry, fsk_50k, lora};
use crate::{ChMaskRule, ChannelGroup, JoinChannel, Revision, Rx1FrequencyRule, RxWindow};

/// RP002-1.0.4 §2.9, data rate table with the maximum payload size table (M). DR0 (SF12)
/// carries no payload ("N/A"), so no direction may use it.
const DATA_RATES: [Option<DataRateEntry>; 8] = [
    Some(lora(12, 125_000, 0).unusable()),
    Some(lora(11, 125_000, 31)),
    Some(lora(10, 125_000, 94)),
    Some(lora(9, 125_000, 192)),
    Some(lora(8, 125_000, 250)),
    Some(lora(7, 125_000, 250)),
    Some(lora(7, 500_000, 250)),
    Some(fsk_50k(250)),
];

/// RP002-1.0.4 §2.9, RX1 data rate by uplink data rate and RX1DROffset 0 to 5 (not below
/// DR1).
const RX1_DR: [&[u8]; 8] = [
    &[],
    &[1, 1, 1, 1, 1, 1],
    &[2, 1, 1, 1, 1, 1],
    &[3, 2, 1, 1, 1, 1],
    &[4, 3, 2, 1, 1, 1],
    &[5, 4, 3, 2, 1, 1],
    &[6, 5, 4, 3, 2, 1],
    &[7, 6, 5, 4, 3, 2],
];

const fn group(first_hz: u32, count: u16) -> ChannelGroup {
    ChannelGroup {
        first_hz,
        step_hz: 200_000,
        count,
        min_dr: 1,
        max_dr: 5,
    }
}

const fn join(
    frequency_hz: u32,
    join_accept_frequency_hz: u32,
    rx2_frequency_hz: Option<u32>,
) -> JoinChannel {
    JoinChannel {
        frequency_hz,
        min_dr: 1,
        max_dr: 5,
        join_accept_frequency_hz: Some(join_accept_frequency_hz),
        rx2_frequency_hz,
    }
}

/// Fields every CN470-510 plan shares.
const BASE: BandTable = BandTable {
    id: "",
    common_name: "",
    revision: Revision::Rp002V1_0_4,
    data_rates: &DATA_RATES,
    rx1_dr: &RX1_DR,
    rx1_dr_dwell: None,
    repeater_max_mac_payload: REPEATER_MAX_MAC_PAYLOAD,
    adr_data_rates: (1, 5),
    // RP002-1.0.4 §2.9, TXPower table: 0 to 7.
    tx_power_offsets_db: &[0, -2, -4, -6, -8, -10, -12, -14],
    default_max_eirp_dbm: 19.15,
    plan: ChannelPlan::Fixed {
        groups: &[],
        sub_bands: SubBands {
            count: 0,
            first_wide: None,
        },
        join_channels: &[],
    },
    rx1_frequency: Rx1FrequencyRule::SameAsUplink,
    ch_mask: ChMaskRule::FixedBlocks {
        blocks: 4,
        all_on: 6,
        all_off: 7,
    },
    rx2: RxWindow {
        frequency_hz: 0,
        data_rate: 1,
    },
    // RP002-1.0.4 §2.9, class B: DR2. The 20 MHz plans derive the beacon channel from the
    // device's join channel, which a band table cannot know; they list no frequency.
    beacon: BeaconTable {
        data_rate: 2,
        frequencies: &[],
        ping_slot_frequencies: &[],
    },
    duty_cycle_sub_bands: &[],
    tx_param_setup: false,
    default_dwell: NO_DWELL,
    frequency_step_hz: 100,
};

/// 20 MHz antenna, type A: uplink 470.3 MHz + 200 kHz n (channels 0 to 31) and
/// 503.5 MHz + 200 kHz n (32 to 63); RX1 on 483.9 MHz + 200 kHz n and 490.3 MHz + 200 kHz n.
pub(crate) const CN470_20A: BandTable = BandTable {
    id: "cn470_20a",
    common_name: "CN470-510 (20 MHz antenna, type A)",
    plan: ChannelPlan::Fixed {
        groups: &[group(470_300_000, 32), group(503_500_000, 32)],
        sub_bands: SubBands {
            count: 8,
            first_wide: None,
        },
        join_channels: &[
            (3, join(470_900_000, 484_500_000, Some(485_300_000))),
            (11, join(472_500_000, 486_100_000, Some(486_900_000))),
            (19, join(474_100_000, 487_700_000, Some(488_500_000))),
            (27, join(475_700_000, 489_300_000, Some(490_100_000))),
            (35, join(504_100_000, 490_900_000, Some(491_700_000))),
            (43, join(505_700_000, 492_500_000, Some(493_300_000))),
            (51, join(507_300_000, 494_100_000, Some(494_900_000))),
            (59, join(508_900_000, 495_700_000, Some(496_500_000))),
        ],
    },
    rx1_frequency: Rx1FrequencyRule::DownlinkChannels {
        groups: &[group(483_900_000, 32), group(490_300_000, 32)],
    },
    // RX2 of an ABP device; after a join the join channel decides (see `join_channels`).
    rx2: RxWindow {
        frequency_hz: 486_900_000,
        data_rate: 1,
    },
    ..BASE
};

/// 20 MHz antenna, type B: uplink and RX1 on 476.9 MHz + 200 kHz n (channels 0 to 31) and
/// 496.9 MHz + 200 kHz n (32 to 63).
pub(crate) const CN470_20B: BandTable = BandTable {
    id: "cn470_20b",
    common_name: "CN470-510 (20 MHz antenna, type B)",
    plan: ChannelPlan::Fixed {
        groups: &[group(476_900_000, 32), group(496_900_000, 32)],
        sub_bands: SubBands {
            count: 8,
            first_wide: None,
        },
        join_channels: &[
            (15, join(479_900_000, 479_900_000, Some(478_300_000))),
            (47, join(499_900_000, 499_900_000, Some(498_300_000))),
        ],
    },
    rx1_frequency: Rx1FrequencyRule::DownlinkChannels {
        groups: &[group(476_900_000, 32), group(496_900_000, 32)],
    },
    rx2: RxWindow {
        frequency_hz: 498_300_000,
        data_rate: 1,
    },
    ..BASE
};

/// 26 MHz antenna, type A: uplink 470.3 MHz + 200 kHz n (channels 0 to 47); RX1 on
/// 490.1 MHz + 200 kHz (n mod 24).
pub(crate) const CN470_26A: BandTable = BandTable {
    id: "cn470_26a",
    common_name: "CN470-510 (26 MHz antenna, type A)",
    plan: ChannelPlan::Fixed {
        groups: &[group(470_300_000, 48)],
        sub_bands: SubBands {
            count: 6,
            first_wide: None,
        },
        join_channels: &[
            (0, join(470_300_000, 492_500_000, None)),
            (10, join(472_300_000, 492_500_000, None)),
            (20, join(474_300_000, 492_500_000, None)),
            (30, join(476_300_000, 492_500_000, None)),
            (40, join(478_300_000, 492_500_000, None)),
        ],
    },
    rx1_frequency: Rx1FrequencyRule::DownlinkChannels {
        groups: &[group(490_100_000, 24)],
    },
    ch_mask: ChMaskRule::FixedBlocks {
        blocks: 3,
        all_on: 3,
        all_off: 4,
    },
    rx2: RxWindow {
        frequency_hz: 492_500_000,
        data_rate: 1,
    },
    beacon: BeaconTable {
        data_rate: 2,
        frequencies: &[494_900_000],
        ping_slot_frequencies: &[494_900_000],
    },
    ..BASE
};

/// 26 MHz antenna, type B: uplink 480.3 MHz + 200 kHz n (channels 0 to 47); RX1 on
/// 500.1 MHz + 200 kHz (n mod 24).
pub(crate) const CN470_26B: BandTable = BandTable {
    id: "cn470_26b",
    common_name: "CN470-510 (26 MHz antenna, type B)",
    plan: ChannelPlan::Fixed {
        groups: &[group(480_300_000, 48)],
        sub_bands: SubBands {
            count: 6,
            first_wide: None,
        },
        join_channels: &[
            (0, join(480_300_000, 502_500_000, None)),
            (10, join(482_300_000, 502_500_000, None)),
            (20, join(484_300_000, 502_500_000, None)),
            (30, join(486_300_000, 502_500_000, None)),
            (40, join(488_300_000, 502_500_000, None)),
        ],
    },
    rx1_frequency: Rx1FrequencyRule::DownlinkChannels {
        groups: &[group(500_100_000, 24)],
    },
    ch_mask: ChMaskRule::FixedBlocks {
        blocks: 3,
        all_on: 3,
        all_off: 4,
    },
    rx2: RxWindow {
        frequency_hz: 502_500_000,
        data_rate: 1,
    },
    beacon: BeaconTable {
        data_rate: 2,
        frequencies: &[504_900_000],
        ping_slot_frequencies: &[504_900_000],
    },
    ..BASE
};
