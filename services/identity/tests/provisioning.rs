//! Device create, update and delete reach the network and application services as
//! `ns.device` and `as.device` requests built from the device and its profile, network first;
//! an ABP device reaches the application service only. The services are the testsuite's
//! recording fakes; `services/tern/tests/provisioning.rs` runs the real ones.

use tern_api::v1 as api;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_identity::testsuite::{ProvisionRequest, TestIdentity, authorized, sample_profile};
use tern_proto::internal::v1 as pb;
use tonic::transport::Channel;

const DEV_EUI: u64 = 0x0004_a30b_001c_0530;

async fn register(env: &TestIdentity) -> Channel {
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
    let mut profiles = DeviceProfileServiceClient::new(channel.clone());
    let class_c = api::DeviceProfile {
        supports_class_c: true,
        payload_formatter_kind: "cayenne-lpp".to_owned(),
        ..sample_profile("eu-c", "acme")
    };
    let abp = api::DeviceProfile {
        activation: api::Activation::Abp.into(),
        ..sample_profile("eu-abp", "acme")
    };
    for profile in [sample_profile("eu-a", "acme"), class_c, abp] {
        profiles
            .create(authorized(
                key,
                api::CreateDeviceProfileRequest {
                    device_profile: Some(profile),
                },
            ))
            .await
            .unwrap();
    }
    channel
}

fn device(profile: &str) -> api::Device {
    api::Device {
        dev_eui: format!("{DEV_EUI:016x}"),
        application_id: "field-sensors".to_owned(),
        join_eui: "70b3d57ed0000000".to_owned(),
        name: "meter".to_owned(),
        device_profile_id: profile.to_owned(),
        ..api::Device::default()
    }
}

fn network_set(request: &ProvisionRequest) -> &pb::NetworkDevice {
    match request {
        ProvisionRequest::Network(pb::NetworkDeviceRequest {
            dev_eui: DEV_EUI,
            action: Some(pb::network_device_request::Action::Set(device)),
        }) => device,
        other => panic!("not a network set of the device: {other:?}"),
    }
}

fn application_set(request: &ProvisionRequest) -> &pb::ApplicationDevice {
    match request {
        ProvisionRequest::Application(pb::ApplicationDeviceRequest {
            dev_eui: DEV_EUI,
            action: Some(pb::application_device_request::Action::Set(device)),
        }) => device,
        other => panic!("not an application set of the device: {other:?}"),
    }
}

#[tokio::test]
async fn create_update_and_delete_reach_network_then_application() {
    let env = TestIdentity::start().await.unwrap();
    let channel = register(&env).await;
    let mut devices = DeviceServiceClient::new(channel);
    devices
        .create(authorized(
            &env.admin_key,
            api::CreateDeviceRequest {
                device: Some(device("eu-a")),
            },
        ))
        .await
        .unwrap();
    let requests = env.provisioned.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let network = network_set(&requests[0]);
    assert_eq!(network.band, "eu868");
    assert_eq!(network.mac_version(), pb::MacVersion::MacVersion103);
    assert_eq!(network.class(), pb::DeviceClass::A);
    assert_eq!(network.rx2_frequency_hz, Some(869_525_000));
    assert!(network.adr);
    assert_eq!(
        network.activation,
        Some(pb::network_device::Activation::Otaa(pb::OtaaActivation {
            join_eui: 0x70b3_d57e_d000_0000
        }))
    );
    let application = application_set(&requests[1]);
    assert_eq!(application.application_id, "field-sensors");
    assert_eq!(application.name, "meter");
    assert_eq!(application.formatter_kind, "none");

    devices
        .update(authorized(
            &env.admin_key,
            api::UpdateDeviceRequest {
                device: Some(device("eu-c")),
            },
        ))
        .await
        .unwrap();
    let requests = env.provisioned.requests();
    assert_eq!(requests.len(), 4, "{requests:?}");
    assert_eq!(network_set(&requests[2]).class(), pb::DeviceClass::C);
    assert_eq!(application_set(&requests[3]).formatter_kind, "cayenne_lpp");

    devices
        .delete(authorized(
            &env.admin_key,
            api::DeleteDeviceRequest {
                dev_eui: format!("{DEV_EUI:016x}"),
            },
        ))
        .await
        .unwrap();
    let requests = env.provisioned.requests();
    assert_eq!(requests.len(), 6, "{requests:?}");
    assert!(matches!(
        &requests[4],
        ProvisionRequest::Network(pb::NetworkDeviceRequest {
            dev_eui: DEV_EUI,
            action: Some(pb::network_device_request::Action::Delete(_)),
        })
    ));
    assert!(matches!(
        &requests[5],
        ProvisionRequest::Application(pb::ApplicationDeviceRequest {
            dev_eui: DEV_EUI,
            action: Some(pb::application_device_request::Action::Delete(_)),
        })
    ));
    env.stop().await.unwrap();
}

#[tokio::test]
async fn abp_device_reaches_only_the_application_service() {
    let env = TestIdentity::start().await.unwrap();
    let channel = register(&env).await;
    DeviceServiceClient::new(channel)
        .create(authorized(
            &env.admin_key,
            api::CreateDeviceRequest {
                device: Some(device("eu-abp")),
            },
        ))
        .await
        .unwrap();
    let requests = env.provisioned.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(application_set(&requests[0]).abp, None);
    env.stop().await.unwrap();
}
