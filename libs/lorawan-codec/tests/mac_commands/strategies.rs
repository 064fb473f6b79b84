//! Proptest strategies producing every MAC command with valid field values, per direction, and
//! command streams that decode back to themselves.

use lorawan_codec::*;
use proptest::prelude::*;

/// CIDs known in both directions (LoRaWAN 1.0.4 §5 Table 14, 1.1 §5, §14, §18).
const SHARED_CIDS: [u8; 18] = [
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0f, 0x10, 0x11,
    0x12, 0x13,
];

/// Tells whether `cid` names a command in `direction`.
pub fn is_known(cid: u8, direction: Direction) -> bool {
    SHARED_CIDS.contains(&cid) || cid == 0x20 || (cid == 0x0e && direction == Direction::Downlink)
}

fn nibble() -> impl Strategy<Value = u8> {
    0u8..=15
}

fn three_bits() -> impl Strategy<Value = u8> {
    0u8..=7
}

fn frequency_hz() -> impl Strategy<Value = u32> {
    (0u32..=0x00ff_ffff).prop_map(|steps| steps * 100)
}

fn dwell_time() -> impl Strategy<Value = DwellTime> {
    prop_oneof![Just(DwellTime::NoLimit), Just(DwellTime::Limit400Ms)]
}

fn class() -> impl Strategy<Value = DeviceModeClass> {
    prop_oneof![
        Just(DeviceModeClass::ClassA),
        Just(DeviceModeClass::ClassC),
        any::<u8>()
            .prop_filter("0 and 2 are named classes", |value| *value != 0
                && *value != 2)
            .prop_map(DeviceModeClass::Rfu),
    ]
}

/// Every uplink command with valid fields.
pub fn uplink_command() -> BoxedStrategy<MacCommand> {
    let with_payload = prop_oneof![
        nibble().prop_map(|dev_lorawan_minor| MacCommand::ResetInd(ResetIndPayload {
            dev_lorawan_minor
        })),
        any::<[bool; 3]>().prop_map(|[a, b, c]| MacCommand::LinkAdrAns(LinkAdrAnsPayload {
            channel_mask_ack: a,
            data_rate_ack: b,
            power_ack: c,
        })),
        any::<[bool; 3]>().prop_map(|[a, b, c]| MacCommand::RxParamSetupAns(
            RxParamSetupAnsPayload {
                channel_ack: a,
                rx2_data_rate_ack: b,
                rx1_dr_offset_ack: c,
            }
        )),
        (any::<u8>(), -32i8..=31).prop_map(|(battery, margin)| MacCommand::DevStatusAns(
            DevStatusAnsPayload { battery, margin }
        )),
        any::<[bool; 2]>().prop_map(|[a, b]| MacCommand::NewChannelAns(NewChannelAnsPayload {
            channel_frequency_ok: a,
            data_rate_range_ok: b,
        })),
        any::<[bool; 2]>().prop_map(|[a, b]| MacCommand::DlChannelAns(DlChannelAnsPayload {
            channel_frequency_ok: a,
            uplink_frequency_exists: b,
        })),
        nibble().prop_map(|dev_lorawan_minor| MacCommand::RekeyInd(RekeyIndPayload {
            dev_lorawan_minor
        })),
        any::<bool>().prop_map(|time_ok| MacCommand::RejoinParamSetupAns(
            RejoinParamSetupAnsPayload { time_ok }
        )),
        three_bits().prop_map(
            |periodicity| MacCommand::PingSlotInfoReq(PingSlotInfoReqPayload { periodicity })
        ),
        any::<[bool; 2]>().prop_map(|[a, b]| MacCommand::PingSlotChannelAns(
            PingSlotChannelAnsPayload {
                channel_frequency_ok: a,
                data_rate_ok: b,
            }
        )),
        any::<bool>().prop_map(|beacon_frequency_ok| MacCommand::BeaconFreqAns(
            BeaconFreqAnsPayload {
                beacon_frequency_ok
            }
        )),
        class().prop_map(|class| MacCommand::DeviceModeInd(DeviceModeIndPayload { class })),
    ];
    let without_payload = prop_oneof![
        Just(MacCommand::LinkCheckReq),
        Just(MacCommand::DutyCycleAns),
        Just(MacCommand::RxTimingSetupAns),
        Just(MacCommand::TxParamSetupAns),
        Just(MacCommand::AdrParamSetupAns),
        Just(MacCommand::DeviceTimeReq),
        Just(MacCommand::BeaconTimingReq),
    ];
    prop_oneof![3 => with_payload, 1 => without_payload].boxed()
}

/// Every downlink command with valid fields.
pub fn downlink_command() -> BoxedStrategy<MacCommand> {
    let adr_and_channels = prop_oneof![
        nibble().prop_map(
            |serv_lorawan_minor| MacCommand::ResetConf(ResetConfPayload { serv_lorawan_minor })
        ),
        (0u8..=254, any::<u8>()).prop_map(|(margin, gw_cnt)| MacCommand::LinkCheckAns(
            LinkCheckAnsPayload { margin, gw_cnt }
        )),
        (nibble(), nibble(), any::<u16>(), three_bits(), nibble()).prop_map(
            |(data_rate, tx_power, ch_mask, ch_mask_cntl, nb_trans)| {
                MacCommand::LinkAdrReq(LinkAdrReqPayload {
                    data_rate,
                    tx_power,
                    ch_mask,
                    ch_mask_cntl,
                    nb_trans,
                })
            }
        ),
        nibble().prop_map(
            |max_duty_cycle| MacCommand::DutyCycleReq(DutyCycleReqPayload { max_duty_cycle })
        ),
        (three_bits(), nibble(), frequency_hz()).prop_map(
            |(rx1_dr_offset, rx2_data_rate, frequency_hz)| {
                MacCommand::RxParamSetupReq(RxParamSetupReqPayload {
                    rx1_dr_offset,
                    rx2_data_rate,
                    frequency_hz,
                })
            }
        ),
        (any::<u8>(), frequency_hz(), nibble(), nibble()).prop_map(
            |(ch_index, frequency_hz, min_dr, max_dr)| {
                MacCommand::NewChannelReq(NewChannelReqPayload {
                    ch_index,
                    frequency_hz,
                    min_dr,
                    max_dr,
                })
            }
        ),
        nibble().prop_map(|delay| MacCommand::RxTimingSetupReq(RxTimingSetupReqPayload { delay })),
        (dwell_time(), dwell_time(), nibble()).prop_map(
            |(downlink_dwell_time, uplink_dwell_time, max_eirp)| {
                MacCommand::TxParamSetupReq(TxParamSetupReqPayload {
                    downlink_dwell_time,
                    uplink_dwell_time,
                    max_eirp,
                })
            }
        ),
        (any::<u8>(), frequency_hz()).prop_map(|(ch_index, frequency_hz)| {
            MacCommand::DlChannelReq(DlChannelReqPayload {
                ch_index,
                frequency_hz,
            })
        }),
    ];
    let lorawan_1_1_and_class_b = prop_oneof![
        nibble().prop_map(
            |serv_lorawan_minor| MacCommand::RekeyConf(RekeyConfPayload { serv_lorawan_minor })
        ),
        (nibble(), nibble()).prop_map(|(limit_exp, delay_exp)| MacCommand::AdrParamSetupReq(
            AdrParamSetupReqPayload {
                limit_exp,
                delay_exp
            }
        )),
        (any::<u32>(), any::<u8>()).prop_map(|(gps_epoch_seconds, fractional_second)| {
            MacCommand::DeviceTimeAns(DeviceTimeAnsPayload {
                gps_epoch_seconds,
                fractional_second,
            })
        }),
        (three_bits(), three_bits(), three_bits(), nibble()).prop_map(
            |(period, max_retries, rejoin_type, data_rate)| {
                MacCommand::ForceRejoinReq(ForceRejoinReqPayload {
                    period,
                    max_retries,
                    rejoin_type,
                    data_rate,
                })
            }
        ),
        (nibble(), nibble()).prop_map(|(max_time_n, max_count_n)| {
            MacCommand::RejoinParamSetupReq(RejoinParamSetupReqPayload {
                max_time_n,
                max_count_n,
            })
        }),
        (frequency_hz(), nibble()).prop_map(|(frequency_hz, data_rate)| {
            MacCommand::PingSlotChannelReq(PingSlotChannelReqPayload {
                frequency_hz,
                data_rate,
            })
        }),
        (any::<u16>(), any::<u8>()).prop_map(|(delay, channel)| MacCommand::BeaconTimingAns(
            BeaconTimingAnsPayload { delay, channel }
        )),
        frequency_hz().prop_map(
            |frequency_hz| MacCommand::BeaconFreqReq(BeaconFreqReqPayload { frequency_hz })
        ),
        class().prop_map(|class| MacCommand::DeviceModeConf(DeviceModeConfPayload { class })),
    ];
    let without_payload = prop_oneof![
        Just(MacCommand::DevStatusReq),
        Just(MacCommand::PingSlotInfoAns),
    ];
    prop_oneof![
        3 => adr_and_channels,
        3 => lorawan_1_1_and_class_b,
        1 => without_payload,
    ]
    .boxed()
}

/// Every command of `direction` with valid fields.
pub fn command(direction: Direction) -> BoxedStrategy<MacCommand> {
    match direction {
        Direction::Uplink => uplink_command(),
        Direction::Downlink => downlink_command(),
    }
}

/// A raw command that ends a stream: an unknown CID for `direction`, or a proprietary one,
/// with any trailing bytes.
pub fn raw_command(direction: Direction) -> BoxedStrategy<MacCommand> {
    let payload = proptest::collection::vec(any::<u8>(), 0..16);
    prop_oneof![
        (0u8..PROPRIETARY_CID_MIN, payload.clone())
            .prop_filter("CID must be unknown in this direction", move |(cid, _)| {
                !is_known(*cid, direction)
            })
            .prop_map(|(cid, payload)| MacCommand::Unknown { cid, payload }),
        (PROPRIETARY_CID_MIN..=u8::MAX, payload)
            .prop_map(|(cid, payload)| MacCommand::Proprietary { cid, payload }),
    ]
    .boxed()
}

/// A direction and a stream of its commands, possibly ending with a raw command.
pub fn stream() -> impl Strategy<Value = (Direction, Vec<MacCommand>)> {
    prop_oneof![Just(Direction::Uplink), Just(Direction::Downlink)].prop_flat_map(|direction| {
        (
            proptest::collection::vec(command(direction), 0..12),
            proptest::option::of(raw_command(direction)),
        )
            .prop_map(move |(mut commands, raw)| {
                commands.extend(raw);
                (direction, commands)
            })
    })
}
