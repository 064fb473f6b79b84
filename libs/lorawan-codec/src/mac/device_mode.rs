//! DeviceModeInd and DeviceModeConf (CID 0x20): a LoRaWAN 1.1 device switches between class A
//! and class C and the network confirms, LoRaWAN 1.1 §18.1.
//!
//! Class B is not selected with this command (it uses beacons and PingSlotInfoReq).

use super::wire::FixedPayload;
use crate::{Error, Result};

/// The Class byte of DeviceModeInd and DeviceModeConf, LoRaWAN 1.1 §18.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DeviceModeClass {
    /// Class A (0x00).
    #[default]
    #[cfg_attr(feature = "serde", serde(rename = "class_a"))]
    ClassA,
    /// Class C (0x02).
    #[cfg_attr(feature = "serde", serde(rename = "class_c"))]
    ClassC,
    /// Any other value, which the spec reserves (RFU). Kept so the command still decodes and the
    /// commands after it can be read; encoding it with 0x00 or 0x02 is an error.
    #[cfg_attr(feature = "serde", serde(rename = "rfu"))]
    Rfu(u8),
}

impl DeviceModeClass {
    /// Decodes the Class byte.
    pub const fn from_u8(value: u8) -> Self {
        match value {
            0x00 => Self::ClassA,
            0x02 => Self::ClassC,
            other => Self::Rfu(other),
        }
    }

    /// Encodes the Class byte; fails for `Rfu(0x00)` and `Rfu(0x02)`, which would decode as a
    /// different value.
    pub fn to_u8(self) -> Result<u8> {
        match self {
            Self::ClassA => Ok(0x00),
            Self::ClassC => Ok(0x02),
            Self::Rfu(value @ (0x00 | 0x02)) => Err(Error::OutOfRange {
                field: "Class (RFU)",
                value: u64::from(value),
            }),
            Self::Rfu(value) => Ok(value),
        }
    }
}

/// DeviceModeInd payload (uplink, CID 0x20): the class the device switches to, LoRaWAN 1.1 §18.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceModeIndPayload {
    /// Class the device operates in from now on.
    pub class: DeviceModeClass,
}

impl FixedPayload<1> for DeviceModeIndPayload {
    fn from_bytes([class]: [u8; 1]) -> Self {
        Self {
            class: DeviceModeClass::from_u8(class),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([self.class.to_u8()?])
    }
}

/// DeviceModeConf payload (downlink, CID 0x20): the class the network confirms,
/// LoRaWAN 1.1 §18.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceModeConfPayload {
    /// Class the network confirms, normally the one the DeviceModeInd asked for.
    pub class: DeviceModeClass,
}

impl FixedPayload<1> for DeviceModeConfPayload {
    fn from_bytes([class]: [u8; 1]) -> Self {
        Self {
            class: DeviceModeClass::from_u8(class),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([self.class.to_u8()?])
    }
}
