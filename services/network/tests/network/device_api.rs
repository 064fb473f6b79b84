//! `ns.device`: the identity service's provisioning requests set and delete devices; an ABP
//! device set over the bus is served, a new key replaces its session, and a deleted device's
//! next uplink is unknown because its session went with it.

use std::time::Duration;

use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use tern_network::testsuite::{
    Reception, SimDevice, TEST_TIMEOUT, TestEnv, next, stays_quiet, uplink_frame,
};
use tern_network::{DeviceRegistry, RedisKeys, SessionStore};
use tern_proto::internal::v1 as pb;

const GATEWAY: u64 = 0x0016_c001_ff10_d000;

fn envelope(key: &Aes128Key) -> Option<pb::KeyEnvelope> {
    Some(pb::KeyEnvelope {
        key: key.as_bytes().to_vec().into(),
        kek_label: String::new(),
    })
}

fn set_abp(dev_eui: Eui64, dev_addr: DevAddr, nwk_s_key: &Aes128Key) -> pb::NetworkDeviceRequest {
    pb::NetworkDeviceRequest {
        dev_eui: dev_eui.to_u64(),
        action: Some(pb::network_device_request::Action::Set(pb::NetworkDevice {
            band: "eu868".to_owned(),
            mac_version: pb::MacVersion::MacVersion103 as i32,
            class: pb::DeviceClass::A as i32,
            rx1_delay_s: 1,
            rx1_dr_offset: 0,
            rx2_dr: None,
            rx2_frequency_hz: None,
            adr: false,
            relax_f_cnt: false,
            activation: Some(pb::network_device::Activation::Abp(pb::AbpActivation {
                dev_addr: dev_addr.to_u32(),
                f_nwk_s_int_key: envelope(nwk_s_key),
                s_nwk_s_int_key: envelope(nwk_s_key),
                nwk_s_enc_key: envelope(nwk_s_key),
            })),
        })),
    }
}

fn delete(dev_eui: Eui64) -> pb::NetworkDeviceRequest {
    pb::NetworkDeviceRequest {
        dev_eui: dev_eui.to_u64(),
        action: Some(pb::network_device_request::Action::Delete(
            pb::DeleteDevice {},
        )),
    }
}

async fn ask(env: &TestEnv, request: &pb::NetworkDeviceRequest) -> pb::ProvisionAnswer {
    env.bus
        .request(&env.bus.subjects().ns_device(), request, TEST_TIMEOUT)
        .await
        .unwrap()
}

fn sim(dev_addr: DevAddr, nwk_s_key: Aes128Key) -> SimDevice {
    SimDevice {
        dev_addr,
        f_nwk_s_int_key: nwk_s_key,
        s_nwk_s_int_key: nwk_s_key,
        nwk_s_enc_key: nwk_s_key,
        lorawan_1_1: false,
    }
}

fn receptions() -> [Reception; 1] {
    [Reception {
        gateway_eui: GATEWAY,
        snr_db: 4.0,
        tmst: 1_000,
    }]
}

#[tokio::test]
async fn abp_device_set_over_the_bus_is_served_and_deleted_with_its_session() {
    let env = TestEnv::start().await.unwrap();
    let dev_eui = Eui64::from_u64(0x70b3_d57e_d000_d001);
    let dev_addr = DevAddr::from_u32(0x2601_d001);
    let old_key = Aes128Key::from_bytes([0x11; 16]);
    let new_key = Aes128Key::from_bytes([0x22; 16]);
    let mut as_up = env.subscribe_as_up().await.unwrap();

    assert!(ask(&env, &set_abp(dev_eui, dev_addr, &old_key)).await.ok);
    let sessions = SessionStore::new(
        env.redis.clone(),
        RedisKeys::new(&env.redis_config.key_prefix),
        Duration::from_secs(60),
    );
    // The session exists before the first uplink, so downlinks can be queued at once.
    let first = sessions.session(dev_eui).await.unwrap().unwrap();
    assert_eq!(first.session.f_cnt_up, None);
    env.publish_uplink(&uplink_frame(
        sim(dev_addr, old_key).data_up(5, false, b"a"),
        &receptions(),
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 5);

    // A repeated set keeps the session and its counter; a new key replaces the session.
    let before = sessions.session(dev_eui).await.unwrap().unwrap();
    assert!(ask(&env, &set_abp(dev_eui, dev_addr, &old_key)).await.ok);
    let after = sessions.session(dev_eui).await.unwrap().unwrap();
    assert_eq!(after.session, before.session);
    assert!(ask(&env, &set_abp(dev_eui, dev_addr, &new_key)).await.ok);
    let fresh = sessions.session(dev_eui).await.unwrap().unwrap();
    assert_eq!(fresh.session.f_cnt_up, None);
    assert_ne!(
        fresh.session.f_nwk_s_int_key,
        before.session.f_nwk_s_int_key
    );
    env.publish_uplink(&uplink_frame(
        sim(dev_addr, new_key).data_up(0, false, b"b"),
        &receptions(),
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut as_up).await.unwrap().f_cnt, 0);

    assert!(ask(&env, &delete(dev_eui)).await.ok);
    assert_eq!(env.registry.device(dev_eui).await.unwrap(), None);
    assert!(sessions.session(dev_eui).await.unwrap().is_none());
    assert!(sessions.candidates(dev_addr).await.unwrap().is_empty());
    env.publish_uplink(&uplink_frame(
        sim(dev_addr, new_key).data_up(1, false, b"c"),
        &receptions(),
    ))
    .await
    .unwrap();
    env.wait_uplinks("unknown_dev_addr", 1).await.unwrap();
    assert!(stays_quiet(&mut as_up, Duration::from_millis(100)).await);

    let again = ask(&env, &delete(dev_eui)).await;
    assert_eq!(again.error(), pb::ProvisionError::NotFound);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_requests_are_refused_and_change_nothing() {
    let env = TestEnv::start().await.unwrap();
    let dev_eui = Eui64::from_u64(0x70b3_d57e_d000_d002);
    let dev_addr = DevAddr::from_u32(0x2601_d002);
    let mut unknown_band = set_abp(dev_eui, dev_addr, &Aes128Key::from_bytes([3; 16]));
    if let Some(pb::network_device_request::Action::Set(device)) = &mut unknown_band.action {
        device.band = "mars".to_owned();
    }
    let answer = ask(&env, &unknown_band).await;
    assert_eq!(answer.error(), pb::ProvisionError::Invalid);
    assert!(answer.message.contains("band"), "{}", answer.message);
    let no_action = pb::NetworkDeviceRequest {
        dev_eui: dev_eui.to_u64(),
        action: None,
    };
    assert_eq!(
        ask(&env, &no_action).await.error(),
        pb::ProvisionError::Invalid
    );
    assert_eq!(env.registry.device(dev_eui).await.unwrap(), None);
    env.stop().await.unwrap();
}
