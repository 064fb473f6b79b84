//! Rejoin control of LoRaWAN 1.1: ForceRejoinReq (CID 0x0E, §5.13) makes a device send
//! Rejoin-requests now, and RejoinParamSetupReq/Ans (CID 0x0F, §5.14) sets how often it sends
//! type 0 Rejoin-requests on its own.
//!
//! ForceRejoinReq has no answer. Timing (the random delay, the retry loop) is device behaviour and
//! not modelled here.

use super::wire::{FixedPayload, bit, check_bits, flag};
use crate::Result;

/// ForceRejoinReq payload (downlink, CID 0x0E), LoRaWAN 1.1 §5.13.
///
/// The spec draws the payload as one 16-bit field: `RFU(2) | Period(3) | Max_Retries(3) | RFU(1)
/// | RejoinType(3) | DR(4)`. Implementations disagree on its byte order: LoRaMac-node (the
/// reference end-device stack) and The Things Stack send Period and Max_Retries in the first
/// byte, ChirpStack sends RejoinType and DR first. This codec follows the device reference, so
/// that devices in the field understand it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ForceRejoinReqPayload {
    /// Period (3 bits, 0..=7): the device waits `32 s × 2^period` plus up to 32 s between tries.
    pub period: u8,
    /// Max_Retries (3 bits, 0..=7): retransmissions after the first Rejoin-request; 0 sends one.
    pub max_retries: u8,
    /// RejoinType (3 bits): 0 or 1 send a type 0 Rejoin-request, 2 a type 2; 3..=7 are RFU.
    pub rejoin_type: u8,
    /// DR (4 bits, 0..=15): data rate index for the Rejoin-requests.
    pub data_rate: u8,
}

impl FixedPayload<2> for ForceRejoinReqPayload {
    fn from_bytes([period_retries, type_dr]: [u8; 2]) -> Self {
        Self {
            period: (period_retries >> 3) & 0x07,
            max_retries: period_retries & 0x07,
            rejoin_type: (type_dr >> 4) & 0x07,
            data_rate: type_dr & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 2]> {
        let period = check_bits("Period", self.period, 3)?;
        let max_retries = check_bits("Max_Retries", self.max_retries, 3)?;
        let rejoin_type = check_bits("RejoinType", self.rejoin_type, 3)?;
        let data_rate = check_bits("DR", self.data_rate, 4)?;
        Ok([(period << 3) | max_retries, (rejoin_type << 4) | data_rate])
    }
}

/// RejoinParamSetupReq payload (downlink, CID 0x0F), LoRaWAN 1.1 §5.14.
///
/// Wire layout (1 byte): `MaxTimeN(4) | MaxCountN(4)`. The device sends a type 0
/// Rejoin-request at least every `2^(max_count_n + 4)` uplinks or `2^(max_time_n + 10)` seconds,
/// whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RejoinParamSetupReqPayload {
    /// MaxTimeN (4 bits, 0..=15): time limit exponent, see [`Self::max_time_secs`].
    pub max_time_n: u8,
    /// MaxCountN (4 bits, 0..=15): uplink count exponent, see [`Self::max_count`].
    pub max_count_n: u8,
}

impl RejoinParamSetupReqPayload {
    /// Returns the time limit in seconds, `2^(max_time_n + 10)`, or `None` if `max_time_n`
    /// exceeds 15.
    pub fn max_time_secs(&self) -> Option<u32> {
        (self.max_time_n <= 15).then(|| 1 << (self.max_time_n + 10))
    }

    /// Returns the uplink count limit, `2^(max_count_n + 4)`, or `None` if `max_count_n`
    /// exceeds 15.
    pub fn max_count(&self) -> Option<u32> {
        (self.max_count_n <= 15).then(|| 1 << (self.max_count_n + 4))
    }
}

impl FixedPayload<1> for RejoinParamSetupReqPayload {
    fn from_bytes([param]: [u8; 1]) -> Self {
        Self {
            max_time_n: param >> 4,
            max_count_n: param & 0x0f,
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        let max_time_n = check_bits("MaxTimeN", self.max_time_n, 4)?;
        let max_count_n = check_bits("MaxCountN", self.max_count_n, 4)?;
        Ok([(max_time_n << 4) | max_count_n])
    }
}

/// RejoinParamSetupAns payload (uplink, CID 0x0F), LoRaWAN 1.1 §5.14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RejoinParamSetupAnsPayload {
    /// TimeOK (bit 0): the device accepted the time limit; when false it applies only the count
    /// limit.
    pub time_ok: bool,
}

impl FixedPayload<1> for RejoinParamSetupAnsPayload {
    fn from_bytes([status]: [u8; 1]) -> Self {
        Self {
            time_ok: bit(status, 0),
        }
    }

    fn to_bytes(&self) -> Result<[u8; 1]> {
        Ok([flag(self.time_ok, 0)])
    }
}
