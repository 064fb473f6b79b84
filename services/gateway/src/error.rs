//! The crate's one error type: start-up failures and the reasons a single uplink or downlink
//! item cannot be converted.
//!
//! Per-message errors never stop the edge; they become a metric label ([`Error::reason`]), a
//! rate-limited log line and, for downlinks, an `INTERNAL_ERROR` item status.

use std::net::SocketAddr;

use tern_proto::{ErrorCode, ServiceError};

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Errors of the gateway edge.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The UDP socket could not be bound.
    #[error("bind udp socket {addr}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket's address could not be read.
    #[error("read local address of the udp socket")]
    LocalAddr(#[source] std::io::Error),
    /// An entry of `allowed_gateways` is not an EUI of 16 hex digits.
    #[error("allowed gateway {0:?} is not an EUI of 16 hex digits")]
    InvalidAllowedGateway(String),
    /// The subscription to other replicas' gateway claims failed.
    #[error("subscribe to gateway claims")]
    SubscribeClaims(#[source] tern_bus::Error),
    /// An rxpk frequency does not fit the 32-bit `frequency_hz` field.
    #[error("frequency {0} Hz out of range")]
    FrequencyOutOfRange(u64),
    /// An rxpk carries more bytes than any LoRa PHYPayload can hold.
    #[error("payload of {len} bytes is longer than a LoRa PHYPayload (255 bytes)")]
    PayloadTooLong {
        /// Length of the received payload.
        len: usize,
    },
    /// A downlink item has no modulation.
    #[error("downlink item has no modulation")]
    MissingModulation,
    /// A downlink item asks for a modulation gateways cannot transmit.
    #[error("downlink item uses {0}, which gateways cannot transmit")]
    UnsupportedModulation(&'static str),
    /// A downlink item has no timing.
    #[error("downlink item has no timing")]
    MissingTiming,
    /// A delay-timed downlink item carries neither `tmst` nor a 4-byte context.
    #[error("delay timing has no tmst")]
    MissingTmst,
    /// A GPS-timed downlink item has a negative time.
    #[error("gps time {0} ns is before the gps epoch")]
    NegativeGpsTime(i64),
    /// A downlink field does not fit its Semtech UDP field.
    #[error("downlink {field} {value} out of range")]
    DownlinkFieldOutOfRange {
        /// The `txpk` field.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A datagram could not be encoded.
    #[error("encode datagram")]
    Encode(#[source] semtech_udp::Error),
}

impl Error {
    /// Returns a short, bounded label for metrics, e.g. `"missing_timing"`.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Bind { .. } => "bind",
            Error::LocalAddr(_) => "local_addr",
            Error::InvalidAllowedGateway(_) => "invalid_allowed_gateway",
            Error::SubscribeClaims(_) => "subscribe_claims",
            Error::FrequencyOutOfRange(_) => "frequency_out_of_range",
            Error::PayloadTooLong { .. } => "payload_too_long",
            Error::MissingModulation => "missing_modulation",
            Error::UnsupportedModulation(_) => "unsupported_modulation",
            Error::MissingTiming => "missing_timing",
            Error::MissingTmst => "missing_tmst",
            Error::NegativeGpsTime(_) => "negative_gps_time",
            Error::DownlinkFieldOutOfRange { .. } => "field_out_of_range",
            Error::Encode(error) => error.reason(),
        }
    }
}

impl ServiceError for Error {
    fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidAllowedGateway(_)
            | Error::FrequencyOutOfRange(_)
            | Error::PayloadTooLong { .. }
            | Error::MissingModulation
            | Error::UnsupportedModulation(_)
            | Error::MissingTiming
            | Error::MissingTmst
            | Error::NegativeGpsTime(_)
            | Error::DownlinkFieldOutOfRange { .. }
            | Error::Encode(_) => ErrorCode::InvalidArgument,
            Error::Bind { .. } | Error::SubscribeClaims(_) => ErrorCode::Unavailable,
            Error::LocalAddr(_) => ErrorCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_bounded_snake_case_labels() {
        let errors = [
            Error::FrequencyOutOfRange(5_000_000_000),
            Error::PayloadTooLong { len: 300 },
            Error::MissingModulation,
            Error::UnsupportedModulation("LR-FHSS"),
            Error::MissingTiming,
            Error::MissingTmst,
            Error::NegativeGpsTime(-1),
            Error::DownlinkFieldOutOfRange {
                field: "rfch",
                value: 256,
            },
            Error::Encode(semtech_udp::Error::InvalidFrequency),
        ];
        for error in errors {
            let reason = error.reason();
            assert!(
                reason.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{reason}"
            );
            assert_eq!(error.code(), ErrorCode::InvalidArgument, "{error}");
        }
    }
}
