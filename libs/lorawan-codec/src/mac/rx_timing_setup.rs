//! RXTimingSetupReq (CID 0x08): the network sets the delay between the end of an uplink and the
//! RX1 window, LoRaWAN 1.0.4 §5.7 and 1.1 §5.8.
//!
//! RXTimingSetupAns has no payload and is a unit variant of `MacCommand`.

use super::wire::{FixedPayload, check_bits};
use crate::Result;

/// RXTimingSetupReq payload (downlink, CID 0x08), LoRaWAN 1.0.4 §5.7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RxTimingSetupReqPayload {
    /// Del (4 bits, 0..=15): RX1 delay in seconds, where 0 also means 1 second.
    pub delay: u8,
}

impl RxTimingSetupReqPayload {
    /// Returns the RX1 delay in seconds (RECEIVE_DELAY1): `delay`, with 0 read as 1.
    pub const fn rx1_delay_secs(&self) -> u8 {
        if self.delay == 0 { 1 } else { self.delay }
    }
}

impl FixedPayload<1> for RxTimingSetupReqPayload {
    fn from_bytes([settings]: [u8; 1]) -> Self {
        Self {
            delay: settings & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([check_bits("Del", self.delay, 4)?])
    }
}
