//! The join service's error type: why a join was refused, why the store failed, and why the
//! service could not start.
//!
//! Every variant maps to one `JoinErrorCode` of the answer on `js.join` and to one bounded
//! `result` label of `tern_join_requests_total`. Messages never contain keys, MIC inputs or the
//! KEK.

use std::time::Duration;

use lorawan_codec::MType;
use tern_proto::internal::v1 as pb;
use tern_proto::{ErrorCode, ServiceError};

use crate::MacVersion;

/// Errors of the join service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bus message is not a `JoinRequest`.
    #[error("decode JoinRequest message")]
    DecodeRequest(#[source] prost::DecodeError),
    /// The PHYPayload does not decode.
    #[error("decode PHYPayload")]
    DecodePhyPayload(#[source] lorawan_codec::Error),
    /// The PHYPayload is neither a join-request nor a rejoin-request.
    #[error("expected a join-request or rejoin-request, got {0:?}")]
    UnexpectedMType(MType),
    /// A setting of the request does not fit its join-accept field.
    #[error("{field} {value} out of range")]
    OutOfRange {
        /// The request field.
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// The CFList is neither 16 bytes nor empty.
    #[error("cf_list must be 16 bytes or empty, got {0}")]
    CfListLength(usize),
    /// The CFList does not decode.
    #[error("decode CFList")]
    DecodeCfList(#[source] lorawan_codec::Error),
    /// The request cannot be checked (a MIC input of the wrong length).
    #[error("check MIC")]
    MicInput(#[source] lorawan_crypto::Error),
    /// A rejoin-request came from a device registered with a LoRaWAN 1.0.x version.
    #[error("rejoin-request from a LoRaWAN {0} device")]
    RejoinFromLegacyDevice(MacVersion),
    /// A message arrived on `js.join` without a reply subject.
    #[error("js.join message without reply subject")]
    NoReplySubject,
    /// No device with this DevEUI is registered.
    #[error("unknown device")]
    UnknownDevice,
    /// The device is registered with another JoinEUI.
    #[error("join_eui does not match the device")]
    JoinEuiMismatch,
    /// The request's MIC does not match the root key.
    #[error("invalid MIC")]
    InvalidMic,
    /// The DevNonce was used before (counter not increased, or seen in the history).
    #[error("dev_nonce {0} already used")]
    DevNonceReused(u16),
    /// The RJcount1 of a rejoin-request type 1 did not increase.
    #[error("rj_count1 {0} already used")]
    RjCount1Reused(u16),
    /// A LoRaWAN 1.1 device has no NwkKey.
    #[error("LoRaWAN 1.1 device has no NwkKey")]
    NwkKeyMissing,
    /// The device used every 24-bit JoinNonce; it needs new root keys (or a new JoinEUI).
    #[error("join_nonce exhausted")]
    JoinNonceExhausted,
    /// Answering took longer than `join.request_timeout`.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Pool, schema or migration failure.
    #[error("postgres")]
    Postgres(#[from] tern_postgres::Error),
    /// No database connection.
    #[error("get postgres connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A statement failed.
    #[error("postgres {what}")]
    Query {
        /// What was being done.
        what: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A stored key is wrapped under a KEK this service does not hold.
    #[error("key wrapped under unknown KEK label {label:?}")]
    UnknownKekLabel {
        /// The stored label.
        label: String,
    },
    /// A stored key fails its RFC 3394 integrity check: wrong KEK or corrupted data.
    #[error("unwrap stored {what}")]
    KeyUnwrap {
        /// Which key.
        what: &'static str,
        /// The crypto error.
        #[source]
        source: lorawan_crypto::Error,
    },
    /// A stored value is outside its domain.
    #[error("stored {what} is invalid")]
    CorruptRow {
        /// Which column.
        what: &'static str,
    },
    /// `join.kek` is not set.
    #[error(
        "join.kek is not set: the join service needs a 32-hex-digit key-encryption key (TERN_JOIN__KEK)"
    )]
    KekMissing,
    /// `join.kek` is not 32 hex digits.
    #[error("join.kek must be 32 hex digits (an AES-128 key)")]
    KekMalformed,
}

/// Result of the join service's operations.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps a driver error with what was being done.
    pub(crate) fn query(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
        move |source| Error::Query { what, source }
    }

    /// Returns the code sent to the network server.
    pub fn join_error_code(&self) -> pb::JoinErrorCode {
        use pb::JoinErrorCode as Code;
        match self {
            Error::DecodeRequest(_)
            | Error::DecodePhyPayload(_)
            | Error::UnexpectedMType(_)
            | Error::OutOfRange { .. }
            | Error::CfListLength(_)
            | Error::DecodeCfList(_)
            | Error::MicInput(_)
            | Error::RejoinFromLegacyDevice(_)
            | Error::NoReplySubject => Code::InvalidFrame,
            Error::UnknownDevice | Error::JoinEuiMismatch => Code::UnknownDevice,
            Error::InvalidMic => Code::InvalidMic,
            Error::DevNonceReused(_) | Error::RjCount1Reused(_) => Code::DevNonceReused,
            Error::NwkKeyMissing => Code::KeysMissing,
            Error::JoinNonceExhausted
            | Error::Timeout(_)
            | Error::Postgres(_)
            | Error::Pool(_)
            | Error::Query { .. }
            | Error::UnknownKekLabel { .. }
            | Error::KeyUnwrap { .. }
            | Error::CorruptRow { .. }
            | Error::KekMissing
            | Error::KekMalformed => Code::Internal,
        }
    }

    /// Returns the `result` label of `tern_join_requests_total`: the code in snake case.
    pub fn result_label(&self) -> &'static str {
        result_label(self.join_error_code())
    }

    /// Tells whether the refusal is about the request (logged at `warn`) rather than a failure
    /// of the join server (logged at `error`).
    pub fn is_rejection(&self) -> bool {
        self.join_error_code() != pb::JoinErrorCode::Internal
    }
}

/// Returns the metric label of a join error code.
pub(crate) fn result_label(code: pb::JoinErrorCode) -> &'static str {
    use pb::JoinErrorCode as Code;
    match code {
        Code::Unspecified => "unspecified",
        Code::UnknownDevice => "unknown_device",
        Code::InvalidMic => "invalid_mic",
        Code::DevNonceReused => "dev_nonce_reused",
        Code::InvalidFrame => "invalid_frame",
        Code::KeysMissing => "keys_missing",
        Code::Internal => "internal",
    }
}

impl ServiceError for Error {
    fn code(&self) -> ErrorCode {
        use pb::JoinErrorCode as Code;
        match self.join_error_code() {
            Code::UnknownDevice => ErrorCode::NotFound,
            Code::InvalidMic | Code::DevNonceReused => ErrorCode::PermissionDenied,
            Code::InvalidFrame | Code::KeysMissing | Code::Unspecified => {
                ErrorCode::InvalidArgument
            }
            Code::Internal => match self {
                Error::Timeout(_) | Error::Pool(_) | Error::Query { .. } | Error::Postgres(_) => {
                    ErrorCode::Unavailable
                }
                _ => ErrorCode::Internal,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_labels_and_service_codes_agree() {
        let cases = [
            (Error::UnknownDevice, "unknown_device", ErrorCode::NotFound),
            (
                Error::JoinEuiMismatch,
                "unknown_device",
                ErrorCode::NotFound,
            ),
            (
                Error::InvalidMic,
                "invalid_mic",
                ErrorCode::PermissionDenied,
            ),
            (
                Error::DevNonceReused(7),
                "dev_nonce_reused",
                ErrorCode::PermissionDenied,
            ),
            (
                Error::RjCount1Reused(7),
                "dev_nonce_reused",
                ErrorCode::PermissionDenied,
            ),
            (
                Error::UnexpectedMType(MType::UnconfirmedDataUp),
                "invalid_frame",
                ErrorCode::InvalidArgument,
            ),
            (
                Error::NwkKeyMissing,
                "keys_missing",
                ErrorCode::InvalidArgument,
            ),
            (Error::JoinNonceExhausted, "internal", ErrorCode::Internal),
            (
                Error::Timeout(Duration::from_secs(1)),
                "internal",
                ErrorCode::Unavailable,
            ),
        ];
        for (error, label, code) in cases {
            assert_eq!(error.result_label(), label, "{error}");
            assert_eq!(ServiceError::code(&error), code, "{error}");
            assert_eq!(error.is_rejection(), label != "internal", "{error}");
        }
    }

    #[test]
    fn kek_errors_name_the_key_but_hold_no_value() {
        assert!(Error::KekMissing.to_string().contains("join.kek"));
        assert!(Error::KekMalformed.to_string().contains("32 hex digits"));
    }
}
