//! AS923 spot checks (groups 1 to 4), written from RP002-1.0.4 §2.10 (the table each test
//! reads is named in the test).

use lorawan_codec::{DwellTime, LinkAdrReqPayload};
use lorawan_region::{Band, Channel, CodingRate, Error, MaxPayload, Modulation, RxWindow};

fn band(name: &str) -> Band {
    Band::by_name(name).unwrap()
}

#[test]
fn data_rates_match_the_data_rate_table() {
    // RP002-1.0.4 §2.10, AS923 data rate table.
    let as923 = band("as923_1");
    assert_eq!(
        as923.data_rate(6).unwrap().modulation,
        Modulation::Lora {
            spreading_factor: 7,
            bandwidth_hz: 250_000,
            coding_rate: CodingRate::Cr4_5
        }
    );
    assert_eq!(
        as923.data_rate(7).unwrap().modulation,
        Modulation::Fsk { bit_rate: 50_000 }
    );
    assert_eq!(as923.data_rate(8), Err(Error::InvalidDataRate(8)));
}

#[test]
fn max_payload_depends_on_dwell_time() {
    // RP002-1.0.4 §2.10, AS923 maximum payload size tables (dwell time 0 and 1).
    let as923 = band("as923_1");
    let cases = [
        (0, Some((59, 51)), None),
        (1, Some((59, 51)), None),
        (2, Some((123, 115)), Some((19, 11))),
        (3, Some((123, 115)), Some((61, 53))),
        (4, Some((250, 242)), Some((133, 125))),
        (5, Some((250, 242)), Some((250, 242))),
        (7, Some((250, 242)), Some((250, 242))),
    ];
    for (dr, no_dwell, dwell) in cases {
        for (setting, expected) in [
            (DwellTime::NoLimit, no_dwell),
            (DwellTime::Limit400Ms, dwell),
        ] {
            let expected = expected
                .map(|(m, n)| MaxPayload { m, n })
                .ok_or(Error::NoPayloadAtDataRate(dr));
            assert_eq!(
                as923.max_payload(dr, setting, false),
                expected,
                "DR{dr} {setting:?}"
            );
        }
    }
}

#[test]
fn rx1_data_rate_uses_effective_offsets_and_dwell_floor() {
    // RP002-1.0.4 §2.10, AS923 RX1 data rate: min(7, max(MinDR, DR − effective offset)),
    // effective offsets 0, 1, 2, 3, 4, 5, −1, −2; MinDR 2 under a downlink dwell time.
    let as923 = band("as923_1");
    let no_dwell = [
        (5, 0, 5),
        (5, 5, 0),
        (5, 6, 6),
        (5, 7, 7),
        (6, 7, 7),
        (0, 6, 1),
        (3, 4, 0),
    ];
    for (uplink_dr, offset, downlink_dr) in no_dwell {
        assert_eq!(
            as923.rx1_data_rate(uplink_dr, offset, DwellTime::NoLimit),
            Ok(downlink_dr),
            "DR{uplink_dr} offset {offset}"
        );
    }
    let dwell = [(0, 0, 2), (1, 7, 3), (5, 3, 2), (5, 7, 7), (4, 1, 3)];
    for (uplink_dr, offset, downlink_dr) in dwell {
        assert_eq!(
            as923.rx1_data_rate(uplink_dr, offset, DwellTime::Limit400Ms),
            Ok(downlink_dr),
            "DR{uplink_dr} offset {offset} with dwell time"
        );
    }
    assert_eq!(
        as923.rx1_data_rate(0, 8, DwellTime::NoLimit),
        Err(Error::InvalidRx1DrOffset(8))
    );
}

#[test]
fn groups_shift_default_channels_rx2_and_beacon() {
    // RP002-1.0.4 §2.10, AS923 default channels (923.2, 923.4 MHz), RX2 (923.2 MHz, DR2)
    // and beacon (923.4 MHz, DR3), shifted by 0, −1.8, −6.6 and −5.9 MHz.
    let cases = [
        ("as923_1", 923_200_000),
        ("as923_2", 921_400_000),
        ("as923_3", 916_600_000),
        ("as923_4", 917_300_000),
    ];
    for (name, first_hz) in cases {
        let as923 = band(name);
        assert_eq!(
            as923.default_channels(),
            vec![
                Channel::new(first_hz, 0, 5),
                Channel::new(first_hz + 200_000, 0, 5)
            ],
            "{name}"
        );
        assert_eq!(
            as923.rx2_params(),
            RxWindow {
                frequency_hz: first_hz,
                data_rate: 2
            },
            "{name}"
        );
        let beacon = as923.beacon_defaults();
        assert_eq!(
            (beacon.data_rate, beacon.frequencies_hz),
            (3, vec![first_hz + 200_000])
        );
        assert_eq!(
            as923.rx1_frequency(first_hz + 200_000),
            Ok(first_hz + 200_000)
        );
    }
}

#[test]
fn dwell_time_is_set_by_tx_param_setup() {
    // RP002-1.0.4 §2.10: AS923 end-devices implement TxParamSetupReq.
    let as923 = band("as923");
    assert_eq!(as923.name(), "as923_1");
    assert!(as923.supports_tx_param_setup());
    assert_eq!(as923.default_dwell_time().uplink, DwellTime::Limit400Ms);
    assert_eq!(as923.default_dwell_time().downlink, DwellTime::NoLimit);
    assert_eq!(as923.tx_power_dbm(7, 16.0), Ok(2.0));
}

#[test]
fn cf_list_and_channel_mask() {
    // RP002-1.0.4 §2.3.1 CFList type 0 (channels 2 to 6); §2.10 ChMaskCntl 0 and 6.
    let mut as923 = band("as923_2");
    as923.add_channel(Channel::new(922_000_000, 0, 5)).unwrap();
    // 922.0 MHz = 9 220 000 × 100 Hz = 0x8cafa0.
    let mut bytes = [0u8; 16];
    bytes[..3].copy_from_slice(&[0xa0, 0xaf, 0x8c]);
    assert_eq!(as923.cf_list_bytes(), Some(bytes));
    assert_eq!(
        as923.link_adr_masks(&[0, 2]),
        Ok(vec![LinkAdrReqPayload {
            ch_mask: 0b101,
            ..LinkAdrReqPayload::default()
        }])
    );
    assert_eq!(
        as923.add_channel(Channel::new(924_000_000, 0, 5)),
        Err(Error::FrequencyNotInBand(924_000_000))
    );
}
