//! Field codecs shared by the MAC command payloads: the fixed-length payload trait, 24-bit
//! frequencies, bit-field range checks and status bits.
//!
//! Nothing here knows about a particular command; the per-command modules put these pieces
//! together.

use crate::{Error, Result};

/// A MAC command payload that is always `N` bytes long on the air.
///
/// Decoding cannot fail once `N` bytes are there: RFU bits are ignored, as LoRaWAN 1.0.4 §1.2
/// asks receivers to. Encoding writes RFU bits as zero and fails on a field that does not fit
/// its bits, instead of truncating it.
pub(crate) trait FixedPayload<const N: usize>: Sized {
    /// Decodes the payload from its `N` bytes.
    fn from_bytes(bytes: [u8; N]) -> Self;

    /// Encodes the payload into its `N` bytes.
    fn to_bytes(&self) -> Result<[u8; N]>;
}

/// Highest frequency a MAC command can carry: 24 bits of 100 Hz steps.
pub(crate) const MAX_FREQUENCY_HZ: u32 = 0x00ff_ffff * 100;

/// Decodes a 24-bit little-endian frequency in 100 Hz steps into Hz (LoRaWAN 1.0.4 §5.6).
pub(crate) const fn decode_frequency(bytes: [u8; 3]) -> u32 {
    let [b0, b1, b2] = bytes;
    u32::from_le_bytes([b0, b1, b2, 0]) * 100
}

/// Encodes a frequency in Hz as 24 bits of 100 Hz steps, little-endian (LoRaWAN 1.0.4 §5.6).
pub(crate) fn encode_frequency(frequency_hz: u32) -> Result<[u8; 3]> {
    if !frequency_hz.is_multiple_of(100) || frequency_hz > MAX_FREQUENCY_HZ {
        return Err(Error::InvalidFrequency { frequency_hz });
    }
    let [b0, b1, b2, _] = (frequency_hz / 100).to_le_bytes();
    Ok([b0, b1, b2])
}

/// Returns `value` if it fits in `bits` bits, or an `OutOfRange` error naming `field`.
pub(crate) fn check_bits(field: &'static str, value: u8, bits: u32) -> Result<u8> {
    if u32::from(value) >> bits == 0 {
        Ok(value)
    } else {
        Err(Error::OutOfRange {
            field,
            value: u64::from(value),
        })
    }
}

/// Tells whether bit `n` of `byte` is set.
pub(crate) const fn bit(byte: u8, n: u32) -> bool {
    (byte >> n) & 1 == 1
}

/// Returns a byte with only bit `n` set when `value` is true.
pub(crate) const fn flag(value: bool, n: u32) -> u8 {
    (value as u8) << n
}

/// Serialises raw MAC command bytes as a lowercase hex string, as the CLI prints them.
#[cfg(feature = "serde")]
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        hex::decode(text.as_ref()).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_round_trips_in_100_hz_steps() {
        // 868.1 MHz is 0x847628 steps of 100 Hz, sent little-endian (LoRaWAN 1.0.4 §5.6).
        assert_eq!(encode_frequency(868_100_000).unwrap(), [0x28, 0x76, 0x84]);
        assert_eq!(decode_frequency([0x28, 0x76, 0x84]), 868_100_000);
        assert_eq!(encode_frequency(0).unwrap(), [0, 0, 0]);
        assert_eq!(encode_frequency(MAX_FREQUENCY_HZ).unwrap(), [0xff; 3]);
        assert_eq!(decode_frequency([0xff; 3]), MAX_FREQUENCY_HZ);
    }

    #[test]
    fn rejects_frequencies_off_the_100_hz_grid_or_above_24_bits() {
        for frequency_hz in [868_100_050, 1, MAX_FREQUENCY_HZ + 100, u32::MAX] {
            assert_eq!(
                encode_frequency(frequency_hz),
                Err(Error::InvalidFrequency { frequency_hz })
            );
        }
    }

    #[test]
    fn check_bits_accepts_values_that_fit_and_names_the_field_otherwise() {
        assert_eq!(check_bits("DataRate", 15, 4), Ok(15));
        assert_eq!(check_bits("Byte", 255, 8), Ok(255));
        assert_eq!(
            check_bits("ChMaskCntl", 8, 3),
            Err(Error::OutOfRange {
                field: "ChMaskCntl",
                value: 8
            })
        );
    }
}
