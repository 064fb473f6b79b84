//! FHDR, the frame header of data frames: DevAddr, FCtrl, FCnt and FOpts.
//!
//! FCtrl means different things on uplinks and downlinks, so its encoding and decoding take the
//! frame's [`Direction`]. FOpts stay raw bytes here: in LoRaWAN 1.1 they are encrypted, and the
//! MAC command parser works on the plain bytes once they have been decrypted.

use std::fmt;
use std::ops::Deref;

use crate::{DevAddr, Error, MType, Result};

/// Direction of a frame: from the end-device to the network, or back.
///
/// LoRaWAN 1.0.4 §4.3.1 gives the FCtrl bits different meanings per direction, and the
/// cryptography (§4.3.3, §4.4) puts the direction in its blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Direction {
    /// End-device to network.
    Uplink,
    /// Network to end-device.
    Downlink,
}

impl Direction {
    /// Returns the direction of frames of the given MType, LoRaWAN 1.0.4 §4.2.1; `None` for
    /// proprietary frames, whose direction the MHDR does not tell.
    pub const fn from_m_type(m_type: MType) -> Option<Self> {
        match m_type {
            MType::JoinRequest
            | MType::UnconfirmedDataUp
            | MType::ConfirmedDataUp
            | MType::RejoinRequest => Some(Self::Uplink),
            MType::JoinAccept | MType::UnconfirmedDataDown | MType::ConfirmedDataDown => {
                Some(Self::Downlink)
            }
            MType::Proprietary => None,
        }
    }
}

/// FCtrl flags of a data frame, LoRaWAN 1.0.4 §4.3.1 and 1.1 §4.3.1.
///
/// Uplink: ADR (bit 7), ADRACKReq (6), ACK (5), ClassB (4). Downlink: ADR (7), RFU (6),
/// ACK (5), FPending (4). The low four bits, FOptsLen, are not stored here: [`FHdr`] derives
/// them from its FOpts. Encoding writes only the flags that exist in the given direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct FCtrl {
    /// ADR: adaptive data rate is enabled (either direction).
    pub adr: bool,
    /// ADRACKReq: the device asks the network to answer (uplink only).
    pub adr_ack_req: bool,
    /// ACK: acknowledges the last confirmed frame (either direction).
    pub ack: bool,
    /// ClassB: the device is in class B (uplink only).
    pub class_b: bool,
    /// FPending: the network has more data pending (downlink only).
    pub f_pending: bool,
}

impl FCtrl {
    const ADR: u8 = 0x80;
    const ADR_ACK_REQ: u8 = 0x40;
    const ACK: u8 = 0x20;
    const CLASS_B_OR_F_PENDING: u8 = 0x10;

    /// Decodes the flags of an FCtrl byte for the given direction, LoRaWAN 1.0.4 §4.3.1.
    ///
    /// FOptsLen (the low four bits) and the downlink RFU bit are ignored.
    pub const fn decode(byte: u8, direction: Direction) -> Self {
        let uplink = matches!(direction, Direction::Uplink);
        Self {
            adr: byte & Self::ADR != 0,
            adr_ack_req: uplink && byte & Self::ADR_ACK_REQ != 0,
            ack: byte & Self::ACK != 0,
            class_b: uplink && byte & Self::CLASS_B_OR_F_PENDING != 0,
            f_pending: !uplink && byte & Self::CLASS_B_OR_F_PENDING != 0,
        }
    }

    /// Encodes the flags for the given direction, with FOptsLen zero, LoRaWAN 1.0.4 §4.3.1.
    ///
    /// Flags that do not exist in `direction` are left out.
    pub const fn encode(self, direction: Direction) -> u8 {
        let mut byte = 0;
        if self.adr {
            byte |= Self::ADR;
        }
        if self.ack {
            byte |= Self::ACK;
        }
        match direction {
            Direction::Uplink => {
                if self.adr_ack_req {
                    byte |= Self::ADR_ACK_REQ;
                }
                if self.class_b {
                    byte |= Self::CLASS_B_OR_F_PENDING;
                }
            }
            Direction::Downlink => {
                if self.f_pending {
                    byte |= Self::CLASS_B_OR_F_PENDING;
                }
            }
        }
        byte
    }

    /// Checks that no flag is set that does not exist in `direction`.
    pub const fn validate(self, direction: Direction) -> Result<()> {
        match direction {
            Direction::Uplink if self.f_pending => {
                Err(Error::FCtrlFlagWrongDirection { flag: "FPending" })
            }
            Direction::Downlink if self.adr_ack_req => {
                Err(Error::FCtrlFlagWrongDirection { flag: "ADRACKReq" })
            }
            Direction::Downlink if self.class_b => {
                Err(Error::FCtrlFlagWrongDirection { flag: "ClassB" })
            }
            _ => Ok(()),
        }
    }
}

/// The FOpts field: up to 15 bytes of MAC commands piggybacked on a data frame,
/// LoRaWAN 1.0.4 §4.3.1.6.
///
/// Held inline without heap allocation. The bytes are kept raw since LoRaWAN 1.1 encrypts them
/// (1.1 §4.3.1.6); decrypt first, then hand them to the MAC command parser.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FOpts {
    len: u8,
    // Bytes past `len` are always zero, so the derived comparisons and hash are by content.
    bytes: [u8; FOpts::MAX_LEN],
}

impl FOpts {
    /// Largest FOpts length, as FOptsLen has four bits.
    pub const MAX_LEN: usize = 15;

    /// Creates an empty FOpts field.
    pub const fn empty() -> Self {
        Self {
            len: 0,
            bytes: [0; Self::MAX_LEN],
        }
    }

    /// Creates an FOpts field holding `bytes`; fails with [`Error::TooLong`] past 15 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > Self::MAX_LEN {
            return Err(Error::TooLong {
                max: Self::MAX_LEN,
                got: bytes.len(),
            });
        }
        let mut fopts = Self::empty();
        fopts.bytes[..bytes.len()].copy_from_slice(bytes);
        fopts.len = bytes.len() as u8;
        Ok(fopts)
    }

    /// Borrows the bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Borrows the bytes mutably, e.g. to encrypt or decrypt them in place (LoRaWAN 1.1
    /// §4.3.1.6); the length cannot change.
    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.bytes[..usize::from(self.len)]
    }
}

impl Deref for FOpts {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for FOpts {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl TryFrom<&[u8]> for FOpts {
    type Error = Error;

    fn try_from(bytes: &[u8]) -> Result<Self> {
        Self::new(bytes)
    }
}

impl fmt::Debug for FOpts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FOpts({})", hex::encode(self.as_bytes()))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for FOpts {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.as_bytes()))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for FOpts {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let bytes = crate::phy_payload::hex_serde::vec::deserialize(deserializer)?;
        Self::new(&bytes).map_err(serde::de::Error::custom)
    }
}

/// Frame header of a data frame: DevAddr, FCtrl, FCnt and FOpts, LoRaWAN 1.0.4 §4.3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FHdr {
    /// DevAddr of the end-device.
    pub dev_addr: DevAddr,
    /// FCtrl flags; FOptsLen comes from `f_opts`.
    pub f_ctrl: FCtrl,
    /// The 16 least significant bits of the frame counter, as carried on the air.
    pub f_cnt: u16,
    /// FOpts, raw (encrypted in LoRaWAN 1.1).
    pub f_opts: FOpts,
}

impl FHdr {
    /// Length of an FHDR without FOpts.
    pub const MIN_LEN: usize = 7;

    /// Decodes the FHDR at the start of `bytes` for the given direction; bytes after it are
    /// left alone (see [`FHdr::encoded_len`]). LoRaWAN 1.0.4 §4.3.1.
    pub fn decode(bytes: &[u8], direction: Direction) -> Result<Self> {
        let Some(&[a0, a1, a2, a3, f_ctrl, c0, c1]) = bytes.first_chunk::<{ Self::MIN_LEN }>()
        else {
            return Err(Error::TooShort {
                needed: Self::MIN_LEN,
                got: bytes.len(),
            });
        };
        let f_opts_len = usize::from(f_ctrl & 0x0f);
        let needed = Self::MIN_LEN + f_opts_len;
        let Some(f_opts) = bytes.get(Self::MIN_LEN..needed) else {
            return Err(Error::TooShort {
                needed,
                got: bytes.len(),
            });
        };
        Ok(Self {
            dev_addr: DevAddr::from_le_bytes([a0, a1, a2, a3]),
            f_ctrl: FCtrl::decode(f_ctrl, direction),
            f_cnt: u16::from_le_bytes([c0, c1]),
            f_opts: FOpts::new(f_opts)?,
        })
    }

    /// Appends the encoded FHDR for the given direction to `out`, LoRaWAN 1.0.4 §4.3.1.
    pub fn encode_into(&self, direction: Direction, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.dev_addr.to_le_bytes());
        // FOpts holds at most 15 bytes, so the length fits FOptsLen's four bits.
        out.push(self.f_ctrl.encode(direction) | self.f_opts.len);
        out.extend_from_slice(&self.f_cnt.to_le_bytes());
        out.extend_from_slice(self.f_opts.as_bytes());
    }

    /// Returns the encoded length: 7 bytes plus the FOpts.
    pub fn encoded_len(&self) -> usize {
        Self::MIN_LEN + self.f_opts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds FCtrl flags from their names, e.g. `"adr ack"`.
    fn flags(names: &str) -> FCtrl {
        let mut f_ctrl = FCtrl::default();
        for name in names.split_whitespace() {
            match name {
                "adr" => f_ctrl.adr = true,
                "adr_ack_req" => f_ctrl.adr_ack_req = true,
                "ack" => f_ctrl.ack = true,
                "class_b" => f_ctrl.class_b = true,
                "f_pending" => f_ctrl.f_pending = true,
                other => panic!("unknown flag {other}"),
            }
        }
        f_ctrl
    }

    #[test]
    fn fctrl_bits_depend_on_direction() {
        // (byte, direction, flags); bit layout from LoRaWAN 1.0.4 §4.3.1, vectors also in
        // The Things Stack pkg/encoding/lorawan/messages_test.go TestFCtrl.
        let up = Direction::Uplink;
        let down = Direction::Downlink;
        let cases = [
            (0x00, up, ""),
            (0x80, down, "adr"),
            (0x40, up, "adr_ack_req"),
            (0x20, down, "ack"),
            (0x10, up, "class_b"),
            (0x10, down, "f_pending"),
            (0xb0, down, "adr ack f_pending"),
            (0xf0, up, "adr adr_ack_req ack class_b"),
        ];
        for (byte, direction, names) in cases {
            let f_ctrl = flags(names);
            assert_eq!(
                FCtrl::decode(byte, direction),
                f_ctrl,
                "{byte:#04x} {direction:?}"
            );
            assert_eq!(f_ctrl.encode(direction), byte, "{names}");
            assert_eq!(f_ctrl.validate(direction), Ok(()));
        }
    }

    #[test]
    fn fctrl_ignores_fopts_len_and_downlink_rfu_bit() {
        assert_eq!(FCtrl::decode(0x4f, Direction::Downlink), FCtrl::default());
        assert_eq!(FCtrl::decode(0x4f, Direction::Uplink), flags("adr_ack_req"));
    }

    #[test]
    fn fctrl_rejects_flags_of_the_other_direction() {
        let cases = [
            ("f_pending", Direction::Uplink, "FPending"),
            ("class_b", Direction::Downlink, "ClassB"),
            ("adr_ack_req", Direction::Downlink, "ADRACKReq"),
        ];
        for (names, direction, flag) in cases {
            let f_ctrl = flags(names);
            assert_eq!(
                f_ctrl.validate(direction),
                Err(Error::FCtrlFlagWrongDirection { flag })
            );
            assert_eq!(f_ctrl.encode(direction), 0, "{flag} is not written");
        }
    }

    #[test]
    fn fopts_hold_up_to_fifteen_bytes() {
        assert_eq!(FOpts::new(&[]).unwrap(), FOpts::empty());
        let fopts = FOpts::new(&[1; 15]).unwrap();
        assert_eq!(fopts.as_bytes(), &[1; 15]);
        assert_eq!(fopts.len(), 15);
        assert_eq!(
            FOpts::new(&[1; 16]),
            Err(Error::TooLong { max: 15, got: 16 })
        );
        assert_eq!(
            format!("{:?}", FOpts::new(&[2, 7, 1]).unwrap()),
            "FOpts(020701)"
        );
    }

    #[test]
    fn fhdr_round_trips_with_fopts() {
        // DevAddr 05254184, ADR + ACK, FCnt 1, FOpts 091103: the FHDR of lora-packet's
        // __tests__/fopts_test.ts "packet #1".
        let bytes = [
            0x84, 0x41, 0x25, 0x05, 0xa3, 0x01, 0x00, 0x09, 0x11, 0x03, 0x08,
        ];
        let fhdr = FHdr::decode(&bytes, Direction::Uplink).unwrap();
        assert_eq!(
            fhdr,
            FHdr {
                dev_addr: DevAddr::from_u32(0x0525_4184),
                f_ctrl: flags("adr ack"),
                f_cnt: 1,
                f_opts: FOpts::new(&[0x09, 0x11, 0x03]).unwrap(),
            }
        );
        assert_eq!(fhdr.encoded_len(), 10);
        let mut out = Vec::new();
        fhdr.encode_into(Direction::Uplink, &mut out);
        assert_eq!(out, bytes[..10]);
    }

    #[test]
    fn fhdr_rejects_fopts_len_past_the_input() {
        let cases: [(&[u8], usize); 3] = [
            (&[], 7),
            (&[1, 2, 3, 4, 0x00, 0], 7),
            (&[1, 2, 3, 4, 0x0f, 0, 0, 1, 2], 22),
        ];
        for (bytes, needed) in cases {
            assert_eq!(
                FHdr::decode(bytes, Direction::Downlink),
                Err(Error::TooShort {
                    needed,
                    got: bytes.len()
                })
            );
        }
    }

    #[test]
    fn direction_follows_mtype() {
        assert_eq!(
            Direction::from_m_type(MType::JoinRequest),
            Some(Direction::Uplink)
        );
        assert_eq!(
            Direction::from_m_type(MType::RejoinRequest),
            Some(Direction::Uplink)
        );
        assert_eq!(
            Direction::from_m_type(MType::ConfirmedDataUp),
            Some(Direction::Uplink)
        );
        assert_eq!(
            Direction::from_m_type(MType::JoinAccept),
            Some(Direction::Downlink)
        );
        assert_eq!(
            Direction::from_m_type(MType::UnconfirmedDataDown),
            Some(Direction::Downlink)
        );
        assert_eq!(Direction::from_m_type(MType::Proprietary), None);
    }
}
