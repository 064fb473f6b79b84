//! Tests of `tern_telemetry::init` that install the global subscriber; they live in their own test
//! binary because a process has one global subscriber.

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use tern_config::{LogFormat, TelemetryConfig};
use tern_telemetry::{Error, Shutdown, init};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// A stand-in OTLP collector that hands every export request to the test.
struct Collector {
    requests: mpsc::UnboundedSender<ExportTraceServiceRequest>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let _ = self.requests.send(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

/// Returns the string attribute `key` of an attribute list.
fn string_attribute(
    attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue],
    key: &str,
) -> Option<String> {
    attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(
            |attribute| match attribute.value.as_ref()?.value.as_ref()? {
                Value::StringValue(text) => Some(text.clone()),
                _ => None,
            },
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_spans_over_otlp_grpc_and_installs_only_once() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (requests, mut received) = mpsc::unbounded_channel();
    let stop_collector = Shutdown::new();
    let collector = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Collector { requests }))
            .serve_with_incoming_shutdown(
                TcpIncoming::from(listener),
                stop_collector.clone().wait_owned(),
            ),
    );

    let config = TelemetryConfig {
        log_format: LogFormat::Json,
        log_filter: String::from("info"),
        otlp_endpoint: Some(endpoint),
        otlp_timeout: Duration::from_secs(5),
        service_name: String::from("tern-telemetry-test"),
        ..TelemetryConfig::default()
    };
    let guard = init(&config).unwrap();
    assert!(guard.exports_traces());

    let second = init(&TelemetryConfig::default());
    assert!(
        matches!(second, Err(Error::SubscriberInstall(_))),
        "{second:?}"
    );

    {
        let span = tracing::info_span!("uplink", dedup_id = "d-1");
        let _entered = span.enter();
        tracing::info!("uplink received");
    }
    // Filtered out by `log_filter = "info"`, so never exported.
    drop(tracing::debug_span!("too_verbose"));

    // Shutdown flushes the batch to the collector.
    tokio::time::timeout(Duration::from_secs(20), guard.shutdown())
        .await
        .expect("shutdown finishes within 20s")
        .unwrap();
    let mut spans = Vec::new();
    while let Ok(request) = received.try_recv() {
        for resource_spans in request.resource_spans {
            let resource = resource_spans.resource.unwrap_or_default();
            assert_eq!(
                string_attribute(&resource.attributes, "service.name").as_deref(),
                Some("tern-telemetry-test")
            );
            for scope_spans in resource_spans.scope_spans {
                spans.extend(scope_spans.spans);
            }
        }
    }
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
    assert_eq!(names, ["uplink"]);
    assert_eq!(
        string_attribute(&spans[0].attributes, "dedup_id").as_deref(),
        Some("d-1")
    );
    assert_eq!(spans[0].trace_id.len(), 16);

    stop_collector.trigger();
    collector.await.unwrap().unwrap();
}
