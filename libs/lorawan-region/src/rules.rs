//! The small rule enums and value types the band tables are made of: the RX1 frequency rule,
//! the LinkADRReq channel mask semantics, receive windows, default timings, class B beacon
//! defaults and regulatory sub-bands.
//!
//! Each band picks a rule; the rules themselves hold no band-specific branches.

use std::time::Duration;

use lorawan_codec::{DevAddr, DwellTime};

use crate::ChannelGroup;

/// Which Regional Parameters document a band table implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Revision {
    /// LoRaWAN Regional Parameters RP002-1.0.4.
    #[cfg_attr(feature = "serde", serde(rename = "RP002-1.0.4"))]
    Rp002V1_0_4,
    /// LoRaWAN Regional Parameters RP002-1.0.3 (CN779-787, which RP002-1.0.4 no longer
    /// lists).
    #[cfg_attr(feature = "serde", serde(rename = "RP002-1.0.3"))]
    Rp002V1_0_3,
    /// Semtech's LoRaWAN 2.4 GHz ISM band parameters, which the LoRa Alliance documents do
    /// not cover.
    #[cfg_attr(feature = "serde", serde(rename = "ISM2400"))]
    Ism2400,
}

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Rp002V1_0_4 => "RP002-1.0.4",
            Self::Rp002V1_0_3 => "RP002-1.0.3",
            Self::Ism2400 => "ISM2400",
        })
    }
}

/// How the RX1 frequency follows from the uplink (RP002-1.0.4, each band's receive windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Rx1FrequencyRule {
    /// RX1 uses the uplink frequency (dynamic-channel bands).
    SameAsUplink,
    /// RX1 uses downlink channel `uplink channel index mod number of downlink channels`;
    /// the downlink channels are numbered across `groups` (US902-928, AU915-928: 8 channels
    /// from 923.3 MHz, 600 kHz apart; CN470-510: one per plan).
    DownlinkChannels {
        /// Runs of downlink channels, numbered in order.
        groups: &'static [ChannelGroup],
    },
}

/// What ChMaskCntl means in a LinkADRReq (RP002-1.0.4, each band's LinkAdrReq section:
/// §2.5.5 for US902-928, §2.8.5 for AU915-928).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ChMaskRule {
    /// Dynamic-channel bands: 0 applies ChMask to channels 0 to 15; 6 enables every defined
    /// channel whatever ChMask holds; other values are RFU.
    Dynamic,
    /// US902-928 and AU915-928 (64 narrow + 8 wide channels): 0 to 3 apply ChMask to
    /// channels 16n to 16n+15; 4 to channels 64 to 71; 5 makes bit n of the low byte
    /// enable or disable block n (channels 8n to 8n+7 and 64+n); 6 enables all 125 kHz
    /// channels and 7 disables them, ChMask applying to channels 64 to 71 in both.
    Fixed64Plus8,
    /// CN470-510 (RP002-1.0.4 §2.9): ChMaskCntl below `blocks` applies ChMask to channels
    /// 16n to 16n+15; `all_on` enables and `all_off` disables every channel; the rest is RFU.
    FixedBlocks {
        /// Number of 16-channel blocks.
        blocks: u8,
        /// ChMaskCntl value that enables every channel.
        all_on: u8,
        /// ChMaskCntl value that disables every channel.
        all_off: u8,
    },
}

/// Frequency and data rate of a receive window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RxWindow {
    /// Frequency in Hz.
    pub frequency_hz: u32,
    /// Data rate index.
    pub data_rate: u8,
}

/// Dwell time limits of both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DwellTimes {
    /// Uplink dwell time limit.
    pub uplink: DwellTime,
    /// Downlink dwell time limit.
    pub downlink: DwellTime,
}

/// Default timings and counters, RP002-1.0.4 §2.3 "Default settings" (the same for every
/// band).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timing {
    /// RECEIVE_DELAY1.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub receive_delay1: Duration,
    /// RECEIVE_DELAY2 (RECEIVE_DELAY1 + 1 s).
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub receive_delay2: Duration,
    /// JOIN_ACCEPT_DELAY1.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub join_accept_delay1: Duration,
    /// JOIN_ACCEPT_DELAY2.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub join_accept_delay2: Duration,
    /// MAX_FCNT_GAP.
    pub max_fcnt_gap: u32,
    /// ADR_ACK_LIMIT.
    pub adr_ack_limit: u16,
    /// ADR_ACK_DELAY.
    pub adr_ack_delay: u16,
    /// Lower bound of RETRANSMIT_TIMEOUT (2 s ± 1 s).
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub retransmit_timeout_min: Duration,
    /// Upper bound of RETRANSMIT_TIMEOUT.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub retransmit_timeout_max: Duration,
    /// CLASS_B_RESP_TIMEOUT.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub class_b_resp_timeout: Duration,
    /// CLASS_C_RESP_TIMEOUT.
    #[cfg_attr(feature = "serde", serde(with = "humantime_serde"))]
    pub class_c_resp_timeout: Duration,
}

impl Timing {
    /// The RP002-1.0.4 §2.3 default settings.
    pub const RP002: Self = Self {
        receive_delay1: Duration::from_secs(1),
        receive_delay2: Duration::from_secs(2),
        join_accept_delay1: Duration::from_secs(5),
        join_accept_delay2: Duration::from_secs(6),
        max_fcnt_gap: 16_384,
        adr_ack_limit: 64,
        adr_ack_delay: 32,
        retransmit_timeout_min: Duration::from_secs(1),
        retransmit_timeout_max: Duration::from_secs(3),
        class_b_resp_timeout: Duration::from_secs(8),
        class_c_resp_timeout: Duration::from_secs(8),
    };
}

/// Class B beacon and ping-slot defaults (RP002-1.0.4, each band's class B beacon section).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BeaconDefaults {
    /// Data rate of the beacon.
    pub data_rate: u8,
    /// Beacon frequencies in Hz; with several, the beacon hops (see
    /// [`Self::beacon_frequency`]). Empty where the band makes them depend on the device's
    /// join channel (CN470-510 20 MHz plans).
    pub frequencies_hz: Vec<u32>,
    /// Default data rate of the ping slots (the beacon data rate).
    pub ping_slot_data_rate: u8,
    /// Default ping-slot frequencies in Hz; with several, the ping slot hops (see
    /// [`Self::ping_slot_frequency`]).
    pub ping_slot_frequencies_hz: Vec<u32>,
}

impl BeaconDefaults {
    /// Beacon period in seconds, LoRaWAN 1.0.4 class B.
    pub const BEACON_PERIOD_SECS: u64 = 128;

    /// Returns the beacon frequency for the beacon sent at `beacon_time_secs` (GPS seconds):
    /// channel `floor(beacon_time / 128) mod n` (RP002-1.0.4 §2.5, US902-928 beacon).
    pub fn beacon_frequency(&self, beacon_time_secs: u64) -> Option<u32> {
        hop(
            &self.frequencies_hz,
            beacon_time_secs / Self::BEACON_PERIOD_SECS,
        )
    }

    /// Returns the default ping-slot frequency of `dev_addr` in the beacon period starting at
    /// `beacon_time_secs`: channel `(DevAddr + floor(beacon_time / 128)) mod n`,
    /// RP002-1.0.4 §2.5, US902-928 ping slots.
    pub fn ping_slot_frequency(&self, dev_addr: DevAddr, beacon_time_secs: u64) -> Option<u32> {
        let step = u64::from(dev_addr.to_u32()) + beacon_time_secs / Self::BEACON_PERIOD_SECS;
        hop(&self.ping_slot_frequencies_hz, step)
    }
}

fn hop(frequencies: &[u32], step: u64) -> Option<u32> {
    let n = u64::try_from(frequencies.len()).ok().filter(|&n| n > 0)?;
    let index = usize::try_from(step % n).ok()?;
    frequencies.get(index).copied()
}

/// A regulatory sub-band: frequency range, transmit duty cycle and maximum EIRP.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DutyCycleSubBand {
    /// Lowest frequency in Hz (inclusive).
    pub min_hz: u32,
    /// Highest frequency in Hz (inclusive).
    pub max_hz: u32,
    /// Largest share of time a transmitter may be on, 0 to 1 (1 for no limit).
    pub duty_cycle: f32,
    /// Maximum EIRP in dBm.
    pub max_eirp_dbm: f32,
}

impl DutyCycleSubBand {
    /// Returns whether the sub-band contains `frequency_hz`.
    pub fn contains(&self, frequency_hz: u32) -> bool {
        (self.min_hz..=self.max_hz).contains(&frequency_hz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_slot_hops_with_dev_addr_and_beacon_time() {
        // US902-928 beacon channels, RP002-1.0.4 §2.5: 923.3 MHz + 600 kHz n.
        let frequencies: Vec<u32> = (0..8).map(|n| 923_300_000 + 600_000 * n).collect();
        let beacon = BeaconDefaults {
            data_rate: 8,
            frequencies_hz: frequencies.clone(),
            ping_slot_data_rate: 8,
            ping_slot_frequencies_hz: frequencies,
        };
        assert_eq!(beacon.beacon_frequency(0), Some(923_300_000));
        assert_eq!(beacon.beacon_frequency(128 * 9), Some(923_900_000));
        let dev_addr = DevAddr::from_u32(3);
        assert_eq!(beacon.ping_slot_frequency(dev_addr, 128), Some(925_700_000));
        let empty = BeaconDefaults {
            frequencies_hz: Vec::new(),
            ..beacon
        };
        assert_eq!(empty.beacon_frequency(0), None);
    }
}
