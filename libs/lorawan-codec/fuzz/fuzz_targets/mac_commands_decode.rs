//! Fuzzes the MAC command stream decoder with arbitrary bytes in both directions.
//!
//! Besides "never panics", it checks that every input byte is accounted for (decoded commands
//! plus a truncated tail) and that re-encoding the decoded commands decodes to the same commands.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lorawan_codec::{Direction, Error, MacCommand, decode_mac_commands, encode_mac_commands};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the direction; the rest is the FOpts or port-0 FRMPayload.
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let direction = if selector & 1 == 0 {
        Direction::Uplink
    } else {
        Direction::Downlink
    };
    let decoded = decode_mac_commands(bytes, direction);

    let tail = match &decoded.error {
        None => 0,
        Some(Error::TooShort { needed, got }) => {
            assert!(got < needed, "truncation reports {got} of {needed} bytes");
            *got
        }
        Some(other) => panic!("unexpected decode error {other}"),
    };
    let used: usize = decoded.commands.iter().map(MacCommand::encoded_len).sum();
    assert_eq!(used + tail, bytes.len(), "bytes unaccounted for");

    // Re-encoding zeroes RFU bits; the only decodable value encode refuses is the reserved
    // LinkCheckAns margin 255.
    match encode_mac_commands(&decoded.commands) {
        Ok(reencoded) => {
            let again = decode_mac_commands(&reencoded, direction);
            assert_eq!(again.commands, decoded.commands);
            assert_eq!(again.error, None);
        }
        Err(error) => assert_eq!(
            error,
            Error::OutOfRange {
                field: "Margin",
                value: 255
            }
        ),
    }
});
