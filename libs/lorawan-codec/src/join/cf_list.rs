//! CFList, the optional channel list at the end of a join-accept: five extra frequencies
//! (type 0) or channel masks (type 1), LoRaWAN 1.0.4 §6.2.3 and RP002-1.0.x.
//!
//! Which type a region uses is a regional parameter; this module only encodes and decodes.

use crate::{Error, Result};

/// CFList of a join-accept, 16 bytes on the air: 15 bytes of content and the CFListType byte,
/// LoRaWAN 1.0.4 §6.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CfList {
    /// CFListType 0: frequencies of five extra channels (dynamic-channel regions such as EU868),
    /// RP002-1.0.x §2.4.4.
    Frequencies(CfListFrequencies),
    /// CFListType 1: ChMask0 to ChMask5, each enabling 16 channels, bit `i` of ChMask`n`
    /// enabling channel `16 n + i` (fixed-channel regions US915, AU915, CN470), RP002-1.0.x
    /// §2.5.4. The three bytes after the masks are RFU: ignored when decoding, zero when encoding.
    ChannelMask([u16; 6]),
}

impl CfList {
    /// Encoded length.
    pub const LEN: usize = 16;

    /// Decodes a 16-byte CFList; an unknown CFListType fails with [`Error::UnknownCfListType`].
    pub fn decode(bytes: &[u8; Self::LEN]) -> Result<Self> {
        match bytes[15] {
            0 => {
                let mut hz = [0; 5];
                for (freq, chunk) in hz.iter_mut().zip(bytes.chunks_exact(3)) {
                    let wire = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], 0]);
                    *freq = wire * CfListFrequencies::STEP_HZ;
                }
                Ok(Self::Frequencies(CfListFrequencies(hz)))
            }
            1 => {
                let mut ch_masks = [0; 6];
                for (mask, chunk) in ch_masks.iter_mut().zip(bytes.chunks_exact(2)) {
                    *mask = u16::from_le_bytes([chunk[0], chunk[1]]);
                }
                Ok(Self::ChannelMask(ch_masks))
            }
            other => Err(Error::UnknownCfListType(other)),
        }
    }

    /// Encodes the 16-byte CFList.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = [0; Self::LEN];
        match self {
            Self::Frequencies(frequencies) => {
                for (chunk, hz) in out.chunks_exact_mut(3).zip(frequencies.0) {
                    let wire = hz / CfListFrequencies::STEP_HZ;
                    chunk.copy_from_slice(&wire.to_le_bytes()[..3]);
                }
                out[15] = 0;
            }
            Self::ChannelMask(ch_masks) => {
                for (chunk, mask) in out.chunks_exact_mut(2).zip(ch_masks) {
                    chunk.copy_from_slice(&mask.to_le_bytes());
                }
                out[15] = 1;
            }
        }
        out
    }

    /// Returns the CFListType: 0 for frequencies, 1 for channel masks.
    pub const fn cf_list_type(&self) -> u8 {
        match self {
            Self::Frequencies(_) => 0,
            Self::ChannelMask(_) => 1,
        }
    }
}

/// Five channel frequencies in Hz for a type 0 CFList, LoRaWAN 1.0.4 §6.2.3.
///
/// On the air each frequency is 24 bits in units of 100 Hz, so a frequency must be a multiple
/// of 100 Hz no larger than (2^24 - 1) × 100 Hz. A frequency of 0 leaves the channel unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "[u32; 5]", into = "[u32; 5]"))]
pub struct CfListFrequencies([u32; 5]);

impl CfListFrequencies {
    /// Unit of the frequencies on the air.
    pub const STEP_HZ: u32 = 100;
    /// Largest frequency the 24-bit field can hold.
    pub const MAX_HZ: u32 = 0x00ff_ffff * Self::STEP_HZ;

    /// Creates the list; fails with [`Error::OutOfRange`] for a frequency that is not a
    /// multiple of 100 Hz or is above [`CfListFrequencies::MAX_HZ`].
    pub fn new(hz: [u32; 5]) -> Result<Self> {
        for freq in hz {
            if freq % Self::STEP_HZ != 0 || freq > Self::MAX_HZ {
                return Err(Error::OutOfRange {
                    field: "CFList frequency",
                    value: u64::from(freq),
                });
            }
        }
        Ok(Self(hz))
    }

    /// Returns the five frequencies in Hz.
    pub const fn hz(&self) -> [u32; 5] {
        self.0
    }
}

impl TryFrom<[u32; 5]> for CfListFrequencies {
    type Error = Error;

    fn try_from(hz: [u32; 5]) -> Result<Self> {
        Self::new(hz)
    }
}

impl From<CfListFrequencies> for [u32; 5] {
    fn from(frequencies: CfListFrequencies) -> [u32; 5] {
        frequencies.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cf_list_round_trips_both_types() {
        // Vectors from ChirpStack lrwn/src/cflist.rs tests.
        let cases: [([u8; 16], CfList); 3] = [
            (
                [
                    0x18, 0x4f, 0x84, 0xe8, 0x56, 0x84, 0xb8, 0x5e, 0x84, 0x88, 0x66, 0x84, 0x58,
                    0x6e, 0x84, 0x00,
                ],
                CfList::Frequencies(
                    CfListFrequencies::new([
                        867_100_000,
                        867_300_000,
                        867_500_000,
                        867_700_000,
                        867_900_000,
                    ])
                    .unwrap(),
                ),
            ),
            (
                [0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01],
                CfList::ChannelMask([0x00ff, 0, 0, 0, 0, 0]),
            ),
            (
                [0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01],
                CfList::ChannelMask([0, 0x00ff, 0, 0, 0, 0]),
            ),
        ];
        for (bytes, cf_list) in cases {
            assert_eq!(CfList::decode(&bytes), Ok(cf_list));
            assert_eq!(cf_list.encode(), bytes);
        }
    }

    #[test]
    fn channel_mask_ignores_rfu_bytes() {
        let mut bytes = [0u8; 16];
        bytes[12..].copy_from_slice(&[0xaa, 0xbb, 0xcc, 0x01]);
        assert_eq!(CfList::decode(&bytes), Ok(CfList::ChannelMask([0; 6])));
    }

    #[test]
    fn rejects_unknown_cf_list_type() {
        let mut bytes = [0u8; 16];
        bytes[15] = 2;
        assert_eq!(CfList::decode(&bytes), Err(Error::UnknownCfListType(2)));
    }

    #[test]
    fn frequencies_must_fit_the_wire_format() {
        assert!(
            CfListFrequencies::new([0, 100, CfListFrequencies::MAX_HZ, 868_100_000, 0]).is_ok()
        );
        assert_eq!(
            CfListFrequencies::new([868_100_050, 0, 0, 0, 0]),
            Err(Error::OutOfRange {
                field: "CFList frequency",
                value: 868_100_050
            })
        );
        assert_eq!(
            CfListFrequencies::new([0, 0, 0, 0, CfListFrequencies::MAX_HZ + 100]),
            Err(Error::OutOfRange {
                field: "CFList frequency",
                value: u64::from(CfListFrequencies::MAX_HZ + 100)
            })
        );
    }
}
