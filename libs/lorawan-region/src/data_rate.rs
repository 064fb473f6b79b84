//! Data rates: the modulation behind each DataRate index, which directions may use it, and the
//! maximum MACPayload (M) and application payload (N) sizes, from the data rate and maximum
//! payload size tables of each band in RP002-1.0.4.
//!
//! This module holds the value types and the const constructors the band tables use; it does
//! not know any band.

use lorawan_codec::DwellTime;

/// LoRa forward error correction coding rate of a data rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CodingRate {
    /// 4/5, used by every sub-GHz band (RP002-1.0.4).
    #[cfg_attr(feature = "serde", serde(rename = "4/5"))]
    Cr4_5,
    /// 4/8 with long interleaving, used by the 2.4 GHz band.
    #[cfg_attr(feature = "serde", serde(rename = "4/8LI"))]
    Cr4_8Li,
}

/// Coding rate of an LR-FHSS data rate, RP002-1.0.4 §2.4 (EU863-870) and §2.5 (US902-928).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum LrFhssCodingRate {
    /// CR 1/3 (2/6 in some documents).
    #[cfg_attr(feature = "serde", serde(rename = "1/3"))]
    Cr1_3,
    /// CR 2/3 (4/6 in some documents).
    #[cfg_attr(feature = "serde", serde(rename = "2/3"))]
    Cr2_3,
}

/// The modulation a DataRate index stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "modulation", rename_all = "snake_case")
)]
pub enum Modulation {
    /// LoRa chirp spread spectrum.
    Lora {
        /// Spreading factor, 5 to 12.
        spreading_factor: u8,
        /// Bandwidth in Hz (125 000, 250 000, 500 000, or 812 000 at 2.4 GHz).
        bandwidth_hz: u32,
        /// Coding rate.
        coding_rate: CodingRate,
    },
    /// GFSK.
    Fsk {
        /// Bit rate in bit/s.
        bit_rate: u32,
    },
    /// Long Range Frequency Hopping Spread Spectrum (uplink only).
    LrFhss {
        /// Occupied channel width in Hz (137 000, 336 000 or 1 523 000).
        occupied_channel_width_hz: u32,
        /// Coding rate.
        coding_rate: LrFhssCodingRate,
    },
}

/// One DataRate index of a band: its modulation and the directions that may use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DataRate {
    /// The modulation.
    pub modulation: Modulation,
    /// Whether uplinks may use this data rate.
    pub uplink: bool,
    /// Whether downlinks may use this data rate.
    pub downlink: bool,
}

/// Maximum payload sizes at a data rate, RP002-1.0.4 "maximum payload size" tables.
///
/// `n` is `m` less the 8 bytes of an FHDR without FOpts and the FPort byte: the largest
/// FRMPayload when no MAC commands ride in FOpts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MaxPayload {
    /// M: the largest MACPayload in bytes.
    pub m: u8,
    /// N: the largest application payload (FRMPayload) without FOpts, in bytes.
    pub n: u8,
}

impl MaxPayload {
    /// Bytes of FHDR (without FOpts) plus FPort that separate M from N.
    pub const OVERHEAD: u8 = 8;

    /// Returns the sizes for a largest MACPayload of `m` bytes, or `None` when `m` cannot
    /// even hold the FHDR and FPort.
    pub const fn from_m(m: u8) -> Option<Self> {
        match m.checked_sub(Self::OVERHEAD) {
            Some(n) if m > Self::OVERHEAD => Some(Self { m, n }),
            _ => None,
        }
    }
}

/// One row of a band's data rate table: the public data rate plus its payload limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DataRateEntry {
    pub data_rate: DataRate,
    /// M without a dwell time limit; 0 where the band gives none ("N/A").
    pub max_mac_payload: u8,
    /// M with a 400 ms dwell time limit; 0 where the band gives none.
    pub max_mac_payload_dwell: u8,
}

impl DataRateEntry {
    /// Returns M for the dwell time setting, 0 for "not allowed".
    pub(crate) const fn max_mac_payload(&self, dwell: DwellTime) -> u8 {
        match dwell {
            DwellTime::NoLimit => self.max_mac_payload,
            DwellTime::Limit400Ms => self.max_mac_payload_dwell,
        }
    }

    /// Sets M under a 400 ms dwell time limit (AS923, AU915).
    pub(crate) const fn dwell(self, max_mac_payload_dwell: u8) -> Self {
        Self {
            max_mac_payload_dwell,
            ..self
        }
    }

    /// Marks the data rate uplink-only.
    pub(crate) const fn uplink_only(self) -> Self {
        Self {
            data_rate: DataRate {
                downlink: false,
                ..self.data_rate
            },
            ..self
        }
    }

    /// Marks a data rate that the table lists but no direction may use.
    pub(crate) const fn unusable(self) -> Self {
        self.uplink_only().downlink_only()
    }

    /// Marks the data rate downlink-only.
    pub(crate) const fn downlink_only(self) -> Self {
        Self {
            data_rate: DataRate {
                uplink: false,
                ..self.data_rate
            },
            ..self
        }
    }
}

const fn entry(modulation: Modulation, max_mac_payload: u8) -> DataRateEntry {
    DataRateEntry {
        data_rate: DataRate {
            modulation,
            uplink: true,
            downlink: true,
        },
        max_mac_payload,
        max_mac_payload_dwell: max_mac_payload,
    }
}

/// A LoRa data rate with coding rate 4/5, usable both ways, M the same with and without
/// dwell time.
pub(crate) const fn lora(spreading_factor: u8, bandwidth_hz: u32, m: u8) -> DataRateEntry {
    entry(
        Modulation::Lora {
            spreading_factor,
            bandwidth_hz,
            coding_rate: CodingRate::Cr4_5,
        },
        m,
    )
}

/// A 2.4 GHz LoRa data rate: 812 kHz, coding rate 4/8 with long interleaving.
pub(crate) const fn lora_2g4(spreading_factor: u8, m: u8) -> DataRateEntry {
    entry(
        Modulation::Lora {
            spreading_factor,
            bandwidth_hz: 812_000,
            coding_rate: CodingRate::Cr4_8Li,
        },
        m,
    )
}

/// The 50 kbit/s GFSK data rate.
pub(crate) const fn fsk_50k(m: u8) -> DataRateEntry {
    entry(Modulation::Fsk { bit_rate: 50_000 }, m)
}

/// An LR-FHSS data rate (uplink only).
pub(crate) const fn lr_fhss(
    occupied_channel_width_hz: u32,
    coding_rate: LrFhssCodingRate,
    m: u8,
) -> DataRateEntry {
    entry(
        Modulation::LrFhss {
            occupied_channel_width_hz,
            coding_rate,
        },
        m,
    )
    .uplink_only()
}

/// RX1 data rate table of a band: row `uplink_dr`, column RX1DROffset, value the downlink
/// data rate. An empty row marks an uplink data rate the table does not cover.
pub(crate) type Rx1DrTable = &'static [&'static [u8]];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_is_m_less_fhdr_and_fport() {
        assert_eq!(MaxPayload::from_m(59), Some(MaxPayload { m: 59, n: 51 }));
        assert_eq!(MaxPayload::from_m(250), Some(MaxPayload { m: 250, n: 242 }));
        assert_eq!(MaxPayload::from_m(8), None);
        assert_eq!(MaxPayload::from_m(0), None);
    }

    #[test]
    fn dwell_time_selects_the_limited_size() {
        let dr = lora(10, 125_000, 59).dwell(19);
        assert_eq!(dr.max_mac_payload(DwellTime::NoLimit), 59);
        assert_eq!(dr.max_mac_payload(DwellTime::Limit400Ms), 19);
        assert!(
            !lr_fhss(137_000, LrFhssCodingRate::Cr1_3, 58)
                .data_rate
                .downlink
        );
    }
}
