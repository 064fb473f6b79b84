//! `GatewayService.GetStatus`: what this replica last heard of a gateway of the caller's
//! tenant on `gw.{eui}.status` and `gw.{eui}.stats` (see `live::gateways`).

use lorawan_codec::Eui64;
use tern_api::v1 as api;
use tern_proto::internal::v1 as pb;

use super::Api;
use crate::auth::Right;
use crate::{Error, Result};

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
        let state = self.live.gateways.get(gateway_eui.to_u64());
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
