//! Message integrity codes (MIC) of every LoRaWAN message type: AES-CMAC over the message bytes,
//! truncated to 4 bytes (LoRaWAN 1.0.4 §4.4 and §6.2, LoRaWAN 1.1 §4.4 and §6.2).
//!
//! The MIC input is always "the PHYPayload minus its last 4 bytes", passed as a byte slice;
//! counters and header fields that the MIC covers but the frame does not carry in full are
//! passed as integers. The functions never parse the frame: the caller picks the key and the
//! LoRaWAN version. `verify_*` functions compare in constant time and allocate nothing.

mod data;
mod join;

use subtle::ConstantTimeEq;

use crate::cmac::Cmac;
use crate::{Error, Result};

pub use data::{
    B1Fields, compute_data_downlink_mic_1_0, compute_data_downlink_mic_1_1,
    compute_data_uplink_mic_1_0, compute_data_uplink_mic_1_1, verify_data_downlink_mic_1_0,
    verify_data_downlink_mic_1_1, verify_data_uplink_mic_1_0, verify_data_uplink_mic_1_1,
};
pub use join::{
    JoinReqType, compute_join_accept_mic_1_0, compute_join_accept_mic_1_1,
    compute_join_request_mic, compute_rejoin_request_mic, verify_join_accept_mic_1_0,
    verify_join_accept_mic_1_1, verify_join_request_mic, verify_rejoin_request_mic,
};

/// Length of a LoRaWAN MIC in bytes.
pub const MIC_LEN: usize = 4;

/// Splits a PHYPayload into the MIC input (everything but the last 4 bytes) and the MIC.
///
/// Fails with [`Error::TooShort`] below 5 bytes (MHDR plus MIC), LoRaWAN 1.0.4 §4.1.
pub fn split_mic(phy_payload: &[u8]) -> Result<(&[u8], &[u8; MIC_LEN])> {
    match phy_payload.split_last_chunk::<MIC_LEN>() {
        Some((msg, mic)) if !msg.is_empty() => Ok((msg, mic)),
        _ => Err(Error::TooShort {
            what: "PHYPayload",
            min: 1 + MIC_LEN,
            got: phy_payload.len(),
        }),
    }
}

/// Finishes a CMAC and keeps its first 4 bytes, the MIC.
fn truncate(mac: Cmac<'_>) -> [u8; MIC_LEN] {
    let tag = mac.finalize();
    [tag[0], tag[1], tag[2], tag[3]]
}

/// Compares two MICs in constant time.
fn check(computed: [u8; MIC_LEN], received: &[u8; MIC_LEN]) -> Result<()> {
    if bool::from(computed[..].ct_eq(&received[..])) {
        Ok(())
    } else {
        Err(Error::InvalidMic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_mic_separates_the_last_four_bytes() {
        let phy = [0x40, 1, 2, 3, 4, 5, 6, 7];
        let (msg, mic) = split_mic(&phy).unwrap();
        assert_eq!(msg, &[0x40, 1, 2, 3]);
        assert_eq!(mic, &[4, 5, 6, 7]);
    }

    #[test]
    fn split_mic_rejects_payloads_without_room_for_mhdr_and_mic() {
        for len in 0..5 {
            let phy = vec![0u8; len];
            assert_eq!(
                split_mic(&phy),
                Err(Error::TooShort {
                    what: "PHYPayload",
                    min: 5,
                    got: len
                })
            );
        }
    }

    #[test]
    fn check_accepts_only_identical_mics() {
        assert_eq!(check([1, 2, 3, 4], &[1, 2, 3, 4]), Ok(()));
        assert_eq!(check([1, 2, 3, 4], &[1, 2, 3, 5]), Err(Error::InvalidMic));
    }
}
