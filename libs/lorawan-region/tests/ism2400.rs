//! ISM2400 spot checks, from Semtech's LoRaWAN 2.4 GHz parameters as ChirpStack
//! `lrwn/src/region/ism2400.rs` encodes them.

use lorawan_codec::DwellTime;
use lorawan_region::{Band, Channel, CodingRate, Error, MaxPayload, Modulation, RxWindow};

fn ism2400() -> Band {
    Band::by_name("ism2400").unwrap()
}

#[test]
fn data_rates_and_payloads() {
    // DR0 SF12 to DR7 SF5 at 812 kHz, CR 4/8 with long interleaving; M 59, 123, then 248.
    let band = ism2400();
    assert_eq!(
        band.data_rate(7).unwrap().modulation,
        Modulation::Lora {
            spreading_factor: 5,
            bandwidth_hz: 812_000,
            coding_rate: CodingRate::Cr4_8Li
        }
    );
    assert_eq!(
        band.max_payload(1, DwellTime::NoLimit, false),
        Ok(MaxPayload { m: 123, n: 115 })
    );
    assert_eq!(
        band.max_payload(2, DwellTime::NoLimit, false),
        Ok(MaxPayload { m: 248, n: 240 })
    );
    assert_eq!(
        band.max_payload(2, DwellTime::NoLimit, true),
        Ok(MaxPayload { m: 228, n: 220 })
    );
    assert_eq!(band.rx1_data_rate(7, 5, DwellTime::NoLimit), Ok(2));
}

#[test]
fn channels_and_windows() {
    // Default channels 2403, 2425, 2479 MHz (DR0 to DR7); RX2 2423 MHz DR0; beacon 2424 MHz.
    let band = ism2400();
    assert_eq!(
        band.default_channels()[2],
        Channel::new(2_479_000_000, 0, 7)
    );
    assert_eq!(band.rx1_frequency(2_425_000_000), Ok(2_425_000_000));
    assert_eq!(
        band.rx2_params(),
        RxWindow {
            frequency_hz: 2_423_000_000,
            data_rate: 0
        }
    );
    assert_eq!(band.beacon_defaults().frequencies_hz, vec![2_424_000_000]);
    assert_eq!(band.frequency_step_hz(), 200);
}

#[test]
fn cf_list_counts_in_200_hz_units() {
    // 2450 MHz = 12 250 000 × 200 Hz = 0xbaeb90; the 100 Hz CfList type cannot carry it.
    let mut band = ism2400();
    band.add_channel(Channel::new(2_450_000_000, 0, 7)).unwrap();
    let mut bytes = [0u8; 16];
    bytes[..3].copy_from_slice(&[0x90, 0xeb, 0xba]);
    assert_eq!(band.cf_list_bytes(), Some(bytes));
    assert_eq!(band.cf_list(), None);
    assert_eq!(
        band.add_channel(Channel::new(2_450_000_100, 0, 7)),
        Err(Error::FrequencyNotOnStep {
            frequency_hz: 2_450_000_100,
            step_hz: 200
        })
    );
}
