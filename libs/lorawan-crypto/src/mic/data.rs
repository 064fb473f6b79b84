//! MICs of data frames: blocks B0 and B1 followed by the frame, under AES-CMAC
//! (LoRaWAN 1.0.4 §4.4, LoRaWAN 1.1 §4.4).
//!
//! This is the per-uplink hot path: the blocks are built in stack arrays and fed to the CMAC
//! together with the caller's slice, so nothing allocates. The full 32-bit frame counter goes
//! into the blocks; callers reconstruct it first (see [`crate::reconstruct_f_cnt`]).

use lorawan_codec::DevAddr;

use super::{MIC_LEN, check, truncate};
use crate::payload::dir_byte;
use crate::{Direction, Error, MicKey, Result};

/// Direction byte of the B0/B1 blocks for uplinks; the same mapping as the `Ai` blocks.
const DIR_UP: u8 = dir_byte(Direction::Uplink);
/// Direction byte of the B0/B1 blocks for downlinks.
const DIR_DOWN: u8 = dir_byte(Direction::Downlink);

/// The fields that only the LoRaWAN 1.1 uplink block B1 carries (LoRaWAN 1.1 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct B1Fields {
    /// The frame counter of the confirmed downlink this uplink acknowledges: `Some` exactly when
    /// the uplink has its ACK bit set, `None` otherwise. Only its 16 least significant bits enter
    /// B1 (ConfFCnt); `None` enters as 0.
    pub conf_f_cnt: Option<u32>,
    /// TxDr: the data rate index the uplink was sent at.
    pub tx_dr: u8,
    /// TxCh: the index of the channel the uplink was sent on.
    pub tx_ch: u8,
}

/// Builds a B0/B1 block: `0x49 | ConfFCnt | TxDr | TxCh | Dir | DevAddr | FCnt | 0x00 | len`.
/// B0 leaves TxDr and TxCh zero; LoRaWAN 1.0.x leaves ConfFCnt zero too.
fn block(
    conf_f_cnt: Option<u32>,
    tx_dr: u8,
    tx_ch: u8,
    dir: u8,
    dev_addr: DevAddr,
    f_cnt: u32,
    msg_len: u8,
) -> [u8; 16] {
    // ConfFCnt is the acknowledged counter modulo 2^16 (LoRaWAN 1.1 §4.4): truncation intended.
    let conf_f_cnt = conf_f_cnt.unwrap_or(0) as u16;
    let mut b = [0u8; 16];
    b[0] = 0x49;
    b[1..3].copy_from_slice(&conf_f_cnt.to_le_bytes());
    b[3] = tx_dr;
    b[4] = tx_ch;
    b[5] = dir;
    b[6..10].copy_from_slice(&dev_addr.to_le_bytes());
    b[10..14].copy_from_slice(&f_cnt.to_le_bytes());
    b[15] = msg_len;
    b
}

/// Returns the message length as the one byte the blocks carry.
fn msg_len(msg: &[u8]) -> Result<u8> {
    u8::try_from(msg.len()).map_err(|_| Error::TooLong {
        what: "data frame MIC input",
        max: usize::from(u8::MAX),
        got: msg.len(),
    })
}

/// `aes128_cmac(key, block | msg)`, untruncated.
fn cmac(key: &MicKey, block: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    let mut mac = key.start();
    mac.update(block);
    mac.update(msg);
    mac.finalize()
}

/// Computes the MIC of a LoRaWAN 1.0.x data uplink, LoRaWAN 1.0.4 §4.4:
/// `aes128_cmac(NwkSKey, B0 | msg)[0..4]` with B0 carrying Dir 0, `dev_addr` and the full 32-bit
/// `f_cnt_up`.
///
/// `msg` is the PHYPayload minus its MIC (MHDR | FHDR | FPort | FRMPayload), at most 255 bytes.
pub fn compute_data_uplink_mic_1_0(
    nwk_s_key: &MicKey,
    dev_addr: DevAddr,
    f_cnt_up: u32,
    msg: &[u8],
) -> Result<[u8; MIC_LEN]> {
    let b0 = block(None, 0, 0, DIR_UP, dev_addr, f_cnt_up, msg_len(msg)?);
    let mut mac = nwk_s_key.start();
    mac.update(&b0);
    mac.update(msg);
    Ok(truncate(mac))
}

/// Verifies a LoRaWAN 1.0.x data uplink MIC in constant time; see
/// [`compute_data_uplink_mic_1_0`].
pub fn verify_data_uplink_mic_1_0(
    nwk_s_key: &MicKey,
    dev_addr: DevAddr,
    f_cnt_up: u32,
    msg: &[u8],
    mic: &[u8; MIC_LEN],
) -> Result<()> {
    check(
        compute_data_uplink_mic_1_0(nwk_s_key, dev_addr, f_cnt_up, msg)?,
        mic,
    )
}

/// Computes the MIC of a LoRaWAN 1.1 data uplink, LoRaWAN 1.1 §4.4:
/// `cmacS = aes128_cmac(SNwkSIntKey, B1 | msg)`, `cmacF = aes128_cmac(FNwkSIntKey, B0 | msg)`,
/// `MIC = cmacS[0..2] | cmacF[0..2]`.
///
/// B1 carries the [`B1Fields`]; B0 is the LoRaWAN 1.0.x block. `msg` is the PHYPayload minus
/// its MIC, at most 255 bytes.
pub fn compute_data_uplink_mic_1_1(
    s_nwk_s_int_key: &MicKey,
    f_nwk_s_int_key: &MicKey,
    b1_fields: B1Fields,
    dev_addr: DevAddr,
    f_cnt_up: u32,
    msg: &[u8],
) -> Result<[u8; MIC_LEN]> {
    let len = msg_len(msg)?;
    let b0 = block(None, 0, 0, DIR_UP, dev_addr, f_cnt_up, len);
    let b1 = block(
        b1_fields.conf_f_cnt,
        b1_fields.tx_dr,
        b1_fields.tx_ch,
        DIR_UP,
        dev_addr,
        f_cnt_up,
        len,
    );
    let cmac_s = cmac(s_nwk_s_int_key, &b1, msg);
    let cmac_f = cmac(f_nwk_s_int_key, &b0, msg);
    Ok([cmac_s[0], cmac_s[1], cmac_f[0], cmac_f[1]])
}

/// Verifies a LoRaWAN 1.1 data uplink MIC in constant time; see
/// [`compute_data_uplink_mic_1_1`].
pub fn verify_data_uplink_mic_1_1(
    s_nwk_s_int_key: &MicKey,
    f_nwk_s_int_key: &MicKey,
    b1_fields: B1Fields,
    dev_addr: DevAddr,
    f_cnt_up: u32,
    msg: &[u8],
    mic: &[u8; MIC_LEN],
) -> Result<()> {
    let computed = compute_data_uplink_mic_1_1(
        s_nwk_s_int_key,
        f_nwk_s_int_key,
        b1_fields,
        dev_addr,
        f_cnt_up,
        msg,
    )?;
    check(computed, mic)
}

/// Computes the MIC of a LoRaWAN 1.0.x data downlink, LoRaWAN 1.0.4 §4.4:
/// `aes128_cmac(NwkSKey, B0 | msg)[0..4]` with B0 carrying Dir 1 and the full 32-bit
/// `f_cnt_down`.
pub fn compute_data_downlink_mic_1_0(
    nwk_s_key: &MicKey,
    dev_addr: DevAddr,
    f_cnt_down: u32,
    msg: &[u8],
) -> Result<[u8; MIC_LEN]> {
    let b0 = block(None, 0, 0, DIR_DOWN, dev_addr, f_cnt_down, msg_len(msg)?);
    let mut mac = nwk_s_key.start();
    mac.update(&b0);
    mac.update(msg);
    Ok(truncate(mac))
}

/// Verifies a LoRaWAN 1.0.x data downlink MIC in constant time; see
/// [`compute_data_downlink_mic_1_0`].
pub fn verify_data_downlink_mic_1_0(
    nwk_s_key: &MicKey,
    dev_addr: DevAddr,
    f_cnt_down: u32,
    msg: &[u8],
    mic: &[u8; MIC_LEN],
) -> Result<()> {
    check(
        compute_data_downlink_mic_1_0(nwk_s_key, dev_addr, f_cnt_down, msg)?,
        mic,
    )
}

/// Computes the MIC of a LoRaWAN 1.1 data downlink, LoRaWAN 1.1 §4.4:
/// `aes128_cmac(SNwkSIntKey, B0 | msg)[0..4]` where B0 also carries ConfFCnt.
///
/// `conf_f_cnt` is the FCntUp of the confirmed uplink this downlink acknowledges: `Some` exactly
/// when the downlink has its ACK bit set. Only its 16 least significant bits enter B0.
/// `f_cnt_down` is the full counter the frame carries (NFCntDown, or AFCntDown when FPort > 0).
pub fn compute_data_downlink_mic_1_1(
    s_nwk_s_int_key: &MicKey,
    conf_f_cnt: Option<u32>,
    dev_addr: DevAddr,
    f_cnt_down: u32,
    msg: &[u8],
) -> Result<[u8; MIC_LEN]> {
    let b0 = block(
        conf_f_cnt,
        0,
        0,
        DIR_DOWN,
        dev_addr,
        f_cnt_down,
        msg_len(msg)?,
    );
    let mut mac = s_nwk_s_int_key.start();
    mac.update(&b0);
    mac.update(msg);
    Ok(truncate(mac))
}

/// Verifies a LoRaWAN 1.1 data downlink MIC in constant time; see
/// [`compute_data_downlink_mic_1_1`].
pub fn verify_data_downlink_mic_1_1(
    s_nwk_s_int_key: &MicKey,
    conf_f_cnt: Option<u32>,
    dev_addr: DevAddr,
    f_cnt_down: u32,
    msg: &[u8],
    mic: &[u8; MIC_LEN],
) -> Result<()> {
    let computed =
        compute_data_downlink_mic_1_1(s_nwk_s_int_key, conf_f_cnt, dev_addr, f_cnt_down, msg)?;
    check(computed, mic)
}

#[cfg(test)]
mod tests {
    use lorawan_codec::Aes128Key;

    use super::*;

    #[test]
    fn b1_block_layout_follows_lorawan_1_1() {
        let dev_addr = DevAddr::from_u32(0x0102_0304);
        let b1 = block(Some(0x0001_abcd), 2, 3, DIR_UP, dev_addr, 0x1122_3344, 13);
        assert_eq!(
            b1,
            [
                0x49, 0xcd, 0xab, 2, 3, 0, 4, 3, 2, 1, 0x44, 0x33, 0x22, 0x11, 0, 13
            ]
        );
        let b0 = block(None, 0, 0, DIR_DOWN, dev_addr, 1, 255);
        assert_eq!(b0, [0x49, 0, 0, 0, 0, 1, 4, 3, 2, 1, 1, 0, 0, 0, 0, 255]);
    }

    #[test]
    fn rejects_mic_input_longer_than_the_length_byte() {
        let key = MicKey::new(&Aes128Key::from_bytes([1; 16]));
        let msg = vec![0u8; 256];
        let too_long = Err(Error::TooLong {
            what: "data frame MIC input",
            max: 255,
            got: 256,
        });
        let addr = DevAddr::from_u32(1);
        assert_eq!(compute_data_uplink_mic_1_0(&key, addr, 0, &msg), too_long);
        assert_eq!(compute_data_downlink_mic_1_0(&key, addr, 0, &msg), too_long);
        assert_eq!(
            compute_data_uplink_mic_1_1(&key, &key, B1Fields::default(), addr, 0, &msg),
            too_long
        );
        assert_eq!(
            compute_data_downlink_mic_1_1(&key, None, addr, 0, &msg),
            too_long
        );
        assert!(compute_data_uplink_mic_1_0(&key, addr, 0, &msg[..255]).is_ok());
    }

    #[test]
    fn upper_half_of_the_frame_counter_changes_the_mic() {
        let key = MicKey::new(&Aes128Key::from_bytes([1; 16]));
        let addr = DevAddr::from_u32(1);
        let msg = [0x40, 1, 0, 0, 0, 0, 1, 0];
        let low = compute_data_uplink_mic_1_0(&key, addr, 1, &msg).unwrap();
        let high = compute_data_uplink_mic_1_0(&key, addr, 0x1_0001, &msg).unwrap();
        assert_ne!(low, high);
    }
}
