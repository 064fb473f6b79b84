//! Pins the wire format of the internal messages: field numbers, wire types and
//! `optional` presence must not change once services run side by side.
//!
//! Vectors are derived by hand from the Protocol Buffers encoding rules
//! ("Encoding" guide on protobuf.dev: tags are `field << 3 | wire type`, varints are
//! little-endian base 128, `fixed64` is 8 little-endian bytes).

use bytes::Bytes;
use prost::Message;
use tern_proto::internal::v1 as pb;

fn check<M: Message + Default + PartialEq + std::fmt::Debug>(name: &str, value: M, wire: &[u8]) {
    assert_eq!(value.encode_to_vec(), wire, "{name}: encode");
    assert_eq!(M::decode(wire).unwrap(), value, "{name}: decode");
}

#[test]
fn encodes_tx_ack_with_fixed64_gateway_eui() {
    let ack = pb::DownlinkTxAck {
        downlink_id: 1,
        gateway_eui: 0x0102_0304_0506_0708,
        items: vec![pb::DownlinkTxAckItem {
            status: pb::TxAckStatus::TooLate as i32,
        }],
    };
    let wire = [
        0x08, 0x01, // 1: downlink_id = 1
        0x11, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // 2: gateway_eui, fixed64 LE
        0x1a, 0x02, 0x08, 0x02, // 3: items[0] { status = TOO_LATE (2) }
    ];
    check("DownlinkTxAck", ack, &wire);
}

#[test]
fn encodes_uplink_with_explicit_zero_tmst() {
    let frame = pb::UplinkFrame {
        phy_payload: Bytes::from_static(&[0x40, 0x01]),
        tx_info: Some(pb::UplinkTxInfo {
            frequency_hz: 868_100_000,
            modulation: Some(pb::Modulation {
                parameters: Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
                    spreading_factor: 7,
                    bandwidth_hz: 125_000,
                    code_rate: pb::CodeRate::Cr45 as i32,
                })),
            }),
        }),
        rx_metadata: vec![pb::UplinkRxMetadata {
            gateway_eui: 1,
            // `optional`: a zero counter is present on the wire, unlike absence.
            tmst: Some(0),
            ..Default::default()
        }],
        received_at_unix_ns: 0,
    };
    let wire = [
        0x0a, 0x02, 0x40, 0x01, // 1: phy_payload
        0x12, 0x12, // 2: tx_info, 18 bytes
        0x08, 0xa0, 0xcf, 0xf8, 0x9d, 0x03, // 1: frequency_hz = 868100000
        0x12, 0x0a, 0x0a, 0x08, // 2: modulation { 1: lora, 8 bytes }
        0x08, 0x07, 0x10, 0xc8, 0xd0, 0x07, 0x18, 0x01, // sf 7, bw 125000, CR_4_5
        0x1a, 0x0b, // 3: rx_metadata[0], 11 bytes
        0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 1: gateway_eui = 1
        0x18, 0x00, // 3: tmst = 0, present
    ];
    check("UplinkFrame", frame, &wire);
}

#[test]
fn encodes_downlink_delay_timing_inside_oneof() {
    let frame = pb::DownlinkFrame {
        downlink_id: 0,
        gateway_eui: 0,
        items: vec![pb::DownlinkTxItem {
            timing: Some(pb::DownlinkTiming {
                timing: Some(pb::downlink_timing::Timing::Delay(pb::DelayTiming {
                    tmst: None,
                    context: Bytes::new(),
                    delay_ns: 1_000_000_000,
                })),
            }),
            ..Default::default()
        }],
    };
    let wire = [
        0x1a, 0x0a, // 3: items[0], 10 bytes
        0x2a, 0x08, // 5: timing, 8 bytes
        0x12, 0x06, // 2: delay, 6 bytes
        0x18, 0x80, 0x94, 0xeb, 0xdc, 0x03, // 3: delay_ns = 1000000000
    ];
    check("DownlinkFrame", frame, &wire);
}

#[test]
fn tx_ack_status_values_match_the_proto_names() {
    let cases = [
        (0, pb::TxAckStatus::Ignored, "TX_ACK_STATUS_IGNORED"),
        (1, pb::TxAckStatus::Ok, "TX_ACK_STATUS_OK"),
        (2, pb::TxAckStatus::TooLate, "TX_ACK_STATUS_TOO_LATE"),
        (3, pb::TxAckStatus::TooEarly, "TX_ACK_STATUS_TOO_EARLY"),
        (
            4,
            pb::TxAckStatus::CollisionPacket,
            "TX_ACK_STATUS_COLLISION_PACKET",
        ),
        (
            5,
            pb::TxAckStatus::CollisionBeacon,
            "TX_ACK_STATUS_COLLISION_BEACON",
        ),
        (6, pb::TxAckStatus::TxFreq, "TX_ACK_STATUS_TX_FREQ"),
        (7, pb::TxAckStatus::TxPower, "TX_ACK_STATUS_TX_POWER"),
        (
            8,
            pb::TxAckStatus::GpsUnlocked,
            "TX_ACK_STATUS_GPS_UNLOCKED",
        ),
        (9, pb::TxAckStatus::QueueFull, "TX_ACK_STATUS_QUEUE_FULL"),
        (
            10,
            pb::TxAckStatus::InternalError,
            "TX_ACK_STATUS_INTERNAL_ERROR",
        ),
        (11, pb::TxAckStatus::Timeout, "TX_ACK_STATUS_TIMEOUT"),
    ];
    for (value, status, name) in cases {
        assert_eq!(pb::TxAckStatus::try_from(value).unwrap(), status);
        assert_eq!(status.as_str_name(), name);
        assert_eq!(pb::TxAckStatus::from_str_name(name), Some(status));
    }
    assert!(pb::TxAckStatus::try_from(12).is_err());
}

#[test]
fn decoding_truncated_payload_is_an_error_not_a_panic() {
    // Field 1 claims 5 bytes but only 1 follows.
    assert!(pb::UplinkFrame::decode(&[0x0a, 0x05, 0x01][..]).is_err());
}
