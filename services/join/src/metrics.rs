//! The join service's Prometheus metrics.
//!
//! Labels are bounded: `result` is one of the join answer codes, never an EUI.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use tern_proto::internal::v1 as pb;
use tern_telemetry::Metrics;

use crate::error::result_label;

/// The `result` label value of an accepted join.
pub(crate) const RESULT_OK: &str = "ok";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// The `tern_join_*` metrics. Cheap to clone; clones share the series.
///
/// - `tern_join_requests_total{result}`: requests on `js.join` by answer: `ok`,
///   `unknown_device`, `invalid_mic`, `dev_nonce_reused`, `invalid_frame`, `keys_missing`,
///   `internal`.
/// - `tern_join_request_duration_seconds`: time from receiving a request to sending its answer.
#[derive(Debug, Clone)]
pub(crate) struct JoinMetrics {
    requests: Family<ResultLabels, Counter>,
    duration: Histogram,
}

impl JoinMetrics {
    /// Creates the metrics and registers them under `tern_join_`.
    pub(crate) fn register(metrics: &Metrics) -> JoinMetrics {
        let join_metrics = JoinMetrics {
            requests: Family::default(),
            // 0.25 ms to about 4 s: a join takes a few database round trips.
            duration: Histogram::new(exponential_buckets(0.000_25, 2.0, 15)),
        };
        // Every result starts at zero, so rates and alerts work before the first rejection.
        let codes = [
            pb::JoinErrorCode::UnknownDevice,
            pb::JoinErrorCode::InvalidMic,
            pb::JoinErrorCode::DevNonceReused,
            pb::JoinErrorCode::InvalidFrame,
            pb::JoinErrorCode::KeysMissing,
            pb::JoinErrorCode::Internal,
        ];
        let results = std::iter::once(RESULT_OK).chain(codes.into_iter().map(result_label));
        for result in results {
            // Creating the series is the point; the returned guard is dropped at once.
            drop(
                join_metrics
                    .requests
                    .get_or_create(&ResultLabels { result }),
            );
        }
        metrics.register_with(|registry| {
            let registry = registry.sub_registry_with_prefix("join");
            registry.register(
                "requests",
                "Join-requests and rejoin-requests answered, by result",
                join_metrics.requests.clone(),
            );
            registry.register(
                "request_duration_seconds",
                "Time to answer one join-request, in seconds",
                join_metrics.duration.clone(),
            );
        });
        join_metrics
    }

    /// Counts one answered request.
    pub(crate) fn answered(&self, result: &'static str, seconds: f64) {
        self.requests.get_or_create(&ResultLabels { result }).inc();
        self.duration.observe(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_every_result_at_zero_and_counts() {
        let metrics = Metrics::new();
        let join_metrics = JoinMetrics::register(&metrics);
        join_metrics.answered("invalid_mic", 0.001);
        let text = metrics.encode().unwrap();
        for line in [
            "tern_join_requests_total{result=\"ok\"} 0",
            "tern_join_requests_total{result=\"invalid_mic\"} 1",
            "tern_join_requests_total{result=\"internal\"} 0",
            "tern_join_request_duration_seconds_count 1",
        ] {
            assert!(text.contains(line), "{line} missing in {text}");
        }
    }
}
