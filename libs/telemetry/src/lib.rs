//! Tern telemetry: tracing and OpenTelemetry set-up, the Prometheus registry holder, readiness
//! flags, the shutdown token, and the admin HTTP server (`/healthz`, `/readyz`, `/metrics`).
//!
//! Only binaries call [`init`]; libraries only emit `tracing` events and register metrics in the
//! [`Metrics`] handed to them.
//! There is no global metrics registry and no global readiness state: the binary constructs them
//! and passes them on.

mod admin;
mod error;
mod init;
mod metrics;
mod readiness;
mod shutdown;

pub use admin::{AdminState, OPENMETRICS_CONTENT_TYPE, admin_router, serve_admin};
pub use error::{Error, Result};
pub use init::{TelemetryGuard, init};
pub use metrics::Metrics;
pub use readiness::Readiness;
pub use shutdown::Shutdown;

/// Re-export of the metric types services register, so they need no direct dependency.
pub use prometheus_client;
