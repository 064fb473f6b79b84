//! RFC 3394 AES key wrap of one AES-128 key under a 128-bit key-encryption key (KEK).
//!
//! Root keys and AppSKeys are stored and moved between services wrapped this way, as the
//! KeyEnvelope of LoRaWAN Backend Interfaces TS002 does. Only the 16-byte key and 16-byte KEK case is offered;
//! it always produces 24 bytes. The KEK itself comes from configuration, never from here.

use aes_kw::KekAes128;
use lorawan_codec::Aes128Key;

use crate::{Error, Result};

/// Length of a wrapped AES-128 key: the key plus the 8-byte integrity check value.
pub const WRAPPED_KEY_LEN: usize = 24;

/// Wraps `key` under `kek` with the RFC 3394 §2.2.1 algorithm and default IV `A6A6A6A6A6A6A6A6`.
pub fn wrap_key(kek: &Aes128Key, key: &Aes128Key) -> [u8; WRAPPED_KEY_LEN] {
    let mut out = [0u8; WRAPPED_KEY_LEN];
    KekAes128::from(kek.to_bytes())
        .wrap(key.as_bytes(), &mut out)
        .expect("a 16-byte key wraps into exactly 24 bytes");
    out
}

/// Unwraps an AES-128 key wrapped under `kek` (RFC 3394 §2.2.2) and checks its integrity value.
///
/// Fails with [`Error::InvalidLength`] unless `wrapped` is 24 bytes, and with
/// [`Error::KeyUnwrap`] when the integrity check fails (wrong KEK or corrupted data).
pub fn unwrap_key(kek: &Aes128Key, wrapped: &[u8]) -> Result<Aes128Key> {
    if wrapped.len() != WRAPPED_KEY_LEN {
        return Err(Error::InvalidLength {
            what: "wrapped key",
            expected: &[WRAPPED_KEY_LEN],
            got: wrapped.len(),
        });
    }
    let mut key = [0u8; 16];
    KekAes128::from(kek.to_bytes())
        .unwrap(wrapped, &mut key)
        .map_err(|_| Error::KeyUnwrap)?;
    Ok(Aes128Key::from_bytes(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_wrapped_keys_of_wrong_length() {
        let kek = Aes128Key::from_bytes([0; 16]);
        for len in [0, 8, 16, 23, 25, 32] {
            assert_eq!(
                unwrap_key(&kek, &vec![0u8; len]),
                Err(Error::InvalidLength {
                    what: "wrapped key",
                    expected: &[24],
                    got: len
                })
            );
        }
    }

    #[test]
    fn unwrapping_with_another_kek_fails_the_integrity_check() {
        let key = Aes128Key::from_bytes([0x42; 16]);
        let wrapped = wrap_key(&Aes128Key::from_bytes([1; 16]), &key);
        assert_eq!(
            unwrap_key(&Aes128Key::from_bytes([2; 16]), &wrapped),
            Err(Error::KeyUnwrap)
        );
    }
}
