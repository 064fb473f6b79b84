//! MICs of the join procedure: join-request, rejoin-request and join-accept
//! (LoRaWAN 1.0.4 §6.2.4 and §6.2.5, LoRaWAN 1.1 §6.2.2, §6.2.3 and §6.2.4).
//!
//! Each function takes the message as sent minus its MIC and checks that its length is one the
//! specification allows. Key choice is the caller's and is documented per function.

use lorawan_codec::Eui64;

use super::{MIC_LEN, check, truncate};
use crate::{Error, MicKey, Result};

/// Length of a join-request without its MIC: MHDR | JoinEUI | DevEUI | DevNonce.
const JOIN_REQUEST_LEN: usize = 1 + 8 + 8 + 2;
/// Length of a rejoin-request type 0 or 2 without its MIC:
/// MHDR | RejoinType | NetID | DevEUI | RJcount0.
const REJOIN_0_2_LEN: usize = 1 + 1 + 3 + 8 + 2;
/// Length of a rejoin-request type 1 without its MIC:
/// MHDR | RejoinType | JoinEUI | DevEUI | RJcount1.
const REJOIN_1_LEN: usize = 1 + 1 + 8 + 8 + 2;
/// Lengths of a join-accept without its MIC: MHDR | JoinNonce | NetID | DevAddr | DLSettings |
/// RxDelay, optionally followed by a 16-byte CFList.
const JOIN_ACCEPT_LENS: &[usize] = &[13, 29];

/// The request a LoRaWAN 1.1 join-accept answers; its byte enters the join-accept MIC
/// (LoRaWAN 1.1 §6.2.3). The codec's type, re-exported.
pub use lorawan_codec::JoinReqType;

fn require_len(what: &'static str, expected: &'static [usize], msg: &[u8]) -> Result<()> {
    if expected.contains(&msg.len()) {
        Ok(())
    } else {
        Err(Error::InvalidLength {
            what,
            expected,
            got: msg.len(),
        })
    }
}

fn cmac_of(key: &MicKey, msg: &[u8]) -> [u8; MIC_LEN] {
    let mut mac = key.start();
    mac.update(msg);
    truncate(mac)
}

/// Computes the MIC of a join-request, LoRaWAN 1.0.4 §6.2.4 and LoRaWAN 1.1 §6.2.2:
/// `aes128_cmac(key, MHDR | JoinEUI | DevEUI | DevNonce)[0..4]`.
///
/// `msg` is the 19-byte join-request without its MIC. The key is the AppKey for a LoRaWAN 1.0.x
/// device and the NwkKey for a LoRaWAN 1.1 device.
pub fn compute_join_request_mic(key: &MicKey, msg: &[u8]) -> Result<[u8; MIC_LEN]> {
    require_len("join-request MIC input", &[JOIN_REQUEST_LEN], msg)?;
    Ok(cmac_of(key, msg))
}

/// Verifies the MIC of a join-request in constant time; see [`compute_join_request_mic`].
pub fn verify_join_request_mic(key: &MicKey, msg: &[u8], mic: &[u8; MIC_LEN]) -> Result<()> {
    check(compute_join_request_mic(key, msg)?, mic)
}

/// Computes the MIC of a rejoin-request, LoRaWAN 1.1 §6.2.4.
///
/// `msg` is the rejoin-request without its MIC; its second byte is the RejoinType, which fixes
/// its length: 15 bytes for type 0 and 2 (MHDR | RejoinType | NetID | DevEUI | RJcount0) and 20
/// bytes for type 1 (MHDR | RejoinType | JoinEUI | DevEUI | RJcount1). The key is the
/// SNwkSIntKey for types 0 and 2 and the JSIntKey for type 1.
pub fn compute_rejoin_request_mic(key: &MicKey, msg: &[u8]) -> Result<[u8; MIC_LEN]> {
    let Some(&rejoin_type) = msg.get(1) else {
        return Err(Error::InvalidLength {
            what: "rejoin-request MIC input",
            expected: &[REJOIN_0_2_LEN, REJOIN_1_LEN],
            got: msg.len(),
        });
    };
    match rejoin_type {
        0 | 2 => require_len("rejoin-request type 0/2 MIC input", &[REJOIN_0_2_LEN], msg)?,
        1 => require_len("rejoin-request type 1 MIC input", &[REJOIN_1_LEN], msg)?,
        other => return Err(Error::UnknownRejoinType(other)),
    }
    Ok(cmac_of(key, msg))
}

/// Verifies the MIC of a rejoin-request in constant time; see [`compute_rejoin_request_mic`].
pub fn verify_rejoin_request_mic(key: &MicKey, msg: &[u8], mic: &[u8; MIC_LEN]) -> Result<()> {
    check(compute_rejoin_request_mic(key, msg)?, mic)
}

/// Computes the MIC of a LoRaWAN 1.0.x join-accept, LoRaWAN 1.0.4 §6.2.5:
/// `aes128_cmac(key, MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay | CFList)[0..4]`.
///
/// `msg` is the decrypted join-accept without its MIC, 13 bytes or 29 with a CFList. The key is
/// the AppKey for a LoRaWAN 1.0.x device, and the NwkKey for a LoRaWAN 1.1 device answered
/// with OptNeg unset (LoRaWAN 1.1 §6.2.3).
pub fn compute_join_accept_mic_1_0(key: &MicKey, msg: &[u8]) -> Result<[u8; MIC_LEN]> {
    require_len("join-accept MIC input", JOIN_ACCEPT_LENS, msg)?;
    Ok(cmac_of(key, msg))
}

/// Verifies a LoRaWAN 1.0.x join-accept MIC in constant time; see
/// [`compute_join_accept_mic_1_0`].
pub fn verify_join_accept_mic_1_0(key: &MicKey, msg: &[u8], mic: &[u8; MIC_LEN]) -> Result<()> {
    check(compute_join_accept_mic_1_0(key, msg)?, mic)
}

/// Computes the MIC of a LoRaWAN 1.1 join-accept with OptNeg set, LoRaWAN 1.1 §6.2.3:
/// `aes128_cmac(JSIntKey, JoinReqType | JoinEUI | DevNonce | MHDR | JoinNonce | NetID | DevAddr
/// | DLSettings | RxDelay | CFList)[0..4]`.
///
/// `msg` is the decrypted join-accept without its MIC (13 or 29 bytes). `dev_nonce` is the
/// DevNonce of the join-request answered, or the RJcount0/RJcount1 of the rejoin-request
/// answered; JoinEUI and DevNonce enter the MIC little-endian, as on the air.
pub fn compute_join_accept_mic_1_1(
    js_int_key: &MicKey,
    join_req_type: JoinReqType,
    join_eui: Eui64,
    dev_nonce: u16,
    msg: &[u8],
) -> Result<[u8; MIC_LEN]> {
    require_len("join-accept MIC input", JOIN_ACCEPT_LENS, msg)?;
    let mut prefix = [0u8; 11];
    prefix[0] = join_req_type.to_byte();
    prefix[1..9].copy_from_slice(&join_eui.to_le_bytes());
    prefix[9..11].copy_from_slice(&dev_nonce.to_le_bytes());
    let mut mac = js_int_key.start();
    mac.update(&prefix);
    mac.update(msg);
    Ok(truncate(mac))
}

/// Verifies a LoRaWAN 1.1 join-accept MIC in constant time; see
/// [`compute_join_accept_mic_1_1`].
pub fn verify_join_accept_mic_1_1(
    js_int_key: &MicKey,
    join_req_type: JoinReqType,
    join_eui: Eui64,
    dev_nonce: u16,
    msg: &[u8],
    mic: &[u8; MIC_LEN],
) -> Result<()> {
    let computed =
        compute_join_accept_mic_1_1(js_int_key, join_req_type, join_eui, dev_nonce, msg)?;
    check(computed, mic)
}

#[cfg(test)]
mod tests {
    use lorawan_codec::Aes128Key;

    use super::*;

    fn key() -> MicKey {
        MicKey::new(&Aes128Key::from_bytes([1; 16]))
    }

    #[test]
    fn join_req_type_bytes_follow_lorawan_1_1() {
        let cases = [
            (JoinReqType::JoinRequest, 0xff),
            (JoinReqType::RejoinType0, 0x00),
            (JoinReqType::RejoinType1, 0x01),
            (JoinReqType::RejoinType2, 0x02),
        ];
        for (join_req_type, byte) in cases {
            assert_eq!(join_req_type.to_byte(), byte);
        }
    }

    #[test]
    fn rejects_join_messages_of_wrong_length() {
        let cases: [(Result<[u8; 4]>, Error); 4] = [
            (
                compute_join_request_mic(&key(), &[0; 18]),
                Error::InvalidLength {
                    what: "join-request MIC input",
                    expected: &[19],
                    got: 18,
                },
            ),
            (
                compute_join_accept_mic_1_0(&key(), &[0x20; 14]),
                Error::InvalidLength {
                    what: "join-accept MIC input",
                    expected: &[13, 29],
                    got: 14,
                },
            ),
            (
                compute_rejoin_request_mic(&key(), &[0xc0]),
                Error::InvalidLength {
                    what: "rejoin-request MIC input",
                    expected: &[15, 20],
                    got: 1,
                },
            ),
            (
                compute_rejoin_request_mic(&key(), &[0xc0, 1, 0, 0]),
                Error::InvalidLength {
                    what: "rejoin-request type 1 MIC input",
                    expected: &[20],
                    got: 4,
                },
            ),
        ];
        for (res, error) in cases {
            assert_eq!(res, Err(error));
        }
    }

    #[test]
    fn rejects_unknown_rejoin_type() {
        let mut msg = [0u8; 15];
        msg[0] = 0xc0;
        msg[1] = 3;
        assert_eq!(
            compute_rejoin_request_mic(&key(), &msg),
            Err(Error::UnknownRejoinType(3))
        );
    }

    #[test]
    fn join_accept_1_1_mic_depends_on_join_req_type() {
        let msg = [0x20; 13];
        let eui = Eui64::from_u64(1);
        let a = compute_join_accept_mic_1_1(&key(), JoinReqType::JoinRequest, eui, 1, &msg);
        let b = compute_join_accept_mic_1_1(&key(), JoinReqType::RejoinType0, eui, 1, &msg);
        assert_ne!(a.unwrap(), b.unwrap());
    }
}
