//! LinkADRReq and LinkADRAns (CID 0x03): the network sets a device's data rate, TX power,
//! channel mask and number of transmissions, LoRaWAN 1.0.4 §5.2 and 1.1 §5.3.
//!
//! The fields are region-specific indexes; this module only moves them to and from their bits.
//! Building a request for a channel plan (which ChMaskCntl, which DR) is the region crate's job.

use super::wire::{FixedPayload, bit, check_bits, flag};
use crate::Result;

/// LinkADRReq payload (downlink, CID 0x03), LoRaWAN 1.0.4 §5.2.
///
/// Wire layout (4 bytes): `DataRate << 4 | TXPower`, `ChMask` (16 bits, little-endian), and the
/// Redundancy byte `RFU(1) | ChMaskCntl(3) | NbTrans(4)`.
/// Several LinkADRReq in one frame form a block the device applies atomically; it takes the
/// channel mask from all of them and DataRate, TXPower and NbTrans from the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinkAdrReqPayload {
    /// DataRate (4 bits, 0..=15): index into the region's data rate table.
    /// 15 asks the device to keep its current data rate (LoRaWAN 1.0.4).
    pub data_rate: u8,
    /// TXPower (4 bits, 0..=15): index into the region's TX power table (0 is the maximum).
    /// 15 asks the device to keep its current power (LoRaWAN 1.0.4).
    pub tx_power: u8,
    /// ChMask: bit `i` (least significant first) enables channel `i` of the 16-channel block
    /// that `ch_mask_cntl` selects.
    pub ch_mask: u16,
    /// ChMaskCntl (3 bits, 0..=7): which block `ch_mask` applies to, or a region-specific
    /// command such as "all 125 kHz channels on" (RP002).
    pub ch_mask_cntl: u8,
    /// NbTrans (4 bits, 0..=15): how many times the device sends each unconfirmed uplink.
    /// 0 asks the device to keep its current value (LoRaWAN 1.0.4; earlier versions reset to 1).
    pub nb_trans: u8,
}

impl FixedPayload<4> for LinkAdrReqPayload {
    fn from_bytes([dr_tx_power, mask_lo, mask_hi, redundancy]: [u8; 4]) -> Self {
        Self {
            data_rate: dr_tx_power >> 4,
            tx_power: dr_tx_power & 0x0f,
            ch_mask: u16::from_le_bytes([mask_lo, mask_hi]),
            ch_mask_cntl: (redundancy >> 4) & 0x07,
            nb_trans: redundancy & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 4]> {
        let data_rate = check_bits("DataRate", self.data_rate, 4)?;
        let tx_power = check_bits("TXPower", self.tx_power, 4)?;
        let ch_mask_cntl = check_bits("ChMaskCntl", self.ch_mask_cntl, 3)?;
        let nb_trans = check_bits("NbTrans", self.nb_trans, 4)?;
        let [mask_lo, mask_hi] = self.ch_mask.to_le_bytes();
        Ok([
            (data_rate << 4) | tx_power,
            mask_lo,
            mask_hi,
            (ch_mask_cntl << 4) | nb_trans,
        ])
    }
}

/// LinkADRAns payload (uplink, CID 0x03): which parts of a LinkADRReq the device accepted,
/// LoRaWAN 1.0.4 §5.2. The device applies the request only when all three are true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinkAdrAnsPayload {
    /// Channel mask ACK (bit 0): the channel mask enables only defined channels.
    pub channel_mask_ack: bool,
    /// Data rate ACK (bit 1): the data rate is possible on the enabled channels.
    pub data_rate_ack: bool,
    /// Power ACK (bit 2): the TX power index is valid for the device.
    pub power_ack: bool,
}

impl FixedPayload<1> for LinkAdrAnsPayload {
    fn from_bytes([status]: [u8; 1]) -> Self {
        Self {
            channel_mask_ack: bit(status, 0),
            data_rate_ack: bit(status, 1),
            power_ack: bit(status, 2),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok(
            [flag(self.channel_mask_ack, 0)
                | flag(self.data_rate_ack, 1)
                | flag(self.power_ack, 2)],
        )
    }
}
