//! LoRaWAN 1.1 FOpts encryption with the NwkSEncKey, LoRaWAN 1.1 §4.3.1.6 and its errata.
//!
//! FOpts (at most 15 bytes) are XORed with one key-stream block `S = aes128_encrypt(NwkSEncKey,
//! A)`. Two layouts of `A` exist in the field and a network server must use the one its devices
//! use, so the caller picks a [`FOptsScheme`]:
//!
//! - [`FOptsScheme::Original`], LoRaWAN 1.1 §4.3.1.6 as published:
//!   `A = 0x01 | 4 x 0x00 | Dir | DevAddr | FCntUp or NFCntDown | 0x00 | 0x00`.
//!   The Things Stack implements this one.
//! - [`FOptsScheme::Errata`], the LoRaWAN 1.1 errata "FOpts encryption, usage of FCntDwn"
//!   (January 2018), which later device stacks call LoRaWAN 1.1.1:
//!   `A1 = 0x01 | 0x00 0x00 0x00 c | Dir | DevAddr | FCnt | 0x00 | 0x01` with `c = 0x01` when the
//!   counter is FCntUp or NFCntDown and `c = 0x02` when it is AFCntDown. ChirpStack and the
//!   Semtech LoRaMac-node reference stack implement this one.
//!
//! The counter subtlety: a downlink carries one FCnt. Without FPort (or with FPort 0) it is
//! NFCntDown; with FPort > 0 it is AFCntDown, because the application counter must match the
//! FRMPayload encryption. The published text says FOpts always use NFCntDown, which cannot work
//! for a downlink with FPort > 0 that also piggybacks MAC commands (the device only sees
//! AFCntDown). The errata fixes this by encrypting such FOpts with AFCntDown and marking the
//! block with `c = 0x02` so the two counters never share a key stream. [`FOptsCounter`] names
//! the counter the frame carries; with the original scheme it only selects the direction.
//! LoRaWAN 1.0.x sends FOpts in clear; this module is for 1.1 sessions only.

use lorawan_codec::DevAddr;

use crate::payload::{Direction, a_block};
use crate::{CipherKey, Error, Result};

/// Largest FOpts field, LoRaWAN 1.1 §4.3.1.6 (FOptsLen is 4 bits).
pub const MAX_F_OPTS_LEN: usize = 15;

/// Which layout of the FOpts encryption block `A` to use; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FOptsScheme {
    /// LoRaWAN 1.1 §4.3.1.6 as published (The Things Stack).
    Original,
    /// LoRaWAN 1.1 errata "FOpts encryption, usage of FCntDwn" (ChirpStack, LoRaMac-node).
    Errata,
}

/// The frame counter the frame carries, which decides the direction and, for
/// [`FOptsScheme::Errata`], the counter marker of the `A` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FOptsCounter {
    /// An uplink: FCntUp.
    FCntUp,
    /// A downlink without FPort or with FPort 0: NFCntDown.
    NFCntDown,
    /// A downlink with FPort > 0: AFCntDown.
    AFCntDown,
}

impl FOptsCounter {
    /// Returns the direction of a frame carrying this counter.
    pub const fn direction(self) -> Direction {
        match self {
            Self::FCntUp => Direction::Uplink,
            Self::NFCntDown | Self::AFCntDown => Direction::Downlink,
        }
    }
}

/// Builds the FOpts encryption block `A` of `scheme`.
fn f_opts_block(
    scheme: FOptsScheme,
    counter: FOptsCounter,
    dev_addr: DevAddr,
    f_cnt: u32,
) -> [u8; 16] {
    let mut a = a_block(counter.direction(), dev_addr, f_cnt);
    if scheme == FOptsScheme::Errata {
        a[4] = match counter {
            FOptsCounter::FCntUp | FOptsCounter::NFCntDown => 0x01,
            FOptsCounter::AFCntDown => 0x02,
        };
        a[15] = 0x01;
    }
    a
}

/// Encrypts (or, identically, decrypts) LoRaWAN 1.1 FOpts in place with the NwkSEncKey,
/// LoRaWAN 1.1 §4.3.1.6.
///
/// `f_cnt` is the full 32-bit value of `counter`, the counter the frame carries. Fails with
/// [`Error::TooLong`] above [`MAX_F_OPTS_LEN`] bytes.
pub fn encrypt_f_opts_in_place(
    nwk_s_enc_key: &CipherKey,
    scheme: FOptsScheme,
    counter: FOptsCounter,
    dev_addr: DevAddr,
    f_cnt: u32,
    f_opts: &mut [u8],
) -> Result<()> {
    if f_opts.len() > MAX_F_OPTS_LEN {
        return Err(Error::TooLong {
            what: "FOpts",
            max: MAX_F_OPTS_LEN,
            got: f_opts.len(),
        });
    }
    let mut s = f_opts_block(scheme, counter, dev_addr, f_cnt);
    nwk_s_enc_key.encrypt_block(&mut s);
    for (byte, key_byte) in f_opts.iter_mut().zip(s) {
        *byte ^= key_byte;
    }
    Ok(())
}

/// Decrypts LoRaWAN 1.1 FOpts in place; the same transformation as
/// [`encrypt_f_opts_in_place`], LoRaWAN 1.1 §4.3.1.6.
pub fn decrypt_f_opts_in_place(
    nwk_s_enc_key: &CipherKey,
    scheme: FOptsScheme,
    counter: FOptsCounter,
    dev_addr: DevAddr,
    f_cnt: u32,
    f_opts: &mut [u8],
) -> Result<()> {
    encrypt_f_opts_in_place(nwk_s_enc_key, scheme, counter, dev_addr, f_cnt, f_opts)
}

/// Returns the encrypted copy of LoRaWAN 1.1 FOpts; see [`encrypt_f_opts_in_place`].
pub fn encrypt_f_opts(
    nwk_s_enc_key: &CipherKey,
    scheme: FOptsScheme,
    counter: FOptsCounter,
    dev_addr: DevAddr,
    f_cnt: u32,
    f_opts: &[u8],
) -> Result<Vec<u8>> {
    let mut out = f_opts.to_vec();
    encrypt_f_opts_in_place(nwk_s_enc_key, scheme, counter, dev_addr, f_cnt, &mut out)?;
    Ok(out)
}

/// Returns the decrypted copy of LoRaWAN 1.1 FOpts; see [`encrypt_f_opts_in_place`].
pub fn decrypt_f_opts(
    nwk_s_enc_key: &CipherKey,
    scheme: FOptsScheme,
    counter: FOptsCounter,
    dev_addr: DevAddr,
    f_cnt: u32,
    f_opts: &[u8],
) -> Result<Vec<u8>> {
    encrypt_f_opts(nwk_s_enc_key, scheme, counter, dev_addr, f_cnt, f_opts)
}

#[cfg(test)]
mod tests {
    use lorawan_codec::Aes128Key;

    use super::*;

    #[test]
    fn block_layouts_follow_the_specification_and_its_errata() {
        let addr = DevAddr::from_u32(0x0102_0304);
        // (scheme, counter, A block)
        let cases = [
            (
                FOptsScheme::Original,
                FOptsCounter::FCntUp,
                [1, 0, 0, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0, 0, 0],
            ),
            (
                FOptsScheme::Original,
                FOptsCounter::AFCntDown,
                [1, 0, 0, 0, 0, 1, 4, 3, 2, 1, 5, 0, 0, 0, 0, 0],
            ),
            (
                FOptsScheme::Errata,
                FOptsCounter::FCntUp,
                [1, 0, 0, 0, 1, 0, 4, 3, 2, 1, 5, 0, 0, 0, 0, 1],
            ),
            (
                FOptsScheme::Errata,
                FOptsCounter::NFCntDown,
                [1, 0, 0, 0, 1, 1, 4, 3, 2, 1, 5, 0, 0, 0, 0, 1],
            ),
            (
                FOptsScheme::Errata,
                FOptsCounter::AFCntDown,
                [1, 0, 0, 0, 2, 1, 4, 3, 2, 1, 5, 0, 0, 0, 0, 1],
            ),
        ];
        for (scheme, counter, block) in cases {
            assert_eq!(
                f_opts_block(scheme, counter, addr, 5),
                block,
                "{scheme:?} {counter:?}"
            );
        }
    }

    #[test]
    fn rejects_f_opts_longer_than_15_bytes() {
        let key = CipherKey::new(&Aes128Key::from_bytes([1; 16]));
        let mut f_opts = [0u8; 16];
        let res = encrypt_f_opts_in_place(
            &key,
            FOptsScheme::Errata,
            FOptsCounter::FCntUp,
            DevAddr::from_u32(1),
            0,
            &mut f_opts,
        );
        assert_eq!(
            res,
            Err(Error::TooLong {
                what: "FOpts",
                max: 15,
                got: 16
            })
        );
    }
}
