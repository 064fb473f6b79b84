//! MHDR, the first byte of every PHYPayload: message type and major version.

use crate::{Error, Result};

/// Message type, the MType field of the MHDR, LoRaWAN 1.0.4 §4.2.1 and 1.1 §4.2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MType {
    /// Join-request (000).
    JoinRequest,
    /// Join-accept (001).
    JoinAccept,
    /// Unconfirmed data uplink (010).
    UnconfirmedDataUp,
    /// Unconfirmed data downlink (011).
    UnconfirmedDataDown,
    /// Confirmed data uplink (100).
    ConfirmedDataUp,
    /// Confirmed data downlink (101).
    ConfirmedDataDown,
    /// Rejoin-request, LoRaWAN 1.1 only (110); RFU in 1.0.x.
    RejoinRequest,
    /// Proprietary (111).
    Proprietary,
}

impl MType {
    /// Decodes the 3-bit MType value.
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b111 {
            0 => Self::JoinRequest,
            1 => Self::JoinAccept,
            2 => Self::UnconfirmedDataUp,
            3 => Self::UnconfirmedDataDown,
            4 => Self::ConfirmedDataUp,
            5 => Self::ConfirmedDataDown,
            6 => Self::RejoinRequest,
            _ => Self::Proprietary,
        }
    }

    /// Returns the 3-bit MType value.
    pub const fn to_bits(self) -> u8 {
        self as u8
    }

    /// Tells whether frames of this type travel from device to network.
    pub const fn is_uplink(self) -> bool {
        matches!(
            self,
            Self::JoinRequest
                | Self::UnconfirmedDataUp
                | Self::ConfirmedDataUp
                | Self::RejoinRequest
        )
    }

    /// Tells whether this is a data frame (confirmed or unconfirmed, either direction).
    pub const fn is_data(self) -> bool {
        matches!(
            self,
            Self::UnconfirmedDataUp
                | Self::UnconfirmedDataDown
                | Self::ConfirmedDataUp
                | Self::ConfirmedDataDown
        )
    }

    /// Tells whether this is a confirmed data frame.
    pub const fn is_confirmed(self) -> bool {
        matches!(self, Self::ConfirmedDataUp | Self::ConfirmedDataDown)
    }
}

/// Major version of the frame format, LoRaWAN 1.0.4 §4.2.2. Only R1 (0) is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Major {
    /// LoRaWAN R1.
    #[default]
    #[cfg_attr(feature = "serde", serde(rename = "lorawan_r1"))]
    LoRaWanR1,
}

/// MAC header: MType (3 bits), RFU (3 bits) and Major (2 bits), LoRaWAN 1.0.4 §4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Mhdr {
    /// Message type.
    pub m_type: MType,
    /// Major version.
    pub major: Major,
}

impl Mhdr {
    /// Creates an MHDR for LoRaWAN R1.
    pub const fn new(m_type: MType) -> Self {
        Self {
            m_type,
            major: Major::LoRaWanR1,
        }
    }

    /// Decodes the MHDR byte. RFU bits are ignored, as the spec asks receivers to;
    /// a Major other than R1 is rejected since the rest of the frame cannot be read.
    pub const fn decode(byte: u8) -> Result<Self> {
        let major = byte & 0b11;
        if major != 0 {
            return Err(Error::UnsupportedMajor(major));
        }
        Ok(Self::new(MType::from_bits(byte >> 5)))
    }

    /// Encodes the MHDR byte with RFU bits zero.
    pub const fn encode(self) -> u8 {
        self.m_type.to_bits() << 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_mtype_from_its_mhdr_byte() {
        // MHDR bytes as seen in LoRaWAN 1.0.4 §4.2.1 Table 1.
        let cases = [
            (0x00, MType::JoinRequest),
            (0x20, MType::JoinAccept),
            (0x40, MType::UnconfirmedDataUp),
            (0x60, MType::UnconfirmedDataDown),
            (0x80, MType::ConfirmedDataUp),
            (0xa0, MType::ConfirmedDataDown),
            (0xc0, MType::RejoinRequest),
            (0xe0, MType::Proprietary),
        ];
        for (byte, m_type) in cases {
            let mhdr = Mhdr::decode(byte).unwrap();
            assert_eq!(mhdr.m_type, m_type);
            assert_eq!(mhdr.encode(), byte);
        }
    }

    #[test]
    fn rejects_unknown_major_and_ignores_rfu_bits() {
        assert_eq!(Mhdr::decode(0x41), Err(Error::UnsupportedMajor(1)));
        assert_eq!(Mhdr::decode(0x5c).unwrap().m_type, MType::UnconfirmedDataUp);
    }
}
