//! MAC command codec tests: vectors from the LoRaWAN specifications and from The Things Stack
//! and ChirpStack in both directions, encode-time validation, and proptest round trips.
//!
//! Vectors live in `tests/vectors/mac_commands.json`; each names its source.

#[path = "mac_commands/expected.rs"]
mod expected;
#[path = "mac_commands/invalid.rs"]
mod invalid;
#[path = "mac_commands/strategies.rs"]
mod strategies;

use std::collections::BTreeSet;

use lorawan_codec::*;
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct VectorFile {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    source: String,
    direction: String,
    /// The input, in hex.
    bytes: String,
    /// The expected commands, as JSON objects in the crate's serde form.
    commands: Vec<serde_json::Value>,
    /// The expected truncation, if any.
    error: Option<TooShort>,
    /// What the decoded commands encode to, when it differs from the decoded bytes (RFU bits).
    encoded: Option<String>,
}

#[derive(Deserialize)]
struct TooShort {
    needed: usize,
    got: usize,
}

fn load_vectors() -> Vec<Vector> {
    let text = include_str!("vectors/mac_commands.json");
    serde_json::from_str::<VectorFile>(text).unwrap().vectors
}

fn direction(name: &str) -> Direction {
    match name {
        "uplink" => Direction::Uplink,
        "downlink" => Direction::Downlink,
        other => panic!("unknown direction {other}"),
    }
}

#[test]
fn decodes_and_encodes_every_vector() {
    for vector in load_vectors() {
        let name = &vector.name;
        assert!(!vector.source.is_empty(), "{name} names no source");
        let bytes = hex::decode(&vector.bytes).unwrap();
        let expected_commands: Vec<MacCommand> =
            vector.commands.iter().map(expected::command).collect();
        let expected_error = vector.error.as_ref().map(|e| Error::TooShort {
            needed: e.needed,
            got: e.got,
        });

        let decoded = decode_mac_commands(&bytes, direction(&vector.direction));
        assert_eq!(decoded.commands, expected_commands, "{name}: commands");
        assert_eq!(decoded.error, expected_error, "{name}: error");

        // Encoding gives back the decoded bytes, up to a truncated tail and with RFU bits zero.
        let truncated_len = vector.error.as_ref().map_or(0, |e| e.got);
        let expected_bytes = match &vector.encoded {
            Some(encoded) => hex::decode(encoded).unwrap(),
            None => bytes[..bytes.len() - truncated_len].to_vec(),
        };
        assert_eq!(
            encode_mac_commands(&expected_commands).unwrap(),
            expected_bytes,
            "{name}: encoding"
        );
        let encoded_len: usize = expected_commands.iter().map(MacCommand::encoded_len).sum();
        assert_eq!(encoded_len + truncated_len, bytes.len(), "{name}: lengths");
    }
}

#[test]
fn vectors_cover_every_command_in_both_directions() {
    let mut covered = BTreeSet::new();
    for vector in load_vectors() {
        for object in &vector.commands {
            let command = expected::command(object);
            covered.insert((vector.direction.clone(), command.cid(), command.name()));
        }
    }
    for (direction_name, dir) in [
        ("uplink", Direction::Uplink),
        ("downlink", Direction::Downlink),
    ] {
        for cid in 0..PROPRIETARY_CID_MIN {
            if !strategies::is_known(cid, dir) {
                continue;
            }
            assert!(
                covered
                    .iter()
                    .any(|(d, c, n)| d == direction_name && *c == cid && *n != "Unknown"),
                "no {direction_name} vector for CID {cid:#04x}"
            );
        }
        for raw in ["Unknown", "Proprietary"] {
            assert!(
                covered
                    .iter()
                    .any(|(d, _, n)| d == direction_name && *n == raw),
                "no {direction_name} vector for a {raw} command"
            );
        }
    }
    assert!(load_vectors().iter().filter(|v| v.error.is_some()).count() >= 2);
}

#[cfg(feature = "serde")]
#[test]
fn serde_form_matches_the_vectors() {
    for vector in load_vectors() {
        let bytes = hex::decode(&vector.bytes).unwrap();
        let decoded = decode_mac_commands(&bytes, direction(&vector.direction));
        for (command, object) in decoded.commands.iter().zip(&vector.commands) {
            assert_eq!(
                &serde_json::to_value(command).unwrap(),
                object,
                "{}",
                vector.name
            );
            let parsed: MacCommand = serde_json::from_value(object.clone()).unwrap();
            assert_eq!(&parsed, command, "{}", vector.name);
        }
        let stream = serde_json::to_value(&decoded).unwrap();
        assert_eq!(
            stream["commands"].as_array().unwrap().len(),
            decoded.commands.len()
        );
        assert_eq!(
            stream["error"].is_null(),
            decoded.error.is_none(),
            "{}",
            vector.name
        );
    }
}

#[test]
fn rejects_field_values_that_do_not_fit_on_encode() {
    for (command, error) in invalid::cases() {
        assert_eq!(command.encode(), Err(error.clone()), "{command:?}");
        assert_eq!(
            encode_mac_commands(&[MacCommand::LinkCheckReq, command]),
            Err(error)
        );
    }
}

#[test]
fn is_complete_only_when_every_byte_is_a_known_command() {
    let cases: [(&str, Direction, bool); 5] = [
        ("", Direction::Uplink, true),
        ("030706ff1e", Direction::Uplink, true),
        ("0380", Direction::Downlink, false),
        ("02ff", Direction::Uplink, false),
        ("0e0102", Direction::Uplink, false),
    ];
    for (bytes, dir, complete) in cases {
        let decoded = decode_mac_commands(&hex::decode(bytes).unwrap(), dir);
        assert_eq!(decoded.is_complete(), complete, "{bytes}");
    }
}

#[test]
fn names_and_directions_follow_the_spec_table() {
    let cases = [
        (
            MacCommand::LinkAdrReq(LinkAdrReqPayload::default()),
            0x03,
            "LinkADRReq",
            Some(Direction::Downlink),
        ),
        (
            MacCommand::LinkAdrAns(LinkAdrAnsPayload::default()),
            0x03,
            "LinkADRAns",
            Some(Direction::Uplink),
        ),
        (
            MacCommand::ForceRejoinReq(ForceRejoinReqPayload::default()),
            0x0e,
            "ForceRejoinReq",
            Some(Direction::Downlink),
        ),
        (
            MacCommand::DeviceModeInd(DeviceModeIndPayload::default()),
            0x20,
            "DeviceModeInd",
            Some(Direction::Uplink),
        ),
        (
            MacCommand::BeaconTimingReq,
            0x12,
            "BeaconTimingReq",
            Some(Direction::Uplink),
        ),
        (
            MacCommand::Proprietary {
                cid: 0x99,
                payload: vec![],
            },
            0x99,
            "Proprietary",
            None,
        ),
    ];
    for (command, cid, name, dir) in cases {
        assert_eq!(command.cid(), cid);
        assert_eq!(command.name(), name);
        assert_eq!(command.direction(), dir);
    }
}

proptest! {
    #[test]
    fn every_command_round_trips(command in prop_oneof![
        strategies::uplink_command(),
        strategies::downlink_command(),
    ]) {
        let encoded = command.encode().unwrap();
        prop_assert_eq!(encoded.len(), command.encoded_len());
        prop_assert_eq!(encoded[0], command.cid());
        let dir = command.direction().unwrap();
        let decoded = decode_mac_commands(&encoded, dir);
        prop_assert_eq!(decoded.commands, vec![command]);
        prop_assert_eq!(decoded.error, None);
    }

    #[test]
    fn command_streams_round_trip((dir, commands) in strategies::stream()) {
        let encoded = encode_mac_commands(&commands).unwrap();
        let decoded = decode_mac_commands(&encoded, dir);
        prop_assert_eq!(decoded.commands, commands);
        prop_assert_eq!(decoded.error, None);
    }

    #[test]
    fn truncating_a_stream_keeps_the_commands_before_the_cut(
        (dir, commands) in strategies::stream(),
        cut in any::<prop::sample::Index>(),
    ) {
        let encoded = encode_mac_commands(&commands).unwrap();
        prop_assume!(!encoded.is_empty());
        let cut = cut.index(encoded.len());
        let decoded = decode_mac_commands(&encoded[..cut], dir);
        // Every command that ended before the cut survives unchanged.
        let mut end = 0;
        let whole: Vec<_> = commands
            .iter()
            .take_while(|command| {
                end += command.encoded_len();
                end <= cut && !matches!(command, MacCommand::Unknown { .. } | MacCommand::Proprietary { .. })
            })
            .cloned()
            .collect();
        prop_assert_eq!(&decoded.commands[..whole.len()], &whole[..]);
    }

    #[test]
    fn arbitrary_bytes_decode_without_panicking_and_reencode_consistently(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        uplink in any::<bool>(),
    ) {
        let dir = if uplink { Direction::Uplink } else { Direction::Downlink };
        let decoded = decode_mac_commands(&bytes, dir);

        // Every byte is accounted for: decoded commands plus a truncated tail.
        let tail = match decoded.error {
            None => 0,
            Some(Error::TooShort { needed, got }) => {
                prop_assert!(got < needed);
                got
            }
            Some(other) => return Err(TestCaseError::fail(format!("unexpected error {other}"))),
        };
        let used: usize = decoded.commands.iter().map(MacCommand::encoded_len).sum();
        prop_assert_eq!(used + tail, bytes.len());

        // Re-encoding zeroes RFU bits; decoding that again gives the same commands. The only
        // decodable value encode refuses is the reserved LinkCheckAns margin 255.
        match encode_mac_commands(&decoded.commands) {
            Ok(reencoded) => {
                let again = decode_mac_commands(&reencoded, dir);
                prop_assert_eq!(again.commands, decoded.commands);
                prop_assert_eq!(again.error, None);
            }
            Err(error) => prop_assert_eq!(error, Error::OutOfRange { field: "Margin", value: 255 }),
        }
    }
}
