//! ADRParamSetupReq (CID 0x0C): the network sets ADR_ACK_LIMIT and ADR_ACK_DELAY, the uplink
//! counts after which a device starts and continues ADR back-off, LoRaWAN 1.1 §5.11.
//!
//! ADRParamSetupAns has no payload and is a unit variant of `MacCommand`.

use super::wire::{FixedPayload, check_bits};
use crate::Result;

/// ADRParamSetupReq payload (downlink, CID 0x0C), LoRaWAN 1.1 §5.11.
///
/// Wire layout (1 byte, ADRparam): `Limit_exp(4) | Delay_exp(4)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdrParamSetupReqPayload {
    /// Limit_exp (4 bits, 0..=15): ADR_ACK_LIMIT is `2^limit_exp`.
    pub limit_exp: u8,
    /// Delay_exp (4 bits, 0..=15): ADR_ACK_DELAY is `2^delay_exp`.
    pub delay_exp: u8,
}

impl AdrParamSetupReqPayload {
    /// Returns ADR_ACK_LIMIT, `2^limit_exp` (1 to 32768), or `None` if `limit_exp` exceeds 15.
    pub fn adr_ack_limit(&self) -> Option<u16> {
        (self.limit_exp <= 15).then(|| 1 << self.limit_exp)
    }

    /// Returns ADR_ACK_DELAY, `2^delay_exp` (1 to 32768), or `None` if `delay_exp` exceeds 15.
    pub fn adr_ack_delay(&self) -> Option<u16> {
        (self.delay_exp <= 15).then(|| 1 << self.delay_exp)
    }
}

impl FixedPayload<1> for AdrParamSetupReqPayload {
    fn from_bytes([adr_param]: [u8; 1]) -> Self {
        Self {
            limit_exp: adr_param >> 4,
            delay_exp: adr_param & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        let limit_exp = check_bits("Limit_exp", self.limit_exp, 4)?;
        let delay_exp = check_bits("Delay_exp", self.delay_exp, 4)?;
        Ok([(limit_exp << 4) | delay_exp])
    }
}
