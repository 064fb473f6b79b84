//! Typed LoRaWAN identifiers and keys: EUI-64, DevAddr, NetID and AES-128 keys.
//!
//! Values are held and printed in the conventional big-endian order (most significant byte
//! first, lowercase hex), while the frame codec reads and writes them little-endian as the air
//! interface does. This module deliberately knows nothing about how keys are derived or used.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// Parses `N` bytes from hex digits, ignoring `-` and `:` separators between bytes.
fn parse_hex<const N: usize>(text: &str, kind: &'static str) -> Result<[u8; N]> {
    let invalid = || Error::InvalidHex {
        kind,
        expected_len: N * 2,
    };
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut out = [0u8; N];
    let mut n_digits = 0usize;
    for ch in text.chars() {
        if ch == '-' || ch == ':' {
            continue;
        }
        let digit = ch.to_digit(16).ok_or_else(invalid)? as u8;
        if n_digits >= N * 2 {
            return Err(invalid());
        }
        let byte = &mut out[n_digits / 2];
        *byte = (*byte << 4) | digit;
        n_digits += 1;
    }
    if n_digits != N * 2 {
        return Err(invalid());
    }
    Ok(out)
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for byte in bytes {
        write!(f, "{byte:02x}")?;
    }
    Ok(())
}

macro_rules! hex_serde {
    ($ty:ident) => {
        #[cfg(feature = "serde")]
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// An IEEE EUI-64 (DevEUI, JoinEUI/AppEUI, gateway EUI), LoRaWAN 1.0.4 §6.1.1.
///
/// Held in big-endian order; the air interface carries it little-endian.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Eui64([u8; 8]);

impl Eui64 {
    /// Creates an EUI from its big-endian bytes (as printed).
    pub const fn from_be_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    /// Creates an EUI from the little-endian bytes of the air interface.
    pub const fn from_le_bytes(bytes: [u8; 8]) -> Self {
        Self(u64::from_le_bytes(bytes).to_be_bytes())
    }

    /// Returns the big-endian bytes (as printed).
    pub const fn to_be_bytes(self) -> [u8; 8] {
        self.0
    }

    /// Returns the little-endian bytes of the air interface.
    pub const fn to_le_bytes(self) -> [u8; 8] {
        u64::from_be_bytes(self.0).to_le_bytes()
    }

    /// Creates an EUI from its integer value.
    pub const fn from_u64(value: u64) -> Self {
        Self(value.to_be_bytes())
    }

    /// Returns the EUI as an integer.
    pub const fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }
}

impl fmt::Display for Eui64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for Eui64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Eui64({self})")
    }
}

impl FromStr for Eui64 {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        parse_hex(text, "EUI-64").map(Self)
    }
}

hex_serde!(Eui64);

/// A LoRaWAN NetID: a 24-bit network identifier whose top 3 bits give its type,
/// LoRaWAN Backend Interfaces TS002 §13.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NetId([u8; 3]);

impl NetId {
    /// Creates a NetID from its big-endian bytes.
    pub const fn from_be_bytes(bytes: [u8; 3]) -> Self {
        Self(bytes)
    }

    /// Creates a NetID from the little-endian bytes of a join-accept.
    pub const fn from_le_bytes(bytes: [u8; 3]) -> Self {
        Self([bytes[2], bytes[1], bytes[0]])
    }

    /// Returns the big-endian bytes.
    pub const fn to_be_bytes(self) -> [u8; 3] {
        self.0
    }

    /// Returns the little-endian bytes of a join-accept.
    pub const fn to_le_bytes(self) -> [u8; 3] {
        [self.0[2], self.0[1], self.0[0]]
    }

    /// Creates a NetID from the low 24 bits of `value`; fails if higher bits are set.
    pub fn from_u32(value: u32) -> Result<Self> {
        if value > 0x00ff_ffff {
            return Err(Error::InvalidNetId("more than 24 bits"));
        }
        let [_, b0, b1, b2] = value.to_be_bytes();
        Ok(Self([b0, b1, b2]))
    }

    /// Returns the NetID as a 24-bit integer.
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes([0, self.0[0], self.0[1], self.0[2]])
    }

    /// Returns the NetID type (0..=7), the 3 most significant bits.
    pub const fn net_id_type(self) -> u8 {
        self.0[0] >> 5
    }

    /// Returns the NetID's ID field: 6 bits for types 0 and 1, 9 bits for type 2, 21 bits otherwise.
    pub const fn id(self) -> u32 {
        let bits = match self.net_id_type() {
            0 | 1 => 6,
            2 => 9,
            _ => 21,
        };
        self.to_u32() & ((1 << bits) - 1)
    }

    /// Returns the NwkID that DevAddrs of this network carry: the low bits of the ID, as many
    /// as the DevAddr format of this type holds (TS002 §13.1).
    pub const fn nwk_id(self) -> u32 {
        let bits = DevAddr::nwk_id_bits(self.net_id_type());
        self.id() & ((1 << bits) - 1)
    }
}

impl fmt::Display for NetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for NetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetId({self})")
    }
}

impl FromStr for NetId {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        parse_hex(text, "NetID").map(Self)
    }
}

hex_serde!(NetId);

/// A device address, LoRaWAN 1.0.4 §6.1.1 and TS002 §13.1: a type prefix, the NwkID of the
/// network that assigned it and the NwkAddr within that network.
///
/// Held in big-endian order (as printed); the frame header carries it little-endian.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DevAddr([u8; 4]);

/// Bits of NwkAddr per DevAddr type 0..=7 (TS002 §13.1, Table 3).
const NWK_ADDR_BITS: [u32; 8] = [25, 24, 20, 17, 15, 13, 10, 7];

impl DevAddr {
    /// Creates a DevAddr from its big-endian bytes (as printed).
    pub const fn from_be_bytes(bytes: [u8; 4]) -> Self {
        Self(bytes)
    }

    /// Creates a DevAddr from the little-endian bytes of the frame header.
    pub const fn from_le_bytes(bytes: [u8; 4]) -> Self {
        Self(u32::from_le_bytes(bytes).to_be_bytes())
    }

    /// Returns the big-endian bytes (as printed).
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0
    }

    /// Returns the little-endian bytes of the frame header.
    pub const fn to_le_bytes(self) -> [u8; 4] {
        u32::from_be_bytes(self.0).to_le_bytes()
    }

    /// Creates a DevAddr from its integer value.
    pub const fn from_u32(value: u32) -> Self {
        Self(value.to_be_bytes())
    }

    /// Returns the DevAddr as an integer.
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    /// Returns the address type (the NetID type it belongs to): the number of leading one bits,
    /// 0..=7. An address starting with eight one bits is reserved and reported as `None`.
    pub const fn net_id_type(self) -> Option<u8> {
        let ones = self.0[0].leading_ones();
        if ones >= 8 { None } else { Some(ones as u8) }
    }

    /// Bits of NwkID carried by a DevAddr of the given type (6, 6, 9, 11, 12, 13, 15, 17).
    pub const fn nwk_id_bits(net_id_type: u8) -> u32 {
        let t = (net_id_type & 7) as usize;
        32 - (t as u32 + 1) - NWK_ADDR_BITS[t]
    }

    /// Bits of NwkAddr carried by a DevAddr of the given type (25, 24, 20, 17, 15, 13, 10, 7).
    pub const fn nwk_addr_bits(net_id_type: u8) -> u32 {
        NWK_ADDR_BITS[(net_id_type & 7) as usize]
    }

    /// Returns the NwkID field, or `None` for a reserved address.
    pub const fn nwk_id(self) -> Option<u32> {
        match self.net_id_type() {
            Some(t) => {
                let shift = Self::nwk_addr_bits(t);
                let mask = (1u32 << Self::nwk_id_bits(t)) - 1;
                Some((self.to_u32() >> shift) & mask)
            }
            None => None,
        }
    }

    /// Returns the NwkAddr field, or `None` for a reserved address.
    pub const fn nwk_addr(self) -> Option<u32> {
        match self.net_id_type() {
            Some(t) => Some(self.to_u32() & ((1u32 << Self::nwk_addr_bits(t)) - 1)),
            None => None,
        }
    }

    /// Tells whether this address was assigned by the network `net_id` (same type and NwkID).
    pub const fn is_net_id(self, net_id: NetId) -> bool {
        match (self.net_id_type(), self.nwk_id()) {
            (Some(t), Some(nwk_id)) => t == net_id.net_id_type() && nwk_id == net_id.nwk_id(),
            _ => false,
        }
    }

    /// Builds the address with the given NwkAddr inside network `net_id`.
    pub fn from_nwk_addr(net_id: NetId, nwk_addr: u32) -> Result<Self> {
        let t = net_id.net_id_type();
        let addr_bits = Self::nwk_addr_bits(t);
        if u64::from(nwk_addr) >= 1u64 << addr_bits {
            return Err(Error::OutOfRange {
                field: "NwkAddr",
                value: u64::from(nwk_addr),
            });
        }
        Ok(Self::from_u32(Self::prefix_bits(net_id) | nwk_addr))
    }

    /// Returns the fixed leading bits (type prefix and NwkID) of addresses of `net_id`, and how
    /// many leading bits they cover; useful to allocate or filter addresses.
    pub const fn prefix(net_id: NetId) -> (Self, u32) {
        let t = net_id.net_id_type();
        (
            Self::from_u32(Self::prefix_bits(net_id)),
            32 - Self::nwk_addr_bits(t),
        )
    }

    const fn prefix_bits(net_id: NetId) -> u32 {
        let t = net_id.net_id_type() as u32;
        let type_prefix = if t == 0 {
            0
        } else {
            // `t` leading ones followed by a zero, placed at the top of the word.
            ((1u32 << t) - 1) << (32 - t)
        };
        let nwk_id = net_id.nwk_id() << Self::nwk_addr_bits(t as u8);
        type_prefix | nwk_id
    }
}

impl fmt::Display for DevAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for DevAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevAddr({self})")
    }
}

impl FromStr for DevAddr {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        parse_hex(text, "DevAddr").map(Self)
    }
}

hex_serde!(DevAddr);

/// An AES-128 key (AppKey, NwkKey, session keys), printed as 32 hex digits in the order the
/// key bytes are fed to AES.
///
/// `Debug` is redacted so keys never reach logs by accident; `Display` prints the hex and is
/// for the places that must show a key on purpose (the CLI, an API answer).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Aes128Key([u8; 16]);

impl Aes128Key {
    /// Creates a key from its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Returns the key's 16 bytes.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// Borrows the key's 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for Aes128Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for Aes128Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Aes128Key(<redacted>)")
    }
}

impl FromStr for Aes128Key {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        parse_hex(text, "AES-128 key").map(Self)
    }
}

hex_serde!(Aes128Key);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_round_trips_between_display_and_wire_order() {
        let eui: Eui64 = "0004a30b001c0530".parse().unwrap();
        assert_eq!(eui.to_string(), "0004a30b001c0530");
        assert_eq!(
            eui.to_le_bytes(),
            [0x30, 0x05, 0x1c, 0x00, 0x0b, 0xa3, 0x04, 0x00]
        );
        assert_eq!(Eui64::from_le_bytes(eui.to_le_bytes()), eui);
        assert_eq!(Eui64::from_u64(eui.to_u64()), eui);
    }

    #[test]
    fn parses_hex_with_separators_and_prefix() {
        let eui: Eui64 = "00-04-A3-0B-00-1C-05-30".parse().unwrap();
        assert_eq!(eui, "0x0004a30b001c0530".parse().unwrap());
        let eui2: Eui64 = "00:04:a3:0b:00:1c:05:30".parse().unwrap();
        assert_eq!(eui, eui2);
    }

    #[test]
    fn rejects_hex_of_wrong_length_or_digits() {
        for bad in [
            "",
            "0004a30b001c053",
            "0004a30b001c05301",
            "0004a30b001c05zz",
            "é",
        ] {
            assert_eq!(
                bad.parse::<Eui64>(),
                Err(Error::InvalidHex {
                    kind: "EUI-64",
                    expected_len: 16
                }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn dev_addr_types_follow_backend_interfaces_table() {
        // (address, type, NwkID, NwkAddr); field widths from TS002 §13.1.
        let cases: [(u32, u8, u32, u32); 8] = [
            (0x5a00_0001, 0, 0x2d, 0x0000_0001),
            (0x8000_0000 | (0x15 << 24) | 0x12_3456, 1, 0x15, 0x12_3456),
            (0xc000_0000 | (0x1ab << 20) | 0x5_4321, 2, 0x1ab, 0x5_4321),
            (0xe000_0000 | (0x5aa << 17) | 0x1_2345, 3, 0x5aa, 0x1_2345),
            (0xf000_0000 | (0xabc << 15) | 0x7fff, 4, 0xabc, 0x7fff),
            (0xf800_0000 | (0x1abc << 13) | 0x1fff, 5, 0x1abc, 0x1fff),
            (0xfc00_0000 | (0x7abc << 10) | 0x3ff, 6, 0x7abc, 0x3ff),
            (0xfe00_0000 | (0x1_abcd << 7) | 0x7f, 7, 0x1_abcd, 0x7f),
        ];
        for (value, t, nwk_id, nwk_addr) in cases {
            let addr = DevAddr::from_u32(value);
            assert_eq!(addr.net_id_type(), Some(t), "{addr}");
            assert_eq!(addr.nwk_id(), Some(nwk_id), "{addr}");
            assert_eq!(addr.nwk_addr(), Some(nwk_addr), "{addr}");
        }
        assert_eq!(DevAddr::from_u32(0xff00_0000).net_id_type(), None);
    }

    #[test]
    fn dev_addr_is_built_inside_its_net_id() {
        // The Things Network's NetID 000013 (type 0) hands out 26xxxxxx/27xxxxxx addresses.
        let ttn: NetId = "000013".parse().unwrap();
        assert_eq!(ttn.net_id_type(), 0);
        assert_eq!(ttn.nwk_id(), 0x13);
        let addr = DevAddr::from_nwk_addr(ttn, 0x1_0203).unwrap();
        assert_eq!(addr.to_string(), "26010203");
        assert!(addr.is_net_id(ttn));
        assert!(!addr.is_net_id("000012".parse().unwrap()));
        assert_eq!(DevAddr::prefix(ttn), (DevAddr::from_u32(0x2600_0000), 7));

        // A type 3 NetID 60002d: ID 0x2d, NwkID the low 11 bits.
        let net_id: NetId = "60002d".parse().unwrap();
        assert_eq!(net_id.net_id_type(), 3);
        let addr = DevAddr::from_nwk_addr(net_id, 5).unwrap();
        assert_eq!(addr.to_u32(), 0xe000_0000 | (0x2d << 17) | 5);
        assert!(addr.is_net_id(net_id));
        assert_eq!(
            DevAddr::from_nwk_addr(net_id, 1 << 17),
            Err(Error::OutOfRange {
                field: "NwkAddr",
                value: 1 << 17
            })
        );
    }

    #[test]
    fn dev_addr_wire_order_is_little_endian() {
        let addr: DevAddr = "01020304".parse().unwrap();
        assert_eq!(addr.to_le_bytes(), [4, 3, 2, 1]);
        assert_eq!(DevAddr::from_le_bytes([4, 3, 2, 1]), addr);
    }

    #[test]
    fn net_id_rejects_more_than_24_bits() {
        assert!(NetId::from_u32(0x0100_0000).is_err());
        assert_eq!(NetId::from_u32(0xc0_0123).unwrap().to_string(), "c00123");
        assert_eq!(NetId::from_le_bytes([0x13, 0, 0]).to_u32(), 0x13);
    }

    #[test]
    fn key_debug_is_redacted_and_display_is_hex() {
        let key: Aes128Key = "2b7e151628aed2a6abf7158809cf4f3c".parse().unwrap();
        assert_eq!(format!("{key:?}"), "Aes128Key(<redacted>)");
        assert_eq!(key.to_string(), "2b7e151628aed2a6abf7158809cf4f3c");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn identifiers_serialize_as_hex_strings() {
        let eui: Eui64 = "0004a30b001c0530".parse().unwrap();
        let json = serde_json::to_string(&eui).unwrap();
        assert_eq!(json, "\"0004a30b001c0530\"");
        assert_eq!(serde_json::from_str::<Eui64>(&json).unwrap(), eui);
        assert!(serde_json::from_str::<DevAddr>("\"0102\"").is_err());
    }
}
