//! The shared state of a run: the fleet, the gateways, the uplink tracker and the counters,
//! with the three things every mode does: send a device's uplink through several gateways,
//! join a device, and route a PULL_RESP to the device it is for.
//!
//! Join-accepts are encrypted and name no device, so they are matched by the `tmst` they are
//! scheduled at: the gateway's `tmst` of the join-request plus JOIN_ACCEPT_DELAY1 or 2. Data
//! downlinks are routed by their DevAddr.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lorawan_codec::DevAddr;
use lorawan_region::Band;
use tern_sim::{RxContext, RxMeta, RxSlot, UplinkParams};
use tokio::sync::mpsc;

use crate::fleet::Fleet;
use crate::gateway::VirtualGateway;
use crate::ids::{mix, unit};
use crate::tracker::Tracker;

/// FPort of load test uplinks.
pub(crate) const UPLINK_F_PORT: u8 = 10;
/// FPort of downlinks queued through the API.
pub(crate) const DOWNLINK_F_PORT: u8 = 20;
/// First byte of a queued downlink's payload.
const DOWNLINK_MAGIC: u8 = 0xd1;

/// Counters of a run; each is only ever added to.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Join-requests sent (each attempt once, whatever the number of gateways).
    pub join_requests: AtomicU64,
    /// Join-accepts a device opened.
    pub joins_completed: AtomicU64,
    /// Join-accepts no pending join-request matched, or that failed to open.
    pub join_accepts_unmatched: AtomicU64,
    /// PULL_RESPs received.
    pub pull_resps: AtomicU64,
    /// Data downlinks no device could open.
    pub downlinks_unmatched: AtomicU64,
    /// Application downlinks (FPort > 0) received.
    pub app_downlinks: AtomicU64,
    /// Application downlinks with the payload queued for that device.
    pub app_downlinks_ok: AtomicU64,
    /// Downlinks without application payload (MAC commands or an empty ACK).
    pub other_downlinks: AtomicU64,
    /// Downlinks with the ACK bit.
    pub acks_received: AtomicU64,
    /// Confirmed uplinks sent.
    pub confirmed_sent: AtomicU64,
    /// Uplinks that could not be built or sent.
    pub send_errors: AtomicU64,
    /// `up` events received.
    pub up_events: AtomicU64,
    /// `join` events received.
    pub join_events: AtomicU64,
    /// `ack` events received.
    pub ack_events: AtomicU64,
    /// `nack` events received.
    pub nack_events: AtomicU64,
    /// `txack` events received.
    pub txack_events: AtomicU64,
    /// `error` events received.
    pub error_events: AtomicU64,
    /// Other events received (`status`, `location`).
    pub other_events: AtomicU64,
    /// Events whose JSON did not parse.
    pub bad_events: AtomicU64,
}

/// Reads a counter.
pub(crate) fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Something a person watching a demo fleet wants to see.
#[derive(Debug, Clone)]
pub(crate) enum Notice {
    /// A device opened its join-accept.
    Joined {
        /// DevEUI.
        dev_eui: u64,
        /// The new DevAddr.
        dev_addr: u32,
        /// How many join-requests it took.
        attempts: u32,
    },
    /// A device gave up joining.
    JoinFailed {
        /// DevEUI.
        dev_eui: u64,
    },
    /// An uplink went out.
    Sent {
        /// DevEUI.
        dev_eui: u64,
        /// FCntUp.
        f_cnt: u32,
        /// Confirmed or not.
        confirmed: bool,
    },
    /// An `up` event delivered an uplink.
    Delivered {
        /// DevEUI as the event names it.
        dev_eui: String,
        /// FCntUp.
        f_cnt: u32,
        /// From the first copy's send to the event.
        latency: Duration,
        /// Gateways in the event's metadata.
        gateways: usize,
    },
    /// A device opened a downlink.
    Downlink {
        /// DevEUI.
        dev_eui: u64,
        /// FPort, if any.
        f_port: Option<u8>,
        /// Application payload length.
        len: usize,
        /// It acknowledged the device's confirmed uplink.
        ack: bool,
        /// It was confirmed.
        confirmed: bool,
        /// MAC commands it carried.
        mac_commands: usize,
    },
}

/// The shared state of a run; see the module documentation.
#[derive(Debug)]
pub(crate) struct Engine {
    /// Zero of every time stamp of the run.
    pub start: Instant,
    /// The band.
    pub band: Band,
    /// The devices.
    pub fleet: Fleet,
    /// The gateways.
    pub gateways: Vec<Arc<VirtualGateway>>,
    /// How many gateways hear each uplink.
    pub per_uplink: usize,
    /// Fraction of confirmed uplinks.
    pub confirmed_share: f64,
    /// Uplink ids and deliveries.
    pub tracker: Tracker,
    /// Counters.
    pub counters: Counters,
    /// Where notices go, when someone watches.
    pub notices: Option<mpsc::UnboundedSender<Notice>>,
    tag: u32,
    seed: u64,
}

impl Engine {
    /// Builds the engine; `tag` marks this run's payloads.
    // Each argument is a distinct part built by the caller; a builder would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        start: Instant,
        band: Band,
        fleet: Fleet,
        gateways: Vec<Arc<VirtualGateway>>,
        per_uplink: usize,
        confirmed_share: f64,
        tracker: Tracker,
        tag: u32,
        seed: u64,
        notices: Option<mpsc::UnboundedSender<Notice>>,
    ) -> Engine {
        Engine {
            start,
            band,
            fleet,
            per_uplink: per_uplink.clamp(1, gateways.len().max(1)),
            gateways,
            confirmed_share,
            tracker,
            counters: Counters::default(),
            notices,
            tag,
            seed,
        }
    }

    /// Returns ns since the run's start.
    pub(crate) fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn notify(&self, notice: Notice) {
        if let Some(notices) = &self.notices {
            // Nobody listening any more only happens at shutdown.
            let _ = notices.send(notice);
        }
    }

    /// Tells whether uplink `seq` goes confirmed.
    pub(crate) fn confirmed(&self, seq: u32) -> bool {
        self.confirmed_share > 0.0
            && unit(mix(&[self.seed, 0xc0f1, u64::from(seq)])) < self.confirmed_share
    }

    /// Returns the reception metadata of copy `copy` of an uplink: each further gateway hears
    /// it weaker, as gateways farther away do.
    fn meta(seq: u32, copy: usize) -> RxMeta {
        let copy = copy as i16;
        let wobble = (seq % 7) as i16;
        RxMeta {
            rssi: -48 - 9 * copy - wobble,
            snr: 9.5 - 2.5 * f64::from(copy) - f64::from(wobble) / 10.0,
            tmst: None,
        }
    }

    /// Sends uplink `seq` of device `index`, heard by `per_uplink` gateways back to back; the
    /// send time is recorded just before the first copy leaves.
    pub(crate) async fn send_uplink(&self, index: usize, seq: u32) -> anyhow::Result<u32> {
        let slot = self
            .fleet
            .devices
            .get(index)
            .ok_or_else(|| anyhow::anyhow!("no device {index}"))?;
        let confirmed = self.confirmed(seq);
        let payload = self.tracker.payload(seq);
        let built = slot.device().uplink(UplinkParams {
            f_port: Some(UPLINK_F_PORT),
            payload: payload.to_vec(),
            confirmed,
            channel: None,
        });
        let uplink = match built {
            Ok(uplink) => uplink,
            Err(error) => {
                add(&self.counters.send_errors);
                return Err(anyhow::Error::new(error).context("build an uplink"));
            }
        };
        let f_cnt = uplink.f_cnt.unwrap_or(0);
        let now = self.now_ns();
        if confirmed {
            add(&self.counters.confirmed_sent);
            slot.confirmed_sent.fetch_add(1, Ordering::Relaxed);
            // A class A device listens until RX2 closes; it sends again only after the ACK
            // or then.
            let wait =
                Duration::from_secs(u64::from(slot.device().rx_settings().rx1_delay_s.max(1)))
                    + Duration::from_millis(1_500);
            let until = now.saturating_add(u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX));
            slot.busy_until_ns.store(until, Ordering::Relaxed);
        }
        self.tracker.mark_sent(seq, now);
        let n = self.gateways.len();
        let first = (mix(&[self.seed, u64::from(seq)]) % n as u64) as usize;
        let mut sent_any = false;
        let mut last_error = None;
        for copy in 0..self.per_uplink {
            let gateway = &self.gateways[(first + copy) % n];
            let tmst = gateway.next_tmst();
            match gateway
                .send_uplink(&uplink, Self::meta(seq, copy), tmst)
                .await
            {
                Ok(()) => sent_any = true,
                Err(error) => last_error = Some(error),
            }
        }
        if !sent_any {
            self.tracker.mark_unsent(seq);
            add(&self.counters.send_errors);
            return Err(last_error
                .unwrap_or_else(|| anyhow::anyhow!("no gateway"))
                .context("send an uplink"));
        }
        self.notify(Notice::Sent {
            dev_eui: slot.plan.dev_eui.to_u64(),
            f_cnt,
            confirmed,
        });
        Ok(f_cnt)
    }

    /// Joins device `index`: sends a join-request through `per_uplink` gateways and waits
    /// `wait` for its join-accept, up to `attempts` times, each with a new DevNonce. Tells
    /// whether it joined.
    pub(crate) async fn join(&self, index: usize, attempts: u32, wait: Duration) -> bool {
        let Some(slot) = self.fleet.devices.get(index) else {
            return false;
        };
        for attempt in 1..=attempts.max(1) {
            let request = slot.device().join_request();
            let Ok(request) = request else {
                add(&self.counters.send_errors);
                break;
            };
            add(&self.counters.join_requests);
            let n = self.gateways.len();
            let first =
                (mix(&[self.seed, 0x701e, index as u64, u64::from(attempt)]) % n as u64) as usize;
            let mut heard = Vec::with_capacity(self.per_uplink);
            for copy in 0..self.per_uplink {
                let gateway = &self.gateways[(first + copy) % n];
                let tmst = gateway.next_tmst();
                // Recorded before sending: the join-accept may come back before the send
                // returns.
                self.fleet.add_pending_join(gateway.index, tmst, index);
                heard.push((gateway.index, tmst));
                let meta = Self::meta(u32::try_from(index).unwrap_or(0), copy);
                if gateway.send_uplink(&request, meta, tmst).await.is_err() {
                    add(&self.counters.send_errors);
                }
            }
            let notified = slot.joined.notified();
            let joined = slot.has_session.load(Ordering::Acquire)
                || tokio::time::timeout(wait, notified).await.is_ok();
            for (gateway, tmst) in heard {
                self.fleet.remove_pending_join(gateway, tmst);
            }
            if joined && slot.has_session.load(Ordering::Acquire) {
                let dev_addr = slot.device().dev_addr().map_or(0, DevAddr::to_u32);
                self.notify(Notice::Joined {
                    dev_eui: slot.plan.dev_eui.to_u64(),
                    dev_addr,
                    attempts: attempt,
                });
                return true;
            }
        }
        self.notify(Notice::JoinFailed {
            dev_eui: slot.plan.dev_eui.to_u64(),
        });
        false
    }

    /// Returns the payload of downlink `n` queued for device `index`.
    pub(crate) fn downlink_payload(&self, index: usize, n: u8) -> Vec<u8> {
        let tag = self.tag.to_be_bytes();
        let index = u32::try_from(index).unwrap_or(u32::MAX).to_be_bytes();
        vec![
            DOWNLINK_MAGIC,
            tag[1],
            tag[2],
            tag[3],
            index[0],
            index[1],
            index[2],
            index[3],
            n,
        ]
    }

    /// Routes a PULL_RESP that gateway `gateway` received to the device it is for.
    pub(crate) fn handle_pull_resp(&self, gateway: usize, txpk: &semtech_udp::Txpk) {
        add(&self.counters.pull_resps);
        let phy = txpk.data.as_slice();
        let Some(mhdr) = phy.first() else {
            add(&self.counters.downlinks_unmatched);
            return;
        };
        match mhdr >> 5 {
            // JoinAccept.
            1 => self.handle_join_accept(gateway, txpk),
            // UnconfirmedDataDown, ConfirmedDataDown.
            3 | 5 => self.handle_data_downlink(txpk),
            _ => add(&self.counters.downlinks_unmatched),
        }
    }

    fn handle_join_accept(&self, gateway: usize, txpk: &semtech_udp::Txpk) {
        let timing = self.band.timing();
        let delays = [timing.join_accept_delay1, timing.join_accept_delay2];
        let index = txpk.tmst.and_then(|tmst| {
            delays.iter().find_map(|delay| {
                let micros = u32::try_from(delay.as_micros()).unwrap_or(u32::MAX);
                self.fleet.pending_join(gateway, tmst.wrapping_sub(micros))
            })
        });
        let Some(index) = index else {
            add(&self.counters.join_accepts_unmatched);
            return;
        };
        let Some(slot) = self.fleet.devices.get(index) else {
            return;
        };
        let mut device = slot.device();
        let old = device.dev_addr().map(DevAddr::to_u32);
        match device.handle_join_accept(&txpk.data) {
            Ok(accepted) => {
                drop(device);
                self.fleet
                    .set_dev_addr(index, old, accepted.dev_addr.to_u32());
                slot.busy_until_ns.store(0, Ordering::Relaxed);
                slot.has_session.store(true, Ordering::Release);
                add(&self.counters.joins_completed);
                slot.joined.notify_one();
            }
            Err(_) => add(&self.counters.join_accepts_unmatched),
        }
    }

    fn handle_data_downlink(&self, txpk: &semtech_udp::Txpk) {
        let Some(dev_addr) = txpk
            .data
            .get(1..5)
            .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
            .map(|bytes| DevAddr::from_le_bytes(bytes).to_u32())
        else {
            add(&self.counters.downlinks_unmatched);
            return;
        };
        for index in self.fleet.by_dev_addr(dev_addr) {
            let Some(slot) = self.fleet.devices.get(index) else {
                continue;
            };
            let mut device = slot.device();
            let rx2_frequency_hz = device.rx_settings().rx2_frequency_hz;
            let slot_kind = if txpk.imme {
                RxSlot::ClassC
            } else if txpk.freq_hz() == u64::from(rx2_frequency_hz) {
                RxSlot::Rx2
            } else {
                RxSlot::Rx1
            };
            let rx = RxContext {
                slot: slot_kind,
                snr_db: 8.0,
            };
            let Ok(downlink) = device.handle_downlink(&txpk.data, rx) else {
                continue;
            };
            drop(device);
            if downlink.ack {
                add(&self.counters.acks_received);
                slot.acks_received.fetch_add(1, Ordering::Relaxed);
                slot.busy_until_ns.store(0, Ordering::Relaxed);
            }
            match downlink.f_port {
                Some(port) if port > 0 => {
                    add(&self.counters.app_downlinks);
                    let expected = downlink
                        .payload
                        .last()
                        .map(|n| self.downlink_payload(index, *n));
                    if port == DOWNLINK_F_PORT && expected.as_ref() == Some(&downlink.payload) {
                        add(&self.counters.app_downlinks_ok);
                        slot.downlinks_ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
                _ => add(&self.counters.other_downlinks),
            }
            self.notify(Notice::Downlink {
                dev_eui: slot.plan.dev_eui.to_u64(),
                f_port: downlink.f_port,
                len: downlink.payload.len(),
                ack: downlink.ack,
                confirmed: downlink.confirmed,
                mac_commands: downlink.mac_commands.len(),
            });
            return;
        }
        add(&self.counters.downlinks_unmatched);
    }
}
