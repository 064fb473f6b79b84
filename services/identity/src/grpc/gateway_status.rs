//! `GatewayService.GetStatus`: what this replica last heard of a gateway of the caller's
//! tenant on `gw.{eui}.status` and `gw.{eui}.stats` (see `live::gateways`). When it has heard
//! nothing yet (it started after the gateway's last report), it asks the network service on
//! `ns.gateway_status` and keeps the answer; no answer in time reads as unknown.

use std::time::Duration;

use lorawan_codec::Eui64;
use tern_api::v1 as api;
use tern_proto::internal::v1 as pb;

use super::Api;
use crate::auth::Right;
use crate::{Error, Result};

/// How long `GetStatus` waits for the network service on a cache miss.
const ASK_NETWORK_TIMEOUT: Duration = Duration::from_secs(2);

fn statistics(stats: pb::GatewayStats) -> api::GatewayStatistics {
    api::GatewayStatistics {
        rx_received: stats.rx_received,
        rx_ok: stats.rx_ok,
        rx_forwarded: stats.rx_forwarded,
        tx_received: stats.tx_received,
        tx_emitted: stats.tx_emitted,
        ack_ratio_percent: stats.ack_ratio_percent,
        metadata: stats.metadata,
    }
}

impl Api {
    /// Answers `GetStatus` for a gateway the caller may see.
    pub(crate) async fn gateway_status(
        &self,
        request: tonic::Request<api::GetGatewayStatusRequest>,
    ) -> Result<api::GatewayStatus> {
        let caller = self.caller(&request).await?;
        caller.require(Right::GatewaysRead)?;
        let gateway = self
            .visible_gateway(&caller, &request.get_ref().gateway_eui)
            .await?;
        let gateway_eui: Eui64 = gateway
            .gateway_eui
            .parse()
            .map_err(|_| Error::invalid("gateway_eui", "not an EUI-64"))?;
        let state = match self.live.gateways.get(gateway_eui.to_u64()) {
            Some(state) => Some(state),
            None => self.ask_network_status(gateway_eui.to_u64()).await,
        };
        Ok(match state {
            Some(state) => api::GatewayStatus {
                gateway_eui: gateway.gateway_eui,
                known: true,
                online: state.online,
                last_seen_unix_ms: state.last_seen_at_unix_ns / 1_000_000,
                stats: state.stats.map(statistics),
            },
            None => api::GatewayStatus {
                gateway_eui: gateway.gateway_eui,
                ..api::GatewayStatus::default()
            },
        })
    }
}

impl Api {
    /// Asks the network service for a gateway's status and keeps a known answer in the
    /// cache; `None` when the network service knows nothing or does not answer.
    async fn ask_network_status(&self, gateway_eui: u64) -> Option<crate::live::GatewayState> {
        let bus = &self.live.bus;
        let request = pb::GatewayStatusRequest { gateway_eui };
        let answer: pb::GatewayStatusAnswer = match bus
            .request(
                &bus.subjects().ns_gateway_status(),
                &request,
                ASK_NETWORK_TIMEOUT,
            )
            .await
        {
            Ok(answer) => answer,
            Err(error) => {
                tracing::debug!(error = %error, "gateway status not answered by the network service");
                return None;
            }
        };
        let status = answer.status.filter(|_| answer.known)?;
        self.live.gateways.apply_status(status);
        self.live.gateways.get(gateway_eui)
    }
}
