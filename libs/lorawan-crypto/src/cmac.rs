//! AES-CMAC (RFC 4493) over a borrowed, already expanded AES-128 key.
//!
//! LoRaWAN computes every MIC with AES-CMAC. The per-uplink path computes several MICs with the
//! same session key, so the expanded key and the two CMAC subkeys live in a [`MicKey`] and each
//! computation only borrows them: no key schedule is copied or recomputed per frame, and nothing
//! allocates. Only what LoRaWAN needs is here: streaming input and the full 16-byte tag.

use crate::MicKey;

/// Length of an AES block and of the CMAC tag.
const BLOCK: usize = 16;

/// Doubles a value in GF(2^128), the subkey generation step of RFC 4493 §2.3.
pub(crate) fn double(block: &[u8; BLOCK]) -> [u8; BLOCK] {
    let value = u128::from_be_bytes(*block);
    let carry = if value >> 127 == 1 { 0x87 } else { 0 };
    ((value << 1) ^ carry).to_be_bytes()
}

fn xor_into(target: &mut [u8; BLOCK], other: &[u8; BLOCK]) {
    for (byte, other_byte) in target.iter_mut().zip(other) {
        *byte ^= other_byte;
    }
}

/// A CMAC computation in progress (RFC 4493 §2.4).
///
/// The last block gets special treatment (subkey K1 or padding with K2), so a full block is kept
/// in `pending` until more input shows it is not the last one.
pub(crate) struct Cmac<'a> {
    key: &'a MicKey,
    /// The CBC-MAC chaining value.
    state: [u8; BLOCK],
    /// Input not yet absorbed into `state`; at most one block.
    pending: [u8; BLOCK],
    pending_len: usize,
}

impl<'a> Cmac<'a> {
    pub(crate) fn new(key: &'a MicKey) -> Self {
        Self {
            key,
            state: [0; BLOCK],
            pending: [0; BLOCK],
            pending_len: 0,
        }
    }

    /// Absorbs `data`.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.pending_len == BLOCK {
                // More input follows, so the pending block is not the last one.
                xor_into(&mut self.state, &self.pending);
                self.key.encrypt_block(&mut self.state);
                self.pending_len = 0;
            }
            let take = (BLOCK - self.pending_len).min(data.len());
            let (head, rest) = data.split_at(take);
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(head);
            self.pending_len += take;
            data = rest;
        }
    }

    /// Finishes the computation and returns the 16-byte tag.
    pub(crate) fn finalize(mut self) -> [u8; BLOCK] {
        if self.pending_len == BLOCK {
            xor_into(&mut self.pending, self.key.k1());
        } else {
            // Incomplete (or empty) last block: pad with 10* and use K2.
            self.pending[self.pending_len] = 0x80;
            self.pending[self.pending_len + 1..].fill(0);
            xor_into(&mut self.pending, self.key.k2());
        }
        xor_into(&mut self.state, &self.pending);
        self.key.encrypt_block(&mut self.state);
        self.state
    }
}

#[cfg(test)]
mod tests {
    use lorawan_codec::Aes128Key;

    use super::*;

    fn hex16(text: &str) -> [u8; 16] {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    /// RFC 4493 §4 key and message.
    const KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
    const MESSAGE: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                           30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    #[test]
    fn subkeys_match_rfc_4493_section_4() {
        let key = MicKey::new(&Aes128Key::from_bytes(hex16(KEY)));
        assert_eq!(key.k1(), &hex16("fbeed618357133667c85e08f7236a8de"));
        assert_eq!(key.k2(), &hex16("f7ddac306ae266ccf90bc11ee46d513b"));
    }

    #[test]
    fn tags_match_rfc_4493_examples_in_any_chunking() {
        let key = MicKey::new(&Aes128Key::from_bytes(hex16(KEY)));
        let message = hex::decode(MESSAGE).unwrap();
        // (message length, tag), RFC 4493 §4 examples 1 to 4.
        let cases = [
            (0, "bb1d6929e95937287fa37d129b756746"),
            (16, "070a16b46b4d4144f79bdd9dd04a287c"),
            (40, "dfa66747de9ae63030ca32611497c827"),
            (64, "51f0bebf7e3b9d92fc49741779363cfe"),
        ];
        for (len, tag) in cases {
            for chunk in [1, 5, 16, 17, 64] {
                let mut mac = Cmac::new(&key);
                for part in message[..len].chunks(chunk) {
                    mac.update(part);
                }
                assert_eq!(
                    mac.finalize(),
                    hex16(tag),
                    "length {len}, chunks of {chunk}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn tags_match_the_reference_implementation(
            key in proptest::prelude::any::<[u8; 16]>(),
            message in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
            chunk in 1usize..40,
        ) {
            use cmac::Mac;
            let mut reference = <cmac::Cmac<aes::Aes128> as cmac::digest::KeyInit>::new(&key.into());
            reference.update(&message);
            let expected: [u8; 16] = reference.finalize().into_bytes().into();

            let mic_key = MicKey::new(&Aes128Key::from_bytes(key));
            let mut mac = Cmac::new(&mic_key);
            for part in message.chunks(chunk) {
                mac.update(part);
            }
            proptest::prop_assert_eq!(mac.finalize(), expected);
        }
    }

    #[test]
    fn doubling_carries_the_reduction_polynomial() {
        let mut high = [0u8; 16];
        high[0] = 0x80;
        let mut expected = [0u8; 16];
        expected[15] = 0x87;
        assert_eq!(double(&high), expected);
        let mut low = [0u8; 16];
        low[15] = 1;
        let mut doubled = [0u8; 16];
        doubled[15] = 2;
        assert_eq!(double(&low), doubled);
    }
}
