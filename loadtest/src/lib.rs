//! Load tester and demo fleet for Tern.
//!
//! The load test drives a running Tern deployment only from the outside, the way real
//! gateways, devices and applications do: it provisions a tenant, an application, device
//! profiles, gateways and OTAA devices through the public gRPC API, runs virtual Semtech UDP
//! packet forwarders against the gateway edge (or several edges), joins the virtual devices
//! (`tern-sim`), sends uplinks at a paced rate with each uplink heard by several gateways,
//! answers every PULL_RESP with a TX_ACK and hands the frame to its device (which ACKs
//! confirmed downlinks and answers MAC commands in its next uplink), queues downlinks
//! through `DownlinkService.Push`, and reads the application events from NATS to match each
//! `up` event to the uplink whose sequence number its payload carries.
//!
//! [`run`] returns a [`Report`]: uplinks sent, delivered, lost and duplicated, joins,
//! confirmed uplinks acknowledged, downlinks received and decrypted, latency percentiles from
//! the first copy's UDP send to the `up` event, the achieved rate, the CPU use of the server
//! processes, and for a ramp the highest rate that kept loss under the limit.
//! [`simulate`] runs a small, slow fleet and prints what happens; [`generate`] measures how
//! fast this machine can produce uplinks with nothing listening.
//!
//! Entities are reused by name on a repeated run: the tenant and application are named after
//! [`Target::name`], and DevEUIs, gateway EUIs and root keys derive from the name and the
//! seed. Each run tags its payloads, so a run never counts an earlier run's events.
//!
//! ABP devices (`FleetConfig::abp_share`) are activated through `DeviceService.Activate` with
//! session keys made for each run, so the network service starts their counters afresh.
//!
//! Deliberately absent: class B, and retransmissions of unacknowledged confirmed uplinks. The crate is a tool, like the CLI, so its errors are `anyhow` with context.

mod config;
mod cpu;
mod engine;
mod events;
mod fleet;
mod gateway;
mod generate;
mod harness;
mod ids;
mod pacer;
mod progress;
mod provision;
mod report;
mod run;
mod simulate;
mod tracker;

pub use config::{
    CpuTarget, FleetConfig, Load, RunConfig, SimulateConfig, Target, mac_version_name,
    parse_mac_version, parse_mac_versions,
};
pub use cpu::CpuUse;
pub use generate::{GenerateReport, generate};
pub use report::{RampStep, Report};
pub use run::run;
pub use simulate::{SimulateSummary, simulate};
pub use tern_sim::MacVersion;
pub use tracker::Latency;
