//! The application service's Prometheus metrics.
//!
//! Labels are bounded: `result`, `event`, `kind` take fixed sets of values, never a DevEUI,
//! an application id or a URL.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tern_telemetry::Metrics;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    kind: &'static str,
    result: &'static str,
}

/// Every `result` of `tern_application_uplinks_total`, registered at zero.
pub(crate) const UPLINK_RESULTS: &[&str] = &[
    "ok",
    "formatter_error",
    "mac_only",
    "unknown_device",
    "no_session",
    "key_error",
    "error",
];

/// The `tern_application_*` metrics. Cheap to clone; clones share the series.
///
/// - `tern_application_uplinks_total{result}`: uplinks from `as.up` by outcome; rejections
///   (`unknown_device`, `no_session`, `key_error`, `mac_only`) are counted here.
/// - `tern_application_sessions_total{result}`: session events from `as.session`.
/// - `tern_application_events_total{event}`: events stored in the event stream.
/// - `tern_application_downlinks_total{result}`: downlink requests (`pushed`, `replaced`,
///   `refused`, `stale`), re-encryptions (`reencrypted`, `reencrypt_failed`, ...) and downlink
///   outcomes from `as.downlink` (`outcome_reported`, `outcome_unknown_device`, ...).
/// - `tern_application_integration_deliveries_total{kind,result}`: webhook and MQTT
///   deliveries (`ok`, `retry`, `failed`, `dropped`).
#[derive(Debug, Clone)]
pub struct ApplicationMetrics {
    uplinks: Family<ResultLabels, Counter>,
    sessions: Family<ResultLabels, Counter>,
    events: Family<EventLabels, Counter>,
    downlinks: Family<ResultLabels, Counter>,
    deliveries: Family<DeliveryLabels, Counter>,
}

impl ApplicationMetrics {
    /// Creates the metrics and registers them under `tern_application_`.
    pub fn register(metrics: &Metrics) -> ApplicationMetrics {
        let application_metrics = ApplicationMetrics {
            uplinks: Family::default(),
            sessions: Family::default(),
            events: Family::default(),
            downlinks: Family::default(),
            deliveries: Family::default(),
        };
        for result in UPLINK_RESULTS {
            // Creating the series is the point; the guard is dropped at once.
            drop(
                application_metrics
                    .uplinks
                    .get_or_create(&ResultLabels { result }),
            );
        }
        metrics.register_with(|registry| {
            let registry = registry.sub_registry_with_prefix("application");
            registry.register(
                "uplinks",
                "Uplinks received on `as.up`, by outcome",
                application_metrics.uplinks.clone(),
            );
            registry.register(
                "sessions",
                "Session events received on `as.session`, by outcome",
                application_metrics.sessions.clone(),
            );
            registry.register(
                "events",
                "Application events stored in the event stream, by event",
                application_metrics.events.clone(),
            );
            registry.register(
                "downlinks",
                "Downlink queue operations, by outcome",
                application_metrics.downlinks.clone(),
            );
            registry.register(
                "integration_deliveries",
                "Integration delivery attempts, by integration kind and outcome",
                application_metrics.deliveries.clone(),
            );
        });
        application_metrics
    }

    /// Counts one uplink with `result`.
    pub(crate) fn uplink(&self, result: &'static str) {
        self.uplinks.get_or_create(&ResultLabels { result }).inc();
    }

    /// Counts one session event with `result`.
    pub(crate) fn session(&self, result: &'static str) {
        self.sessions.get_or_create(&ResultLabels { result }).inc();
    }

    /// Counts one stored event.
    pub(crate) fn event(&self, event: &'static str) {
        self.events.get_or_create(&EventLabels { event }).inc();
    }

    /// Counts one downlink operation with `result`.
    pub(crate) fn downlink(&self, result: &'static str) {
        self.downlinks.get_or_create(&ResultLabels { result }).inc();
    }

    /// Counts one integration delivery attempt.
    pub(crate) fn delivery(&self, kind: &'static str, result: &'static str) {
        self.deliveries
            .get_or_create(&DeliveryLabels { kind, result })
            .inc();
    }
}
