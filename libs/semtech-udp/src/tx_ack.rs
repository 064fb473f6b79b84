//! `txpk_ack`: the optional JSON of TX_ACK, telling whether a PULL_RESP was scheduled.
//!
//! No JSON, or no `error`, or `"error":"NONE"` all mean the downlink was accepted
//! (PROTOCOL.TXT §5.5, §6 of the SX1302 forwarder). Unknown codes are kept as text rather
//! than rejected, so a new forwarder release cannot make TX_ACKs undecodable. Retrying on
//! another path is the network server's job, not this module's.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::wire;

/// Error or warning code in `txpk_ack` (SX1302 forwarder PROTOCOL.md §6; `NONE`, `FULL`,
/// `EMPTY` and `TX_POWER` as an error from older forwarders, as The Things Stack reads them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TxAckCode {
    /// `NONE`: accepted.
    None,
    /// `TOO_LATE`: too late to program the packet.
    TooLate,
    /// `TOO_EARLY`: timestamp too far in the future.
    TooEarly,
    /// `FULL`: the forwarder's downlink queue is full.
    Full,
    /// `EMPTY`: the forwarder's downlink queue is empty (internal state reported as-is).
    Empty,
    /// `COLLISION_PACKET`: another packet is already programmed in that time frame.
    CollisionPacket,
    /// `COLLISION_BEACON`: a beacon is planned in that time frame.
    CollisionBeacon,
    /// `TX_FREQ`: the TX RF chain does not support the frequency.
    TxFreq,
    /// `TX_POWER`: the power is not supported; as a warning, `value` holds the power used.
    TxPower,
    /// `GPS_UNLOCKED`: no GPS lock, so a GPS-timed packet cannot be sent.
    GpsUnlocked,
    /// Any other code, kept as written.
    Unknown(String),
}

impl TxAckCode {
    /// Parses a code; never fails.
    pub fn parse(text: &str) -> Self {
        match text {
            "NONE" => TxAckCode::None,
            "TOO_LATE" => TxAckCode::TooLate,
            "TOO_EARLY" => TxAckCode::TooEarly,
            "FULL" => TxAckCode::Full,
            "EMPTY" => TxAckCode::Empty,
            "COLLISION_PACKET" => TxAckCode::CollisionPacket,
            "COLLISION_BEACON" => TxAckCode::CollisionBeacon,
            "TX_FREQ" => TxAckCode::TxFreq,
            "TX_POWER" => TxAckCode::TxPower,
            "GPS_UNLOCKED" => TxAckCode::GpsUnlocked,
            other => TxAckCode::Unknown(other.to_owned()),
        }
    }

    /// Returns the wire text.
    pub fn as_str(&self) -> &str {
        match self {
            TxAckCode::None => "NONE",
            TxAckCode::TooLate => "TOO_LATE",
            TxAckCode::TooEarly => "TOO_EARLY",
            TxAckCode::Full => "FULL",
            TxAckCode::Empty => "EMPTY",
            TxAckCode::CollisionPacket => "COLLISION_PACKET",
            TxAckCode::CollisionBeacon => "COLLISION_BEACON",
            TxAckCode::TxFreq => "TX_FREQ",
            TxAckCode::TxPower => "TX_POWER",
            TxAckCode::GpsUnlocked => "GPS_UNLOCKED",
            TxAckCode::Unknown(text) => text,
        }
    }
}

impl fmt::Display for TxAckCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `value` of `txpk_ack`: details of a warning, "string or number" (SX1302 PROTOCOL.md §6).
#[derive(Debug, Clone, PartialEq)]
pub enum TxAckValue {
    /// A number, e.g. the power actually used for a `TX_POWER` warning.
    Number(f64),
    /// A string.
    Text(String),
}

/// The `txpk_ack` object of a TX_ACK (SX1302 PROTOCOL.md §5.5, §6).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TxpkAck {
    /// `error`: why the downlink was rejected; `None` or `NONE` when it was not.
    pub error: Option<TxAckCode>,
    /// `warn`: the downlink was accepted with a limitation, e.g. `TX_POWER`.
    pub warn: Option<TxAckCode>,
    /// `value`: details of the warning.
    pub value: Option<TxAckValue>,
}

impl TxpkAck {
    /// Returns the rejection reason, or `None` when the downlink was accepted.
    pub fn rejection(&self) -> Option<&TxAckCode> {
        self.error.as_ref().filter(|code| **code != TxAckCode::None)
    }
}

/// Root object of TX_ACK JSON as read.
#[derive(Deserialize)]
pub(crate) struct TxAckBodyIn {
    txpk_ack: Option<TxpkAckIn>,
}

#[derive(Deserialize)]
struct TxpkAckIn {
    error: Option<String>,
    warn: Option<String>,
    value: Option<ValueIn>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ValueIn {
    Number(f64),
    Text(String),
}

impl TxAckBodyIn {
    /// Converts into the public type.
    pub(crate) fn into_txpk_ack(self) -> Option<TxpkAck> {
        self.txpk_ack.map(|ack| TxpkAck {
            error: ack.error.as_deref().map(TxAckCode::parse),
            warn: ack.warn.as_deref().map(TxAckCode::parse),
            value: ack.value.map(|value| match value {
                ValueIn::Number(number) => TxAckValue::Number(number),
                ValueIn::Text(text) => TxAckValue::Text(text),
            }),
        })
    }
}

/// Root object of TX_ACK JSON as written.
#[derive(Serialize)]
pub(crate) struct TxAckBodyOut<'a> {
    txpk_ack: TxpkAckOut<'a>,
}

#[derive(Serialize)]
struct TxpkAckOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<ValueOut<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ValueOut<'a> {
    Number(f64),
    Text(&'a str),
}

impl<'a> TxAckBodyOut<'a> {
    /// Builds the JSON form, checking floats.
    pub(crate) fn new(ack: &'a TxpkAck) -> Result<Self> {
        let value = match &ack.value {
            Some(TxAckValue::Number(number)) => {
                wire::check_finite("txpk_ack.value", *number)?;
                Some(ValueOut::Number(*number))
            }
            Some(TxAckValue::Text(text)) => Some(ValueOut::Text(text)),
            None => None,
        };
        Ok(TxAckBodyOut {
            txpk_ack: TxpkAckOut {
                error: ack.error.as_ref().map(TxAckCode::as_str),
                warn: ack.warn.as_ref().map(TxAckCode::as_str),
                value,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_known_code_and_keeps_unknown_ones() {
        let known = [
            "NONE",
            "TOO_LATE",
            "TOO_EARLY",
            "FULL",
            "EMPTY",
            "COLLISION_PACKET",
            "COLLISION_BEACON",
            "TX_FREQ",
            "TX_POWER",
            "GPS_UNLOCKED",
        ];
        for text in known {
            let code = TxAckCode::parse(text);
            assert!(!matches!(code, TxAckCode::Unknown(_)), "{text}");
            assert_eq!(code.as_str(), text);
        }
        // "UNKNOWN" is what the SX1302 forwarder writes for an unmapped JIT error.
        assert_eq!(
            TxAckCode::parse("UNKNOWN"),
            TxAckCode::Unknown("UNKNOWN".into())
        );
        assert_eq!(TxAckCode::parse(""), TxAckCode::Unknown(String::new()));
    }

    #[test]
    fn rejection_ignores_none_and_warnings() {
        let accepted = TxpkAck {
            error: Some(TxAckCode::None),
            ..TxpkAck::default()
        };
        assert_eq!(accepted.rejection(), None);
        let warned = TxpkAck {
            warn: Some(TxAckCode::TxPower),
            value: Some(TxAckValue::Number(20.0)),
            ..TxpkAck::default()
        };
        assert_eq!(warned.rejection(), None);
        let rejected = TxpkAck {
            error: Some(TxAckCode::TooLate),
            ..TxpkAck::default()
        };
        assert_eq!(rejected.rejection(), Some(&TxAckCode::TooLate));
    }
}
