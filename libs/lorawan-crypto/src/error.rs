//! The crate's error type.
//!
//! Every fallible function of the crate returns [`Result`]; the variants carry the numbers a
//! caller needs to report or count the failure. Nothing here allocates.

use std::fmt;

/// Errors of the LoRaWAN cryptographic operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An input has a length the specification does not allow (for example a join-request MIC
    /// input that is not 19 bytes, or a join-accept that is not 16 or 32 bytes after the MHDR).
    #[error("{what} must be {} bytes, got {got}", Lengths(.expected))]
    InvalidLength {
        /// The input that was rejected.
        what: &'static str,
        /// The lengths the specification allows.
        expected: &'static [usize],
        /// The length that was passed.
        got: usize,
    },
    /// An input is shorter than the smallest length that can carry it.
    #[error("{what} must be at least {min} bytes, got {got}")]
    TooShort {
        /// The input that was rejected.
        what: &'static str,
        /// The smallest allowed length.
        min: usize,
        /// The length that was passed.
        got: usize,
    },
    /// An input is longer than its length field or block counter can express.
    #[error("{what} must be at most {max} bytes, got {got}")]
    TooLong {
        /// The input that was rejected.
        what: &'static str,
        /// The largest allowed length.
        max: usize,
        /// The length that was passed.
        got: usize,
    },
    /// A rejoin-request carries a RejoinType other than 0, 1 or 2 (LoRaWAN 1.1 §6.2.4.4).
    #[error("unknown rejoin type {0}")]
    UnknownRejoinType(u8),
    /// The received MIC differs from the one computed with the given key.
    #[error("invalid MIC")]
    InvalidMic,
    /// RFC 3394 key unwrap failed its integrity check: wrong KEK or corrupted data.
    #[error("key unwrap integrity check failed")]
    KeyUnwrap,
}

/// Result of the crate's fallible operations.
pub type Result<T> = std::result::Result<T, Error>;

/// Displays a list of allowed lengths as `16 or 32`.
struct Lengths<'a>(&'a [usize]);

impl fmt::Display for Lengths<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (idx, len) in self.0.iter().enumerate() {
            if idx > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{len}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_input_and_the_allowed_lengths() {
        let cases = [
            (
                Error::InvalidLength {
                    what: "join-accept",
                    expected: &[16, 32],
                    got: 17,
                },
                "join-accept must be 16 or 32 bytes, got 17",
            ),
            (
                Error::InvalidLength {
                    what: "join-request MIC input",
                    expected: &[19],
                    got: 3,
                },
                "join-request MIC input must be 19 bytes, got 3",
            ),
            (
                Error::TooLong {
                    what: "FOpts",
                    max: 15,
                    got: 16,
                },
                "FOpts must be at most 15 bytes, got 16",
            ),
            (Error::UnknownRejoinType(7), "unknown rejoin type 7"),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }
}
