//! Property tests: `decode(encode(x)) == x` for every datagram kind, and no panic on
//! arbitrary bytes, on arbitrary JSON-like bodies after a valid header, or on mutated
//! encodings of valid datagrams.

#[path = "support/strategies.rs"]
mod strategies;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use semtech_udp::{Datagram, Header, ProtocolVersion, hz_to_mhz, mhz_to_hz};
use serde_json::Value;
use strategies::{datagram, finite, header};

/// Field names of every JSON object of the protocol, so random bodies hit real code paths.
const KEYS: &[&str] = &[
    "rxpk", "stat", "txpk", "txpk_ack", "time", "tmms", "tmst", "ftime", "freq", "chan", "rfch",
    "brd", "mid", "aesk", "modu", "datr", "codr", "hpw", "rssi", "rssis", "lsnr", "foff", "size",
    "data", "rsig", "ant", "rssic", "rssisd", "etime", "ft2d", "rfbsb", "rs2s1", "fdri", "imme",
    "powe", "fdev", "ipol", "prea", "ncrc", "nhdr", "error", "warn", "value", "lati", "long",
    "alti", "rxnb", "rxok", "rxfw", "ackr", "dwnb", "txnb", "temp", "boot", "hal", "jver",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite().prop_map(Value::from),
        (-200i64..1000).prop_map(Value::from),
        select(vec![
            "SF7BW125",
            "SF12BW500",
            "M0CW137",
            "4/5",
            "OFF",
            "LORA",
            "FSK",
            "LR-FHSS",
            "QAE=",
            "",
            "2013-03-31T16:21:17.528002Z",
            "TOO_LATE"
        ])
        .prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 96, 10, |inner| {
        let key = prop_oneof![select(KEYS).prop_map(str::to_owned), "[a-z_]{1,6}"];
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key, inner, 0..12).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_inverts_encode_for_every_datagram_kind(datagram in datagram()) {
        let bytes = datagram.encode().unwrap();
        prop_assert_eq!(Datagram::decode(&bytes).unwrap(), datagram.clone());
        let (header, _) = Header::decode(&bytes).unwrap();
        prop_assert_eq!(header.ack(), datagram.ack_bytes());
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..1024)) {
        let _ = Datagram::decode(&bytes);
        let _ = Header::decode(&bytes);
    }

    #[test]
    fn json_like_bodies_after_a_valid_header_never_panic(
        identifier in select(vec![0u8, 3, 5]),
        (version, token) in header(),
        body in json_value(),
        wrap in select(vec![None, Some("rxpk"), Some("txpk"), Some("txpk_ack"), Some("stat")]),
    ) {
        let body = match wrap {
            Some("rxpk") => serde_json::json!({ "rxpk": [body] }),
            Some(key) => serde_json::json!({ key: body }),
            None => body,
        };
        let [token_h, token_l] = token.to_be_bytes();
        let mut bytes = vec![version_byte(version), token_h, token_l, identifier];
        if identifier != 3 {
            bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        }
        bytes.extend_from_slice(&serde_json::to_vec(&body).unwrap());
        assert_reencodes_if_decodable(&bytes)?;
    }

    #[test]
    fn mutated_valid_datagrams_never_panic(
        datagram in datagram(),
        mutations in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = datagram.encode().unwrap();
        for (index, byte) in mutations {
            let position = index.index(bytes.len());
            bytes[position] = byte;
        }
        assert_reencodes_if_decodable(&bytes)?;
        let cut = cut.index(bytes.len() + 1);
        assert_reencodes_if_decodable(&bytes[..cut])?;
    }

    #[test]
    fn frequency_survives_hz_to_mhz_and_back(hz in 0u64..(1 << 40)) {
        prop_assert_eq!(mhz_to_hz(hz_to_mhz(hz)), hz);
    }
}

fn version_byte(version: ProtocolVersion) -> u8 {
    match version {
        ProtocolVersion::V1 => 1,
        ProtocolVersion::V2 => 2,
    }
}

/// Whatever decodes must encode and decode back to itself (rejected objects aside).
fn assert_reencodes_if_decodable(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(mut datagram) = Datagram::decode(bytes) else {
        return Ok(());
    };
    if let Datagram::PushData(push_data) = &mut datagram {
        push_data.rejected.clear();
    }
    if let Ok(encoded) = datagram.encode() {
        prop_assert_eq!(Datagram::decode(&encoded).unwrap(), datagram);
    }
    Ok(())
}
