//! What every uplink task shares: stores, bus, metrics and settings.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lorawan_codec::NetId;
use lorawan_crypto::FOptsScheme;
use tern_bus::Bus;

use crate::dedup::Dedup;
use crate::keys::RedisKeys;
use crate::metrics::NetworkMetrics;
use crate::queue::QueueStore;
use crate::session::SessionStore;

/// Shared state of one network service; built once in `run`.
#[derive(Debug)]
pub(crate) struct Context<R> {
    pub(crate) bus: Bus,
    pub(crate) registry: R,
    pub(crate) sessions: SessionStore,
    pub(crate) dedup: Dedup,
    pub(crate) metrics: NetworkMetrics,
    pub(crate) dedup_window: Duration,
    pub(crate) join_request_timeout: Duration,
    pub(crate) net_id: NetId,
    pub(crate) f_opts_scheme: FOptsScheme,
    pub(crate) dev_status_interval: Duration,
    /// Downlink queues.
    pub(crate) queue: QueueStore,
    /// Redis for downlinks awaiting TX_ACK and class C locks (keys from `keys`).
    pub(crate) redis: fred::clients::Pool,
    pub(crate) keys: RedisKeys,
    /// `network.confirmed_downlink_max_attempts`.
    pub(crate) confirmed_max_attempts: u32,
    /// Hourly duty-cycle budgets of gateways.
    pub(crate) duty: crate::gateway_duty::GatewayDuty,
    pub(crate) next_downlink_id: AtomicU32,
    /// DevAddrs recently found to have no session and no ABP device.
    pub(crate) unknown_addrs: std::sync::Arc<crate::unknown_addrs::UnknownAddrs>,
}

impl<R> Context<R> {
    /// Returns a fresh downlink id for `DownlinkFrame.downlink_id`.
    pub(crate) fn downlink_id(&self) -> u32 {
        self.next_downlink_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// Returns the current time as Unix nanoseconds.
pub(crate) fn now_unix_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Returns 32 unpredictable bits from the standard library's randomly keyed hasher, enough
/// for DevAddr allocation and downlink ids (no cryptographic use).
pub(crate) fn random_u32() -> u32 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_i64(now_unix_ns());
    // Truncation intended: any 32 bits of the hash are as random as the others.
    hasher.finish() as u32
}
