//! Cayenne Low Power Payload (CayenneLPP) decoding and encoding.
//!
//! A payload is a sequence of `channel | type | value` records; each type has a fixed size,
//! byte order is big-endian and values are fixed-point (IPSO Smart Objects type ids minus
//! 3200). Decoded objects use one key per record, `<name>_<channel>`, the way common network
//! servers name them (`temperature_1`, `accelerometer_3`, `gps_5`).
//! Only the common types below are supported; an unknown type stops decoding with an error,
//! because the record's size, and so where the next record starts, is unknown.

use serde_json::{Map, Number, Value, json};

/// Errors of CayenneLPP decoding and encoding.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A record names a type this decoder does not know.
    #[error("unknown cayennelpp type {type_id} on channel {channel}")]
    UnknownType {
        /// The channel of the record.
        channel: u8,
        /// The type byte.
        type_id: u8,
    },
    /// The payload ends inside a record.
    #[error("cayennelpp record on channel {channel} needs {needed} bytes, got {got}")]
    TooShort {
        /// The channel of the record.
        channel: u8,
        /// Bytes the record's value needs.
        needed: usize,
        /// Bytes left.
        got: usize,
    },
    /// The object to encode is not an object.
    #[error("cayennelpp encoder needs a json object")]
    NotAnObject,
    /// A key is not `<name>_<channel>` with a known name and a channel 0 to 255.
    #[error("cayennelpp key {0:?} is not <type>_<channel>")]
    BadKey(String),
    /// A value has the wrong shape or is out of range for its type.
    #[error("cayennelpp value of {0:?} is missing, not a number or out of range")]
    BadValue(String),
}

/// Result of CayenneLPP decoding and encoding.
pub type Result<T> = std::result::Result<T, Error>;

/// How a type's value is laid out.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// One value of `size` bytes, divided by `scale`.
    Scalar {
        size: usize,
        signed: bool,
        scale: f64,
    },
    /// Three signed 16-bit values `x`, `y`, `z`, divided by `scale`.
    Xyz { scale: f64 },
    /// GPS: latitude and longitude (3 bytes, 0.0001°), altitude (3 bytes, 0.01 m), signed.
    Gps,
}

/// One supported type: its byte, its key name and its layout.
#[derive(Debug, Clone, Copy)]
struct Kind {
    type_id: u8,
    name: &'static str,
    layout: Layout,
}

const fn scalar(type_id: u8, name: &'static str, size: usize, signed: bool, scale: f64) -> Kind {
    Kind {
        type_id,
        name,
        layout: Layout::Scalar {
            size,
            signed,
            scale,
        },
    }
}

/// The supported types (CayenneLPP reference, "Data Types").
const KINDS: &[Kind] = &[
    scalar(0, "digital_in", 1, false, 1.0),
    scalar(1, "digital_out", 1, false, 1.0),
    scalar(2, "analog_in", 2, true, 100.0),
    scalar(3, "analog_out", 2, true, 100.0),
    scalar(101, "luminosity", 2, false, 1.0),
    scalar(102, "presence", 1, false, 1.0),
    scalar(103, "temperature", 2, true, 10.0),
    scalar(104, "relative_humidity", 1, false, 2.0),
    Kind {
        type_id: 113,
        name: "accelerometer",
        layout: Layout::Xyz { scale: 1000.0 },
    },
    scalar(115, "barometric_pressure", 2, false, 10.0),
    Kind {
        type_id: 134,
        name: "gyrometer",
        layout: Layout::Xyz { scale: 100.0 },
    },
    Kind {
        type_id: 136,
        name: "gps",
        layout: Layout::Gps,
    },
];

impl Layout {
    fn size(self) -> usize {
        match self {
            Layout::Scalar { size, .. } => size,
            Layout::Xyz { .. } => 6,
            Layout::Gps => 9,
        }
    }
}

/// Reads a big-endian integer of `bytes.len()` (1 to 3) bytes.
fn read_int(bytes: &[u8], signed: bool) -> i64 {
    let mut value: i64 = 0;
    for byte in bytes {
        value = (value << 8) | i64::from(*byte);
    }
    let bits = 8 * bytes.len();
    if signed && bits < 64 && value & (1 << (bits - 1)) != 0 {
        value -= 1 << bits;
    }
    value
}

/// Returns `value / scale` as a JSON number, rounded to the scale's decimals.
fn scaled(value: i64, scale: f64) -> Value {
    #[allow(clippy::cast_precision_loss)]
    // Record values are at most 24 bits, far inside f64's exact integer range.
    let number = value as f64 / scale;
    if scale == 1.0 {
        return Value::Number(Number::from(value));
    }
    Number::from_f64(number).map_or(Value::Null, Value::Number)
}

/// Decodes a CayenneLPP payload into an object keyed `<name>_<channel>`.
pub fn decode(payload: &[u8]) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let channel = rest[0];
        let Some(&type_id) = rest.get(1) else {
            return Err(Error::TooShort {
                channel,
                needed: 1,
                got: 0,
            });
        };
        let kind = KINDS
            .iter()
            .find(|kind| kind.type_id == type_id)
            .ok_or(Error::UnknownType { channel, type_id })?;
        let size = kind.layout.size();
        let data = rest.get(2..2 + size).ok_or(Error::TooShort {
            channel,
            needed: size,
            got: rest.len() - 2,
        })?;
        let value = match kind.layout {
            Layout::Scalar { signed, scale, .. } => scaled(read_int(data, signed), scale),
            Layout::Xyz { scale } => json!({
                "x": scaled(read_int(&data[0..2], true), scale),
                "y": scaled(read_int(&data[2..4], true), scale),
                "z": scaled(read_int(&data[4..6], true), scale),
            }),
            Layout::Gps => json!({
                "latitude": scaled(read_int(&data[0..3], true), 10_000.0),
                "longitude": scaled(read_int(&data[3..6], true), 10_000.0),
                "altitude": scaled(read_int(&data[6..9], true), 100.0),
            }),
        };
        out.insert(format!("{}_{channel}", kind.name), value);
        rest = &rest[2 + size..];
    }
    Ok(out)
}

/// Writes `value * scale`, rounded, as a `size`-byte big-endian integer; fails when it does
/// not fit.
fn write_scaled(
    out: &mut Vec<u8>,
    key: &str,
    value: Option<&Value>,
    size: usize,
    signed: bool,
    scale: f64,
) -> Result<()> {
    let bad = || Error::BadValue(key.to_owned());
    let number = match value {
        Some(Value::Bool(flag)) => f64::from(u8::from(*flag)),
        Some(value) => value.as_f64().ok_or_else(bad)?,
        None => return Err(bad()),
    };
    let raw = (number * scale).round();
    let bits = u32::try_from(8 * size).map_err(|_| bad())?;
    #[allow(clippy::cast_precision_loss)]
    // Bounds of at most 24-bit integers are exact in f64.
    let (min, max) = if signed {
        (
            -((1_i64 << (bits - 1)) as f64),
            ((1_i64 << (bits - 1)) - 1) as f64,
        )
    } else {
        (0.0, ((1_i64 << bits) - 1) as f64)
    };
    if !raw.is_finite() || raw < min || raw > max {
        return Err(bad());
    }
    #[allow(clippy::cast_possible_truncation)]
    // Checked against the type's range just above.
    let raw = raw as i64;
    let bytes = raw.to_be_bytes();
    out.extend_from_slice(&bytes[8 - size..]);
    Ok(())
}

/// Encodes an object keyed `<name>_<channel>` (the shape [`decode`] returns) into CayenneLPP.
///
/// Records are written in channel order: JSON objects carry no order a sender could rely on.
pub fn encode(object: &Value) -> Result<Vec<u8>> {
    let object = object.as_object().ok_or(Error::NotAnObject)?;
    let mut records = Vec::with_capacity(object.len());
    for (key, value) in object {
        let (name, channel) = key
            .rsplit_once('_')
            .ok_or_else(|| Error::BadKey(key.clone()))?;
        let channel: u8 = channel.parse().map_err(|_| Error::BadKey(key.clone()))?;
        let kind = KINDS
            .iter()
            .find(|kind| kind.name == name)
            .ok_or_else(|| Error::BadKey(key.clone()))?;
        records.push((channel, kind, key, value));
    }
    records.sort_by_key(|(channel, kind, _, _)| (*channel, kind.type_id));
    let mut out = Vec::new();
    for (channel, kind, key, value) in records {
        out.push(channel);
        out.push(kind.type_id);
        match kind.layout {
            Layout::Scalar {
                size,
                signed,
                scale,
            } => write_scaled(&mut out, key, Some(value), size, signed, scale)?,
            Layout::Xyz { scale } => {
                for axis in ["x", "y", "z"] {
                    write_scaled(&mut out, key, value.get(axis), 2, true, scale)?;
                }
            }
            Layout::Gps => {
                write_scaled(&mut out, key, value.get("latitude"), 3, true, 10_000.0)?;
                write_scaled(&mut out, key, value.get("longitude"), 3, true, 10_000.0)?;
                write_scaled(&mut out, key, value.get("altitude"), 3, true, 100.0)?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Examples of the CayenneLPP reference documentation ("Examples"), and one record per
    /// other type built from its layout.
    fn vectors() -> Vec<(&'static str, Vec<u8>, Value)> {
        vec![
            (
                "reference: two temperature sensors",
                vec![0x03, 0x67, 0x01, 0x10, 0x05, 0x67, 0x00, 0xff],
                json!({"temperature_3": 27.2, "temperature_5": 25.5}),
            ),
            (
                "reference: accelerometer",
                vec![0x06, 0x71, 0x04, 0xd2, 0xfb, 0x2e, 0x00, 0x00],
                json!({"accelerometer_6": {"x": 1.234, "y": -1.234, "z": 0.0}}),
            ),
            (
                "reference: gps",
                vec![
                    0x01, 0x88, 0x06, 0x76, 0x5f, 0xf2, 0x96, 0x0a, 0x00, 0x03, 0xe8,
                ],
                json!({"gps_1": {"latitude": 42.3519, "longitude": -87.9094, "altitude": 10.0}}),
            ),
            (
                "digital, analog, luminosity, presence, humidity, barometer",
                vec![
                    0x01, 0x00, 0x01, 0x02, 0x01, 0x00, 0x03, 0x02, 0xff, 0x9c, 0x04, 0x03, 0x01,
                    0x2c, 0x05, 0x65, 0x01, 0x90, 0x06, 0x66, 0x01, 0x07, 0x68, 0x61, 0x08, 0x73,
                    0x27, 0x7f,
                ],
                json!({
                    "digital_in_1": 1,
                    "digital_out_2": 0,
                    "analog_in_3": -1.0,
                    "analog_out_4": 3.0,
                    "luminosity_5": 400,
                    "presence_6": 1,
                    "relative_humidity_7": 48.5,
                    "barometric_pressure_8": 1011.1,
                }),
            ),
            (
                "gyrometer",
                vec![0x09, 0x86, 0x00, 0x64, 0xff, 0x38, 0x01, 0xf4],
                json!({"gyrometer_9": {"x": 1.0, "y": -2.0, "z": 5.0}}),
            ),
        ]
    }

    #[test]
    fn decodes_and_encodes_every_vector() {
        for (source, bytes, object) in vectors() {
            assert_eq!(Value::Object(decode(&bytes).unwrap()), object, "{source}");
            assert_eq!(encode(&object).unwrap(), bytes, "{source}");
        }
    }

    #[test]
    fn rejects_truncated_and_unknown_records() {
        assert_eq!(
            decode(&[0x03, 0x67, 0x01]),
            Err(Error::TooShort {
                channel: 3,
                needed: 2,
                got: 1
            })
        );
        assert_eq!(
            decode(&[0x03]),
            Err(Error::TooShort {
                channel: 3,
                needed: 1,
                got: 0
            })
        );
        assert_eq!(
            decode(&[0x01, 0xee, 0x00]),
            Err(Error::UnknownType {
                channel: 1,
                type_id: 0xee
            })
        );
        assert_eq!(decode(&[]), Ok(Map::new()));
    }

    #[test]
    fn encoder_rejects_bad_keys_and_values() {
        assert_eq!(encode(&json!([1])), Err(Error::NotAnObject));
        assert!(matches!(
            encode(&json!({"temperature": 1})),
            Err(Error::BadKey(_))
        ));
        assert!(matches!(
            encode(&json!({"sound_1": 1})),
            Err(Error::BadKey(_))
        ));
        assert!(matches!(
            encode(&json!({"temperature_1": 5000.0})),
            Err(Error::BadValue(_))
        ));
        assert!(matches!(
            encode(&json!({"accelerometer_1": {"x": 1}})),
            Err(Error::BadValue(_))
        ));
        assert_eq!(encode(&json!({"digital_out_2": true})).unwrap(), [2, 1, 1]);
    }

    proptest::proptest! {
        /// Decoding arbitrary bytes never panics, and whatever decodes re-encodes to a payload
        /// that decodes to the same object.
        #[test]
        fn decode_never_panics_and_round_trips(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(KINDS.iter().map(|kind| kind.type_id).collect::<Vec<u8>>()),
                ],
                0..64,
            )
        ) {
            if let Ok(object) = decode(&bytes) {
                let object = Value::Object(object);
                let encoded = encode(&object).unwrap();
                proptest::prop_assert_eq!(Value::Object(decode(&encoded).unwrap()), object);
            }
        }
    }
}
