//! Payload formatters on the uplink path: CayenneLPP and JavaScript decoders fill `decoded`;
//! a formatter that fails or loops forever yields an `error` event while the `up` event still
//! carries the raw payload.

use std::time::{Duration, Instant};

use lorawan_codec::Aes128Key;
use serde_json::json;
use tern_application::testsuite::{TestEnv, encrypted_uplink, next_event, next_event_named};
use tern_application::{EventBody, Formatter};

const DEV_ADDR: u32 = 0x2601_0001;

fn app_s_key() -> Aes128Key {
    "11223344556677881122334455667788".parse().unwrap()
}

async fn joined(env: &TestEnv, dev_eui: u64, application_id: &str, formatter: Formatter) {
    env.register_device(dev_eui, application_id, "dev", formatter)
        .await
        .unwrap();
    env.publish_session(dev_eui, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn cayenne_lpp_decodes_the_uplink() {
    let env = TestEnv::start().await.unwrap();
    let mut events = env.subscribe_events("lpp").await.unwrap();
    joined(&env, 1, "lpp", Formatter::CayenneLpp).await;
    next_event_named(&mut events, "join").await.unwrap();
    let payload = [0x03, 0x67, 0x01, 0x10, 0x05, 0x68, 0x61];
    env.publish_uplink(&encrypted_uplink(1, DEV_ADDR, &app_s_key(), 1, 1, &payload))
        .await
        .unwrap();
    let up = next_event_named(&mut events, "up").await.unwrap();
    let EventBody::Up(up) = up.body else {
        panic!("not an up event");
    };
    assert_eq!(
        up.decoded,
        Some(json!({"temperature_3": 27.2, "relative_humidity_5": 48.5}))
    );
    env.stop().await.unwrap();
}

#[tokio::test]
async fn javascript_formatter_decodes_the_uplink() {
    let env = TestEnv::start().await.unwrap();
    let mut events = env.subscribe_events("js").await.unwrap();
    let source = r"
        function decodeUplink(input) {
          var temperature = ((input.bytes[0] << 8) | input.bytes[1]) / 100;
          return {
            data: { temperature: temperature, port: input.fPort, year: input.recvTime.getUTCFullYear() },
            warnings: temperature > 30 ? ['hot'] : [],
          };
        }";
    joined(
        &env,
        2,
        "js",
        Formatter::JavaScript {
            source: source.to_owned(),
        },
    )
    .await;
    next_event_named(&mut events, "join").await.unwrap();
    env.publish_uplink(&encrypted_uplink(
        2,
        DEV_ADDR,
        &app_s_key(),
        1,
        4,
        &[0x0c, 0x1c],
    ))
    .await
    .unwrap();
    let up = next_event_named(&mut events, "up").await.unwrap();
    let EventBody::Up(up) = up.body else {
        panic!("not an up event");
    };
    assert_eq!(
        up.decoded,
        Some(json!({"temperature": 31, "port": 4, "year": 2024}))
    );
    assert_eq!(up.decode_warnings, ["hot"]);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn formatter_that_loops_forever_is_stopped_and_the_raw_payload_still_delivered() {
    let env = TestEnv::start().await.unwrap();
    let mut events = env.subscribe_events("loop").await.unwrap();
    joined(
        &env,
        3,
        "loop",
        Formatter::JavaScript {
            source: String::from("function decodeUplink(input) { for (;;) {} }"),
        },
    )
    .await;
    next_event_named(&mut events, "join").await.unwrap();
    let started = Instant::now();
    env.publish_uplink(&encrypted_uplink(3, DEV_ADDR, &app_s_key(), 8, 2, b"raw"))
        .await
        .unwrap();
    let (subject, error) = next_event(&mut events).await.unwrap();
    assert!(subject.ends_with(".error"), "{subject}");
    let EventBody::Error(error) = error.body else {
        panic!("not an error event");
    };
    assert_eq!(error.kind, "formatter");
    assert!(error.message.contains("longer than"), "{}", error.message);
    assert_eq!(error.f_cnt, Some(8));
    let (subject, up) = next_event(&mut events).await.unwrap();
    assert!(subject.ends_with(".up"), "{subject}");
    let EventBody::Up(up) = up.body else {
        panic!("not an up event");
    };
    assert_eq!(up.frm_payload, "cmF3");
    assert_eq!(up.decoded, None);
    // The configured limit is 200 ms; the whole path stays far below the test timeout.
    assert!(started.elapsed() < Duration::from_secs(5));
    env.wait_counter("uplinks", "result=\"formatter_error\"", 1)
        .await
        .unwrap();
    env.stop().await.unwrap();
}
