//! Errors of the band tables: unknown names, out-of-range indexes and channel masks a band
//! cannot express or a device would reject.
//!
//! The ADR engine keeps its own error type in `adr`; this one covers the Regional Parameters.

use crate::Modulation;

/// Errors returned by [`crate::Band`] and the types around it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No band has this configuration name (see [`crate::Band::names`]).
    #[error("unknown band {0:?}")]
    UnknownBand(String),
    /// The band defines no data rate with this index (RFU or out of range).
    #[error("invalid data rate {0}")]
    InvalidDataRate(u8),
    /// The data rate exists but cannot carry a frame under the dwell time limit (for example
    /// AS923 DR0 and DR1 with a 400 ms dwell time).
    #[error("data rate {0} carries no payload under the dwell time limit")]
    NoPayloadAtDataRate(u8),
    /// The RX1DROffset is outside the band's RX1 data rate table.
    #[error("invalid rx1 data rate offset {0}")]
    InvalidRx1DrOffset(u8),
    /// The frequency is outside the band or is not one of its channels.
    #[error("frequency {0} Hz is not in the band")]
    FrequencyNotInBand(u32),
    /// The TXPower index is outside the band's TX power table.
    #[error("invalid tx power index {0}")]
    InvalidTxPower(u8),
    /// No data rate of the band uses this modulation in the requested direction.
    #[error("no data rate for modulation {0:?}")]
    NoDataRateForModulation(Modulation),
    /// A channel index the band (or its configured channels) does not define.
    #[error("channel {0} is not defined")]
    ChannelNotDefined(usize),
    /// A ChMaskCntl value that is RFU in this band.
    #[error("chmaskcntl {0} is not supported by the band")]
    UnsupportedChMaskCntl(u8),
    /// A channel mask that would leave the device without any enabled channel.
    #[error("channel mask enables no channel")]
    NoChannelEnabled,
    /// The band has a fixed channel plan: channels cannot be added or changed
    /// (NewChannelReq and DlChannelReq are not supported).
    #[error("the band has a fixed channel plan")]
    FixedChannelPlan,
    /// A dynamic-channel band holds at most this many channels.
    #[error("too many channels, the band holds at most {max}")]
    TooManyChannels {
        /// Largest number of channels.
        max: usize,
    },
    /// A channel's data rate range is empty or names a data rate the band lacks for uplinks.
    #[error("invalid channel data rate range {min_dr}..={max_dr}")]
    InvalidChannelDataRates {
        /// Lowest data rate of the channel.
        min_dr: u8,
        /// Highest data rate of the channel.
        max_dr: u8,
    },
    /// A channel frequency that is not a multiple of the band's frequency step.
    #[error("frequency {frequency_hz} Hz is not a multiple of {step_hz} Hz")]
    FrequencyNotOnStep {
        /// The frequency.
        frequency_hz: u32,
        /// The band's frequency step (100 Hz, or 200 Hz for ISM2400).
        step_hz: u32,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
