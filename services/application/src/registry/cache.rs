//! A per-replica cache of devices in front of the registry, so an uplink costs no database
//! query. Entries are dropped when the identity service announces a change on
//! `registry.{device,device_profile,application}.*.*`, when this replica changes a device over
//! `as.device`, and after a TTL that bounds staleness should an event be lost (registry events
//! are best effort).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt as _;
use lorawan_codec::Eui64;
use tern_bus::{Bus, Subscription};
use tern_proto::internal::v1::RegistryEvent;
use tern_telemetry::Shutdown;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::{ApplicationDevice, ApplicationRegistry, Integration};
use crate::Result;

/// How long a cached device is trusted without an event.
pub const DEVICE_TTL: Duration = Duration::from_secs(60);

/// Most devices one replica caches; beyond it, expired entries go first, then all.
pub const MAX_DEVICES: usize = 1_000_000;

/// Cached devices and the generation that orders reads against invalidations.
#[derive(Debug, Default)]
struct State {
    devices: HashMap<Eui64, (Instant, ApplicationDevice)>,
    /// Bumped by every invalidation: a read that started under an older generation may have
    /// fetched a row the invalidation replaced, so its result is not cached.
    generation: u64,
}

/// An [`ApplicationRegistry`] that caches [`ApplicationRegistry::device`] lookups.
#[derive(Debug, Clone)]
pub struct CachedRegistry<R> {
    inner: R,
    state: Arc<Mutex<State>>,
    ttl: Duration,
    max_devices: usize,
}

impl<R: ApplicationRegistry> CachedRegistry<R> {
    /// Wraps `inner` with the default TTL and size bound.
    pub fn new(inner: R) -> CachedRegistry<R> {
        CachedRegistry::with_limits(inner, DEVICE_TTL, MAX_DEVICES)
    }

    /// Wraps `inner`, trusting entries for `ttl` and keeping at most `max_devices`.
    pub fn with_limits(inner: R, ttl: Duration, max_devices: usize) -> CachedRegistry<R> {
        CachedRegistry {
            inner,
            state: Arc::default(),
            ttl,
            max_devices: max_devices.max(1),
        }
    }

    /// Returns the wrapped registry.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a cache: after a panic elsewhere its content is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops one device.
    pub fn invalidate(&self, dev_eui: Eui64) {
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        state.devices.remove(&dev_eui);
    }

    /// Drops every device (a profile or application changed, or events may have been missed).
    pub fn invalidate_all(&self) {
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        state.devices.clear();
    }

    /// Number of cached devices.
    pub fn len(&self) -> usize {
        self.lock().devices.len()
    }

    /// Tells whether no device is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies one registry event.
    pub fn apply(&self, event: &RegistryEvent) {
        match event.kind.as_str() {
            "device" => match u64::from_str_radix(&event.id, 16) {
                Ok(dev_eui) if event.id.len() == 16 => self.invalidate(Eui64::from_u64(dev_eui)),
                _ => {
                    warn!(id = %event.id, "registry device event with a malformed DevEUI");
                    self.invalidate_all();
                }
            },
            "device_profile" | "application" => self.invalidate_all(),
            _ => {}
        }
    }

    fn insert(&self, generation: u64, device: &ApplicationDevice) {
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        if state.devices.len() >= self.max_devices {
            let ttl = self.ttl;
            let now = Instant::now();
            state
                .devices
                .retain(|_, (at, _)| now.duration_since(*at) < ttl);
            if state.devices.len() >= self.max_devices {
                state.devices.clear();
            }
        }
        state
            .devices
            .insert(device.dev_eui, (Instant::now(), device.clone()));
    }
}

impl<R: ApplicationRegistry> ApplicationRegistry for CachedRegistry<R> {
    async fn set_device(&self, device: &ApplicationDevice) -> Result<()> {
        let result = self.inner.set_device(device).await;
        self.invalidate(device.dev_eui);
        result
    }

    async fn device(&self, dev_eui: Eui64) -> Result<Option<ApplicationDevice>> {
        let generation = {
            let state = self.lock();
            if let Some((at, device)) = state.devices.get(&dev_eui)
                && at.elapsed() < self.ttl
            {
                return Ok(Some(device.clone()));
            }
            state.generation
        };
        let device = self.inner.device(dev_eui).await?;
        // Unknown devices are not cached: one may be provisioned on another replica at any
        // moment, and its first uplink must not be refused here.
        if let Some(device) = &device {
            self.insert(generation, device);
        }
        Ok(device)
    }

    async fn delete_device(&self, dev_eui: Eui64) -> Result<bool> {
        let result = self.inner.delete_device(dev_eui).await;
        self.invalidate(dev_eui);
        result
    }

    async fn set_integration(&self, integration: &Integration) -> Result<()> {
        self.inner.set_integration(integration).await
    }

    async fn integrations(&self, application_id: &str) -> Result<Vec<Integration>> {
        self.inner.integrations(application_id).await
    }

    async fn delete_integration(&self, application_id: &str, integration_id: &str) -> Result<bool> {
        self.inner
            .delete_integration(application_id, integration_id)
            .await
    }
}

/// Subscribes to the registry events that can change a cached device; every replica gets
/// each event (no queue group).
pub async fn subscribe(bus: &Bus) -> anyhow::Result<Vec<Subscription<RegistryEvent>>> {
    use anyhow::Context as _;
    let subjects = bus.subjects();
    let mut subscriptions = Vec::new();
    for kind in ["device", "device_profile", "application"] {
        let subject = subjects.registry_kind(kind).context("registry subject")?;
        subscriptions.push(
            bus.subscribe::<RegistryEvent>(&subject)
                .await
                .with_context(|| format!("subscribe to registry.{kind}.>"))?,
        );
    }
    Ok(subscriptions)
}

/// Applies registry events to `cache` until `shutdown`. When the subscriptions end without a
/// shutdown (the connection was closed for good), the cache is cleared and from then on
/// relies on its TTL alone.
pub async fn follow<R: ApplicationRegistry>(
    cache: CachedRegistry<R>,
    subscriptions: Vec<Subscription<RegistryEvent>>,
    shutdown: Shutdown,
) {
    let mut events = futures::stream::select_all(subscriptions);
    loop {
        tokio::select! {
            () = shutdown.wait() => return,
            event = events.next() => match event {
                Some(delivery) => {
                    let event = delivery.into_message();
                    debug!(kind = %event.kind, id = %event.id, action = %event.action, "registry event");
                    cache.apply(&event);
                }
                None => {
                    warn!("registry event subscription ended; device cache cleared");
                    cache.invalidate_all();
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::formatter::Formatter;

    /// An in-memory registry that counts device reads.
    #[derive(Debug, Clone, Default)]
    struct Counting {
        devices: Arc<Mutex<HashMap<Eui64, ApplicationDevice>>>,
        reads: Arc<AtomicUsize>,
    }

    impl ApplicationRegistry for Counting {
        async fn set_device(&self, device: &ApplicationDevice) -> Result<()> {
            self.devices
                .lock()
                .unwrap()
                .insert(device.dev_eui, device.clone());
            Ok(())
        }
        async fn device(&self, dev_eui: Eui64) -> Result<Option<ApplicationDevice>> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(self.devices.lock().unwrap().get(&dev_eui).cloned())
        }
        async fn delete_device(&self, dev_eui: Eui64) -> Result<bool> {
            Ok(self.devices.lock().unwrap().remove(&dev_eui).is_some())
        }
        async fn set_integration(&self, _: &Integration) -> Result<()> {
            Ok(())
        }
        async fn integrations(&self, _: &str) -> Result<Vec<Integration>> {
            Ok(Vec::new())
        }
        async fn delete_integration(&self, _: &str, _: &str) -> Result<bool> {
            Ok(false)
        }
    }

    fn device(dev_eui: u64, name: &str) -> ApplicationDevice {
        ApplicationDevice {
            dev_eui: Eui64::from_u64(dev_eui),
            application_id: String::from("app"),
            device_id: format!("d{dev_eui}"),
            name: name.to_owned(),
            formatter: Formatter::None,
        }
    }

    fn event(kind: &str, id: &str) -> RegistryEvent {
        RegistryEvent {
            kind: kind.to_owned(),
            id: id.to_owned(),
            action: String::from("updated"),
            ..RegistryEvent::default()
        }
    }

    #[tokio::test]
    async fn a_device_is_read_once_until_an_event_names_it() {
        let inner = Counting::default();
        inner.set_device(&device(1, "old")).await.unwrap();
        let cache = CachedRegistry::new(inner.clone());
        for _ in 0..3 {
            assert_eq!(
                cache
                    .device(Eui64::from_u64(1))
                    .await
                    .unwrap()
                    .unwrap()
                    .name,
                "old"
            );
        }
        assert_eq!(inner.reads.load(Ordering::SeqCst), 1);

        // Another replica changed the row; the identity service announces it.
        inner.set_device(&device(1, "new")).await.unwrap();
        cache.apply(&event("device", "0000000000000002"));
        assert_eq!(
            cache
                .device(Eui64::from_u64(1))
                .await
                .unwrap()
                .unwrap()
                .name,
            "old"
        );
        cache.apply(&event("device", "0000000000000001"));
        assert_eq!(
            cache
                .device(Eui64::from_u64(1))
                .await
                .unwrap()
                .unwrap()
                .name,
            "new"
        );
        assert_eq!(inner.reads.load(Ordering::SeqCst), 2);

        cache.apply(&event("device_profile", "p1"));
        assert!(cache.is_empty());
        cache.apply(&event("gateway", "0000000000000001"));
        cache.device(Eui64::from_u64(1)).await.unwrap();
        cache.apply(&event("device", "not-hex"));
        assert!(cache.is_empty(), "a malformed id clears everything");
    }

    #[tokio::test]
    async fn unknown_devices_are_not_cached_and_local_changes_invalidate() {
        let inner = Counting::default();
        let cache = CachedRegistry::new(inner.clone());
        assert!(cache.device(Eui64::from_u64(7)).await.unwrap().is_none());
        cache.inner().set_device(&device(7, "late")).await.unwrap();
        assert_eq!(
            cache
                .device(Eui64::from_u64(7))
                .await
                .unwrap()
                .unwrap()
                .name,
            "late"
        );

        cache.set_device(&device(7, "renamed")).await.unwrap();
        assert_eq!(
            cache
                .device(Eui64::from_u64(7))
                .await
                .unwrap()
                .unwrap()
                .name,
            "renamed"
        );
        assert!(cache.delete_device(Eui64::from_u64(7)).await.unwrap());
        assert!(cache.device(Eui64::from_u64(7)).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_read_racing_an_invalidation_is_not_cached() {
        let inner = Counting::default();
        inner.set_device(&device(3, "old")).await.unwrap();
        let cache = CachedRegistry::new(inner.clone());
        let generation = cache.lock().generation;
        let fetched = inner.device(Eui64::from_u64(3)).await.unwrap().unwrap();
        cache.invalidate(Eui64::from_u64(3));
        cache.insert(generation, &fetched);
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn entries_expire_and_the_size_is_bounded() {
        let inner = Counting::default();
        for n in 0..4 {
            inner.set_device(&device(n, "x")).await.unwrap();
        }
        let cache = CachedRegistry::with_limits(inner.clone(), Duration::from_millis(30), 2);
        for n in 0..4 {
            cache.device(Eui64::from_u64(n)).await.unwrap();
            assert!(cache.len() <= 2);
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
        let before = inner.reads.load(Ordering::SeqCst);
        cache.device(Eui64::from_u64(3)).await.unwrap();
        assert_eq!(
            inner.reads.load(Ordering::SeqCst),
            before + 1,
            "expired entry re-read"
        );
    }
}
