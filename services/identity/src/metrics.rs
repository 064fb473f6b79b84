//! The identity service's Prometheus metrics, counted by a tower layer around the gRPC server.
//!
//! - `tern_identity_calls_total{service,method,code}`: API calls by gRPC status. Labels are
//!   bounded: a path that names no known service and method counts as `other`, so a client
//!   cannot create series.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tern_telemetry::Metrics;

use crate::grpc::SERVICE_NAMES;

/// Methods of the API services.
const METHODS: [&str; 7] = [
    "Create",
    "Get",
    "Update",
    "Delete",
    "List",
    "SetKeys",
    "DeleteKeys",
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    service: &'static str,
    method: &'static str,
    code: &'static str,
}

/// The `tern_identity_*` metrics. Cheap to clone; clones share the series.
#[derive(Debug, Clone)]
pub struct IdentityMetrics {
    calls: Family<CallLabels, Counter>,
}

impl IdentityMetrics {
    /// Creates the metrics and registers them under `tern_identity_`.
    pub fn register(metrics: &Metrics) -> IdentityMetrics {
        let identity_metrics = IdentityMetrics {
            calls: Family::default(),
        };
        metrics.register_with(|registry| {
            registry.sub_registry_with_prefix("identity").register(
                "calls",
                "Identity API calls, by service, method and gRPC status code",
                identity_metrics.calls.clone(),
            );
        });
        identity_metrics
    }

    fn count(&self, path: &str, grpc_status: Option<&[u8]>) {
        let (service, method) = known_method(path);
        self.calls
            .get_or_create(&CallLabels {
                service,
                method,
                code: code_label(grpc_status),
            })
            .inc();
    }
}

/// Maps `/tern.api.v1.DeviceService/Create` to its static service and method names.
fn known_method(path: &str) -> (&'static str, &'static str) {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (service, method) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let service = SERVICE_NAMES.into_iter().find(|name| *name == service);
    let method = METHODS.into_iter().find(|name| *name == method);
    match (service, method) {
        (Some(service), Some(method)) => (service, method),
        _ => ("other", "other"),
    }
}

/// Names a `grpc-status` header value; a response without one is a success whose status
/// follows in the trailers.
fn code_label(grpc_status: Option<&[u8]>) -> &'static str {
    match grpc_status {
        None | Some(b"0") => "ok",
        Some(b"3") => "invalid_argument",
        Some(b"5") => "not_found",
        Some(b"6") => "already_exists",
        Some(b"7") => "permission_denied",
        Some(b"14") => "unavailable",
        Some(b"16") => "unauthenticated",
        Some(b"13") => "internal",
        Some(_) => "other",
    }
}

/// The tower layer counting calls.
#[derive(Debug, Clone)]
pub(crate) struct CountCallsLayer(pub IdentityMetrics);

impl<S> tower::Layer<S> for CountCallsLayer {
    type Service = CountCalls<S>;

    fn layer(&self, inner: S) -> CountCalls<S> {
        CountCalls {
            inner,
            metrics: self.0.clone(),
        }
    }
}

/// A service counting each response of the inner one.
#[derive(Debug, Clone)]
pub(crate) struct CountCalls<S> {
    inner: S,
    metrics: IdentityMetrics,
}

impl<S, B, RB> tower::Service<http::Request<B>> for CountCalls<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let metrics = self.metrics.clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            let res = response.await;
            if let Ok(response) = &res {
                let status = response.headers().get("grpc-status").map(|v| v.as_bytes());
                metrics.count(&path, status);
            }
            res
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_bounded() {
        assert_eq!(
            known_method("/tern.api.v1.DeviceService/Create"),
            ("tern.api.v1.DeviceService", "Create")
        );
        assert_eq!(known_method("/evil.Service/x"), ("other", "other"));
        assert_eq!(
            known_method("/tern.api.v1.DeviceService/Drop"),
            ("other", "other")
        );
        assert_eq!(code_label(None), "ok");
        assert_eq!(code_label(Some(b"7")), "permission_denied");
        assert_eq!(code_label(Some(b"99")), "other");
    }
}
