//! Table tests of the downlink conversions.

use bytes::Bytes;
use tern_bus::testsuite::samples;

use super::*;

fn lora(spreading_factor: u32, code_rate: pb::CodeRate) -> Option<pb::Modulation> {
    Some(pb::Modulation {
        parameters: Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
            spreading_factor,
            bandwidth_hz: 125_000,
            code_rate: code_rate as i32,
        })),
    })
}

fn timing(timing: pb::downlink_timing::Timing) -> Option<pb::DownlinkTiming> {
    Some(pb::DownlinkTiming {
        timing: Some(timing),
    })
}

#[test]
fn builds_the_protocol_txt_immediate_lora_txpk() {
    // Lora-net/packet_forwarder PROTOCOL.TXT §6, first txpk example; `ncrc` is added because
    // LoRaWAN downlinks carry no payload CRC.
    let mut expected = Txpk::parse_json(
        r#"{"imme":true,"freq":864.123456,"rfch":0,"powe":14,"modu":"LORA","datr":"SF11BW125",
            "codr":"4/6","ipol":false,"size":32,
            "data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8v"}"#,
    )
    .unwrap();
    expected.ncrc = true;
    let item = pb::DownlinkTxItem {
        phy_payload: Bytes::from(expected.data.clone()),
        frequency_hz: 864_123_456,
        power_dbm: 14,
        modulation: lora(11, pb::CodeRate::Cr46),
        timing: timing(pb::downlink_timing::Timing::Immediately(
            pb::ImmediatelyTiming {},
        )),
        ..pb::DownlinkTxItem::default()
    };
    assert_eq!(txpk(&item).unwrap(), expected);
}

#[test]
fn builds_the_protocol_txt_fsk_txpk_with_crc() {
    // Lora-net/packet_forwarder PROTOCOL.TXT §6, second txpk example (FSK, immediate).
    let expected = Txpk::parse_json(
        r#"{"imme":true,"freq":861.3,"rfch":0,"powe":12,"modu":"FSK","datr":50000,
            "fdev":3000,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8v"}"#,
    )
    .unwrap();
    let item = pb::DownlinkTxItem {
        phy_payload: Bytes::from(expected.data.clone()),
        frequency_hz: 861_300_000,
        power_dbm: 12,
        modulation: Some(pb::Modulation {
            parameters: Some(pb::modulation::Parameters::Fsk(pb::FskModulation {
                bitrate: 50_000,
                frequency_deviation_hz: 3_000,
            })),
        }),
        timing: timing(pb::downlink_timing::Timing::Immediately(
            pb::ImmediatelyTiming {},
        )),
        ..pb::DownlinkTxItem::default()
    };
    assert_eq!(txpk(&item).unwrap(), expected);
}

#[test]
fn converts_rx1_delay_and_rx2_gps_items_of_the_sample_frame() {
    let frame = samples::downlink_frame(1);
    let rx1 = txpk(&frame.items[0]).unwrap();
    // tmst 3 512 348 611 µs plus RECEIVE_DELAY1 of 1 s.
    assert_eq!(
        (rx1.imme, rx1.tmst, rx1.tmms),
        (false, Some(3_513_348_611), None)
    );
    assert_eq!(rx1.freq_hz(), 868_100_000);
    assert_eq!(rx1.powe, Some(14));
    assert!(rx1.ipol && rx1.ncrc);
    assert_eq!(rx1.codr, Some(CodingRate::lora(5)));
    let rx2 = txpk(&frame.items[1]).unwrap();
    assert_eq!(
        (rx2.imme, rx2.tmst, rx2.tmms),
        (false, None, Some(1_400_000_002_000))
    );
    assert_eq!(
        rx2.datr,
        DataRate::Lora {
            spreading_factor: 12,
            bandwidth_hz: 125_000
        }
    );
    assert_eq!(rx2.powe, Some(27));
}

#[test]
fn delay_timing_wraps_with_the_concentrator_counter_and_reads_a_context() {
    let cases = [
        // (tmst, context, delay_ns, expected tmst)
        (
            Some(u32::MAX - 499_999),
            Bytes::new(),
            1_000_000_000,
            500_000,
        ),
        (
            None,
            Bytes::from_static(&[0x00, 0x0f, 0x42, 0x40, 0xff]),
            5_000_000_000,
            6_000_000,
        ),
    ];
    for (tmst, context, delay_ns, expected) in cases {
        let mut item = samples::downlink_frame(1).items[0].clone();
        item.timing = timing(pb::downlink_timing::Timing::Delay(pb::DelayTiming {
            tmst,
            context,
            delay_ns,
        }));
        assert_eq!(txpk(&item).unwrap().tmst, Some(expected));
    }
}

#[test]
fn rejects_items_a_gateway_cannot_send_with_a_reason() {
    let base = samples::downlink_frame(1).items[0].clone();
    let cases: Vec<(pb::DownlinkTxItem, &str)> = vec![
        (
            pb::DownlinkTxItem {
                modulation: None,
                ..base.clone()
            },
            "missing_modulation",
        ),
        (
            pb::DownlinkTxItem {
                modulation: Some(pb::Modulation {
                    parameters: Some(pb::modulation::Parameters::LrFhss(
                        pb::LrFhssModulation::default(),
                    )),
                }),
                ..base.clone()
            },
            "unsupported_modulation",
        ),
        (
            pb::DownlinkTxItem {
                timing: None,
                ..base.clone()
            },
            "missing_timing",
        ),
        (
            pb::DownlinkTxItem {
                timing: timing(pb::downlink_timing::Timing::Delay(pb::DelayTiming {
                    tmst: None,
                    context: Bytes::from_static(&[1, 2]),
                    delay_ns: 1,
                })),
                ..base.clone()
            },
            "missing_tmst",
        ),
        (
            pb::DownlinkTxItem {
                timing: timing(pb::downlink_timing::Timing::GpsEpoch(pb::GpsEpochTiming {
                    gps_time_ns: -5_000_000,
                })),
                ..base.clone()
            },
            "negative_gps_time",
        ),
        (
            pb::DownlinkTxItem {
                rf_chain: 256,
                ..base.clone()
            },
            "field_out_of_range",
        ),
        (
            pb::DownlinkTxItem {
                power_dbm: 200,
                ..base.clone()
            },
            "field_out_of_range",
        ),
    ];
    for (item, reason) in cases {
        let error = txpk(&item).unwrap_err();
        assert_eq!(error.reason(), reason, "{error}");
    }
}

#[test]
fn maps_tx_ack_codes_to_statuses() {
    let ack = |error: Option<&str>, warn: Option<&str>| TxpkAck {
        error: error.map(TxAckCode::parse),
        warn: warn.map(TxAckCode::parse),
        value: None,
    };
    let cases = [
        (None, pb::TxAckStatus::Ok),
        (Some(ack(None, None)), pb::TxAckStatus::Ok),
        (Some(ack(Some("NONE"), None)), pb::TxAckStatus::Ok),
        (Some(ack(None, Some("TX_POWER"))), pb::TxAckStatus::Ok),
        (Some(ack(Some("TOO_LATE"), None)), pb::TxAckStatus::TooLate),
        (
            Some(ack(Some("TOO_EARLY"), None)),
            pb::TxAckStatus::TooEarly,
        ),
        (Some(ack(Some("FULL"), None)), pb::TxAckStatus::QueueFull),
        (
            Some(ack(Some("COLLISION_PACKET"), None)),
            pb::TxAckStatus::CollisionPacket,
        ),
        (
            Some(ack(Some("COLLISION_BEACON"), None)),
            pb::TxAckStatus::CollisionBeacon,
        ),
        (Some(ack(Some("TX_FREQ"), None)), pb::TxAckStatus::TxFreq),
        (Some(ack(Some("TX_POWER"), None)), pb::TxAckStatus::TxPower),
        (
            Some(ack(Some("GPS_UNLOCKED"), None)),
            pb::TxAckStatus::GpsUnlocked,
        ),
        (
            Some(ack(Some("EMPTY"), None)),
            pb::TxAckStatus::InternalError,
        ),
        (
            Some(ack(Some("SOMETHING_NEW"), None)),
            pb::TxAckStatus::InternalError,
        ),
    ];
    for (txpk_ack, expected) in cases {
        assert_eq!(tx_ack_status(txpk_ack.as_ref()), expected, "{txpk_ack:?}");
    }
}
