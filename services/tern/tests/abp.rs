//! ABP devices through the identity API with the real network and application services: a
//! device created with an ABP profile stays out of the network service until `Activate`
//! gives it a session; its uplinks then reach the application service decrypted; device and
//! profile updates keep the session and carry the profile's new settings; when the
//! application service does not answer, activation and profile pushes are undone in the
//! network service. All services run in this process on one subject root.

use base64::Engine as _;
use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use lorawan_region::Band;
use tern_api::v1 as api;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_application::testsuite::next_event_named;
use tern_application::{ApplicationRegistry, EventBody, Formatter};
use tern_identity::testsuite::{TestIdentity, authorized, sample_profile};
use tern_network::testsuite::{Reception, TestEnv, uplink_frame};
use tern_network::{Activation, DeviceRegistry, NetworkSessionKeys};
use tern_sim::{Device, DeviceConfig, MacVersion, SessionKeys, UplinkParams};
use tonic::Code;
use tonic::transport::Channel;

const APPLICATION: &str = "street-lights";
const PROFILE: &str = "eu-abp";
const DEV_EUI: &str = "0004a30b001c0601";
const SECOND_DEV_EUI: &str = "0004a30b001c0602";
const DEV_ADDR: u32 = 0x2601_1f01;
const NWK_S_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const APP_S_KEY: &str = "000102030405060708090a0b0c0d0e0f";

fn key(hex: &str) -> Aes128Key {
    hex.parse().unwrap()
}

/// Creates the tenant, application, ABP profile and two devices of that profile.
async fn register(identity: &TestIdentity) -> Channel {
    let channel = identity.channel().await.unwrap();
    let key = &identity.admin_key;
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
                    id: APPLICATION.to_owned(),
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
                device_profile: Some(api::DeviceProfile {
                    activation: api::Activation::Abp.into(),
                    ..sample_profile(PROFILE, "acme")
                }),
            },
        ))
        .await
        .unwrap();
    for dev_eui in [DEV_EUI, SECOND_DEV_EUI] {
        DeviceServiceClient::new(channel.clone())
            .create(authorized(
                key,
                api::CreateDeviceRequest {
                    device: Some(api::Device {
                        dev_eui: dev_eui.to_owned(),
                        application_id: APPLICATION.to_owned(),
                        join_eui: "0000000000000000".to_owned(),
                        name: "lamp".to_owned(),
                        device_profile_id: PROFILE.to_owned(),
                        ..api::Device::default()
                    }),
                },
            ))
            .await
            .unwrap();
    }
    channel
}

fn activation(dev_eui: &str) -> api::ActivateDeviceRequest {
    api::ActivateDeviceRequest {
        dev_eui: dev_eui.to_owned(),
        dev_addr: format!("{DEV_ADDR:08x}"),
        nwk_s_key: NWK_S_KEY.to_owned(),
        app_s_key: APP_S_KEY.to_owned(),
        ..api::ActivateDeviceRequest::default()
    }
}

async fn update_profile(
    identity: &TestIdentity,
    channel: &Channel,
    change: impl FnOnce(&mut api::DeviceProfile),
) -> Result<(), tonic::Status> {
    let mut profiles = DeviceProfileServiceClient::new(channel.clone());
    let mut profile = profiles
        .get(authorized(
            &identity.admin_key,
            api::GetDeviceProfileRequest {
                id: PROFILE.to_owned(),
            },
        ))
        .await?
        .into_inner();
    change(&mut profile);
    profiles
        .update(authorized(
            &identity.admin_key,
            api::UpdateDeviceProfileRequest {
                device_profile: Some(profile),
            },
        ))
        .await
        .map(|_| ())
}

fn receptions() -> [Reception; 1] {
    [Reception {
        gateway_eui: 0x0016_c001_ff10_9a01,
        snr_db: 5.0,
        tmst: 3_000_000,
    }]
}

/// Sends one uplink of `device` with `payload` on FPort 1 through the network service.
async fn send(env: &TestEnv, device: &mut Device, payload: &[u8]) {
    let uplink = device
        .uplink(UplinkParams {
            f_port: Some(1),
            payload: payload.to_vec(),
            ..UplinkParams::default()
        })
        .unwrap();
    env.publish_uplink(&uplink_frame(uplink.phy, &receptions()))
        .await
        .unwrap();
}

#[tokio::test]
async fn activated_abp_device_reaches_the_application_and_keeps_its_session_across_updates() {
    let env = TestEnv::start().await.unwrap();
    let application = tern_application::testsuite::TestEnv::start_on(
        env.bus_options.clone(),
        tern_application::testsuite::default_config(),
    )
    .await
    .unwrap();
    let identity = TestIdentity::start_on(env.bus_options.clone())
        .await
        .unwrap();
    let channel = register(&identity).await;
    let dev_eui: Eui64 = DEV_EUI.parse().unwrap();

    // Created, not activated: the network service does not know it yet.
    assert_eq!(env.registry.device(dev_eui).await.unwrap(), None);
    assert!(
        application
            .registry
            .device(dev_eui)
            .await
            .unwrap()
            .is_some()
    );

    DeviceServiceClient::new(channel.clone())
        .activate(authorized(&identity.admin_key, activation(DEV_EUI)))
        .await
        .unwrap();
    let network_device = env.registry.device(dev_eui).await.unwrap().unwrap();
    let abp = Activation::Abp {
        dev_addr: DevAddr::from_u32(DEV_ADDR),
        keys: NetworkSessionKeys::from_nwk_s_key(key(NWK_S_KEY)),
    };
    assert_eq!(network_device.activation, abp);

    let mut events = application.subscribe_events(APPLICATION).await.unwrap();
    let config = DeviceConfig::new(MacVersion::V1_0_3, Band::by_name("eu868").unwrap());
    let mut device = Device::abp(
        config,
        DevAddr::from_u32(DEV_ADDR),
        SessionKeys::v1_0(key(NWK_S_KEY), key(APP_S_KEY)),
    );
    send(&env, &mut device, b"lamp on").await;
    let event = next_event_named(&mut events, "up").await.unwrap();
    assert_eq!(event.device.dev_eui, DEV_EUI);
    let EventBody::Up(up) = event.body else {
        panic!("not an up event: {event:?}");
    };
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&up.frm_payload)
            .unwrap(),
        b"lamp on"
    );
    assert_eq!(up.f_cnt, 0);

    // A device update sends the session again: the network keeps the keys and counters.
    let mut devices = DeviceServiceClient::new(channel.clone());
    let mut stored = devices
        .get(authorized(
            &identity.admin_key,
            api::GetDeviceRequest {
                dev_eui: DEV_EUI.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    stored.name = "lamp 1".to_owned();
    devices
        .update(authorized(
            &identity.admin_key,
            api::UpdateDeviceRequest {
                device: Some(stored),
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        env.registry
            .device(dev_eui)
            .await
            .unwrap()
            .unwrap()
            .activation,
        abp
    );
    send(&env, &mut device, b"lamp off").await;
    let event = next_event_named(&mut events, "up").await.unwrap();
    let EventBody::Up(up) = event.body else {
        panic!("not an up event: {event:?}");
    };
    assert_eq!(up.f_cnt, 1);
    assert_eq!(event.device.dev_addr, format!("{DEV_ADDR:08x}"));

    // A profile update reaches the network and application registries of its devices.
    update_profile(&identity, &channel, |profile| {
        profile.rx1_delay_s = 3;
        profile.payload_formatter_kind = "cayenne-lpp".to_owned();
    })
    .await
    .unwrap();
    let network_device = env.registry.device(dev_eui).await.unwrap().unwrap();
    assert_eq!(network_device.rx1_delay_s, 3);
    assert_eq!(network_device.activation, abp);
    let second: Eui64 = SECOND_DEV_EUI.parse().unwrap();
    assert_eq!(env.registry.device(second).await.unwrap(), None);
    for dev_eui in [dev_eui, second] {
        let application_device = application.registry.device(dev_eui).await.unwrap().unwrap();
        assert_eq!(application_device.formatter, Formatter::CayenneLpp);
    }

    // Without an application service: activation and profile pushes are undone in the
    // network service, and the profile row keeps its update.
    application.stop().await.unwrap();
    let status = DeviceServiceClient::new(channel.clone())
        .activate(authorized(&identity.admin_key, activation(SECOND_DEV_EUI)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.message(),
        "application service did not answer; the device was not activated; \
         the network service was set back to its previous state"
    );
    assert_eq!(env.registry.device(second).await.unwrap(), None);

    let status = update_profile(&identity, &channel, |profile| profile.rx1_delay_s = 2)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        status
            .message()
            .contains("2 of its 2 devices were not updated"),
        "{}",
        status.message()
    );
    let profile = DeviceProfileServiceClient::new(channel.clone())
        .get(authorized(
            &identity.admin_key,
            api::GetDeviceProfileRequest {
                id: PROFILE.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(profile.rx1_delay_s, 2);
    let network_device = env.registry.device(dev_eui).await.unwrap().unwrap();
    assert_eq!(network_device.rx1_delay_s, 3, "set back to the old profile");

    identity.stop().await.unwrap();
    env.stop().await.unwrap();
}
