//! Takes every registry entity through create, get, update, list and delete through the
//! generated tonic clients, and checks the registry events each change publishes.

use std::collections::HashMap;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use futures::StreamExt as _;
use tern_api::v1 as api;
use tern_api::v1::api_key_service_client::ApiKeyServiceClient;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::gateway_service_client::GatewayServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_api::v1::user_service_client::UserServiceClient;
use tern_identity::Store;
use tern_identity::testsuite::{TestIdentity, authorized, sample_profile};
use tern_postgres::SchemaName;
use tern_proto::internal::v1::RegistryEvent;
use tonic::Code;

async fn create_tenant(env: &TestIdentity, id: &str) {
    let mut tenants = TenantServiceClient::new(env.channel().await.unwrap());
    tenants
        .create(authorized(
            &env.admin_key,
            api::CreateTenantRequest {
                tenant: Some(api::Tenant {
                    id: id.to_owned(),
                    name: format!("tenant {id}"),
                    ..api::Tenant::default()
                }),
            },
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn tenant_application_profile_device_gateway_lifecycle_publishes_events() {
    let env = TestIdentity::start().await.unwrap();
    let mut events = env
        .bus
        .subscribe::<RegistryEvent>(&env.bus.subjects().registry_all())
        .await
        .unwrap();
    env.bus.flush().await.unwrap();
    let key = env.admin_key.clone();
    let channel = env.channel().await.unwrap();

    create_tenant(&env, "acme").await;
    let mut tenants = TenantServiceClient::new(channel.clone());
    let tenant = tenants
        .update(authorized(
            &key,
            api::UpdateTenantRequest {
                tenant: Some(api::Tenant {
                    id: "acme".to_owned(),
                    name: "Acme Corp".to_owned(),
                    description: "the first customer".to_owned(),
                    ..api::Tenant::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tenant.name, "Acme Corp");

    let mut applications = ApplicationServiceClient::new(channel.clone());
    let application = applications
        .create(authorized(
            &key,
            api::CreateApplicationRequest {
                application: Some(api::Application {
                    id: "field-sensors".to_owned(),
                    tenant_id: "acme".to_owned(),
                    name: "Field sensors".to_owned(),
                    tags: HashMap::from([("site".to_owned(), "north".to_owned())]),
                    ..api::Application::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(application.tags["site"], "north");
    assert!(application.created_at > 0);

    let mut profiles = DeviceProfileServiceClient::new(channel.clone());
    let profile = profiles
        .create(authorized(
            &key,
            api::CreateDeviceProfileRequest {
                device_profile: Some(sample_profile("eu-class-a", "acme")),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(profile.adr_algorithm, "default");
    assert_eq!(profile.payload_formatter_kind, "none");
    let mut bad_band = sample_profile("bad-band", "acme");
    bad_band.band = "eu869".to_owned();
    let status = profiles
        .create(authorized(
            &key,
            api::CreateDeviceProfileRequest {
                device_profile: Some(bad_band),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("unknown band \"eu869\""),
        "{}",
        status.message()
    );

    let mut devices = DeviceServiceClient::new(channel.clone());
    let device = api::Device {
        dev_eui: "0004A30B001C0530".to_owned(),
        application_id: "field-sensors".to_owned(),
        join_eui: "70b3d57ed0000000".to_owned(),
        name: "sensor 1".to_owned(),
        device_profile_id: "eu-class-a".to_owned(),
        tags: HashMap::from([("floor".to_owned(), "2".to_owned())]),
        ..api::Device::default()
    };
    let created = devices
        .create(authorized(
            &key,
            api::CreateDeviceRequest {
                device: Some(device.clone()),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.dev_eui, "0004a30b001c0530");
    let again = devices
        .create(authorized(
            &key,
            api::CreateDeviceRequest {
                device: Some(device.clone()),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    let bad_eui = devices
        .create(authorized(
            &key,
            api::CreateDeviceRequest {
                device: Some(api::Device {
                    dev_eui: "0004a30b".to_owned(),
                    ..device.clone()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_eui.code(), Code::InvalidArgument);
    assert!(bad_eui.message().contains("device.dev_eui"));

    let updated = devices
        .update(authorized(
            &key,
            api::UpdateDeviceRequest {
                device: Some(api::Device {
                    description: "by the gate".to_owned(),
                    ..created.clone()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.description, "by the gate");
    let fetched = devices
        .get(authorized(
            &key,
            api::GetDeviceRequest {
                dev_eui: "0004a30b001c0530".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, updated);
    let by_tag = devices
        .list(authorized(
            &key,
            api::ListDevicesRequest {
                application_id: "field-sensors".to_owned(),
                tags: HashMap::from([("floor".to_owned(), "2".to_owned())]),
                ..api::ListDevicesRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_tag.devices, std::slice::from_ref(&updated));
    let other_tag = devices
        .list(authorized(
            &key,
            api::ListDevicesRequest {
                tags: HashMap::from([("floor".to_owned(), "3".to_owned())]),
                ..api::ListDevicesRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(other_tag.devices.is_empty());

    // The application still has a device, so it cannot go yet.
    let in_use = applications
        .delete(authorized(
            &key,
            api::DeleteApplicationRequest {
                id: "field-sensors".to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(in_use.code(), Code::InvalidArgument);
    assert!(in_use.message().contains("still has devices"));

    let mut gateways = GatewayServiceClient::new(channel.clone());
    let gateway = gateways
        .create(authorized(
            &key,
            api::CreateGatewayRequest {
                gateway: Some(api::Gateway {
                    gateway_eui: "b827ebfffe000001".to_owned(),
                    tenant_id: "acme".to_owned(),
                    name: "roof".to_owned(),
                    latitude: 52.37,
                    longitude: 4.9,
                    altitude: 12.0,
                    band: "eu868".to_owned(),
                    ..api::Gateway::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gateway.latitude, 52.37);
    let gateway_list = gateways
        .list(authorized(
            &key,
            api::ListGatewaysRequest {
                name_prefix: "ro".to_owned(),
                ..api::ListGatewaysRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gateway_list.gateways, std::slice::from_ref(&gateway));

    devices
        .delete(authorized(
            &key,
            api::DeleteDeviceRequest {
                dev_eui: "0004a30b001c0530".to_owned(),
            },
        ))
        .await
        .unwrap();
    let gone = devices
        .update(authorized(
            &key,
            api::UpdateDeviceRequest {
                device: Some(updated.clone()),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    assert_eq!(
        gone.message(),
        "device 0004a30b001c0530 not found in application \"field-sensors\""
    );
    gateways
        .delete(authorized(
            &key,
            api::DeleteGatewayRequest {
                gateway_eui: "b827ebfffe000001".to_owned(),
            },
        ))
        .await
        .unwrap();
    profiles
        .delete(authorized(
            &key,
            api::DeleteDeviceProfileRequest {
                id: "eu-class-a".to_owned(),
            },
        ))
        .await
        .unwrap();
    applications
        .delete(authorized(
            &key,
            api::DeleteApplicationRequest {
                id: "field-sensors".to_owned(),
            },
        ))
        .await
        .unwrap();
    tenants
        .delete(authorized(
            &key,
            api::DeleteTenantRequest {
                id: "acme".to_owned(),
            },
        ))
        .await
        .unwrap();
    let status = tenants
        .get(authorized(
            &key,
            api::GetTenantRequest {
                id: "acme".to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let expected = [
        ("tenant", "acme", "created"),
        ("tenant", "acme", "updated"),
        ("application", "field-sensors", "created"),
        ("device_profile", "eu-class-a", "created"),
        ("device", "0004a30b001c0530", "created"),
        ("device", "0004a30b001c0530", "updated"),
        ("gateway", "b827ebfffe000001", "created"),
        ("device", "0004a30b001c0530", "deleted"),
        ("gateway", "b827ebfffe000001", "deleted"),
        ("device_profile", "eu-class-a", "deleted"),
        ("application", "field-sensors", "deleted"),
        ("tenant", "acme", "deleted"),
    ];
    for (kind, id, action) in expected {
        let delivery = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .unwrap()
            .unwrap();
        let subject = format!(
            "{}.registry.{kind}.{id}.{action}",
            env.bus.subjects().root()
        );
        assert_eq!(delivery.subject(), subject);
        let event = delivery.message();
        assert_eq!(
            (
                event.kind.as_str(),
                event.id.as_str(),
                event.action.as_str()
            ),
            (kind, id, action)
        );
        assert_eq!(event.tenant_id, "acme");
    }
    drop(events);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn users_and_api_keys_lifecycle() {
    let env = TestIdentity::start().await.unwrap();
    let key = env.admin_key.clone();
    let channel = env.channel().await.unwrap();
    create_tenant(&env, "acme").await;

    let mut users = UserServiceClient::new(channel.clone());
    let user = users
        .create(authorized(
            &key,
            api::CreateUserRequest {
                user: Some(api::User {
                    username: "alice".to_owned(),
                    tenant_id: "acme".to_owned(),
                    password: "correct horse battery".to_owned(),
                    ..api::User::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(user.password.is_empty(), "passwords are never returned");
    let short = users
        .create(authorized(
            &key,
            api::CreateUserRequest {
                user: Some(api::User {
                    username: "bob".to_owned(),
                    password: "short".to_owned(),
                    ..api::User::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(short.code(), Code::InvalidArgument);
    let listed = users
        .list(authorized(
            &key,
            api::ListUsersRequest {
                tenant_id: "acme".to_owned(),
                ..api::ListUsersRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.users, std::slice::from_ref(&user));
    let store = Store::new(
        env.pool.clone(),
        SchemaName::new(&env.config.schema).unwrap(),
    );
    let hash = store.password_hash("alice").await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let parsed = PasswordHash::new(&hash).unwrap();
    let argon2 = argon2::Argon2::default();
    assert!(
        argon2
            .verify_password(b"correct horse battery", &parsed)
            .is_ok()
    );
    assert!(
        argon2
            .verify_password(b"wrong horse battery", &parsed)
            .is_err()
    );
    users
        .delete(authorized(
            &key,
            api::DeleteUserRequest {
                username: "alice".to_owned(),
            },
        ))
        .await
        .unwrap();

    let mut keys = ApiKeyServiceClient::new(channel.clone());
    let created = keys
        .create(authorized(
            &key,
            api::CreateApiKeyRequest {
                api_key: Some(api::ApiKey {
                    name: "ci".to_owned(),
                    tenant_id: "acme".to_owned(),
                    rights: vec!["devices:read".to_owned(), "gateways:read".to_owned()],
                    ..api::ApiKey::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let tenant_key = created.key.clone();
    let stored = created.api_key.unwrap();
    assert!(tenant_key.starts_with(&format!("tern_{}_", stored.id)));

    // The tenant key may list its tenant's keys but not grant rights it lacks.
    let own = keys
        .list(authorized(&tenant_key, api::ListApiKeysRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.api_keys, std::slice::from_ref(&stored));
    let escalate = keys
        .create(authorized(
            &tenant_key,
            api::CreateApiKeyRequest {
                api_key: Some(api::ApiKey {
                    name: "more".to_owned(),
                    rights: vec!["devices:write".to_owned()],
                    ..api::ApiKey::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(escalate.code(), Code::PermissionDenied);
    let updated = keys
        .update(authorized(
            &key,
            api::UpdateApiKeyRequest {
                api_key: Some(api::ApiKey {
                    name: "ci reader".to_owned(),
                    rights: vec!["devices:read".to_owned()],
                    ..stored.clone()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.rights, ["devices:read"]);
    keys.delete(authorized(
        &key,
        api::DeleteApiKeyRequest {
            id: stored.id.clone(),
        },
    ))
    .await
    .unwrap();
    let revoked = keys
        .list(authorized(&tenant_key, api::ListApiKeysRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(revoked.code(), Code::Unauthenticated);
    env.stop().await.unwrap();
}

#[tokio::test]
async fn lists_page_through_every_entity_once() {
    let env = TestIdentity::start().await.unwrap();
    let key = env.admin_key.clone();
    let mut tenants = TenantServiceClient::new(env.channel().await.unwrap());
    for n in 0..7 {
        create_tenant(&env, &format!("t{n:02}")).await;
    }
    let mut seen = Vec::new();
    let mut page_token = String::new();
    let mut pages = 0;
    loop {
        let page = tenants
            .list(authorized(
                &key,
                api::ListTenantsRequest {
                    page_size: 3,
                    page_token: page_token.clone(),
                    name_prefix: "tenant t".to_owned(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.tenants.len() <= 3);
        seen.extend(page.tenants.into_iter().map(|tenant| tenant.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let expected: Vec<String> = (0..7).map(|n| format!("t{n:02}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    let too_big = tenants
        .list(authorized(
            &key,
            api::ListTenantsRequest {
                page_size: 5000,
                ..api::ListTenantsRequest::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(too_big.code(), Code::InvalidArgument);
    env.stop().await.unwrap();
}
