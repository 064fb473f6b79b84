//! W3C trace context (`traceparent`, `tracestate`) carried in NATS headers.
//!
//! On send, the OpenTelemetry context of the current `tracing` span is injected;
//! on receive, it is extracted for the handler's span. The propagator is held by the
//! bus, never installed globally. Only this module reads or writes trace headers.

use async_nats::HeaderMap;
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Injects and extracts W3C Trace Context (W3C Recommendation "Trace Context" §3).
#[derive(Debug, Clone, Default)]
pub(crate) struct TracePropagation {
    propagator: TraceContextPropagator,
}

impl TracePropagation {
    /// Returns headers carrying the current span's trace context, or `None` when the
    /// current span belongs to no sampled or unsampled trace (tracing off, no OTel layer).
    pub(crate) fn current_headers(&self) -> Option<HeaderMap> {
        let context = tracing::Span::current().context();
        if !context.span().span_context().is_valid() {
            return None;
        }
        let mut headers = HeaderMap::new();
        self.propagator
            .inject_context(&context, &mut HeaderInjector(&mut headers));
        (!headers.is_empty()).then_some(headers)
    }

    /// Extracts the sender's trace context; empty when the message carried none.
    pub(crate) fn extract(&self, headers: Option<&HeaderMap>) -> Context {
        match headers {
            Some(headers) => self.propagator.extract(&HeaderExtractor(headers)),
            None => Context::new(),
        }
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value);
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|value| value.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_ref()).collect()
    }
}
