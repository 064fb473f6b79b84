//! PUSH_DATA: CRC-valid rxpks become `UplinkFrame`s on `up`, `stat` becomes `GatewayStats` on
//! `gw.{eui}.stats`, within the gateway's rate limit.
//!
//! Publishing only queues the message on the NATS connection; nothing here waits for the
//! server, so the receive loop keeps its pace.

use std::time::Instant;

use semtech_udp::{CrcStatus, PushData};
use tracing::{Instrument, info_span, warn};

use super::{Edge, eui_display};
use crate::claim::now_unix_ns;
use crate::convert::uplink::{Reception, gateway_stats, location, uplink_frame};

impl Edge {
    pub(super) async fn on_push_data(&mut self, push_data: PushData, eui: u64, now: Instant) {
        for rejected in &push_data.rejected {
            self.object_rejected(eui, rejected.error.reason(), &rejected.error);
        }
        let received_at_unix_ns = now_unix_ns();
        let limit = self.table.rate_limit();
        let Some(gateway) = self.table.get_mut(eui) else {
            // Admitted just before; the table cannot have lost it in between.
            return;
        };
        let mut stats = None;
        if let Some(stat) = &push_data.stat {
            if let Some(reported) = location(stat) {
                gateway.location = Some(reported);
            }
            if gateway.try_take(limit.as_ref(), now) {
                stats = Some(gateway_stats(stat, eui, received_at_unix_ns));
            } else {
                self.metrics.stats_dropped("rate_limited");
            }
        }
        let location = gateway.location;
        let mut frames = Vec::with_capacity(push_data.rxpk.len());
        let mut rate_limited = 0usize;
        for rxpk in &push_data.rxpk {
            match rxpk.stat {
                CrcStatus::Ok => {}
                CrcStatus::Bad => {
                    self.metrics.uplink_dropped("crc_error");
                    continue;
                }
                CrcStatus::NoCrc => {
                    self.metrics.uplink_dropped("no_crc");
                    continue;
                }
            }
            if !gateway.try_take(limit.as_ref(), now) {
                rate_limited += 1;
                continue;
            }
            let reception = Reception {
                gateway_eui: eui,
                uplink_id: self.ids.next_u32(),
                received_at_unix_ns,
                location,
            };
            frames.push(uplink_frame(rxpk, &reception));
        }
        if rate_limited > 0 {
            for _ in 0..rate_limited {
                self.metrics.uplink_dropped("rate_limited");
            }
            if !gateway.rate_limit_warned {
                gateway.rate_limit_warned = true;
                warn!(gateway_eui = %eui_display(eui), "gateway exceeds uplinks_per_second; excess uplinks are dropped");
            }
        }
        if let Some(stats) = stats {
            let subject = self.bus.subjects().gw_stats(eui);
            match self.bus.publish(&subject, &stats).await {
                Ok(()) => self.metrics.stats_forwarded(),
                Err(error) => {
                    self.metrics.stats_dropped("publish_error");
                    self.publish_failed("stats", &error);
                }
            }
        }
        for frame in frames {
            let frame = match frame {
                Ok(frame) => frame,
                Err(error) => {
                    self.object_rejected(eui, error.reason(), &error);
                    continue;
                }
            };
            let uplink_id = frame.rx_metadata.first().map_or(0, |rx| rx.uplink_id);
            let span = info_span!("uplink", gateway_eui = %eui_display(eui), uplink_id);
            let res = self
                .bus
                .publish(&self.up_subject, &frame)
                .instrument(span)
                .await;
            match res {
                Ok(()) => self.metrics.uplink_forwarded(),
                Err(error) => {
                    self.metrics.uplink_dropped("publish_error");
                    self.publish_failed("uplink", &error);
                }
            }
        }
    }
}
