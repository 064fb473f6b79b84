//! [`Gateway`]: a virtual packet forwarder speaking the Semtech UDP protocol v2 from a loopback
//! socket (Lora-net/packet_forwarder PROTOCOL.TXT).
//!
//! One owned task receives every datagram: PUSH_ACK and PULL_ACK go to [`Gateway::next_ack`],
//! each PULL_RESP is answered at once with a TX_ACK whose outcome the caller scripts
//! ([`TxAckReply`]) and then handed to [`Gateway::next_downlink`]. An optional second task
//! sends PULL_DATA keepalives. Both end when the gateway is dropped. Both queues are bounded:
//! unread acknowledgements and downlinks beyond 4096 are dropped (downlinks are counted).
//!
//! The concentrator counter `tmst` counts microseconds from the gateway's start (plus an
//! offset, to test wrapping) on tokio's clock, so paused-time tests control it.
//!
//! Deliberately absent: transmitting anything on a radio, duty-cycle or timing checks of the
//! txpk (the caller decides what a too-late downlink is), and protocol version 1.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use semtech_udp::{
    CodingRate, CrcStatus, DataRate, Datagram, GatewayEui, Identifier, ProtocolVersion, PullData,
    PushData, Rxpk, Stat, Token, TxAck, TxAckCode, Txpk, TxpkAck, hz_to_mhz,
};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::{Error, Result, Uplink, radio};

/// How the gateway answers a PULL_RESP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxAckReply {
    /// TX_ACK with `"error":"NONE"`: the downlink is scheduled.
    Accept,
    /// TX_ACK with this error code, e.g. `TOO_LATE`.
    Reject(TxAckCode),
    /// No TX_ACK at all, as a forwarder whose acknowledgement got lost.
    Silent,
}

/// Settings of a virtual gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The gateway EUI.
    pub eui: GatewayEui,
    /// The network server's UDP address.
    pub server: SocketAddr,
    /// How PULL_RESPs are answered once the scripted replies are used up.
    pub default_tx_ack: TxAckReply,
    /// Value of `tmst` at start, so tests can cross the 2^32 wrap.
    pub tmst_offset: u32,
}

impl GatewayConfig {
    /// Returns the settings of a gateway that accepts every downlink and starts `tmst` at 0.
    pub fn new(eui: GatewayEui, server: SocketAddr) -> Self {
        Self {
            eui,
            server,
            default_tx_ack: TxAckReply::Accept,
            tmst_offset: 0,
        }
    }
}

/// A PUSH_ACK or PULL_ACK received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushAck {
    /// `PushAck` or `PullAck`.
    pub identifier: Identifier,
    /// The token it acknowledges.
    pub token: Token,
}

/// A PULL_RESP received, with how the gateway answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedDownlink {
    /// The PULL_RESP token, repeated in the TX_ACK.
    pub token: Token,
    /// The packet to transmit; `data` is the PHYPayload for a device.
    pub txpk: Txpk,
    /// The TX_ACK the gateway sent.
    pub reply: TxAckReply,
    /// The gateway's `tmst` when the PULL_RESP arrived.
    pub received_tmst: u32,
}

/// Reception metadata of an uplink.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RxMeta {
    /// RSSI in dBm.
    pub rssi: i16,
    /// SNR in dB.
    pub snr: f64,
    /// The concentrator counter; the gateway's current `tmst` when `None`.
    pub tmst: Option<u32>,
}

impl Default for RxMeta {
    fn default() -> Self {
        Self {
            rssi: -60,
            snr: 8.5,
            tmst: None,
        }
    }
}

/// An uplink the gateway pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentUplink {
    /// The PUSH_DATA token.
    pub token: Token,
    /// The `tmst` the rxpk carried, which class A downlinks are timed from.
    pub tmst: u32,
}

/// State shared with the receive and keepalive tasks.
#[derive(Debug)]
struct Shared {
    eui: GatewayEui,
    server: SocketAddr,
    socket: UdpSocket,
    next_token: AtomicU16,
    tx_acks: Mutex<VecDeque<TxAckReply>>,
    default_tx_ack: TxAckReply,
    start: Instant,
    tmst_offset: u32,
    /// Downlinks dropped because nobody read them.
    downlinks_dropped: AtomicU64,
}

impl Shared {
    fn token(&self) -> Token {
        Token(self.next_token.fetch_add(1, Ordering::Relaxed))
    }

    fn tmst(&self) -> u32 {
        // The concentrator counter is 32 bits of microseconds and wraps: truncation intended.
        let micros = self.start.elapsed().as_micros() as u32;
        self.tmst_offset.wrapping_add(micros)
    }

    async fn send(&self, datagram: &Datagram) -> Result<()> {
        let bytes = datagram.encode()?;
        self.socket
            .send_to(&bytes, self.server)
            .await
            .map_err(|source| Error::Io {
                what: "send datagram",
                source,
            })?;
        Ok(())
    }

    async fn pull_data(&self) -> Result<Token> {
        let token = self.token();
        self.send(&Datagram::PullData(PullData {
            version: ProtocolVersion::V2,
            token,
            gateway_eui: self.eui,
        }))
        .await?;
        Ok(token)
    }

    fn next_reply(&self) -> TxAckReply {
        let mut scripted = self
            .tx_acks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        scripted
            .pop_front()
            .unwrap_or_else(|| self.default_tx_ack.clone())
    }
}

/// How many acknowledgements and downlinks wait for the caller before new ones are dropped, so
/// a load test that never reads them keeps bounded memory.
const QUEUE_LEN: usize = 4096;

/// A virtual Semtech UDP packet forwarder; see the module documentation.
#[derive(Debug)]
pub struct Gateway {
    shared: Arc<Shared>,
    acks: mpsc::Receiver<PushAck>,
    downlinks: mpsc::Receiver<ReceivedDownlink>,
    receiver: JoinHandle<()>,
    keepalive: Option<JoinHandle<()>>,
}

impl Gateway {
    /// Binds a loopback socket for gateway `eui` talking to `server`, accepting every downlink.
    pub async fn connect(eui: GatewayEui, server: SocketAddr) -> Result<Self> {
        Self::start(GatewayConfig::new(eui, server)).await
    }

    /// Binds a loopback socket and starts the receive task.
    pub async fn start(config: GatewayConfig) -> Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .map_err(|source| Error::Io {
                what: "bind gateway socket",
                source,
            })?;
        let shared = Arc::new(Shared {
            eui: config.eui,
            server: config.server,
            socket,
            next_token: AtomicU16::new(1),
            tx_acks: Mutex::new(VecDeque::new()),
            default_tx_ack: config.default_tx_ack,
            start: Instant::now(),
            tmst_offset: config.tmst_offset,
            downlinks_dropped: AtomicU64::new(0),
        });
        let (ack_tx, acks) = mpsc::channel(QUEUE_LEN);
        let (downlink_tx, downlinks) = mpsc::channel(QUEUE_LEN);
        let receiver = tokio::spawn(receive(Arc::clone(&shared), ack_tx, downlink_tx));
        Ok(Self {
            shared,
            acks,
            downlinks,
            receiver,
            keepalive: None,
        })
    }

    /// Returns the gateway EUI.
    pub fn eui(&self) -> GatewayEui {
        self.shared.eui
    }

    /// Returns the gateway's local socket address.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.shared.socket.local_addr().map_err(|source| Error::Io {
            what: "gateway socket address",
            source,
        })
    }

    /// Returns the concentrator counter now, in µs, wrapping at 2^32.
    pub fn tmst(&self) -> u32 {
        self.shared.tmst()
    }

    /// Returns how many PULL_RESPs were answered but dropped because the caller had not read
    /// the earlier ones.
    pub fn downlinks_dropped(&self) -> u64 {
        self.shared.downlinks_dropped.load(Ordering::Relaxed)
    }

    /// Sends a PULL_DATA and returns its token; the PULL_ACK comes through
    /// [`Gateway::next_ack`].
    pub async fn pull_data(&self) -> Result<Token> {
        self.shared.pull_data().await
    }

    /// Sends a PULL_DATA every `interval` from an owned task, as a forwarder keeps its
    /// downlink route open; replaces an earlier keepalive task.
    pub fn start_keepalive(&mut self, interval: Duration) {
        if let Some(task) = self.keepalive.take() {
            task.abort();
        }
        let shared = Arc::clone(&self.shared);
        self.keepalive = Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            loop {
                ticks.tick().await;
                if shared.pull_data().await.is_err() {
                    return;
                }
            }
        }));
    }

    /// Sends a PUSH_DATA with `rxpk`s and returns its token.
    pub async fn push(&self, rxpk: Vec<Rxpk>) -> Result<Token> {
        self.push_data(rxpk, None).await
    }

    /// Sends a PUSH_DATA with only a `stat` object and returns its token.
    pub async fn push_stat(&self, stat: Stat) -> Result<Token> {
        self.push_data(Vec::new(), Some(stat)).await
    }

    async fn push_data(&self, rxpk: Vec<Rxpk>, stat: Option<Stat>) -> Result<Token> {
        let token = self.shared.token();
        self.shared
            .send(&Datagram::PushData(PushData {
                version: ProtocolVersion::V2,
                token,
                gateway_eui: self.shared.eui,
                rxpk,
                stat,
                rejected: Vec::new(),
            }))
            .await?;
        Ok(token)
    }

    /// Pushes one received frame as an rxpk with CRC OK on RF chain 0.
    pub async fn uplink(
        &self,
        phy: &[u8],
        frequency_hz: u32,
        datr: DataRate,
        codr: Option<CodingRate>,
        meta: RxMeta,
    ) -> Result<SentUplink> {
        let tmst = meta.tmst.unwrap_or_else(|| self.tmst());
        let rxpk = Self::build_rxpk(phy.to_vec(), frequency_hz, datr, codr, meta, tmst);
        let token = self.push(vec![rxpk]).await?;
        Ok(SentUplink { token, tmst })
    }

    /// Pushes a device's frame with the frequency and data rate it was sent on.
    pub async fn send_uplink(&self, uplink: &Uplink, meta: RxMeta) -> Result<SentUplink> {
        self.uplink(
            &uplink.phy,
            uplink.frequency_hz,
            radio::datr(&uplink.modulation),
            radio::codr(&uplink.modulation),
            meta,
        )
        .await
    }

    /// Builds the rxpk of a frame received with CRC OK on RF chain 0, IF channel 0.
    pub fn build_rxpk(
        data: Vec<u8>,
        frequency_hz: u32,
        datr: DataRate,
        codr: Option<CodingRate>,
        meta: RxMeta,
        tmst: u32,
    ) -> Rxpk {
        Rxpk {
            time: None,
            tmms: None,
            tmst,
            ftime: None,
            freq: hz_to_mhz(u64::from(frequency_hz)),
            chan: Some(0),
            rfch: Some(0),
            brd: None,
            mid: None,
            aesk: None,
            stat: CrcStatus::Ok,
            datr,
            codr,
            hpw: None,
            rssi: Some(meta.rssi),
            rssis: None,
            lsnr: Some(meta.snr),
            foff: None,
            data,
            rsig: Vec::new(),
        }
    }

    /// Queues how the next PULL_RESPs are answered, in order; afterwards the default applies.
    /// E.g. `[Reject(TooLate)]` refuses RX1 and accepts the RX2 retry.
    pub fn script_tx_acks(&self, replies: impl IntoIterator<Item = TxAckReply>) {
        let mut scripted = self
            .shared
            .tx_acks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        scripted.extend(replies);
    }

    /// Waits up to `timeout` for the next PUSH_ACK or PULL_ACK.
    pub async fn next_ack(&mut self, timeout: Duration) -> Result<PushAck> {
        tokio::time::timeout(timeout, self.acks.recv())
            .await
            .map_err(|_| Error::Timeout("push_ack or pull_ack"))?
            .ok_or(Error::GatewayClosed)
    }

    /// Waits up to `timeout` for the acknowledgement of `token`, dropping others.
    pub async fn wait_ack(&mut self, token: Token, timeout: Duration) -> Result<PushAck> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ack = self.next_ack(left).await?;
            if ack.token == token {
                return Ok(ack);
            }
        }
    }

    /// Waits up to `timeout` for the next PULL_RESP (already answered with its TX_ACK).
    pub async fn next_downlink(&mut self, timeout: Duration) -> Result<ReceivedDownlink> {
        tokio::time::timeout(timeout, self.downlinks.recv())
            .await
            .map_err(|_| Error::Timeout("pull_resp"))?
            .ok_or(Error::GatewayClosed)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.receiver.abort();
        if let Some(task) = self.keepalive.take() {
            task.abort();
        }
    }
}

/// The receive task: sorts datagrams and answers PULL_RESPs; ignores what does not decode.
async fn receive(
    shared: Arc<Shared>,
    acks: mpsc::Sender<PushAck>,
    downlinks: mpsc::Sender<ReceivedDownlink>,
) {
    let mut buf = vec![0u8; semtech_udp::MAX_DATAGRAM_LEN];
    loop {
        let Ok((len, _)) = shared.socket.recv_from(&mut buf).await else {
            return;
        };
        let Ok(datagram) = Datagram::decode(buf.get(..len).unwrap_or_default()) else {
            continue;
        };
        match datagram {
            Datagram::PushAck(ack) | Datagram::PullAck(ack) => {
                let identifier = if matches!(datagram, Datagram::PushAck(_)) {
                    Identifier::PushAck
                } else {
                    Identifier::PullAck
                };
                // Acknowledgements nobody waits for are dropped once the queue is full.
                let _ = acks.try_send(PushAck {
                    identifier,
                    token: ack.token,
                });
            }
            Datagram::PullResp(pull_resp) => {
                let received_tmst = shared.tmst();
                let reply = shared.next_reply();
                let txpk_ack = match &reply {
                    TxAckReply::Accept => Some(TxAckCode::None),
                    TxAckReply::Reject(code) => Some(code.clone()),
                    TxAckReply::Silent => None,
                };
                if let Some(error) = txpk_ack {
                    let tx_ack = Datagram::TxAck(TxAck {
                        version: ProtocolVersion::V2,
                        token: pull_resp.token,
                        gateway_eui: shared.eui,
                        txpk_ack: Some(TxpkAck {
                            error: Some(error),
                            warn: None,
                            value: None,
                        }),
                    });
                    if shared.send(&tx_ack).await.is_err() {
                        return;
                    }
                }
                let received = ReceivedDownlink {
                    token: pull_resp.token,
                    txpk: pull_resp.txpk,
                    reply,
                    received_tmst,
                };
                if let Err(mpsc::error::TrySendError::Full(_)) = downlinks.try_send(received) {
                    shared.downlinks_dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
            Datagram::PushData(_) | Datagram::PullData(_) | Datagram::TxAck(_) => {}
        }
    }
}
