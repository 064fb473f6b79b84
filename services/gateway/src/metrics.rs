//! The `tern_gateway_*` Prometheus metrics.
//!
//! Every label is bounded (datagram type, reason, status, result, event); no label ever carries
//! a gateway EUI or an address. Counters on the uplink hot path are resolved once at start so
//! counting costs one atomic add.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use semtech_udp::Identifier;
use tern_telemetry::Metrics;

/// Every datagram identifier, in wire order, for the per-type counters.
const IDENTIFIERS: [Identifier; 6] = [
    Identifier::PushData,
    Identifier::PushAck,
    Identifier::PullData,
    Identifier::PullResp,
    Identifier::PullAck,
    Identifier::TxAck,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabels {
    r#type: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: &'static str,
}

/// Returns the label of a datagram type, e.g. `"push_data"`.
fn type_label(identifier: Identifier) -> &'static str {
    match identifier {
        Identifier::PushData => "push_data",
        Identifier::PushAck => "push_ack",
        Identifier::PullData => "pull_data",
        Identifier::PullResp => "pull_resp",
        Identifier::PullAck => "pull_ack",
        Identifier::TxAck => "tx_ack",
    }
}

fn index(identifier: Identifier) -> usize {
    usize::from(identifier.to_byte())
}

/// The gateway edge's metrics. Cheap to clone; clones share the series.
///
/// Series (all prefixed `tern_gateway_`):
/// - `datagrams_received_total{type}`: datagrams read, by type; `invalid` when the header
///   does not decode.
/// - `datagrams_sent_total{type}`: PUSH_ACK, PULL_ACK and PULL_RESP sent.
/// - `datagrams_dropped_total{reason}`: datagrams ignored: `not_allowed` (allow-list),
///   `table_full`, `unexpected_type`, `unknown_token` (TX_ACK nobody waits for),
///   `shutting_down`, `send_error`.
/// - `parse_errors_total{reason}`: datagrams and rxpk/stat objects that did not decode, by
///   `semtech_udp::Error::reason`, plus `payload_too_long` and `frequency_out_of_range`.
/// - `uplinks_forwarded_total`: uplinks published on `up`.
/// - `uplinks_dropped_total{reason}`: `crc_error`, `no_crc`, `rate_limited`, `publish_error`.
/// - `stats_forwarded_total`: status reports published on `gw.{eui}.stats`.
/// - `stats_dropped_total{reason}`: `rate_limited`, `publish_error`.
/// - `downlinks_total{result}`: downlink frames finished: `ok`, `rejected`, `timeout`.
/// - `tx_acks_total{status}`: outcome of every attempted downlink item.
/// - `gateways_connected`: gateways whose downlinks this replica holds.
/// - `gateways_push_only_total`: gateways that sent PUSH_DATA but no PULL_DATA within
///   `pull_data_timeout`, so no downlink can reach them.
/// - `claims_total{event}`: downlink routes `claimed`, `released` to another replica, or
///   `expired` for silence.
#[derive(Debug, Clone)]
pub(crate) struct GatewayMetrics {
    received: Vec<Counter>,
    received_invalid: Counter,
    sent: Vec<Counter>,
    dropped: Family<ReasonLabels, Counter>,
    parse_errors: Family<ReasonLabels, Counter>,
    uplinks_forwarded: Counter,
    uplinks_dropped: Family<ReasonLabels, Counter>,
    stats_forwarded: Counter,
    stats_dropped: Family<ReasonLabels, Counter>,
    downlinks: Family<ResultLabels, Counter>,
    tx_acks: Family<StatusLabels, Counter>,
    gateways_connected: Gauge,
    push_only: Counter,
    claims: Family<EventLabels, Counter>,
}

impl GatewayMetrics {
    /// Creates the metrics and registers them under `tern_gateway_` in `metrics`.
    pub(crate) fn register(metrics: &Metrics) -> GatewayMetrics {
        let received_family = Family::<TypeLabels, Counter>::default();
        let sent_family = Family::<TypeLabels, Counter>::default();
        let per_type = |family: &Family<TypeLabels, Counter>| -> Vec<Counter> {
            IDENTIFIERS
                .iter()
                .map(|identifier| {
                    family
                        .get_or_create(&TypeLabels {
                            r#type: type_label(*identifier),
                        })
                        .clone()
                })
                .collect()
        };
        let gateway_metrics = GatewayMetrics {
            received: per_type(&received_family),
            received_invalid: received_family
                .get_or_create(&TypeLabels { r#type: "invalid" })
                .clone(),
            sent: per_type(&sent_family),
            dropped: Family::default(),
            parse_errors: Family::default(),
            uplinks_forwarded: Counter::default(),
            uplinks_dropped: Family::default(),
            stats_forwarded: Counter::default(),
            stats_dropped: Family::default(),
            downlinks: Family::default(),
            tx_acks: Family::default(),
            gateways_connected: Gauge::default(),
            push_only: Counter::default(),
            claims: Family::default(),
        };
        let m = &gateway_metrics;
        metrics.register_with(|registry: &mut Registry| {
            let registry = registry.sub_registry_with_prefix("gateway");
            // Counters get their `_total` suffix from the text encoder.
            registry.register(
                "datagrams_received",
                "UDP datagrams read, by type",
                received_family,
            );
            registry.register("datagrams_sent", "UDP datagrams sent, by type", sent_family);
            registry.register(
                "datagrams_dropped",
                "UDP datagrams ignored, by reason",
                m.dropped.clone(),
            );
            registry.register(
                "parse_errors",
                "Datagrams and rxpk/stat objects that did not decode, by reason",
                m.parse_errors.clone(),
            );
            registry.register(
                "uplinks_forwarded",
                "Uplinks published on the bus",
                m.uplinks_forwarded.clone(),
            );
            registry.register(
                "uplinks_dropped",
                "Uplinks not published, by reason",
                m.uplinks_dropped.clone(),
            );
            registry.register(
                "stats_forwarded",
                "Gateway status reports published on the bus",
                m.stats_forwarded.clone(),
            );
            registry.register(
                "stats_dropped",
                "Gateway status reports not published, by reason",
                m.stats_dropped.clone(),
            );
            registry.register(
                "downlinks",
                "Downlink frames finished, by result",
                m.downlinks.clone(),
            );
            registry.register(
                "tx_acks",
                "Outcome of each attempted downlink item, by status",
                m.tx_acks.clone(),
            );
            registry.register(
                "gateways_connected",
                "Gateways whose downlinks this replica holds",
                m.gateways_connected.clone(),
            );
            registry.register(
                "gateways_push_only",
                "Gateways that sent uplinks but no PULL_DATA, so downlinks cannot reach them",
                m.push_only.clone(),
            );
            registry.register(
                "claims",
                "Downlink routes claimed, released to another replica, or expired",
                m.claims.clone(),
            );
        });
        gateway_metrics
    }

    pub(crate) fn datagram_received(&self, identifier: Identifier) {
        if let Some(counter) = self.received.get(index(identifier)) {
            counter.inc();
        }
    }

    pub(crate) fn invalid_datagram_received(&self) {
        self.received_invalid.inc();
    }

    pub(crate) fn datagram_sent(&self, identifier: Identifier) {
        if let Some(counter) = self.sent.get(index(identifier)) {
            counter.inc();
        }
    }

    pub(crate) fn datagram_dropped(&self, reason: &'static str) {
        self.dropped.get_or_create(&ReasonLabels { reason }).inc();
    }

    pub(crate) fn parse_error(&self, reason: &'static str) {
        self.parse_errors
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    pub(crate) fn uplink_forwarded(&self) {
        self.uplinks_forwarded.inc();
    }

    pub(crate) fn uplink_dropped(&self, reason: &'static str) {
        self.uplinks_dropped
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    pub(crate) fn stats_forwarded(&self) {
        self.stats_forwarded.inc();
    }

    pub(crate) fn stats_dropped(&self, reason: &'static str) {
        self.stats_dropped
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    pub(crate) fn downlink_done(&self, result: &'static str) {
        self.downlinks.get_or_create(&ResultLabels { result }).inc();
    }

    pub(crate) fn tx_ack(&self, status: &'static str) {
        self.tx_acks.get_or_create(&StatusLabels { status }).inc();
    }

    pub(crate) fn set_gateways_connected(&self, count: usize) {
        self.gateways_connected
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    pub(crate) fn push_only_gateway(&self) {
        self.push_only.inc();
    }

    pub(crate) fn claim_event(&self, event: &'static str) {
        self.claims.get_or_create(&EventLabels { event }).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_under_the_gateway_prefix_with_bounded_labels() {
        let metrics = Metrics::new();
        let gateway = GatewayMetrics::register(&metrics);
        gateway.datagram_received(Identifier::TxAck);
        gateway.invalid_datagram_received();
        gateway.datagram_sent(Identifier::PullResp);
        gateway.parse_error("invalid_json");
        gateway.uplink_dropped("crc_error");
        gateway.tx_ack("too_late");
        gateway.set_gateways_connected(3);
        let text = metrics.encode().unwrap();
        for line in [
            "tern_gateway_datagrams_received_total{type=\"tx_ack\"} 1",
            "tern_gateway_datagrams_received_total{type=\"invalid\"} 1",
            "tern_gateway_datagrams_received_total{type=\"push_data\"} 0",
            "tern_gateway_datagrams_sent_total{type=\"pull_resp\"} 1",
            "tern_gateway_parse_errors_total{reason=\"invalid_json\"} 1",
            "tern_gateway_uplinks_dropped_total{reason=\"crc_error\"} 1",
            "tern_gateway_tx_acks_total{status=\"too_late\"} 1",
            "tern_gateway_gateways_connected 3",
            "tern_gateway_uplinks_forwarded_total 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
