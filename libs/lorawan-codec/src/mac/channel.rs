//! Channel definition commands: NewChannelReq/Ans (CID 0x07) creates or changes an uplink
//! channel and DlChannelReq/Ans (CID 0x0A) moves a channel's RX1 downlink frequency,
//! LoRaWAN 1.0.4 §5.6 and 1.1 §5.7.
//!
//! Frequencies are in Hz and must lie on the 100 Hz grid of the 24-bit field; the 200 Hz
//! stepping of the 2.4 GHz physical layer is not supported.

use super::wire::{FixedPayload, bit, check_bits, decode_frequency, encode_frequency, flag};
use crate::Result;

/// NewChannelReq payload (downlink, CID 0x07), LoRaWAN 1.0.4 §5.6.
///
/// Wire layout (5 bytes): ChIndex, Freq (24 bits, 100 Hz steps, little-endian), and DrRange
/// `MaxDR(4) | MinDR(4)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NewChannelReqPayload {
    /// ChIndex: index of the channel to create or modify.
    pub ch_index: u8,
    /// Freq in Hz, a multiple of 100 up to 1 677 721 500; 0 disables the channel.
    pub frequency_hz: u32,
    /// MinDR (4 bits, 0..=15): lowest data rate index allowed on the channel.
    pub min_dr: u8,
    /// MaxDR (4 bits, 0..=15): highest data rate index allowed on the channel.
    pub max_dr: u8,
}

impl FixedPayload<5> for NewChannelReqPayload {
    fn from_bytes([ch_index, f0, f1, f2, dr_range]: [u8; 5]) -> Self {
        Self {
            ch_index,
            frequency_hz: decode_frequency([f0, f1, f2]),
            min_dr: dr_range & 0x0f,
            max_dr: dr_range >> 4,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 5]> {
        let [f0, f1, f2] = encode_frequency(self.frequency_hz)?;
        let min_dr = check_bits("MinDR", self.min_dr, 4)?;
        let max_dr = check_bits("MaxDR", self.max_dr, 4)?;
        Ok([self.ch_index, f0, f1, f2, (max_dr << 4) | min_dr])
    }
}

/// NewChannelAns payload (uplink, CID 0x07), LoRaWAN 1.0.4 §5.6. The device applies the
/// request only when both are true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NewChannelAnsPayload {
    /// Channel frequency ok (bit 0): the device can use the frequency.
    pub channel_frequency_ok: bool,
    /// Data rate range ok (bit 1): the data rate range is compatible with the device.
    pub data_rate_range_ok: bool,
}

impl FixedPayload<1> for NewChannelAnsPayload {
    fn from_bytes([status]: [u8; 1]) -> Self {
        Self {
            channel_frequency_ok: bit(status, 0),
            data_rate_range_ok: bit(status, 1),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([flag(self.channel_frequency_ok, 0) | flag(self.data_rate_range_ok, 1)])
    }
}

/// DlChannelReq payload (downlink, CID 0x0A), LoRaWAN 1.0.4 §5.6.
///
/// Wire layout (4 bytes): ChIndex, then Freq (24 bits, 100 Hz steps, little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DlChannelReqPayload {
    /// ChIndex: index of the uplink channel whose RX1 frequency changes.
    pub ch_index: u8,
    /// Freq: the RX1 downlink frequency in Hz, a multiple of 100 up to 1 677 721 500.
    pub frequency_hz: u32,
}

impl FixedPayload<4> for DlChannelReqPayload {
    fn from_bytes([ch_index, f0, f1, f2]: [u8; 4]) -> Self {
        Self {
            ch_index,
            frequency_hz: decode_frequency([f0, f1, f2]),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 4]> {
        let [f0, f1, f2] = encode_frequency(self.frequency_hz)?;
        Ok([self.ch_index, f0, f1, f2])
    }
}

/// DlChannelAns payload (uplink, CID 0x0A), LoRaWAN 1.0.4 §5.6. The device applies the request
/// only when both are true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DlChannelAnsPayload {
    /// Channel frequency ok (bit 0): the device can use the downlink frequency.
    pub channel_frequency_ok: bool,
    /// Uplink frequency exists (bit 1): the channel index names a defined uplink channel.
    pub uplink_frequency_exists: bool,
}

impl FixedPayload<1> for DlChannelAnsPayload {
    fn from_bytes([status]: [u8; 1]) -> Self {
        Self {
            channel_frequency_ok: bit(status, 0),
            uplink_frequency_exists: bit(status, 1),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([flag(self.channel_frequency_ok, 0) | flag(self.uplink_frequency_exists, 1)])
    }
}
