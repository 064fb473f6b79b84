//! Integration tests of the network service against loopback NATS, Redis and PostgreSQL.
//!
//! Each test runs its own environment (subject root, key prefix, schema); simulated gateways
//! publish `UplinkFrame`s and simulated devices build frames with the codec and crypto crates.

mod dedup;
mod device_api;
mod downlink;
mod gateway_status;
mod lifecycle;
mod mac;
mod otaa;
mod registry;
mod session;
mod uplink;
