//! PUSH_DATA: received packets and gateway status, gateway to server (PROTOCOL.TXT §3.2, §4).
//!
//! The body is split into its `rxpk` objects and `stat` without building a parse tree, and
//! each object is decoded on its own: one bad rxpk (bad base64, unknown `datr`, ...) is
//! reported in [`PushData::rejected`] while the others are kept. Only a body that is not a
//! JSON object at all rejects the whole datagram. Deduplication and CRC filtering are left
//! to the caller.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::header::{GatewayEui, ProtocolVersion, Token};
use crate::rxpk::{Rxpk, RxpkOut};
use crate::stat::{Stat, StatOut};

/// A PUSH_DATA datagram (PROTOCOL.TXT §3.2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PushData {
    /// Protocol version; the PUSH_ACK must echo it.
    pub version: ProtocolVersion,
    /// Random token; the PUSH_ACK must echo it.
    pub token: Token,
    /// Gateway that sent the datagram.
    pub gateway_eui: GatewayEui,
    /// Packets that decoded, in datagram order.
    pub rxpk: Vec<Rxpk>,
    /// Gateway status, when present and decodable.
    pub stat: Option<Stat>,
    /// Objects that did not decode; always empty for datagrams built to be encoded.
    pub rejected: Vec<Rejected>,
}

/// A JSON object of a PUSH_DATA body that did not decode, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Which object.
    pub object: RejectedObject,
    /// Why.
    pub error: Error,
}

/// Position of a rejected object in a PUSH_DATA body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectedObject {
    /// Element `index` (from 0) of the `rxpk` array.
    Rxpk {
        /// Index in the array.
        index: usize,
    },
    /// The `stat` object.
    Stat,
}

/// Root object as read: each member kept as raw text for a separate decode.
#[derive(Deserialize)]
struct BodyIn<'a> {
    #[serde(borrow)]
    rxpk: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    stat: Option<&'a RawValue>,
}

/// Decodes the JSON body of a PUSH_DATA into good rxpks, the stat and the rejected objects.
pub(crate) fn decode_body(json: &[u8]) -> Result<(Vec<Rxpk>, Option<Stat>, Vec<Rejected>)> {
    let body: BodyIn<'_> = serde_json::from_slice(json)?;
    let raw_rxpks = body.rxpk.unwrap_or_default();
    let mut rxpks = Vec::with_capacity(raw_rxpks.len());
    let mut rejected = Vec::new();
    for (index, raw) in raw_rxpks.into_iter().enumerate() {
        match Rxpk::parse_json(raw.get()) {
            Ok(rxpk) => rxpks.push(rxpk),
            Err(error) => rejected.push(Rejected {
                object: RejectedObject::Rxpk { index },
                error,
            }),
        }
    }
    let stat = match body.stat.map(|raw| Stat::parse_json(raw.get())) {
        Some(Ok(stat)) => Some(stat),
        Some(Err(error)) => {
            rejected.push(Rejected {
                object: RejectedObject::Stat,
                error,
            });
            None
        }
        None => None,
    };
    Ok((rxpks, stat, rejected))
}

/// Root object as written.
#[derive(Serialize)]
struct BodyOut<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rxpk: Vec<RxpkOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stat: Option<StatOut<'a>>,
}

/// Appends the JSON body of `push_data` to `out`.
pub(crate) fn encode_body(push_data: &PushData, out: &mut Vec<u8>) -> Result<()> {
    let body = BodyOut {
        rxpk: push_data
            .rxpk
            .iter()
            .map(RxpkOut::new)
            .collect::<Result<Vec<_>>>()?,
        stat: push_data.stat.as_ref().map(StatOut::new).transpose()?,
    };
    serde_json::to_writer(out, &body)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_good_rxpks_when_one_is_bad() {
        let json = br#"{"rxpk":[
            {"tmst":1,"freq":868.1,"stat":1,"datr":"SF7BW125","data":"QAE="},
            {"tmst":2,"freq":868.1,"stat":1,"datr":"SF7BW125","data":"not base64!"},
            7,
            {"tmst":4,"freq":868.3,"stat":1,"datr":"SF9BW125","data":""}
        ],"stat":{"rxnb":"x"}}"#;
        let (rxpks, stat, rejected) = decode_body(json).unwrap();
        assert_eq!(
            rxpks.iter().map(|rxpk| rxpk.tmst).collect::<Vec<_>>(),
            [1, 4]
        );
        assert_eq!(stat, None);
        assert_eq!(rejected.len(), 3);
        assert_eq!(
            rejected[0],
            Rejected {
                object: RejectedObject::Rxpk { index: 1 },
                error: Error::InvalidBase64 { field: "data" },
            }
        );
        assert_eq!(rejected[1].object, RejectedObject::Rxpk { index: 2 });
        assert_eq!(rejected[1].error.reason(), "invalid_json");
        assert_eq!(rejected[2].object, RejectedObject::Stat);
    }

    #[test]
    fn accepts_stat_only_and_empty_bodies() {
        let (rxpks, stat, rejected) = decode_body(br#"{"stat":{"rxnb":2}}"#).unwrap();
        assert!(rxpks.is_empty() && rejected.is_empty());
        assert_eq!(stat.map(|stat| stat.rxnb), Some(2));
        let (rxpks, stat, rejected) = decode_body(br#"{"rxpk":null,"stat":null}"#).unwrap();
        assert!(rxpks.is_empty() && stat.is_none() && rejected.is_empty());
    }

    #[test]
    fn rejects_bodies_that_are_not_an_object_with_an_rxpk_array() {
        for json in [
            &b"[]"[..],
            b"{",
            b"{\"rxpk\":{}}",
            b"\"rxpk\"",
            b"{} {}",
            b"{\"rxpk\":[1,]}",
        ] {
            assert!(
                matches!(decode_body(json), Err(Error::InvalidJson { .. })),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
    }
}
