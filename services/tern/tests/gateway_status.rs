//! Gateway status on a fresh identity replica: a gateway reports to the network service
//! before the identity service starts, and `GatewayService.GetStatus` on the new replica still
//! answers online with the gateway's statistics, asked of the network service on
//! `ns.gateway_status`. A gateway that never reported stays unknown.

use tern_api::v1 as api;
use tern_api::v1::gateway_service_client::GatewayServiceClient;
use tern_api::v1::tenant_service_client::TenantServiceClient;
use tern_identity::testsuite::{TestIdentity, authorized};
use tern_network::testsuite::{TestEnv, next};
use tern_proto::internal::v1 as pb;

const GATEWAY_EUI: u64 = 0x0016_c001_ff10_a301;
const SILENT_GATEWAY_EUI: u64 = 0x0016_c001_ff10_a302;

async fn create_gateway(
    identity: &TestIdentity,
    gateways: &mut GatewayServiceClient<tonic::transport::Channel>,
    gateway_eui: u64,
) {
    gateways
        .create(authorized(
            &identity.admin_key,
            api::CreateGatewayRequest {
                gateway: Some(api::Gateway {
                    gateway_eui: format!("{gateway_eui:016x}"),
                    tenant_id: "acme".to_owned(),
                    band: "eu868".to_owned(),
                    ..api::Gateway::default()
                }),
            },
        ))
        .await
        .unwrap();
}

async fn status(
    identity: &TestIdentity,
    gateways: &mut GatewayServiceClient<tonic::transport::Channel>,
    gateway_eui: u64,
) -> api::GatewayStatus {
    gateways
        .get_status(authorized(
            &identity.admin_key,
            api::GetGatewayStatusRequest {
                gateway_eui: format!("{gateway_eui:016x}"),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_replica_started_after_the_last_report_answers_from_the_network_service() {
    let env = TestEnv::start().await.unwrap();
    let mut online = env
        .bus
        .subscribe::<pb::GatewayStatus>(&env.bus.subjects().gw_status(GATEWAY_EUI))
        .await
        .unwrap();
    env.bus.flush().await.unwrap();
    let stats = pb::GatewayStats {
        gateway_eui: GATEWAY_EUI,
        received_at_unix_ns: 1_700_000_000_000_000_000,
        rx_received: 12,
        rx_ok: 10,
        tx_emitted: 3,
        ..pb::GatewayStats::default()
    };
    env.bus
        .publish(&env.bus.subjects().gw_stats(GATEWAY_EUI), &stats)
        .await
        .unwrap();
    // The network service announces the gateway online once Redis holds its report.
    let announced = next(&mut online).await.unwrap();
    assert!(announced.online);

    let identity = TestIdentity::start_on(env.bus_options.clone())
        .await
        .unwrap();
    let channel = identity.channel().await.unwrap();
    TenantServiceClient::new(channel.clone())
        .create(authorized(
            &identity.admin_key,
            api::CreateTenantRequest {
                tenant: Some(api::Tenant {
                    id: "acme".to_owned(),
                    ..api::Tenant::default()
                }),
            },
        ))
        .await
        .unwrap();
    let mut gateways = GatewayServiceClient::new(channel);
    create_gateway(&identity, &mut gateways, GATEWAY_EUI).await;
    create_gateway(&identity, &mut gateways, SILENT_GATEWAY_EUI).await;

    let status = status(&identity, &mut gateways, GATEWAY_EUI).await;
    assert!(status.known && status.online, "{status:?}");
    assert_eq!(
        status.last_seen_unix_ms,
        announced.last_seen_at_unix_ns / 1_000_000
    );
    assert!(status.last_seen_unix_ms > 0);
    let stats = status.stats.expect("the stored statistics");
    assert_eq!(
        (stats.rx_received, stats.rx_ok, stats.tx_emitted),
        (12, 10, 3)
    );

    let silent = self::status(&identity, &mut gateways, SILENT_GATEWAY_EUI).await;
    assert!(!silent.known && !silent.online, "{silent:?}");

    identity.stop().await.unwrap();
    env.stop().await.unwrap();
}
