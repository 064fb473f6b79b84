//! DutyCycleReq (CID 0x04): the network limits a device's aggregated transmit duty cycle,
//! LoRaWAN 1.0.4 §5.3 and 1.1 §5.4.
//!
//! DutyCycleAns has no payload and is a unit variant of `MacCommand`.

use super::wire::{FixedPayload, check_bits};
use crate::Result;

/// DutyCycleReq payload (downlink, CID 0x04), LoRaWAN 1.0.4 §5.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DutyCycleReqPayload {
    /// MaxDutyCycle (4 bits, 0..=15): the aggregated duty cycle is limited to `1 / 2^max_duty_cycle`;
    /// 0 removes the limit beyond the regional one.
    pub max_duty_cycle: u8,
}

impl FixedPayload<1> for DutyCycleReqPayload {
    fn from_bytes([duty_cycle]: [u8; 1]) -> Self {
        Self {
            max_duty_cycle: duty_cycle & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([check_bits("MaxDutyCycle", self.max_duty_cycle, 4)?])
    }
}
