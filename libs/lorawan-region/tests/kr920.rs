//! KR920-923 spot checks, written from RP002-1.0.4 §2.11 (the table each test reads is named
//! in the test).

use lorawan_codec::DwellTime;
use lorawan_region::{Band, Channel, Error, MaxPayload, RxWindow};

fn kr920() -> Band {
    Band::by_name("kr920").unwrap()
}

#[test]
fn data_rates_and_payloads_match_the_tables() {
    // RP002-1.0.4 §2.11, KR920-923 data rate and maximum payload size tables: DR0 to DR5.
    let band = kr920();
    let cases = [(0, 59, 51), (2, 59, 51), (3, 123, 115), (5, 250, 242)];
    for (dr, m, n) in cases {
        assert_eq!(
            band.max_payload(dr, DwellTime::NoLimit, false),
            Ok(MaxPayload { m, n }),
            "DR{dr}"
        );
    }
    assert_eq!(band.data_rate(6), Err(Error::InvalidDataRate(6)));
    assert_eq!(
        band.rx1_data_rate(5, 3, DwellTime::NoLimit),
        Ok(2),
        "RP002-1.0.4 §2.11, KR920-923 downlink RX1 data rate mapping"
    );
    assert_eq!(band.rx1_data_rate(2, 5, DwellTime::NoLimit), Ok(0));
}

#[test]
fn channels_windows_and_power() {
    // RP002-1.0.4 §2.11: default channels 922.1, 922.3, 922.5 MHz; RX2 921.9 MHz DR0;
    // MaxEIRP 14 dBm, 10 dBm below 922 MHz; beacon 923.1 MHz DR3.
    let band = kr920();
    assert_eq!(
        band.default_channels(),
        vec![
            Channel::new(922_100_000, 0, 5),
            Channel::new(922_300_000, 0, 5),
            Channel::new(922_500_000, 0, 5)
        ]
    );
    assert_eq!(
        band.rx2_params(),
        RxWindow {
            frequency_hz: 921_900_000,
            data_rate: 0
        }
    );
    assert_eq!(band.tx_power_dbm(0, band.default_max_eirp_dbm()), Ok(14.0));
    let limit = |frequency_hz| {
        band.duty_cycle_sub_bands()
            .iter()
            .find(|sub_band| sub_band.contains(frequency_hz))
            .map(|sub_band| sub_band.max_eirp_dbm)
    };
    assert_eq!(limit(921_500_000), Some(10.0));
    assert_eq!(limit(922_500_000), Some(14.0));
    assert_eq!(band.beacon_defaults().frequencies_hz, vec![923_100_000]);
    assert!(!band.supports_tx_param_setup());
}

#[test]
fn cf_list_lists_added_channels() {
    // RP002-1.0.4 §2.3.1, CFList type 0 for channels 3 to 7.
    let mut band = kr920();
    band.add_channel(Channel::new(922_700_000, 0, 5)).unwrap();
    band.add_channel(Channel::new(922_900_000, 0, 5)).unwrap();
    // 922.7 MHz = 0x8ccaf8 × 100 Hz, 922.9 MHz = 0x8cd2c8 × 100 Hz.
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&[0xf8, 0xca, 0x8c, 0xc8, 0xd2, 0x8c]);
    assert_eq!(band.cf_list_bytes(), Some(bytes));
    assert_eq!(
        band.add_channel(Channel::new(920_800_000, 0, 5)),
        Err(Error::FrequencyNotInBand(920_800_000))
    );
}
