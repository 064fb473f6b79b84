//! Trace context: each uplink starts a trace that travels with it on `up`, and a downlink's
//! TX_ACK continues the trace of the downlink.
//!
//! The OpenTelemetry layer is installed per future with `with_subscriber`, never globally.

use opentelemetry::Context;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use semtech_udp::{CrcStatus, Identifier};
use tern_bus::testsuite::{samples, test_options};
use tern_gateway::GatewayDeps;
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tracing::Instrument;
use tracing::instrument::WithSubscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

use crate::support::*;

const EUI: u64 = 0x0102_0304_0506_0708;

/// Trace id of the W3C Trace Context specification's `traceparent` example (§3.2.2.3).
const TRACE_ID: [u8; 16] = [
    0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36,
];

fn otel_subscriber() -> impl tracing::Subscriber + Send + Sync {
    let provider = SdkTracerProvider::builder().build();
    let tracer = provider.tracer("tern-gateway-test");
    tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer))
}

#[tokio::test]
async fn uplinks_carry_a_trace_and_tx_acks_continue_the_downlinks_trace() {
    async {
        let options = test_options();
        let observer = connect_bus(&options).await;
        let mut up = observer
            .subscribe::<pb::UplinkFrame>(&observer.subjects().up())
            .await
            .unwrap();
        let mut claims = observer
            .subscribe_bytes(&observer.subjects().gw_claim(EUI))
            .await
            .unwrap();
        let mut txack = observer
            .subscribe::<pb::DownlinkTxAck>(&observer.subjects().gw_txack(EUI))
            .await
            .unwrap();
        let readiness = Readiness::new();
        let deps = GatewayDeps {
            bus: connect_bus(&options).await,
            metrics: Metrics::new(),
            readiness: readiness.clone(),
        };
        let gateway = tern_gateway::bind(&test_config(), deps).await.unwrap();
        let addr = gateway.local_addr();
        let shutdown = Shutdown::new();
        let serve = tokio::spawn(
            gateway
                .serve(shutdown.clone())
                .with_subscriber(otel_subscriber()),
        );
        eventually("edge ready", || readiness.is_ready()).await;
        let mut device = TestGateway::new(EUI, addr).await;

        let token = device
            .push_data(vec![rxpk(&[0x40, 0x01], CrcStatus::Ok)], None)
            .await;
        device.expect_ack(Identifier::PushAck, token).await;
        let delivery = next(&mut up).await;
        let uplink = delivery.trace_context().span().span_context().clone();
        assert!(uplink.is_valid() && uplink.is_remote(), "{uplink:?}");

        device.connect(&mut claims).await;
        let remote = SpanContext::new(
            TraceId::from_bytes(TRACE_ID),
            SpanId::from_bytes([0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let scheduler = tracing::info_span!("schedule");
        scheduler
            .set_parent(Context::new().with_remote_span_context(remote))
            .unwrap();
        observer
            .publish(
                &observer.subjects().gw_down(EUI),
                &samples::downlink_frame(EUI),
            )
            .instrument(scheduler)
            .await
            .unwrap();
        let pull_resp = device.next_pull_resp().await;
        device.tx_ack(pull_resp.token, None).await;
        let delivery = next(&mut txack).await;
        let ack = delivery.trace_context().span().span_context().clone();
        assert_eq!(ack.trace_id(), TraceId::from_bytes(TRACE_ID));
        assert_ne!(uplink.trace_id(), ack.trace_id());

        shutdown.trigger();
        serve.await.unwrap().unwrap();
    }
    .with_subscriber(otel_subscriber())
    .await;
}
