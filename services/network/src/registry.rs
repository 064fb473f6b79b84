//! The network server's device registry, filled by the identity service over `ns.device`: per device what
//! the network layer needs (band, LoRaWAN version, class, RX settings, ADR, and for ABP the
//! DevAddr and network session keys).
//!
//! [`DeviceRegistry`] is the narrow trait the service uses; [`PgDeviceRegistry`] keeps the rows
//! in the network schema. It holds no sessions (those live in Redis, see `session`) and no
//! root keys (those belong to the join server).

mod migrations;
mod postgres;

use std::future::Future;

use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use tern_proto::internal::v1 as pb;

use crate::Result;

pub use postgres::PgDeviceRegistry;

/// Network session keys (LoRaWAN 1.1 §6.1.2; in LoRaWAN 1.0.x all three are the NwkSKey).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkSessionKeys {
    /// FNwkSIntKey, or the NwkSKey.
    pub f_nwk_s_int_key: Aes128Key,
    /// SNwkSIntKey, or the NwkSKey.
    pub s_nwk_s_int_key: Aes128Key,
    /// NwkSEncKey, or the NwkSKey.
    pub nwk_s_enc_key: Aes128Key,
}

impl NetworkSessionKeys {
    /// The keys of a LoRaWAN 1.0.x session: the NwkSKey in every role.
    pub fn from_nwk_s_key(nwk_s_key: Aes128Key) -> NetworkSessionKeys {
        NetworkSessionKeys {
            f_nwk_s_int_key: nwk_s_key,
            s_nwk_s_int_key: nwk_s_key,
            nwk_s_enc_key: nwk_s_key,
        }
    }
}

/// How a device gets its session, LoRaWAN 1.0.4 §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Over-the-air activation with this JoinEUI.
    Otaa {
        /// JoinEUI the device joins with.
        join_eui: Eui64,
    },
    /// Activation by personalisation: a fixed DevAddr and session keys.
    Abp {
        /// DevAddr of the device.
        dev_addr: DevAddr,
        /// Network session keys.
        keys: NetworkSessionKeys,
    },
}

/// What the network server knows of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkDevice {
    /// DevEUI.
    pub dev_eui: Eui64,
    /// Band name as `lorawan_region::Band::by_name` takes it, e.g. `eu868`.
    pub band: String,
    /// LoRaWAN version.
    pub mac_version: pb::MacVersion,
    /// Class A or C.
    pub class: pb::DeviceClass,
    /// RX1 delay in seconds, 1 to 15 (LoRaWAN 1.0.4 §3.3.1).
    pub rx1_delay_s: u8,
    /// RX1DROffset, 0 to 7.
    pub rx1_dr_offset: u8,
    /// RX2 data rate; `None` takes the band's default.
    pub rx2_dr: Option<u8>,
    /// RX2 frequency in Hz; `None` takes the band's default.
    pub rx2_frequency_hz: Option<u32>,
    /// Whether the network runs ADR for the device.
    pub adr: bool,
    /// Accept frame counters that start again from 0 (ABP devices that lose their counters
    /// on reset). Weakens replay protection; meant for devices that cannot do better.
    pub relax_f_cnt: bool,
    /// OTAA or ABP.
    pub activation: Activation,
}

/// Storage of the network server's device registry.
pub trait DeviceRegistry: Send + Sync + 'static {
    /// Creates or replaces a device; fails with [`crate::Error::Band`] for an unknown band.
    fn set_device(&self, device: &NetworkDevice) -> impl Future<Output = Result<()>> + Send;

    /// Returns a device, or `None` when unknown.
    fn device(&self, dev_eui: Eui64) -> impl Future<Output = Result<Option<NetworkDevice>>> + Send;

    /// Returns the ABP devices personalised with `dev_addr`.
    fn abp_devices(
        &self,
        dev_addr: DevAddr,
    ) -> impl Future<Output = Result<Vec<NetworkDevice>>> + Send;

    /// Deletes a device; tells whether it existed.
    fn delete_device(&self, dev_eui: Eui64) -> impl Future<Output = Result<bool>> + Send;
}
