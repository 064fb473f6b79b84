//! The binary header every datagram starts with: version, token, identifier and gateway EUI.
//!
//! Decoding a [`Header`] reads no JSON, so an edge can answer PUSH_DATA and PULL_DATA with
//! their ACK before it parses (or even if it fails to parse) the rest. It deliberately knows
//! nothing about sockets or addresses.

use std::fmt;

use crate::error::{Error, Result};

/// Largest datagram this crate decodes or encodes: the most a UDP datagram can carry
/// (65 535 bytes minus the 8-byte UDP header). Anything longer cannot have come from a
/// single UDP read, so it is rejected with [`Error::TooLong`].
pub const MAX_DATAGRAM_LEN: usize = 65_527;

/// Length of PUSH_ACK and PULL_ACK datagrams (PROTOCOL.TXT §3.3, §5.3).
pub const ACK_LEN: usize = 4;

/// Length of the header of datagrams that carry a gateway EUI (PROTOCOL.TXT §3.2, §5.2, §5.5).
pub const HEADER_WITH_EUI_LEN: usize = 12;

/// Protocol version, byte 0 of every datagram (PROTOCOL.TXT §3.2).
///
/// Version 2 is the current one; version 1 is still sent by old packet forwarders and
/// differs only in lacking TX_ACK, so both are accepted and echoed back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProtocolVersion {
    /// Version 1 (packet forwarder before v3).
    V1,
    /// Version 2.
    #[default]
    V2,
}

impl ProtocolVersion {
    /// Decodes byte 0 of a datagram.
    pub fn from_byte(byte: u8) -> Result<Self> {
        match byte {
            1 => Ok(ProtocolVersion::V1),
            2 => Ok(ProtocolVersion::V2),
            other => Err(Error::UnsupportedVersion(other)),
        }
    }

    /// Returns the wire byte.
    pub fn to_byte(self) -> u8 {
        match self {
            ProtocolVersion::V1 => 1,
            ProtocolVersion::V2 => 2,
        }
    }
}

/// Random token, bytes 1-2 of every datagram (PROTOCOL.TXT §3.2).
///
/// The token is opaque: an ACK echoes the token of the datagram it acknowledges and a
/// TX_ACK echoes the token of its PULL_RESP. The numeric value reads byte 1 as the high
/// byte, as the reference forwarder names them (`token_h`, `token_l`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Token(pub u16);

impl Token {
    /// Builds a token from bytes 1-2 of a datagram.
    pub const fn from_be_bytes(bytes: [u8; 2]) -> Self {
        Token(u16::from_be_bytes(bytes))
    }

    /// Returns bytes 1-2 as they go on the wire.
    pub const fn to_be_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

/// Gateway unique identifier, bytes 4-11 of PUSH_DATA, PULL_DATA and TX_ACK
/// (PROTOCOL.TXT §3.2). Displayed as lowercase big-endian hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GatewayEui(pub [u8; 8]);

impl GatewayEui {
    /// Builds an EUI from its 8 wire bytes.
    pub const fn from_be_bytes(bytes: [u8; 8]) -> Self {
        GatewayEui(bytes)
    }

    /// Returns the 8 wire bytes.
    pub const fn to_be_bytes(self) -> [u8; 8] {
        self.0
    }

    /// Builds an EUI from its big-endian integer value.
    pub const fn from_u64(value: u64) -> Self {
        GatewayEui(value.to_be_bytes())
    }

    /// Returns the EUI as a big-endian integer.
    pub const fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }
}

impl fmt::Display for GatewayEui {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Datagram identifier, byte 3 (PROTOCOL.TXT §3.2-§5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identifier {
    /// PUSH_DATA, 0x00: gateway to server, received packets and status.
    PushData,
    /// PUSH_ACK, 0x01: server to gateway.
    PushAck,
    /// PULL_DATA, 0x02: gateway to server, keep-alive that opens the downlink route.
    PullData,
    /// PULL_RESP, 0x03: server to gateway, a packet to transmit.
    PullResp,
    /// PULL_ACK, 0x04: server to gateway.
    PullAck,
    /// TX_ACK, 0x05: gateway to server, outcome of a PULL_RESP.
    TxAck,
}

impl Identifier {
    /// Decodes byte 3 of a datagram.
    pub fn from_byte(byte: u8) -> Result<Self> {
        match byte {
            0x00 => Ok(Identifier::PushData),
            0x01 => Ok(Identifier::PushAck),
            0x02 => Ok(Identifier::PullData),
            0x03 => Ok(Identifier::PullResp),
            0x04 => Ok(Identifier::PullAck),
            0x05 => Ok(Identifier::TxAck),
            other => Err(Error::UnknownIdentifier(other)),
        }
    }

    /// Returns the wire byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Identifier::PushData => 0x00,
            Identifier::PushAck => 0x01,
            Identifier::PullData => 0x02,
            Identifier::PullResp => 0x03,
            Identifier::PullAck => 0x04,
            Identifier::TxAck => 0x05,
        }
    }

    /// Tells whether bytes 4-11 hold the gateway EUI.
    pub fn has_gateway_eui(self) -> bool {
        matches!(
            self,
            Identifier::PushData | Identifier::PullData | Identifier::TxAck
        )
    }

    /// Returns the protocol's name, e.g. `"PUSH_DATA"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Identifier::PushData => "PUSH_DATA",
            Identifier::PushAck => "PUSH_ACK",
            Identifier::PullData => "PULL_DATA",
            Identifier::PullResp => "PULL_RESP",
            Identifier::PullAck => "PULL_ACK",
            Identifier::TxAck => "TX_ACK",
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fixed part of a datagram, decoded without touching its JSON (PROTOCOL.TXT §3-§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Byte 0.
    pub version: ProtocolVersion,
    /// Bytes 1-2.
    pub token: Token,
    /// Byte 3.
    pub identifier: Identifier,
    /// Bytes 4-11 for PUSH_DATA, PULL_DATA and TX_ACK; `None` for the others.
    pub gateway_eui: Option<GatewayEui>,
}

impl Header {
    /// Decodes the header of `bytes` and returns it with the length it occupies.
    pub fn decode(bytes: &[u8]) -> Result<(Header, usize)> {
        if bytes.len() > MAX_DATAGRAM_LEN {
            return Err(Error::TooLong {
                max: MAX_DATAGRAM_LEN,
                got: bytes.len(),
            });
        }
        let &[version, token_h, token_l, identifier, ..] = bytes else {
            return Err(Error::TooShort {
                needed: ACK_LEN,
                got: bytes.len(),
            });
        };
        let version = ProtocolVersion::from_byte(version)?;
        let identifier = Identifier::from_byte(identifier)?;
        let token = Token::from_be_bytes([token_h, token_l]);
        if !identifier.has_gateway_eui() {
            let header = Header {
                version,
                token,
                identifier,
                gateway_eui: None,
            };
            return Ok((header, ACK_LEN));
        }
        let eui_bytes: [u8; 8] = bytes
            .get(ACK_LEN..HEADER_WITH_EUI_LEN)
            .and_then(|eui| eui.try_into().ok())
            .ok_or(Error::TooShort {
                needed: HEADER_WITH_EUI_LEN,
                got: bytes.len(),
            })?;
        let header = Header {
            version,
            token,
            identifier,
            gateway_eui: Some(GatewayEui(eui_bytes)),
        };
        Ok((header, HEADER_WITH_EUI_LEN))
    }

    /// Returns the PUSH_ACK or PULL_ACK bytes that answer this datagram, or `None` when the
    /// protocol expects no immediate answer (PROTOCOL.TXT §3.3, §5.3).
    pub fn ack(&self) -> Option<[u8; ACK_LEN]> {
        let ack_identifier = match self.identifier {
            Identifier::PushData => Identifier::PushAck,
            Identifier::PullData => Identifier::PullAck,
            _ => return None,
        };
        Some(encode_ack(self.version, self.token, ack_identifier))
    }
}

/// Encodes a 4-byte PUSH_ACK or PULL_ACK (or any header without EUI).
pub(crate) fn encode_ack(
    version: ProtocolVersion,
    token: Token,
    identifier: Identifier,
) -> [u8; ACK_LEN] {
    let [token_h, token_l] = token.to_be_bytes();
    [version.to_byte(), token_h, token_l, identifier.to_byte()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_eui_displays_as_lowercase_big_endian_hex() {
        let eui = GatewayEui::from_u64(0xAA55_5A00_0000_0101);
        assert_eq!(eui.to_string(), "aa555a0000000101");
        assert_eq!(eui.to_be_bytes(), [0xaa, 0x55, 0x5a, 0, 0, 0, 1, 1]);
        assert_eq!(eui.to_u64(), 0xAA55_5A00_0000_0101);
    }

    #[test]
    fn token_reads_byte_one_as_high_byte() {
        assert_eq!(Token::from_be_bytes([0x12, 0x34]), Token(0x1234));
        assert_eq!(Token(0x1234).to_be_bytes(), [0x12, 0x34]);
    }

    #[test]
    fn identifier_bytes_round_trip() {
        for byte in 0u8..=5 {
            let identifier = Identifier::from_byte(byte).unwrap();
            assert_eq!(identifier.to_byte(), byte);
        }
        assert_eq!(Identifier::from_byte(6), Err(Error::UnknownIdentifier(6)));
    }

    #[test]
    fn header_ack_answers_push_and_pull_data_only() {
        let cases: [(&[u8], Option<[u8; 4]>); 4] = [
            (
                &[2, 0xab, 0xcd, 0, 1, 2, 3, 4, 5, 6, 7, 8, b'{', b'}'],
                Some([2, 0xab, 0xcd, 1]),
            ),
            (
                &[1, 0xab, 0xcd, 2, 1, 2, 3, 4, 5, 6, 7, 8],
                Some([1, 0xab, 0xcd, 4]),
            ),
            (&[2, 0xab, 0xcd, 5, 1, 2, 3, 4, 5, 6, 7, 8], None),
            (&[2, 0xab, 0xcd, 1], None),
        ];
        for (bytes, expected) in cases {
            let (header, _) = Header::decode(bytes).unwrap();
            assert_eq!(header.ack(), expected, "{bytes:02x?}");
        }
    }

    #[test]
    fn header_rejects_short_and_unknown_datagrams() {
        let cases: [(&[u8], Error); 5] = [
            (&[], Error::TooShort { needed: 4, got: 0 }),
            (&[2, 0, 0], Error::TooShort { needed: 4, got: 3 }),
            (&[3, 0, 0, 0], Error::UnsupportedVersion(3)),
            (&[2, 0, 0, 9], Error::UnknownIdentifier(9)),
            (
                &[2, 0, 0, 0, 1, 2, 3],
                Error::TooShort { needed: 12, got: 7 },
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(Header::decode(bytes), Err(expected), "{bytes:02x?}");
        }
    }
}
