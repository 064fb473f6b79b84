//! Radio parameters between the bus messages and the band tables: modulations, data rate
//! indexes and the class A transmission items of a downlink.
//!
//! No decisions about frames live here; callers pick the windows (`uplink`, `otaa`).

use std::time::Duration;

use bytes::Bytes;
use lorawan_region::{Band, CodingRate, LrFhssCodingRate, Modulation, RxWindow};
use tern_proto::internal::v1 as pb;

/// Converts a bus modulation into the band tables' form; `None` when unset or unknown.
pub(crate) fn region_modulation(modulation: &pb::Modulation) -> Option<Modulation> {
    use pb::modulation::Parameters;
    match modulation.parameters.as_ref()? {
        Parameters::Lora(lora) => Some(Modulation::Lora {
            spreading_factor: u8::try_from(lora.spreading_factor).ok()?,
            bandwidth_hz: lora.bandwidth_hz,
            coding_rate: match lora.code_rate() {
                pb::CodeRate::CrLi48 => CodingRate::Cr4_8Li,
                _ => CodingRate::Cr4_5,
            },
        }),
        Parameters::Fsk(fsk) => Some(Modulation::Fsk {
            bit_rate: fsk.bitrate,
        }),
        Parameters::LrFhss(lr_fhss) => Some(Modulation::LrFhss {
            occupied_channel_width_hz: lr_fhss.ocw_bandwidth_hz,
            coding_rate: match lr_fhss.code_rate() {
                pb::CodeRate::Cr23 => LrFhssCodingRate::Cr2_3,
                _ => LrFhssCodingRate::Cr1_3,
            },
        }),
    }
}

/// Converts a band modulation into the bus form.
pub(crate) fn proto_modulation(modulation: Modulation) -> pb::Modulation {
    use pb::modulation::Parameters;
    let parameters = match modulation {
        Modulation::Lora {
            spreading_factor,
            bandwidth_hz,
            coding_rate,
        } => Parameters::Lora(pb::LoraModulation {
            spreading_factor: u32::from(spreading_factor),
            bandwidth_hz,
            code_rate: match coding_rate {
                CodingRate::Cr4_5 => pb::CodeRate::Cr45,
                CodingRate::Cr4_8Li => pb::CodeRate::CrLi48,
            } as i32,
        }),
        Modulation::Fsk { bit_rate } => Parameters::Fsk(pb::FskModulation {
            bitrate: bit_rate,
            frequency_deviation_hz: bit_rate / 2,
        }),
        Modulation::LrFhss {
            occupied_channel_width_hz,
            coding_rate,
        } => Parameters::LrFhss(pb::LrFhssModulation {
            code_rate: match coding_rate {
                LrFhssCodingRate::Cr1_3 => pb::CodeRate::Cr13,
                LrFhssCodingRate::Cr2_3 => pb::CodeRate::Cr23,
            } as i32,
            ocw_bandwidth_hz: occupied_channel_width_hz,
            grid_steps: 0,
        }),
    };
    pb::Modulation {
        parameters: Some(parameters),
    }
}

/// Returns the uplink data rate index of `tx_info` in `band`, or `None` when the band has no
/// such uplink data rate.
pub(crate) fn uplink_dr(band: &Band, tx_info: &pb::UplinkTxInfo) -> Option<u8> {
    let modulation = region_modulation(tx_info.modulation.as_ref()?)?;
    band.uplink_data_rate_index(&modulation).ok()
}

/// One receive window of a class A downlink: where, how and how long after the uplink.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) rx: RxWindow,
    pub(crate) delay: Duration,
    pub(crate) slot: pb::DownlinkSlot,
}

/// Builds the items of a class A downlink through the gateway that received `rx`, one per
/// window in order of preference, timed on the gateway's `tmst`.
pub(crate) fn class_a_items(
    band: &Band,
    rx: &pb::UplinkRxMetadata,
    phy_payload: &Bytes,
    windows: &[Window],
) -> crate::Result<Vec<pb::DownlinkTxItem>> {
    // The band's default maximum EIRP; per-gateway limits come with the gateway cache.
    let power_dbm = band.default_max_eirp_dbm().floor() as i32;
    windows
        .iter()
        .map(|window| {
            let data_rate = band.data_rate(window.rx.data_rate)?;
            Ok(pb::DownlinkTxItem {
                phy_payload: phy_payload.clone(),
                frequency_hz: window.rx.frequency_hz,
                power_dbm,
                modulation: Some(proto_modulation(data_rate.modulation)),
                timing: Some(pb::DownlinkTiming {
                    timing: Some(pb::downlink_timing::Timing::Delay(pb::DelayTiming {
                        tmst: rx.tmst,
                        context: rx.context.clone(),
                        delay_ns: u64::try_from(window.delay.as_nanos()).unwrap_or(u64::MAX),
                    })),
                }),
                invert_polarization: true,
                rf_chain: 0,
                antenna: rx.antenna,
                board: rx.board,
                slot: window.slot as i32,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulations_round_trip_through_the_band_form() {
        let cases = [
            Modulation::Lora {
                spreading_factor: 7,
                bandwidth_hz: 125_000,
                coding_rate: CodingRate::Cr4_5,
            },
            Modulation::Fsk { bit_rate: 50_000 },
            Modulation::LrFhss {
                occupied_channel_width_hz: 137_000,
                coding_rate: LrFhssCodingRate::Cr2_3,
            },
        ];
        for modulation in cases {
            assert_eq!(
                region_modulation(&proto_modulation(modulation)),
                Some(modulation)
            );
        }
    }

    #[test]
    fn uplink_dr_of_eu868_sf7_is_5() {
        // RP002-1.0.4 §2.4.3: EU863-870 DR5 is SF7/125 kHz.
        let band = Band::by_name("eu868").unwrap();
        let tx_info = pb::UplinkTxInfo {
            frequency_hz: 868_100_000,
            modulation: Some(proto_modulation(Modulation::Lora {
                spreading_factor: 7,
                bandwidth_hz: 125_000,
                coding_rate: CodingRate::Cr4_5,
            })),
        };
        assert_eq!(uplink_dr(&band, &tx_info), Some(5));
    }
}
