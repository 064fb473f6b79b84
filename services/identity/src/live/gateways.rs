//! An in-memory map of gateway status, fed by `gw.*.status` (online or offline, published by
//! the network service on every change) and `gw.*.stats` (each gateway's periodic report).
//!
//! Every replica subscribes on its own (no queue group) and keeps its own map, so any replica
//! answers `GatewayService.GetStatus`. A replica started after a gateway's last report asks
//! the network service, which owns the status in Redis, on `ns.gateway_status`
//! (`grpc::gateway_status`) and applies the answer here like a status event.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures::StreamExt as _;
use tern_bus::Bus;
use tern_proto::internal::v1 as pb;
use tern_telemetry::Shutdown;
use tokio::task::JoinHandle;
use tracing::debug;

/// What one replica knows of one gateway.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct GatewayState {
    /// Whether the gateway is online.
    pub online: bool,
    /// When its statistics last arrived, Unix nanoseconds.
    pub last_seen_at_unix_ns: i64,
    /// Its latest statistics.
    pub stats: Option<pb::GatewayStats>,
    /// Sequence of the latest `gw.{eui}.status` applied; older ones are ignored.
    sequence: u64,
}

/// Gateway status by EUI, shared between the feeding task and the handlers.
#[derive(Debug, Clone, Default)]
pub(crate) struct GatewayCache {
    inner: Arc<RwLock<HashMap<u64, GatewayState>>>,
}

impl GatewayCache {
    /// Returns what this replica knows of `gateway_eui`.
    pub(crate) fn get(&self, gateway_eui: u64) -> Option<GatewayState> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&gateway_eui)
            .cloned()
    }

    /// Applies a status change, unless a later one was applied already.
    pub(crate) fn apply_status(&self, status: pb::GatewayStatus) {
        let mut map = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = map.entry(status.gateway_eui).or_default();
        if status.sequence < state.sequence {
            return;
        }
        state.sequence = status.sequence;
        state.online = status.online;
        state.last_seen_at_unix_ns = state.last_seen_at_unix_ns.max(status.last_seen_at_unix_ns);
        if status.stats.is_some() {
            state.stats = status.stats;
        }
    }

    /// Applies a statistics report: the gateway talks, so it is online.
    pub(crate) fn apply_stats(&self, stats: pb::GatewayStats) {
        let mut map = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = map.entry(stats.gateway_eui).or_default();
        state.online = true;
        state.last_seen_at_unix_ns = state.last_seen_at_unix_ns.max(stats.received_at_unix_ns);
        state.stats = Some(stats);
    }

    /// Subscribes to `gw.*.status` and `gw.*.stats` and feeds the map until `shutdown`.
    pub(crate) async fn spawn(
        &self,
        bus: &Bus,
        shutdown: Shutdown,
    ) -> tern_bus::Result<JoinHandle<()>> {
        let subjects = bus.subjects();
        let mut statuses = bus
            .subscribe::<pb::GatewayStatus>(&subjects.gw_status_all())
            .await?;
        let mut stats = bus
            .subscribe::<pb::GatewayStats>(&subjects.gw_stats_all())
            .await?;
        let cache = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                tokio::select! {
                    biased;
                    () = shutdown.wait() => break,
                    delivery = statuses.next() => match delivery {
                        Some(delivery) => cache.apply_status(delivery.into_message()),
                        None => break,
                    },
                    delivery = stats.next() => match delivery {
                        Some(delivery) => cache.apply_stats(delivery.into_message()),
                        None => break,
                    },
                }
            }
            // Nothing is in flight once the loop ends; unsubscribing is enough.
            let _ = statuses.unsubscribe().await;
            let _ = stats.unsubscribe().await;
            debug!("gateway status cache stopped");
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(online: bool, sequence: u64) -> pb::GatewayStatus {
        pb::GatewayStatus {
            gateway_eui: 7,
            online,
            last_seen_at_unix_ns: 10,
            sequence,
            ..pb::GatewayStatus::default()
        }
    }

    #[test]
    fn keeps_the_status_with_the_highest_sequence() {
        let cache = GatewayCache::default();
        cache.apply_status(status(false, 3));
        cache.apply_status(status(true, 2));
        assert!(!cache.get(7).unwrap().online);
        cache.apply_status(status(true, 4));
        assert!(cache.get(7).unwrap().online);
        assert_eq!(cache.get(8), None);
    }

    #[test]
    fn stats_mark_the_gateway_online_and_seen() {
        let cache = GatewayCache::default();
        cache.apply_status(status(false, 1));
        cache.apply_stats(pb::GatewayStats {
            gateway_eui: 7,
            received_at_unix_ns: 99,
            rx_ok: 5,
            ..pb::GatewayStats::default()
        });
        let state = cache.get(7).unwrap();
        assert!(state.online);
        assert_eq!(state.last_seen_at_unix_ns, 99);
        assert_eq!(state.stats.unwrap().rx_ok, 5);
    }
}
