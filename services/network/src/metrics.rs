//! The network service's Prometheus metrics.
//!
//! Labels are bounded: `result`, `kind` and `status` take a fixed set of values, never a
//! DevEUI, DevAddr or gateway EUI.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
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
    "error",
];

/// The `tern_network_*` metrics. Cheap to clone; clones share the series.
///
/// - `tern_network_uplinks_total{result}`: uplink copies by outcome (see `UPLINK_RESULTS`).
/// - `tern_network_downlinks_total{kind}`: downlinks sent to gateways: `join_accept`, `ack`, `mac`.
/// - `tern_network_tx_acks_total{status}`: gateway TX acknowledgements by outcome.
#[derive(Debug, Clone)]
pub struct NetworkMetrics {
    uplinks: Family<ResultLabels, Counter>,
    downlinks: Family<KindLabels, Counter>,
    tx_acks: Family<StatusLabels, Counter>,
}

impl NetworkMetrics {
    /// Creates the metrics and registers them under `tern_network_`.
    pub fn register(metrics: &Metrics) -> NetworkMetrics {
        let network_metrics = NetworkMetrics {
            uplinks: Family::default(),
            downlinks: Family::default(),
            tx_acks: Family::default(),
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
