//! Downlink frames on their way to a gateway: which item to try next, what each item's outcome
//! was, and which PULL_RESP tokens still wait for a TX_ACK.
//!
//! A [`DownlinkAttempt`] tries the items of one `DownlinkFrame` in order: an item the gateway
//! rejects (TOO_LATE, COLLISION_*, ...) or that cannot be encoded moves on to the next one; an
//! accepted or timed-out item ends the frame, since a timed-out item may still be transmitted.
//! [`InFlight`] holds the attempts waiting for a TX_ACK, keyed by gateway and token, with their
//! deadlines. Neither sends anything nor reads a clock.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use semtech_udp::{Datagram, ProtocolVersion, PullResp, Token};
use tern_proto::internal::v1 as pb;

use crate::convert::downlink::txpk;
use crate::error::{Error, Result};

/// What to do with the next item of an attempt.
#[derive(Debug)]
pub(crate) enum NextItem {
    /// Send this PULL_RESP and wait for its TX_ACK.
    Send(Vec<u8>),
    /// The item cannot be sent; it is marked `INTERNAL_ERROR` and the next one may be tried.
    Invalid(Error),
    /// Every item was tried.
    Exhausted,
}

/// One downlink frame being delivered to one gateway.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DownlinkAttempt {
    downlink_id: u32,
    gateway_eui: u64,
    items: Vec<pb::DownlinkTxItem>,
    statuses: Vec<pb::TxAckStatus>,
    next: usize,
    current: Option<usize>,
}

impl DownlinkAttempt {
    /// Starts delivering `frame` to `gateway_eui` (the gateway of the subject it came on).
    pub(crate) fn new(frame: pb::DownlinkFrame, gateway_eui: u64) -> DownlinkAttempt {
        DownlinkAttempt {
            downlink_id: frame.downlink_id,
            gateway_eui,
            statuses: vec![pb::TxAckStatus::Ignored; frame.items.len()],
            items: frame.items,
            next: 0,
            current: None,
        }
    }

    /// Returns the frame's downlink id.
    pub(crate) fn downlink_id(&self) -> u32 {
        self.downlink_id
    }

    /// Encodes the next untried item as a PULL_RESP with `token` (PROTOCOL.TXT §5.4, §6).
    pub(crate) fn next_item(&mut self, version: ProtocolVersion, token: Token) -> NextItem {
        let Some(item) = self.items.get(self.next) else {
            return NextItem::Exhausted;
        };
        let idx = self.next;
        self.next += 1;
        match encode(item, version, token) {
            Ok(bytes) => {
                self.current = Some(idx);
                NextItem::Send(bytes)
            }
            Err(error) => {
                self.statuses[idx] = pb::TxAckStatus::InternalError;
                NextItem::Invalid(error)
            }
        }
    }

    /// Records the outcome of the item last sent; returns whether another item should be
    /// tried (the item was rejected and one is left).
    pub(crate) fn record(&mut self, status: pb::TxAckStatus) -> bool {
        if let Some(idx) = self.current.take() {
            self.statuses[idx] = status;
        }
        if matches!(status, pb::TxAckStatus::Ok | pb::TxAckStatus::Timeout) {
            // The rest stay IGNORED: the gateway sent this item, or may still send it.
            self.next = self.items.len();
        }
        self.next < self.items.len()
    }

    /// Marks the item last sent, or else the next untried one, with `status` and gives up on
    /// the rest (they stay `IGNORED`).
    pub(crate) fn abandon(&mut self, status: pb::TxAckStatus) {
        let idx = self.current.take().unwrap_or(self.next);
        if let Some(slot) = self.statuses.get_mut(idx) {
            *slot = status;
        }
        self.next = self.items.len();
    }

    /// Returns the result label of a finished attempt: `ok`, `timeout` or `rejected`.
    pub(crate) fn result(&self) -> &'static str {
        if self.statuses.contains(&pb::TxAckStatus::Ok) {
            "ok"
        } else if self.statuses.contains(&pb::TxAckStatus::Timeout) {
            "timeout"
        } else {
            "rejected"
        }
    }

    /// Builds the acknowledgement with one status per item.
    pub(crate) fn tx_ack(&self) -> pb::DownlinkTxAck {
        pb::DownlinkTxAck {
            downlink_id: self.downlink_id,
            gateway_eui: self.gateway_eui,
            items: self
                .statuses
                .iter()
                .map(|status| pb::DownlinkTxAckItem {
                    status: *status as i32,
                })
                .collect(),
        }
    }
}

fn encode(item: &pb::DownlinkTxItem, version: ProtocolVersion, token: Token) -> Result<Vec<u8>> {
    let pull_resp = PullResp {
        version,
        token,
        txpk: txpk(item)?,
    };
    Datagram::PullResp(pull_resp)
        .encode()
        .map_err(Error::Encode)
}

/// An attempt waiting for its TX_ACK, with the span its acknowledgement is published in.
#[derive(Debug)]
pub(crate) struct Waiting {
    /// The attempt.
    pub(crate) attempt: DownlinkAttempt,
    /// The `downlink` span.
    pub(crate) span: tracing::Span,
    deadline: (Instant, u64),
}

/// Attempts waiting for a TX_ACK, by gateway and PULL_RESP token.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    waiting: HashMap<(u64, u16), Waiting>,
    deadlines: BTreeMap<(Instant, u64), (u64, u16)>,
    seq: u64,
}

impl InFlight {
    /// Tells whether a gateway's token is in use.
    pub(crate) fn contains(&self, gateway_eui: u64, token: Token) -> bool {
        self.waiting.contains_key(&(gateway_eui, token.0))
    }

    /// Tells whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Waits for the TX_ACK of `token` from `gateway_eui` until `deadline`.
    pub(crate) fn insert(
        &mut self,
        gateway_eui: u64,
        token: Token,
        attempt: DownlinkAttempt,
        span: tracing::Span,
        deadline: Instant,
    ) {
        self.seq += 1;
        let key = (deadline, self.seq);
        self.deadlines.insert(key, (gateway_eui, token.0));
        let waiting = Waiting {
            attempt,
            span,
            deadline: key,
        };
        if let Some(replaced) = self.waiting.insert((gateway_eui, token.0), waiting) {
            // Callers pick unused tokens; keep the deadline index consistent regardless.
            debug_assert!(false, "token reused while in flight");
            self.deadlines.remove(&replaced.deadline);
        }
    }

    /// Removes what waits for `token` from `gateway_eui`.
    pub(crate) fn remove(&mut self, gateway_eui: u64, token: Token) -> Option<Waiting> {
        let waiting = self.waiting.remove(&(gateway_eui, token.0))?;
        self.deadlines.remove(&waiting.deadline);
        Some(waiting)
    }

    /// Returns the earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.keys().next().map(|(deadline, _)| *deadline)
    }

    /// Removes and returns, oldest first, every attempt whose deadline is not after `now`.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Vec<(u64, Waiting)> {
        let mut expired = Vec::new();
        while let Some(entry) = self.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (gateway_eui, token) = entry.remove();
            if let Some(waiting) = self.waiting.remove(&(gateway_eui, token)) {
                expired.push((gateway_eui, waiting));
            }
        }
        expired
    }

    /// Removes and returns every waiting attempt.
    pub(crate) fn take_all(&mut self) -> Vec<(u64, Waiting)> {
        self.deadlines.clear();
        self.waiting
            .drain()
            .map(|((gateway_eui, _), waiting)| (gateway_eui, waiting))
            .collect()
    }
}

#[cfg(test)]
mod tests;
