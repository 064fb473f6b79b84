//! The crate's one error type.
//!
//! Every way a datagram can be malformed maps to a typed variant, so callers can count
//! rejections by [`Error::reason`] without matching on messages. It deliberately carries no
//! floating-point values, so errors compare with `Eq`.

use crate::header::Identifier;

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Errors from decoding or encoding Semtech UDP datagrams (packet forwarder PROTOCOL.TXT).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The datagram is shorter than its header (4 bytes, 12 with a gateway EUI).
    #[error("datagram too short: need {needed} bytes, got {got}")]
    TooShort {
        /// Bytes the header of this datagram kind needs.
        needed: usize,
        /// Bytes received.
        got: usize,
    },
    /// The datagram is longer than [`MAX_DATAGRAM_LEN`](crate::MAX_DATAGRAM_LEN).
    #[error("datagram too long: at most {max} bytes, got {got}")]
    TooLong {
        /// The limit.
        max: usize,
        /// Bytes received or produced.
        got: usize,
    },
    /// Byte 0 is neither protocol version 1 nor 2.
    #[error("unsupported protocol version {0}")]
    UnsupportedVersion(u8),
    /// Byte 3 is not one of the six datagram identifiers.
    #[error("unknown datagram identifier 0x{0:02x}")]
    UnknownIdentifier(u8),
    /// A datagram that has no JSON part (PUSH_ACK, PULL_DATA, PULL_ACK) carries extra bytes.
    #[error("{identifier} carries {extra} unexpected trailing bytes")]
    TrailingBytes {
        /// The datagram kind.
        identifier: Identifier,
        /// Number of bytes after the header.
        extra: usize,
    },
    /// A PUSH_DATA or PULL_RESP has no JSON object after its header.
    #[error("{0} has no JSON body")]
    MissingJson(Identifier),
    /// The JSON is not well formed, or a field has the wrong JSON type.
    #[error("invalid JSON: {message}")]
    InvalidJson {
        /// The parser's description, including line and column.
        message: String,
    },
    /// A field the protocol requires is absent.
    #[error("{object} has no {field} field")]
    MissingField {
        /// JSON object name, e.g. `rxpk`.
        object: &'static str,
        /// Field name, e.g. `tmst`.
        field: &'static str,
    },
    /// A base64 field (`data`, `etime`) does not decode.
    #[error("{field} is not valid base64")]
    InvalidBase64 {
        /// Field name.
        field: &'static str,
    },
    /// `datr` is neither `SF<n>BW<khz>`, `M<n>CW<khz>` nor a positive FSK bit rate.
    #[error("invalid data rate {0:?}")]
    InvalidDataRate(String),
    /// `codr` is neither `OFF` nor `k/n` (optionally suffixed `LI`).
    #[error("invalid coding rate {0:?}")]
    InvalidCodingRate(String),
    /// `modu` is not `LORA`, `FSK` or `LR-FHSS`.
    #[error("unknown modulation {0:?}")]
    UnknownModulation(String),
    /// `modu` names a different modulation than `datr` implies.
    #[error("modulation {modu} does not match data rate {datr}")]
    ModulationMismatch {
        /// The `modu` value.
        modu: String,
        /// The `datr` value, as text.
        datr: String,
    },
    /// `stat` of an rxpk is not 1, 0 or -1.
    #[error("invalid CRC status {0}")]
    InvalidCrcStatus(i64),
    /// `size` differs from the length of the decoded `data`.
    #[error("size {declared} does not match payload length {actual}")]
    SizeMismatch {
        /// The `size` value.
        declared: u64,
        /// Length of the decoded payload.
        actual: usize,
    },
    /// `freq` is negative.
    #[error("invalid frequency")]
    InvalidFrequency,
    /// A float to be encoded is NaN or infinite, which JSON cannot carry.
    #[error("{field} is not a finite number")]
    NonFiniteNumber {
        /// Field name.
        field: &'static str,
    },
    /// A time string is not in the ISO 8601 form the protocol uses.
    #[error("invalid time {0:?}")]
    InvalidTime(String),
}

impl Error {
    /// Returns a short, bounded label for metrics, e.g. `"invalid_base64"`.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::TooShort { .. } => "too_short",
            Error::TooLong { .. } => "too_long",
            Error::UnsupportedVersion(_) => "unsupported_version",
            Error::UnknownIdentifier(_) => "unknown_identifier",
            Error::TrailingBytes { .. } => "trailing_bytes",
            Error::MissingJson(_) => "missing_json",
            Error::InvalidJson { .. } => "invalid_json",
            Error::MissingField { .. } => "missing_field",
            Error::InvalidBase64 { .. } => "invalid_base64",
            Error::InvalidDataRate(_) => "invalid_data_rate",
            Error::InvalidCodingRate(_) => "invalid_coding_rate",
            Error::UnknownModulation(_) => "unknown_modulation",
            Error::ModulationMismatch { .. } => "modulation_mismatch",
            Error::InvalidCrcStatus(_) => "invalid_crc_status",
            Error::SizeMismatch { .. } => "size_mismatch",
            Error::InvalidFrequency => "invalid_frequency",
            Error::NonFiniteNumber { .. } => "non_finite_number",
            Error::InvalidTime(_) => "invalid_time",
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::InvalidJson {
            message: err.to_string(),
        }
    }
}
