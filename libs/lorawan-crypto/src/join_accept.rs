//! Join-accept encryption and decryption, LoRaWAN 1.0.4 §6.2.5 and LoRaWAN 1.1 §6.2.3.
//!
//! The join-accept after its MHDR, MIC included, is encrypted in ECB mode with the AES
//! *decrypt* operation, so that an end-device only needs the AES encrypt operation to decrypt
//! it. These functions work in place on exactly those bytes (16, or 32 with a CFList); building
//! the message and its MIC is the caller's (see [`crate::compute_join_accept_mic_1_0`]).

use lorawan_codec::Aes128Key;

use crate::{CipherKey, Error, Result};

/// Lengths of a join-accept after its MHDR, MIC included: without and with a CFList.
const JOIN_ACCEPT_LENS: &[usize] = &[16, 32];

fn blocks(data: &mut [u8]) -> Result<&mut [[u8; 16]]> {
    if !JOIN_ACCEPT_LENS.contains(&data.len()) {
        return Err(Error::InvalidLength {
            what: "join-accept after MHDR",
            expected: JOIN_ACCEPT_LENS,
            got: data.len(),
        });
    }
    // Both allowed lengths are whole blocks, so the remainder is empty.
    Ok(data.as_chunks_mut::<16>().0)
}

/// Encrypts a join-accept in place, LoRaWAN 1.0.4 §6.2.5: `aes128_decrypt(key, JoinNonce |
/// NetID | DevAddr | DLSettings | RxDelay | CFList | MIC)`.
///
/// `data` is the join-accept after its MHDR, MIC included: 16 or 32 bytes, otherwise
/// [`Error::InvalidLength`]. The key is the AppKey for LoRaWAN 1.0.x; for LoRaWAN 1.1 it is the
/// NwkKey when answering a join-request and the JSEncKey when answering a rejoin-request.
pub fn encrypt_join_accept(key: &Aes128Key, data: &mut [u8]) -> Result<()> {
    let cipher = CipherKey::new(key);
    for block in blocks(data)? {
        cipher.decrypt_block(block);
    }
    Ok(())
}

/// Decrypts a join-accept in place (the AES encrypt operation), LoRaWAN 1.0.4 §6.2.5; the
/// inverse of [`encrypt_join_accept`], with the same length rule and keys.
pub fn decrypt_join_accept(key: &Aes128Key, data: &mut [u8]) -> Result<()> {
    let cipher = CipherKey::new(key);
    for block in blocks(data)? {
        cipher.encrypt_block(block);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_lengths_other_than_16_or_32() {
        let key = Aes128Key::from_bytes([1; 16]);
        for len in [0, 12, 15, 17, 31, 33, 48] {
            let mut data = vec![0u8; len];
            let expected = Err(Error::InvalidLength {
                what: "join-accept after MHDR",
                expected: &[16, 32],
                got: len,
            });
            assert_eq!(encrypt_join_accept(&key, &mut data), expected);
            assert_eq!(decrypt_join_accept(&key, &mut data), expected);
            assert!(data.iter().all(|&byte| byte == 0), "input left untouched");
        }
    }

    #[test]
    fn encrypts_every_block_of_a_join_accept_with_cf_list() {
        let key = Aes128Key::from_bytes([1; 16]);
        let mut data = [0u8; 32];
        encrypt_join_accept(&key, &mut data).unwrap();
        // Identical plaintext blocks give identical ECB blocks, and both are transformed.
        assert_eq!(data[..16], data[16..]);
        assert_ne!(data[..16], [0u8; 16]);
        decrypt_join_accept(&key, &mut data).unwrap();
        assert_eq!(data, [0u8; 32]);
    }
}
