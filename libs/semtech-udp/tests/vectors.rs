//! Table-driven tests over `tests/vectors/datagrams.json`: real datagrams from PROTOCOL.TXT,
//! the SX1302 forwarder, ChirpStack and The Things Stack test suites, in both directions.
//!
//! Each vector names its source. Decoding is checked against the vector's expected facts or
//! error; encoding is checked byte for byte where the vector gives `encoded`, as equal JSON
//! where it sets `semantic_reencode`, and always as `decode(encode(x)) == x`.

#[path = "support/view.rs"]
mod view;

use semtech_udp::{Datagram, HEADER_WITH_EUI_LEN, Identifier};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Vector {
    name: String,
    source: String,
    hex: String,
    body_text: Option<String>,
    expect: Option<Value>,
    error: Option<String>,
    encoded: Option<String>,
    #[serde(default)]
    semantic_reencode: bool,
}

fn load_vectors() -> Vec<Vector> {
    let text = include_str!("vectors/datagrams.json");
    serde_json::from_str(text).expect("vectors/datagrams.json parses")
}

fn hex_bytes(text: &str) -> Vec<u8> {
    let compact: String = text.split_whitespace().collect();
    hex::decode(compact).expect("vector hex is valid")
}

fn vector_bytes(vector: &Vector) -> Vec<u8> {
    let mut bytes = hex_bytes(&vector.hex);
    if let Some(body) = &vector.body_text {
        bytes.extend_from_slice(body.as_bytes());
    }
    bytes
}

fn header_len(datagram: &Datagram) -> usize {
    if datagram.identifier().has_gateway_eui() {
        HEADER_WITH_EUI_LEN
    } else {
        4
    }
}

#[test]
fn every_vector_names_its_source_and_expects_something() {
    let vectors = load_vectors();
    assert!(vectors.len() >= 30);
    for vector in &vectors {
        assert!(!vector.source.trim().is_empty(), "{}", vector.name);
        assert!(
            vector.expect.is_some() != vector.error.is_some(),
            "{}: exactly one of expect and error",
            vector.name
        );
    }
}

#[test]
fn decodes_every_vector_to_its_expected_value_or_error() {
    for vector in load_vectors() {
        let res = Datagram::decode(&vector_bytes(&vector));
        match (&vector.expect, &vector.error) {
            (Some(expected), None) => {
                let datagram = res.unwrap_or_else(|e| panic!("{}: {e}", vector.name));
                let actual = view::datagram_view(&datagram);
                view::assert_subset(expected, &actual, &vector.name);
            }
            (None, Some(reason)) => {
                let error = res.expect_err(&vector.name);
                assert_eq!(error.reason(), reason, "{}: {error}", vector.name);
            }
            _ => panic!("{}: exactly one of expect and error", vector.name),
        }
    }
}

#[test]
fn reencodes_every_decodable_vector() {
    for vector in load_vectors() {
        let Ok(datagram) = Datagram::decode(&vector_bytes(&vector)) else {
            continue;
        };
        let fully_decoded = match &datagram {
            Datagram::PushData(push_data) => push_data.rejected.is_empty(),
            _ => true,
        };
        let encoded = datagram
            .encode()
            .unwrap_or_else(|e| panic!("{}: {e}", vector.name));
        if fully_decoded {
            let decoded_again = Datagram::decode(&encoded).expect(&vector.name);
            assert_eq!(
                decoded_again, datagram,
                "{}: decode(encode(x)) == x",
                vector.name
            );
        }
        if let Some(expected) = &vector.encoded {
            assert_eq!(
                hex::encode(&encoded),
                hex::encode(hex_bytes(expected)),
                "{}",
                vector.name
            );
        }
        if vector.semantic_reencode {
            let input = vector_bytes(&vector);
            let split = header_len(&datagram);
            assert_eq!(encoded[..split], input[..split], "{}: header", vector.name);
            let ours: Value = serde_json::from_slice(&encoded[split..]).unwrap();
            let theirs: Value = serde_json::from_slice(&input[split..]).unwrap();
            assert_eq!(
                view::normalize_numbers(ours),
                view::normalize_numbers(theirs),
                "{}: body",
                vector.name
            );
        }
    }
}

#[test]
fn vectors_cover_every_datagram_kind() {
    let mut seen = Vec::new();
    for vector in load_vectors() {
        if let Ok(datagram) = Datagram::decode(&vector_bytes(&vector)) {
            seen.push(datagram.identifier());
        }
    }
    for identifier in [
        Identifier::PushData,
        Identifier::PushAck,
        Identifier::PullData,
        Identifier::PullResp,
        Identifier::PullAck,
        Identifier::TxAck,
    ] {
        assert!(seen.contains(&identifier), "no vector for {identifier}");
    }
}
