//! DevStatusAns (CID 0x06): a device reports its battery level and the SNR margin of the
//! DevStatusReq it received, LoRaWAN 1.0.4 §5.5 and 1.1 §5.6.
//!
//! DevStatusReq has no payload and is a unit variant of `MacCommand`.

use super::wire::FixedPayload;
use crate::{Error, Result};

/// Battery value meaning the device is connected to an external power source.
pub const BATTERY_EXTERNAL_POWER: u8 = 0;

/// Battery value meaning the device could not measure its battery level.
pub const BATTERY_UNKNOWN: u8 = 255;

/// DevStatusAns payload (uplink, CID 0x06), LoRaWAN 1.0.4 §5.5.
///
/// Wire layout (2 bytes): Battery, then `RFU(2) | Margin(6)` with Margin a 6-bit two's
/// complement integer. LoRaMac-node and ChirpStack use two's complement; The Things Stack's
/// codec writes negative margins differently, which this codec does not follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DevStatusAnsPayload {
    /// Battery: [`BATTERY_EXTERNAL_POWER`] (0), a level from 1 (minimum) to 254 (maximum), or
    /// [`BATTERY_UNKNOWN`] (255).
    pub battery: u8,
    /// Margin: SNR in dB, rounded, of the last DevStatusReq the device received, -32..=31.
    pub margin: i8,
}

impl FixedPayload<2> for DevStatusAnsPayload {
    fn from_bytes([battery, margin]: [u8; 2]) -> Self {
        // Shift the 6-bit field to the top of an i8 and back to sign-extend it.
        let margin = ((margin << 2) as i8) >> 2;
        Self { battery, margin }
    }

    fn to_bytes(&self) -> Result<[u8; 2]> {
        if !(-32..=31).contains(&self.margin) {
            return Err(Error::SignedOutOfRange {
                field: "Margin",
                value: i64::from(self.margin),
            });
        }
        Ok([self.battery, (self.margin as u8) & 0x3f])
    }
}
