//! The ADR engine's error type: every way the caller's limits, parameters or history can be
//! unusable.
//!
//! It is separate from the crate-wide band error so that the ADR engine stands on its own;
//! no variant holds device identifiers, so errors are safe to log and count.

/// Errors returned by the ADR engine when its inputs cannot yield a decision.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The ADR data rate range is empty or reaches past DR15, the largest DataRate field value
    /// of LinkADRReq (LoRaWAN 1.0.4 §5.3).
    #[error("invalid ADR data rate range DR{min}..=DR{max}")]
    InvalidDataRateRange {
        /// Lowest data rate ADR may use.
        min: u8,
        /// Highest data rate ADR may use.
        max: u8,
    },
    /// The device's TX power index lies beyond the band's largest index, so its session or
    /// the band limits passed in are wrong (RP002-1.0.4, the band's TXPower table).
    #[error("tx power index {index} above band maximum {max}")]
    TxPowerIndexAboveMax {
        /// The device's current TX power index.
        index: u8,
        /// The band's largest TX power index.
        max: u8,
    },
    /// No required demodulation SNR was given for a data rate the engine must evaluate.
    #[error("no required snr for DR{data_rate}")]
    MissingRequiredSnr {
        /// The data rate lacking a value.
        data_rate: u8,
    },
    /// A spreading factor has no known demodulation floor (only LoRa SF6 to SF12 at 125 kHz
    /// are tabulated).
    #[error("unknown spreading factor SF{0}")]
    UnknownSpreadingFactor(u8),
    /// More data rates were given than the 16 a LoRaWAN DataRate field can address.
    #[error("too many data rates: at most 16, got {0}")]
    TooManyDataRates(usize),
    /// The required history length is zero, so no measurement could back a decision.
    #[error("adr history length must be at least 1")]
    ZeroHistoryLength,
    /// A configured quantity (installation margin, required SNR) is NaN or infinite.
    #[error("{name} is not a finite number")]
    NonFiniteParameter {
        /// The parameter, by its field name.
        name: &'static str,
    },
    /// An uplink in the ADR window carries an SNR that is NaN or infinite.
    #[error("uplink f_cnt {f_cnt} has a non-finite snr")]
    NonFiniteSnr {
        /// Frame counter of the offending uplink.
        f_cnt: u32,
    },
    /// An algorithm name is not one of the known ADR algorithms.
    #[error("unknown adr algorithm {0:?}")]
    UnknownAlgorithm(String),
}

/// Result type of the ADR engine.
pub type Result<T> = std::result::Result<T, Error>;
