//! Serde helpers shared by the JSON objects: lenient integers, `datr`, base64 and floats.
//!
//! These sit between the JSON text and the public types, so the public types stay plain
//! Rust values and every conversion failure becomes a typed [`Error`]. Nothing here is public.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::datr::DataRate;
use crate::error::{Error, Result};

/// Standard alphabet; padding optional on decode (PROTOCOL.TXT §4 shows unpadded `data`
/// in its own example, §6 says "padding optional"), always written on encode.
const BASE64_DECODE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes a base64 field.
pub(crate) fn decode_base64(field: &'static str, text: &str) -> Result<Vec<u8>> {
    BASE64_DECODE
        .decode(text)
        .map_err(|_| Error::InvalidBase64 { field })
}

/// Encodes a base64 field, padded.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Fails with [`Error::NonFiniteNumber`] when `value` cannot be written as JSON.
pub(crate) fn check_finite(field: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFiniteNumber { field })
    }
}

/// Same as [`check_finite`] for optional fields.
pub(crate) fn check_finite_opt(field: &'static str, value: Option<f64>) -> Result<()> {
    value.map_or(Ok(()), |value| check_finite(field, value))
}

/// Turns an empty string into `None`: forwarders without a time reference send `"time":""`,
/// which ChirpStack also reads as absent.
pub(crate) fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.is_empty())
}

/// An integer that some gateways write as a float (`"rssi":-107.0`); rounded to nearest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lenient<T>(pub T);

impl<T> Lenient<T> {
    /// Unwraps an optional lenient value.
    pub(crate) fn opt(value: Option<Lenient<T>>) -> Option<T> {
        value.map(|Lenient(inner)| inner)
    }
}

impl<'de, T: TryFrom<i64>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct LenientVisitor<T>(std::marker::PhantomData<T>);

        impl<T: TryFrom<i64>> Visitor<'_> for LenientVisitor<T> {
            type Value = Lenient<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> std::result::Result<Self::Value, E> {
                T::try_from(value)
                    .map(Lenient)
                    .map_err(|_| E::custom(format_args!("integer {value} out of range")))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> std::result::Result<Self::Value, E> {
                let value = i64::try_from(value)
                    .map_err(|_| E::custom(format_args!("integer {value} out of range")))?;
                self.visit_i64(value)
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> std::result::Result<Self::Value, E> {
                let rounded = value.round();
                // The bounds are exactly representable; `as` is exact inside them.
                if (-9.0e15..=9.0e15).contains(&rounded) {
                    self.visit_i64(rounded as i64)
                } else {
                    Err(E::custom(format_args!("number {value} out of range")))
                }
            }
        }

        deserializer.deserialize_any(LenientVisitor(std::marker::PhantomData))
    }
}

/// `datr` as read: a string (LoRa, LR-FHSS) or a number (FSK).
#[derive(Debug, Clone)]
pub(crate) enum DatrIn {
    /// String form.
    Text(String),
    /// Non-negative integer form.
    Number(u64),
    /// Any other number; always an invalid data rate.
    Other(String),
}

impl DatrIn {
    /// Converts into a data rate.
    pub(crate) fn into_data_rate(self) -> Result<DataRate> {
        match self {
            DatrIn::Text(text) => DataRate::parse(&text),
            DatrIn::Number(bit_rate) => DataRate::fsk(bit_rate),
            DatrIn::Other(text) => Err(Error::InvalidDataRate(text)),
        }
    }
}

impl<'de> Deserialize<'de> for DatrIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct DatrVisitor;

        impl Visitor<'_> for DatrVisitor {
            type Value = DatrIn;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a data rate string or number")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> std::result::Result<DatrIn, E> {
                Ok(DatrIn::Text(value.to_owned()))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> std::result::Result<DatrIn, E> {
                Ok(DatrIn::Number(value))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> std::result::Result<DatrIn, E> {
                match u64::try_from(value) {
                    Ok(value) => Ok(DatrIn::Number(value)),
                    Err(_) => Ok(DatrIn::Other(value.to_string())),
                }
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> std::result::Result<DatrIn, E> {
                // Some encoders write every number as a float (`50000.0`).
                if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
                    Ok(DatrIn::Number(value as u64))
                } else {
                    Ok(DatrIn::Other(value.to_string()))
                }
            }
        }

        deserializer.deserialize_any(DatrVisitor)
    }
}

/// `datr` as written: a string for LoRa and LR-FHSS, a number for FSK (PROTOCOL.TXT §6).
pub(crate) struct DatrOut(pub DataRate);

impl Serialize for DatrOut {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0 {
            DataRate::Fsk { bit_rate } => serializer.serialize_u32(bit_rate),
            rate => serializer.collect_str(&rate),
        }
    }
}

/// Returns `true` for `false`; used to omit flags that default to off.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_accepts_padded_and_unpadded_payloads() {
        // Padded form from PROTOCOL.TXT §4 (FSK example), unpadded from its third rxpk.
        assert_eq!(
            decode_base64("data", "VEVTVF9QQUNLRVRfMTIzNA==").unwrap(),
            b"TEST_PACKET_1234"
        );
        assert_eq!(
            decode_base64("data", "VEVTVF9QQUNLRVRfMTIzNA").unwrap(),
            b"TEST_PACKET_1234"
        );
        assert_eq!(decode_base64("data", "").unwrap(), b"");
        assert_eq!(
            encode_base64(b"TEST_PACKET_1234"),
            "VEVTVF9QQUNLRVRfMTIzNA=="
        );
    }

    #[test]
    fn base64_rejects_url_safe_alphabet_and_garbage() {
        // The first rxpk of PROTOCOL.TXT §4 mixes '-' into standard base64.
        for text in [
            "-DS4CGaDCdG+48eJNM3Vai-zDpsR71Pn9CPA9uCON84",
            "!!!!",
            "A",
            "AB=C",
        ] {
            assert_eq!(
                decode_base64("data", text),
                Err(Error::InvalidBase64 { field: "data" }),
                "{text}"
            );
        }
    }

    #[test]
    fn lenient_integers_accept_floats_and_reject_out_of_range() {
        let parse = |text: &str| serde_json::from_str::<Lenient<i16>>(text).map(|v| v.0);
        assert_eq!(parse("-107").unwrap(), -107);
        assert_eq!(parse("-107.0").unwrap(), -107);
        assert_eq!(parse("-106.6").unwrap(), -107);
        assert_eq!(parse("112").unwrap(), 112);
        assert!(parse("40000").is_err());
        assert!(parse("1e300").is_err());
        assert!(parse("\"-107\"").is_err());
        assert!(parse("18446744073709551615").is_err());
    }

    #[test]
    fn datr_reads_strings_integers_and_integral_floats() {
        let parse = |text: &str| {
            serde_json::from_str::<DatrIn>(text)
                .map_err(Error::from)
                .and_then(DatrIn::into_data_rate)
        };
        assert_eq!(parse("50000"), Ok(DataRate::Fsk { bit_rate: 50_000 }));
        assert_eq!(parse("50000.0"), Ok(DataRate::Fsk { bit_rate: 50_000 }));
        assert_eq!(
            parse("\"SF9BW125\""),
            Ok(DataRate::Lora {
                spreading_factor: 9,
                bandwidth_hz: 125_000
            })
        );
        assert_eq!(parse("-1"), Err(Error::InvalidDataRate("-1".into())));
        assert_eq!(parse("0.5"), Err(Error::InvalidDataRate("0.5".into())));
        assert!(matches!(parse("true"), Err(Error::InvalidJson { .. })));
    }
}
