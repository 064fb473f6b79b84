//! Publish/subscribe against the loopback NATS server: round trips of every internal
//! message, queue groups, rejected payloads, wildcards and draining.
//!
//! Each test uses its own subject root, so the tests run in parallel on one server.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use prometheus_client::registry::Registry;
use tern_bus::testsuite::{samples, test_options};
use tern_bus::{Bus, BusMetrics, BusOptions, Delivery, Error, ParsedSubject, Subscription};
use tern_proto::internal::v1 as pb;

/// Upper bound for a message to cross loopback NATS; only reached when a test fails.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

async fn connect(options: &BusOptions) -> (Bus, Registry) {
    let mut registry = Registry::with_prefix("tern");
    let metrics = BusMetrics::new(&mut registry);
    let bus = Bus::connect(options, metrics).await.unwrap();
    (bus, registry)
}

async fn next<M>(subscription: &mut Subscription<M>) -> Delivery<M> {
    tokio::time::timeout(RECEIVE_TIMEOUT, subscription.next())
        .await
        .expect("message within timeout")
        .expect("subscription still open")
}

fn metrics_text(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

#[tokio::test]
async fn round_trips_every_internal_message_on_its_subject() {
    let options = test_options();
    let (bus, registry) = connect(&options).await;
    let subjects = bus.subjects().clone();
    let gateway_eui = 0xaa55_0000_0000_0001;

    let mut up = bus
        .subscribe::<pb::UplinkFrame>(&subjects.up())
        .await
        .unwrap();
    let mut down = bus
        .subscribe::<pb::DownlinkFrame>(&subjects.gw_down(gateway_eui))
        .await
        .unwrap();
    let mut txack = bus
        .subscribe::<pb::DownlinkTxAck>(&subjects.gw_txack(gateway_eui))
        .await
        .unwrap();
    let mut stats = bus
        .subscribe::<pb::GatewayStats>(&subjects.gw_stats(gateway_eui))
        .await
        .unwrap();

    bus.publish(&subjects.up(), &samples::uplink_frame(gateway_eui))
        .await
        .unwrap();
    bus.publish(
        &subjects.gw_down(gateway_eui),
        &samples::downlink_frame(gateway_eui),
    )
    .await
    .unwrap();
    bus.publish(
        &subjects.gw_txack(gateway_eui),
        &samples::downlink_tx_ack(gateway_eui),
    )
    .await
    .unwrap();
    bus.publish(
        &subjects.gw_stats(gateway_eui),
        &samples::gateway_stats(gateway_eui),
    )
    .await
    .unwrap();

    let delivery = next(&mut up).await;
    assert_eq!(delivery.message(), &samples::uplink_frame(gateway_eui));
    assert_eq!(delivery.subject(), format!("{}.up", options.subject_root));
    assert!(!delivery.expects_reply());

    let delivery = next(&mut down).await;
    assert_eq!(delivery.message(), &samples::downlink_frame(gateway_eui));
    assert_eq!(
        delivery.subject(),
        format!("{}.gw.aa55000000000001.down", options.subject_root)
    );

    let delivery = next(&mut txack).await;
    assert_eq!(
        delivery.into_message(),
        samples::downlink_tx_ack(gateway_eui)
    );

    let delivery = next(&mut stats).await;
    assert_eq!(delivery.into_message(), samples::gateway_stats(gateway_eui));

    let text = metrics_text(&registry);
    for kind in ["up", "gw.down", "gw.txack", "gw.stats"] {
        assert!(has_line(
            &text,
            &format!("tern_bus_published_total{{subject=\"{kind}\"}} 1")
        ));
        assert!(has_line(
            &text,
            &format!("tern_bus_received_total{{subject=\"{kind}\"}} 1")
        ));
    }
}

#[tokio::test]
async fn queue_group_delivers_each_message_to_exactly_one_member() {
    let options = test_options();
    // Two connections stand for two network server replicas.
    let (replica_a, _) = connect(&options).await;
    let (replica_b, _) = connect(&options).await;
    let (publisher, _) = connect(&options).await;
    let subject = publisher.subjects().up();

    let mut member_a = replica_a
        .queue_subscribe::<pb::UplinkFrame>(&subject, "network")
        .await
        .unwrap();
    let mut member_b = replica_b
        .queue_subscribe::<pb::UplinkFrame>(&subject, "network")
        .await
        .unwrap();

    const N: u64 = 100;
    for n in 0..N {
        publisher
            .publish(&subject, &samples::uplink_frame(n))
            .await
            .unwrap();
    }
    publisher.flush().await.unwrap();

    let mut seen: HashMap<u64, usize> = HashMap::new();
    let (mut from_a, mut from_b) = (0, 0);
    while seen.len() < N as usize {
        let delivery = tokio::time::timeout(RECEIVE_TIMEOUT, async {
            tokio::select! {
                Some(d) = member_a.next() => { from_a += 1; d }
                Some(d) = member_b.next() => { from_b += 1; d }
            }
        })
        .await
        .expect("all messages within timeout");
        let gateway_eui = delivery.message().rx_metadata[0].gateway_eui;
        *seen.entry(gateway_eui).or_default() += 1;
    }
    assert!(
        seen.values().all(|&count| count == 1),
        "duplicates: {seen:?}"
    );
    assert_eq!(from_a + from_b, N);
    // With 100 messages, one member getting none has probability 2^-99.
    assert!(from_a > 0 && from_b > 0, "a got {from_a}, b got {from_b}");

    // Nothing is left over for either member.
    let quiet = Duration::from_millis(200);
    assert!(tokio::time::timeout(quiet, member_a.next()).await.is_err());
    assert!(tokio::time::timeout(quiet, member_b.next()).await.is_err());
}

#[tokio::test]
async fn skips_and_counts_malformed_payload() {
    let options = test_options();
    let (bus, registry) = connect(&options).await;
    let subject = bus.subjects().up();
    let mut up = bus.subscribe::<pb::UplinkFrame>(&subject).await.unwrap();

    // Field 1 (phy_payload) claims 5 bytes but only 1 follows.
    bus.publish_bytes(&subject, Bytes::from_static(&[0x0a, 0x05, 0x01]))
        .await
        .unwrap();
    let valid = samples::uplink_frame(9);
    bus.publish(&subject, &valid).await.unwrap();

    let delivery = next(&mut up).await;
    assert_eq!(delivery.message(), &valid);

    let text = metrics_text(&registry);
    assert!(
        has_line(
            &text,
            "tern_bus_rejected_total{subject=\"up\",reason=\"decode\"} 1"
        ),
        "{text}"
    );
    assert!(
        has_line(&text, "tern_bus_received_total{subject=\"up\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn wildcard_subscription_receives_every_gateway_and_parses_ids() {
    let options = test_options();
    let (bus, registry) = connect(&options).await;
    let subjects = bus.subjects().clone();
    let mut all = bus
        .subscribe::<pb::DownlinkTxAck>(&subjects.gw_txack_all())
        .await
        .unwrap();

    let euis = [0x0000_0000_0000_0001, 0xffff_ffff_ffff_fffe];
    for eui in euis {
        bus.publish(&subjects.gw_txack(eui), &samples::downlink_tx_ack(eui))
            .await
            .unwrap();
    }
    for eui in euis {
        let delivery = next(&mut all).await;
        assert_eq!(delivery.message().gateway_eui, eui);
        assert_eq!(
            subjects.parse(delivery.subject()).unwrap(),
            ParsedSubject::GwTxAck { gateway_eui: eui }
        );
        assert_eq!(delivery.kind().as_str(), "gw.txack");
    }
    // Both EUIs are counted under one bounded label.
    let text = metrics_text(&registry);
    assert!(
        has_line(&text, "tern_bus_received_total{subject=\"gw.txack\"} 2"),
        "{text}"
    );
    assert!(!text.contains("fffffffffffffffe"), "{text}");
}

#[tokio::test]
async fn raw_subscription_passes_json_payloads_through() {
    let options = test_options();
    let (bus, _) = connect(&options).await;
    let subject = bus
        .subjects()
        .app_down_push("app-1", 0x70b3_d57e_d000_abcd)
        .unwrap();
    let mut pushes = bus
        .subscribe_bytes(&bus.subjects().app_down_push_all())
        .await
        .unwrap();

    let json = Bytes::from_static(br#"{"f_port":10,"data":"AQI="}"#);
    bus.publish_bytes(&subject, json.clone()).await.unwrap();
    let delivery = next(&mut pushes).await;
    assert_eq!(delivery.message(), &json);
    assert_eq!(
        bus.subjects().parse(delivery.subject()).unwrap(),
        ParsedSubject::AppDownPush {
            application_id: "app-1".into(),
            dev_eui: 0x70b3_d57e_d000_abcd
        }
    );
}

#[tokio::test]
async fn refuses_to_publish_on_a_wildcard() {
    let (bus, _) = connect(&test_options()).await;
    let subject = bus.subjects().gw_down_all();
    let err = bus
        .publish(&subject, &samples::downlink_frame(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WildcardPublish { .. }), "{err:?}");
    let err = bus
        .request::<_, pb::DownlinkTxAck>(&subject, &samples::downlink_frame(1), RECEIVE_TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WildcardPublish { .. }), "{err:?}");
}

#[tokio::test]
async fn drain_delivers_buffered_messages_then_ends_subscriptions() {
    let options = test_options();
    let (bus, _) = connect(&options).await;
    let subject = bus.subjects().gw_stats(5);
    let mut stats = bus.subscribe::<pb::GatewayStats>(&subject).await.unwrap();
    bus.publish(&subject, &samples::gateway_stats(5))
        .await
        .unwrap();

    bus.drain().await.unwrap();
    let delivery = next(&mut stats).await;
    assert_eq!(delivery.message().gateway_eui, 5);
    let end = tokio::time::timeout(RECEIVE_TIMEOUT, stats.next())
        .await
        .unwrap();
    assert!(end.is_none());
}

#[tokio::test]
async fn subscription_drain_ends_only_that_subscription() {
    let options = test_options();
    let (bus, _) = connect(&options).await;
    let subject = bus.subjects().as_session();
    let mut first = bus.subscribe::<pb::GatewayStats>(&subject).await.unwrap();
    let mut second = bus.subscribe::<pb::GatewayStats>(&subject).await.unwrap();

    first.drain().await.unwrap();
    assert!(
        tokio::time::timeout(RECEIVE_TIMEOUT, first.next())
            .await
            .unwrap()
            .is_none()
    );

    bus.publish(&subject, &samples::gateway_stats(6))
        .await
        .unwrap();
    assert_eq!(next(&mut second).await.message().gateway_eui, 6);
}

#[tokio::test]
async fn subscription_is_active_when_subscribe_returns() {
    let options = test_options();
    let (subscriber_bus, _) = connect(&options).await;
    let (publisher, _) = connect(&options).await;
    // Another connection publishes at once; without the server round trip in
    // `subscribe` the subscription would race the message.
    for gateway_eui in 0..20 {
        let subject = publisher.subjects().gw_down(gateway_eui);
        let mut down = subscriber_bus
            .subscribe::<pb::DownlinkFrame>(&subject)
            .await
            .unwrap();
        publisher
            .publish(&subject, &samples::downlink_frame(gateway_eui))
            .await
            .unwrap();
        assert_eq!(next(&mut down).await.message().gateway_eui, gateway_eui);
    }
}

#[tokio::test]
async fn flush_fails_once_the_drain_has_completed() {
    let options = BusOptions {
        connection_timeout: Duration::from_secs(1),
        ..test_options()
    };
    let (bus, _) = connect(&options).await;
    let mut stats = bus
        .subscribe::<pb::GatewayStats>(&bus.subjects().gw_stats(7))
        .await
        .unwrap();
    bus.flush().await.unwrap();
    bus.drain().await.unwrap();
    // Draining is asynchronous; the subscription ending marks its completion.
    assert!(
        tokio::time::timeout(RECEIVE_TIMEOUT, stats.next())
            .await
            .unwrap()
            .is_none()
    );
    let err = bus.flush().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Subscribe { .. }
                | Error::Publish { .. }
                | Error::Flush(_)
                | Error::Closed
                | Error::FlushTimeout { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn connect_rejects_a_root_with_a_dot() {
    let options = BusOptions {
        subject_root: "a.b".into(),
        ..test_options()
    };
    let err = Bus::connect(
        &options,
        BusMetrics::new(&mut Registry::with_prefix("tern")),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::InvalidToken { .. }), "{err:?}");
}

#[tokio::test]
async fn connect_reports_missing_credentials_file() {
    let options = BusOptions {
        credentials_file: Some("/nonexistent/tern-test.creds".into()),
        ..test_options()
    };
    let err = Bus::connect(
        &options,
        BusMetrics::new(&mut Registry::with_prefix("tern")),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
}

#[tokio::test]
async fn connect_fails_when_no_server_listens() {
    // Port 1 on loopback is never a NATS server.
    let options = BusOptions {
        url: "nats://127.0.0.1:1".into(),
        connection_timeout: Duration::from_secs(2),
        ..test_options()
    };
    let err = Bus::connect(
        &options,
        BusMetrics::new(&mut Registry::with_prefix("tern")),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Connect(_)), "{err:?}");
}
