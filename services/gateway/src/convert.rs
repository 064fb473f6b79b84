//! Conversions between Semtech UDP JSON objects and the internal bus messages.
//!
//! [`uplink`] turns a CRC-valid `rxpk` into an `UplinkFrame` and a `stat` into `GatewayStats`;
//! [`downlink`] turns a `DownlinkTxItem` into a `txpk` and a TX_ACK code into a `TxAckStatus`.
//! These functions are pure: the caller passes the reception time and the uplink id, and they
//! neither filter by CRC nor rate-limit; the edge does.

pub(crate) mod downlink;
pub(crate) mod uplink;

use semtech_udp::CodingRate;
use tern_proto::internal::v1 as pb;

/// Nanoseconds per millisecond.
const NANOS_PER_MILLI: i64 = 1_000_000;

/// Maps a Semtech coding rate to the bus enum. LoRa keeps `4/n`; LR-FHSS forwarders write the
/// reduced ratio scaled to k = 4 or 2 (`"4/6"` for 2/3, `"2/6"` for 1/3), so for LR-FHSS the
/// ratio is reduced first (LoRaWAN RP002-1.0.4 §2.x, LR-FHSS data rates DR8 to DR11).
fn code_rate(codr: Option<CodingRate>, lr_fhss: bool) -> pb::CodeRate {
    let Some(CodingRate::Ratio {
        k,
        n,
        long_interleaving,
    }) = codr
    else {
        return pb::CodeRate::Unspecified;
    };
    if lr_fhss {
        let divisor = gcd(k, n);
        return match (k / divisor, n / divisor) {
            (1, 3) => pb::CodeRate::Cr13,
            (2, 3) => pb::CodeRate::Cr23,
            (5, 6) => pb::CodeRate::Cr56,
            (1, 2) => pb::CodeRate::Cr12,
            _ => pb::CodeRate::Unspecified,
        };
    }
    match (k, n, long_interleaving) {
        (4, 5, false) => pb::CodeRate::Cr45,
        (4, 6, false) => pb::CodeRate::Cr46,
        (4, 7, false) => pb::CodeRate::Cr47,
        (4, 8, false) => pb::CodeRate::Cr48,
        (4, 5, true) => pb::CodeRate::CrLi45,
        (4, 6, true) => pb::CodeRate::CrLi46,
        (4, 8, true) => pb::CodeRate::CrLi48,
        _ => pb::CodeRate::Unspecified,
    }
}

/// Maps a bus code rate back to the Semtech `codr` of a LoRa `txpk`.
fn coding_rate(code_rate: pb::CodeRate) -> Option<CodingRate> {
    let (n, long_interleaving) = match code_rate {
        pb::CodeRate::Cr45 => (5, false),
        pb::CodeRate::Cr46 => (6, false),
        pb::CodeRate::Cr47 => (7, false),
        pb::CodeRate::Cr48 => (8, false),
        pb::CodeRate::CrLi45 => (5, true),
        pb::CodeRate::CrLi46 => (6, true),
        pb::CodeRate::CrLi48 => (8, true),
        pb::CodeRate::Unspecified
        | pb::CodeRate::Cr13
        | pb::CodeRate::Cr23
        | pb::CodeRate::Cr56
        | pb::CodeRate::Cr12 => return None,
    };
    Some(CodingRate::Ratio {
        k: 4,
        n,
        long_interleaving,
    })
}

fn gcd(mut a: u8, mut b: u8) -> u8 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_rates_map_both_ways_for_lora() {
        let cases = [
            ("4/5", pb::CodeRate::Cr45),
            ("4/6", pb::CodeRate::Cr46),
            ("4/7", pb::CodeRate::Cr47),
            ("4/8", pb::CodeRate::Cr48),
            ("4/5LI", pb::CodeRate::CrLi45),
            ("4/6LI", pb::CodeRate::CrLi46),
            ("4/8LI", pb::CodeRate::CrLi48),
        ];
        for (text, expected) in cases {
            let codr = CodingRate::parse(text).unwrap();
            assert_eq!(code_rate(Some(codr), false), expected, "{text}");
            assert_eq!(coding_rate(expected), Some(codr), "{text}");
        }
        assert_eq!(code_rate(None, false), pb::CodeRate::Unspecified);
        assert_eq!(
            code_rate(Some(CodingRate::Off), false),
            pb::CodeRate::Unspecified
        );
        assert_eq!(coding_rate(pb::CodeRate::Cr13), None);
    }

    #[test]
    fn lr_fhss_code_rates_are_reduced_ratios() {
        // LR-FHSS forwarders write 2/3 as "4/6" and 1/3 as "2/6" (semtech-udp datr module,
        // after the SX1302 HAL v2 LR-FHSS forwarder).
        let cases = [
            ("4/6", pb::CodeRate::Cr23),
            ("2/6", pb::CodeRate::Cr13),
            ("1/3", pb::CodeRate::Cr13),
            ("5/6", pb::CodeRate::Cr56),
            ("4/8", pb::CodeRate::Cr12),
            ("4/5", pb::CodeRate::Unspecified),
        ];
        for (text, expected) in cases {
            let codr = CodingRate::parse(text).unwrap();
            assert_eq!(code_rate(Some(codr), true), expected, "{text}");
        }
    }
}
