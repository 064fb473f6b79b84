//! The application service's error type.
//!
//! Variants tell rejections of a request (unknown device, no session, bad payload) from
//! failures of the stores and the bus, so the gRPC layer and the metrics treat them apart.

use tern_proto::{ErrorCode, ServiceError};

/// Errors of the application service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The PostgreSQL pool gave no connection.
    #[error("postgres pool")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A PostgreSQL query failed.
    #[error("{what}")]
    Query {
        /// Which query.
        what: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A stored registry row breaks the schema's rules.
    #[error("registry row {id}: {reason}")]
    CorruptRow {
        /// The row's identifier.
        id: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A Redis command failed.
    #[error("redis: {what}")]
    Redis {
        /// Which command.
        what: &'static str,
        /// The client's error.
        #[source]
        source: fred::error::Error,
    },
    /// A stored session does not decode.
    #[error("decode application session")]
    DecodeSession(#[source] serde_json::Error),
    /// An event could not be serialised.
    #[error("encode event")]
    EncodeEvent(#[source] serde_json::Error),
    /// A bus operation failed.
    #[error("bus")]
    Bus(#[from] tern_bus::Error),
    /// The KEK is not configured.
    #[error("application.kek is not set (nor join.kek)")]
    KekMissing,
    /// The KEK is not 32 hex digits.
    #[error("application.kek is not an AES-128 key in hex")]
    KekMalformed,
    /// A key is wrapped under a KEK with another label.
    #[error("key wrapped under unknown kek label {label:?}")]
    UnknownKekLabel {
        /// The label.
        label: String,
    },
    /// A wrapped key failed its integrity check, or a plaintext key is not 16 bytes.
    #[error("unwrap AppSKey")]
    KeyUnwrap(#[source] lorawan_crypto::Error),
    /// A plaintext key envelope does not hold 16 bytes.
    #[error("AppSKey is not 16 bytes")]
    KeyLength,
    /// Encryption or decryption failed (payload too long).
    #[error("frmpayload crypto")]
    Crypto(#[from] lorawan_crypto::Error),
    /// The device is not in the application registry, or belongs to another application.
    #[error("device {dev_eui} is not registered in application {application_id:?}")]
    UnknownDevice {
        /// The application asked for.
        application_id: String,
        /// The DevEUI.
        dev_eui: String,
    },
    /// The device has no session (it has not joined).
    #[error("device {0} has no session")]
    NoSession(String),
    /// A request is malformed.
    #[error("invalid request: {0}")]
    InvalidArgument(String),
    /// The payload formatter could not encode the downlink.
    #[error("encode downlink")]
    Formatter(#[from] crate::formatter::Error),
    /// The network server refused a queue request.
    #[error("network refused the queue request ({code}): {message}")]
    QueueRefused {
        /// The network's error code name.
        code: &'static str,
        /// Its message.
        message: String,
        /// The gRPC-level code it maps to.
        error_code: ErrorCode,
    },
    /// The downlink frame counter ran out of its 32 bits.
    #[error("downlink frame counter exhausted")]
    CounterExhausted,
}

impl Error {
    /// Returns a closure wrapping a PostgreSQL error with what was being done.
    pub(crate) fn query(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
        move |source| Error::Query { what, source }
    }

    /// Returns a closure wrapping a Redis error with the command.
    pub(crate) fn redis(what: &'static str) -> impl FnOnce(fred::error::Error) -> Error {
        move |source| Error::Redis { what, source }
    }
}

impl ServiceError for Error {
    fn code(&self) -> ErrorCode {
        match self {
            Error::Pool(_) | Error::Query { .. } | Error::Redis { .. } | Error::Bus(_) => {
                ErrorCode::Unavailable
            }
            Error::UnknownDevice { .. } | Error::NoSession(_) => ErrorCode::NotFound,
            Error::InvalidArgument(_) | Error::Formatter(_) | Error::KekMalformed => {
                ErrorCode::InvalidArgument
            }
            Error::QueueRefused { error_code, .. } => *error_code,
            Error::CorruptRow { .. }
            | Error::DecodeSession(_)
            | Error::EncodeEvent(_)
            | Error::KekMissing
            | Error::UnknownKekLabel { .. }
            | Error::KeyUnwrap(_)
            | Error::KeyLength
            | Error::Crypto(_)
            | Error::CounterExhausted => ErrorCode::Internal,
        }
    }
}

/// Result of the application service.
pub type Result<T> = std::result::Result<T, Error>;
