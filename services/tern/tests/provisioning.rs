//! Devices created through the identity API reach the network and application services over
//! `ns.device` and `as.device`: an OTAA device joins through the network and join services
//! and its uplink reaches `as.up`; a deleted device is rejected by the network service at
//! once; a create that a service does not take leaves nothing behind. All services run in
//! this process against the loopback NATS, Redis and PostgreSQL on one subject root.

use std::time::{Duration, Instant};

use lorawan_codec::JoinReqType;
use tern_api::v1 as api;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_application::ApplicationRegistry;
use tern_bus::{Bus, BusMetrics, BusOptions};
use tern_identity::testsuite::{TestIdentity, authorized, sample_profile};
use tern_join::testsuite::{TestDevice, test_kek};
use tern_join::{JoinDeps, JoinStore, MacVersion, PgJoinStore};
use tern_network::DeviceRegistry;
use tern_network::testsuite::{Reception, SimDevice, TestEnv, next, stays_quiet, uplink_frame};
use tern_postgres::testsuite::{TestSchema, test_pool};
use tern_telemetry::{Metrics, Readiness, Shutdown, prometheus_client};
use tokio::task::JoinHandle;
use tonic::Code;
use tonic::transport::Channel;

const TIMEOUT: Duration = Duration::from_secs(20);
const GATEWAY: u64 = 0x0016_c001_ff10_9a00;
const APPLICATION: &str = "field-sensors";

/// The join service on a given subject root, with its own schema.
struct JoinServer {
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
    store: PgJoinStore,
    schema: TestSchema,
}

impl JoinServer {
    async fn start(bus_options: &BusOptions) -> JoinServer {
        let pool = test_pool().unwrap();
        let schema = TestSchema::new(&pool);
        let mut config = tern_join::testsuite::default_config();
        config.schema = schema.name().as_str().to_owned();
        let bus = Bus::connect(
            bus_options,
            BusMetrics::new(&mut prometheus_client::registry::Registry::default()),
        )
        .await
        .unwrap();
        let readiness = Readiness::new();
        let shutdown = Shutdown::new();
        let deps = JoinDeps {
            bus: bus.clone(),
            pool: pool.clone(),
            metrics: Metrics::new(),
            readiness: readiness.clone(),
        };
        let run_shutdown = shutdown.clone();
        let task = tokio::spawn(async move { tern_join::run(&config, deps, run_shutdown).await });
        tokio::time::timeout(TIMEOUT, async {
            while !readiness.is_ready() && !task.is_finished() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap();
        assert!(
            !task.is_finished(),
            "join service stopped before it was ready"
        );
        let store = PgJoinStore::new(pool, schema.name().clone(), test_kek());
        JoinServer {
            shutdown,
            task,
            store,
            schema,
        }
    }

    async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.unwrap().unwrap();
        self.schema.cleanup().await.unwrap();
    }
}

/// Creates the tenant, application and EU868 LoRaWAN 1.0.3 OTAA profile devices go into.
async fn register_application(identity: &TestIdentity) -> Channel {
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
                device_profile: Some(sample_profile("eu-a", "acme")),
            },
        ))
        .await
        .unwrap();
    channel
}

fn api_device(device: &TestDevice) -> api::Device {
    api::Device {
        dev_eui: device.dev_eui.to_string(),
        application_id: APPLICATION.to_owned(),
        join_eui: device.join_eui.to_string(),
        name: "meter 1".to_owned(),
        device_profile_id: "eu-a".to_owned(),
        ..api::Device::default()
    }
}

/// Creates the device through the API and sets its AppKey.
async fn create_device(
    identity: &TestIdentity,
    channel: &Channel,
    device: &TestDevice,
) -> Result<(), tonic::Status> {
    let mut client = DeviceServiceClient::new(channel.clone());
    client
        .create(authorized(
            &identity.admin_key,
            api::CreateDeviceRequest {
                device: Some(api_device(device)),
            },
        ))
        .await?;
    client
        .set_keys(authorized(
            &identity.admin_key,
            api::SetDeviceKeysRequest {
                dev_eui: device.dev_eui.to_string(),
                app_key: device.app_key.to_string(),
                nwk_key: String::new(),
            },
        ))
        .await?;
    Ok(())
}

fn receptions() -> [Reception; 1] {
    [Reception {
        gateway_eui: GATEWAY,
        snr_db: 5.0,
        tmst: 3_000_000,
    }]
}

/// Joins `device` through the network and join services and returns its network session.
async fn join(env: &TestEnv, device: &TestDevice) -> SimDevice {
    let mut down = env.subscribe_down(GATEWAY).await.unwrap();
    let dev_nonce = 0x0a0b;
    env.publish_uplink(&uplink_frame(device.join_request(dev_nonce), &receptions()))
        .await
        .unwrap();
    let downlink = next(&mut down).await.unwrap();
    let opened = device
        .open_join_accept(
            &downlink.items[0].phy_payload,
            JoinReqType::JoinRequest,
            dev_nonce,
        )
        .unwrap();
    SimDevice {
        dev_addr: opened.body.dev_addr,
        f_nwk_s_int_key: opened.f_nwk_s_int_key,
        s_nwk_s_int_key: opened.s_nwk_s_int_key,
        nwk_s_enc_key: opened.nwk_s_enc_key,
        lorawan_1_1: false,
    }
}

#[tokio::test]
async fn device_created_through_the_api_joins_and_its_uplink_reaches_as_up() {
    let env = TestEnv::start().await.unwrap();
    let join_server = JoinServer::start(&env.bus_options).await;
    let application = tern_application::testsuite::TestEnv::start_on(
        env.bus_options.clone(),
        tern_application::testsuite::default_config(),
    )
    .await
    .unwrap();
    let identity = TestIdentity::start_on(env.bus_options.clone())
        .await
        .unwrap();
    let channel = register_application(&identity).await;
    let device = TestDevice::new(MacVersion::V1_0_3, 0x61);

    create_device(&identity, &channel, &device).await.unwrap();

    let network_device = env.registry.device(device.dev_eui).await.unwrap().unwrap();
    assert_eq!(network_device.band, "eu868");
    assert_eq!(
        network_device.activation,
        tern_network::Activation::Otaa {
            join_eui: device.join_eui
        }
    );
    let application_device = application
        .registry
        .device(device.dev_eui)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(application_device.application_id, APPLICATION);
    assert_eq!(application_device.name, "meter 1");

    let mut as_up = env.subscribe_as_up().await.unwrap();
    let sim = join(&env, &device).await;
    env.publish_uplink(&uplink_frame(sim.data_up(0, false, b"hi"), &receptions()))
        .await
        .unwrap();
    let uplink = next(&mut as_up).await.unwrap();
    assert_eq!(uplink.dev_eui, device.dev_eui.to_u64());
    assert_eq!(uplink.f_cnt, 0);

    identity.stop().await.unwrap();
    application.stop().await.unwrap();
    join_server.stop().await;
    env.stop().await.unwrap();
}

#[tokio::test]
async fn deleted_device_is_rejected_by_the_network_within_a_second() {
    let env = TestEnv::start().await.unwrap();
    let join_server = JoinServer::start(&env.bus_options).await;
    let application = tern_application::testsuite::TestEnv::start_on(
        env.bus_options.clone(),
        tern_application::testsuite::default_config(),
    )
    .await
    .unwrap();
    let identity = TestIdentity::start_on(env.bus_options.clone())
        .await
        .unwrap();
    let channel = register_application(&identity).await;
    let device = TestDevice::new(MacVersion::V1_0_3, 0x62);
    create_device(&identity, &channel, &device).await.unwrap();
    let mut as_up = env.subscribe_as_up().await.unwrap();
    let sim = join(&env, &device).await;
    env.publish_uplink(&uplink_frame(sim.data_up(0, false, b"a"), &receptions()))
        .await
        .unwrap();
    next(&mut as_up).await.unwrap();

    DeviceServiceClient::new(channel)
        .delete(authorized(
            &identity.admin_key,
            api::DeleteDeviceRequest {
                dev_eui: device.dev_eui.to_string(),
            },
        ))
        .await
        .unwrap();
    let deleted_at = Instant::now();
    let unknown_before = env.uplinks("unknown_dev_addr");
    env.publish_uplink(&uplink_frame(sim.data_up(1, false, b"b"), &receptions()))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(1), async {
        while env.uplinks("unknown_dev_addr") == unknown_before {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the uplink after the delete is rejected as unknown within a second");
    assert!(deleted_at.elapsed() < Duration::from_secs(1));
    assert!(stays_quiet(&mut as_up, Duration::from_millis(200)).await);
    assert_eq!(env.registry.device(device.dev_eui).await.unwrap(), None);
    assert_eq!(
        application.registry.device(device.dev_eui).await.unwrap(),
        None
    );
    assert!(
        join_server
            .store
            .device(device.dev_eui)
            .await
            .unwrap()
            .is_none()
    );

    identity.stop().await.unwrap();
    application.stop().await.unwrap();
    join_server.stop().await;
    env.stop().await.unwrap();
}

#[tokio::test]
async fn create_without_a_network_service_leaves_no_device_behind() {
    // The join service runs beside identity; no network or application service does.
    let bus_options = tern_bus::testsuite::test_options();
    let join_server = JoinServer::start(&bus_options).await;
    let identity = TestIdentity::start_on(bus_options).await.unwrap();
    let channel = register_application(&identity).await;
    let device = TestDevice::new(MacVersion::V1_0_3, 0x63);

    let status = create_device(&identity, &channel, &device)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.message(),
        "network service did not answer; the device was not created"
    );
    let missing = DeviceServiceClient::new(channel)
        .get(authorized(
            &identity.admin_key,
            api::GetDeviceRequest {
                dev_eui: device.dev_eui.to_string(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert!(
        join_server
            .store
            .device(device.dev_eui)
            .await
            .unwrap()
            .is_none()
    );

    identity.stop().await.unwrap();
    join_server.stop().await;
}

#[tokio::test]
async fn create_without_an_application_service_is_withdrawn_from_the_network() {
    let env = TestEnv::start().await.unwrap();
    let identity = TestIdentity::start_on(env.bus_options.clone())
        .await
        .unwrap();
    let channel = register_application(&identity).await;
    let device = TestDevice::new(MacVersion::V1_0_3, 0x64);

    let status = create_device(&identity, &channel, &device)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.message(),
        "application service did not answer; the device was not created"
    );
    assert_eq!(env.registry.device(device.dev_eui).await.unwrap(), None);
    let listed = DeviceServiceClient::new(channel)
        .list(authorized(
            &identity.admin_key,
            api::ListDevicesRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.devices.is_empty());

    identity.stop().await.unwrap();
    env.stop().await.unwrap();
}
