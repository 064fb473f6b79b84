//! Integrations: a webhook that fails at first still gets the event once it recovers; the MQTT
//! integration publishes to the broker under `v3/{application_id}/devices/{device_id}/{event}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use lorawan_codec::Aes128Key;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tern_application::testsuite::{TEST_TIMEOUT, TestEnv, encrypted_uplink, next_event_named};
use tern_application::{ApplicationRegistry, Formatter, Integration, IntegrationKind};
use tern_bus::AppEvent;
use tokio::sync::mpsc;

const DEV_ADDR: u32 = 0x2601_0002;

fn app_s_key() -> Aes128Key {
    "a1a2a3a4a5a6a7a8a9aaabacadaeafa0".parse().unwrap()
}

#[derive(Clone)]
struct Receiver {
    attempts: Arc<AtomicU32>,
    fail_first: u32,
    received: mpsc::UnboundedSender<(HeaderMap, Bytes)>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let attempt = receiver.attempts.fetch_add(1, Ordering::SeqCst) + 1;
    if attempt <= receiver.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let _ = receiver.received.send((headers, body));
    StatusCode::OK
}

#[tokio::test]
async fn webhook_that_fails_at_first_receives_the_event_after_it_recovers() {
    let env = TestEnv::start().await.unwrap();
    let (sender, mut received) = mpsc::unbounded_channel();
    let receiver = Receiver {
        attempts: Arc::new(AtomicU32::new(0)),
        fail_first: 3,
        received: sender,
    };
    let attempts = Arc::clone(&receiver.attempts);
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    env.register_device(0x10, "hooked", "dev-10", Formatter::None)
        .await
        .unwrap();
    env.registry
        .set_integration(&Integration {
            application_id: String::from("hooked"),
            integration_id: String::from("hook1"),
            kind: IntegrationKind::Webhook {
                url: format!("http://{address}/hook"),
                headers: vec![(String::from("authorization"), String::from("Bearer t0k"))],
            },
            events: vec![AppEvent::Up],
        })
        .await
        .unwrap();
    let mut events = env.subscribe_events("hooked").await.unwrap();
    env.publish_session(0x10, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();
    env.publish_uplink(&encrypted_uplink(
        0x10,
        DEV_ADDR,
        &app_s_key(),
        5,
        1,
        b"webhook",
    ))
    .await
    .unwrap();

    let (headers, body) = tokio::time::timeout(TEST_TIMEOUT, received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
    assert_eq!(headers["authorization"], "Bearer t0k");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-tern-event"], "up");
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["up"]["f_cnt"], 5);
    assert_eq!(event["up"]["frm_payload"], "d2ViaG9vaw==");
    assert_eq!(event["device"]["device_id"], "dev-10");
    // Only `up` was asked for: the join event did not reach the webhook.
    assert!(received.try_recv().is_err());
    env.wait_counter(
        "integration_deliveries",
        "kind=\"webhook\",result=\"retry\"",
        3,
    )
    .await
    .unwrap();
    env.stop().await.unwrap();
    server.abort();
}

#[tokio::test]
async fn webhook_that_keeps_failing_yields_an_error_event() {
    let mut config = tern_application::testsuite::default_config();
    config.webhook_max_attempts = 2;
    let env = TestEnv::start_with(config).await.unwrap();
    let (sender, _received) = mpsc::unbounded_channel();
    let receiver = Receiver {
        attempts: Arc::new(AtomicU32::new(0)),
        fail_first: u32::MAX,
        received: sender,
    };
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    env.register_device(0x11, "failing", "dev-11", Formatter::None)
        .await
        .unwrap();
    env.registry
        .set_integration(&Integration {
            application_id: String::from("failing"),
            integration_id: String::from("down"),
            kind: IntegrationKind::Webhook {
                url: format!("http://{address}/hook"),
                headers: Vec::new(),
            },
            events: Vec::new(),
        })
        .await
        .unwrap();
    let mut events = env.subscribe_events("failing").await.unwrap();
    env.publish_session(0x11, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    let error = next_event_named(&mut events, "error").await.unwrap();
    let tern_application::EventBody::Error(error) = error.body else {
        panic!("not an error event");
    };
    assert_eq!(error.kind, "webhook");
    assert_eq!(error.subject_id.as_deref(), Some("down"));
    assert!(error.message.contains("503"), "{}", error.message);
    env.stop().await.unwrap();
    server.abort();
}

#[tokio::test]
async fn mqtt_integration_publishes_to_the_broker() {
    let env = TestEnv::start().await.unwrap();
    let application_id = format!("mq{}", &env.bus_options.subject_root[5..13]);
    env.register_device(0x12, &application_id, "dev-12", Formatter::None)
        .await
        .unwrap();
    env.registry
        .set_integration(&Integration {
            application_id: application_id.clone(),
            integration_id: String::from("broker"),
            kind: IntegrationKind::Mqtt {
                url: String::from("mqtt://127.0.0.1:1883"),
                username: None,
                password: None,
            },
            events: vec![AppEvent::Up],
        })
        .await
        .unwrap();

    let mut options = MqttOptions::new(format!("test-{application_id}"), "127.0.0.1", 1883);
    options.set_keep_alive(Duration::from_secs(10));
    let (client, mut event_loop) = AsyncClient::new(options, 16);
    let topic = format!("v3/{application_id}/devices/dev-12/up");
    client.subscribe(&topic, QoS::AtLeastOnce).await.unwrap();
    // Wait until the broker confirmed the subscription.
    tokio::time::timeout(TEST_TIMEOUT, async {
        loop {
            if let Event::Incoming(Packet::SubAck(_)) = event_loop.poll().await.unwrap() {
                break;
            }
        }
    })
    .await
    .unwrap();

    let mut events = env.subscribe_events(&application_id).await.unwrap();
    env.publish_session(0x12, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();
    env.publish_uplink(&encrypted_uplink(
        0x12,
        DEV_ADDR,
        &app_s_key(),
        77,
        9,
        b"mqtt",
    ))
    .await
    .unwrap();
    let publish = tokio::time::timeout(TEST_TIMEOUT, async {
        loop {
            if let Event::Incoming(Packet::Publish(publish)) = event_loop.poll().await.unwrap() {
                break publish;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(publish.topic, topic);
    let event: serde_json::Value = serde_json::from_slice(&publish.payload).unwrap();
    assert_eq!(event["up"]["f_cnt"], 77);
    assert_eq!(event["up"]["frm_payload"], "bXF0dA==");
    env.stop().await.unwrap();
}

async fn slow(State(received): State<mpsc::UnboundedSender<Bytes>>, body: Bytes) -> StatusCode {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = received.send(body);
    StatusCode::OK
}

#[tokio::test]
async fn full_integration_queue_drops_the_event_for_it_and_says_so() {
    let mut config = tern_application::testsuite::default_config();
    config.integration_queue_len = 1;
    let env = TestEnv::start_with(config).await.unwrap();
    let (sender, mut received) = mpsc::unbounded_channel();
    let app = Router::new().route("/slow", post(slow)).with_state(sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    env.register_device(0x13, "busy", "dev-13", Formatter::None)
        .await
        .unwrap();
    env.registry
        .set_integration(&Integration {
            application_id: String::from("busy"),
            integration_id: String::from("slow"),
            kind: IntegrationKind::Webhook {
                url: format!("http://{address}/slow"),
                headers: Vec::new(),
            },
            events: vec![AppEvent::Up],
        })
        .await
        .unwrap();
    let mut events = env.subscribe_events("busy").await.unwrap();
    env.publish_session(0x13, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();
    // One uplink is in flight at the slow receiver, one waits in the queue, the third finds
    // the queue full.
    for f_cnt in 1..=3 {
        env.publish_uplink(&encrypted_uplink(
            0x13,
            DEV_ADDR,
            &app_s_key(),
            f_cnt,
            1,
            b"x",
        ))
        .await
        .unwrap();
    }
    let error = next_event_named(&mut events, "error").await.unwrap();
    let tern_application::EventBody::Error(error) = error.body else {
        panic!("not an error event");
    };
    assert_eq!(error.kind, "integration_queue_full");
    assert_eq!(error.subject_id.as_deref(), Some("slow"));
    for _ in 0..2 {
        tokio::time::timeout(TEST_TIMEOUT, received.recv())
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        env.counter(
            "integration_deliveries",
            "kind=\"webhook\",result=\"dropped\""
        )
        .unwrap(),
        1
    );
    env.stop().await.unwrap();
    server.abort();
}
