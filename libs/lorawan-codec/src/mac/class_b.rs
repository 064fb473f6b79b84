//! Class B MAC commands: PingSlotInfoReq (CID 0x10), PingSlotChannelReq/Ans (0x11), the
//! deprecated BeaconTimingAns (0x12, still decoded for old devices) and BeaconFreqReq/Ans (0x13),
//! LoRaWAN 1.0.4 §12 and 1.1 §14.
//!
//! PingSlotInfoAns and BeaconTimingReq have no payload and are unit variants of `MacCommand`.
//! Beacon and ping-slot timing itself is network-server logic, not codec.

use super::wire::{FixedPayload, bit, check_bits, decode_frequency, encode_frequency, flag};
use crate::Result;

/// PingSlotInfoReq payload (uplink, CID 0x10), LoRaWAN 1.0.4 §12.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PingSlotInfoReqPayload {
    /// Periodicity (3 bits, 0..=7): the device opens a unicast ping slot every
    /// `2^(5 + periodicity)` slots, about every `0.96 × 2^periodicity` seconds.
    pub periodicity: u8,
}

impl FixedPayload<1> for PingSlotInfoReqPayload {
    fn from_bytes([param]: [u8; 1]) -> Self {
        Self {
            periodicity: param & 0x07,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([check_bits("Periodicity", self.periodicity, 3)?])
    }
}

/// PingSlotChannelReq payload (downlink, CID 0x11), LoRaWAN 1.0.4 §12.3.
///
/// Wire layout (4 bytes): Frequency (24 bits, 100 Hz steps, little-endian), then
/// `RFU(4) | DataRate(4)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PingSlotChannelReqPayload {
    /// Frequency of unicast ping slots in Hz, a multiple of 100 up to 1 677 721 500; 0 restores
    /// the region's default.
    pub frequency_hz: u32,
    /// DataRate (4 bits, 0..=15): data rate index of ping-slot downlinks.
    pub data_rate: u8,
}

impl FixedPayload<4> for PingSlotChannelReqPayload {
    fn from_bytes([f0, f1, f2, data_rate]: [u8; 4]) -> Self {
        Self {
            frequency_hz: decode_frequency([f0, f1, f2]),
            data_rate: data_rate & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 4]> {
        let [f0, f1, f2] = encode_frequency(self.frequency_hz)?;
        Ok([f0, f1, f2, check_bits("DataRate", self.data_rate, 4)?])
    }
}

/// PingSlotChannelAns payload (uplink, CID 0x11), LoRaWAN 1.0.4 §12.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PingSlotChannelAnsPayload {
    /// Channel frequency ok (bit 0): the device can receive on the frequency.
    pub channel_frequency_ok: bool,
    /// Data rate ok (bit 1): the data rate is defined for the device.
    pub data_rate_ok: bool,
}

impl FixedPayload<1> for PingSlotChannelAnsPayload {
    fn from_bytes([status]: [u8; 1]) -> Self {
        Self {
            channel_frequency_ok: bit(status, 0),
            data_rate_ok: bit(status, 1),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([flag(self.channel_frequency_ok, 0) | flag(self.data_rate_ok, 1)])
    }
}

/// BeaconTimingAns payload (downlink, CID 0x12), deprecated since LoRaWAN 1.0.3 (1.0.4 §12,
/// Table 61) but still decoded for devices that send BeaconTimingReq.
///
/// Wire layout (3 bytes): Delay (16 bits, little-endian), then Channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BeaconTimingAnsPayload {
    /// Delay: the next beacon starts `30 ms × (delay + 1)` after the end of this downlink.
    pub delay: u16,
    /// Channel: index of the beacon channel (0 where beacons use one fixed frequency).
    pub channel: u8,
}

impl FixedPayload<3> for BeaconTimingAnsPayload {
    fn from_bytes([d0, d1, channel]: [u8; 3]) -> Self {
        Self {
            delay: u16::from_le_bytes([d0, d1]),
            channel,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 3]> {
        let [d0, d1] = self.delay.to_le_bytes();
        Ok([d0, d1, self.channel])
    }
}

/// BeaconFreqReq payload (downlink, CID 0x13), LoRaWAN 1.0.4 §12.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BeaconFreqReqPayload {
    /// Frequency of the beacon in Hz, a multiple of 100 up to 1 677 721 500; 0 restores the
    /// region's default beacon frequency plan.
    pub frequency_hz: u32,
}

impl FixedPayload<3> for BeaconFreqReqPayload {
    fn from_bytes(frequency: [u8; 3]) -> Self {
        Self {
            frequency_hz: decode_frequency(frequency),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 3]> {
        encode_frequency(self.frequency_hz)
    }
}

/// BeaconFreqAns payload (uplink, CID 0x13), LoRaWAN 1.0.4 §12.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BeaconFreqAnsPayload {
    /// Beacon frequency ok (bit 0): the device can receive beacons on the frequency.
    pub beacon_frequency_ok: bool,
}

impl FixedPayload<1> for BeaconFreqAnsPayload {
    fn from_bytes([status]: [u8; 1]) -> Self {
        Self {
            beacon_frequency_ok: bit(status, 0),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([flag(self.beacon_frequency_ok, 0)])
    }
}
