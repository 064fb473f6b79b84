//! DevAddrs recently found to belong to no session and no ABP device, so that traffic of
//! foreign networks heard by our gateways (common in cities) costs no registry query per frame.
//!
//! An entry lives [`TTL`]; every registry device event (`registry.device.*.*`, any replica)
//! and every device this replica provisions over `ns.device` clears the whole set, because an
//! event names the DevEUI, not the DevAddr. OTAA sessions need no clearing: the session lookup
//! in Redis comes before this set is consulted, and it is consulted only when Redis has none.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt as _;
use lorawan_codec::DevAddr;
use tern_bus::{Bus, Subscription};
use tern_proto::internal::v1::RegistryEvent;
use tern_telemetry::Shutdown;
use tokio::time::Instant;
use tracing::warn;

/// How long a DevAddr stays known as unknown: the longest an ABP device activated while an
/// event was lost waits before this replica looks again.
pub(crate) const TTL: Duration = Duration::from_secs(10);

/// Most DevAddrs remembered; beyond it the set starts over.
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// The set of DevAddrs known to be unknown.
#[derive(Debug, Default)]
pub(crate) struct UnknownAddrs {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    addrs: HashMap<DevAddr, Instant>,
    /// Bumped by every clear, so a lookup that started before a device was provisioned does
    /// not record its DevAddr as unknown afterwards.
    generation: u64,
}

impl UnknownAddrs {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A cache: its content stays usable after a panic elsewhere.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Tells whether `dev_addr` was found unknown less than [`TTL`] ago; otherwise returns the
    /// generation to pass to [`UnknownAddrs::record`] after looking it up.
    pub(crate) fn check(&self, dev_addr: DevAddr) -> Result<(), u64> {
        let state = self.lock();
        match state.addrs.get(&dev_addr) {
            Some(at) if at.elapsed() < TTL => Ok(()),
            _ => Err(state.generation),
        }
    }

    /// Records `dev_addr` as unknown, unless the set was cleared since `generation`.
    pub(crate) fn record(&self, dev_addr: DevAddr, generation: u64) {
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        if state.addrs.len() >= MAX_ENTRIES {
            let now = Instant::now();
            state.addrs.retain(|_, at| now.duration_since(*at) < TTL);
            if state.addrs.len() >= MAX_ENTRIES {
                state.addrs.clear();
            }
        }
        state.addrs.insert(dev_addr, Instant::now());
    }

    /// Forgets every DevAddr: a device was added or changed somewhere.
    pub(crate) fn clear(&self) {
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        state.addrs.clear();
    }
}

/// Subscribes to device registry events; every replica gets each event (no queue group).
pub(crate) async fn subscribe(bus: &Bus) -> anyhow::Result<Subscription<RegistryEvent>> {
    use anyhow::Context as _;
    let subject = bus
        .subjects()
        .registry_kind("device")
        .context("registry subject")?;
    bus.subscribe::<RegistryEvent>(&subject)
        .await
        .context("subscribe to registry.device.>")
}

/// Clears `addrs` on every device event until `shutdown`.
pub(crate) async fn follow(
    addrs: std::sync::Arc<UnknownAddrs>,
    mut events: Subscription<RegistryEvent>,
    shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            () = shutdown.wait() => return,
            event = events.next() => match event {
                Some(_) => addrs.clear(),
                None => {
                    warn!("registry event subscription ended; unknown DevAddrs expire by TTL only");
                    addrs.clear();
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_cleared_and_ignores_lookups_older_than_a_clear() {
        let addrs = UnknownAddrs::default();
        let dev_addr = DevAddr::from_u32(0x2601_0001);
        let generation = addrs.check(dev_addr).unwrap_err();
        addrs.record(dev_addr, generation);
        assert_eq!(addrs.check(dev_addr), Ok(()));
        assert!(addrs.check(DevAddr::from_u32(0x2601_0002)).is_err());

        addrs.clear();
        let generation = addrs.check(dev_addr).unwrap_err();
        // A device was provisioned while the registry was being read.
        addrs.clear();
        addrs.record(dev_addr, generation);
        assert!(addrs.check(dev_addr).is_err());
    }

    #[test]
    fn the_set_is_bounded() {
        let addrs = UnknownAddrs::default();
        for n in 0..=u32::try_from(MAX_ENTRIES).unwrap() {
            let generation = addrs.check(DevAddr::from_u32(n)).unwrap_err();
            addrs.record(DevAddr::from_u32(n), generation);
        }
        assert!(addrs.lock().addrs.len() <= MAX_ENTRIES);
    }
}
