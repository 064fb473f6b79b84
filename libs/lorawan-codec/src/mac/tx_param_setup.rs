//! TXParamSetupReq (CID 0x09): the network sets a device's dwell time limits and maximum EIRP,
//! for regions whose regulations need them (e.g. AS923), LoRaWAN 1.0.4 §5.8 and 1.1 §5.9.
//!
//! TXParamSetupAns has no payload and is a unit variant of `MacCommand`.

use super::wire::{FixedPayload, bit, check_bits, flag};
use crate::Result;

/// MaxEIRP in dBm for each 4-bit MaxEIRP index, LoRaWAN 1.0.4 §5.8.
const MAX_EIRP_DBM: [u8; 16] = [
    8, 10, 12, 13, 14, 16, 18, 20, 21, 24, 26, 27, 29, 30, 33, 36,
];

/// Dwell time limit of one direction, a bit of TXParamSetupReq, LoRaWAN 1.0.4 §5.8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DwellTime {
    /// No dwell time limit (bit value 0).
    #[default]
    #[cfg_attr(feature = "serde", serde(rename = "no_limit"))]
    NoLimit,
    /// Transmissions are limited to 400 ms (bit value 1).
    #[cfg_attr(feature = "serde", serde(rename = "limit_400ms"))]
    Limit400Ms,
}

impl DwellTime {
    const fn from_bit(set: bool) -> Self {
        if set { Self::Limit400Ms } else { Self::NoLimit }
    }

    const fn is_limited(self) -> bool {
        matches!(self, Self::Limit400Ms)
    }
}

/// TXParamSetupReq payload (downlink, CID 0x09), LoRaWAN 1.0.4 §5.8.
///
/// Wire layout (1 byte): `RFU(2) | DownlinkDwellTime(1) | UplinkDwellTime(1) | MaxEIRP(4)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TxParamSetupReqPayload {
    /// DownlinkDwellTime (bit 5).
    pub downlink_dwell_time: DwellTime,
    /// UplinkDwellTime (bit 4).
    pub uplink_dwell_time: DwellTime,
    /// MaxEIRP (4 bits, 0..=15): index of the maximum EIRP, see [`Self::max_eirp_dbm`].
    pub max_eirp: u8,
}

impl TxParamSetupReqPayload {
    /// Returns the maximum EIRP in dBm that `max_eirp` encodes (8 to 36 dBm), or `None` for an
    /// index above 15.
    pub fn max_eirp_dbm(&self) -> Option<u8> {
        MAX_EIRP_DBM.get(usize::from(self.max_eirp)).copied()
    }
}

impl FixedPayload<1> for TxParamSetupReqPayload {
    fn from_bytes([settings]: [u8; 1]) -> Self {
        Self {
            downlink_dwell_time: DwellTime::from_bit(bit(settings, 5)),
            uplink_dwell_time: DwellTime::from_bit(bit(settings, 4)),
            max_eirp: settings & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        let max_eirp = check_bits("MaxEIRP", self.max_eirp, 4)?;
        Ok([flag(self.downlink_dwell_time.is_limited(), 5)
            | flag(self.uplink_dwell_time.is_limited(), 4)
            | max_eirp])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_eirp_index_maps_to_the_spec_table() {
        let dbm = |max_eirp| {
            TxParamSetupReqPayload {
                max_eirp,
                ..Default::default()
            }
            .max_eirp_dbm()
        };
        assert_eq!(dbm(0), Some(8));
        assert_eq!(dbm(5), Some(16));
        assert_eq!(dbm(15), Some(36));
        assert_eq!(dbm(16), None);
    }
}
