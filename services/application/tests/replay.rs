//! Events are kept in the JetStream event stream: a consumer that connects after ten events
//! were published replays all ten.

use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use futures::StreamExt;
use lorawan_codec::Aes128Key;
use tern_application::testsuite::{TEST_TIMEOUT, TestEnv, encrypted_uplink};
use tern_application::{Event, EventBody, Formatter};

#[tokio::test]
async fn consumer_connecting_late_replays_every_event() {
    let env = TestEnv::start().await.unwrap();
    let key: Aes128Key = "0f0e0d0c0b0a09080706050403020100".parse().unwrap();
    env.register_device(0x55, "replay", "late", Formatter::None)
        .await
        .unwrap();
    env.publish_session(0x55, 0x2600_5555, key, 0).await.unwrap();
    env.wait_counter("sessions", "result=\"ok\"", 1).await.unwrap();
    for f_cnt in 1..=9 {
        let uplink = encrypted_uplink(0x55, 0x2600_5555, &key, f_cnt, 2, &[u8::try_from(f_cnt).unwrap()]);
        env.publish_uplink(&uplink).await.unwrap();
    }
    env.wait_counter("uplinks", "result=\"ok\"", 9).await.unwrap();

    let jetstream = env.bus.jetstream();
    let stream = jetstream.get_stream(&env.config.events_stream).await.unwrap();
    let filter = env
        .bus
        .subjects()
        .app_event_application("replay")
        .unwrap();
    let consumer = stream
        .create_consumer(pull::Config {
            deliver_policy: DeliverPolicy::All,
            filter_subject: filter.as_str().to_owned(),
            ..pull::Config::default()
        })
        .await
        .unwrap();
    let mut messages = consumer
        .fetch()
        .max_messages(20)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .unwrap();
    let mut events = Vec::new();
    while let Some(message) = tokio::time::timeout(TEST_TIMEOUT, messages.next())
        .await
        .unwrap()
    {
        let message = message.unwrap();
        let event: Event = serde_json::from_slice(&message.payload).unwrap();
        events.push(event);
    }
    assert_eq!(events.len(), 10, "{events:?}");
    assert!(matches!(events[0].body, EventBody::Join(_)));
    let counters: Vec<u32> = events[1..]
        .iter()
        .map(|event| match &event.body {
            EventBody::Up(up) => up.f_cnt,
            other => panic!("not an up event: {other:?}"),
        })
        .collect();
    let mut sorted = counters.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=9).collect::<Vec<u32>>());
    env.stop().await.unwrap();
}
