//! Devices are cached per replica and dropped when the identity service announces a change on
//! `registry.device.{dev_eui}.{action}`: a device given a new id has it in its next event.

use lorawan_codec::Aes128Key;
use tern_application::testsuite::{TEST_TIMEOUT, TestEnv, encrypted_uplink, next_event_named};
use tern_application::{ApplicationRegistry, Formatter};
use tern_bus::RegistryAction;
use tern_proto::internal::v1::RegistryEvent;

const DEV_EUI: u64 = 0x70b3_d57e_d000_0c01;
const DEV_ADDR: u32 = 0x2601_0c01;

fn app_s_key() -> Aes128Key {
    "2b7e151628aed2a6abf7158809cf4f3c".parse().unwrap()
}

#[tokio::test]
async fn a_registry_event_drops_the_cached_device() {
    let env = TestEnv::start().await.unwrap();
    let mut device = env
        .register_device(DEV_EUI, "cacheapp", "sensor", Formatter::None)
        .await
        .unwrap();
    let mut events = env.subscribe_events("cacheapp").await.unwrap();
    env.publish_session(DEV_EUI, DEV_ADDR, app_s_key(), 0)
        .await
        .unwrap();
    // Uplinks before the session is stored would find none.
    next_event_named(&mut events, "join").await.unwrap();
    let mut f_cnt = 1;
    let mut name_of_next_up = async |env: &TestEnv| {
        let uplink = encrypted_uplink(DEV_EUI, DEV_ADDR, &app_s_key(), f_cnt, 1, b"x");
        f_cnt += 1;
        env.publish_uplink(&uplink).await.unwrap();
        let up = next_event_named(&mut events, "up").await.unwrap();
        up.device.device_id
    };
    assert_eq!(name_of_next_up(&env).await, "sensor");

    // Changed behind the service's back, as another replica would: the cache still answers.
    device.device_id = String::from("renamed");
    env.registry.set_device(&device).await.unwrap();
    assert_eq!(name_of_next_up(&env).await, "sensor");

    let subject = env
        .bus
        .subjects()
        .registry("device", "70b3d57ed0000c01", RegistryAction::Updated)
        .unwrap();
    let event = RegistryEvent {
        kind: String::from("device"),
        id: String::from("70b3d57ed0000c01"),
        action: String::from("updated"),
        ..RegistryEvent::default()
    };
    env.bus.publish(&subject, &event).await.unwrap();
    env.bus.flush().await.unwrap();
    let deadline = tokio::time::Instant::now() + TEST_TIMEOUT;
    loop {
        if name_of_next_up(&env).await == "renamed" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the event never reached the cache"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    env.stop().await.unwrap();
}
