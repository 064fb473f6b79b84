//! Tern internal bus messages generated from `proto/`, and the service error contract.
//!
//! [`internal::v1`] holds the prost types of package `tern.internal.v1`: the messages
//! that travel between the gateway edge and the network server over NATS
//! (see the subject table in the architecture document).
//! [`ServiceError`] and [`ErrorCode`] are the one error contract every service error
//! implements, so the gRPC layer can map errors to status codes in one place.
//!
//! This crate deliberately holds no I/O, no NATS subjects (those live in `tern-bus`)
//! and no gRPC services yet.

mod error;

pub use error::{ErrorCode, ServiceError};

/// Internal messages exchanged over the bus.
pub mod internal {
    /// Package `tern.internal.v1`: uplink and downlink radio frames, TX acknowledgements,
    /// gateway statistics, and the join request and answer on `js.join`.
    ///
    /// EUIs are `u64` (`fixed64`), big-endian interpretation of the EUI-64; times are
    /// integer nanoseconds with the epoch in the field name.
    pub mod v1 {
        // Generated code carries the .proto comments as docs, but not on every item.
        #![allow(missing_docs)]
        #![allow(clippy::all, clippy::pedantic)]
        include!(concat!(env!("OUT_DIR"), "/tern.internal.v1.rs"));
    }
}
