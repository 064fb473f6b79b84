//! `DeviceService.SetKeys` and `DeleteKeys` reach a join service on the same bus over
//! `js.keys`; the keys land wrapped in the join store, with the device's JoinEUI and its
//! profile's LoRaWAN version.

use std::time::Duration;

use lorawan_codec::{Aes128Key, Eui64};
use tern_api::v1 as api;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_identity::testsuite::{TestIdentity, authorized, sample_profile};
use tern_join::{JoinDeps, JoinStore, MacVersion, PgJoinStore};
use tern_postgres::testsuite::TestSchema;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tonic::Code;

const DEV_EUI: &str = "0004a30b001c0530";
const APP_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";

async fn register_device(env: &TestIdentity) {
    let channel = env.channel().await.unwrap();
    let key = &env.admin_key;
    TenantServiceClient::new(channel.clone())
        .create(authorized(
            key,
            api::CreateTenantRequest {
                tenant: Some(api::Tenant {
                    id: "acme".to_owned(),
                    ..api::Tenant::default()
                }),
            },
        ))
        .await
        .unwrap();
    ApplicationServiceClient::new(channel.clone())
        .create(authorized(
            key,
            api::CreateApplicationRequest {
                application: Some(api::Application {
                    id: "field-sensors".to_owned(),
                    tenant_id: "acme".to_owned(),
                    ..api::Application::default()
                }),
            },
        ))
        .await
        .unwrap();
    DeviceProfileServiceClient::new(channel.clone())
        .create(authorized(
            key,
            api::CreateDeviceProfileRequest {
                device_profile: Some(sample_profile("eu-a", "acme")),
            },
        ))
        .await
        .unwrap();
    DeviceServiceClient::new(channel)
        .create(authorized(
            key,
            api::CreateDeviceRequest {
                device: Some(api::Device {
                    dev_eui: DEV_EUI.to_owned(),
                    application_id: "field-sensors".to_owned(),
                    join_eui: "70b3d57ed0000000".to_owned(),
                    device_profile_id: "eu-a".to_owned(),
                    ..api::Device::default()
                }),
            },
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn set_keys_reach_the_join_store_and_delete_removes_them() {
    let env = TestIdentity::start().await.unwrap();
    let join_schema = TestSchema::new(&env.pool);
    let mut join_config = tern_join::testsuite::default_config();
    join_config.schema = join_schema.name().as_str().to_owned();
    let readiness = Readiness::new();
    let shutdown = Shutdown::new();
    let deps = JoinDeps {
        bus: env.bus.clone(),
        pool: env.pool.clone(),
        metrics: Metrics::new(),
        readiness: readiness.clone(),
    };
    let join_shutdown = shutdown.clone();
    let join = tokio::spawn(async move { tern_join::run(&join_config, deps, join_shutdown).await });
    tokio::time::timeout(Duration::from_secs(10), async {
        while !readiness.is_ready() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    register_device(&env).await;

    let mut devices = DeviceServiceClient::new(env.channel().await.unwrap());
    devices
        .set_keys(authorized(
            &env.admin_key,
            api::SetDeviceKeysRequest {
                dev_eui: DEV_EUI.to_owned(),
                app_key: APP_KEY.to_owned(),
                nwk_key: String::new(),
            },
        ))
        .await
        .unwrap();
    let store = PgJoinStore::new(
        env.pool.clone(),
        join_schema.name().clone(),
        tern_join::testsuite::test_kek(),
    );
    let dev_eui: Eui64 = DEV_EUI.parse().unwrap();
    let stored = store.device(dev_eui).await.unwrap().unwrap();
    assert_eq!(stored.app_key, APP_KEY.parse::<Aes128Key>().unwrap());
    assert_eq!(stored.join_eui, "70b3d57ed0000000".parse().unwrap());
    assert_eq!(stored.mac_version, MacVersion::V1_0_3);

    let short = devices
        .set_keys(authorized(
            &env.admin_key,
            api::SetDeviceKeysRequest {
                dev_eui: DEV_EUI.to_owned(),
                app_key: "2b7e".to_owned(),
                nwk_key: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(short.code(), Code::InvalidArgument);
    // The profile says 1.0.3, so the join server refuses a NwkKey.
    let nwk = devices
        .set_keys(authorized(
            &env.admin_key,
            api::SetDeviceKeysRequest {
                dev_eui: DEV_EUI.to_owned(),
                app_key: APP_KEY.to_owned(),
                nwk_key: APP_KEY.to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(nwk.code(), Code::InvalidArgument);
    assert!(nwk.message().contains("no nwk_key"), "{}", nwk.message());

    devices
        .delete_keys(authorized(
            &env.admin_key,
            api::DeleteDeviceKeysRequest {
                dev_eui: DEV_EUI.to_owned(),
            },
        ))
        .await
        .unwrap();
    assert!(store.device(dev_eui).await.unwrap().is_none());
    let again = devices
        .delete_keys(authorized(
            &env.admin_key,
            api::DeleteDeviceKeysRequest {
                dev_eui: DEV_EUI.to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);

    // Deleting the device deletes its keys too.
    devices
        .set_keys(authorized(
            &env.admin_key,
            api::SetDeviceKeysRequest {
                dev_eui: DEV_EUI.to_owned(),
                app_key: APP_KEY.to_owned(),
                nwk_key: String::new(),
            },
        ))
        .await
        .unwrap();
    devices
        .delete(authorized(
            &env.admin_key,
            api::DeleteDeviceRequest {
                dev_eui: DEV_EUI.to_owned(),
            },
        ))
        .await
        .unwrap();
    assert!(store.device(dev_eui).await.unwrap().is_none());

    shutdown.trigger();
    join.await.unwrap().unwrap();
    join_schema.cleanup().await.unwrap();
    env.stop().await.unwrap();
}

#[tokio::test]
async fn set_keys_without_a_join_server_is_unavailable() {
    let env = TestIdentity::start().await.unwrap();
    register_device(&env).await;
    let mut devices = DeviceServiceClient::new(env.channel().await.unwrap());
    let status = devices
        .set_keys(authorized(
            &env.admin_key,
            api::SetDeviceKeysRequest {
                dev_eui: DEV_EUI.to_owned(),
                app_key: APP_KEY.to_owned(),
                nwk_key: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().starts_with("join server unavailable"));
    env.stop().await.unwrap();
}
