//! The codec's error type: every way a frame or MAC command can fail to decode or encode.
//!
//! Variants carry what a caller needs to log or count the failure; none of them holds
//! payload bytes, so errors are safe to log.

/// Errors returned when decoding or encoding LoRaWAN frames, MAC commands and identifiers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input ended before a complete structure could be read.
    #[error("input too short: needed {needed} bytes, got {got}")]
    TooShort {
        /// Bytes the structure needs.
        needed: usize,
        /// Bytes that were available.
        got: usize,
    },
    /// The input is longer than the structure allows.
    #[error("input too long: at most {max} bytes, got {got}")]
    TooLong {
        /// Largest allowed length.
        max: usize,
        /// Length that was given.
        got: usize,
    },
    /// The MHDR Major field is not LoRaWAN R1 (0).
    #[error("unsupported major version {0}")]
    UnsupportedMajor(u8),
    /// A hex string could not be parsed into an identifier or key.
    #[error("invalid hex for {kind}: expected {expected_len} hex digits")]
    InvalidHex {
        /// What was being parsed (`"EUI-64"`, `"DevAddr"`, ...).
        kind: &'static str,
        /// Number of hex digits expected.
        expected_len: usize,
    },
    /// A NetID type outside 0..=7 or an ID too large for its type.
    #[error("invalid NetID: {0}")]
    InvalidNetId(&'static str),
    /// A field value does not fit the bits the format gives it.
    #[error("{field} value {value} out of range")]
    OutOfRange {
        /// Field name, in the spec's spelling.
        field: &'static str,
        /// The value that was rejected.
        value: u64,
    },
    /// FOpts and a FRMPayload on port 0 were both present, which LoRaWAN forbids (§4.3.1.6).
    #[error("FOpts must be empty when FPort is 0")]
    FOptsWithPortZero,
    /// The CFList type byte is neither 0 (frequencies) nor 1 (channel mask).
    #[error("unknown CFList type {0}")]
    UnknownCfListType(u8),
    /// The RejoinRequest type byte is not 0, 1 or 2.
    #[error("unknown rejoin type {0}")]
    UnknownRejoinType(u8),
    /// The frame's MType cannot be used where it was given (e.g. a join-accept passed as uplink).
    #[error("unexpected MType {0:?}")]
    UnexpectedMType(crate::MType),
    /// The input length is none of the lengths the structure can have (e.g. a join-accept of
    /// neither 17 nor 33 bytes, LoRaWAN 1.0.4 §6.2.3).
    #[error("invalid {structure} length: got {got} bytes")]
    InvalidLength {
        /// The structure being decoded, in the spec's spelling.
        structure: &'static str,
        /// Length that was given.
        got: usize,
    },
    /// A frame of this MType must carry a MIC but has none.
    #[error("missing MIC for MType {0:?}")]
    MissingMic(crate::MType),
    /// A frame of this MType carries no separate MIC (proprietary, encrypted join-accept).
    #[error("unexpected MIC for MType {0:?}")]
    UnexpectedMic(crate::MType),
    /// An FCtrl flag is set that does not exist in the frame's direction (e.g. FPending on an
    /// uplink), LoRaWAN 1.0.4 §4.3.1.
    #[error("FCtrl flag {flag} does not exist in this direction")]
    FCtrlFlagWrongDirection {
        /// The flag, in the spec's spelling.
        flag: &'static str,
    },
    /// A frequency cannot be carried by a MAC command: it is not a multiple of 100 Hz or is above
    /// the 24-bit field's 1 677 721 500 Hz, LoRaWAN 1.0.4 §5.6.
    #[error("frequency {frequency_hz} Hz is not a multiple of 100 Hz up to 1677721500 Hz")]
    InvalidFrequency {
        /// The frequency that was rejected, in Hz.
        frequency_hz: u32,
    },
    /// A signed field value does not fit the bits the format gives it (e.g. the 6-bit DevStatusAns
    /// margin, LoRaWAN 1.0.4 §5.5).
    #[error("{field} value {value} out of range")]
    SignedOutOfRange {
        /// Field name, in the spec's spelling.
        field: &'static str,
        /// The value that was rejected.
        value: i64,
    },
}

/// Result type of the codec.
pub type Result<T> = std::result::Result<T, Error>;
