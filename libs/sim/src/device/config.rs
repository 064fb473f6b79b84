//! The settings and key types a [`super::Device`] is built from: version, class, band and
//! seed, root keys of an OTAA device and session keys, and the receive window settings.

use lorawan_codec::{Aes128Key, Eui64};
use lorawan_crypto::FOptsScheme;
use lorawan_region::Band;

/// The LoRaWAN Link Layer version a device implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacVersion {
    /// LoRaWAN 1.0.2.
    V1_0_2,
    /// LoRaWAN 1.0.3.
    V1_0_3,
    /// LoRaWAN 1.0.4 (TS001-1.0.4).
    V1_0_4,
    /// LoRaWAN 1.1.
    V1_1,
}

impl MacVersion {
    /// Tells whether DevNonce is a counter (LoRaWAN 1.0.4 §6.2.2, 1.1 §6.2.2) rather than random.
    pub const fn dev_nonce_is_counter(self) -> bool {
        matches!(self, Self::V1_0_4 | Self::V1_1)
    }

    /// Tells whether a LinkADRReq DataRate or TXPower of 15 means "keep the current value"
    /// (LoRaWAN 1.0.4 §5.2, 1.1 §5.3).
    pub(super) const fn keeps_on_15(self) -> bool {
        matches!(self, Self::V1_0_4 | Self::V1_1)
    }
}

/// The device class the device runs in after activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceClass {
    /// Class A: receives only in RX1 and RX2 after an uplink.
    A,
    /// Class C: also listens continuously on the RX2 parameters.
    C,
}

/// Static settings of a device.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// The Link Layer version.
    pub mac_version: MacVersion,
    /// The class.
    pub class: DeviceClass,
    /// The band (and sub-band) the device operates in.
    pub band: Band,
    /// The ADR bit the device sets in its uplinks.
    pub adr: bool,
    /// The data rate the device starts at.
    pub dr: u8,
    /// The LoRaWAN 1.1 FOpts encryption layout the network server expects.
    pub f_opts_scheme: FOptsScheme,
    /// The battery level reported in DevStatusAns (0 external power, 1..=254, 255 unknown).
    pub battery: u8,
    /// Seed of the device's random numbers (DevNonce of LoRaWAN 1.0.2/1.0.3, channel choice).
    pub seed: u64,
}

impl DeviceConfig {
    /// Returns a class A device with ADR on, starting at the highest data rate ADR may assign
    /// in `band`, battery level 254, the errata FOpts layout and seed 1.
    pub fn new(mac_version: MacVersion, band: Band) -> Self {
        let dr = band.adr_data_rate_range().1;
        Self {
            mac_version,
            class: DeviceClass::A,
            band,
            adr: true,
            dr,
            f_opts_scheme: FOptsScheme::Errata,
            battery: 254,
            seed: 1,
        }
    }
}

/// Root keys and identifiers of an OTAA device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootKeys {
    /// DevEUI.
    pub dev_eui: Eui64,
    /// JoinEUI (AppEUI in LoRaWAN 1.0.x).
    pub join_eui: Eui64,
    /// AppKey.
    pub app_key: Aes128Key,
    /// NwkKey of a LoRaWAN 1.1 device; LoRaWAN 1.0.x devices use the AppKey for both.
    pub nwk_key: Aes128Key,
}

impl RootKeys {
    /// Returns the keys of a LoRaWAN 1.0.x device, whose only root key is the AppKey.
    pub fn v1_0(dev_eui: Eui64, join_eui: Eui64, app_key: Aes128Key) -> Self {
        Self {
            dev_eui,
            join_eui,
            app_key,
            nwk_key: app_key,
        }
    }
}

/// Session keys. A LoRaWAN 1.0.x session holds its NwkSKey in all three network key fields,
/// the mapping LoRaWAN 1.1 §6.2.3 uses for a 1.0 network server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionKeys {
    /// FNwkSIntKey (NwkSKey in 1.0.x).
    pub f_nwk_s_int_key: Aes128Key,
    /// SNwkSIntKey (NwkSKey in 1.0.x).
    pub s_nwk_s_int_key: Aes128Key,
    /// NwkSEncKey (NwkSKey in 1.0.x).
    pub nwk_s_enc_key: Aes128Key,
    /// AppSKey.
    pub app_s_key: Aes128Key,
}

impl SessionKeys {
    /// Returns the keys of a LoRaWAN 1.0.x session.
    pub fn v1_0(nwk_s_key: Aes128Key, app_s_key: Aes128Key) -> Self {
        Self {
            f_nwk_s_int_key: nwk_s_key,
            s_nwk_s_int_key: nwk_s_key,
            nwk_s_enc_key: nwk_s_key,
            app_s_key,
        }
    }

    /// Returns the NwkSKey of a LoRaWAN 1.0.x session (the FNwkSIntKey).
    pub fn nwk_s_key(&self) -> Aes128Key {
        self.f_nwk_s_int_key
    }
}

/// Receive window settings of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RxSettings {
    /// RX1 delay in seconds (RECEIVE_DELAY1), 1..=15.
    pub rx1_delay_s: u8,
    /// RX1DROffset.
    pub rx1_dr_offset: u8,
    /// RX2 data rate.
    pub rx2_dr: u8,
    /// RX2 frequency in Hz.
    pub rx2_frequency_hz: u32,
}
