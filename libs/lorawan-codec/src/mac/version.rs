//! The LoRaWAN 1.1 version handshakes: ResetInd/ResetConf (CID 0x01, §5.1) for ABP devices and
//! RekeyInd/RekeyConf (CID 0x0B, §5.10) for OTAA devices.
//!
//! Each carries one byte whose low nibble is the LoRaWAN minor version (1 for LoRaWAN 1.1) and
//! whose high nibble is RFU. Which minor versions a server accepts is policy, not codec.

use super::wire::{FixedPayload, check_bits};
use crate::Result;

/// Encodes a version byte: RFU high nibble zero, minor version in the low nibble.
fn encode_minor(field: &'static str, minor: u8) -> Result<[u8; 1]> {
    Ok([check_bits(field, minor, 4)?])
}

/// ResetInd payload (uplink, CID 0x01): an ABP device reports a reset and the LoRaWAN version it
/// runs, LoRaWAN 1.1 §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResetIndPayload {
    /// Minor field of "Dev LoRaWAN version" (4 bits): 1 means LoRaWAN 1.1, other values are RFU.
    pub dev_lorawan_minor: u8,
}

impl FixedPayload<1> for ResetIndPayload {
    fn from_bytes([version]: [u8; 1]) -> Self {
        Self {
            dev_lorawan_minor: version & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        encode_minor("Dev LoRaWAN version", self.dev_lorawan_minor)
    }
}

/// ResetConf payload (downlink, CID 0x01): the network acknowledges a ResetInd with the version
/// it serves, LoRaWAN 1.1 §5.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResetConfPayload {
    /// Minor field of "Serv LoRaWAN version" (4 bits): 1 means LoRaWAN 1.1, other values are RFU.
    pub serv_lorawan_minor: u8,
}

impl FixedPayload<1> for ResetConfPayload {
    fn from_bytes([version]: [u8; 1]) -> Self {
        Self {
            serv_lorawan_minor: version & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        encode_minor("Serv LoRaWAN version", self.serv_lorawan_minor)
    }
}

/// RekeyInd payload (uplink, CID 0x0B): an OTAA device confirms its new security context after a
/// join and reports its LoRaWAN version, LoRaWAN 1.1 §5.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RekeyIndPayload {
    /// Minor field of "Dev LoRaWAN version" (4 bits): 1 means LoRaWAN 1.1, other values are RFU.
    pub dev_lorawan_minor: u8,
}

impl FixedPayload<1> for RekeyIndPayload {
    fn from_bytes([version]: [u8; 1]) -> Self {
        Self {
            dev_lorawan_minor: version & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        encode_minor("Dev LoRaWAN version", self.dev_lorawan_minor)
    }
}

/// RekeyConf payload (downlink, CID 0x0B): the network acknowledges a RekeyInd with the version
/// it serves, LoRaWAN 1.1 §5.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RekeyConfPayload {
    /// Minor field of "Serv LoRaWAN version" (4 bits): 1 means LoRaWAN 1.1, other values are RFU.
    pub serv_lorawan_minor: u8,
}

impl FixedPayload<1> for RekeyConfPayload {
    fn from_bytes([version]: [u8; 1]) -> Self {
        Self {
            serv_lorawan_minor: version & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        encode_minor("Serv LoRaWAN version", self.serv_lorawan_minor)
    }
}
