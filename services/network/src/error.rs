//! The network service's error type.
//!
//! Variants carry what a caller or an operator needs; rejections of untrusted input are
//! told apart from failures of the stores so they are counted and logged differently.

use tern_proto::{ErrorCode, ServiceError};

/// Errors of the network service.
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
    #[error("device {dev_eui} in the registry: {reason}")]
    CorruptDevice {
        /// DevEUI of the row.
        dev_eui: String,
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
    #[error("decode device session")]
    DecodeSession(#[source] prost::DecodeError),
    /// A stored session holds a key that is not 16 bytes.
    #[error("device session key is not 16 bytes")]
    SessionKey,
    /// The device's band name is unknown.
    #[error("band")]
    Band(#[from] lorawan_region::Error),
    /// A frame could not be built.
    #[error("encode frame")]
    Codec(#[from] lorawan_codec::Error),
    /// A MIC could not be computed.
    #[error("compute mic")]
    Crypto(#[from] lorawan_crypto::Error),
    /// A bus operation failed.
    #[error("bus")]
    Bus(#[from] tern_bus::Error),
    /// The configured NetID is not 6 hex digits.
    #[error("network.net_id {0:?} is not a NetID")]
    NetId(String),
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
            Error::NetId(_) | Error::Band(_) => ErrorCode::InvalidArgument,
            Error::CorruptDevice { .. }
            | Error::DecodeSession(_)
            | Error::SessionKey
            | Error::Codec(_)
            | Error::Crypto(_) => ErrorCode::Internal,
        }
    }
}

/// Result of the network service.
pub type Result<T> = std::result::Result<T, Error>;
