//! Downlinks: a `DownlinkFrame` becomes a PULL_RESP per item tried, the gateway's TX_ACK (or
//! its absence) decides whether the next item is tried, and one `DownlinkTxAck` with every
//! item's status goes to `gw.{eui}.txack`.
//!
//! Protocol version 1 gateways send no TX_ACK, so their first sent item is reported OK at
//! once. Retrying on another gateway is the network server's decision, not the edge's.

use std::time::Instant;

use semtech_udp::{Identifier, ProtocolVersion, Token, TxAck};
use tern_proto::internal::v1 as pb;
use tracing::{Instrument, Span, debug, info_span};

use super::{Edge, eui_display};
use crate::convert::downlink::{status_label, tx_ack_status};
use crate::downlink::{DownlinkAttempt, NextItem};
use crate::route::RouteDownlink;

impl Edge {
    /// Starts delivering a downlink received on a route.
    pub(super) async fn on_downlink(&mut self, downlink: RouteDownlink) {
        let RouteDownlink {
            gateway_eui,
            delivery,
        } = downlink;
        let downlink_id = delivery.message().downlink_id;
        let span = info_span!("downlink", downlink_id, gateway_eui = %eui_display(gateway_eui));
        delivery.continue_trace(&span);
        let attempt = DownlinkAttempt::new(delivery.into_message(), gateway_eui);
        self.try_next(gateway_eui, attempt, span).await;
    }

    /// Matches a TX_ACK to the PULL_RESP it acknowledges.
    pub(super) async fn on_tx_ack(&mut self, tx_ack: &TxAck, eui: u64) {
        let Some(waiting) = self.in_flight.remove(eui, tx_ack.token) else {
            // Late (after the timeout), duplicated, or for a PULL_RESP another replica sent.
            self.metrics.datagram_dropped("unknown_token");
            debug!(gateway_eui = %eui_display(eui), token = tx_ack.token.0, "tx_ack for no pending downlink");
            return;
        };
        let status = tx_ack_status(tx_ack.txpk_ack.as_ref());
        self.record(eui, waiting.attempt, waiting.span, status)
            .await;
    }

    /// Reports every attempt whose TX_ACK is overdue as TIMEOUT.
    pub(super) async fn expire(&mut self, now: Instant) {
        for (eui, waiting) in self.in_flight.pop_expired(now) {
            self.record(eui, waiting.attempt, waiting.span, pb::TxAckStatus::Timeout)
                .await;
        }
    }

    /// At the end of a drain that ran out of time: reports every waiting attempt as TIMEOUT.
    pub(super) async fn abandon_in_flight(&mut self) {
        for (eui, waiting) in self.in_flight.take_all() {
            self.record(eui, waiting.attempt, waiting.span, pb::TxAckStatus::Timeout)
                .await;
        }
    }

    async fn record(
        &mut self,
        eui: u64,
        mut attempt: DownlinkAttempt,
        span: Span,
        status: pb::TxAckStatus,
    ) {
        self.metrics.tx_ack(status_label(status));
        if attempt.record(status) {
            self.try_next(eui, attempt, span).await;
        } else {
            self.finish(eui, attempt, span).await;
        }
    }

    /// Sends the next item that encodes, then waits for its TX_ACK; finishes the attempt when
    /// no item is left or the gateway cannot be reached.
    async fn try_next(&mut self, eui: u64, mut attempt: DownlinkAttempt, span: Span) {
        loop {
            let Some(pull) = self.table.get(eui).and_then(|gateway| gateway.pull) else {
                // The gateway was forgotten while the downlink was on its way.
                attempt.abandon(pb::TxAckStatus::InternalError);
                self.metrics
                    .tx_ack(status_label(pb::TxAckStatus::InternalError));
                break;
            };
            let Some(token) = self.free_token(eui) else {
                // Tens of thousands of downlinks wait on this gateway already.
                attempt.abandon(pb::TxAckStatus::QueueFull);
                self.metrics
                    .tx_ack(status_label(pb::TxAckStatus::QueueFull));
                break;
            };
            match attempt.next_item(pull.version, token) {
                NextItem::Exhausted => break,
                NextItem::Invalid(error) => {
                    self.metrics
                        .tx_ack(status_label(pb::TxAckStatus::InternalError));
                    span.in_scope(|| {
                        debug!(error = %error, reason = error.reason(), "downlink item cannot be sent");
                    });
                }
                NextItem::Send(bytes) => {
                    self.send(&bytes, pull.addr, Identifier::PullResp).await;
                    if pull.version == ProtocolVersion::V1 {
                        // Version 1 forwarders never acknowledge; sent is all we learn.
                        self.metrics.tx_ack(status_label(pb::TxAckStatus::Ok));
                        attempt.record(pb::TxAckStatus::Ok);
                        break;
                    }
                    let deadline = Instant::now() + self.timings.tx_ack_timeout;
                    self.in_flight.insert(eui, token, attempt, span, deadline);
                    return;
                }
            }
        }
        self.finish(eui, attempt, span).await;
    }

    /// Returns a PULL_RESP token no other downlink to this gateway waits on; `None` only when
    /// nearly all 65 536 tokens are taken.
    fn free_token(&mut self, eui: u64) -> Option<Token> {
        (0..64)
            // Truncation is intended: any 16 bits of a well-mixed id.
            .map(|_| Token(self.ids.next_u32() as u16))
            .find(|token| !self.in_flight.contains(eui, *token))
    }

    async fn finish(&mut self, eui: u64, attempt: DownlinkAttempt, span: Span) {
        self.metrics.downlink_done(attempt.result());
        let tx_ack = attempt.tx_ack();
        let subject = self.bus.subjects().gw_txack(eui);
        span.in_scope(|| {
            debug!(
                downlink_id = attempt.downlink_id(),
                result = attempt.result(),
                "downlink finished"
            );
        });
        let res = self.bus.publish(&subject, &tx_ack).instrument(span).await;
        if let Err(error) = res {
            self.publish_failed("tx_ack", &error);
        }
    }
}
