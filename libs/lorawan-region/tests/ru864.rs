//! RU864-870 spot checks, written from RP002-1.0.4 §2.13 (the table each test reads is named
//! in the test).

use lorawan_codec::{DevAddr, DwellTime};
use lorawan_region::{Band, Channel, Error, MaxPayload, RxWindow};

fn ru864() -> Band {
    Band::by_name("ru864").unwrap()
}

#[test]
fn data_rates_payloads_and_rx1() {
    // RP002-1.0.4 §2.13, RU864-870 data rate, maximum payload size and RX1 data rate tables.
    let band = ru864();
    assert_eq!(
        band.max_payload(3, DwellTime::NoLimit, false),
        Ok(MaxPayload { m: 123, n: 115 })
    );
    assert_eq!(
        band.max_payload(6, DwellTime::NoLimit, false),
        Ok(MaxPayload { m: 250, n: 242 })
    );
    assert_eq!(band.rx1_data_rate(7, 2, DwellTime::NoLimit), Ok(5));
    assert_eq!(band.rx1_data_rate(6, 5, DwellTime::NoLimit), Ok(1));
    assert_eq!(band.data_rate(8), Err(Error::InvalidDataRate(8)));
}

#[test]
fn channels_windows_and_class_b() {
    // RP002-1.0.4 §2.13: default channels 868.9 and 869.1 MHz; RX2 869.1 MHz DR0; beacon
    // 869.1 MHz, ping slots 868.9 MHz, DR3.
    let band = ru864();
    assert_eq!(
        band.default_channels(),
        vec![
            Channel::new(868_900_000, 0, 5),
            Channel::new(869_100_000, 0, 5)
        ]
    );
    assert_eq!(
        band.rx2_params(),
        RxWindow {
            frequency_hz: 869_100_000,
            data_rate: 0
        }
    );
    let beacon = band.beacon_defaults();
    assert_eq!(beacon.beacon_frequency(0), Some(869_100_000));
    assert_eq!(
        beacon.ping_slot_frequency(DevAddr::from_u32(0x2601_1bda), 128),
        Some(868_900_000)
    );
    assert_eq!(band.duty_cycle_sub_bands()[0].duty_cycle, 0.01);
    assert_eq!(band.max_tx_power_index(), 7);
}
