//! AU915-928 spot checks, written from RP002-1.0.4 §2.8 (the table each test reads is named
//! in the test).

use lorawan_codec::{DwellTime, LinkAdrReqPayload};
use lorawan_region::{Band, CodingRate, Error, MaxPayload, Modulation, RxWindow};

fn band(name: &str) -> Band {
    Band::by_name(name).unwrap()
}

fn payload(ch_mask_cntl: u8, ch_mask: u16) -> LinkAdrReqPayload {
    LinkAdrReqPayload {
        ch_mask,
        ch_mask_cntl,
        ..LinkAdrReqPayload::default()
    }
}

#[test]
fn data_rates_match_the_data_rate_table() {
    // RP002-1.0.4 §2.8, AU915-928 data rate table.
    let au915 = band("au915");
    let sf_bw = |dr| match au915.data_rate(dr).unwrap().modulation {
        Modulation::Lora {
            spreading_factor,
            bandwidth_hz,
            coding_rate: CodingRate::Cr4_5,
        } => Some((spreading_factor, bandwidth_hz)),
        _ => None,
    };
    assert_eq!(sf_bw(0), Some((12, 125_000)));
    assert_eq!(sf_bw(5), Some((7, 125_000)));
    assert_eq!(sf_bw(6), Some((8, 500_000)));
    assert_eq!(sf_bw(7), None, "DR7 is LR-FHSS");
    assert_eq!(sf_bw(8), Some((12, 500_000)));
    assert_eq!(sf_bw(13), Some((7, 500_000)));
    assert!(!au915.data_rate(8).unwrap().uplink);
    assert_eq!(au915.data_rate(14), Err(Error::InvalidDataRate(14)));
}

#[test]
fn max_payload_depends_on_uplink_dwell_time() {
    // RP002-1.0.4 §2.8, AU915-928 maximum payload size tables, UplinkDwellTime 0 and 1.
    let au915 = band("au915");
    let cases = [
        (0, DwellTime::NoLimit, Some((59, 51))),
        (0, DwellTime::Limit400Ms, None),
        (1, DwellTime::Limit400Ms, None),
        (2, DwellTime::NoLimit, Some((59, 51))),
        (2, DwellTime::Limit400Ms, Some((19, 11))),
        (3, DwellTime::Limit400Ms, Some((61, 53))),
        (4, DwellTime::NoLimit, Some((250, 242))),
        (4, DwellTime::Limit400Ms, Some((133, 125))),
        (5, DwellTime::Limit400Ms, Some((250, 242))),
        (7, DwellTime::NoLimit, Some((58, 50))),
        (8, DwellTime::NoLimit, Some((61, 53))),
        (9, DwellTime::Limit400Ms, Some((137, 129))),
    ];
    for (dr, dwell, expected) in cases {
        let expected = expected
            .map(|(m, n)| MaxPayload { m, n })
            .ok_or(Error::NoPayloadAtDataRate(dr));
        assert_eq!(
            au915.max_payload(dr, dwell, false),
            expected,
            "DR{dr} {dwell:?}"
        );
    }
    assert_eq!(au915.default_dwell_time().uplink, DwellTime::Limit400Ms);
    assert!(au915.supports_tx_param_setup());
}

#[test]
fn rx1_data_rate_follows_the_offset_table() {
    // RP002-1.0.4 §2.8, AU915-928 downlink RX1 data rate mapping (RX1DROffset 0 to 5).
    let au915 = band("au915");
    let cases = [
        (0, 0, 8),
        (1, 0, 9),
        (2, 5, 8),
        (4, 2, 10),
        (5, 0, 13),
        (6, 0, 13),
        (6, 5, 9),
        (7, 0, 9),
    ];
    for (uplink_dr, offset, downlink_dr) in cases {
        assert_eq!(
            au915.rx1_data_rate(uplink_dr, offset, DwellTime::NoLimit),
            Ok(downlink_dr),
            "DR{uplink_dr} offset {offset}"
        );
    }
    assert_eq!(
        au915.rx1_data_rate(0, 6, DwellTime::NoLimit),
        Err(Error::InvalidRx1DrOffset(6))
    );
}

#[test]
fn rx1_frequency_is_the_uplink_channel_modulo_eight() {
    // RP002-1.0.4 §2.8, AU915-928 receive windows: uplink channels 915.2 MHz + 200 kHz n
    // and 915.9 MHz + 1.6 MHz n, RX1 on 923.3 MHz + 600 kHz (n mod 8).
    let au915 = band("au915");
    let cases = [
        (915_200_000, 923_300_000), // channel 0
        (916_600_000, 927_500_000), // channel 7
        (916_800_000, 923_300_000), // channel 8
        (927_800_000, 927_500_000), // channel 63
        (915_900_000, 923_300_000), // channel 64
        (917_500_000, 923_900_000), // channel 65
        (927_100_000, 927_500_000), // channel 71
    ];
    for (uplink_hz, downlink_hz) in cases {
        assert_eq!(
            au915.rx1_frequency(uplink_hz),
            Ok(downlink_hz),
            "{uplink_hz}"
        );
    }
    assert_eq!(
        au915.rx2_params(),
        RxWindow {
            frequency_hz: 923_300_000,
            data_rate: 8
        }
    );
}

#[test]
fn sub_bands_hold_eight_narrow_and_one_wide_channel() {
    // AU915-928 sub-band 1: channels 0 to 7 and 64.
    let au915 = band("au915_0");
    assert_eq!(au915.enabled_channels(), vec![0, 1, 2, 3, 4, 5, 6, 7, 64]);
    // RP002-1.0.4 §2.3.2, CFList type 1.
    assert_eq!(
        au915.cf_list_bytes(),
        Some([0xff, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x01])
    );
    // RP002-1.0.4 §2.8.5, AU915-928 ChMaskCntl table.
    assert_eq!(
        au915.link_adr_masks(&au915.enabled_channels()),
        Ok(vec![payload(7, 0x0001), payload(0, 0x00ff)])
    );
    let eighth = band("au915_7");
    assert_eq!(
        eighth.link_adr_masks(&eighth.enabled_channels()),
        Ok(vec![payload(7, 0x0080), payload(3, 0xff00)])
    );
}

#[test]
fn tx_power_and_beacon_defaults() {
    // RP002-1.0.4 §2.8, AU915-928 TXPower table (0 to 14 from 30 dBm) and beacon (DR8,
    // 923.3 MHz + 600 kHz n).
    let au915 = band("au915");
    assert_eq!(au915.tx_power_dbm(10, 30.0), Ok(10.0));
    assert_eq!(au915.max_tx_power_index(), 14);
    let beacon = au915.beacon_defaults();
    assert_eq!(beacon.data_rate, 8);
    assert_eq!(beacon.frequencies_hz.first(), Some(&923_300_000));
    assert_eq!(beacon.frequencies_hz.last(), Some(&927_500_000));
}
