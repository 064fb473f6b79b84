//! EU433 spot checks, written from RP002-1.0.4 §2.7 (the table each test reads is named in
//! the test).

use lorawan_codec::DwellTime;
use lorawan_region::{Band, Channel, Error, MaxPayload, RxWindow};

fn eu433() -> Band {
    Band::by_name("eu433").unwrap()
}

#[test]
fn data_rates_payloads_and_rx1() {
    // RP002-1.0.4 §2.7, EU433 data rate, maximum payload size and RX1 data rate tables.
    let band = eu433();
    assert_eq!(
        band.max_payload(0, DwellTime::NoLimit, false),
        Ok(MaxPayload { m: 59, n: 51 })
    );
    assert_eq!(
        band.max_payload(7, DwellTime::NoLimit, true),
        Ok(MaxPayload { m: 230, n: 222 })
    );
    assert_eq!(band.rx1_data_rate(4, 1, DwellTime::NoLimit), Ok(3));
    assert_eq!(band.rx1_data_rate(7, 5, DwellTime::NoLimit), Ok(2));
}

#[test]
fn channels_windows_and_power() {
    // RP002-1.0.4 §2.7: default channels 433.175, 433.375, 433.575 MHz; RX2 434.665 MHz
    // DR0; TXPower 0 to 5 from 12.15 dBm; beacon 434.665 MHz DR3.
    let band = eu433();
    assert_eq!(
        band.default_channels(),
        vec![
            Channel::new(433_175_000, 0, 5),
            Channel::new(433_375_000, 0, 5),
            Channel::new(433_575_000, 0, 5)
        ]
    );
    assert_eq!(
        band.rx2_params(),
        RxWindow {
            frequency_hz: 434_665_000,
            data_rate: 0
        }
    );
    assert_eq!(band.default_max_eirp_dbm(), 12.15);
    assert_eq!(band.tx_power_dbm(5, 12.15), Ok(12.15 - 10.0));
    assert_eq!(band.tx_power_dbm(6, 12.15), Err(Error::InvalidTxPower(6)));
    assert_eq!(band.beacon_defaults().frequencies_hz, vec![434_665_000]);
    assert_eq!(
        band.channel_frequency_range(),
        Some((433_175_000, 434_665_000))
    );
}
