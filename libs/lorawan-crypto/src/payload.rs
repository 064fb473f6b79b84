//! FRMPayload encryption and decryption, LoRaWAN 1.0.4 §4.3.3 and LoRaWAN 1.1 §4.3.3.
//!
//! The payload is XORed with a key stream `S = aes128_encrypt(K, A1) | aes128_encrypt(K, A2) |
//! ...` where `Ai = 0x01 | 4 x 0x00 | Dir | DevAddr | FCnt | 0x00 | i` (the IEEE 802.15.4 CCM*
//! counter blocks), so encryption and decryption are the same operation. The in-place functions
//! allocate nothing; the `Vec` ones are conveniences. Key choice (AppSKey for FPort > 0,
//! NwkSKey/NwkSEncKey for FPort 0) is the caller's.

use lorawan_codec::DevAddr;

use crate::{CipherKey, Error, Result};

/// Largest FRMPayload the one-byte block counter `i` of the `Ai` blocks can cover.
pub const MAX_FRM_PAYLOAD_LEN: usize = 255 * 16;

/// Direction of a frame, whose Dir byte (0 up, 1 down) enters the `Ai` and `B0` blocks
/// (LoRaWAN 1.0.4 §4.3.3); the codec's type, so frames and crypto agree on it.
pub use lorawan_codec::Direction;

/// Returns the Dir byte of the `Ai` and `B0` blocks: 0 for uplinks, 1 for downlinks.
pub(crate) const fn dir_byte(dir: Direction) -> u8 {
    match dir {
        Direction::Uplink => 0,
        Direction::Downlink => 1,
    }
}

/// Builds an `A` block without its last byte: `0x01 | 4 x 0x00 | Dir | DevAddr | FCnt | 0x00 |
/// 0x00`. Shared with the FOpts encryption, which changes bytes 4 and 15.
pub(crate) fn a_block(dir: Direction, dev_addr: DevAddr, f_cnt: u32) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0x01;
    a[5] = dir_byte(dir);
    a[6..10].copy_from_slice(&dev_addr.to_le_bytes());
    a[10..14].copy_from_slice(&f_cnt.to_le_bytes());
    a
}

/// Encrypts (or, identically, decrypts) an FRMPayload in place, LoRaWAN 1.0.4 §4.3.3.
///
/// `f_cnt` is the full 32-bit frame counter of the frame (FCntUp, or the downlink counter the
/// frame carries). Fails with [`Error::TooLong`] above [`MAX_FRM_PAYLOAD_LEN`] bytes.
pub fn encrypt_frm_payload_in_place(
    key: &CipherKey,
    dir: Direction,
    dev_addr: DevAddr,
    f_cnt: u32,
    payload: &mut [u8],
) -> Result<()> {
    if payload.len() > MAX_FRM_PAYLOAD_LEN {
        return Err(Error::TooLong {
            what: "FRMPayload",
            max: MAX_FRM_PAYLOAD_LEN,
            got: payload.len(),
        });
    }
    let a = a_block(dir, dev_addr, f_cnt);
    for (block_idx, chunk) in payload.chunks_mut(16).enumerate() {
        let mut s = a;
        // The length check above bounds the block count to 255.
        s[15] = u8::try_from(block_idx + 1).expect("at most 255 blocks after the length check");
        key.encrypt_block(&mut s);
        for (byte, key_byte) in chunk.iter_mut().zip(s) {
            *byte ^= key_byte;
        }
    }
    Ok(())
}

/// Decrypts an FRMPayload in place; the same transformation as
/// [`encrypt_frm_payload_in_place`], LoRaWAN 1.0.4 §4.3.3.
pub fn decrypt_frm_payload_in_place(
    key: &CipherKey,
    dir: Direction,
    dev_addr: DevAddr,
    f_cnt: u32,
    payload: &mut [u8],
) -> Result<()> {
    encrypt_frm_payload_in_place(key, dir, dev_addr, f_cnt, payload)
}

/// Returns the encrypted copy of an FRMPayload; see [`encrypt_frm_payload_in_place`].
pub fn encrypt_frm_payload(
    key: &CipherKey,
    dir: Direction,
    dev_addr: DevAddr,
    f_cnt: u32,
    payload: &[u8],
) -> Result<Vec<u8>> {
    let mut out = payload.to_vec();
    encrypt_frm_payload_in_place(key, dir, dev_addr, f_cnt, &mut out)?;
    Ok(out)
}

/// Returns the decrypted copy of an FRMPayload; see [`encrypt_frm_payload_in_place`].
pub fn decrypt_frm_payload(
    key: &CipherKey,
    dir: Direction,
    dev_addr: DevAddr,
    f_cnt: u32,
    payload: &[u8],
) -> Result<Vec<u8>> {
    encrypt_frm_payload(key, dir, dev_addr, f_cnt, payload)
}

#[cfg(test)]
mod tests {
    use lorawan_codec::Aes128Key;

    use super::*;

    fn key() -> CipherKey {
        CipherKey::new(&Aes128Key::from_bytes([1; 16]))
    }

    #[test]
    fn a_block_layout_follows_the_specification() {
        let a = a_block(
            Direction::Downlink,
            DevAddr::from_u32(0x0102_0304),
            0x1122_3344,
        );
        assert_eq!(
            a,
            [1, 0, 0, 0, 0, 1, 4, 3, 2, 1, 0x44, 0x33, 0x22, 0x11, 0, 0]
        );
    }

    #[test]
    fn rejects_payloads_longer_than_the_block_counter_covers() {
        let mut payload = vec![0u8; MAX_FRM_PAYLOAD_LEN + 1];
        let addr = DevAddr::from_u32(1);
        assert_eq!(
            encrypt_frm_payload_in_place(&key(), Direction::Uplink, addr, 0, &mut payload),
            Err(Error::TooLong {
                what: "FRMPayload",
                max: 4080,
                got: 4081
            })
        );
        assert!(
            encrypt_frm_payload_in_place(
                &key(),
                Direction::Uplink,
                addr,
                0,
                &mut payload[..MAX_FRM_PAYLOAD_LEN]
            )
            .is_ok()
        );
    }

    #[test]
    fn later_blocks_use_their_own_counter() {
        // Two identical plaintext blocks must encrypt differently (A1 vs A2).
        let addr = DevAddr::from_u32(1);
        let out = encrypt_frm_payload(&key(), Direction::Uplink, addr, 0, &[0u8; 32]).unwrap();
        assert_ne!(out[..16], out[16..]);
    }

    #[test]
    fn empty_payload_stays_empty() {
        let addr = DevAddr::from_u32(1);
        let out = encrypt_frm_payload(&key(), Direction::Uplink, addr, 0, &[]).unwrap();
        assert!(out.is_empty());
    }
}
