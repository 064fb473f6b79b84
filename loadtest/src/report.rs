//! The outcome of a run: every count, the latency percentiles, the CPU use of the servers
//! and, for a ramp, each step; rendered as a table for people and as one JSON line for
//! scripts.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cpu::CpuUse;
use crate::tracker::Latency;

/// One step of a ramp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RampStep {
    /// Target rate, uplinks per second.
    pub rate: f64,
    /// Rate achieved.
    pub achieved_rate: f64,
    /// Uplinks sent in the step.
    pub sent: u64,
    /// Uplinks of the step not delivered by the end of its grace.
    pub lost: u64,
    /// `lost / sent`.
    pub loss_ratio: f64,
    /// Latency of the step's deliveries.
    pub latency: Latency,
}

/// The outcome of [`crate::run`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Run tag in the uplink payloads (hex), to find the run in server logs.
    pub run_tag: String,
    /// Devices in the fleet.
    pub devices: usize,
    /// Devices created by this run (the others were reused).
    pub devices_created: usize,
    /// ABP devices, activated through the API instead of joining.
    pub abp_devices: usize,
    /// Virtual gateways.
    pub gateways: usize,
    /// Gateways hearing each uplink.
    pub gateways_per_uplink: usize,
    /// Join-requests sent, retries included.
    pub join_requests: u64,
    /// Devices that joined.
    pub joins_completed: u64,
    /// Devices that gave up joining.
    pub joins_failed: u64,
    /// `join` events received.
    pub join_events: u64,
    /// Uplinks sent.
    pub uplinks_sent: u64,
    /// Uplinks whose `up` event arrived.
    pub uplinks_delivered: u64,
    /// Uplinks whose `up` event did not arrive by the end of the grace period.
    pub uplinks_lost: u64,
    /// `lost / sent`.
    pub loss_ratio: f64,
    /// `up` events of an uplink already delivered.
    pub duplicates: u64,
    /// Uplinks the pacer skipped because it fell behind by more than its catch-up bound.
    pub behind_schedule: u64,
    /// Uplinks that could not be built or sent.
    pub send_errors: u64,
    /// Confirmed uplinks sent.
    pub confirmed_sent: u64,
    /// Downlinks with the ACK bit the devices opened.
    pub confirmed_acked: u64,
    /// Downlinks queued through the API.
    pub downlinks_pushed: u64,
    /// Application downlinks the devices opened.
    pub downlinks_received: u64,
    /// Application downlinks whose payload was the one queued for that device.
    pub downlinks_decrypted: u64,
    /// Downlinks with MAC commands only or empty ACKs.
    pub mac_downlinks: u64,
    /// PULL_RESPs no device could open.
    pub downlinks_unmatched: u64,
    /// `ack` events (confirmed downlinks the devices acknowledged).
    pub ack_events: u64,
    /// `nack` events.
    pub nack_events: u64,
    /// `txack` events.
    pub txack_events: u64,
    /// `error` events.
    pub error_events: u64,
    /// `up` events of other runs or unparsable ones.
    pub foreign_events: u64,
    /// Latency from the first copy's UDP send to the `up` event.
    pub latency: Latency,
    /// Target rate of a fixed run (the last step's rate of a ramp).
    pub target_rate: f64,
    /// Uplinks sent per second of sending.
    pub achieved_rate: f64,
    /// Seconds spent sending.
    pub send_seconds: f64,
    /// CPU use of the server processes while sending and during the grace period.
    pub cpu: Vec<CpuUse>,
    /// Ramp steps, in order.
    pub ramp: Vec<RampStep>,
    /// Highest ramp rate whose loss stayed below the limit.
    pub highest_passing_rate: Option<f64>,
    /// The loss limit.
    pub max_loss: f64,
    /// Whether duplicates were allowed.
    pub allow_duplicates: bool,
}

impl Report {
    /// Tells whether the run passes: loss at most the limit and no duplicates (unless
    /// allowed); a ramp passes when its first step passes.
    pub fn passed(&self) -> bool {
        let loss_ok = if self.ramp.is_empty() {
            self.loss_ratio <= self.max_loss
        } else {
            self.highest_passing_rate.is_some()
        };
        loss_ok && (self.allow_duplicates || self.duplicates == 0)
    }

    /// Returns the one-line JSON summary.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }

    /// Returns the table for people.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let mut row = |name: &str, value: String| {
            let _ = writeln!(out, "{name:<28} {value}");
        };
        row(
            "fleet",
            format!(
                "{} devices ({} new, {} ABP), {} gateways, {} per uplink",
                self.devices,
                self.devices_created,
                self.abp_devices,
                self.gateways,
                self.gateways_per_uplink
            ),
        );
        row(
            "joins",
            format!(
                "{} joined, {} failed, {} join-requests, {} join events",
                self.joins_completed, self.joins_failed, self.join_requests, self.join_events
            ),
        );
        row(
            "uplinks",
            format!(
                "{} sent, {} delivered, {} lost ({:.4}%), {} duplicates",
                self.uplinks_sent,
                self.uplinks_delivered,
                self.uplinks_lost,
                self.loss_ratio * 100.0,
                self.duplicates
            ),
        );
        row(
            "rate",
            format!(
                "{:.1}/s achieved of {:.1}/s over {:.1} s ({} behind schedule, {} send errors)",
                self.achieved_rate,
                self.target_rate,
                self.send_seconds,
                self.behind_schedule,
                self.send_errors
            ),
        );
        row(
            "latency (send to up event)",
            format!(
                "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                self.latency.p50_ms, self.latency.p95_ms, self.latency.p99_ms, self.latency.max_ms
            ),
        );
        row(
            "confirmed uplinks",
            format!(
                "{} sent, {} acked",
                self.confirmed_sent, self.confirmed_acked
            ),
        );
        row(
            "downlinks",
            format!(
                "{} pushed, {} received, {} decrypted as queued, {} MAC/ACK only, {} unmatched",
                self.downlinks_pushed,
                self.downlinks_received,
                self.downlinks_decrypted,
                self.mac_downlinks,
                self.downlinks_unmatched
            ),
        );
        row(
            "events",
            format!(
                "{} ack, {} nack, {} txack, {} error, {} foreign",
                self.ack_events,
                self.nack_events,
                self.txack_events,
                self.error_events,
                self.foreign_events
            ),
        );
        for cpu in &self.cpu {
            row(
                &format!("cpu {} [{}]", cpu.name, cpu.pid),
                format!(
                    "{:.2} s, {:.1}% of a core",
                    cpu.cpu_seconds, cpu.percent_of_core
                ),
            );
        }
        for step in &self.ramp {
            row(
                &format!("ramp {:.0}/s", step.rate),
                format!(
                    "{:.1}/s achieved, {} sent, {} lost ({:.4}%), p99 {:.1} ms",
                    step.achieved_rate,
                    step.sent,
                    step.lost,
                    step.loss_ratio * 100.0,
                    step.latency.p99_ms
                ),
            );
        }
        if !self.ramp.is_empty() {
            row(
                "highest passing rate",
                self.highest_passing_rate
                    .map_or_else(|| "none".to_owned(), |rate| format!("{rate:.0}/s")),
            );
        }
        row(
            "result",
            if self.passed() { "PASS" } else { "FAIL" }.to_owned(),
        );
        out
    }
}
