//! The application service continues the uplink's trace: the `up` event it publishes carries
//! a `traceparent` of the trace the `as.up` message came with.
//!
//! This file holds one test because it installs a global subscriber with an OpenTelemetry
//! layer: the service's tasks are spawned, so a per-future subscriber would not reach them.

use futures::StreamExt;
use lorawan_codec::Aes128Key;
use opentelemetry::Context;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tern_application::Formatter;
use tern_application::testsuite::{TEST_TIMEOUT, TestEnv, encrypted_uplink};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

/// Trace id of the W3C Trace Context specification's `traceparent` example (§3.2.2.3).
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test]
async fn up_event_continues_the_uplinks_trace() {
    let provider = SdkTracerProvider::builder().build();
    let tracer = provider.tracer("tern-application-test");
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let env = TestEnv::start().await.unwrap();
    let key: Aes128Key = "00000000000000000000000000000001".parse().unwrap();
    env.register_device(0x77, "traced", "dev", Formatter::None)
        .await
        .unwrap();
    env.publish_session(0x77, 0x2600_0077, key, 0)
        .await
        .unwrap();
    env.wait_counter("sessions", "result=\"ok\"", 1)
        .await
        .unwrap();

    let client = async_nats::connect(&env.bus_options.url).await.unwrap();
    let subject = env
        .bus
        .subjects()
        .app_event("traced", 0x77, tern_bus::AppEvent::Up)
        .unwrap();
    let mut events = client.subscribe(subject.as_str().to_owned()).await.unwrap();
    client.flush().await.unwrap();

    let remote = SpanContext::new(
        TraceId::from_hex(TRACE_ID).unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let span = tracing::info_span!("network uplink");
    span.set_parent(Context::new().with_remote_span_context(remote))
        .unwrap();
    let uplink = encrypted_uplink(0x77, 0x2600_0077, &key, 1, 1, b"traced");
    env.publish_uplink(&uplink).instrument(span).await.unwrap();

    let message = tokio::time::timeout(TEST_TIMEOUT, events.next())
        .await
        .unwrap()
        .unwrap();
    let traceparent = message
        .headers
        .as_ref()
        .and_then(|headers| headers.get("traceparent"))
        .map(|value| value.as_str().to_owned())
        .unwrap_or_default();
    assert!(
        traceparent.starts_with(&format!("00-{TRACE_ID}-")),
        "{traceparent:?}"
    );
    // The event is a new span of that trace, not the network's span.
    assert!(!traceparent.contains("00f067aa0ba902b7"), "{traceparent}");
    env.stop().await.unwrap();
}
