//! The live side of the public API against the real application service and bus: events
//! streamed from the application's JetStream stream (live and replayed), downlinks forwarded
//! to the application's downlink API, and gateway status learnt from `gw.*` messages.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lorawan_codec::Aes128Key;
use tern_api::v1 as api;
use tern_api::v1::api_key_service_client::ApiKeyServiceClient;
use tern_api::v1::application_service_client::ApplicationServiceClient;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;
use tern_api::v1::device_service_client::DeviceServiceClient;
use tern_api::v1::downlink_service_client::DownlinkServiceClient;
use tern_api::v1::event_service_client::EventServiceClient;
use tern_api::v1::gateway_service_client::GatewayServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_application::Formatter;
use tern_application::testsuite::{FakeNetwork, TestEnv};
use tern_identity::testsuite::{TEST_TIMEOUT, TestIdentity, authorized, sample_profile};
use tern_proto::internal::v1 as pb;
use tonic::Code;
use tonic::transport::Channel;

const DEV_EUI: u64 = 0x0004_a30b_001c_0530;
const DEV_EUI_TEXT: &str = "0004a30b001c0530";
const GATEWAY_EUI: u64 = 0x0016_c001_ff10_a235;
const GATEWAY_EUI_TEXT: &str = "0016c001ff10a235";

/// The application service and the identity service on one subject root, the identity
/// reading the application's event stream and forwarding to its downlink API.
struct Pair {
    application: TestEnv,
    identity: TestIdentity,
    channel: Channel,
}

impl Pair {
    async fn start() -> Pair {
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
        let channel = identity.channel().await.unwrap();
        Pair {
            application,
            identity,
            channel,
        }
    }

    /// Creates tenant `id` with application `{id}-app`, a device (`dev_eui`) and a gateway
    /// (`gateway_eui`), and returns a key of the tenant holding `rights`.
    async fn tenant(&self, id: &str, dev_eui: &str, gateway_eui: &str, rights: &[&str]) -> String {
        let admin = self.identity.admin_key.as_str();
        let channel = self.channel.clone();
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
                    device: Some(api::Device {
                        dev_eui: dev_eui.to_owned(),
                        application_id: format!("{id}-app"),
                        join_eui: "0000000000000000".to_owned(),
                        device_profile_id: format!("{id}-profile"),
                        ..api::Device::default()
                    }),
                },
            ))
            .await
            .unwrap();
        GatewayServiceClient::new(channel.clone())
            .create(authorized(
                admin,
                api::CreateGatewayRequest {
                    gateway: Some(api::Gateway {
                        gateway_eui: gateway_eui.to_owned(),
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

    /// Has the application service publish a `join` event of the device with `dev_addr`.
    async fn join(&self, dev_addr: u32) {
        let app_s_key: Aes128Key = "5a5b5c5d5e5f505152535455565758a9".parse().unwrap();
        self.application
            .publish_session(DEV_EUI, dev_addr, app_s_key, 0)
            .await
            .unwrap();
    }

    async fn stop(self) {
        drop(self.channel);
        self.identity.stop().await.unwrap();
        self.application.stop().await.unwrap();
    }
}

fn now_unix_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// Waits for the next event of a stream and returns it with its JSON parsed.
async fn next_event(
    events: &mut tonic::Streaming<api::ApplicationEvent>,
) -> (api::ApplicationEvent, serde_json::Value) {
    let event = tokio::time::timeout(TEST_TIMEOUT, events.message())
        .await
        .expect("an event in time")
        .unwrap()
        .expect("the stream goes on");
    let json = serde_json::from_str(&event.json).unwrap();
    (event, json)
}

#[tokio::test]
async fn streams_live_events_and_replays_past_ones_since_a_time() {
    let pair = Pair::start().await;
    let key = pair
        .tenant("acme", DEV_EUI_TEXT, GATEWAY_EUI_TEXT, &["events:read"])
        .await;
    pair.application
        .register_device(DEV_EUI, "acme-app", "sensor", Formatter::None)
        .await
        .unwrap();
    let before = now_unix_ms() - 1_000;
    pair.join(0x2600_0001).await;
    // The join is stored once the application service handled the session.
    pair.application
        .wait_counter("sessions", "result=\"ok\"", 1)
        .await
        .unwrap();

    let mut service = EventServiceClient::new(pair.channel.clone());
    let mut replay = service
        .stream_events(authorized(
            &key,
            api::StreamEventsRequest {
                application_id: "acme-app".to_owned(),
                dev_eui: String::new(),
                since_unix_ms: before,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let (event, json) = next_event(&mut replay).await;
    assert_eq!(event.event, "join");
    assert_eq!(event.dev_eui, DEV_EUI_TEXT);
    assert!(
        event
            .subject
            .ends_with(".app.acme-app.0004a30b001c0530.join")
    );
    assert_eq!(json["device"]["dev_addr"], "26000001");
    assert!(event.time_unix_ms >= before, "{event:?}");

    let mut live = service
        .stream_events(authorized(
            &key,
            api::StreamEventsRequest {
                application_id: "acme-app".to_owned(),
                dev_eui: DEV_EUI_TEXT.to_owned(),
                since_unix_ms: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    pair.join(0x2600_0002).await;
    // The live stream starts after the first join, so its first event is the second one.
    let (event, json) = next_event(&mut live).await;
    assert_eq!(event.event, "join");
    assert_eq!(json["device"]["dev_addr"], "26000002");
    let (_, json) = next_event(&mut replay).await;
    assert_eq!(json["device"]["dev_addr"], "26000002");

    // Open streams do not hold the server's shutdown: they end, and the service stops.
    let Pair {
        application,
        identity,
        channel,
    } = pair;
    identity.stop().await.unwrap();
    let ended = tokio::time::timeout(TEST_TIMEOUT, live.message())
        .await
        .expect("the stream ends with the server");
    assert!(!matches!(ended, Ok(Some(_))), "{ended:?}");
    drop(replay);
    drop(channel);
    application.stop().await.unwrap();
}

#[tokio::test]
async fn refuses_events_to_other_tenants_and_keys_without_the_right() {
    let pair = Pair::start().await;
    pair.tenant("acme", DEV_EUI_TEXT, GATEWAY_EUI_TEXT, &["events:read"])
        .await;
    let other = pair
        .tenant(
            "rival",
            "0004a30b001c0531",
            "0016c001ff10a236",
            &["events:read"],
        )
        .await;
    let unprivileged = pair
        .tenant(
            "third",
            "0004a30b001c0532",
            "0016c001ff10a237",
            &["devices:read"],
        )
        .await;
    let mut service = EventServiceClient::new(pair.channel.clone());
    let request = || api::StreamEventsRequest {
        application_id: "acme-app".to_owned(),
        ..api::StreamEventsRequest::default()
    };
    let status = service
        .stream_events(authorized(&other, request()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = service
        .stream_events(authorized(&unprivileged, request()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let status = service
        .stream_events(authorized(
            &other,
            api::StreamEventsRequest {
                application_id: "rival-app".to_owned(),
                since_unix_ms: -5,
                ..api::StreamEventsRequest::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    pair.stop().await;
}

#[tokio::test]
async fn downlink_push_through_identity_reaches_the_application_service() {
    let pair = Pair::start().await;
    let key = pair
        .tenant(
            "acme",
            DEV_EUI_TEXT,
            GATEWAY_EUI_TEXT,
            &["downlinks:write", "devices:read"],
        )
        .await;
    let reader = pair
        .tenant(
            "rival",
            "0004a30b001c0531",
            "0016c001ff10a236",
            &["devices:read"],
        )
        .await;
    pair.application
        .register_device(DEV_EUI, "acme-app", "actuator", Formatter::None)
        .await
        .unwrap();
    pair.join(0x2600_0a0b).await;
    pair.application
        .wait_counter("sessions", "result=\"ok\"", 1)
        .await
        .unwrap();
    let mut network = FakeNetwork::accepting(&pair.application.bus, 0x2600_0a0b)
        .await
        .unwrap();

    let mut service = DownlinkServiceClient::new(pair.channel.clone());
    let push = |key: &str| {
        authorized(
            key,
            api::PushDownlinkRequest {
                application_id: "acme-app".to_owned(),
                dev_eui: DEV_EUI_TEXT.to_owned(),
                downlink: Some(api::Downlink {
                    f_port: 5,
                    frm_payload: vec![1, 2, 3],
                    ..api::Downlink::default()
                }),
            },
        )
    };
    let answer = service.push(push(&key)).await.unwrap().into_inner();
    assert!(!answer.id.is_empty());
    let request = network.next_request().await.unwrap();
    assert_eq!(request.dev_eui, DEV_EUI);
    assert_eq!(request.items.len(), 1);
    assert_eq!(request.items[0].f_port, 5);

    let status = service.push(push(&reader)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let status = service
        .list(authorized(
            &reader,
            api::ListDownlinksRequest {
                application_id: "acme-app".to_owned(),
                dev_eui: DEV_EUI_TEXT.to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    // A device named under an application it does not belong to is not found either.
    let status = service
        .list(authorized(
            &reader,
            api::ListDownlinksRequest {
                application_id: "rival-app".to_owned(),
                dev_eui: DEV_EUI_TEXT.to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    drop(network);
    pair.stop().await;
}

#[tokio::test]
async fn gateway_status_follows_the_network_services_reports() {
    let pair = Pair::start().await;
    let key = pair
        .tenant("acme", DEV_EUI_TEXT, GATEWAY_EUI_TEXT, &["gateways:read"])
        .await;
    let other = pair
        .tenant(
            "rival",
            "0004a30b001c0531",
            "0016c001ff10a236",
            &["gateways:read"],
        )
        .await;
    let mut service = GatewayServiceClient::new(pair.channel.clone());
    let get = |key: &str| {
        authorized(
            key,
            api::GetGatewayStatusRequest {
                gateway_eui: GATEWAY_EUI_TEXT.to_owned(),
            },
        )
    };
    let status = service.get_status(get(&key)).await.unwrap().into_inner();
    assert!(!status.known && !status.online, "{status:?}");

    let bus = &pair.identity.bus;
    let stats = pb::GatewayStats {
        gateway_eui: GATEWAY_EUI,
        received_at_unix_ns: 1_700_000_000_000_000_000,
        rx_received: 12,
        rx_ok: 10,
        ..pb::GatewayStats::default()
    };
    bus.publish(&bus.subjects().gw_stats(GATEWAY_EUI), &stats)
        .await
        .unwrap();
    bus.flush().await.unwrap();
    let status = wait_status(&mut service, &key, |status| status.known).await;
    assert!(status.online);
    assert_eq!(status.last_seen_unix_ms, 1_700_000_000_000);
    assert_eq!(status.stats.unwrap().rx_ok, 10);

    let offline = pb::GatewayStatus {
        gateway_eui: GATEWAY_EUI,
        online: false,
        last_seen_at_unix_ns: 1_700_000_000_000_000_000,
        changed_at_unix_ns: 1_700_000_060_000_000_000,
        sequence: 2,
        ..pb::GatewayStatus::default()
    };
    bus.publish(&bus.subjects().gw_status(GATEWAY_EUI), &offline)
        .await
        .unwrap();
    bus.flush().await.unwrap();
    let status = wait_status(&mut service, &key, |status| !status.online).await;
    assert!(status.known);

    let refused = service.get_status(get(&other)).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
    pair.stop().await;
}

/// Asks for the gateway's status until `done` holds.
async fn wait_status(
    service: &mut GatewayServiceClient<Channel>,
    key: &str,
    done: impl Fn(&api::GatewayStatus) -> bool,
) -> api::GatewayStatus {
    tokio::time::timeout(TEST_TIMEOUT, async {
        loop {
            let status = service
                .get_status(authorized(
                    key,
                    api::GetGatewayStatusRequest {
                        gateway_eui: GATEWAY_EUI_TEXT.to_owned(),
                    },
                ))
                .await
                .unwrap()
                .into_inner();
            if done(&status) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the status in time")
}
