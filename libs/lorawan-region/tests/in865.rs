//! IN865-867 spot checks, written from RP002-1.0.4 §2.12 (the table each test reads is named
//! in the test).

use lorawan_codec::DwellTime;
use lorawan_region::{Band, Channel, Error, MaxPayload, Modulation, RxWindow};

fn in865() -> Band {
    Band::by_name("in865").unwrap()
}

#[test]
fn data_rates_and_payloads_match_the_tables() {
    // RP002-1.0.4 §2.12, IN865-867 data rate and maximum payload size tables; DR6 is RFU.
    let band = in865();
    assert_eq!(band.data_rate(6), Err(Error::InvalidDataRate(6)));
    assert_eq!(
        band.data_rate(7).unwrap().modulation,
        Modulation::Fsk { bit_rate: 50_000 }
    );
    let cases = [(0, 59, 51), (3, 123, 115), (5, 250, 242), (7, 250, 242)];
    for (dr, m, n) in cases {
        assert_eq!(
            band.max_payload(dr, DwellTime::NoLimit, false),
            Ok(MaxPayload { m, n }),
            "DR{dr}"
        );
    }
}

#[test]
fn rx1_data_rate_follows_the_irregular_table() {
    // RP002-1.0.4 §2.12, IN865-867 downlink RX1 data rate mapping, RX1DROffset 0 to 7.
    let band = in865();
    let cases = [
        (0, 6, 1),
        (0, 7, 2),
        (3, 7, 5),
        (4, 6, 5),
        (4, 7, 5),
        (5, 6, 5),
        (5, 7, 7),
        (7, 0, 7),
        (7, 1, 5),
        (7, 2, 5),
        (7, 5, 2),
    ];
    for (uplink_dr, offset, downlink_dr) in cases {
        assert_eq!(
            band.rx1_data_rate(uplink_dr, offset, DwellTime::NoLimit),
            Ok(downlink_dr),
            "DR{uplink_dr} offset {offset}"
        );
    }
    assert_eq!(
        band.rx1_data_rate(6, 0, DwellTime::NoLimit),
        Err(Error::InvalidDataRate(6))
    );
}

#[test]
fn channels_windows_and_power() {
    // RP002-1.0.4 §2.12: default channels 865.0625, 865.4025, 865.985 MHz; RX2 866.55 MHz
    // DR2; TXPower 0 to 10 from 30 dBm; beacon 866.55 MHz DR4.
    let band = in865();
    assert_eq!(
        band.default_channels(),
        vec![
            Channel::new(865_062_500, 0, 5),
            Channel::new(865_402_500, 0, 5),
            Channel::new(865_985_000, 0, 5)
        ]
    );
    assert_eq!(
        band.rx2_params(),
        RxWindow {
            frequency_hz: 866_550_000,
            data_rate: 2
        }
    );
    assert_eq!(band.tx_power_dbm(10, 30.0), Ok(10.0));
    assert_eq!(band.tx_power_dbm(11, 30.0), Err(Error::InvalidTxPower(11)));
    let beacon = band.beacon_defaults();
    assert_eq!(
        (beacon.data_rate, beacon.frequencies_hz),
        (4, vec![866_550_000])
    );
}

#[test]
fn cf_list_lists_added_channels() {
    // RP002-1.0.4 §2.3.1, CFList type 0: 866.0 MHz = 0x842420 × 100 Hz.
    let mut band = in865();
    band.add_channel(Channel::new(866_000_000, 0, 5)).unwrap();
    let mut bytes = [0u8; 16];
    bytes[..3].copy_from_slice(&[0x20, 0x24, 0x84]);
    assert_eq!(band.cf_list().map(|cf_list| cf_list.encode()), Some(bytes));
    // A channel outside DR0 to DR5 does not fit a CFList.
    let mut fsk = in865();
    fsk.add_channel(Channel::new(866_200_000, 7, 7)).unwrap();
    assert_eq!(fsk.cf_list(), None);
}
