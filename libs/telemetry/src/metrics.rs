//! The Prometheus registry holder the binary builds and hands to services.
//!
//! There is deliberately no global registry: whoever needs to register a metric gets a `Metrics`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prometheus_client::registry::{Metric, Registry};

use crate::error::{Error, Result};

/// Shared Prometheus registry; every metric name starts with `tern_`.
///
/// Cheap to clone. A service registers under its own prefix, giving names such as
/// `tern_network_uplinks_total`:
///
/// ```
/// use tern_telemetry::Metrics;
/// use tern_telemetry::prometheus_client::metrics::counter::Counter;
///
/// let metrics = Metrics::new();
/// let uplinks = Counter::<u64>::default();
/// metrics.register_with(|registry| {
///     registry
///         .sub_registry_with_prefix("network")
///         .register("uplinks", "Uplinks received", uplinks.clone());
/// });
/// uplinks.inc();
/// assert!(metrics.encode().unwrap().contains("tern_network_uplinks_total 1"));
/// ```
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates an empty registry with the `tern` prefix.
    pub fn new() -> Self {
        Self {
            registry: Arc::new(Mutex::new(Registry::with_prefix("tern"))),
        }
    }

    /// Registers one metric under `tern_<name>`; counters get the `_total` suffix on encoding.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.lock().register(name, help, metric);
    }

    /// Gives `register` access to the root registry, e.g. to register under a sub-prefix.
    pub fn register_with<R>(&self, register: impl FnOnce(&mut Registry) -> R) -> R {
        register(&mut self.lock())
    }

    /// Encodes every metric in the OpenMetrics text format.
    ///
    /// # Errors
    ///
    /// [`Error::MetricsEncode`] when a metric's labels fail to encode.
    pub fn encode(&self) -> Result<String> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.lock())
            .map_err(Error::MetricsEncode)?;
        Ok(text)
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while registering leaves at worst a missing metric, so poisoning is ignored.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::gauge::Gauge;

    use super::*;

    #[test]
    fn encodes_registered_metrics_with_tern_prefix() {
        let metrics = Metrics::new();
        let ready_gauge = Gauge::<i64>::default();
        metrics.register("build_info", "Build information", ready_gauge.clone());
        let rejected = Counter::<u64>::default();
        metrics.clone().register_with(|registry| {
            registry.sub_registry_with_prefix("bus").register(
                "rejected",
                "Rejected messages",
                rejected.clone(),
            );
        });
        ready_gauge.set(1);
        rejected.inc_by(2);
        let text = metrics.encode().unwrap();
        assert!(text.contains("# TYPE tern_build_info gauge\n"), "{text}");
        assert!(text.contains("tern_build_info 1\n"), "{text}");
        assert!(text.contains("tern_bus_rejected_total 2\n"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
