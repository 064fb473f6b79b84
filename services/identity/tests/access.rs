//! Authentication and authorization: a key of one tenant can neither see nor touch another
//! tenant's entities, a key acts only with the rights it holds, and calls without a valid key
//! are refused.

use tern_api::v1 as api;
use tern_api::v1::api_key_service_client::ApiKeyServiceClient;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::gateway_service_client::GatewayServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_api::v1::user_service_client::UserServiceClient;
use tern_identity::testsuite::{TestIdentity, authorized, sample_profile};
use tonic::transport::Channel;
use tonic::{Code, Request};

const ALL_TENANT_RIGHTS: [&str; 8] = [
    "devices:read",
    "devices:write",
    "gateways:read",
    "gateways:write",
    "applications:read",
    "applications:write",
    "events:read",
    "downlinks:write",
];

/// Creates tenant `id` with an application, a profile, a device and a gateway, and returns a
/// key of that tenant with `rights`.
async fn populated_tenant(env: &TestIdentity, id: &str, n: u8, rights: &[&str]) -> String {
    let channel = env.channel().await.unwrap();
    let admin = &env.admin_key;
    TenantServiceClient::new(channel.clone())
        .create(authorized(
            admin,
            api::CreateTenantRequest {
                tenant: Some(api::Tenant {
                    id: id.to_owned(),
                    ..api::Tenant::default()
                }),
            },
        ))
        .await
        .unwrap();
    ApplicationServiceClient::new(channel.clone())
        .create(authorized(
            admin,
            api::CreateApplicationRequest {
                application: Some(api::Application {
                    id: format!("{id}-app"),
                    tenant_id: id.to_owned(),
                    ..api::Application::default()
                }),
            },
        ))
        .await
        .unwrap();
    DeviceProfileServiceClient::new(channel.clone())
        .create(authorized(
            admin,
            api::CreateDeviceProfileRequest {
                device_profile: Some(sample_profile(&format!("{id}-profile"), id)),
            },
        ))
        .await
        .unwrap();
    DeviceServiceClient::new(channel.clone())
        .create(authorized(
            admin,
            api::CreateDeviceRequest {
                device: Some(device(id, n)),
            },
        ))
        .await
        .unwrap();
    GatewayServiceClient::new(channel.clone())
        .create(authorized(
            admin,
            api::CreateGatewayRequest {
                gateway: Some(api::Gateway {
                    gateway_eui: format!("{n:02x}00000000000001"),
                    tenant_id: id.to_owned(),
                    band: "eu868".to_owned(),
                    ..api::Gateway::default()
                }),
            },
        ))
        .await
        .unwrap();
    ApiKeyServiceClient::new(channel)
        .create(authorized(
            admin,
            api::CreateApiKeyRequest {
                api_key: Some(api::ApiKey {
                    name: format!("{id} key"),
                    tenant_id: id.to_owned(),
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

fn device(tenant: &str, n: u8) -> api::Device {
    api::Device {
        dev_eui: format!("{n:02x}00000000000001"),
        application_id: format!("{tenant}-app"),
        join_eui: "0000000000000000".to_owned(),
        device_profile_id: format!("{tenant}-profile"),
        ..api::Device::default()
    }
}

/// Asserts that a call failed with one of the isolation answers.
fn refused<T: std::fmt::Debug>(what: &str, res: Result<tonic::Response<T>, tonic::Status>) {
    let status = res.expect_err(what);
    assert!(
        matches!(status.code(), Code::NotFound | Code::PermissionDenied),
        "{what}: {status:?}"
    );
}

#[tokio::test]
async fn a_tenant_key_neither_sees_nor_touches_another_tenant() {
    let env = TestIdentity::start().await.unwrap();
    let key_a = populated_tenant(&env, "tenant-a", 0xaa, &ALL_TENANT_RIGHTS).await;
    populated_tenant(&env, "tenant-b", 0xbb, &ALL_TENANT_RIGHTS).await;
    let channel = env.channel().await.unwrap();
    let k = key_a.as_str();
    let b_device = device("tenant-b", 0xbb);
    let b_gateway = "bb00000000000001".to_owned();

    let mut tenants = TenantServiceClient::new(channel.clone());
    refused(
        "get tenant",
        tenants
            .get(authorized(
                k,
                api::GetTenantRequest {
                    id: "tenant-b".into(),
                },
            ))
            .await,
    );
    refused(
        "update tenant",
        tenants
            .update(authorized(
                k,
                api::UpdateTenantRequest {
                    tenant: Some(api::Tenant {
                        id: "tenant-b".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await,
    );
    refused(
        "delete tenant",
        tenants
            .delete(authorized(
                k,
                api::DeleteTenantRequest {
                    id: "tenant-b".into(),
                },
            ))
            .await,
    );
    let listed = tenants
        .list(authorized(k, api::ListTenantsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed
            .tenants
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["tenant-a"]
    );

    let mut applications = ApplicationServiceClient::new(channel.clone());
    refused(
        "get app",
        applications
            .get(authorized(
                k,
                api::GetApplicationRequest {
                    id: "tenant-b-app".into(),
                },
            ))
            .await,
    );
    refused(
        "update app",
        applications
            .update(authorized(
                k,
                api::UpdateApplicationRequest {
                    application: Some(api::Application {
                        id: "tenant-b-app".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await,
    );
    refused(
        "delete app",
        applications
            .delete(authorized(
                k,
                api::DeleteApplicationRequest {
                    id: "tenant-b-app".into(),
                },
            ))
            .await,
    );
    refused(
        "create app in b",
        applications
            .create(authorized(
                k,
                api::CreateApplicationRequest {
                    application: Some(api::Application {
                        id: "sneaky".into(),
                        tenant_id: "tenant-b".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await,
    );
    refused(
        "list apps of b",
        applications
            .list(authorized(
                k,
                api::ListApplicationsRequest {
                    tenant_id: "tenant-b".into(),
                    ..Default::default()
                },
            ))
            .await,
    );
    let own = applications
        .list(authorized(k, api::ListApplicationsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        own.applications
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        ["tenant-a-app"]
    );

    let mut profiles = DeviceProfileServiceClient::new(channel.clone());
    refused(
        "get profile",
        profiles
            .get(authorized(
                k,
                api::GetDeviceProfileRequest {
                    id: "tenant-b-profile".into(),
                },
            ))
            .await,
    );
    refused(
        "update profile",
        profiles
            .update(authorized(
                k,
                api::UpdateDeviceProfileRequest {
                    device_profile: Some(sample_profile("tenant-b-profile", "tenant-b")),
                },
            ))
            .await,
    );
    refused(
        "delete profile",
        profiles
            .delete(authorized(
                k,
                api::DeleteDeviceProfileRequest {
                    id: "tenant-b-profile".into(),
                },
            ))
            .await,
    );
    refused(
        "create profile in b",
        profiles
            .create(authorized(
                k,
                api::CreateDeviceProfileRequest {
                    device_profile: Some(sample_profile("sneaky", "tenant-b")),
                },
            ))
            .await,
    );
    refused(
        "list profiles of b",
        profiles
            .list(authorized(
                k,
                api::ListDeviceProfilesRequest {
                    tenant_id: "tenant-b".into(),
                    ..Default::default()
                },
            ))
            .await,
    );

    let mut devices = DeviceServiceClient::new(channel.clone());
    refused(
        "get device",
        devices
            .get(authorized(
                k,
                api::GetDeviceRequest {
                    dev_eui: b_device.dev_eui.clone(),
                },
            ))
            .await,
    );
    refused(
        "update device",
        devices
            .update(authorized(
                k,
                api::UpdateDeviceRequest {
                    device: Some(b_device.clone()),
                },
            ))
            .await,
    );
    refused(
        "delete device",
        devices
            .delete(authorized(
                k,
                api::DeleteDeviceRequest {
                    dev_eui: b_device.dev_eui.clone(),
                },
            ))
            .await,
    );
    refused(
        "create device in b",
        devices
            .create(authorized(
                k,
                api::CreateDeviceRequest {
                    device: Some(api::Device {
                        dev_eui: "cc00000000000001".into(),
                        ..b_device.clone()
                    }),
                },
            ))
            .await,
    );
    // A device of tenant A may not use tenant B's profile either.
    refused(
        "profile of b",
        devices
            .create(authorized(
                k,
                api::CreateDeviceRequest {
                    device: Some(api::Device {
                        dev_eui: "cc00000000000002".into(),
                        device_profile_id: "tenant-b-profile".into(),
                        ..device("tenant-a", 0xcc)
                    }),
                },
            ))
            .await,
    );
    refused(
        "list devices of b app",
        devices
            .list(authorized(
                k,
                api::ListDevicesRequest {
                    application_id: "tenant-b-app".into(),
                    ..Default::default()
                },
            ))
            .await,
    );
    refused(
        "list devices of b",
        devices
            .list(authorized(
                k,
                api::ListDevicesRequest {
                    tenant_id: "tenant-b".into(),
                    ..Default::default()
                },
            ))
            .await,
    );
    let own = devices
        .list(authorized(k, api::ListDevicesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.devices.len(), 1);
    assert_eq!(own.devices[0].application_id, "tenant-a-app");

    let mut gateways = GatewayServiceClient::new(channel.clone());
    refused(
        "get gateway",
        gateways
            .get(authorized(
                k,
                api::GetGatewayRequest {
                    gateway_eui: b_gateway.clone(),
                },
            ))
            .await,
    );
    refused(
        "update gateway",
        gateways
            .update(authorized(
                k,
                api::UpdateGatewayRequest {
                    gateway: Some(api::Gateway {
                        gateway_eui: b_gateway.clone(),
                        band: "eu868".into(),
                        ..Default::default()
                    }),
                },
            ))
            .await,
    );
    refused(
        "delete gateway",
        gateways
            .delete(authorized(
                k,
                api::DeleteGatewayRequest {
                    gateway_eui: b_gateway.clone(),
                },
            ))
            .await,
    );
    refused(
        "list gateways of b",
        gateways
            .list(authorized(
                k,
                api::ListGatewaysRequest {
                    tenant_id: "tenant-b".into(),
                    ..Default::default()
                },
            ))
            .await,
    );
    let own = gateways
        .list(authorized(k, api::ListGatewaysRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.gateways.len(), 1);

    let mut keys = ApiKeyServiceClient::new(channel.clone());
    refused(
        "key in b",
        keys.create(authorized(
            k,
            api::CreateApiKeyRequest {
                api_key: Some(api::ApiKey {
                    tenant_id: "tenant-b".into(),
                    rights: vec!["devices:read".into()],
                    ..Default::default()
                }),
            },
        ))
        .await,
    );
    refused(
        "list keys of b",
        keys.list(authorized(
            k,
            api::ListApiKeysRequest {
                tenant_id: "tenant-b".into(),
                ..Default::default()
            },
        ))
        .await,
    );
    let mut users = UserServiceClient::new(channel);
    refused(
        "list users",
        users
            .list(authorized(k, api::ListUsersRequest::default()))
            .await,
    );

    // Everything of tenant B is still there.
    let admin = &env.admin_key;
    let mut devices = DeviceServiceClient::new(env.channel().await.unwrap());
    devices
        .get(authorized(
            admin,
            api::GetDeviceRequest {
                dev_eui: b_device.dev_eui.clone(),
            },
        ))
        .await
        .unwrap();
    env.stop().await.unwrap();
}

#[tokio::test]
async fn a_key_without_devices_write_cannot_create_a_device() {
    let env = TestIdentity::start().await.unwrap();
    let reader = populated_tenant(&env, "acme", 0x01, &["devices:read", "applications:read"]).await;
    let mut devices = DeviceServiceClient::new(env.channel().await.unwrap());
    let status = devices
        .create(authorized(
            &reader,
            api::CreateDeviceRequest {
                device: Some(api::Device {
                    dev_eui: "0100000000000002".to_owned(),
                    ..device("acme", 0x01)
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "permission denied: api key lacks right devices:write"
    );
    // Reading works with the right it holds.
    let listed = devices
        .list(authorized(&reader, api::ListDevicesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.devices.len(), 1);
    let mut gateways = GatewayServiceClient::new(env.channel().await.unwrap());
    let status = gateways
        .list(authorized(&reader, api::ListGatewaysRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn calls_without_a_valid_key_are_unauthenticated() {
    let env = TestIdentity::start().await.unwrap();
    let channel: Channel = env.channel().await.unwrap();
    let mut tenants = TenantServiceClient::new(channel);
    let missing = tenants
        .list(Request::new(api::ListTenantsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert!(missing.message().contains("authorization: Bearer"));
    let mut forged = env.admin_key.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    for key in [forged.as_str(), "tern_nothex", "garbage"] {
        let status = tenants
            .list(authorized(key, api::ListTenantsRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{key}");
        assert_eq!(status.message(), "unauthenticated: invalid api key");
    }
    tenants
        .list(authorized(
            &env.admin_key,
            api::ListTenantsRequest::default(),
        ))
        .await
        .unwrap();
    let text = env.metrics.encode().unwrap();
    let series = |code: &str| {
        format!(
            "tern_identity_calls_total{{service=\"tern.api.v1.TenantService\",method=\"List\",code=\"{code}\"}}"
        )
    };
    assert!(
        text.contains(&format!("{} 4", series("unauthenticated"))),
        "{text}"
    );
    assert!(text.contains(&format!("{} 1", series("ok"))), "{text}");
    env.stop().await.unwrap();
}
