//! `js.keys`: the identity service sets and deletes root keys through the bus; the join server
//! stores them wrapped, refuses malformed requests, and changes nothing for them.

use std::time::Duration;

use lorawan_codec::{Aes128Key, Eui64};
use tern_join::testsuite::TestEnv;
use tern_join::{JoinStore, MacVersion};
use tern_proto::internal::v1 as pb;

const DEV_EUI: u64 = 0x0004_a30b_001c_0530;
const JOIN_EUI: u64 = 0x70b3_d57e_d000_0000;

async fn ask(env: &TestEnv, request: &pb::DeviceKeysRequest) -> pb::DeviceKeysAnswer {
    let subject = env.bus.subjects().js_keys();
    env.bus
        .request(&subject, request, Duration::from_secs(5))
        .await
        .unwrap()
}

fn set(mac_version: &str, app_key: Vec<u8>, nwk_key: Vec<u8>) -> pb::DeviceKeysRequest {
    pb::DeviceKeysRequest {
        dev_eui: DEV_EUI,
        action: Some(pb::device_keys_request::Action::Set(pb::SetDeviceKeys {
            join_eui: JOIN_EUI,
            mac_version: mac_version.to_owned(),
            app_key: app_key.into(),
            nwk_key: nwk_key.into(),
        })),
    }
}

#[tokio::test]
async fn sets_and_deletes_root_keys_over_the_bus() {
    let env = TestEnv::start().await.unwrap();
    let app_key = [0x2b_u8; 16];
    let answer = ask(&env, &set("1.0.3", app_key.to_vec(), Vec::new())).await;
    assert!(answer.ok, "{answer:?}");
    let stored = env
        .store
        .device(Eui64::from_u64(DEV_EUI))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.join_eui, Eui64::from_u64(JOIN_EUI));
    assert_eq!(stored.mac_version, MacVersion::V1_0_3);
    assert_eq!(stored.app_key, Aes128Key::from_bytes(app_key));
    assert_eq!(stored.nwk_key, None);

    let delete = pb::DeviceKeysRequest {
        dev_eui: DEV_EUI,
        action: Some(pb::device_keys_request::Action::Delete(
            pb::DeleteDeviceKeys {},
        )),
    };
    assert!(ask(&env, &delete).await.ok);
    assert!(
        env.store
            .device(Eui64::from_u64(DEV_EUI))
            .await
            .unwrap()
            .is_none()
    );
    let again = ask(&env, &delete).await;
    assert!(!again.ok);
    assert_eq!(again.error(), pb::DeviceKeysError::NotFound);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn refuses_malformed_key_requests_without_storing() {
    let env = TestEnv::start().await.unwrap();
    let cases = [
        set("1.0.3", vec![1; 15], Vec::new()),
        set("1.1", vec![1; 16], Vec::new()),
        set("1.0.2", vec![1; 16], vec![2; 16]),
        set("2.0", vec![1; 16], Vec::new()),
        pb::DeviceKeysRequest {
            dev_eui: DEV_EUI,
            action: None,
        },
    ];
    for request in cases {
        let answer = ask(&env, &request).await;
        assert!(!answer.ok, "{request:?}");
        assert_eq!(answer.error(), pb::DeviceKeysError::Invalid, "{answer:?}");
        assert!(
            !answer.message.contains("0101"),
            "no key material in {answer:?}"
        );
    }
    assert!(
        env.store
            .device(Eui64::from_u64(DEV_EUI))
            .await
            .unwrap()
            .is_none()
    );
    env.stop().await.unwrap();
}
