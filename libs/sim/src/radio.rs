//! Radio helpers joining the band's data rate indexes (`lorawan-region`) and the packet
//! forwarder's `datr`/`codr` fields (`semtech-udp`), so a device's uplink becomes an `rxpk`
//! and a `txpk` maps back to a data rate.
//!
//! LR-FHSS `datr` carries modulation type 0 and the occupied channel width, as the SX1302
//! forwarders write it.

use lorawan_codec::Direction;
use lorawan_region::{Band, CodingRate as RegionCodingRate, LrFhssCodingRate, Modulation};
use semtech_udp::{CodingRate, DataRate};

use crate::Result;

/// Returns the `datr` of a modulation.
pub fn datr(modulation: &Modulation) -> DataRate {
    match *modulation {
        Modulation::Lora {
            spreading_factor,
            bandwidth_hz,
            ..
        } => DataRate::Lora {
            spreading_factor,
            bandwidth_hz,
        },
        Modulation::Fsk { bit_rate } => DataRate::Fsk { bit_rate },
        Modulation::LrFhss {
            occupied_channel_width_hz,
            ..
        } => DataRate::LrFhss {
            modulation_type: 0,
            operating_channel_width_hz: occupied_channel_width_hz,
        },
    }
}

/// Returns the `codr` of a modulation: `4/5` or `4/8LI` for LoRa, `2/6` or `4/6` for LR-FHSS,
/// none for FSK.
pub fn codr(modulation: &Modulation) -> Option<CodingRate> {
    match *modulation {
        Modulation::Lora { coding_rate, .. } => Some(match coding_rate {
            RegionCodingRate::Cr4_5 => CodingRate::lora(5),
            RegionCodingRate::Cr4_8Li => CodingRate::Ratio {
                k: 4,
                n: 8,
                long_interleaving: true,
            },
        }),
        Modulation::Fsk { .. } => None,
        Modulation::LrFhss { coding_rate, .. } => Some(match coding_rate {
            LrFhssCodingRate::Cr1_3 => CodingRate::Ratio {
                k: 2,
                n: 6,
                long_interleaving: false,
            },
            LrFhssCodingRate::Cr2_3 => CodingRate::Ratio {
                k: 4,
                n: 6,
                long_interleaving: false,
            },
        }),
    }
}

/// Returns the `datr` of data rate `dr` in `band`.
pub fn datr_of_dr(band: &Band, dr: u8) -> Result<DataRate> {
    Ok(datr(&band.data_rate(dr)?.modulation))
}

/// Returns the data rate index of `band` whose modulation a `datr` names, for frames in
/// `direction` (the highest matching index for downlinks, the lowest for uplinks, as US902-928
/// repeats uplink modulations at downlink-only indexes).
pub fn dr_of_datr(band: &Band, datr: &DataRate, direction: Direction) -> Result<u8> {
    let matches = |modulation: &Modulation| match (*modulation, *datr) {
        (
            Modulation::Lora {
                spreading_factor,
                bandwidth_hz,
                ..
            },
            DataRate::Lora {
                spreading_factor: sf,
                bandwidth_hz: bw,
            },
        ) => spreading_factor == sf && bandwidth_hz == bw,
        (Modulation::Fsk { bit_rate }, DataRate::Fsk { bit_rate: rate }) => bit_rate == rate,
        (
            Modulation::LrFhss {
                occupied_channel_width_hz,
                ..
            },
            DataRate::LrFhss {
                operating_channel_width_hz,
                ..
            },
        ) => occupied_channel_width_hz == operating_channel_width_hz,
        _ => false,
    };
    let rates = band.data_rates();
    let found = match direction {
        Direction::Uplink => rates
            .iter()
            .find(|(_, rate)| rate.uplink && matches(&rate.modulation)),
        Direction::Downlink => rates
            .iter()
            .rev()
            .find(|(_, rate)| rate.downlink && matches(&rate.modulation)),
    };
    match found {
        Some((dr, _)) => Ok(*dr),
        None => Err(crate::Error::UnknownDatr(*datr)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_eu868_data_rates_to_datr_and_back() {
        let band = Band::by_name("eu868").unwrap();
        for dr in 0..=5u8 {
            let datr = datr_of_dr(&band, dr).unwrap();
            assert_eq!(
                datr,
                DataRate::Lora {
                    spreading_factor: 12 - dr,
                    bandwidth_hz: 125_000
                }
            );
            assert_eq!(dr_of_datr(&band, &datr, Direction::Uplink).unwrap(), dr);
        }
        assert_eq!(
            datr_of_dr(&band, 7).unwrap(),
            DataRate::Fsk { bit_rate: 50_000 }
        );
        let modulation = band.data_rate(5).unwrap().modulation;
        assert_eq!(codr(&modulation), Some(CodingRate::lora(5)));
        assert_eq!(codr(&band.data_rate(7).unwrap().modulation), None);
    }

    #[test]
    fn us915_downlink_datr_maps_to_the_downlink_only_index() {
        let band = Band::by_name("us915_1").unwrap();
        let sf12_500 = DataRate::Lora {
            spreading_factor: 12,
            bandwidth_hz: 500_000,
        };
        assert_eq!(
            dr_of_datr(&band, &sf12_500, Direction::Downlink).unwrap(),
            8
        );
        let sf8_500 = DataRate::Lora {
            spreading_factor: 8,
            bandwidth_hz: 500_000,
        };
        assert_eq!(dr_of_datr(&band, &sf8_500, Direction::Uplink).unwrap(), 4);
        assert_eq!(
            dr_of_datr(&band, &sf8_500, Direction::Downlink).unwrap(),
            12
        );
        let unknown = DataRate::Lora {
            spreading_factor: 5,
            bandwidth_hz: 125_000,
        };
        assert!(matches!(
            dr_of_datr(&band, &unknown, Direction::Uplink),
            Err(crate::Error::UnknownDatr(_))
        ));
    }
}
