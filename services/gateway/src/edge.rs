//! The edge's one task: it reads the UDP socket, acknowledges at once, forwards uplinks and
//! stats, sends downlinks and matches their TX_ACKs, and keeps the gateway table.
//!
//! Everything about gateways lives in this task, so nothing is locked; route tasks only pump
//! downlinks from NATS into it. Submodules hold the handlers: [`uplink`] (PUSH_DATA),
//! [`downlink`] (downlinks, TX_ACK, timeouts) and [`routes`] (PULL_DATA, claims, sweeping).

mod downlink;
mod routes;
mod uplink;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use semtech_udp::{Datagram, GatewayEui, Header, Identifier};
use tern_bus::{Bus, Delivery, Subject, Subscription};
use tern_telemetry::{Readiness, Shutdown};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::claim::{GatewayClaim, Ids};
use crate::downlink::InFlight;
use crate::log_limit::LogLimiter;
use crate::metrics::GatewayMetrics;
use crate::route::{RouteDownlink, RouteExit};
use crate::table::{GatewayTable, Refusal};

/// Receive buffer: larger than any UDP datagram, so nothing is truncated.
const RECV_BUFFER_LEN: usize = 65_536;

/// Datagrams handled back to back before the other inputs get a turn.
const RECV_BATCH: usize = 32;

/// One log line per this interval for each kind of bad input.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Gateways refused by the allow-list that are remembered for log-once; beyond this a refused
/// gateway is still dropped and counted, just not logged by name.
const MAX_REFUSED_LOGGED: usize = 1_024;

/// Extra time shutdown grants route tasks and TX_ACKs beyond `tx_ack_timeout`.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Timings the edge runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeTimings {
    /// Drop a route after this long without PULL_DATA.
    pub(crate) pull_data_timeout: Duration,
    /// Report a downlink item as TIMEOUT after this long without TX_ACK.
    pub(crate) tx_ack_timeout: Duration,
}

impl EdgeTimings {
    /// How often the table is swept: a tenth of the PULL_DATA timeout, within 100 ms to 5 s.
    fn sweep_interval(&self) -> Duration {
        (self.pull_data_timeout / 10).clamp(Duration::from_millis(100), Duration::from_secs(5))
    }
}

/// Rate-limited log lines, one limiter per kind of bad input.
#[derive(Debug)]
struct Logs {
    datagram: LogLimiter,
    object: LogLimiter,
    unexpected: LogLimiter,
    table_full: LogLimiter,
    io: LogLimiter,
    bus: LogLimiter,
    refused: HashSet<u64>,
}

impl Logs {
    fn new() -> Logs {
        let limiter = || LogLimiter::new(LOG_INTERVAL);
        Logs {
            datagram: limiter(),
            object: limiter(),
            unexpected: limiter(),
            table_full: limiter(),
            io: limiter(),
            bus: limiter(),
            refused: HashSet::new(),
        }
    }
}

/// The state of the edge task.
pub(crate) struct Edge {
    socket: Arc<UdpSocket>,
    bus: Bus,
    timings: EdgeTimings,
    metrics: GatewayMetrics,
    table: GatewayTable,
    replica_id: String,
    /// Parent of every route's release signal.
    routes_root: Shutdown,
    downlinks_tx: mpsc::Sender<RouteDownlink>,
    in_flight: InFlight,
    routes: JoinSet<RouteExit>,
    ids: Ids,
    up_subject: Subject,
    next_generation: u64,
    logs: Logs,
}

/// The receiving ends the edge task polls besides the socket.
pub(crate) struct EdgeInputs {
    pub(crate) claims: Subscription<GatewayClaim>,
    pub(crate) downlinks_rx: mpsc::Receiver<RouteDownlink>,
}

impl Edge {
    /// Creates the edge state.
    pub(crate) fn new(
        socket: Arc<UdpSocket>,
        bus: Bus,
        timings: EdgeTimings,
        metrics: GatewayMetrics,
        table: GatewayTable,
        mut ids: Ids,
        downlinks_tx: mpsc::Sender<RouteDownlink>,
    ) -> Edge {
        let replica_id = format!("{:016x}", ids.next_u64());
        let up_subject = bus.subjects().up();
        Edge {
            socket,
            bus,
            timings,
            metrics,
            table,
            replica_id,
            routes_root: Shutdown::new(),
            downlinks_tx,
            in_flight: InFlight::default(),
            routes: JoinSet::new(),
            ids,
            up_subject,
            next_generation: 0,
            logs: Logs::new(),
        }
    }

    /// Serves until `shutdown`, then drains: routes release their subscriptions, downlinks
    /// already received are sent and their TX_ACKs awaited, pending publishes are flushed.
    pub(crate) async fn serve(
        mut self,
        mut inputs: EdgeInputs,
        shutdown: Shutdown,
        readiness: Readiness,
    ) {
        let mut buf = vec![0u8; RECV_BUFFER_LEN];
        let mut sweep = tokio::time::interval(self.timings.sweep_interval());
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
        let stop = shutdown.wait();
        tokio::pin!(stop);
        let mut claims_open = true;
        readiness.set_ready(crate::READINESS_COMPONENT, true);
        info!(listen = %self.local_addr(), replica_id = %self.replica_id, "gateway edge ready");
        loop {
            self.arm(timer.as_mut());
            tokio::select! {
                biased;
                () = &mut stop => break,
                Some(downlink) = inputs.downlinks_rx.recv() => self.on_downlink(downlink).await,
                Some(exit) = self.routes.join_next(), if !self.routes.is_empty() => {
                    self.on_route_exit(exit);
                }
                claim = inputs.claims.next(), if claims_open => match claim {
                    Some(delivery) => self.on_claim(&delivery),
                    None => {
                        claims_open = false;
                        warn!("gateway claim subscription ended; routes now expire by PULL_DATA timeout only");
                    }
                },
                () = &mut timer, if self.in_flight.next_deadline().is_some() => {
                    self.expire(Instant::now()).await;
                }
                _ = sweep.tick() => self.sweep(Instant::now()),
                res = self.socket.recv_from(&mut buf) => match res {
                    Ok((len, addr)) => {
                        let datagram = buf.get(..len).unwrap_or_default();
                        self.on_datagram(datagram, addr).await;
                        self.on_queued_datagrams(&mut buf).await;
                    }
                    Err(error) => self.recv_failed(&error).await,
                },
            }
        }
        readiness.set_ready(crate::READINESS_COMPONENT, false);
        info!("gateway edge draining");
        self.drain(inputs, &mut buf, timer).await;
        info!("gateway edge stopped");
    }

    /// Handles up to `RECV_BATCH` more datagrams already queued on the socket, without a trip
    /// through the `select!` (which would poll every other input first).
    async fn on_queued_datagrams(&mut self, buf: &mut [u8]) {
        for _ in 0..RECV_BATCH {
            match self.socket.try_recv_from(buf) {
                Ok((len, addr)) => {
                    let datagram = buf.get(..len).unwrap_or_default();
                    self.on_datagram(datagram, addr).await;
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(error) => {
                    self.recv_failed(&error).await;
                    return;
                }
            }
        }
    }

    /// Returns this replica's id, as published in its claims.
    pub(crate) fn replica_id(&self) -> &str {
        &self.replica_id
    }

    fn local_addr(&self) -> String {
        self.socket
            .local_addr()
            .map_or_else(|_| "?".to_owned(), |addr| addr.to_string())
    }

    /// Points the timer at the earliest TX_ACK deadline.
    fn arm(&self, timer: std::pin::Pin<&mut tokio::time::Sleep>) {
        if let Some(deadline) = self.in_flight.next_deadline()
            && timer.deadline() != deadline.into()
        {
            timer.reset(deadline.into());
        }
    }

    /// Shutdown after the UDP loop: only TX_ACKs are read from now on.
    async fn drain(
        &mut self,
        mut inputs: EdgeInputs,
        buf: &mut [u8],
        mut timer: std::pin::Pin<&mut tokio::time::Sleep>,
    ) {
        self.routes_root.trigger();
        if let Err(error) = inputs.claims.unsubscribe().await {
            debug!(error = %error, "claim subscription already closed");
        }
        let give_up = tokio::time::sleep(self.timings.tx_ack_timeout + DRAIN_GRACE);
        tokio::pin!(give_up);
        loop {
            if self.routes.is_empty() {
                // Route tasks hand over their last downlinks before they end.
                while let Ok(downlink) = inputs.downlinks_rx.try_recv() {
                    self.on_downlink(downlink).await;
                }
                if self.in_flight.is_empty() {
                    break;
                }
            }
            self.arm(timer.as_mut());
            tokio::select! {
                biased;
                () = &mut give_up => {
                    warn!(routes = self.routes.len(), "gateway edge drain timed out");
                    self.routes.abort_all();
                    while self.routes.join_next().await.is_some() {}
                    self.abandon_in_flight().await;
                    break;
                }
                Some(downlink) = inputs.downlinks_rx.recv() => self.on_downlink(downlink).await,
                Some(exit) = self.routes.join_next(), if !self.routes.is_empty() => {
                    self.on_route_exit(exit);
                }
                () = &mut timer, if self.in_flight.next_deadline().is_some() => {
                    self.expire(Instant::now()).await;
                }
                res = self.socket.recv_from(buf) => match res {
                    Ok((len, addr)) => {
                        let datagram = buf.get(..len).unwrap_or_default();
                        self.on_draining_datagram(datagram, addr).await;
                    }
                    Err(error) => self.recv_failed(&error).await,
                },
            }
        }
        if let Err(error) = self.bus.flush().await {
            warn!(error = %error, "pending gateway publishes not confirmed");
        }
    }

    /// Handles one datagram: header first, so PUSH_DATA and PULL_DATA are acknowledged before
    /// their JSON is parsed or anything is published.
    async fn on_datagram(&mut self, bytes: &[u8], addr: SocketAddr) {
        let now = Instant::now();
        let Some((header, eui)) = self.admit(bytes, addr, now) else {
            return;
        };
        if let Some(ack) = header.ack() {
            let ack_identifier = match header.identifier {
                Identifier::PullData => Identifier::PullAck,
                _ => Identifier::PushAck,
            };
            self.send(&ack, addr, ack_identifier).await;
        }
        let datagram = match Datagram::decode(bytes) {
            Ok(datagram) => datagram,
            Err(error) => {
                self.parse_failed(&error, addr, Some(eui), now);
                return;
            }
        };
        match datagram {
            Datagram::PushData(push_data) => self.on_push_data(push_data, eui, now).await,
            Datagram::PullData(pull_data) => self.on_pull_data(&pull_data, eui, addr, now),
            Datagram::TxAck(tx_ack) => self.on_tx_ack(&tx_ack, eui).await,
            Datagram::PushAck(_) | Datagram::PullResp(_) | Datagram::PullAck(_) => {
                self.unexpected(header.identifier, addr, now);
            }
        }
    }

    /// During drain: TX_ACKs are still matched, everything else is dropped unanswered.
    async fn on_draining_datagram(&mut self, bytes: &[u8], addr: SocketAddr) {
        let now = Instant::now();
        let Some((header, eui)) = self.admit(bytes, addr, now) else {
            return;
        };
        if header.identifier != Identifier::TxAck {
            self.metrics.datagram_dropped("shutting_down");
            return;
        }
        match Datagram::decode(bytes) {
            Ok(Datagram::TxAck(tx_ack)) => self.on_tx_ack(&tx_ack, eui).await,
            Ok(_) => self.unexpected(header.identifier, addr, now),
            Err(error) => self.parse_failed(&error, addr, Some(eui), now),
        }
    }

    /// Decodes the header, counts the datagram and admits its gateway; `None` when the
    /// datagram is dropped.
    fn admit(&mut self, bytes: &[u8], addr: SocketAddr, now: Instant) -> Option<(Header, u64)> {
        let header = match Header::decode(bytes) {
            Ok((header, _)) => header,
            Err(error) => {
                self.metrics.invalid_datagram_received();
                self.parse_failed(&error, addr, None, now);
                return None;
            }
        };
        self.metrics.datagram_received(header.identifier);
        let Some(eui) = header.gateway_eui else {
            self.unexpected(header.identifier, addr, now);
            return None;
        };
        let eui = eui.to_u64();
        match self.table.admit(eui, now) {
            Ok(_) => Some((header, eui)),
            Err(refusal) => {
                self.metrics.datagram_dropped(refusal.reason());
                self.refused(refusal, eui, addr, now);
                None
            }
        }
    }

    /// Sends a datagram to a gateway and counts it.
    pub(crate) async fn send(&mut self, bytes: &[u8], addr: SocketAddr, identifier: Identifier) {
        match self.socket.send_to(bytes, addr).await {
            Ok(_) => self.metrics.datagram_sent(identifier),
            Err(error) => {
                self.metrics.datagram_dropped("send_error");
                if let Some(suppressed) = self.logs.io.allow(Instant::now()) {
                    warn!(%addr, datagram = identifier.as_str(), error = %error, suppressed, "udp send failed");
                }
            }
        }
    }

    async fn recv_failed(&mut self, error: &std::io::Error) {
        if let Some(suppressed) = self.logs.io.allow(Instant::now()) {
            warn!(error = %error, suppressed, "udp receive failed");
        }
        // A persistent error must not spin the task.
        tokio::task::yield_now().await;
    }

    pub(crate) fn parse_failed(
        &mut self,
        error: &semtech_udp::Error,
        addr: SocketAddr,
        eui: Option<u64>,
        now: Instant,
    ) {
        self.metrics.parse_error(error.reason());
        if let Some(suppressed) = self.logs.datagram.allow(now) {
            let gateway_eui = eui.map(|eui| GatewayEui::from_u64(eui).to_string());
            warn!(%addr, gateway_eui, error = %error, suppressed, "datagram rejected");
        }
    }

    /// Logs a bad rxpk or stat object, or an uplink that cannot be converted.
    pub(crate) fn object_rejected(
        &mut self,
        eui: u64,
        reason: &'static str,
        error: &dyn std::fmt::Display,
    ) {
        self.metrics.parse_error(reason);
        if let Some(suppressed) = self.logs.object.allow(Instant::now()) {
            warn!(gateway_eui = %GatewayEui::from_u64(eui), error = %error, suppressed, "push_data object rejected");
        }
    }

    /// Logs a failed publish.
    pub(crate) fn publish_failed(&mut self, what: &'static str, error: &tern_bus::Error) {
        if let Some(suppressed) = self.logs.bus.allow(Instant::now()) {
            warn!(what, error = %error, suppressed, "gateway publish failed");
        }
    }

    fn unexpected(&mut self, identifier: Identifier, addr: SocketAddr, now: Instant) {
        self.metrics.datagram_dropped("unexpected_type");
        if let Some(suppressed) = self.logs.unexpected.allow(now) {
            warn!(%addr, datagram = identifier.as_str(), suppressed, "datagram a gateway does not send");
        }
    }

    fn refused(&mut self, refusal: Refusal, eui: u64, addr: SocketAddr, now: Instant) {
        match refusal {
            Refusal::NotAllowed => {
                let first =
                    self.logs.refused.len() < MAX_REFUSED_LOGGED && self.logs.refused.insert(eui);
                if first {
                    warn!(gateway_eui = %GatewayEui::from_u64(eui), %addr, "gateway not in allowed_gateways; its datagrams are dropped");
                }
            }
            Refusal::TableFull => {
                if let Some(suppressed) = self.logs.table_full.allow(now) {
                    warn!(
                        gateways = self.table.len(),
                        suppressed, "gateway table full; datagrams of new gateways dropped"
                    );
                }
            }
        }
    }
}

/// Formats an EUI for spans and logs, without allocating when the span is disabled.
pub(crate) fn eui_display(eui: u64) -> GatewayEui {
    GatewayEui::from_u64(eui)
}

/// The claim deliveries the edge handles; named so handlers need not repeat the type.
pub(crate) type ClaimDelivery = Delivery<GatewayClaim>;
