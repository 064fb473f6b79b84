//! Tests of the gateway edge against the loopback NATS server, with simulated packet
//! forwarders on loopback UDP.
//!
//! One test binary (modules by concern) keeps build time down; each test has its own subject
//! root and its own edge replicas.

mod downlink;
mod replicas;
mod robustness;
mod support;
mod traces;
mod uplink;
