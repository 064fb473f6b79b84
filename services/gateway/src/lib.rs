//! Tern gateway service: the horizontally scaled Semtech UDP edge.
//!
//! Gateways running the Semtech packet forwarder talk to it over UDP
//! (Lora-net/packet_forwarder `PROTOCOL.TXT`):
//!
//! - **Uplink.** PUSH_DATA is acknowledged at once, from its header alone; each CRC-valid
//!   `rxpk` becomes an `UplinkFrame` on `up` (inside an `uplink` span, so the bus carries its
//!   trace context) and each `stat` a `GatewayStats` on `gw.{eui}.stats`.
//! - **Downlink.** PULL_DATA is acknowledged and gives the gateway's address. The replica that
//!   receives it subscribes to `gw.{eui}.down` in the `gateway` queue group and then claims the
//!   gateway on `gw.{eui}.claim`, so a replica that held it before lets go
//!   (docs/adr/001-gateway-claims.md). Each `DownlinkFrame` item becomes a PULL_RESP; a
//!   rejected item falls back to the next; the outcome of every item goes to `gw.{eui}.txack`
//!   as one `DownlinkTxAck`, TIMEOUT when no TX_ACK comes within `tx_ack_timeout`.
//! - **Robust edge.** Malformed datagrams, wrong versions, unknown gateways (with an
//!   allow-list) and floods (a token bucket per gateway) are counted in `tern_gateway_*`
//!   metrics and logged at most once per interval or once per gateway; nothing panics.
//!
//! One task owns the socket and every gateway's state, so nothing is locked; route tasks only
//! pump downlinks from NATS into it. The crate opens no admin server and reads no environment:
//! [`GatewayDeps`] hands in the bus, metrics registry and readiness flags.

mod claim;
mod convert;
mod downlink;
mod edge;
mod error;
mod log_limit;
mod metrics;
mod rate_limit;
mod route;
mod table;

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use tern_bus::Bus;
use tern_config::GatewayConfig;
use tern_telemetry::{Metrics, Readiness, Shutdown};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

pub use error::{Error, Result};

use crate::claim::{GatewayClaim, Ids};
use crate::edge::{Edge, EdgeInputs, EdgeTimings};
use crate::metrics::GatewayMetrics;
use crate::rate_limit::RateLimit;
use crate::table::GatewayTable;

/// Name of the gateway edge in the process's [`Readiness`] flags.
pub const READINESS_COMPONENT: &str = "gateway";

/// Downlinks route tasks may hand over before they wait for the edge task.
const DOWNLINK_QUEUE_LEN: usize = 1_024;

/// What the gateway edge needs from the process.
#[derive(Debug, Clone)]
pub struct GatewayDeps {
    /// The NATS bus; the edge publishes uplinks, stats and TX_ACKs and subscribes to
    /// downlinks and claims on it.
    pub bus: Bus,
    /// Registry the `tern_gateway_*` metrics are registered in.
    pub metrics: Metrics,
    /// Readiness flags; the edge owns the `gateway` component.
    pub readiness: Readiness,
}

/// A bound, not yet serving gateway edge.
pub struct Gateway {
    edge: Edge,
    inputs: EdgeInputs,
    local_addr: SocketAddr,
    readiness: Readiness,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("local_addr", &self.local_addr)
            .field("replica_id", &self.edge.replica_id())
            .finish()
    }
}

/// Binds the UDP socket and subscribes to gateway claims, so callers and tests learn the
/// address before serving. Marks the `gateway` readiness component not ready.
///
/// # Errors
///
/// [`Error::InvalidAllowedGateway`] for a malformed allow-list entry, [`Error::Bind`] when the
/// socket cannot be bound, [`Error::SubscribeClaims`] when NATS refuses the subscription.
pub async fn bind(config: &GatewayConfig, deps: GatewayDeps) -> anyhow::Result<Gateway> {
    deps.readiness.set_ready(READINESS_COMPONENT, false);
    let allowed = config
        .allowed_gateways
        .iter()
        .map(|eui| parse_eui(eui))
        .collect::<Result<HashSet<u64>>>()?;
    let socket =
        bind_socket(config.listen, config.receive_buffer_bytes).map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
    let local_addr = socket.local_addr().map_err(Error::LocalAddr)?;
    let claims = deps
        .bus
        .subscribe::<GatewayClaim>(&deps.bus.subjects().gw_claim_all())
        .await
        .map_err(Error::SubscribeClaims)?;
    let metrics = GatewayMetrics::register(&deps.metrics);
    let max_gateways = usize::try_from(config.max_gateways).unwrap_or(usize::MAX);
    let rate_limit = RateLimit::new(config.uplinks_per_second, config.uplink_burst);
    let table = GatewayTable::new(allowed, max_gateways, rate_limit);
    let timings = EdgeTimings {
        pull_data_timeout: config.pull_data_timeout,
        tx_ack_timeout: config.tx_ack_timeout,
    };
    let (downlinks_tx, downlinks_rx) = mpsc::channel(DOWNLINK_QUEUE_LEN);
    let edge = Edge::new(
        Arc::new(socket),
        deps.bus,
        timings,
        metrics,
        table,
        Ids::new(),
        downlinks_tx,
    );
    Ok(Gateway {
        edge,
        inputs: EdgeInputs {
            claims,
            downlinks_rx,
        },
        local_addr,
        readiness: deps.readiness,
    })
}

impl Gateway {
    /// Returns the address the UDP socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves gateways until `shutdown`, then stops reading new uplinks, drains the downlink
    /// subscriptions, sends the downlinks they still held, waits for their TX_ACKs (at most
    /// `tx_ack_timeout` and a short grace) and flushes pending publishes.
    ///
    /// The `gateway` readiness component is ready while serving.
    pub async fn serve(self, shutdown: Shutdown) -> anyhow::Result<()> {
        self.edge.serve(self.inputs, shutdown, self.readiness).await;
        Ok(())
    }
}

/// Binds and serves the gateway edge until `shutdown` (see [`bind`] and [`Gateway::serve`]).
///
/// # Errors
///
/// The errors of [`bind`].
pub async fn run(
    config: &GatewayConfig,
    deps: GatewayDeps,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    bind(config, deps).await?.serve(shutdown).await
}

/// Binds the UDP socket with the requested receive buffer. The kernel may grant less (Linux caps
/// it at `net.core.rmem_max`); what it granted is logged.
fn bind_socket(addr: SocketAddr, receive_buffer_bytes: u32) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};

    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if receive_buffer_bytes > 0 {
        let requested = usize::try_from(receive_buffer_bytes).unwrap_or(usize::MAX);
        match socket.set_recv_buffer_size(requested) {
            Ok(()) => tracing::info!(
                requested,
                granted = socket.recv_buffer_size().unwrap_or(0),
                "gateway udp receive buffer"
            ),
            Err(error) => {
                tracing::warn!(requested, error = %error, "gateway udp receive buffer not set")
            }
        }
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Parses an EUI of 16 hex digits (either case).
fn parse_eui(text: &str) -> Result<u64> {
    // `from_str_radix` would accept a leading `+`.
    if text.len() != 16 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(Error::InvalidAllowedGateway(text.to_owned()));
    }
    u64::from_str_radix(text, 16).map_err(|_| Error::InvalidAllowedGateway(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_allow_list_euis() {
        let cases = [
            ("aa555a0000000101", Some(0xaa55_5a00_0000_0101)),
            ("AA555A0000000101", Some(0xaa55_5a00_0000_0101)),
            ("+a555a0000000101", None),
            ("aa555a000000010", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_eui(text).ok(), expected, "{text:?}");
        }
    }
}
