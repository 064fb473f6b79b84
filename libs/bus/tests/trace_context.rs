//! W3C trace context across the bus: the receiver continues the sender's trace.
//!
//! The OpenTelemetry layer is installed per test future with `with_subscriber`, never
//! globally, so the tests stay independent.

use std::time::Duration;

use futures::StreamExt;
use opentelemetry::Context;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use prometheus_client::registry::Registry;
use tern_bus::testsuite::{samples, test_options};
use tern_bus::{Bus, BusMetrics, BusOptions};
use tern_proto::internal::v1 as pb;
use tracing::Instrument;
use tracing::instrument::WithSubscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

/// Trace id of the W3C Trace Context specification's `traceparent` example (§3.2.2.3).
const TRACE_ID: [u8; 16] = [
    0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36,
];
const PARENT_SPAN_ID: [u8; 8] = [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7];
const TIMEOUT: Duration = Duration::from_secs(5);

async fn connect(options: &BusOptions) -> Bus {
    Bus::connect(options, BusMetrics::new(&mut Registry::with_prefix("tern")))
        .await
        .unwrap()
}

fn otel_subscriber() -> impl tracing::Subscriber + Send + Sync {
    let provider = SdkTracerProvider::builder().build();
    let tracer = provider.tracer("tern-bus-test");
    tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer))
}

/// Returns a span that belongs to the known remote trace.
fn span_in_known_trace(name: &'static str) -> tracing::Span {
    let remote = SpanContext::new(
        TraceId::from_bytes(TRACE_ID),
        SpanId::from_bytes(PARENT_SPAN_ID),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let span = tracing::info_span!("test", otel.name = name);
    span.set_parent(Context::new().with_remote_span_context(remote))
        .unwrap();
    span
}

#[tokio::test]
async fn receiver_continues_the_publishers_trace() {
    async {
        let options = test_options();
        let bus = connect(&options).await;
        let subject = bus.subjects().up();
        let mut up = bus.subscribe::<pb::UplinkFrame>(&subject).await.unwrap();

        let publisher = span_in_known_trace("publish");
        bus.publish(&subject, &samples::uplink_frame(1))
            .instrument(publisher.clone())
            .await
            .unwrap();
        let publisher_span_id = publisher.context().span().span_context().span_id();

        let delivery = tokio::time::timeout(TIMEOUT, up.next())
            .await
            .unwrap()
            .unwrap();
        let sender = delivery.trace_context().span().span_context().clone();
        assert!(sender.is_remote());
        assert_eq!(sender.trace_id(), TraceId::from_bytes(TRACE_ID));
        // The parent is the publishing span itself, not its remote parent.
        assert_eq!(sender.span_id(), publisher_span_id);
        assert!(sender.is_sampled());

        let handler = tracing::info_span!("handler");
        delivery.continue_trace(&handler);
        let handler_context = handler.context().span().span_context().clone();
        assert_eq!(handler_context.trace_id(), TraceId::from_bytes(TRACE_ID));
        assert_ne!(handler_context.span_id(), publisher_span_id);
    }
    .with_subscriber(otel_subscriber())
    .await;
}

#[tokio::test]
async fn request_and_reply_stay_in_one_trace() {
    async {
        let options = test_options();
        let responder_bus = connect(&options).await;
        let bus = connect(&options).await;
        let subject = bus.subjects().js_join();
        let mut requests = responder_bus
            .subscribe::<pb::UplinkFrame>(&subject)
            .await
            .unwrap();

        let responder = async {
            let request = requests.next().await.unwrap();
            let handler = tracing::info_span!("join");
            request.continue_trace(&handler);
            let seen = request.trace_context().span().span_context().trace_id();
            request
                .reply(&samples::downlink_frame(1))
                .instrument(handler)
                .await
                .unwrap();
            seen
        };
        let requester = async {
            let span = span_in_known_trace("request");
            bus.request::<_, pb::DownlinkFrame>(&subject, &samples::uplink_frame(1), TIMEOUT)
                .instrument(span)
                .await
                .unwrap()
        };
        let (seen, reply) = tokio::join!(responder, requester);
        assert_eq!(seen, TraceId::from_bytes(TRACE_ID));
        assert_eq!(reply, samples::downlink_frame(1));
    }
    .with_subscriber(otel_subscriber())
    .await;
}

#[tokio::test]
async fn message_without_span_carries_no_trace_context() {
    // No OpenTelemetry layer: nothing to inject, and the receiver sees an empty context.
    let options = test_options();
    let bus = connect(&options).await;
    let subject = bus.subjects().as_up();
    let mut as_up = bus.subscribe::<pb::UplinkFrame>(&subject).await.unwrap();
    bus.publish(&subject, &samples::uplink_frame(2))
        .await
        .unwrap();
    let delivery = tokio::time::timeout(TIMEOUT, as_up.next())
        .await
        .unwrap()
        .unwrap();
    assert!(!delivery.trace_context().span().span_context().is_valid());
    // Without a layer, continuing the trace is a harmless no-op.
    delivery.continue_trace(&tracing::info_span!("handler"));
}
