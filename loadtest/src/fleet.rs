//! The virtual devices: what each one is (its plan) and its live state, the DevAddr index
//! downlinks are routed by, and the join-requests awaiting their join-accept.
//!
//! A device's [`tern_sim::Device`] sits behind a short-held mutex: the sender builds uplinks
//! with it and the gateway receive tasks open downlinks with it, never across an await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};

use lorawan_codec::Eui64;
use lorawan_region::Band;
use tern_sim::{Device, DeviceClass, DeviceConfig, MacVersion, RootKeys};
use tokio::sync::Notify;

use crate::config::FleetConfig;
use crate::ids::FleetIds;

/// What one device is.
#[derive(Debug, Clone)]
pub(crate) struct DevicePlan {
    /// Position in the fleet.
    pub index: usize,
    /// DevEUI.
    pub dev_eui: Eui64,
    /// Link layer version.
    pub mac_version: MacVersion,
    /// Class.
    pub class: DeviceClass,
    /// Activated by personalisation rather than over the air.
    pub abp: bool,
    /// Root keys.
    pub root_keys: RootKeys,
    /// Seed of the device's random choices.
    pub seed: u64,
}

/// Share decision kinds, so the class and other choices are independent.
const SHARE_CLASS_C: u64 = 100;
const SHARE_ABP: u64 = 101;

/// Plans the fleet's devices.
pub(crate) fn plan(ids: &FleetIds, config: &FleetConfig) -> Vec<DevicePlan> {
    let join_eui = ids.join_eui();
    (0..config.devices)
        .map(|index| {
            let mac_version = config
                .mac_versions
                .get(index % config.mac_versions.len().max(1))
                .copied()
                .unwrap_or(MacVersion::V1_0_3);
            let class = if ids.in_share(index, SHARE_CLASS_C, config.class_c_share) {
                DeviceClass::C
            } else {
                DeviceClass::A
            };
            let dev_eui = ids.dev_eui(index);
            let app_key = ids.root_key(index, 0);
            let root_keys = if mac_version == MacVersion::V1_1 {
                RootKeys {
                    dev_eui,
                    join_eui,
                    app_key,
                    nwk_key: ids.root_key(index, 1),
                }
            } else {
                RootKeys::v1_0(dev_eui, join_eui, app_key)
            };
            DevicePlan {
                index,
                dev_eui,
                mac_version,
                class,
                abp: ids.in_share(index, SHARE_ABP, config.abp_share),
                root_keys,
                seed: ids.device_seed(index),
            }
        })
        .collect()
}

/// One live device.
#[derive(Debug)]
pub(crate) struct DeviceSlot {
    /// Its plan.
    pub plan: DevicePlan,
    device: Mutex<Device>,
    /// Woken when a join-accept was opened.
    pub joined: Notify,
    /// Whether the device has a session.
    pub has_session: AtomicBool,
    /// Until when (ns since the run's start) the device waits for the ACK of a confirmed
    /// uplink before it sends again; 0 when it waits for nothing.
    pub busy_until_ns: AtomicU64,
    /// Application downlinks queued for it through the API.
    pub downlinks_expected: AtomicU32,
    /// Application downlinks it received with the expected content.
    pub downlinks_ok: AtomicU32,
    /// Confirmed uplinks it sent.
    pub confirmed_sent: AtomicU32,
    /// Downlinks with the ACK bit it received.
    pub acks_received: AtomicU32,
}

impl DeviceSlot {
    /// Locks the device state; a panic elsewhere while holding it leaves a usable state, as
    /// every device method changes nothing on failure.
    pub(crate) fn device(&self) -> MutexGuard<'_, Device> {
        self.device.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells whether the device may send at `now_ns`.
    pub(crate) fn ready(&self, now_ns: u64) -> bool {
        self.has_session.load(Ordering::Relaxed)
            && self.busy_until_ns.load(Ordering::Relaxed) <= now_ns
    }
}

/// Every device, the DevAddr index and the pending joins.
#[derive(Debug)]
pub(crate) struct Fleet {
    /// The devices, by index.
    pub devices: Vec<DeviceSlot>,
    by_dev_addr: RwLock<HashMap<u32, Vec<usize>>>,
    /// Join-requests awaiting a join-accept: (gateway index, uplink tmst) to device index.
    pending_joins: Mutex<HashMap<(usize, u32), usize>>,
}

impl Fleet {
    /// Builds the devices of `plans` in `band`.
    pub(crate) fn new(plans: Vec<DevicePlan>, band: &Band) -> Fleet {
        let devices = plans
            .into_iter()
            .map(|plan| {
                let mut config = DeviceConfig::new(plan.mac_version, band.clone());
                config.class = plan.class;
                config.seed = plan.seed;
                let device = Device::otaa(config, plan.root_keys.clone());
                DeviceSlot {
                    plan,
                    device: Mutex::new(device),
                    joined: Notify::new(),
                    has_session: AtomicBool::new(false),
                    busy_until_ns: AtomicU64::new(0),
                    downlinks_expected: AtomicU32::new(0),
                    downlinks_ok: AtomicU32::new(0),
                    confirmed_sent: AtomicU32::new(0),
                    acks_received: AtomicU32::new(0),
                }
            })
            .collect();
        Fleet {
            devices,
            by_dev_addr: RwLock::new(HashMap::new()),
            pending_joins: Mutex::new(HashMap::new()),
        }
    }

    /// Records that device `index` now has session address `dev_addr`, replacing an older
    /// one it had.
    pub(crate) fn set_dev_addr(&self, index: usize, old: Option<u32>, dev_addr: u32) {
        let mut map = self
            .by_dev_addr
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = old
            && let Some(indexes) = map.get_mut(&old)
        {
            indexes.retain(|other| *other != index);
            if indexes.is_empty() {
                map.remove(&old);
            }
        }
        let indexes = map.entry(dev_addr).or_default();
        if !indexes.contains(&index) {
            indexes.push(index);
        }
    }

    /// Returns the devices using `dev_addr` (usually one; the network server may reuse an
    /// address, and the MIC then tells them apart).
    pub(crate) fn by_dev_addr(&self, dev_addr: u32) -> Vec<usize> {
        self.by_dev_addr
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&dev_addr)
            .cloned()
            .unwrap_or_default()
    }

    fn pending(&self) -> MutexGuard<'_, HashMap<(usize, u32), usize>> {
        self.pending_joins
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a join-request of device `index` heard by gateway `gateway` at `tmst`.
    pub(crate) fn add_pending_join(&self, gateway: usize, tmst: u32, index: usize) {
        self.pending().insert((gateway, tmst), index);
    }

    /// Forgets a join-request.
    pub(crate) fn remove_pending_join(&self, gateway: usize, tmst: u32) {
        self.pending().remove(&(gateway, tmst));
    }

    /// Returns the device whose join-request gateway `gateway` heard at `tmst`.
    pub(crate) fn pending_join(&self, gateway: usize, tmst: u32) -> Option<usize> {
        self.pending().get(&(gateway, tmst)).copied()
    }

    /// Gives device `index` an ABP session with `dev_addr` and `keys`, replacing its OTAA
    /// state. The session must be known to the servers as well (`generate` sends to no
    /// server and needs none).
    pub(crate) fn activate_abp(
        &self,
        index: usize,
        band: &Band,
        dev_addr: lorawan_codec::DevAddr,
        keys: tern_sim::SessionKeys,
    ) {
        let Some(slot) = self.devices.get(index) else {
            return;
        };
        let mut config = DeviceConfig::new(slot.plan.mac_version, band.clone());
        config.class = slot.plan.class;
        config.seed = slot.plan.seed;
        let old = {
            let mut device = slot.device();
            let old = device.dev_addr().map(lorawan_codec::DevAddr::to_u32);
            *device = Device::abp(config, dev_addr, keys);
            old
        };
        self.set_dev_addr(index, old, dev_addr.to_u32());
        slot.has_session.store(true, Ordering::Release);
    }

    /// Returns the indexes of the devices with a session.
    pub(crate) fn joined(&self) -> Vec<usize> {
        self.devices
            .iter()
            .filter(|slot| slot.has_session.load(Ordering::Relaxed))
            .map(|slot| slot.plan.index)
            .collect()
    }
}
