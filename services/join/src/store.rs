//! The join server's state behind one narrow trait: root keys per device, and the nonce
//! bookkeeping each join updates atomically.
//!
//! [`JoinStore`] is what the request handler needs and nothing more, so an embedded store can
//! replace PostgreSQL ([`PgJoinStore`]) later. Implementations keep root keys wrapped at rest
//! and hand them out unwrapped; they never log keys.

mod migrations;
mod postgres;

use std::future::Future;

use lorawan_codec::{Aes128Key, DevNonce, Eui64, JoinNonce};

use crate::{MacVersion, Result};

pub use postgres::PgJoinStore;

/// What the join server knows of one device: identity, LoRaWAN version and root keys
/// (LoRaWAN 1.1 §6.1.1.3; LoRaWAN 1.0.x devices have only the AppKey).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRootKeys {
    /// DevEUI; the device's key in the store.
    pub dev_eui: Eui64,
    /// JoinEUI (AppEUI in LoRaWAN 1.0.x) the device joins with.
    pub join_eui: Eui64,
    /// LoRaWAN L2 version of the device.
    pub mac_version: MacVersion,
    /// AppKey.
    pub app_key: Aes128Key,
    /// NwkKey; required to join with LoRaWAN 1.1, unused before.
    pub nwk_key: Option<Aes128Key>,
}

/// The replay check a join performs on its nonce, chosen by request type and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// Join-request of a LoRaWAN 1.0.4 or 1.1 device: the DevNonce must exceed the last one
    /// accepted (any value is accepted first), LoRaWAN 1.0.4 §6.2.5.
    DevNonceCounter(DevNonce),
    /// Join-request of a LoRaWAN 1.0.0 to 1.0.3 device: the random DevNonce must not be among
    /// the last [`JoinRecord::history_len`] accepted, LoRaWAN 1.0.3 §6.2.4.
    DevNonceHistory(DevNonce),
    /// Rejoin-request type 1: RJcount1 must exceed the last one accepted, LoRaWAN 1.1 §6.2.4.4.
    RjCount1(u16),
    /// Rejoin-request type 0 or 2: RJcount0 is checked by the network server, which holds the
    /// session; only a JoinNonce is allocated.
    Unchecked,
}

/// One join to record: whose, and which nonce to check and remember.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinRecord {
    /// DevEUI of the device.
    pub dev_eui: Eui64,
    /// JoinEUI the request was checked against; the join fails if the device changed since.
    pub join_eui: Eui64,
    /// The nonce check.
    pub check: NonceCheck,
    /// How many accepted DevNonces to remember per device (`join.dev_nonce_history`).
    pub history_len: u32,
}

/// Storage of the join server.
///
/// Futures are `Send` so the handler can run on any runtime thread.
pub trait JoinStore: Send + Sync + 'static {
    /// Creates or replaces a device's root keys and version.
    ///
    /// The JoinNonce counter survives replacement, so a LoRaWAN 1.1 device, which requires the
    /// JoinNonce to increase (LoRaWAN 1.1 §6.2.3), keeps joining after re-keying. DevNonce and
    /// RJcount1 history survive too, unless the JoinEUI changes: a new JoinEUI lets a device
    /// restart its DevNonce counter (LoRaWAN 1.0.4 §6.2.5).
    fn set_device(&self, device: &DeviceRootKeys) -> impl Future<Output = Result<()>> + Send;

    /// Deletes a device and its nonce history; tells whether it existed.
    fn delete_device(&self, dev_eui: Eui64) -> impl Future<Output = Result<bool>> + Send;

    /// Returns a device with its root keys unwrapped, or `None` when unknown.
    fn device(&self, dev_eui: Eui64)
    -> impl Future<Output = Result<Option<DeviceRootKeys>>> + Send;

    /// Checks and records the nonce of one join and allocates the next JoinNonce, atomically:
    /// of concurrent joins with the same nonce exactly one succeeds.
    ///
    /// JoinNonces increase by one per join, starting at 1, and never repeat for a device while
    /// it exists. Fails with [`crate::Error::UnknownDevice`] when the device is gone or has
    /// another JoinEUI now, [`crate::Error::DevNonceReused`] or
    /// [`crate::Error::RjCount1Reused`] on a replay, and [`crate::Error::JoinNonceExhausted`]
    /// after 2^24 - 1 joins. Nothing is recorded on failure.
    fn record_join(&self, record: &JoinRecord) -> impl Future<Output = Result<JoinNonce>> + Send;
}
