//! Fuzz target: decoding any byte string must not panic, and whatever decodes must encode
//! and decode back to the same value (objects rejected on the first decode aside).
//!
//! Run from `libs/semtech-udp` with `cargo +nightly fuzz run decode_datagram`; optionally add
//! `-- -dict=fuzz/decode_datagram.dict` to seed libFuzzer with the protocol's JSON keys.

#![no_main]

use libfuzzer_sys::fuzz_target;
use semtech_udp::{Datagram, Header};

fuzz_target!(|bytes: &[u8]| {
    let header = Header::decode(bytes);
    let Ok(mut datagram) = Datagram::decode(bytes) else {
        return;
    };
    let (header, _) = header.expect("a decodable datagram has a decodable header");
    assert_eq!(header.ack(), datagram.ack_bytes());
    if let Datagram::PushData(push_data) = &mut datagram {
        push_data.rejected.clear();
    }
    // Encoding may legitimately fail only by growing past MAX_DATAGRAM_LEN.
    match datagram.encode() {
        Ok(encoded) => {
            let decoded = Datagram::decode(&encoded).expect("an encoded datagram decodes");
            assert_eq!(decoded, datagram);
        }
        Err(error) => assert_eq!(error.reason(), "too_long", "{error}"),
    }
});
