//! Prometheus metrics of the bus, registered into a registry the binary exposes.
//!
//! Every label is bounded: `subject` is a [`SubjectKind`] (`gw.down`), never a full
//! subject with an EUI or id in it.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::SubjectKind;

/// Why a received message was dropped, the `reason` label of `tern_bus_rejected_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RejectReason {
    /// The payload is not a valid protobuf encoding of the expected message.
    Decode,
}

impl RejectReason {
    fn as_str(self) -> &'static str {
        match self {
            RejectReason::Decode => "decode",
        }
    }
}

/// Outcome of a request, the `result` label of `tern_bus_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RequestResult {
    Ok,
    Timeout,
    NoResponders,
    Decode,
    Error,
}

impl RequestResult {
    fn as_str(self) -> &'static str {
        match self {
            RequestResult::Ok => "ok",
            RequestResult::Timeout => "timeout",
            RequestResult::NoResponders => "no_responders",
            RequestResult::Decode => "decode",
            RequestResult::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubjectLabels {
    subject: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectedLabels {
    subject: &'static str,
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    subject: &'static str,
    result: &'static str,
}

type HistogramFamily = Family<SubjectLabels, Histogram, fn() -> Histogram>;

/// The `tern_bus_*` metrics. Cheap to clone; clones share the same series.
///
/// Series:
/// - `tern_bus_published_total{subject}`: messages published; replies count under the
///   request's subject.
/// - `tern_bus_publish_errors_total{subject}`: publishes that failed.
/// - `tern_bus_received_total{subject}`: messages decoded and handed to a subscriber.
/// - `tern_bus_rejected_total{subject,reason}`: messages dropped before the handler.
/// - `tern_bus_requests_total{subject,result}`: requests by outcome.
/// - `tern_bus_request_duration_seconds{subject}`: request round-trip time.
#[derive(Debug, Clone)]
pub struct BusMetrics {
    published: Family<SubjectLabels, Counter>,
    publish_errors: Family<SubjectLabels, Counter>,
    received: Family<SubjectLabels, Counter>,
    rejected: Family<RejectedLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily,
}

fn request_duration_histogram() -> Histogram {
    // 0.5 ms to about 4 s: a join request on loopback takes about a millisecond.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

impl BusMetrics {
    /// Creates the metrics and registers them under `bus_` in `registry`, which the binary
    /// gives the `tern` prefix (so names read `tern_bus_*`).
    pub fn new(registry: &mut Registry) -> BusMetrics {
        let registry = registry.sub_registry_with_prefix("bus");
        let metrics = BusMetrics {
            published: Family::default(),
            publish_errors: Family::default(),
            received: Family::default(),
            rejected: Family::default(),
            requests: Family::default(),
            request_duration: HistogramFamily::new_with_constructor(request_duration_histogram),
        };
        // Counters get their `_total` suffix from the text encoder.
        registry.register(
            "published",
            "Messages published to NATS",
            metrics.published.clone(),
        );
        registry.register(
            "publish_errors",
            "Messages that could not be published to NATS",
            metrics.publish_errors.clone(),
        );
        registry.register(
            "received",
            "Messages received from NATS and handed to a subscriber",
            metrics.received.clone(),
        );
        registry.register(
            "rejected",
            "Messages received from NATS and dropped before reaching a subscriber",
            metrics.rejected.clone(),
        );
        registry.register(
            "requests",
            "Request/reply exchanges by result",
            metrics.requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Request/reply round-trip time in seconds",
            metrics.request_duration.clone(),
        );
        metrics
    }

    pub(crate) fn published(&self, kind: SubjectKind) {
        self.published
            .get_or_create(&SubjectLabels {
                subject: kind.as_str(),
            })
            .inc();
    }

    pub(crate) fn publish_failed(&self, kind: SubjectKind) {
        self.publish_errors
            .get_or_create(&SubjectLabels {
                subject: kind.as_str(),
            })
            .inc();
    }

    pub(crate) fn received(&self, kind: SubjectKind) {
        self.received
            .get_or_create(&SubjectLabels {
                subject: kind.as_str(),
            })
            .inc();
    }

    pub(crate) fn rejected(&self, kind: SubjectKind, reason: RejectReason) {
        let labels = RejectedLabels {
            subject: kind.as_str(),
            reason: reason.as_str(),
        };
        self.rejected.get_or_create(&labels).inc();
    }

    pub(crate) fn request_done(&self, kind: SubjectKind, result: RequestResult, seconds: f64) {
        let labels = RequestLabels {
            subject: kind.as_str(),
            result: result.as_str(),
        };
        self.requests.get_or_create(&labels).inc();
        self.request_duration
            .get_or_create(&SubjectLabels {
                subject: kind.as_str(),
            })
            .observe(seconds);
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;

    use super::*;

    fn render(registry: &Registry) -> String {
        let mut text = String::new();
        encode(&mut text, registry).unwrap();
        text
    }

    #[test]
    fn counters_render_with_kind_labels_and_total_suffix() {
        let mut registry = Registry::with_prefix("tern");
        let metrics = BusMetrics::new(&mut registry);
        metrics.published(SubjectKind::GwDown);
        metrics.published(SubjectKind::GwDown);
        metrics.received(SubjectKind::Up);
        metrics.rejected(SubjectKind::Up, RejectReason::Decode);
        metrics.publish_failed(SubjectKind::AsUp);
        metrics.request_done(SubjectKind::JsJoin, RequestResult::Timeout, 0.25);

        let text = render(&registry);
        let expected = [
            "tern_bus_published_total{subject=\"gw.down\"} 2",
            "tern_bus_received_total{subject=\"up\"} 1",
            "tern_bus_rejected_total{subject=\"up\",reason=\"decode\"} 1",
            "tern_bus_publish_errors_total{subject=\"as.up\"} 1",
            "tern_bus_requests_total{subject=\"js.join\",result=\"timeout\"} 1",
            "tern_bus_request_duration_seconds_count{subject=\"js.join\"} 1",
        ];
        for line in expected {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn clones_share_series() {
        let mut registry = Registry::with_prefix("tern");
        let metrics = BusMetrics::new(&mut registry);
        metrics.clone().received(SubjectKind::AsSession);
        metrics.received(SubjectKind::AsSession);
        let text = render(&registry);
        assert!(
            text.contains("tern_bus_received_total{subject=\"as.session\"} 2"),
            "{text}"
        );
    }
}
