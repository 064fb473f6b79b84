//! CN470-510 spot checks for the four channel plans, written from RP002-1.0.4 §2.9 (the
//! table each test reads is named in the test). Join channel frequencies and the
//! join-accept and RX2 frequencies after a join follow Semtech LoRaMac-node
//! `RegionCN470.h` and Azure iotedge-lorawan-starterkit `RegionCN470RP2.cs`.

use lorawan_codec::{DwellTime, LinkAdrReqPayload};
use lorawan_region::{Band, ChMaskRule, Error, MaxPayload, RxWindow};

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

fn window(frequency_hz: u32, data_rate: u8) -> RxWindow {
    RxWindow {
        frequency_hz,
        data_rate,
    }
}

#[test]
fn data_rates_and_payloads_match_the_tables() {
    // RP002-1.0.4 §2.9, CN470-510 data rate and maximum payload size tables.
    let cn470 = band("cn470_20a");
    let cases = [
        (1, 31, 23),
        (2, 94, 86),
        (3, 192, 184),
        (4, 250, 242),
        (6, 250, 242),
        (7, 250, 242),
    ];
    for (dr, m, n) in cases {
        assert_eq!(
            cn470.max_payload(dr, DwellTime::NoLimit, false),
            Ok(MaxPayload { m, n }),
            "DR{dr}"
        );
    }
    // DR0 (SF12) is listed but carries no payload.
    assert_eq!(
        cn470.max_payload(0, DwellTime::NoLimit, false),
        Err(Error::NoPayloadAtDataRate(0))
    );
    assert!(!cn470.data_rate(0).unwrap().uplink);
    assert_eq!(cn470.adr_data_rate_range(), (1, 5));
}

#[test]
fn rx1_data_rate_does_not_go_below_dr1() {
    // RP002-1.0.4 §2.9, CN470-510 downlink RX1 data rate mapping.
    let cn470 = band("cn470_26b");
    let cases = [
        (1, 0, 1),
        (1, 5, 1),
        (3, 1, 2),
        (3, 5, 1),
        (5, 4, 1),
        (7, 5, 2),
    ];
    for (uplink_dr, offset, downlink_dr) in cases {
        assert_eq!(
            cn470.rx1_data_rate(uplink_dr, offset, DwellTime::NoLimit),
            Ok(downlink_dr),
            "DR{uplink_dr} offset {offset}"
        );
    }
    assert_eq!(
        cn470.rx1_data_rate(0, 0, DwellTime::NoLimit),
        Err(Error::InvalidDataRate(0))
    );
}

#[test]
fn rx1_frequencies_follow_each_plan() {
    // RP002-1.0.4 §2.9, CN470-510 channel frequencies of each plan.
    let cases = [
        // 20 MHz type A: 470.3 + 0.2 n → 483.9 + 0.2 n; 503.5 + 0.2 n → 490.3 + 0.2 n.
        ("cn470_20a", 470_300_000, 483_900_000),
        ("cn470_20a", 476_500_000, 490_100_000),
        ("cn470_20a", 503_500_000, 490_300_000),
        ("cn470_20a", 509_700_000, 496_500_000),
        // 20 MHz type B: downlink on the uplink channel.
        ("cn470_20b", 476_900_000, 476_900_000),
        ("cn470_20b", 503_100_000, 503_100_000),
        // 26 MHz type A: 470.3 + 0.2 n → 490.1 + 0.2 (n mod 24).
        ("cn470_26a", 470_300_000, 490_100_000),
        ("cn470_26a", 474_900_000, 494_700_000),
        ("cn470_26a", 475_100_000, 490_100_000),
        ("cn470_26a", 479_700_000, 494_700_000),
        // 26 MHz type B: 480.3 + 0.2 n → 500.1 + 0.2 (n mod 24).
        ("cn470_26b", 480_300_000, 500_100_000),
        ("cn470_26b", 485_300_000, 500_300_000),
    ];
    for (name, uplink_hz, downlink_hz) in cases {
        assert_eq!(
            band(name).rx1_frequency(uplink_hz),
            Ok(downlink_hz),
            "{name} {uplink_hz}"
        );
    }
    assert_eq!(
        band("cn470_26a").rx1_frequency(480_300_000),
        Err(Error::FrequencyNotInBand(480_300_000))
    );
}

#[test]
fn rx2_defaults_per_plan() {
    // RP002-1.0.4 §2.9, CN470-510 receive windows (devices activated by personalisation).
    let cases = [
        ("cn470_20a", 486_900_000),
        ("cn470_20b", 498_300_000),
        ("cn470_26a", 492_500_000),
        ("cn470_26b", 502_500_000),
    ];
    for (name, frequency_hz) in cases {
        assert_eq!(band(name).rx2_params(), window(frequency_hz, 1), "{name}");
    }
}

#[test]
fn join_channels_fix_the_join_accept_and_session_rx2() {
    // Common join channels: the join-accept answers on the join channel's downlink
    // frequency in both windows; the 20 MHz plans then use a per-channel RX2 frequency.
    let cn470 = band("cn470_20a");
    assert_eq!(cn470.join_channels().len(), 8);
    assert_eq!(
        cn470.join_accept_rx1_params(470_900_000, 5, DwellTime::NoLimit),
        Ok(window(484_500_000, 5))
    );
    assert_eq!(
        cn470.join_accept_rx2_params(470_900_000),
        window(484_500_000, 1)
    );
    assert_eq!(
        cn470.rx2_params_after_join(470_900_000),
        window(485_300_000, 1)
    );
    assert_eq!(
        cn470.rx2_params_after_join(508_900_000),
        window(496_500_000, 1)
    );
    let type_b = band("cn470_20b");
    assert_eq!(
        type_b.join_accept_rx2_params(499_900_000),
        window(499_900_000, 1)
    );
    assert_eq!(
        type_b.rx2_params_after_join(479_900_000),
        window(478_300_000, 1)
    );
    // 26 MHz type A answers a join on 472.3 MHz on 492.5 MHz, not by the RX1 rule.
    let type_a_26 = band("cn470_26a");
    assert_eq!(type_a_26.rx1_frequency(472_300_000), Ok(492_100_000));
    assert_eq!(
        type_a_26.join_accept_rx1_params(472_300_000, 2, DwellTime::NoLimit),
        Ok(window(492_500_000, 2))
    );
    assert_eq!(
        type_a_26.rx2_params_after_join(472_300_000),
        window(492_500_000, 1)
    );
    // A sub-band only lists the join channels it holds.
    let sub_band = band("cn470_20a_0");
    let frequencies: Vec<u32> = sub_band
        .join_channels()
        .iter()
        .map(|c| c.frequency_hz)
        .collect();
    assert_eq!(frequencies, vec![470_900_000]);
}

#[test]
fn link_adr_req_uses_each_plans_all_on_and_all_off() {
    // RP002-1.0.4 §2.9, CN470-510 ChMaskCntl tables: 20 MHz plans 0 to 3 per 16 channels,
    // 6 all on, 7 all off; 26 MHz plans 0 to 2, 3 all on, 4 all off.
    let twenty = band("cn470_20a_2");
    assert_eq!(
        twenty.ch_mask_rule(),
        ChMaskRule::FixedBlocks {
            blocks: 4,
            all_on: 6,
            all_off: 7
        }
    );
    assert_eq!(
        twenty.link_adr_masks(&twenty.enabled_channels()),
        Ok(vec![payload(7, 0), payload(1, 0x00ff)])
    );
    let all: Vec<usize> = (0..64).collect();
    assert_eq!(twenty.link_adr_masks(&all), Ok(vec![payload(6, 0)]));
    assert_eq!(
        twenty.apply_link_adr_masks(&[0], &[payload(5, 0x00ff)]),
        Err(Error::UnsupportedChMaskCntl(5))
    );
    let twenty_six = band("cn470_26a");
    let all: Vec<usize> = (0..48).collect();
    assert_eq!(twenty_six.link_adr_masks(&all), Ok(vec![payload(3, 0)]));
    assert_eq!(
        twenty_six.apply_link_adr_masks(&[0], &[payload(4, 0), payload(2, 0x8000)]),
        Ok(vec![47])
    );
    assert_eq!(
        twenty_six.apply_link_adr_masks(&[0], &[payload(6, 0)]),
        Err(Error::UnsupportedChMaskCntl(6))
    );
}

#[test]
fn cf_list_is_a_channel_mask_of_the_sub_band() {
    // RP002-1.0.4 §2.3.2, CFList type 1.
    assert_eq!(
        band("cn470_26b_1").cf_list_bytes(),
        Some([0x00, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01])
    );
    assert_eq!(
        band("cn470_20b_7").cf_list_bytes(),
        Some([0, 0, 0, 0, 0, 0, 0x00, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x01])
    );
}

#[test]
fn beacon_defaults_per_plan() {
    // RP002-1.0.4 §2.9, CN470-510 beacon: DR2; 494.9 MHz (26 MHz type A), 504.9 MHz
    // (type B); the 20 MHz plans hop on channels that depend on the join channel.
    let twenty_six_a = band("cn470_26a").beacon_defaults();
    assert_eq!(
        (twenty_six_a.data_rate, twenty_six_a.frequencies_hz),
        (2, vec![494_900_000])
    );
    let twenty_six_b = band("cn470_26b").beacon_defaults();
    assert_eq!(twenty_six_b.frequencies_hz, vec![504_900_000]);
    assert!(
        band("cn470_20a")
            .beacon_defaults()
            .frequencies_hz
            .is_empty()
    );
}

#[test]
fn tx_power_and_limits() {
    // RP002-1.0.4 §2.9, CN470-510 TXPower table: 0 to 7 from 19.15 dBm.
    let cn470 = band("cn470_20b");
    assert_eq!(cn470.default_max_eirp_dbm(), 19.15);
    assert_eq!(cn470.tx_power_dbm(7, 19.15), Ok(19.15 - 14.0));
    assert_eq!(cn470.tx_power_dbm(8, 19.15), Err(Error::InvalidTxPower(8)));
    assert!(!cn470.supports_new_channel_req());
}
