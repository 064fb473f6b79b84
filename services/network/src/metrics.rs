//! The network service's Prometheus metrics.
//!
//! Labels are bounded: `result`, `kind` and `status` take a fixed set of values, never a
//! DevEUI, DevAddr or gateway EUI.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use tern_proto::internal::v1 as pb;
use tern_telemetry::Metrics;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MacCommandLabels {
    outcome: &'static str,
    command: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabels {
    stage: &'static str,
}

/// Latency buckets in seconds: 1 ms to about 4 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 13,
    ))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// Every `result` of `tern_network_uplinks_total`, registered at zero.
pub(crate) const UPLINK_RESULTS: &[&str] = &[
    "ok",
    "duplicate",
    "malformed",
    "unsupported",
    "unknown_dev_addr",
    "invalid_mic",
    "replay",
    "retransmission",
    "f_cnt_gap",
    "conflict",
    "join_ok",
    "join_unknown_device",
    "join_refused",
    "join_server_unavailable",
    "rejoin_other_network",
    "rejoin_no_session",
    "error",
];

/// The `tern_network_*` metrics. Cheap to clone; clones share the series.
///
/// - `tern_network_uplinks_total{result}`: uplink copies by outcome (see `UPLINK_RESULTS`).
/// - `tern_network_downlinks_total{kind}`: downlinks sent to gateways: `join_accept`, `ack`, `mac`.
/// - `tern_network_tx_acks_total{status}`: gateway TX acknowledgements by outcome.
/// - `tern_network_downlink_outcomes_total{outcome}`: application downlinks `sent`, `ack`,
///   `nack`, `failed`, `expired`.
/// - `tern_network_mac_commands_total{outcome,command}`: the device's answers to the network's
///   MAC requests: `applied`, `rejected` (a NACK), `unanswered` (given up after retries).
/// - `tern_network_queue_requests_total{result}`: `ns.queue` requests by answer.
/// - `tern_network_queue_invalidated_items_total`: items handed back for re-encryption.
/// - `tern_network_uplink_latency_seconds{stage}`: from the first copy to `checked` (session
///   matched, MIC and counter checked), `published` (`as.up` sent after the dedup window) and
///   `join_answered` (join-accept sent).
#[derive(Debug, Clone)]
pub struct NetworkMetrics {
    uplinks: Family<ResultLabels, Counter>,
    downlinks: Family<KindLabels, Counter>,
    tx_acks: Family<StatusLabels, Counter>,
    outcomes: Family<OutcomeLabels, Counter>,
    queue_requests: Family<ResultLabels, Counter>,
    mac_commands: Family<MacCommandLabels, Counter>,
    invalidated: Counter,
    latency: Family<StageLabels, Histogram, fn() -> Histogram>,
}

impl NetworkMetrics {
    /// Creates the metrics and registers them under `tern_network_`.
    pub fn register(metrics: &Metrics) -> NetworkMetrics {
        let network_metrics = NetworkMetrics {
            uplinks: Family::default(),
            downlinks: Family::default(),
            tx_acks: Family::default(),
            outcomes: Family::default(),
            queue_requests: Family::default(),
            mac_commands: Family::default(),
            invalidated: Counter::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
        };
        for result in UPLINK_RESULTS {
            // Creating the series is the point; the guard is dropped at once.
            drop(
                network_metrics
                    .uplinks
                    .get_or_create(&ResultLabels { result }),
            );
        }
        metrics.register_with(|registry| {
            let registry = registry.sub_registry_with_prefix("network");
            registry.register(
                "uplinks",
                "Uplink copies received on `up`, by outcome",
                network_metrics.uplinks.clone(),
            );
            registry.register(
                "downlinks",
                "Downlinks sent to gateways, by kind",
                network_metrics.downlinks.clone(),
            );
            registry.register(
                "tx_acks",
                "Gateway TX acknowledgements, by outcome",
                network_metrics.tx_acks.clone(),
            );
            registry.register(
                "downlink_outcomes",
                "Application downlink outcomes reported on as.downlink",
                network_metrics.outcomes.clone(),
            );
            registry.register(
                "queue_requests",
                "Requests on ns.queue, by answer",
                network_metrics.queue_requests.clone(),
            );
            registry.register(
                "mac_commands",
                "Answers to the network's MAC requests, by outcome and command",
                network_metrics.mac_commands.clone(),
            );
            registry.register(
                "queue_invalidated_items",
                "Queued application downlinks handed back for re-encryption",
                network_metrics.invalidated.clone(),
            );
            registry.register(
                "uplink_latency_seconds",
                "Time from an uplink's first copy to a stage of its handling",
                network_metrics.latency.clone(),
            );
        });
        network_metrics
    }

    /// Counts one uplink copy with `result`.
    pub(crate) fn uplink(&self, result: &'static str) {
        self.uplinks.get_or_create(&ResultLabels { result }).inc();
    }

    /// Counts one downlink of `kind`.
    pub(crate) fn downlink(&self, kind: &'static str) {
        self.downlinks.get_or_create(&KindLabels { kind }).inc();
    }

    /// Counts one TX acknowledgement with `status` (a `TxAckStatus` name, lowercase).
    pub(crate) fn tx_ack(&self, status: String) {
        self.tx_acks.get_or_create(&StatusLabels { status }).inc();
    }

    /// Counts one application downlink outcome.
    pub(crate) fn downlink_outcome(&self, outcome: pb::DownlinkOutcome) {
        let outcome = match outcome {
            pb::DownlinkOutcome::Sent => "sent",
            pb::DownlinkOutcome::Ack => "ack",
            pb::DownlinkOutcome::Nack => "nack",
            pb::DownlinkOutcome::Failed => "failed",
            pb::DownlinkOutcome::Expired => "expired",
            pb::DownlinkOutcome::Unspecified => "unspecified",
        };
        self.outcomes
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Counts one `ns.queue` request with its answer.
    pub(crate) fn queue_request(&self, result: &'static str) {
        self.queue_requests
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// Counts one answer to a MAC request: `outcome` `applied`, `rejected` or `unanswered`.
    pub(crate) fn mac_command(&self, outcome: &'static str, command: &'static str) {
        self.mac_commands
            .get_or_create(&MacCommandLabels { outcome, command })
            .inc();
    }

    /// Counts items handed back for re-encryption.
    pub(crate) fn invalidated(&self, items: usize) {
        self.invalidated
            .inc_by(u64::try_from(items).unwrap_or(u64::MAX));
    }

    /// Records the time from an uplink's first copy to `stage`.
    pub(crate) fn latency(&self, stage: &'static str, elapsed: std::time::Duration) {
        self.latency
            .get_or_create(&StageLabels { stage })
            .observe(elapsed.as_secs_f64());
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GatewayStatusLabels {
    status: &'static str,
}

/// The gateway-status metrics of the network service. Cheap to clone; clones share the
/// series.
///
/// - `tern_network_gateway_stats_total{result}`: `GatewayStats` messages handled: `ok`, `error`.
/// - `tern_network_gateway_status_events_total{status}`: `gw.{eui}.status` events published:
///   `online`, `offline`.
/// - `tern_network_gateways_online`: online gateways, set by the leader at each sweep.
/// - `tern_network_leader`: 1 while this replica is the elected leader, else 0.
#[derive(Debug, Clone)]
pub struct GatewayMetrics {
    stats: Family<ResultLabels, Counter>,
    status_events: Family<GatewayStatusLabels, Counter>,
    gateways_online: Gauge,
    leader: Gauge,
}

impl GatewayMetrics {
    /// Creates the metrics and registers them under `tern_network_`.
    pub fn register(metrics: &Metrics) -> GatewayMetrics {
        let gateway_metrics = GatewayMetrics {
            stats: Family::default(),
            status_events: Family::default(),
            gateways_online: Gauge::default(),
            leader: Gauge::default(),
        };
        for status in ["online", "offline"] {
            // Creating the series is the point; the guard is dropped at once.
            drop(
                gateway_metrics
                    .status_events
                    .get_or_create(&GatewayStatusLabels { status }),
            );
        }
        metrics.register_with(|registry| {
            let registry = registry.sub_registry_with_prefix("network");
            registry.register(
                "gateway_stats",
                "Gateway statistics messages handled, by outcome",
                gateway_metrics.stats.clone(),
            );
            registry.register(
                "gateway_status_events",
                "Gateway status events published, by status",
                gateway_metrics.status_events.clone(),
            );
            registry.register(
                "gateways_online",
                "Gateways online, as of the leader's last sweep",
                gateway_metrics.gateways_online.clone(),
            );
            registry.register(
                "leader",
                "Whether this replica is the elected leader (1) or not (0)",
                gateway_metrics.leader.clone(),
            );
        });
        gateway_metrics
    }

    /// Counts one `GatewayStats` message with `result`.
    pub(crate) fn stats(&self, result: &'static str) {
        self.stats.get_or_create(&ResultLabels { result }).inc();
    }

    /// Counts one published status event.
    pub(crate) fn status_event(&self, online: bool) {
        let status = if online { "online" } else { "offline" };
        self.status_events
            .get_or_create(&GatewayStatusLabels { status })
            .inc();
    }

    /// Sets the number of online gateways.
    pub(crate) fn set_gateways_online(&self, n_gateways: u64) {
        self.gateways_online
            .set(i64::try_from(n_gateways).unwrap_or(i64::MAX));
    }

    /// Sets whether this replica leads.
    pub(crate) fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }
}
