//! The error type of `tern-telemetry`.
//!
//! Variants keep their third-party sources so the binary can log the whole chain.

/// Errors of telemetry set-up, shutdown and the admin server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `telemetry.log_filter` is not valid `EnvFilter` syntax.
    #[error("parse log filter {filter:?}")]
    LogFilter {
        /// The rejected filter.
        filter: String,
        /// Why it was rejected.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    /// OTLP export was configured but [`init`](crate::init) was called outside a tokio runtime.
    #[error("otlp trace export needs a tokio runtime")]
    NoTokioRuntime,
    /// The OTLP span exporter rejected its configuration.
    #[error("build otlp span exporter for {endpoint}")]
    OtlpExporter {
        /// The configured endpoint.
        endpoint: String,
        /// Why the exporter could not be built.
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// A global tracing subscriber (or `log` logger) is already installed.
    #[error("install tracing subscriber")]
    SubscriberInstall(#[source] tracing_subscriber::util::TryInitError),
    /// Flushing or shutting down the tracer provider failed.
    #[error("shut down tracer provider")]
    TracerShutdown(#[source] opentelemetry_sdk::error::OTelSdkError),
    /// The blocking task shutting down the tracer provider panicked.
    #[error("join tracer shutdown task")]
    TracerShutdownTask(#[source] tokio::task::JoinError),
    /// A registered metric failed to encode.
    #[error("encode metrics")]
    MetricsEncode(#[source] std::fmt::Error),
    /// The admin HTTP server failed.
    #[error("serve admin http")]
    AdminServe(#[source] std::io::Error),
}

/// Result of telemetry operations.
pub type Result<T> = std::result::Result<T, Error>;
