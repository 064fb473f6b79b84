//! Prepared keys: an AES-128 key with its key schedule (and, for CMAC, its subkeys) computed once.
//!
//! A network server checks many frames with the same session key, so the MIC and encryption
//! functions take these prepared values instead of raw [`Aes128Key`]s: building one costs an AES
//! key expansion (plus one block encryption for the CMAC subkeys), using one only borrows it.
//! They hold secret material, so `Debug` is redacted; neither zeroes its memory on drop. This
//! module does not decide which key is used for which message; the functions that take them
//! document that.

use std::fmt;

use aes::Aes128;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use lorawan_codec::Aes128Key;

use crate::cmac::{Cmac, double};

/// An AES-128 key prepared for AES-CMAC (RFC 4493), the MIC primitive of LoRaWAN 1.0.4 §4.4 and
/// §6.2 and LoRaWAN 1.1 §4.4 and §6.2: the expanded key plus the CMAC subkeys K1 and K2.
///
/// Build it once per key (for example when a session is loaded) and reuse it for every frame;
/// computing a MIC only borrows it.
#[derive(Clone)]
pub struct MicKey {
    aes: Aes128,
    k1: [u8; 16],
    k2: [u8; 16],
}

impl MicKey {
    /// Expands `key` and derives its CMAC subkeys (RFC 4493 §2.3).
    pub fn new(key: &Aes128Key) -> Self {
        let aes = Aes128::new(key.as_bytes().into());
        let mut l = [0u8; 16];
        aes.encrypt_block((&mut l).into());
        let k1 = double(&l);
        let k2 = double(&k1);
        Self { aes, k1, k2 }
    }

    /// Returns a fresh CMAC computation keyed with this key, ready to absorb a message.
    pub(crate) fn start(&self) -> Cmac<'_> {
        Cmac::new(self)
    }

    pub(crate) fn encrypt_block(&self, block: &mut [u8; 16]) {
        self.aes.encrypt_block(block.into());
    }

    pub(crate) fn k1(&self) -> &[u8; 16] {
        &self.k1
    }

    pub(crate) fn k2(&self) -> &[u8; 16] {
        &self.k2
    }
}

impl From<&Aes128Key> for MicKey {
    fn from(key: &Aes128Key) -> Self {
        Self::new(key)
    }
}

impl From<Aes128Key> for MicKey {
    fn from(key: Aes128Key) -> Self {
        Self::new(&key)
    }
}

impl fmt::Debug for MicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MicKey(<redacted>)")
    }
}

/// An AES-128 key prepared for the block-cipher operations of LoRaWAN: the FRMPayload and FOpts
/// key streams (LoRaWAN 1.0.4 §4.3.3, LoRaWAN 1.1 §4.3.1.6 and §4.3.3).
///
/// Build it once per key and reuse it for every frame.
#[derive(Clone)]
pub struct CipherKey {
    aes: Aes128,
}

impl CipherKey {
    /// Expands `key` for AES block encryption.
    pub fn new(key: &Aes128Key) -> Self {
        Self {
            aes: Aes128::new(key.as_bytes().into()),
        }
    }

    /// Encrypts one 16-byte block in place (AES-128 forward direction).
    pub(crate) fn encrypt_block(&self, block: &mut [u8; 16]) {
        self.aes.encrypt_block(block.into());
    }

    /// Decrypts one 16-byte block in place (AES-128 inverse direction).
    pub(crate) fn decrypt_block(&self, block: &mut [u8; 16]) {
        self.aes.decrypt_block(block.into());
    }
}

impl From<&Aes128Key> for CipherKey {
    fn from(key: &Aes128Key) -> Self {
        Self::new(key)
    }
}

impl From<Aes128Key> for CipherKey {
    fn from(key: Aes128Key) -> Self {
        Self::new(&key)
    }
}

impl fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CipherKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Aes128Key {
        // FIPS-197 Appendix B cipher key.
        Aes128Key::from_bytes([
            0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf,
            0x4f, 0x3c,
        ])
    }

    #[test]
    fn debug_output_is_redacted() {
        assert_eq!(format!("{:?}", MicKey::new(&key())), "MicKey(<redacted>)");
        assert_eq!(
            format!("{:?}", CipherKey::new(&key())),
            "CipherKey(<redacted>)"
        );
    }

    #[test]
    fn cipher_key_encrypts_fips_197_appendix_b_block_and_decrypts_it_back() {
        let plain = [
            0x32, 0x43, 0xf6, 0xa8, 0x88, 0x5a, 0x30, 0x8d, 0x31, 0x31, 0x98, 0xa2, 0xe0, 0x37,
            0x07, 0x34,
        ];
        let cipher = [
            0x39, 0x25, 0x84, 0x1d, 0x02, 0xdc, 0x09, 0xfb, 0xdc, 0x11, 0x85, 0x97, 0x19, 0x6a,
            0x0b, 0x32,
        ];
        let cipher_key = CipherKey::from(key());
        let mut block = plain;
        cipher_key.encrypt_block(&mut block);
        assert_eq!(block, cipher);
        cipher_key.decrypt_block(&mut block);
        assert_eq!(block, plain);
    }
}
