//! Virtual Semtech UDP packet forwarders built for load: one socket per gateway, shared by
//! the sender (PUSH_DATA, without waiting for PUSH_ACK) and one receive task (PULL_ACK,
//! PULL_RESP answered at once with a TX_ACK, then handed to the engine to route to its
//! device), plus a PULL_DATA keepalive task.
//!
//! `tern_sim::Gateway` does the same for tests, but its receive queue needs `&mut` access,
//! which would put the sender and the receiver behind one lock; this type reuses its rxpk
//! builder and the `semtech-udp` codec and keeps sending lock-free apart from a reusable
//! encode buffer.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use semtech_udp::{
    Datagram, GatewayEui, ProtocolVersion, PullData, PushData, Token, TxAck, TxAckCode, TxpkAck,
};
use tern_sim::{RxMeta, Uplink, radio};
use tokio::net::UdpSocket;
use tokio::sync::Notify;

use crate::engine::Engine;

/// How often a gateway sends PULL_DATA, as packet forwarders do by default.
pub(crate) const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// One virtual gateway.
#[derive(Debug)]
pub(crate) struct VirtualGateway {
    /// Position among the run's gateways.
    pub index: usize,
    /// Its EUI.
    pub eui: GatewayEui,
    server: SocketAddr,
    socket: UdpSocket,
    start: Instant,
    last_tmst: AtomicU32,
    next_token: AtomicU16,
    buffer: Mutex<Vec<u8>>,
    pull_acked: AtomicBool,
    pull_ack: Notify,
    /// PUSH_ACKs received.
    pub push_acks: AtomicU64,
}

impl VirtualGateway {
    /// Binds a loopback socket for gateway `eui` talking to `server`; `tmst` counts from
    /// `start`.
    pub(crate) async fn bind(
        index: usize,
        eui: u64,
        server: SocketAddr,
        start: Instant,
    ) -> anyhow::Result<VirtualGateway> {
        let local: SocketAddr = if server.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let socket = UdpSocket::bind(local)
            .await
            .context("bind a virtual gateway socket")?;
        Ok(VirtualGateway {
            index,
            eui: GatewayEui::from_u64(eui),
            server,
            socket,
            start,
            last_tmst: AtomicU32::new(0),
            next_token: AtomicU16::new(1),
            buffer: Mutex::new(Vec::with_capacity(1024)),
            pull_acked: AtomicBool::new(false),
            pull_ack: Notify::new(),
            push_acks: AtomicU64::new(0),
        })
    }

    /// Returns the next concentrator counter value: µs since the start, strictly increasing,
    /// so each uplink of this gateway has its own `tmst` (join-accepts are matched by it).
    pub(crate) fn next_tmst(&self) -> u32 {
        // The counter is 32 bits of µs and wraps, as on a concentrator: truncation intended.
        let now = self.start.elapsed().as_micros() as u32;
        let previous = self
            .last_tmst
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(if now.wrapping_sub(last) as i32 > 0 {
                    now
                } else {
                    last.wrapping_add(1)
                })
            })
            .unwrap_or(now);
        if now.wrapping_sub(previous) as i32 > 0 {
            now
        } else {
            previous.wrapping_add(1)
        }
    }

    fn token(&self) -> Token {
        Token(self.next_token.fetch_add(1, Ordering::Relaxed))
    }

    /// Sends one datagram, encoding it into the reusable buffer when it is free.
    async fn send(&self, datagram: &Datagram) -> anyhow::Result<()> {
        let pending = {
            let mut guard = self.buffer.try_lock().ok();
            let mut fresh = Vec::new();
            let buffer = match guard.as_deref_mut() {
                Some(buffer) => buffer,
                None => &mut fresh,
            };
            buffer.clear();
            datagram
                .encode_into(buffer)
                .context("encode a gateway datagram")?;
            match self.socket.try_send_to(buffer, self.server) {
                Ok(_) => None,
                Err(error) if error.kind() == ErrorKind::WouldBlock => Some(buffer.clone()),
                Err(error) => {
                    return Err(error)
                        .with_context(|| format!("send a datagram to {}", self.server));
                }
            }
        };
        if let Some(bytes) = pending {
            self.socket
                .send_to(&bytes, self.server)
                .await
                .with_context(|| format!("send a datagram to {}", self.server))?;
        }
        Ok(())
    }

    /// Pushes one received frame as an rxpk.
    pub(crate) async fn send_uplink(
        &self,
        uplink: &Uplink,
        meta: RxMeta,
        tmst: u32,
    ) -> anyhow::Result<()> {
        let rxpk = tern_sim::Gateway::build_rxpk(
            uplink.phy.clone(),
            uplink.frequency_hz,
            radio::datr(&uplink.modulation),
            radio::codr(&uplink.modulation),
            meta,
            tmst,
        );
        let datagram = Datagram::PushData(PushData {
            version: ProtocolVersion::V2,
            token: self.token(),
            gateway_eui: self.eui,
            rxpk: vec![rxpk],
            stat: None,
            rejected: Vec::new(),
        });
        self.send(&datagram).await
    }

    /// Sends a PULL_DATA, which opens the downlink route at the edge.
    pub(crate) async fn pull_data(&self) -> anyhow::Result<()> {
        let datagram = Datagram::PullData(PullData {
            version: ProtocolVersion::V2,
            token: self.token(),
            gateway_eui: self.eui,
        });
        self.send(&datagram).await
    }

    /// Waits up to `timeout` for the first PULL_ACK.
    pub(crate) async fn wait_pull_ack(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.pull_acked.load(Ordering::Acquire) {
            let notified = self.pull_ack.notified();
            if self.pull_acked.load(Ordering::Acquire) {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.pull_acked.load(Ordering::Acquire);
            }
        }
        true
    }
}

/// Sends PULL_DATA every [`KEEPALIVE_INTERVAL`] until the task is dropped.
pub(crate) async fn keepalive(gateway: Arc<VirtualGateway>) {
    let mut ticks = tokio::time::interval(KEEPALIVE_INTERVAL);
    loop {
        ticks.tick().await;
        // A failed keepalive is retried at the next tick; the edge tolerates missing ones.
        let _ = gateway.pull_data().await;
    }
}

/// Receives the gateway's datagrams until the task is dropped: acknowledgements are noted,
/// each PULL_RESP is answered with a TX_ACK and routed to its device.
pub(crate) async fn receive(gateway: Arc<VirtualGateway>, engine: Arc<Engine>) {
    let mut buffer = vec![0u8; semtech_udp::MAX_DATAGRAM_LEN];
    loop {
        let Ok((len, _)) = gateway.socket.recv_from(&mut buffer).await else {
            // Errors of a loopback socket (an ICMP port unreachable, say) are transient.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(datagram) = Datagram::decode(buffer.get(..len).unwrap_or_default()) else {
            continue;
        };
        match datagram {
            Datagram::PullAck(_) => {
                gateway.pull_acked.store(true, Ordering::Release);
                gateway.pull_ack.notify_waiters();
            }
            Datagram::PushAck(_) => {
                gateway.push_acks.fetch_add(1, Ordering::Relaxed);
            }
            Datagram::PullResp(pull_resp) => {
                let tx_ack = Datagram::TxAck(TxAck {
                    version: ProtocolVersion::V2,
                    token: pull_resp.token,
                    gateway_eui: gateway.eui,
                    txpk_ack: Some(TxpkAck {
                        error: Some(TxAckCode::None),
                        warn: None,
                        value: None,
                    }),
                });
                // A lost TX_ACK only makes the server report a timeout; the frame is still
                // delivered to the device, as a forwarder would transmit it.
                let _ = gateway.send(&tx_ack).await;
                engine.handle_pull_resp(gateway.index, &pull_resp.txpk);
            }
            Datagram::PushData(_) | Datagram::PullData(_) | Datagram::TxAck(_) => {}
        }
    }
}
