//! Builds what the network and application services should hold of one device from the
//! device, its profile and its ABP session: pure functions, no bus and no store.

use lorawan_codec::Aes128Key;
use tern_api::v1 as api;
use tern_proto::internal::v1 as pb;

use crate::{Error, Result};

pub(super) fn eui_value(field: &'static str, text: &str) -> Result<u64> {
    u64::from_str_radix(text, 16).map_err(|_| Error::invalid(field, "not 16 hex digits"))
}

/// Maps a registry version string to the bus enum.
pub(super) fn mac_version(text: &str) -> Result<pb::MacVersion> {
    Ok(match text {
        "1.0.0" => pb::MacVersion::MacVersion100,
        "1.0.1" => pb::MacVersion::MacVersion101,
        "1.0.2" => pb::MacVersion::MacVersion102,
        "1.0.3" => pb::MacVersion::MacVersion103,
        "1.0.4" => pb::MacVersion::MacVersion104,
        "1.1" => pb::MacVersion::MacVersion11,
        _ => {
            return Err(Error::invalid(
                "device_profile.mac_version",
                format!("unknown version {text:?}"),
            ));
        }
    })
}

/// An ABP session in memory: network keys in plaintext for `ns.device`, the AppSKey wrapped
/// for `as.device`. Lives for one request.
pub(crate) struct AbpSession {
    /// DevAddr as a big-endian integer.
    pub dev_addr: u32,
    /// FNwkSIntKey (for LoRaWAN 1.0.x the NwkSKey).
    pub f_nwk_s_int_key: Aes128Key,
    /// SNwkSIntKey (for LoRaWAN 1.0.x the NwkSKey).
    pub s_nwk_s_int_key: Aes128Key,
    /// NwkSEncKey (for LoRaWAN 1.0.x the NwkSKey).
    pub nwk_s_enc_key: Aes128Key,
    /// AppSKey wrapped under the KEK.
    pub app_s_key: pb::KeyEnvelope,
}

/// What the network and application services should hold of one device.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Desired {
    /// DevEUI as a big-endian integer.
    pub(super) dev_eui: u64,
    /// `None`: the network service should not know the device (an ABP device that was not
    /// activated).
    pub(super) network: Option<pb::NetworkDevice>,
    /// The application side.
    pub(super) application: pb::ApplicationDevice,
}

fn plain(key: &Aes128Key) -> Option<pb::KeyEnvelope> {
    Some(pb::KeyEnvelope {
        key: key.as_bytes().to_vec().into(),
        kek_label: String::new(),
    })
}

/// Builds the network side of a device: OTAA, ABP with its session, or `None` for an ABP
/// device without one.
pub(crate) fn network_device(
    device: &api::Device,
    profile: &api::DeviceProfile,
    session: Option<&AbpSession>,
) -> Result<Option<pb::NetworkDevice>> {
    let activation = if profile.activation() == api::Activation::Abp {
        let Some(session) = session else {
            return Ok(None);
        };
        pb::network_device::Activation::Abp(pb::AbpActivation {
            dev_addr: session.dev_addr,
            f_nwk_s_int_key: plain(&session.f_nwk_s_int_key),
            s_nwk_s_int_key: plain(&session.s_nwk_s_int_key),
            nwk_s_enc_key: plain(&session.nwk_s_enc_key),
        })
    } else {
        pb::network_device::Activation::Otaa(pb::OtaaActivation {
            join_eui: eui_value("device.join_eui", &device.join_eui)?,
        })
    };
    Ok(Some(pb::NetworkDevice {
        band: profile.band.clone(),
        mac_version: mac_version(&profile.mac_version)? as i32,
        class: if profile.supports_class_c {
            pb::DeviceClass::C
        } else {
            pb::DeviceClass::A
        } as i32,
        rx1_delay_s: profile.rx1_delay_s,
        rx1_dr_offset: profile.rx1_dr_offset,
        rx2_dr: Some(profile.rx2_dr),
        rx2_frequency_hz: match profile.rx2_frequency_hz {
            0 => None,
            hz => {
                Some(u32::try_from(hz).map_err(|_| {
                    Error::invalid("device_profile.rx2_frequency_hz", "out of range")
                })?)
            }
        },
        adr: profile.adr_enabled,
        relax_f_cnt: false,
        activation: Some(activation),
    }))
}

/// Builds the application side of a device, with the ABP session when the profile is ABP
/// and the device was activated.
pub(crate) fn application_device(
    device: &api::Device,
    profile: &api::DeviceProfile,
    session: Option<&AbpSession>,
) -> Result<pb::ApplicationDevice> {
    // The application service names formatters with '_'; the API with '-'.
    let formatter_kind = profile.payload_formatter_kind.replace('-', "_");
    let abp = match session {
        Some(session) if profile.activation() == api::Activation::Abp => {
            Some(pb::AbpApplicationSession {
                dev_addr: session.dev_addr,
                mac_version: mac_version(&profile.mac_version)? as i32,
                app_s_key: Some(session.app_s_key.clone()),
            })
        }
        _ => None,
    };
    Ok(pb::ApplicationDevice {
        application_id: device.application_id.clone(),
        device_id: device.dev_eui.clone(),
        name: if device.name.is_empty() {
            device.dev_eui.clone()
        } else {
            device.name.clone()
        },
        formatter_kind,
        formatter_source: profile.payload_formatter_source.clone(),
        abp,
    })
}

/// Builds what the services should hold of `device` with `profile`; `session` counts only
/// for an ABP profile.
pub(crate) fn desired(
    device: &api::Device,
    profile: &api::DeviceProfile,
    session: Option<&AbpSession>,
) -> Result<Desired> {
    Ok(Desired {
        dev_eui: eui_value("device.dev_eui", &device.dev_eui)?,
        network: network_device(device, profile, session)?,
        application: application_device(device, profile, session)?,
    })
}

/// Tells whether a profile change alters what the services hold of its devices.
pub(crate) fn provisioned_fields_differ(
    old: &api::DeviceProfile,
    new: &api::DeviceProfile,
) -> bool {
    old.band != new.band
        || old.mac_version != new.mac_version
        || old.supports_class_c != new.supports_class_c
        || old.activation != new.activation
        || old.rx1_delay_s != new.rx1_delay_s
        || old.rx1_dr_offset != new.rx1_dr_offset
        || old.rx2_dr != new.rx2_dr
        || old.rx2_frequency_hz != new.rx2_frequency_hz
        || old.adr_enabled != new.adr_enabled
        || old.payload_formatter_kind != new.payload_formatter_kind
        || old.payload_formatter_source != new.payload_formatter_source
}

pub(super) fn set_network(dev_eui: u64, device: pb::NetworkDevice) -> pb::NetworkDeviceRequest {
    pb::NetworkDeviceRequest {
        dev_eui,
        action: Some(pb::network_device_request::Action::Set(device)),
    }
}

pub(super) fn set_application(
    dev_eui: u64,
    device: pb::ApplicationDevice,
) -> pb::ApplicationDeviceRequest {
    pb::ApplicationDeviceRequest {
        dev_eui,
        action: Some(pb::application_device_request::Action::Set(device)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> api::DeviceProfile {
        api::DeviceProfile {
            band: "eu868".to_owned(),
            mac_version: "1.0.3".to_owned(),
            activation: api::Activation::Otaa.into(),
            rx1_delay_s: 1,
            rx2_dr: 0,
            rx2_frequency_hz: 869_525_000,
            supports_class_c: true,
            adr_enabled: true,
            payload_formatter_kind: "cayenne-lpp".to_owned(),
            ..api::DeviceProfile::default()
        }
    }

    fn device() -> api::Device {
        api::Device {
            dev_eui: "0004a30b001c0530".to_owned(),
            join_eui: "70b3d57ed0000000".to_owned(),
            application_id: "field-sensors".to_owned(),
            ..api::Device::default()
        }
    }

    #[test]
    fn builds_the_network_device_from_profile_and_device() {
        let network = network_device(&device(), &profile(), None)
            .unwrap()
            .unwrap();
        assert_eq!(network.mac_version(), pb::MacVersion::MacVersion103);
        assert_eq!(network.class(), pb::DeviceClass::C);
        assert_eq!(network.rx2_frequency_hz, Some(869_525_000));
        assert_eq!(
            network.activation,
            Some(pb::network_device::Activation::Otaa(pb::OtaaActivation {
                join_eui: 0x70b3_d57e_d000_0000
            }))
        );
        let abp = api::DeviceProfile {
            activation: api::Activation::Abp.into(),
            ..profile()
        };
        assert_eq!(network_device(&device(), &abp, None).unwrap(), None);
        let session = AbpSession {
            dev_addr: 0x2601_1bda,
            f_nwk_s_int_key: Aes128Key::from_bytes([1; 16]),
            s_nwk_s_int_key: Aes128Key::from_bytes([1; 16]),
            nwk_s_enc_key: Aes128Key::from_bytes([1; 16]),
            app_s_key: pb::KeyEnvelope {
                key: vec![2; 24].into(),
                kek_label: "test".to_owned(),
            },
        };
        let network = network_device(&device(), &abp, Some(&session))
            .unwrap()
            .unwrap();
        let Some(pb::network_device::Activation::Abp(activation)) = network.activation else {
            panic!("not abp: {network:?}");
        };
        assert_eq!(activation.dev_addr, 0x2601_1bda);
        assert_eq!(
            activation.nwk_s_enc_key,
            plain(&Aes128Key::from_bytes([1; 16]))
        );
        let application = application_device(&device(), &abp, Some(&session)).unwrap();
        let abp_session = application.abp.unwrap();
        assert_eq!(abp_session.app_s_key.unwrap().kek_label, "test");
        // An OTAA profile ignores a leftover session.
        let otaa = application_device(&device(), &profile(), Some(&session)).unwrap();
        assert_eq!(otaa.abp, None);
    }

    #[test]
    fn builds_the_application_device_with_its_formatter_name() {
        let application = application_device(&device(), &profile(), None).unwrap();
        assert_eq!(application.formatter_kind, "cayenne_lpp");
        assert_eq!(application.device_id, "0004a30b001c0530");
        assert_eq!(application.name, "0004a30b001c0530");
    }

    #[test]
    fn only_radio_and_formatter_fields_need_a_push() {
        let renamed = api::DeviceProfile {
            name: "renamed".to_owned(),
            description: "new text".to_owned(),
            ..profile()
        };
        assert!(!provisioned_fields_differ(&profile(), &renamed));
        let slower = api::DeviceProfile {
            rx1_delay_s: 5,
            ..profile()
        };
        assert!(provisioned_fields_differ(&profile(), &slower));
        let formatter = api::DeviceProfile {
            payload_formatter_kind: "none".to_owned(),
            ..profile()
        };
        assert!(provisioned_fields_differ(&profile(), &formatter));
    }
}
