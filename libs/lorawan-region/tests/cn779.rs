//! CN779-787 spot checks, written from RP002-1.0.3 §2.6 (the last revision that describes
//! the band; the table each test reads is named in the test).

use lorawan_codec::DwellTime;
use lorawan_region::{Band, Channel, MaxPayload, Revision, RxWindow};

fn cn779() -> Band {
    Band::by_name("cn779").unwrap()
}

#[test]
fn data_rates_payloads_and_rx1() {
    // RP002-1.0.3 §2.6, CN779-787 data rate, maximum payload size and RX1 data rate tables.
    let band = cn779();
    assert_eq!(band.revision(), Revision::Rp002V1_0_3);
    assert_eq!(
        band.max_payload(4, DwellTime::NoLimit, false),
        Ok(MaxPayload { m: 250, n: 242 })
    );
    assert_eq!(band.rx1_data_rate(3, 2, DwellTime::NoLimit), Ok(1));
}

#[test]
fn channels_join_channels_and_windows() {
    // RP002-1.0.3 §2.6: default channels 779.5, 779.7, 779.9 MHz; join-request also on
    // 780.5, 780.7, 780.9 MHz; 779.5 to 786.5 MHz; RX2 786 MHz DR0; beacon 785 MHz DR3.
    let band = cn779();
    assert_eq!(
        band.default_channels(),
        vec![
            Channel::new(779_500_000, 0, 5),
            Channel::new(779_700_000, 0, 5),
            Channel::new(779_900_000, 0, 5)
        ]
    );
    let join: Vec<u32> = band
        .join_channels()
        .iter()
        .map(|c| c.frequency_hz)
        .collect();
    assert_eq!(
        join,
        vec![
            779_500_000,
            779_700_000,
            779_900_000,
            780_500_000,
            780_700_000,
            780_900_000
        ]
    );
    assert_eq!(
        band.channel_frequency_range(),
        Some((779_500_000, 786_500_000))
    );
    assert_eq!(
        band.rx2_params(),
        RxWindow {
            frequency_hz: 786_000_000,
            data_rate: 0
        }
    );
    assert_eq!(band.beacon_defaults().frequencies_hz, vec![785_000_000]);
    assert_eq!(band.tx_power_dbm(5, 12.15), Ok(12.15 - 10.0));
}
