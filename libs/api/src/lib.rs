//! Tern public gRPC API generated from `proto/tern/api/`.
//!
//! [`v1`] holds package `tern.api.v1`: the downlink queue service of the application server
//! (`DownlinkService`), its client and its server trait.
//! It is a separate crate from `tern-proto` because it is an API boundary for applications,
//! with its own compatibility rules, while `tern-proto` holds the internal bus messages.
//!
//! This crate holds no service logic and no I/O of its own.

/// Package `tern.api.v1`.
pub mod v1 {
    // Generated code carries the .proto comments as docs, but not on every item.
    #![allow(missing_docs)]
    #![allow(clippy::all, clippy::pedantic)]
    include!(concat!(env!("OUT_DIR"), "/tern.api.v1.rs"));
}
