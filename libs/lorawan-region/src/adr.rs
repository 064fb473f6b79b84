//! Network-side adaptive data rate (ADR): after each uplink, decides the data rate, TX power
//! index and NbTrans a device should use, and whether ADR needs a downlink.
//!
//! The engine is pure and deterministic: the caller hands in the device's uplink history,
//! its current settings and the band-derived limits as plain values, and gets a typed
//! decision back. It keeps no state, reads no clock and knows no band table; sending the
//! LinkADRReq and recording the device's LinkADRAns are the network server's job.
//!
//! The algorithm is the SNR-margin one Semtech recommends and ChirpStack
//! (`chirpstack/src/adr/default.rs`) runs: the best SNR over the recent uplinks, less the SNR
//! the data rate needs and an installation margin, is spent in 3 dB steps on a higher data
//! rate first and a lower TX power next; a negative margin raises the TX power. NbTrans
//! follows the packet error rate. [`AdrAlgorithm::LossAware`] additionally holds back on a
//! lossy link.

mod downlink;
mod error;
mod history;
mod limits;
mod steps;

pub use downlink::{AdrDownlink, adr_downlink};
pub use error::{Error, Result};
pub use history::{PacketErrorRate, UplinkRecord};
pub use limits::{AdrLimits, DATA_RATE_COUNT, required_snr_db_for_sf};
pub use steps::{MARGIN_STEP_DB, MAX_NB_TRANS, nb_trans_for_packet_error_rate};

use history::collect_window;
use steps::{apply_steps, margin_steps};

/// Default installation margin in dB, as ChirpStack's region `installation_margin`
/// (The Things Stack's `DefaultADRMargin` is 15 dB).
pub const DEFAULT_INSTALLATION_MARGIN_DB: f32 = 10.0;

/// Default number of uplinks a decision needs, as ChirpStack's `required_history_count` and
/// The Things Stack's `OptimalADRUplinkCount`.
pub const DEFAULT_HISTORY_LEN: usize = 20;

/// Default packet error rate, in percent, at and above which [`AdrAlgorithm::LossAware`]
/// holds back: the rate below which the NbTrans table calls a link clean.
pub const DEFAULT_LOSS_THRESHOLD_PERCENT: u8 = 5;

/// The ADR algorithm a device profile selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AdrAlgorithm {
    /// The SNR-margin algorithm with NbTrans from the packet error rate, as ChirpStack's
    /// default algorithm.
    #[default]
    Default,
    /// The default algorithm, except that while the packet error rate is at or above
    /// [`AdrParams::loss_threshold_percent`] it neither raises the data rate nor lowers the
    /// TX power (a negative margin still raises the power), and it raises NbTrans by at least
    /// one, up to [`MAX_NB_TRANS`].
    ///
    /// The best SNR of a window is an optimistic measure: the frames that were lost are the
    /// ones whose SNR was too low to be received. This variant refuses to spend margin that
    /// lost frames show the link does not have.
    LossAware,
}

impl AdrAlgorithm {
    /// Returns the algorithm's identifier: `"default"` or `"loss_aware"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::LossAware => "loss_aware",
        }
    }
}

impl std::fmt::Display for AdrAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AdrAlgorithm {
    type Err = Error;

    /// Parses an identifier as returned by [`AdrAlgorithm::as_str`].
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "default" => Ok(Self::Default),
            "loss_aware" => Ok(Self::LossAware),
            other => Err(Error::UnknownAlgorithm(other.to_owned())),
        }
    }
}

/// Tuning of the ADR engine, normally from the device profile and network configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdrParams {
    /// Which algorithm decides.
    pub algorithm: AdrAlgorithm,
    /// Margin in dB kept above the required SNR to absorb fading and installation effects.
    pub installation_margin_db: f32,
    /// Distinct uplinks, sent with the current settings, a decision needs; with fewer the
    /// engine changes nothing.
    pub history_len: usize,
    /// Packet error rate in percent at and above which [`AdrAlgorithm::LossAware`] holds back.
    pub loss_threshold_percent: u8,
}

impl Default for AdrParams {
    fn default() -> Self {
        Self {
            algorithm: AdrAlgorithm::Default,
            installation_margin_db: DEFAULT_INSTALLATION_MARGIN_DB,
            history_len: DEFAULT_HISTORY_LEN,
            loss_threshold_percent: DEFAULT_LOSS_THRESHOLD_PERCENT,
        }
    }
}

/// The ADR settings a device uses now, as last acknowledged in a LinkADRAns
/// (LoRaWAN 1.0.4 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceAdrState {
    /// Uplink data rate index.
    pub data_rate: u8,
    /// TX power index; 0 is the highest power.
    pub tx_power_index: u8,
    /// Number of transmissions of each uplink frame.
    pub nb_trans: u8,
}

/// What the engine measured on the uplinks behind a decision.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinkAssessment {
    /// Best SNR in dB over the window.
    pub max_snr_db: f32,
    /// `max_snr_db` less the required SNR and the installation margin, in dB.
    pub margin_db: f32,
    /// Whole [`MARGIN_STEP_DB`] steps in the margin, truncated towards zero, before any
    /// loss-aware hold-back.
    pub steps: i32,
    /// Frame loss over the window.
    pub packet_error_rate: PacketErrorRate,
}

/// Why the engine decided as it did.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AdrReason {
    /// Fewer uplinks were sent with the current settings than a decision needs; nothing
    /// changes.
    NotEnoughHistory {
        /// Distinct uplinks sent with the current settings.
        usable: usize,
        /// Uplinks a decision needs ([`AdrParams::history_len`]).
        required: usize,
    },
    /// Fewer uplinks were sent with the current settings than a decision needs, but the
    /// device uses a data rate below the ADR range: only the data rate changes, raised to
    /// [`AdrLimits::min_data_rate`].
    RaisedToMinDataRate {
        /// Distinct uplinks sent with the current settings.
        usable: usize,
        /// Uplinks a decision needs ([`AdrParams::history_len`]).
        required: usize,
    },
    /// The device uses a data rate above the ADR range (e.g. one set by hand); ADR never
    /// lowers a data rate, so nothing changes.
    DataRateAboveRange {
        /// The device's data rate.
        data_rate: u8,
        /// The highest data rate ADR may assign.
        max_data_rate: u8,
    },
    /// The link margin decided the data rate and TX power, the packet error rate NbTrans.
    LinkMargin(LinkAssessment),
    /// [`AdrAlgorithm::LossAware`] found the packet error rate at or above its threshold:
    /// no data rate increase or power decrease, NbTrans raised.
    LossyLink(LinkAssessment),
}

/// The settings the device should use after an uplink (the LinkADRReq DataRate, TXPower and
/// Redundancy fields, LoRaWAN 1.0.4 §5.3).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdrDecision {
    /// Uplink data rate index.
    pub data_rate: u8,
    /// TX power index; 0 is the highest power.
    pub tx_power_index: u8,
    /// Number of transmissions of each uplink frame.
    pub nb_trans: u8,
    /// Whether any setting differs from the device's current ones, i.e. whether a
    /// LinkADRReq should be sent.
    pub changed: bool,
    /// Why the engine decided so.
    pub reason: AdrReason,
}

impl AdrDecision {
    fn new(
        device: &DeviceAdrState,
        data_rate: u8,
        tx_power_index: u8,
        nb_trans: u8,
        reason: AdrReason,
    ) -> Self {
        Self {
            data_rate,
            tx_power_index,
            nb_trans,
            changed: data_rate != device.data_rate
                || tx_power_index != device.tx_power_index
                || nb_trans != device.nb_trans,
            reason,
        }
    }

    fn unchanged(device: &DeviceAdrState, reason: AdrReason) -> Self {
        Self::new(
            device,
            device.data_rate,
            device.tx_power_index,
            device.nb_trans,
            reason,
        )
    }
}

/// Decides a device's data rate, TX power index and NbTrans from its uplink history
/// (LoRaWAN 1.0.4 §4.3.1.1, network side of ADR).
///
/// `history` is the device's recorded uplinks, oldest first. Only the newest
/// [`AdrParams::history_len`] distinct frames sent with the device's current settings count
/// (see [`UplinkRecord`]); with fewer, nothing changes and the reason says so, except that a
/// device below `limits.min_data_rate` is raised to it.
///
/// With enough history: `margin = max SNR − required SNR − installation margin`, where the
/// required SNR is that of the data rate the device starts from (its current one, or
/// `limits.min_data_rate` if it is below the range: a device below the range is raised to
/// it). `steps = trunc(margin / 3 dB)`. Positive steps raise the data rate up to
/// `limits.max_data_rate`, then raise the TX power index up to `limits.max_tx_power_index`;
/// negative steps lower the TX power index towards 0. The data rate never goes down. NbTrans
/// comes from [`nb_trans_for_packet_error_rate`]; [`AdrAlgorithm::LossAware`] adds its
/// hold-back rule.
///
/// Returns an error when the limits or parameters are unusable, when the device's TX power
/// index is beyond `limits.max_tx_power_index`, or when an uplink in the window carries a
/// non-finite SNR.
pub fn decide(
    history: &[UplinkRecord],
    device: &DeviceAdrState,
    limits: &AdrLimits,
    params: &AdrParams,
) -> Result<AdrDecision> {
    limits.validate()?;
    if params.history_len == 0 {
        return Err(Error::ZeroHistoryLength);
    }
    if !params.installation_margin_db.is_finite() {
        return Err(Error::NonFiniteParameter {
            name: "installation_margin_db",
        });
    }
    if device.tx_power_index > limits.max_tx_power_index {
        return Err(Error::TxPowerIndexAboveMax {
            index: device.tx_power_index,
            max: limits.max_tx_power_index,
        });
    }
    if device.data_rate > limits.max_data_rate {
        let reason = AdrReason::DataRateAboveRange {
            data_rate: device.data_rate,
            max_data_rate: limits.max_data_rate,
        };
        return Ok(AdrDecision::unchanged(device, reason));
    }

    let start_data_rate = device.data_rate.max(limits.min_data_rate);
    let required_snr_db =
        limits
            .required_snr_db(start_data_rate)
            .ok_or(Error::MissingRequiredSnr {
                data_rate: start_data_rate,
            })?;
    if !required_snr_db.is_finite() {
        return Err(Error::NonFiniteParameter {
            name: "required_snr_db",
        });
    }

    let window = collect_window(history, device, params.history_len)?;
    let usable = window.map_or(0, |window| window.uplinks);
    let Some(window) = window.filter(|window| window.uplinks >= params.history_len) else {
        let required = params.history_len;
        if start_data_rate == device.data_rate {
            let reason = AdrReason::NotEnoughHistory { usable, required };
            return Ok(AdrDecision::unchanged(device, reason));
        }
        // The range's minimum is the operator's floor, enforced like the margin path does;
        // waiting for history would not spare the device the raise, only delay it.
        let reason = AdrReason::RaisedToMinDataRate { usable, required };
        return Ok(AdrDecision::new(
            device,
            start_data_rate,
            device.tx_power_index,
            device.nb_trans,
            reason,
        ));
    };

    let margin_db = window.max_snr_db - required_snr_db - params.installation_margin_db;
    let assessment = LinkAssessment {
        max_snr_db: window.max_snr_db,
        margin_db,
        steps: margin_steps(margin_db),
        packet_error_rate: window.packet_error_rate,
    };
    let mut steps = assessment.steps;
    let mut nb_trans = nb_trans_for_packet_error_rate(device.nb_trans, &window.packet_error_rate);
    let lossy = params.algorithm == AdrAlgorithm::LossAware
        && !window
            .packet_error_rate
            .is_below_percent(params.loss_threshold_percent);
    if lossy {
        steps = steps.min(0);
        let one_more = device.nb_trans.saturating_add(1).clamp(1, MAX_NB_TRANS);
        nb_trans = nb_trans.max(one_more);
    }

    let (data_rate, tx_power_index) = apply_steps(
        steps,
        start_data_rate,
        device.tx_power_index,
        limits.max_data_rate,
        limits.max_tx_power_index,
    );
    let reason = if lossy {
        AdrReason::LossyLink(assessment)
    } else {
        AdrReason::LinkMargin(assessment)
    };
    Ok(AdrDecision::new(
        device,
        data_rate,
        tx_power_index,
        nb_trans,
        reason,
    ))
}

#[cfg(test)]
mod tests;
