//! EU863-870 spot checks, written from RP002-1.0.4 §2.4 (the table each test reads is named
//! in the test).

use lorawan_codec::{CfList, DwellTime, LinkAdrReqPayload};
use lorawan_region::{
    Band, Channel, CodingRate, Error, LrFhssCodingRate, MaxPayload, Modulation, Revision, RxWindow,
};

fn eu868() -> Band {
    Band::by_name("eu868").unwrap()
}

fn lora(spreading_factor: u8, bandwidth_hz: u32) -> Modulation {
    Modulation::Lora {
        spreading_factor,
        bandwidth_hz,
        coding_rate: CodingRate::Cr4_5,
    }
}

#[test]
fn data_rates_match_the_data_rate_table() {
    // RP002-1.0.4 §2.4, EU863-870 data rate table.
    let band = eu868();
    let cases = [
        (0, lora(12, 125_000)),
        (3, lora(9, 125_000)),
        (5, lora(7, 125_000)),
        (6, lora(7, 250_000)),
        (7, Modulation::Fsk { bit_rate: 50_000 }),
        (
            8,
            Modulation::LrFhss {
                occupied_channel_width_hz: 137_000,
                coding_rate: LrFhssCodingRate::Cr1_3,
            },
        ),
        (
            11,
            Modulation::LrFhss {
                occupied_channel_width_hz: 336_000,
                coding_rate: LrFhssCodingRate::Cr2_3,
            },
        ),
    ];
    for (dr, modulation) in cases {
        assert_eq!(band.data_rate(dr).unwrap().modulation, modulation, "DR{dr}");
    }
    assert!(
        !band.data_rate(8).unwrap().downlink,
        "LR-FHSS is uplink-only"
    );
    assert_eq!(band.data_rate(12), Err(Error::InvalidDataRate(12)));
    assert_eq!(band.uplink_data_rate_index(&lora(7, 125_000)), Ok(5));
    assert_eq!(
        band.uplink_data_rate_index(&lora(7, 500_000)),
        Err(Error::NoDataRateForModulation(lora(7, 500_000)))
    );
}

#[test]
fn max_payload_matches_the_payload_table() {
    // RP002-1.0.4 §2.4, EU863-870 maximum payload size table (M, N).
    let band = eu868();
    let cases = [
        (0, 59, 51),
        (2, 59, 51),
        (3, 123, 115),
        (4, 250, 242),
        (7, 250, 242),
        (8, 58, 50),
        (9, 123, 115),
    ];
    for (dr, m, n) in cases {
        assert_eq!(
            band.max_payload(dr, DwellTime::NoLimit, false),
            Ok(MaxPayload { m, n }),
            "DR{dr}"
        );
    }
    // Repeater-compatible sizes stop at M = 230.
    assert_eq!(
        band.max_payload(5, DwellTime::NoLimit, true),
        Ok(MaxPayload { m: 230, n: 222 })
    );
    assert_eq!(
        band.max_payload(3, DwellTime::NoLimit, true),
        Ok(MaxPayload { m: 123, n: 115 })
    );
}

#[test]
fn rx1_data_rate_follows_the_offset_table() {
    // RP002-1.0.4 §2.4, EU863-870 downlink RX1 data rate mapping.
    let band = eu868();
    let cases = [
        (0, 0, 0),
        (5, 0, 5),
        (5, 5, 0),
        (7, 2, 5),
        (6, 5, 1),
        (9, 0, 2),
        (11, 1, 1),
    ];
    for (uplink_dr, offset, downlink_dr) in cases {
        assert_eq!(
            band.rx1_data_rate(uplink_dr, offset, DwellTime::NoLimit),
            Ok(downlink_dr),
            "DR{uplink_dr} offset {offset}"
        );
    }
    assert_eq!(
        band.rx1_data_rate(5, 6, DwellTime::NoLimit),
        Err(Error::InvalidRx1DrOffset(6))
    );
    assert_eq!(
        band.rx1_data_rate(12, 0, DwellTime::NoLimit),
        Err(Error::InvalidDataRate(12))
    );
}

#[test]
fn rx1_uses_the_uplink_frequency_and_rx2_the_default() {
    // RP002-1.0.4 §2.4, EU863-870 receive windows.
    let band = eu868();
    assert_eq!(
        band.rx1_params(868_300_000, 5, 1, DwellTime::NoLimit),
        Ok(RxWindow {
            frequency_hz: 868_300_000,
            data_rate: 4
        })
    );
    assert_eq!(band.rx1_frequency(867_500_000), Ok(867_500_000));
    assert_eq!(
        band.rx1_frequency(902_300_000),
        Err(Error::FrequencyNotInBand(902_300_000))
    );
    assert_eq!(
        band.rx2_params(),
        RxWindow {
            frequency_hz: 869_525_000,
            data_rate: 0
        }
    );
    assert_eq!(band.join_accept_rx2_params(868_100_000), band.rx2_params());
    assert_eq!(band.revision(), Revision::Rp002V1_0_4);
}

#[test]
fn default_channels_are_the_three_mandatory_ones() {
    // RP002-1.0.4 §2.4, EU863-870 default channels.
    let band = eu868();
    let expected = vec![
        Channel::new(868_100_000, 0, 5),
        Channel::new(868_300_000, 0, 5),
        Channel::new(868_500_000, 0, 5),
    ];
    assert_eq!(band.default_channels(), expected);
    assert_eq!(band.join_channels().len(), 3);
    assert_eq!(band.uplink_channel(868_500_000), Ok(2));
    assert_eq!(
        band.uplink_channel(867_100_000),
        Err(Error::FrequencyNotInBand(867_100_000))
    );
}

#[test]
fn cf_list_carries_the_five_extra_channels() {
    // RP002-1.0.4 §2.3.1, CFList type 0; bytes as in ChirpStack lrwn/src/cflist.rs tests.
    let mut band = eu868();
    assert_eq!(band.cf_list(), None);
    for frequency_hz in [
        867_100_000,
        867_300_000,
        867_500_000,
        867_700_000,
        867_900_000,
    ] {
        band.add_channel(Channel::new(frequency_hz, 0, 5)).unwrap();
    }
    let bytes = [
        0x18, 0x4f, 0x84, 0xe8, 0x56, 0x84, 0xb8, 0x5e, 0x84, 0x88, 0x66, 0x84, 0x58, 0x6e, 0x84,
        0x00,
    ];
    assert_eq!(band.cf_list().map(|cf_list| cf_list.encode()), Some(bytes));
    assert_eq!(band.cf_list_bytes(), Some(bytes));
    assert!(matches!(band.cf_list(), Some(CfList::Frequencies(_))));
    assert_eq!(band.uplink_channel(867_900_000), Ok(7));
    assert_eq!(band.cf_list_channels(), vec![3, 4, 5, 6, 7]);
}

#[test]
fn cf_list_channels_stop_at_a_channel_outside_the_cf_list_data_rates() {
    let mut band = eu868();
    assert_eq!(band.cf_list_channels(), Vec::<usize>::new());
    band.add_channel(Channel::new(867_100_000, 0, 5)).unwrap();
    band.add_channel(Channel::new(867_300_000, 0, 4)).unwrap();
    band.add_channel(Channel::new(867_500_000, 0, 5)).unwrap();
    assert_eq!(band.cf_list_channels(), vec![3]);
    assert!(
        Band::by_name("us915_1")
            .unwrap()
            .cf_list_channels()
            .is_empty()
    );
}

#[test]
fn added_channels_are_checked() {
    // RP002-1.0.4 §2.4: 863 to 870 MHz, at most 16 channels.
    let mut band = eu868();
    assert_eq!(
        band.add_channel(Channel::new(870_100_000, 0, 5)),
        Err(Error::FrequencyNotInBand(870_100_000))
    );
    assert_eq!(
        band.add_channel(Channel::new(868_100_050, 0, 5)),
        Err(Error::FrequencyNotOnStep {
            frequency_hz: 868_100_050,
            step_hz: 100
        })
    );
    assert_eq!(
        band.add_channel(Channel::new(868_800_000, 5, 4)),
        Err(Error::InvalidChannelDataRates {
            min_dr: 5,
            max_dr: 4
        })
    );
    for n in 0..13 {
        band.add_channel(Channel::new(863_100_000 + n * 200_000, 0, 5))
            .unwrap();
    }
    assert_eq!(
        band.add_channel(Channel::new(866_100_000, 0, 5)),
        Err(Error::TooManyChannels { max: 16 })
    );
    assert!(band.supports_new_channel_req());
    assert!(band.supports_dl_channel_req());
    assert!(!band.supports_tx_param_setup());
}

#[test]
fn link_adr_req_uses_chmaskcntl_zero_and_six() {
    // RP002-1.0.4 §2.4, EU863-870 ChMaskCntl table: 0 for channels 0 to 15, 6 all on.
    let mut band = eu868();
    band.add_channel(Channel::new(867_100_000, 0, 5)).unwrap();
    let payloads = band.link_adr_masks(&[0, 1, 3]).unwrap();
    assert_eq!(
        payloads,
        vec![LinkAdrReqPayload {
            ch_mask: 0b1011,
            ..LinkAdrReqPayload::default()
        }]
    );
    assert_eq!(
        band.apply_link_adr_masks(&[0], &payloads),
        Ok(vec![0, 1, 3])
    );
    let all_on = LinkAdrReqPayload {
        ch_mask_cntl: 6,
        ..LinkAdrReqPayload::default()
    };
    assert_eq!(
        band.apply_link_adr_masks(&[2], &[all_on]),
        Ok(vec![0, 1, 2, 3])
    );
    let block_one = LinkAdrReqPayload {
        ch_mask_cntl: 1,
        ..LinkAdrReqPayload::default()
    };
    assert_eq!(
        band.apply_link_adr_masks(&[0], &[block_one]),
        Err(Error::UnsupportedChMaskCntl(1))
    );
    assert_eq!(band.link_adr_masks(&[4]), Err(Error::ChannelNotDefined(4)));
}

#[test]
fn tx_power_steps_down_from_max_eirp() {
    // RP002-1.0.4 §2.4, EU863-870 TXPower table: 0 to 7, Max EIRP − 2 dB × TXPower.
    let band = eu868();
    assert_eq!(band.default_max_eirp_dbm(), 16.0);
    assert_eq!(band.tx_power_dbm(0, 16.0), Ok(16.0));
    assert_eq!(band.tx_power_dbm(7, 16.0), Ok(2.0));
    assert_eq!(band.tx_power_dbm(8, 16.0), Err(Error::InvalidTxPower(8)));
    assert_eq!(band.max_tx_power_index(), 7);
}

#[test]
fn beacon_and_duty_cycle_defaults() {
    // RP002-1.0.4 §2.4, EU863-870 beacon settings: 869.525 MHz, DR3; ETSI EN 300 220-2
    // sub-bands M (1 %) and P (10 %).
    let band = eu868();
    let beacon = band.beacon_defaults();
    assert_eq!(beacon.data_rate, 3);
    assert_eq!(beacon.beacon_frequency(1_000_000), Some(869_525_000));
    let sub_band = |frequency_hz| {
        band.duty_cycle_sub_bands()
            .iter()
            .find(|sub_band| sub_band.contains(frequency_hz))
            .map(|sub_band| sub_band.duty_cycle)
    };
    assert_eq!(sub_band(868_100_000), Some(0.01));
    assert_eq!(sub_band(869_525_000), Some(0.1));
    assert_eq!(sub_band(863_500_000), Some(0.001));
    assert_eq!(band.timing().join_accept_delay1.as_secs(), 5);
}
