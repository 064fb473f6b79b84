//! Uplinks from `as.up` become decrypted `up` events with every field the application needs;
//! sessions become `join` events; unknown devices and MAC-only frames are counted rejections.

use base64::Engine as _;
use lorawan_codec::Aes128Key;
use tern_application::testsuite::{TestEnv, encrypted_uplink, next_event, next_event_named};
use tern_application::{EventBody, Formatter, Modulation};
use tern_proto::internal::v1 as pb;

const DEV_EUI: u64 = 0x70b3_d57e_d000_0001;
const DEV_ADDR: u32 = 0x2601_1234;

fn app_s_key() -> Aes128Key {
    "2b7e151628aed2a6abf7158809cf4f3c".parse().unwrap()
}

#[tokio::test]
async fn uplink_becomes_a_decrypted_up_event() {
    let env = TestEnv::start().await.unwrap();
    env.register_device(DEV_EUI, "app1", "sensor-1", Formatter::None)
        .await
        .unwrap();
    let mut events = env.subscribe_events("app1").await.unwrap();
    env.publish_session(DEV_EUI, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    let (subject, join) = next_event(&mut events).await.unwrap();
    assert!(
        subject.ends_with(".app.app1.70b3d57ed0000001.join"),
        "{subject}"
    );
    let EventBody::Join(body) = &join.body else {
        panic!("not a join: {join:?}");
    };
    assert_eq!(body.mac_version, "1.0.4");
    assert_eq!(join.device.dev_addr, "26011234");

    let uplink = encrypted_uplink(DEV_EUI, DEV_ADDR, &app_s_key(), 42, 10, b"hello tern");
    env.publish_uplink(&uplink).await.unwrap();
    let (subject, up) = next_event(&mut events).await.unwrap();
    assert!(
        subject.ends_with(".app.app1.70b3d57ed0000001.up"),
        "{subject}"
    );
    assert_eq!(up.device.application_id, "app1");
    assert_eq!(up.device.device_id, "sensor-1");
    assert_eq!(up.device.dev_eui, "70b3d57ed0000001");
    assert_eq!(up.device.join_eui, "70b3d57ed0000000");
    assert_eq!(up.device.dev_addr, "26011234");
    let EventBody::Up(body) = up.body else {
        panic!("not an up event");
    };
    assert_eq!(body.f_port, 10);
    assert_eq!(body.f_cnt, 42);
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&body.frm_payload)
            .unwrap(),
        b"hello tern"
    );
    assert_eq!(body.decoded, None);
    assert!(body.confirmed);
    assert!(body.adr);
    assert_eq!(body.data_rate_index, 5);
    assert_eq!(body.frequency_hz, 868_100_000);
    assert_eq!(
        body.modulation,
        Some(Modulation::Lora {
            spreading_factor: 7,
            bandwidth_hz: 125_000,
            code_rate: String::from("4/5"),
        })
    );
    assert_eq!(body.rx_metadata.len(), 2);
    let best = &body.rx_metadata[0];
    assert_eq!(best.gateway_eui, "0016c001ff100001");
    assert_eq!(best.rssi_dbm, -35);
    assert!((best.snr_db - 5.1).abs() < 1e-6);
    assert_eq!(best.tmst, Some(3_512_348_611));
    let location = best.location.as_ref().unwrap();
    assert!((location.latitude - 52.3676).abs() < 1e-9);
    assert_eq!(body.rx_metadata[1].gateway_eui, "0016c001ff100002");
    assert_eq!(body.rx_metadata[1].location, None);
    assert_eq!(body.received_at, "2024-05-06T12:53:20.200500000Z");
    env.wait_counter("uplinks", "result=\"ok\"", 1)
        .await
        .unwrap();
    env.stop().await.unwrap();
}

#[tokio::test]
async fn unknown_devices_and_mac_only_frames_are_counted_not_delivered() {
    let env = TestEnv::start().await.unwrap();
    env.register_device(DEV_EUI, "app2", "known", Formatter::None)
        .await
        .unwrap();
    let mut events = env.subscribe_events("app2").await.unwrap();
    env.publish_session(DEV_EUI, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();

    let unknown = encrypted_uplink(DEV_EUI + 1, DEV_ADDR, &app_s_key(), 1, 1, b"x");
    env.publish_uplink(&unknown).await.unwrap();
    env.wait_counter("uplinks", "result=\"unknown_device\"", 1)
        .await
        .unwrap();
    let mut mac_only = encrypted_uplink(DEV_EUI, DEV_ADDR, &app_s_key(), 2, 0, b"\x02");
    mac_only.f_port = Some(0);
    env.publish_uplink(&mac_only).await.unwrap();
    env.wait_counter("uplinks", "result=\"mac_only\"", 1)
        .await
        .unwrap();
    let other_session = encrypted_uplink(DEV_EUI, DEV_ADDR + 1, &app_s_key(), 3, 1, b"x");
    env.publish_uplink(&other_session).await.unwrap();
    env.wait_counter("uplinks", "result=\"no_session\"", 1)
        .await
        .unwrap();

    // The next event on the subject is the one of a valid uplink: nothing was published for
    // the rejected ones.
    let mut good = encrypted_uplink(DEV_EUI, DEV_ADDR, &app_s_key(), 4, 3, b"ok");
    good.dev_status = Some(pb::DevStatus {
        battery: 254,
        margin_db: 12,
    });
    env.publish_uplink(&good).await.unwrap();
    let (subject, status) = next_event(&mut events).await.unwrap();
    assert!(subject.ends_with(".status"), "{subject}");
    let EventBody::Status(status) = status.body else {
        panic!("not a status event");
    };
    assert_eq!(status.battery, Some(254));
    assert!(!status.external_power);
    assert_eq!(status.margin_db, 12);
    let (subject, up) = next_event(&mut events).await.unwrap();
    assert!(subject.ends_with(".up"), "{subject}");
    let EventBody::Up(up) = up.body else {
        panic!("not an up event");
    };
    assert_eq!(up.f_cnt, 4);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn uplinks_in_the_previous_session_still_decrypt_after_a_rejoin() {
    let env = TestEnv::start().await.unwrap();
    env.register_device(DEV_EUI, "app3", "rejoiner", Formatter::None)
        .await
        .unwrap();
    let mut events = env.subscribe_events("app3").await.unwrap();
    env.publish_session(DEV_EUI, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();
    let new_key: Aes128Key = "000102030405060708090a0b0c0d0e0f".parse().unwrap();
    env.publish_session(DEV_EUI, DEV_ADDR + 7, new_key, 0)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();

    for (dev_addr, key, f_cnt) in [(DEV_ADDR, app_s_key(), 9), (DEV_ADDR + 7, new_key, 0)] {
        let uplink = encrypted_uplink(DEV_EUI, dev_addr, &key, f_cnt, 5, b"same text");
        env.publish_uplink(&uplink).await.unwrap();
        let up = next_event_named(&mut events, "up").await.unwrap();
        let EventBody::Up(up) = up.body else {
            panic!("not an up event");
        };
        assert_eq!(up.frm_payload, "c2FtZSB0ZXh0");
    }
    env.stop().await.unwrap();
}

#[tokio::test]
async fn uplinks_keep_the_session_alive() {
    use fred::prelude::KeysInterface;

    let env = TestEnv::start().await.unwrap();
    env.register_device(DEV_EUI, "app4", "alive", Formatter::None)
        .await
        .unwrap();
    let mut events = env.subscribe_events("app4").await.unwrap();
    env.publish_session(DEV_EUI, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    next_event_named(&mut events, "join").await.unwrap();
    let keys = tern_application::RedisKeys::new(&env.redis_key_prefix);
    let dev_eui = lorawan_codec::Eui64::from_u64(DEV_EUI);
    let session_key = keys.session(dev_eui);
    let counter_key = keys.a_f_cnt_down(dev_eui);
    for key in [&session_key, &counter_key] {
        let _: bool = env.redis.pexpire(key, 5_000, None).await.unwrap();
    }
    env.publish_uplink(&encrypted_uplink(
        DEV_EUI,
        DEV_ADDR,
        &app_s_key(),
        1,
        1,
        b"x",
    ))
    .await
    .unwrap();
    next_event_named(&mut events, "up").await.unwrap();
    let ttl = env.config.session_ttl.as_millis();
    for key in [&session_key, &counter_key] {
        let left: i64 = env.redis.pttl(key).await.unwrap();
        let left = u128::try_from(left).unwrap();
        assert!(left > ttl - 60_000 && left <= ttl, "{key}: {left} ms left");
    }
    env.stop().await.unwrap();
}
