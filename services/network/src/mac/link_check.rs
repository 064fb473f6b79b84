//! LinkCheckReq → LinkCheckAns (LoRaWAN 1.0.4 §5.1): the margin above the demodulation floor
//! of the best reception, and how many gateways received the request.

use lorawan_codec::LinkCheckAnsPayload;
use lorawan_region::Modulation;

use super::UplinkFacts;

/// Answers LinkCheckReq: the margin in dB above the demodulation floor of the best
/// reception, and how many gateways received the request.
pub(super) fn link_check_ans(facts: &UplinkFacts<'_>) -> LinkCheckAnsPayload {
    let max_snr_db = facts.rx_metadata.first().map_or(f32::MIN, |rx| rx.snr_db);
    let margin = facts
        .modulation
        .and_then(required_snr_db)
        .map_or(0.0, |floor| (max_snr_db - floor).floor());
    LinkCheckAnsPayload {
        // Clamped to the field's range: 255 is reserved.
        margin: margin.clamp(0.0, 254.0) as u8,
        gw_cnt: u8::try_from(facts.rx_metadata.len()).unwrap_or(u8::MAX),
    }
}

/// The SNR a LoRa demodulator needs per spreading factor (Semtech SX1276 datasheet, table 13,
/// the values The Things Stack and ChirpStack use for LinkCheckAns and ADR); `None` for
/// other modulations.
fn required_snr_db(modulation: Modulation) -> Option<f32> {
    let Modulation::Lora {
        spreading_factor, ..
    } = modulation
    else {
        return None;
    };
    match spreading_factor {
        5 => Some(-2.5),
        6 => Some(-5.0),
        7 => Some(-7.5),
        8 => Some(-10.0),
        9 => Some(-12.5),
        10 => Some(-15.0),
        11 => Some(-17.5),
        12 => Some(-20.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::tests::{facts, rx, sf};

    #[test]
    fn link_check_margin_table() {
        // (modulation, best SNR, gateways, margin, gw_cnt)
        let cases = [
            (sf(7), 5.0, 2, 12, 2),
            (sf(12), -19.2, 1, 0, 1),
            (sf(12), -25.0, 1, 0, 1),
            (sf(9), 3.9, 3, 16, 3),
            (None, 3.0, 1, 0, 1),
        ];
        for (modulation, snr_db, n, margin, gw_cnt) in cases {
            let rx_metadata = vec![rx(snr_db, None); n];
            let facts = UplinkFacts {
                modulation,
                ..facts(&rx_metadata)
            };
            assert_eq!(
                link_check_ans(&facts),
                LinkCheckAnsPayload { margin, gw_cnt },
                "{modulation:?} {snr_db}"
            );
        }
    }
}
