//! A device's uplink history as the ADR engine sees it, and the measurements taken from it:
//! the best SNR and the packet error rate over the uplinks sent with the current settings.
//!
//! It holds no storage: the caller keeps the history (e.g. in the device session) and hands
//! it in oldest first.

use super::DeviceAdrState;
use super::error::{Error, Result};

/// One received uplink, as recorded for ADR after deduplication across gateways.
///
/// The settings fields (`data_rate`, `tx_power_index`, `nb_trans`) are those the device used
/// for this uplink; only uplinks sent with the device's current settings count towards a
/// decision. `max_rssi_dbm` and `gateway_count` are not used by the SNR-margin algorithms;
/// they are kept so that one record serves operators and later algorithms alike.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UplinkRecord {
    /// Full 32-bit uplink frame counter (FCntUp, LoRaWAN 1.0.4 §4.3.1.5).
    pub f_cnt: u32,
    /// Best SNR in dB over every gateway that received the uplink.
    pub max_snr_db: f32,
    /// Best RSSI in dBm over every gateway that received the uplink.
    pub max_rssi_dbm: f32,
    /// Number of gateways that received the uplink.
    pub gateway_count: u16,
    /// Data rate index the uplink was sent at.
    pub data_rate: u8,
    /// TX power index the device was using (LinkADRReq TXPower, LoRaWAN 1.0.4 §5.3).
    pub tx_power_index: u8,
    /// NbTrans the device was using (LinkADRReq Redundancy, LoRaWAN 1.0.4 §5.3).
    pub nb_trans: u8,
}

impl UplinkRecord {
    fn sent_with(&self, device: &DeviceAdrState) -> bool {
        self.data_rate == device.data_rate
            && self.tx_power_index == device.tx_power_index
            && self.nb_trans == device.nb_trans
    }
}

/// Share of uplink frames lost, from the gaps between consecutive frame counters.
///
/// A frame is lost when none of its NbTrans transmissions reached any gateway. The rate is
/// `lost / expected`, where `expected` spans the first to the last frame counter of the
/// window (The Things Stack `adrLossRate` counts the same way; ChirpStack divides by the
/// number of received frames instead, which reads slightly higher).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PacketErrorRate {
    /// Frames missing from the counter sequence.
    pub lost: u64,
    /// Frames the device sent over the window (received plus lost).
    pub expected: u64,
}

impl PacketErrorRate {
    /// Returns the rate in percent, 0 for an empty window.
    pub fn percent(&self) -> f32 {
        if self.expected == 0 {
            return 0.0;
        }
        // Counts stay far below 2^24 in practice; the conversion only rounds beyond that.
        (self.lost as f64 * 100.0 / self.expected as f64) as f32
    }

    /// Tells whether the rate is strictly below `percent`, in exact integer arithmetic; an
    /// empty window counts as 0 %.
    pub fn is_below_percent(&self, percent: u8) -> bool {
        if self.expected == 0 {
            return percent > 0;
        }
        // u64 * 100 cannot overflow: both counts are bounded by 2^32.
        self.lost * 100 < u64::from(percent) * self.expected
    }
}

/// The measurements taken from the uplinks sent with the device's current settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Window {
    /// Distinct frames in the window.
    pub uplinks: usize,
    /// Best SNR over the window, in dB.
    pub max_snr_db: f32,
    /// Frame loss over the window.
    pub packet_error_rate: PacketErrorRate,
}

/// Collects the newest `len` distinct frames sent with the device's current settings.
///
/// Walking back from the newest record, the window ends at the first record sent with other
/// settings (the measurements before a change do not describe the current link) or whose
/// frame counter is higher than a newer one's (a session or counter reset). A record whose
/// counter equals a newer one's is another copy of the same frame: its SNR counts, it does
/// not count as a frame. Returns `None` when the history holds no such record.
pub(crate) fn collect_window(
    history: &[UplinkRecord],
    device: &DeviceAdrState,
    len: usize,
) -> Result<Option<Window>> {
    let mut uplinks = 0usize;
    let mut newest_f_cnt = None;
    let mut oldest_f_cnt = u32::MAX;
    let mut max_snr_db = f32::NEG_INFINITY;

    for record in history.iter().rev() {
        if !record.sent_with(device) {
            break;
        }
        let repeat = newest_f_cnt.is_some() && record.f_cnt == oldest_f_cnt;
        if !repeat && (uplinks == len || (newest_f_cnt.is_some() && record.f_cnt > oldest_f_cnt)) {
            break;
        }
        if !record.max_snr_db.is_finite() {
            return Err(Error::NonFiniteSnr {
                f_cnt: record.f_cnt,
            });
        }
        max_snr_db = max_snr_db.max(record.max_snr_db);
        if !repeat {
            uplinks += 1;
            oldest_f_cnt = record.f_cnt;
            newest_f_cnt.get_or_insert(record.f_cnt);
        }
    }

    let Some(newest_f_cnt) = newest_f_cnt else {
        return Ok(None);
    };
    let expected = u64::from(newest_f_cnt - oldest_f_cnt) + 1;
    Ok(Some(Window {
        uplinks,
        max_snr_db,
        packet_error_rate: PacketErrorRate {
            lost: expected - uplinks as u64,
            expected,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICE: DeviceAdrState = DeviceAdrState {
        data_rate: 3,
        tx_power_index: 1,
        nb_trans: 1,
    };

    fn record(f_cnt: u32, max_snr_db: f32) -> UplinkRecord {
        UplinkRecord {
            f_cnt,
            max_snr_db,
            max_rssi_dbm: -100.0,
            gateway_count: 1,
            data_rate: DEVICE.data_rate,
            tx_power_index: DEVICE.tx_power_index,
            nb_trans: DEVICE.nb_trans,
        }
    }

    #[test]
    fn empty_history_yields_no_window() {
        assert_eq!(collect_window(&[], &DEVICE, 20), Ok(None));
    }

    #[test]
    fn counts_lost_frames_from_counter_gaps() {
        // History shape from ChirpStack chirpstack/src/adr/default.rs
        // `test_get_packet_loss_percentage`: 20 frames with two one-frame gaps. ChirpStack
        // reports 10 % (2 / 20 received); counted against the 22 frames sent it is 2 / 22.
        let history: Vec<_> = (0..20u32)
            .map(|i| match i {
                0..5 => i,
                5..10 => i + 1,
                _ => i + 2,
            })
            .map(|f_cnt| record(f_cnt, 0.0))
            .collect();
        let window = collect_window(&history, &DEVICE, 20).unwrap().unwrap();
        assert_eq!(window.uplinks, 20);
        assert_eq!(
            window.packet_error_rate,
            PacketErrorRate {
                lost: 2,
                expected: 22
            }
        );
        assert!(window.packet_error_rate.is_below_percent(10));
        assert!(!window.packet_error_rate.is_below_percent(9));
    }

    #[test]
    fn keeps_only_the_newest_frames_up_to_the_length() {
        let history = [record(1, 9.0), record(2, 1.0), record(3, 2.0)];
        let window = collect_window(&history, &DEVICE, 2).unwrap().unwrap();
        assert_eq!(window.uplinks, 2);
        assert_eq!(window.max_snr_db, 2.0);
    }

    #[test]
    fn stops_at_an_uplink_sent_with_other_settings() {
        let mut older = record(1, 9.0);
        older.data_rate = 2;
        let history = [older, record(2, 1.0), record(3, 2.0)];
        let window = collect_window(&history, &DEVICE, 20).unwrap().unwrap();
        assert_eq!(window.uplinks, 2);
        assert_eq!(window.max_snr_db, 2.0);
    }

    #[test]
    fn stops_at_a_counter_reset() {
        let history = [record(50, 9.0), record(0, 1.0), record(1, 2.0)];
        let window = collect_window(&history, &DEVICE, 20).unwrap().unwrap();
        assert_eq!(window.uplinks, 2);
        assert_eq!(window.packet_error_rate.lost, 0);
    }

    #[test]
    fn repeated_frame_counts_its_snr_but_not_as_a_frame() {
        let history = [
            record(1, 0.0),
            record(2, 7.0),
            record(2, 1.0),
            record(3, 2.0),
        ];
        let window = collect_window(&history, &DEVICE, 20).unwrap().unwrap();
        assert_eq!(window.uplinks, 3);
        assert_eq!(window.max_snr_db, 7.0);
        assert_eq!(window.packet_error_rate.lost, 0);
    }

    #[test]
    fn rejects_non_finite_snr_in_the_window() {
        let history = [record(1, f32::NAN), record(2, 1.0)];
        assert_eq!(
            collect_window(&history, &DEVICE, 20),
            Err(Error::NonFiniteSnr { f_cnt: 1 })
        );
        // Outside the window it does not matter.
        assert!(collect_window(&history, &DEVICE, 1).is_ok());
    }

    #[test]
    fn packet_error_rate_percent_and_thresholds() {
        let table = [
            (0, 20, 0.0, true),
            (1, 20, 5.0, false),
            (1, 21, 100.0 / 21.0, true),
            (3, 10, 30.0, false),
            (0, 0, 0.0, true),
        ];
        for (lost, expected, percent, below_five) in table {
            let per = PacketErrorRate { lost, expected };
            assert_eq!(per.percent(), percent as f32, "{lost}/{expected}");
            assert_eq!(per.is_below_percent(5), below_five, "{lost}/{expected}");
        }
    }
}
