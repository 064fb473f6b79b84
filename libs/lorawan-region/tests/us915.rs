//! US902-928 spot checks, written from RP002-1.0.4 §2.5 (the table each test reads is named
//! in the test).

use lorawan_codec::{CfList, DwellTime, LinkAdrReqPayload};
use lorawan_region::{
    Band, ChMaskRule, CodingRate, Error, LrFhssCodingRate, MaxPayload, Modulation, RxWindow,
};

fn band(name: &str) -> Band {
    Band::by_name(name).unwrap()
}

fn lora(spreading_factor: u8, bandwidth_hz: u32) -> Modulation {
    Modulation::Lora {
        spreading_factor,
        bandwidth_hz,
        coding_rate: CodingRate::Cr4_5,
    }
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
    // RP002-1.0.4 §2.5, US902-928 data rate table.
    let us915 = band("us915");
    let cases = [
        (0, lora(10, 125_000), true, false),
        (3, lora(7, 125_000), true, false),
        (4, lora(8, 500_000), true, false),
        (8, lora(12, 500_000), false, true),
        (13, lora(7, 500_000), false, true),
    ];
    for (dr, modulation, uplink, downlink) in cases {
        let rate = us915.data_rate(dr).unwrap();
        assert_eq!(
            (rate.modulation, rate.uplink, rate.downlink),
            (modulation, uplink, downlink),
            "DR{dr}"
        );
    }
    assert_eq!(
        us915.data_rate(6).unwrap().modulation,
        Modulation::LrFhss {
            occupied_channel_width_hz: 1_523_000,
            coding_rate: LrFhssCodingRate::Cr2_3
        }
    );
    assert_eq!(us915.data_rate(7), Err(Error::InvalidDataRate(7)));
    // SF8/500 kHz is DR4 up and DR12 down.
    assert_eq!(us915.uplink_data_rate_index(&lora(8, 500_000)), Ok(4));
    assert_eq!(us915.downlink_data_rate_index(&lora(8, 500_000)), Ok(12));
}

#[test]
fn max_payload_matches_the_payload_table() {
    // RP002-1.0.4 §2.5, US902-928 maximum payload size table (M, N).
    let us915 = band("us915");
    let cases = [
        (0, 19, 11),
        (1, 61, 53),
        (2, 133, 125),
        (3, 250, 242),
        (4, 250, 242),
        (5, 58, 50),
        (8, 61, 53),
        (9, 137, 129),
        (13, 250, 242),
    ];
    for (dr, m, n) in cases {
        assert_eq!(
            us915.max_payload(dr, DwellTime::NoLimit, false),
            Ok(MaxPayload { m, n }),
            "DR{dr}"
        );
    }
    assert_eq!(
        us915.max_payload(10, DwellTime::NoLimit, true),
        Ok(MaxPayload { m: 230, n: 222 })
    );
}

#[test]
fn rx1_data_rate_follows_the_offset_table() {
    // RP002-1.0.4 §2.5, US902-928 downlink RX1 data rate mapping (RX1DROffset 0 to 3).
    let us915 = band("us915");
    let cases = [
        (0, 0, 10),
        (0, 3, 8),
        (1, 1, 10),
        (2, 3, 9),
        (3, 0, 13),
        (4, 0, 13),
        (4, 3, 11),
        (5, 0, 10),
        (6, 2, 9),
    ];
    for (uplink_dr, offset, downlink_dr) in cases {
        assert_eq!(
            us915.rx1_data_rate(uplink_dr, offset, DwellTime::NoLimit),
            Ok(downlink_dr),
            "DR{uplink_dr} offset {offset}"
        );
    }
    assert_eq!(
        us915.rx1_data_rate(0, 4, DwellTime::NoLimit),
        Err(Error::InvalidRx1DrOffset(4))
    );
    assert_eq!(
        us915.rx1_data_rate(8, 0, DwellTime::NoLimit),
        Err(Error::InvalidDataRate(8))
    );
}

#[test]
fn rx1_frequency_is_the_uplink_channel_modulo_eight() {
    // RP002-1.0.4 §2.5, US902-928 receive windows: RX1 on downlink channel
    // (uplink channel mod 8), 923.3 MHz + 600 kHz n.
    let us915 = band("us915");
    let cases = [
        (902_300_000, 923_300_000), // channel 0
        (903_700_000, 927_500_000), // channel 7
        (903_900_000, 923_300_000), // channel 8
        (904_100_000, 923_900_000), // channel 9
        (914_900_000, 927_500_000), // channel 63
        (903_000_000, 923_300_000), // channel 64
        (904_600_000, 923_900_000), // channel 65
        (914_200_000, 927_500_000), // channel 71
    ];
    for (uplink_hz, downlink_hz) in cases {
        assert_eq!(
            us915.rx1_frequency(uplink_hz),
            Ok(downlink_hz),
            "{uplink_hz}"
        );
    }
    assert_eq!(
        us915.rx1_frequency(902_400_000),
        Err(Error::FrequencyNotInBand(902_400_000))
    );
    assert_eq!(us915.uplink_channel(904_600_000), Ok(65));
    assert_eq!(
        us915.rx1_params(904_600_000, 4, 0, DwellTime::NoLimit),
        Ok(RxWindow {
            frequency_hz: 923_900_000,
            data_rate: 13
        })
    );
}

#[test]
fn rx2_defaults_to_923_3_mhz_dr8() {
    // RP002-1.0.4 §2.5, US902-928 receive windows.
    assert_eq!(
        band("us915_1").rx2_params(),
        RxWindow {
            frequency_hz: 923_300_000,
            data_rate: 8
        }
    );
}

#[test]
fn sub_band_two_enables_channels_8_to_15_and_65() {
    // Sub-band 2 of US902-928: 125 kHz channels 8 to 15 and 500 kHz channel 65.
    let us915 = band("us915_1");
    assert_eq!(us915.sub_band(), Some(1));
    assert_eq!(
        us915.enabled_channels(),
        vec![8, 9, 10, 11, 12, 13, 14, 15, 65]
    );
    assert_eq!(us915.join_channels().len(), 9);
    assert_eq!(us915.join_channels()[0].frequency_hz, 903_900_000);
    assert_eq!(us915.default_channels().len(), 72);
}

#[test]
fn cf_list_is_a_channel_mask() {
    // RP002-1.0.4 §2.3.2, CFList type 1: ChMask0 to ChMask4 cover channels 0 to 71.
    let sub_band_two = [
        0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01,
    ];
    assert_eq!(
        band("us915_1").cf_list().map(|c| c.encode()),
        Some(sub_band_two)
    );
    assert_eq!(band("us915_1").cf_list_bytes(), Some(sub_band_two));
    assert_eq!(
        band("us915").cf_list(),
        Some(CfList::ChannelMask([
            0xffff, 0xffff, 0xffff, 0xffff, 0x00ff, 0
        ]))
    );
}

#[test]
fn link_adr_req_prefers_the_all_125_khz_forms() {
    // RP002-1.0.4 §2.5.5, US902-928 ChMaskCntl table.
    let us915 = band("us915");
    assert_eq!(us915.ch_mask_rule(), ChMaskRule::Fixed64Plus8);
    let sub_band_two = [8, 9, 10, 11, 12, 13, 14, 15, 65];
    // All 125 kHz off with channel 65 on, then channels 8 to 15.
    assert_eq!(
        us915.link_adr_masks(&sub_band_two),
        Ok(vec![payload(7, 0x0002), payload(0, 0xff00)])
    );
    // Every channel: one "all 125 kHz on" with all wide channels.
    let all: Vec<usize> = (0..72).collect();
    assert_eq!(us915.link_adr_masks(&all), Ok(vec![payload(6, 0x00ff)]));
    // All but channel 20: "all on", then block 1 without bit 4.
    let all_but_20: Vec<usize> = (0..72).filter(|channel| *channel != 20).collect();
    assert_eq!(
        us915.link_adr_masks(&all_but_20),
        Ok(vec![payload(6, 0x00ff), payload(1, 0xffef)])
    );
    // Only wide channels: a single "all 125 kHz off".
    assert_eq!(
        us915.link_adr_masks(&[64, 70]),
        Ok(vec![payload(7, 0b0100_0001)])
    );
    assert_eq!(us915.link_adr_masks(&[]), Err(Error::NoChannelEnabled));
    assert_eq!(
        us915.link_adr_masks(&[72]),
        Err(Error::ChannelNotDefined(72))
    );
}

#[test]
fn link_adr_req_chmaskcntl_four_and_five_are_understood() {
    // RP002-1.0.4 §2.5.5: 4 sets channels 64 to 71; 5 switches blocks of 8 + 1 channels.
    let us915 = band("us915");
    let all: Vec<usize> = (0..72).collect();
    assert_eq!(
        us915.apply_link_adr_masks(&all, &[payload(5, 0x0002)]),
        Ok(vec![8, 9, 10, 11, 12, 13, 14, 15, 65])
    );
    assert_eq!(
        us915.apply_link_adr_masks(&[0], &[payload(4, 0x0080)]),
        Ok(vec![0, 71])
    );
    assert_eq!(
        us915.apply_link_adr_masks(&[0], &[payload(4, 0x0100)]),
        Err(Error::ChannelNotDefined(72))
    );
    assert_eq!(
        us915.apply_link_adr_masks(&[0], &[payload(7, 0)]),
        Err(Error::NoChannelEnabled)
    );
}

#[test]
fn tx_power_runs_from_30_dbm_in_2_db_steps() {
    // RP002-1.0.4 §2.5, US902-928 TXPower table: 0 to 14.
    let us915 = band("us915");
    assert_eq!(
        us915.tx_power_dbm(0, us915.default_max_eirp_dbm()),
        Ok(30.0)
    );
    assert_eq!(us915.tx_power_dbm(14, 30.0), Ok(2.0));
    assert_eq!(us915.tx_power_dbm(15, 30.0), Err(Error::InvalidTxPower(15)));
}

#[test]
fn beacon_hops_over_the_downlink_channels() {
    // RP002-1.0.4 §2.5, US902-928 beacon: DR8, channel floor(t / 128) mod 8 of
    // 923.3 MHz + 600 kHz n.
    let beacon = band("us915").beacon_defaults();
    assert_eq!(beacon.data_rate, 8);
    assert_eq!(beacon.frequencies_hz.len(), 8);
    assert_eq!(beacon.beacon_frequency(128 * 3), Some(925_100_000));
    assert_eq!(beacon.beacon_frequency(128 * 8), Some(923_300_000));
}

#[test]
fn fixed_plan_refuses_channel_commands() {
    // RP002-1.0.4 §2.5: NewChannelReq, DlChannelReq and TxParamSetupReq are not implemented.
    let mut us915 = band("us915");
    assert!(!us915.supports_new_channel_req());
    assert!(!us915.supports_dl_channel_req());
    assert!(!us915.supports_tx_param_setup());
    assert_eq!(
        us915.add_channel(lorawan_region::Channel::new(905_000_000, 0, 3)),
        Err(Error::FixedChannelPlan)
    );
}
