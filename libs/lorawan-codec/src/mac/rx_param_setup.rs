//! RXParamSetupReq and RXParamSetupAns (CID 0x05): the network changes the RX1 data rate offset
//! and the RX2 data rate and frequency, LoRaWAN 1.0.4 §5.4 and 1.1 §5.5.
//!
//! Whether the values suit the device's region is checked by the region crate, not here.

use super::wire::{FixedPayload, bit, check_bits, decode_frequency, encode_frequency, flag};
use crate::Result;

/// RXParamSetupReq payload (downlink, CID 0x05), LoRaWAN 1.0.4 §5.4.
///
/// Wire layout (4 bytes): DLSettings `RFU(1) | RX1DROffset(3) | RX2DataRate(4)`, then the RX2
/// frequency in 100 Hz steps (24 bits, little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RxParamSetupReqPayload {
    /// RX1DROffset (3 bits, 0..=7): offset between the uplink and the RX1 downlink data rate.
    pub rx1_dr_offset: u8,
    /// RX2DataRate (4 bits, 0..=15): data rate index of the RX2 window.
    pub rx2_data_rate: u8,
    /// Frequency of the RX2 window in Hz: a multiple of 100 up to 1 677 721 500.
    pub frequency_hz: u32,
}

impl FixedPayload<4> for RxParamSetupReqPayload {
    fn from_bytes([dl_settings, f0, f1, f2]: [u8; 4]) -> Self {
        Self {
            rx1_dr_offset: (dl_settings >> 4) & 0x07,
            rx2_data_rate: dl_settings & 0x0f,
            frequency_hz: decode_frequency([f0, f1, f2]),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 4]> {
        let rx1_dr_offset = check_bits("RX1DROffset", self.rx1_dr_offset, 3)?;
        let rx2_data_rate = check_bits("RX2DataRate", self.rx2_data_rate, 4)?;
        let [f0, f1, f2] = encode_frequency(self.frequency_hz)?;
        Ok([(rx1_dr_offset << 4) | rx2_data_rate, f0, f1, f2])
    }
}

/// RXParamSetupAns payload (uplink, CID 0x05): which parts of an RXParamSetupReq the device
/// accepted, LoRaWAN 1.0.4 §5.4. The device applies the request only when all three are true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RxParamSetupAnsPayload {
    /// Channel ACK (bit 0): the RX2 frequency is usable by the device.
    pub channel_ack: bool,
    /// RX2 Data rate ACK (bit 1): the RX2 data rate is known to the device.
    pub rx2_data_rate_ack: bool,
    /// RX1DROffset ACK (bit 2): the RX1 data rate offset is in the allowed range.
    pub rx1_dr_offset_ack: bool,
}

impl FixedPayload<1> for RxParamSetupAnsPayload {
    fn from_bytes([status]: [u8; 1]) -> Self {
        Self {
            channel_ack: bit(status, 0),
            rx2_data_rate_ack: bit(status, 1),
            rx1_dr_offset_ack: bit(status, 2),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([flag(self.channel_ack, 0)
            | flag(self.rx2_data_rate_ack, 1)
            | flag(self.rx1_dr_offset_ack, 2)])
    }
}
