//! Parsers for command-line values: frames given as hex or base64, and numbers given in
//! decimal or `0x` hex.

use anyhow::{Context, bail};
use base64::Engine;

/// Parses a frame given as hex (with optional spaces) or as base64, the two forms gateways,
/// logs and other network servers print.
pub fn parse_frame_bytes(text: &str) -> anyhow::Result<Vec<u8>> {
    let compact: String = text.chars().filter(|ch| !ch.is_whitespace()).collect();
    if compact.is_empty() {
        bail!("frame is empty");
    }
    let is_hex =
        compact.len().is_multiple_of(2) && compact.chars().all(|ch| ch.is_ascii_hexdigit());
    if is_hex {
        return hex::decode(&compact).context("decode frame hex");
    }
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .context("frame is neither hex nor base64")
}

/// Bytes given on the command line as hex; an empty string is no bytes.
///
/// A newtype, because clap reads a bare `Vec<u8>` field as a list of numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

impl std::str::FromStr for HexBytes {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let compact: String = text.chars().filter(|ch| !ch.is_whitespace()).collect();
        hex::decode(compact)
            .map(Self)
            .map_err(|error| format!("invalid hex: {error}"))
    }
}

fn parse_number(text: &str, max: u64) -> Result<u64, String> {
    let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex_digits) => u64::from_str_radix(hex_digits, 16),
        None => text.parse::<u64>(),
    }
    .map_err(|error| format!("invalid number {text:?}: {error}"))?;
    if value > max {
        return Err(format!("{text} is larger than {max}"));
    }
    Ok(value)
}

/// Parses a 32-bit number, decimal or `0x` hex.
pub fn parse_u32(text: &str) -> Result<u32, String> {
    parse_number(text, u64::from(u32::MAX)).map(|value| value as u32)
}

/// Parses a 24-bit number (JoinNonce), decimal or `0x` hex.
pub fn parse_u24(text: &str) -> Result<u32, String> {
    parse_number(text, 0xff_ffff).map(|value| value as u32)
}

/// Parses a 16-bit number (DevNonce), decimal or `0x` hex.
pub fn parse_u16(text: &str) -> Result<u16, String> {
    parse_number(text, u64::from(u16::MAX)).map(|value| value as u16)
}

/// Parses an 8-bit number, decimal or `0x` hex.
pub fn parse_u8(text: &str) -> Result<u8, String> {
    parse_number(text, u64::from(u8::MAX)).map(|value| value as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_bytes_accept_hex_and_base64() {
        assert_eq!(parse_frame_bytes("40 0102").unwrap(), vec![0x40, 1, 2]);
        assert_eq!(parse_frame_bytes("QAEC").unwrap(), vec![0x40, 1, 2]);
        assert!(parse_frame_bytes("").is_err());
        assert!(parse_frame_bytes("!!").is_err());
    }

    #[test]
    fn numbers_accept_decimal_and_hex_within_range() {
        assert_eq!(parse_u16("0x0102"), Ok(0x0102));
        assert_eq!(parse_u16("258"), Ok(258));
        assert!(parse_u16("65536").is_err());
        assert_eq!(parse_u24("0xffffff"), Ok(0xff_ffff));
        assert!(parse_u24("0x1000000").is_err());
        assert!(parse_u8("x").is_err());
    }
}
