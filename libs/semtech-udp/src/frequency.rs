//! Conversions between the protocol's MHz floats and integer Hz.
//!
//! `freq` is "RX central frequency in MHz (unsigned float, Hz precision)" (PROTOCOL.TXT §4).
//! The forwarder writes it with `%.6lf` and reads a txpk's with `(uint32_t)(1e6 * freq)`, so
//! the only safe integer is the nearest Hz, and the only safe float to send is the nearest
//! double to `hz / 1e6`. This module does nothing else.

/// Converts a `freq` value in MHz to Hz, rounded to the nearest Hz.
///
/// `868.1` gives `868_100_000` and `868.099975` gives `868_099_975`; plain truncation of
/// `freq * 1e6` would give `868_099_974` for the latter. Negative and NaN inputs give 0 and
/// values beyond `u64` saturate; decoded values are never negative.
pub fn mhz_to_hz(mhz: f64) -> u64 {
    // `as` saturates and maps NaN to 0 (Rust reference, numeric casts), so this cannot panic.
    (mhz * 1e6).round() as u64
}

/// Converts Hz to the MHz float written in `freq`.
///
/// Division by 1e6 is correctly rounded, and the JSON encoder writes the shortest text that
/// reads back as the same double, so a forwarder that truncates `1e6 * freq` still lands on
/// `hz` for any frequency up to 2^53 Hz.
pub fn hz_to_mhz(hz: u64) -> f64 {
    // Exact for hz < 2^53; every radio frequency is far below that.
    hz as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mhz_to_hz_rounds_to_nearest_hz() {
        // Values from PROTOCOL.TXT §4 examples and The Things Stack packet_data_test.go.
        let cases = [
            (868.1, 868_100_000),
            (868.3, 868_300_000),
            (866.349812, 866_349_812),
            (863.00981, 863_009_810),
            (869.1, 869_100_000),
            (868.099975, 868_099_975),
            (864.123456, 864_123_456),
            (923.3, 923_300_000),
            (0.0, 0),
        ];
        for (mhz, hz) in cases {
            assert_eq!(mhz_to_hz(mhz), hz, "{mhz}");
        }
    }

    #[test]
    fn mhz_to_hz_saturates_instead_of_panicking() {
        assert_eq!(mhz_to_hz(-1.0), 0);
        assert_eq!(mhz_to_hz(f64::NAN), 0);
        assert_eq!(mhz_to_hz(f64::INFINITY), u64::MAX);
    }

    #[test]
    fn hz_to_mhz_survives_a_truncating_reader() {
        // The forwarder reads txpk.freq with `(uint32_t)(1e6 * freq)`; emulate it.
        for hz in (863_000_000u64..=870_000_000).step_by(12_345) {
            let text = serde_json::to_string(&hz_to_mhz(hz)).unwrap();
            let read: f64 = text.parse().unwrap();
            assert_eq!((1e6 * read) as u64, hz, "{text}");
            assert_eq!(mhz_to_hz(read), hz);
        }
    }
}
