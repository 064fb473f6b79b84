//! LinkCheckAns (CID 0x02), the answer to a device's LinkCheckReq, LoRaWAN 1.0.4 §5.1 and
//! 1.1 §5.2.
//!
//! LinkCheckReq itself has no payload and is a unit variant of `MacCommand`. How the margin is
//! computed from the uplink's SNR is network-server logic, not codec.

use super::wire::FixedPayload;
use crate::{Error, Result};

/// LinkCheckAns payload (downlink, CID 0x02), LoRaWAN 1.0.4 §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinkCheckAnsPayload {
    /// Margin: the link margin in dB of the LinkCheckReq, 0..=254 (255 is reserved).
    pub margin: u8,
    /// GwCnt: the number of gateways that received the LinkCheckReq.
    pub gw_cnt: u8,
}

impl FixedPayload<2> for LinkCheckAnsPayload {
    fn from_bytes([margin, gw_cnt]: [u8; 2]) -> Self {
        Self { margin, gw_cnt }
    }

    fn to_bytes(&self) -> Result<[u8; 2]> {
        if self.margin == u8::MAX {
            return Err(Error::OutOfRange {
                field: "Margin",
                value: u64::from(self.margin),
            });
        }
        Ok([self.margin, self.gw_cnt])
    }
}
