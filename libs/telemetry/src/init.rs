//! Installs the process-wide tracing subscriber: logs to standard output, plus OpenTelemetry
//! trace export over OTLP/gRPC when an endpoint is configured.
//!
//! Only binaries call [`init`]; libraries never do. Metrics are not exported over OTLP: they are
//! scraped from `/metrics`.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tern_config::{LogFormat, TelemetryConfig};
use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, fmt};

use crate::error::{Error, Result};

/// Targets whose events never become exported spans: the exporter's own stack would otherwise
/// trace its own exports.
const EXPORTER_TARGETS: &[&str] = &["opentelemetry", "tonic", "h2", "hyper", "tower"];

/// Tells whether `target` belongs to a crate listed in [`EXPORTER_TARGETS`], including its
/// siblings such as `opentelemetry_sdk` (module path) and `opentelemetry-otlp` (the package name
/// OpenTelemetry's internal logs use as target).
fn is_exporter_internal(target: &str) -> bool {
    EXPORTER_TARGETS.iter().any(|prefix| {
        target.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with("::") || rest.starts_with(['_', '-'])
        })
    })
}

/// Keeps trace export alive; dropping it flushes and shuts down the tracer provider.
///
/// Prefer [`TelemetryGuard::shutdown`] in async code: `Drop` blocks the current thread until the
/// export finishes or times out (`telemetry.otlp_timeout`), which on a current-thread tokio runtime
/// cannot make progress and so always waits for the timeout.
#[derive(Debug)]
#[must_use = "dropping the guard shuts down trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Tells whether traces are exported.
    pub fn exports_traces(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes pending spans and shuts down the tracer provider on a blocking thread.
    ///
    /// # Errors
    ///
    /// [`Error::TracerShutdown`] when the flush or shutdown fails (e.g. the collector is down), and
    /// [`Error::TracerShutdownTask`] when the blocking task panics.
    pub async fn shutdown(mut self) -> Result<()> {
        let Some(provider) = self.provider.take() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || provider.shutdown())
            .await
            .map_err(Error::TracerShutdownTask)?
            .map_err(Error::TracerShutdown)
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(error = %error, "shut down tracer provider");
        }
    }
}

/// Installs the global tracing subscriber described by `config`.
///
/// - Logs go to standard output, `pretty` (human-readable lines) or `json` (one object per line with
///   the current span's fields), filtered by `log_filter` in `EnvFilter` syntax.
/// - When `otlp_endpoint` is set, spans are exported over OTLP/gRPC in batches, sampled by
///   `trace_sampling_ratio` for new traces and by the parent's decision otherwise, with
///   `service.name` from `service_name`. This needs a tokio runtime, and a multi-thread one for a
///   prompt shutdown.
/// - The W3C trace-context propagator is installed as the global text-map propagator, so
///   `traceparent` headers are read and written by `tern-bus` and the gRPC layer.
///
/// # Errors
///
/// [`Error::LogFilter`] for a bad filter, [`Error::NoTokioRuntime`] or [`Error::OtlpExporter`] when
/// the exporter cannot be built, [`Error::SubscriberInstall`] when a global subscriber exists.
/// Nothing is installed when an error is returned.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard> {
    let filter = EnvFilter::try_new(&config.log_filter).map_err(|source| Error::LogFilter {
        filter: config.log_filter.clone(),
        source,
    })?;
    let provider = config
        .otlp_endpoint
        .as_deref()
        .map(|endpoint| tracer_provider(config, endpoint))
        .transpose()?;

    let subscriber = tracing_subscriber::registry().with(filter);
    let layers = layers(config, provider.as_ref());
    if let Err(error) = subscriber.with(layers).try_init() {
        if let Some(provider) = provider {
            // Nothing was exported yet; the provider only needs its worker stopped.
            let _ = provider.shutdown();
        }
        return Err(Error::SubscriberInstall(error));
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    if let Some(provider) = &provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    Ok(TelemetryGuard { provider })
}

/// Builds the batch-exporting tracer provider.
fn tracer_provider(config: &TelemetryConfig, endpoint: &str) -> Result<SdkTracerProvider> {
    // The tonic channel spawns its worker on the current runtime; without one it would panic.
    tokio::runtime::Handle::try_current().map_err(|_| Error::NoTokioRuntime)?;
    let exporter = SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(config.otlp_timeout)
        .build()
        .map_err(|source| Error::OtlpExporter {
            endpoint: endpoint.to_owned(),
            source,
        })?;
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
        config.trace_sampling_ratio,
    )));
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(
            Resource::builder()
                .with_service_name(config.service_name.clone())
                .build(),
        )
        .build())
}

/// Builds the log layer and, with a provider, the OpenTelemetry layer.
fn layers<S>(
    config: &TelemetryConfig,
    provider: Option<&SdkTracerProvider>,
) -> Vec<Box<dyn Layer<S> + Send + Sync>>
where
    S: Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
{
    let mut layers = Vec::with_capacity(2);
    layers.push(match config.log_format {
        LogFormat::Pretty => fmt::layer().with_ansi(config.log_ansi).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    });
    if let Some(provider) = provider {
        let tracer = provider.tracer(config.service_name.clone());
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(filter_fn(|metadata| {
                    !is_exporter_internal(metadata.target())
                }))
                .boxed(),
        );
    }
    layers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exporter_internal_targets_table() {
        let cases = [
            ("opentelemetry", true),
            ("opentelemetry_sdk::trace", true),
            ("opentelemetry-otlp", true),
            ("h2::proto", true),
            ("hyper_util::client", true),
            ("tonic", true),
            ("tern_network::uplink", false),
            ("hyperdrive", false),
            ("towerx", false),
        ];
        for (target, want) in cases {
            assert_eq!(is_exporter_internal(target), want, "target {target:?}");
        }
    }

    #[test]
    fn rejects_bad_log_filter_with_typed_error() {
        let config = TelemetryConfig {
            log_filter: String::from("info,tern=verbose"),
            ..TelemetryConfig::default()
        };
        match init(&config) {
            Err(Error::LogFilter { filter, .. }) => assert_eq!(filter, "info,tern=verbose"),
            other => panic!("want LogFilter error, got {other:?}"),
        }
    }

    #[test]
    fn otlp_outside_a_tokio_runtime_is_a_typed_error() {
        let config = TelemetryConfig {
            otlp_endpoint: Some(String::from("http://127.0.0.1:4317")),
            ..TelemetryConfig::default()
        };
        assert!(matches!(init(&config), Err(Error::NoTokioRuntime)));
    }
}
