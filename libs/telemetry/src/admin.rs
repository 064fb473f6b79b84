//! The admin HTTP server: `/healthz`, `/readyz` and `/metrics` on one port.
//!
//! It binds nothing itself: the binary binds the listener from `[admin] listen`, so tests can use
//! port 0. It serves no API and no debug endpoints.

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::readiness::{NotReady, Readiness};

/// Content type of `/metrics`: the OpenMetrics text format.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the admin server reports on.
#[derive(Debug, Clone, Default)]
pub struct AdminState {
    /// Registry encoded by `/metrics`.
    pub metrics: Metrics,
    /// Flags checked by `/readyz`.
    pub readiness: Readiness,
}

impl AdminState {
    /// Bundles the registry and readiness flags the server reports.
    pub fn new(metrics: Metrics, readiness: Readiness) -> Self {
        Self { metrics, readiness }
    }
}

/// Builds the admin routes, for binaries that serve them alongside others.
///
/// - `GET /healthz`: 200 `ok` while the process answers.
/// - `GET /readyz`: 200 `ready` when [`Readiness::is_ready`]; else 503 with a one-line reason
///   (`draining`, `no components registered`, or `not ready: join, network`).
/// - `GET /metrics`: the registry in the OpenMetrics text format.
pub fn admin_router(state: AdminState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves [`admin_router`] on `listener` until `shutdown` resolves, then finishes in-flight
/// requests and returns.
///
/// # Errors
///
/// [`Error::AdminServe`] when accepting connections fails for good.
pub async fn serve_admin(
    listener: TcpListener,
    state: AdminState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, admin_router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(Error::AdminServe)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AdminState>) -> Response {
    match state.readiness.not_ready() {
        None => (StatusCode::OK, "ready\n").into_response(),
        Some(NotReady::Draining) => (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response(),
        Some(NotReady::NoComponents) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no components registered\n",
        )
            .into_response(),
        Some(NotReady::Components(names)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", names.join(", ")),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AdminState>) -> Response {
    match state.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], text).into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "encode metrics");
            (StatusCode::INTERNAL_SERVER_ERROR, "encode metrics\n").into_response()
        }
    }
}

#[cfg(test)]
mod tests;
