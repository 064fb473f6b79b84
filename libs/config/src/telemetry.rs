//! The `[telemetry]` section: logs, traces and the service name they carry.
//!
//! Only binaries act on it, through `tern_telemetry::init`; libraries just emit `tracing` events.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Value;

use crate::schema::{KeyDoc, SectionDoc};
use crate::validate::Checks;

/// Format of log lines written to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for terminals.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging and tracing settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Format of log lines.
    pub log_format: LogFormat,
    /// Which events to log, in `tracing_subscriber::EnvFilter` syntax, e.g. `info,tern_network=debug`.
    pub log_filter: String,
    /// Whether `pretty` logs use ANSI colours.
    pub log_ansi: bool,
    /// `service.name` of exported traces.
    pub service_name: String,
    /// Optional OTLP/gRPC collector endpoint; traces are exported only when it is set.
    pub otlp_endpoint: Option<String>,
    /// Timeout for one trace export.
    #[serde(with = "humantime_serde")]
    pub otlp_timeout: Duration,
    /// Fraction of new traces that are sampled, from 0 to 1; traces started upstream follow the
    /// caller's decision.
    pub trace_sampling_ratio: f64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Pretty,
            log_filter: String::from("info"),
            log_ansi: true,
            service_name: String::from("tern"),
            otlp_endpoint: None,
            otlp_timeout: Duration::from_secs(10),
            trace_sampling_ratio: 1.0,
        }
    }
}

impl TelemetryConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "telemetry",
        doc: "Logs and traces.",
        keys: &[
            KeyDoc::new(
                "log_format",
                "Log line format: `pretty` (human-readable) or `json` (one object per line).",
            ),
            KeyDoc::new(
                "log_filter",
                "Which events to log, in tracing's EnvFilter syntax, e.g. `info,tern_network=debug`.",
            ),
            KeyDoc::new("log_ansi", "Whether `pretty` logs use ANSI colours."),
            KeyDoc::new(
                "service_name",
                "`service.name` resource attribute of exported traces.",
            ),
            KeyDoc::optional(
                "otlp_endpoint",
                "OpenTelemetry collector endpoint for OTLP over gRPC (http:// only).\n\
                 Traces are exported only when it is set; use a local collector for TLS.",
                "\"http://127.0.0.1:4317\"",
            ),
            KeyDoc::new("otlp_timeout", "Timeout for one trace export."),
            KeyDoc::new(
                "trace_sampling_ratio",
                "Fraction of new traces that are sampled, from 0 to 1.\n\
                 Traces started upstream (with a `traceparent`) follow the caller's decision.",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        checks.non_empty("telemetry.log_filter", &self.log_filter);
        checks.non_empty("telemetry.service_name", &self.service_name);
        if let Some(endpoint) = &self.otlp_endpoint {
            checks.url(
                "telemetry.otlp_endpoint",
                endpoint,
                &["http"],
                "scheme must be http://",
            );
        }
        checks.positive("telemetry.otlp_timeout", self.otlp_timeout);
        checks.require(
            (0.0..=1.0).contains(&self.trace_sampling_ratio),
            "telemetry.trace_sampling_ratio",
            &Value::Float(self.trace_sampling_ratio),
            "must be between 0 and 1",
        );
    }
}
