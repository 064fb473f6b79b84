//! Request/reply against the loopback NATS server: answers, timeouts, missing
//! responders and undecodable replies.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use prometheus_client::registry::Registry;
use tern_bus::testsuite::{samples, test_options};
use tern_bus::{Bus, BusMetrics, BusOptions, Error};
use tern_proto::ServiceError;
use tern_proto::internal::v1 as pb;

const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// Real time: the responder is a real NATS subscriber on another connection, so the
/// tokio clock cannot be paused here.
const SHORT_TIMEOUT: Duration = Duration::from_millis(300);

async fn connect(options: &BusOptions) -> (Bus, Registry) {
    let mut registry = Registry::with_prefix("tern");
    let metrics = BusMetrics::new(&mut registry);
    (Bus::connect(options, metrics).await.unwrap(), registry)
}

fn metrics_text(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

/// Answers every downlink frame on `gw.{eui}.down` with a TX ack for its id.
async fn spawn_ack_responder(bus: &Bus, gateway_eui: u64) -> tokio::task::JoinHandle<()> {
    let subject = bus.subjects().gw_down(gateway_eui);
    let mut requests = bus
        .queue_subscribe::<pb::DownlinkFrame>(&subject, "gateway")
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            let frame = request.message();
            let ack = pb::DownlinkTxAck {
                downlink_id: frame.downlink_id,
                gateway_eui: frame.gateway_eui,
                items: vec![pb::DownlinkTxAckItem {
                    status: pb::TxAckStatus::Ok as i32,
                }],
            };
            request.reply(&ack).await.unwrap();
        }
    })
}

#[tokio::test]
async fn request_gets_the_decoded_reply() {
    let options = test_options();
    let (responder_bus, _) = connect(&options).await;
    let (bus, registry) = connect(&options).await;
    let responder = spawn_ack_responder(&responder_bus, 42).await;

    let frame = samples::downlink_frame(42);
    let ack: pb::DownlinkTxAck = bus
        .request(&bus.subjects().gw_down(42), &frame, ANSWER_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(ack.downlink_id, frame.downlink_id);
    assert_eq!(ack.gateway_eui, 42);
    assert_eq!(ack.items.len(), 1);

    let text = metrics_text(&registry);
    assert!(
        text.contains("tern_bus_requests_total{subject=\"gw.down\",result=\"ok\"} 1"),
        "{text}"
    );
    assert!(text.contains("tern_bus_request_duration_seconds_count{subject=\"gw.down\"} 1"));

    responder_bus.drain().await.unwrap();
    responder.await.unwrap();
}

#[tokio::test]
async fn request_times_out_when_the_subscriber_never_answers() {
    let options = test_options();
    let (silent_bus, _) = connect(&options).await;
    let (bus, registry) = connect(&options).await;
    let subject = bus.subjects().js_join();
    let mut silent = silent_bus
        .subscribe::<pb::UplinkFrame>(&subject)
        .await
        .unwrap();

    let err = bus
        .request::<_, pb::DownlinkFrame>(&subject, &samples::uplink_frame(1), SHORT_TIMEOUT)
        .await
        .unwrap_err();
    match &err {
        Error::Timeout {
            subject: got,
            timeout,
        } => {
            assert_eq!(got, subject.as_str());
            assert_eq!(*timeout, SHORT_TIMEOUT);
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert_eq!(err.code(), tern_proto::ErrorCode::Unavailable);
    // The request did arrive, with a reply subject that nobody used.
    let received = silent.next().await.unwrap();
    assert!(received.expects_reply());
    let text = metrics_text(&registry);
    assert!(text.contains("tern_bus_requests_total{subject=\"js.join\",result=\"timeout\"} 1"));
}

#[tokio::test]
async fn request_fails_fast_when_nobody_subscribes() {
    let (bus, registry) = connect(&test_options()).await;
    let subject = bus.subjects().ns_queue();
    let started = std::time::Instant::now();
    let err = bus
        .request::<_, pb::DownlinkFrame>(&subject, &samples::uplink_frame(1), ANSWER_TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoResponders { .. }), "{err:?}");
    assert!(started.elapsed() < ANSWER_TIMEOUT);
    let text = metrics_text(&registry);
    assert!(
        text.contains("tern_bus_requests_total{subject=\"ns.queue\",result=\"no_responders\"} 1")
    );
}

#[tokio::test]
async fn request_reports_an_undecodable_reply() {
    let options = test_options();
    let (responder_bus, _) = connect(&options).await;
    let (bus, _) = connect(&options).await;
    let subject = bus.subjects().js_join();
    let mut requests = responder_bus.subscribe_bytes(&subject).await.unwrap();
    let responder = tokio::spawn(async move {
        let request = requests.next().await.unwrap();
        // A varint that never ends.
        request
            .reply_bytes(Bytes::from_static(&[0x08, 0xff, 0xff]))
            .await
            .unwrap();
    });

    let err = bus
        .request::<_, pb::DownlinkFrame>(&subject, &samples::uplink_frame(1), ANSWER_TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_eq!(err.code(), tern_proto::ErrorCode::Internal);
    responder.await.unwrap();
}

#[tokio::test]
async fn reply_to_a_plain_publish_is_an_error() {
    let (bus, _) = connect(&test_options()).await;
    let subject = bus.subjects().as_up();
    let mut subscription = bus.subscribe::<pb::UplinkFrame>(&subject).await.unwrap();
    bus.publish(&subject, &samples::uplink_frame(3))
        .await
        .unwrap();
    let delivery = subscription.next().await.unwrap();
    let err = delivery.reply(&samples::uplink_frame(4)).await.unwrap_err();
    assert!(matches!(err, Error::NoReplySubject { .. }), "{err:?}");
}

#[tokio::test]
async fn queue_subscribe_rejects_a_bad_group_name() {
    let (bus, _) = connect(&test_options()).await;
    let err = bus
        .queue_subscribe::<pb::UplinkFrame>(&bus.subjects().up(), "net work")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidToken { .. }), "{err:?}");
}
