//! `DeviceService.Activate` gives an ABP device its session: checked for tenant, right,
//! key shapes, profile and KEK; sent to the network service with plaintext network keys and
//! to the application service with the AppSKey wrapped under the KEK; kept wrapped in the
//! registry so device and profile updates send it again. The services are the testsuite's
//! recording fakes; `services/tern/tests/provisioning.rs` runs the real ones.

use futures::StreamExt as _;
use tern_api::v1 as api;
use tern_api::v1::api_key_service_client::ApiKeyServiceClient;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_identity::testsuite::{
    ProvisionRequest, TEST_KEK, TEST_KEK_LABEL, TestIdentity, authorized, sample_profile,
};
use tern_proto::internal::v1 as pb;
use tonic::Code;
use tonic::transport::Channel;

const ABP_DEVICE: &str = "0004a30b001c0531";
const OTAA_DEVICE: &str = "0004a30b001c0532";
const NWK_S_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const APP_S_KEY: &str = "000102030405060708090a0b0c0d0e0f";

/// Creates tenant `tenant` with an application, an ABP and an OTAA profile and one device of
/// each; returns the channel.
async fn register(env: &TestIdentity, tenant: &str) -> Channel {
    let channel = env.channel().await.unwrap();
    let key = &env.admin_key;
    TenantServiceClient::new(channel.clone())
        .create(authorized(
            key,
            api::CreateTenantRequest {
                tenant: Some(api::Tenant {
                    id: tenant.to_owned(),
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
                    id: format!("{tenant}-app"),
                    tenant_id: tenant.to_owned(),
                    ..api::Application::default()
                }),
            },
        ))
        .await
        .unwrap();
    let abp = api::DeviceProfile {
        activation: api::Activation::Abp.into(),
        ..sample_profile(&format!("{tenant}-abp"), tenant)
    };
    for profile in [abp, sample_profile(&format!("{tenant}-otaa"), tenant)] {
        DeviceProfileServiceClient::new(channel.clone())
            .create(authorized(
                key,
                api::CreateDeviceProfileRequest {
                    device_profile: Some(profile),
                },
            ))
            .await
            .unwrap();
    }
    if tenant == "acme" {
        for (dev_eui, profile) in [(ABP_DEVICE, "acme-abp"), (OTAA_DEVICE, "acme-otaa")] {
            DeviceServiceClient::new(channel.clone())
                .create(authorized(
                    key,
                    api::CreateDeviceRequest {
                        device: Some(api::Device {
                            dev_eui: dev_eui.to_owned(),
                            application_id: "acme-app".to_owned(),
                            join_eui: "70b3d57ed0000000".to_owned(),
                            device_profile_id: profile.to_owned(),
                            ..api::Device::default()
                        }),
                    },
                ))
                .await
                .unwrap();
        }
    }
    channel
}

async fn tenant_key(channel: &Channel, admin: &str, tenant: &str, rights: &[&str]) -> String {
    ApiKeyServiceClient::new(channel.clone())
        .create(authorized(
            admin,
            api::CreateApiKeyRequest {
                api_key: Some(api::ApiKey {
                    name: format!("{tenant} key"),
                    tenant_id: tenant.to_owned(),
                    rights: rights.iter().map(|right| (*right).to_owned()).collect(),
                    ..api::ApiKey::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .key
}

fn activation(dev_eui: &str) -> api::ActivateDeviceRequest {
    api::ActivateDeviceRequest {
        dev_eui: dev_eui.to_owned(),
        dev_addr: "26011bda".to_owned(),
        nwk_s_key: NWK_S_KEY.to_owned(),
        app_s_key: APP_S_KEY.to_owned(),
        ..api::ActivateDeviceRequest::default()
    }
}

async fn activate(
    channel: &Channel,
    key: &str,
    request: api::ActivateDeviceRequest,
) -> Result<(), tonic::Status> {
    DeviceServiceClient::new(channel.clone())
        .activate(authorized(key, request))
        .await
        .map(|_| ())
}

fn network_abp(request: &ProvisionRequest) -> pb::AbpActivation {
    match request {
        ProvisionRequest::Network(pb::NetworkDeviceRequest {
            action:
                Some(pb::network_device_request::Action::Set(pb::NetworkDevice {
                    activation: Some(pb::network_device::Activation::Abp(abp)),
                    ..
                })),
            ..
        }) => abp.clone(),
        other => panic!("not an abp network set: {other:?}"),
    }
}

fn application_set(request: &ProvisionRequest) -> pb::ApplicationDevice {
    match request {
        ProvisionRequest::Application(pb::ApplicationDeviceRequest {
            action: Some(pb::application_device_request::Action::Set(device)),
            ..
        }) => device.clone(),
        other => panic!("not an application set: {other:?}"),
    }
}

fn unwrap_app_s_key(envelope: &pb::KeyEnvelope) -> Vec<u8> {
    let kek: lorawan_codec::Aes128Key = TEST_KEK.parse().unwrap();
    lorawan_crypto::unwrap_key(&kek, &envelope.key)
        .unwrap()
        .as_bytes()
        .to_vec()
}

#[tokio::test]
async fn activate_checks_tenant_right_keys_and_profile() {
    let env = TestIdentity::start().await.unwrap();
    let channel = register(&env, "acme").await;
    register(&env, "other").await;
    let other_key = tenant_key(&channel, &env.admin_key, "other", &["devices:write"]).await;
    let read_only = tenant_key(&channel, &env.admin_key, "acme", &["devices:read"]).await;
    let before = env.provisioned.requests().len();

    let status = activate(&channel, &other_key, activation(ABP_DEVICE))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    let status = activate(&channel, &read_only, activation(ABP_DEVICE))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    let bad_hex = api::ActivateDeviceRequest {
        app_s_key: "00010203040506070809".to_owned(),
        ..activation(ABP_DEVICE)
    };
    let status = activate(&channel, &env.admin_key, bad_hex)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("app_s_key"),
        "{}",
        status.message()
    );

    let bad_dev_addr = api::ActivateDeviceRequest {
        dev_addr: "26011bdz".to_owned(),
        ..activation(ABP_DEVICE)
    };
    let status = activate(&channel, &env.admin_key, bad_dev_addr)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("dev_addr"),
        "{}",
        status.message()
    );

    let wrong_key_set = api::ActivateDeviceRequest {
        nwk_s_key: String::new(),
        f_nwk_s_int_key: NWK_S_KEY.to_owned(),
        s_nwk_s_int_key: NWK_S_KEY.to_owned(),
        nwk_s_enc_key: NWK_S_KEY.to_owned(),
        ..activation(ABP_DEVICE)
    };
    let status = activate(&channel, &env.admin_key, wrong_key_set)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("f_nwk_s_int_key") && status.message().contains("1.0.3"),
        "{}",
        status.message()
    );

    let status = activate(&channel, &env.admin_key, activation(OTAA_DEVICE))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("acme-otaa") && status.message().contains("ABP profile"),
        "{}",
        status.message()
    );
    assert_eq!(
        env.provisioned.requests().len(),
        before,
        "a refused activation reaches no service"
    );
    env.stop().await.unwrap();
}

#[tokio::test]
async fn activate_without_a_kek_names_the_key_to_set() {
    let env = TestIdentity::start_configured(|config| {
        config.kek = None;
        config.kek_label = None;
    })
    .await
    .unwrap();
    let channel = register(&env, "acme").await;
    let status = activate(&channel, &env.admin_key, activation(ABP_DEVICE))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains("[identity] kek"),
        "{}",
        status.message()
    );
    env.stop().await.unwrap();
}

#[tokio::test]
async fn activation_reaches_both_services_and_survives_device_and_profile_updates() {
    let env = TestIdentity::start().await.unwrap();
    let channel = register(&env, "acme").await;
    let created = env.provisioned.requests();
    // Created before activation: the application service only, without a session.
    let abp_created: Vec<_> = created
        .iter()
        .filter(|request| match request {
            ProvisionRequest::Network(pb::NetworkDeviceRequest { dev_eui, .. })
            | ProvisionRequest::Application(pb::ApplicationDeviceRequest { dev_eui, .. }) => {
                *dev_eui == 0x0004_a30b_001c_0531
            }
        })
        .collect();
    assert_eq!(abp_created.len(), 1, "{abp_created:?}");
    assert_eq!(application_set(abp_created[0]).abp, None);

    let mut events = env
        .bus
        .subscribe::<pb::RegistryEvent>(&env.bus.subjects().registry_kind("device").unwrap())
        .await
        .unwrap();
    env.bus.flush().await.unwrap();
    activate(&channel, &env.admin_key, activation(ABP_DEVICE))
        .await
        .unwrap();
    // Network replicas that remembered the DevAddr as unknown drop it on this event.
    let event = tokio::time::timeout(std::time::Duration::from_secs(5), events.next())
        .await
        .expect("a registry event after activation")
        .unwrap()
        .into_message();
    assert_eq!(
        (event.id.as_str(), event.action.as_str()),
        (ABP_DEVICE, "updated")
    );
    let requests = env.provisioned.requests();
    let activated = &requests[created.len()..];
    assert_eq!(activated.len(), 2, "{activated:?}");
    let network = network_abp(&activated[0]);
    assert_eq!(network.dev_addr, 0x2601_1bda);
    let nwk_s_key = hex::decode(NWK_S_KEY).unwrap();
    for envelope in [
        &network.f_nwk_s_int_key,
        &network.s_nwk_s_int_key,
        &network.nwk_s_enc_key,
    ] {
        let envelope = envelope.as_ref().unwrap();
        assert_eq!(envelope.kek_label, "");
        assert_eq!(envelope.key.as_ref(), nwk_s_key.as_slice());
    }
    let session = application_set(&activated[1]).abp.unwrap();
    assert_eq!(session.dev_addr, 0x2601_1bda);
    assert_eq!(session.mac_version(), pb::MacVersion::MacVersion103);
    let app_s_key = session.app_s_key.unwrap();
    assert_eq!(app_s_key.kek_label, TEST_KEK_LABEL);
    assert_eq!(
        unwrap_app_s_key(&app_s_key),
        hex::decode(APP_S_KEY).unwrap()
    );

    // A device update sends the session again, so the network keeps its keys.
    let mut devices = DeviceServiceClient::new(channel.clone());
    let mut device = devices
        .get(authorized(
            &env.admin_key,
            api::GetDeviceRequest {
                dev_eui: ABP_DEVICE.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    device.name = "renamed".to_owned();
    devices
        .update(authorized(
            &env.admin_key,
            api::UpdateDeviceRequest {
                device: Some(device),
            },
        ))
        .await
        .unwrap();
    let requests = env.provisioned.requests();
    let updated = &requests[created.len() + 2..];
    assert_eq!(updated.len(), 2, "{updated:?}");
    assert_eq!(network_abp(&updated[0]), network);
    let application = application_set(&updated[1]);
    assert_eq!(application.name, "renamed");
    assert_eq!(application.abp.unwrap().dev_addr, 0x2601_1bda);

    // A profile update reaches the device with the new settings and the same session.
    let mut profiles = DeviceProfileServiceClient::new(channel.clone());
    let mut profile = profiles
        .get(authorized(
            &env.admin_key,
            api::GetDeviceProfileRequest {
                id: "acme-abp".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    profile.rx1_delay_s = 3;
    profile.payload_formatter_kind = "cayenne-lpp".to_owned();
    profiles
        .update(authorized(
            &env.admin_key,
            api::UpdateDeviceProfileRequest {
                device_profile: Some(profile),
            },
        ))
        .await
        .unwrap();
    let requests = env.provisioned.requests();
    let pushed = &requests[created.len() + 4..];
    assert_eq!(pushed.len(), 2, "{pushed:?}");
    match &pushed[0] {
        ProvisionRequest::Network(pb::NetworkDeviceRequest {
            action: Some(pb::network_device_request::Action::Set(set)),
            ..
        }) => assert_eq!(set.rx1_delay_s, 3),
        other => panic!("not a network set: {other:?}"),
    }
    assert_eq!(network_abp(&pushed[0]), network);
    assert_eq!(application_set(&pushed[1]).formatter_kind, "cayenne_lpp");

    // A rename of the profile leaves the devices alone.
    let mut profile = profiles
        .get(authorized(
            &env.admin_key,
            api::GetDeviceProfileRequest {
                id: "acme-abp".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    profile.name = "abp sensors".to_owned();
    profiles
        .update(authorized(
            &env.admin_key,
            api::UpdateDeviceProfileRequest {
                device_profile: Some(profile),
            },
        ))
        .await
        .unwrap();
    assert_eq!(env.provisioned.requests().len(), created.len() + 6);
    env.stop().await.unwrap();
}
