//! Table tests of the uplink conversions, on rxpk and stat objects taken from the semtech-udp
//! vectors (each names its source).

use super::*;

const EUI: u64 = 0x0016_c001_ff10_a235;

fn reception() -> Reception {
    Reception {
        gateway_eui: EUI,
        uplink_id: 7,
        received_at_unix_ns: 1_700_000_000_000_000_000,
        location: None,
    }
}

fn lora(spreading_factor: u32, code_rate: pb::CodeRate) -> Option<pb::Modulation> {
    Some(pb::Modulation {
        parameters: Some(pb::modulation::Parameters::Lora(pb::LoraModulation {
            spreading_factor,
            bandwidth_hz: 125_000,
            code_rate: code_rate as i32,
        })),
    })
}

#[test]
fn converts_sx1302_rxpk_with_every_timing_field() {
    // First rxpk of the Lora-net/sx1302_hal lora_pkt_fwd.c layout vector in semtech-udp's
    // tests/vectors/datagrams.json (payload from The Things Stack translation_test.go).
    let rxpk = Rxpk::parse_json(
        r#"{"jver":1,"tmst":1208587652,"time":"2023-05-11T09:27:03.123456Z","tmms":1367832441123,
            "chan":2,"rfch":1,"freq":868.500000,"mid": 8,"stat":1,"modu":"LORA","datr":"SF7BW125",
            "codr":"4/5","rssis":-57,"lsnr":9.5,"foff":-310,"rssi":-56,"size":19,
            "data":"QCkuASaAAAAByFaF53Iu+vzmwQ==","ftime":123456}"#,
    )
    .unwrap();
    let frame = uplink_frame(&rxpk, &reception()).unwrap();
    assert_eq!(
        frame.phy_payload.as_ref(),
        [
            0x40, 0x29, 0x2e, 0x01, 0x26, 0x80, 0x00, 0x00, 0x01, 0xc8, 0x56, 0x85, 0xe7, 0x72,
            0x2e, 0xfa, 0xfc, 0xe6, 0xc1
        ]
    );
    assert_eq!(
        frame.tx_info,
        Some(pb::UplinkTxInfo {
            frequency_hz: 868_500_000,
            modulation: lora(7, pb::CodeRate::Cr45),
        })
    );
    assert_eq!(frame.received_at_unix_ns, 1_700_000_000_000_000_000);
    let expected = pb::UplinkRxMetadata {
        gateway_eui: EUI,
        uplink_id: 7,
        tmst: Some(1_208_587_652),
        context: Bytes::new(),
        gps_time_ns: Some(1_367_832_441_123_000_000),
        gateway_time_unix_ns: Some(1_683_797_223_123_456_000),
        received_at_unix_ns: 1_700_000_000_000_000_000,
        rssi_dbm: -56,
        snr_db: 9.5,
        channel: 2,
        rf_chain: 1,
        antenna: 0,
        board: 0,
        fine_timestamp_ns: Some(123_456),
        location: None,
        crc_status: pb::CrcStatus::Ok as i32,
    };
    assert_eq!(frame.rx_metadata, [expected]);
}

#[test]
fn multi_antenna_rsig_gives_one_metadata_per_antenna() {
    // The Things Stack pkg/ttnpb/udp/translation_test.go TestToGatewayUpRawMultiAntenna.
    let rxpk = Rxpk::parse_json(
        r#"{"tmst":879148780,"time":"2017-07-04T13:51:17.997099Z","rfch":0,"freq":868.500000,
            "stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","size":24,
            "data":"gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD","aesk":42,
            "rsig":[{"ant":0,"chan":7,"lsnr":14.0,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-92,
                     "rssic":-95,"rssisd":0,"ftime":1255738435,"foff":-8898,"ft2d":-251,
                     "rfbsb":100,"rs2s1":97},
                    {"ant":1,"chan":23,"lsnr":14.0,"etime":"djGiSzOC+gCT7vRPv7+Asw==","rssis":-88,
                     "rssic":-93,"rssisd":0,"ftime":1252538436,"foff":-8898,"ft2d":-187,
                     "rfbsb":100,"rs2s1":104}]}"#,
    )
    .unwrap();
    let location = pb::Location {
        latitude_deg: 46.24,
        longitude_deg: 3.2523,
        altitude_m: 145.0,
        accuracy_m: 0.0,
        source: pb::LocationSource::Gps as i32,
    };
    let reception = Reception {
        location: Some(location),
        ..reception()
    };
    let frame = uplink_frame(&rxpk, &reception).unwrap();
    // (uplink_id, antenna, channel, rssi, snr, fine timestamp)
    let got: Vec<_> = frame
        .rx_metadata
        .iter()
        .map(|m| {
            (
                m.uplink_id,
                m.antenna,
                m.channel,
                m.rssi_dbm,
                m.snr_db,
                m.fine_timestamp_ns,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (7, 0, 7, -95, 14.0, Some(1_255_738_435)),
            (8, 1, 23, -93, 14.0, Some(1_252_538_436)),
        ]
    );
    for metadata in &frame.rx_metadata {
        assert_eq!(metadata.tmst, Some(879_148_780));
        assert_eq!(
            metadata.gateway_time_unix_ns,
            Some(1_499_176_277_997_099_000)
        );
        assert_eq!(metadata.location, Some(location));
    }
}

#[test]
fn converts_fsk_and_lr_fhss_modulations() {
    // LR-FHSS rxpk from The Things Stack packet_data_test.go TestUplinkPacket; the FSK one
    // follows PROTOCOL.TXT §4 (`datr` as a number).
    let cases = [
        (
            r#"{"tmst":445526776,"chan":0,"rfch":0,"freq":868.099975,"stat":1,"modu":"LRFHSS",
                "datr":"M0CW137","codr":"4/6","lsnr":-12,"hpw":8,"rssi":-112,"data":"QAE="}"#,
            868_099_975,
            pb::modulation::Parameters::LrFhss(pb::LrFhssModulation {
                code_rate: pb::CodeRate::Cr23 as i32,
                ocw_bandwidth_hz: 137_000,
                grid_steps: 8,
            }),
        ),
        (
            r#"{"tmst":1,"freq":868.8,"stat":1,"modu":"FSK","datr":50000,"rssi":-75,"data":"QAE="}"#,
            868_800_000,
            pb::modulation::Parameters::Fsk(pb::FskModulation {
                bitrate: 50_000,
                frequency_deviation_hz: 0,
            }),
        ),
    ];
    for (json, frequency_hz, parameters) in cases {
        let rxpk = Rxpk::parse_json(json).unwrap();
        let frame = uplink_frame(&rxpk, &reception()).unwrap();
        let tx_info = frame.tx_info.unwrap();
        assert_eq!(tx_info.frequency_hz, frequency_hz, "{json}");
        assert_eq!(tx_info.modulation.unwrap().parameters, Some(parameters));
    }
}

#[test]
fn rejects_payloads_no_lora_radio_can_carry_and_frequencies_beyond_u32() {
    let long = "A".repeat(344); // 258 bytes of base64.
    let cases = [
        (
            format!(r#"{{"tmst":1,"freq":868.1,"stat":1,"datr":"SF7BW125","data":"{long}"}}"#),
            "payload_too_long",
        ),
        (
            r#"{"tmst":1,"freq":5000.0,"stat":1,"datr":"SF7BW125","data":"QAE="}"#.to_owned(),
            "frequency_out_of_range",
        ),
    ];
    for (json, reason) in cases {
        let rxpk = Rxpk::parse_json(&json).unwrap();
        let error = uplink_frame(&rxpk, &reception()).unwrap_err();
        assert_eq!(error.reason(), reason);
    }
}

#[test]
fn keeps_the_uplink_when_the_gateway_time_is_malformed() {
    let rxpk = Rxpk::parse_json(
        r#"{"tmst":1,"time":"yesterday","freq":868.1,"stat":1,"datr":"SF7BW125","data":"QAE="}"#,
    )
    .unwrap();
    let frame = uplink_frame(&rxpk, &reception()).unwrap();
    assert_eq!(frame.rx_metadata[0].gateway_time_unix_ns, None);
    assert_eq!(frame.rx_metadata[0].gps_time_ns, None);
}

#[test]
fn converts_protocol_txt_stat_example() {
    // Lora-net/packet_forwarder PROTOCOL.TXT §4 stat example.
    let stat = Stat::parse_json(
        r#"{"time":"2014-01-12 08:59:28 GMT","lati":46.24000,"long":3.25230,"alti":145,
            "rxnb":2,"rxok":2,"rxfw":2,"ackr":100.0,"dwnb":2,"txnb":2}"#,
    )
    .unwrap();
    let stats = gateway_stats(&stat, EUI, 42);
    assert_eq!(
        stats,
        pb::GatewayStats {
            gateway_eui: EUI,
            time_unix_ns: Some(1_389_517_168_000_000_000),
            received_at_unix_ns: 42,
            location: Some(pb::Location {
                latitude_deg: 46.24,
                longitude_deg: 3.2523,
                altitude_m: 145.0,
                accuracy_m: 0.0,
                source: pb::LocationSource::Gps as i32,
            }),
            rx_received: 2,
            rx_ok: 2,
            rx_forwarded: 2,
            tx_received: 2,
            tx_emitted: 2,
            ack_ratio_percent: 100.0,
            metadata: Default::default(),
        }
    );
}

#[test]
fn stat_without_fix_has_no_location_and_extras_go_to_metadata() {
    // Lora-net/sx1302_hal packet_forwarder/PROTOCOL.md §4 style stat with temp, no GPS.
    let stat = Stat::parse_json(
        r#"{"time":"2023-05-11 09:27:03 GMT","lati":0,"long":0,"rxnb":2,"rxok":1,"rxfw":2,
            "ackr":100.0,"dwnb":0,"txnb":0,"temp":31.5,"hal":"2.1.0"}"#,
    )
    .unwrap();
    let stats = gateway_stats(&stat, EUI, 0);
    assert_eq!(stats.location, None);
    assert_eq!(
        stats.metadata.get("temperature_c").map(String::as_str),
        Some("31.5")
    );
    assert_eq!(
        stats.metadata.get("hal_version").map(String::as_str),
        Some("2.1.0")
    );
}
