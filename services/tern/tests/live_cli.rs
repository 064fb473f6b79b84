//! Runs `tern events follow`, `tern downlink push|list` and `tern gateway status` as a process
//! against the identity service joined with the application service on one subject root.
//!
//! Needs PostgreSQL, Redis and NATS with JetStream on loopback.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use lorawan_codec::Aes128Key;
use serde_json::Value;
use tern_api::v1 as api;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::gateway_service_client::GatewayServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_application::Formatter;
use tern_application::testsuite::{FakeNetwork, TestEnv};
use tern_identity::testsuite::{TEST_TIMEOUT, TestIdentity, authorized, sample_profile};
use tern_proto::internal::v1 as pb;
use tokio::io::{AsyncBufReadExt as _, BufReader};

const DEV_EUI: u64 = 0x0004_a30b_001c_0530;
const DEV_EUI_TEXT: &str = "0004a30b001c0530";
const GATEWAY_EUI: u64 = 0x0016_c001_ff10_a235;
const GATEWAY_EUI_TEXT: &str = "0016c001ff10a235";

/// A private config directory, so the test never touches the user's saved login.
fn config_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("tern-live-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(config: &Path, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tern"));
    command
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .kill_on_drop(true);
    command
}

async fn ok(config: &Path, args: &[&str]) -> String {
    let output = command(config, args).output().await.expect("run tern");
    assert!(
        output.status.success(),
        "tern {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Registers tenant `acme` with application `acme-app`, a device and a gateway.
async fn registered(identity: &TestIdentity) {
    let channel = identity.channel().await.unwrap();
    let admin = identity.admin_key.as_str();
    TenantServiceClient::new(channel.clone())
        .create(authorized(
            admin,
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
            admin,
            api::CreateApplicationRequest {
                application: Some(api::Application {
                    id: "acme-app".to_owned(),
                    tenant_id: "acme".to_owned(),
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
                device_profile: Some(sample_profile("acme-profile", "acme")),
            },
        ))
        .await
        .unwrap();
    DeviceServiceClient::new(channel.clone())
        .create(authorized(
            admin,
            api::CreateDeviceRequest {
                device: Some(api::Device {
                    dev_eui: DEV_EUI_TEXT.to_owned(),
                    application_id: "acme-app".to_owned(),
                    join_eui: "0000000000000000".to_owned(),
                    device_profile_id: "acme-profile".to_owned(),
                    ..api::Device::default()
                }),
            },
        ))
        .await
        .unwrap();
    GatewayServiceClient::new(channel)
        .create(authorized(
            admin,
            api::CreateGatewayRequest {
                gateway: Some(api::Gateway {
                    gateway_eui: GATEWAY_EUI_TEXT.to_owned(),
                    tenant_id: "acme".to_owned(),
                    band: "eu868".to_owned(),
                    ..api::Gateway::default()
                }),
            },
        ))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_downlinks_and_gateway_status_through_the_cli() {
    let bus_options = tern_bus::testsuite::test_options();
    let application = TestEnv::start_on(
        bus_options.clone(),
        tern_application::testsuite::default_config(),
    )
    .await
    .unwrap();
    let events_stream = application.config.events_stream.clone();
    let grpc_url = format!("http://{}", application.grpc_address);
    let identity = TestIdentity::start_beside_application(bus_options, move |config| {
        config.events_stream = events_stream;
        config.application_grpc_url = Some(grpc_url);
    })
    .await
    .unwrap();
    registered(&identity).await;
    let config = config_dir();
    let c = config.as_path();
    ok(
        c,
        &[
            "login",
            "--server",
            &identity.url(),
            "--api-key",
            &identity.admin_key,
        ],
    )
    .await;

    // A join event, stored before `follow` starts, is replayed with --since.
    application
        .register_device(DEV_EUI, "acme-app", "actuator", Formatter::None)
        .await
        .unwrap();
    let app_s_key: Aes128Key = "5a5b5c5d5e5f505152535455565758a9".parse().unwrap();
    application
        .publish_session(DEV_EUI, 0x2600_0a0b, app_s_key, 0)
        .await
        .unwrap();
    application
        .wait_counter("sessions", "result=\"ok\"", 1)
        .await
        .unwrap();
    let mut follow = command(
        c,
        &[
            "events",
            "follow",
            "--app",
            "acme-app",
            "--device",
            DEV_EUI_TEXT,
            "--since",
            "2020-01-01T00:00:00Z",
            "--json",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(TEST_TIMEOUT, lines.next_line())
        .await
        .expect("an event line in time")
        .unwrap()
        .expect("follow printed a line");
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["device"]["dev_eui"], DEV_EUI_TEXT, "{line}");
    assert!(event.get("join").is_some(), "{line}");
    // Still following: it prints until stopped.
    assert!(follow.try_wait().unwrap().is_none());
    follow.kill().await.unwrap();

    let mut network = FakeNetwork::accepting(&application.bus, 0x2600_0a0b)
        .await
        .unwrap();
    let pushed = ok(
        c,
        &[
            "downlink",
            "push",
            "--app",
            "acme-app",
            "--dev-eui",
            DEV_EUI_TEXT,
            "--f-port",
            "7",
            "--hex",
            "cafe",
            "--json",
        ],
    )
    .await;
    let pushed: Value = serde_json::from_str(&pushed).unwrap();
    assert!(
        pushed["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{pushed}"
    );
    let request = network.next_request().await.unwrap();
    assert_eq!(request.dev_eui, DEV_EUI);
    assert_eq!(request.items[0].f_port, 7);

    let listed = ok(
        c,
        &[
            "downlink",
            "list",
            "--app",
            "acme-app",
            "--dev-eui",
            DEV_EUI_TEXT,
            "--json",
        ],
    )
    .await;
    // The queue lives in the network service, here the stand-in, which answers a list with
    // an empty queue; what matters is that the list went all the way there.
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed, Value::Array(Vec::new()));
    let request = network.next_request().await.unwrap();
    assert_eq!(request.operation(), pb::QueueOperation::List);

    let stats = pb::GatewayStats {
        gateway_eui: GATEWAY_EUI,
        received_at_unix_ns: 1_700_000_000_000_000_000,
        rx_ok: 3,
        ..pb::GatewayStats::default()
    };
    let bus = &identity.bus;
    bus.publish(&bus.subjects().gw_stats(GATEWAY_EUI), &stats)
        .await
        .unwrap();
    bus.flush().await.unwrap();
    let status = tokio::time::timeout(TEST_TIMEOUT, async {
        loop {
            let status = ok(c, &["gateway", "status", GATEWAY_EUI_TEXT, "--json"]).await;
            let status: Value = serde_json::from_str(&status).unwrap();
            if status["known"] == true {
                return status;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the gateway's status in time");
    assert_eq!(status["online"], true, "{status}");
    assert_eq!(status["last_seen"], "2023-11-14T22:13:20.000Z", "{status}");
    assert_eq!(status["stats"]["rx_ok"], 3, "{status}");

    drop(network);
    identity.stop().await.unwrap();
    application.stop().await.unwrap();
    std::fs::remove_dir_all(config).unwrap();
}
