//! `ns.device`: the identity service sets and deletes devices in the network registry.
//!
//! A set replaces the registry row; an ABP device whose DevAddr or keys changed also loses
//! its Redis sessions, so the next uplink starts a session with the new ones (an unchanged
//! ABP device keeps its counters). A delete removes the row and every session and DevAddr
//! index entry of the device, so its next uplink is rejected as unknown. OTAA sessions keep
//! the settings they were joined with until the next join. Malformed requests are refused
//! as invalid and change nothing; keys are never logged.

use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use tern_proto::internal::v1 as pb;

use crate::context::Context;
use crate::registry::{Activation, DeviceRegistry, NetworkDevice, NetworkSessionKeys};
use crate::{Error, Result};

/// Builds a refusal.
pub(crate) fn refusal(
    error: pb::ProvisionError,
    message: impl Into<String>,
) -> pb::ProvisionAnswer {
    pb::ProvisionAnswer {
        ok: false,
        error: error as i32,
        message: message.into(),
    }
}

fn accepted() -> pb::ProvisionAnswer {
    pb::ProvisionAnswer {
        ok: true,
        ..pb::ProvisionAnswer::default()
    }
}

fn invalid(message: impl Into<String>) -> pb::ProvisionAnswer {
    refusal(pb::ProvisionError::Invalid, message)
}

/// Answers one request; a store failure is returned and answered `UNAVAILABLE` by the caller.
pub(crate) async fn handle<R: DeviceRegistry>(
    context: &Context<R>,
    request: &pb::NetworkDeviceRequest,
) -> Result<pb::ProvisionAnswer> {
    let dev_eui = Eui64::from_u64(request.dev_eui);
    match &request.action {
        Some(pb::network_device_request::Action::Set(set)) => {
            let device = match network_device(dev_eui, set) {
                Ok(device) => device,
                Err(answer) => return Ok(answer),
            };
            let previous = context.registry.device(dev_eui).await?;
            let stored = context.registry.set_device(&device).await;
            // Also after a failure: the row may have been written before the error.
            context.unknown_addrs.clear();
            match stored {
                Ok(()) => {}
                Err(Error::Band(error)) => return Ok(invalid(format!("band: {error}"))),
                Err(error) => return Err(error),
            }
            let rekeyed = matches!(device.activation, Activation::Abp { .. })
                && previous.is_some_and(|previous| previous.activation != device.activation);
            if rekeyed {
                context.sessions.delete(dev_eui).await?;
            }
            // An ABP device has its session from now on, so downlinks can be queued for it
            // before its first uplink; an existing one keeps its counters.
            if let Some(session) = crate::uplink::abp_session(&device) {
                context.sessions.create_if_absent(&session).await?;
            }
            Ok(accepted())
        }
        Some(pb::network_device_request::Action::Delete(_)) => {
            let existed = context.registry.delete_device(dev_eui).await?;
            // Sessions go even when the row was already gone, so a retried delete still
            // finishes what a failed one started.
            context.sessions.delete(dev_eui).await?;
            Ok(if existed {
                accepted()
            } else {
                refusal(
                    pb::ProvisionError::NotFound,
                    format!("device {dev_eui} is not in the network registry"),
                )
            })
        }
        None => Ok(invalid("request names no action")),
    }
}

/// Checks a set request and builds the registry row.
fn network_device(
    dev_eui: Eui64,
    set: &pb::NetworkDevice,
) -> std::result::Result<NetworkDevice, pb::ProvisionAnswer> {
    let mac_version = pb::MacVersion::try_from(set.mac_version)
        .ok()
        .filter(|version| *version != pb::MacVersion::Unspecified)
        .ok_or_else(|| invalid(format!("unknown mac_version {}", set.mac_version)))?;
    let class = pb::DeviceClass::try_from(set.class)
        .map_err(|_| invalid(format!("unknown class {}", set.class)))?;
    let rx1_delay_s = u8::try_from(set.rx1_delay_s)
        .ok()
        .filter(|delay| (1..=15).contains(delay))
        .ok_or_else(|| invalid("rx1_delay_s must be 1 to 15"))?;
    let rx1_dr_offset = u8::try_from(set.rx1_dr_offset)
        .ok()
        .filter(|offset| *offset <= 7)
        .ok_or_else(|| invalid("rx1_dr_offset must be 0 to 7"))?;
    let rx2_dr = set
        .rx2_dr
        .map(|dr| {
            u8::try_from(dr)
                .ok()
                .filter(|dr| *dr <= 15)
                .ok_or_else(|| invalid("rx2_dr must be 0 to 15"))
        })
        .transpose()?;
    let activation = match &set.activation {
        Some(pb::network_device::Activation::Otaa(otaa)) => Activation::Otaa {
            join_eui: Eui64::from_u64(otaa.join_eui),
        },
        Some(pb::network_device::Activation::Abp(abp)) => Activation::Abp {
            dev_addr: DevAddr::from_u32(abp.dev_addr),
            keys: NetworkSessionKeys {
                f_nwk_s_int_key: plain_key("f_nwk_s_int_key", abp.f_nwk_s_int_key.as_ref())?,
                s_nwk_s_int_key: plain_key("s_nwk_s_int_key", abp.s_nwk_s_int_key.as_ref())?,
                nwk_s_enc_key: plain_key("nwk_s_enc_key", abp.nwk_s_enc_key.as_ref())?,
            },
        },
        None => return Err(invalid("device names no activation")),
    };
    Ok(NetworkDevice {
        dev_eui,
        band: set.band.clone(),
        mac_version,
        class,
        rx1_delay_s,
        rx1_dr_offset,
        rx2_dr,
        rx2_frequency_hz: set.rx2_frequency_hz,
        adr: set.adr,
        relax_f_cnt: set.relax_f_cnt,
        activation,
    })
}

/// Reads a plaintext network key; the network server holds no KEK.
fn plain_key(
    name: &str,
    envelope: Option<&pb::KeyEnvelope>,
) -> std::result::Result<Aes128Key, pb::ProvisionAnswer> {
    let envelope = envelope.ok_or_else(|| invalid(format!("{name} is missing")))?;
    if !envelope.kek_label.is_empty() {
        return Err(invalid(format!(
            "{name} is wrapped; the network server takes plaintext network keys"
        )));
    }
    <[u8; 16]>::try_from(envelope.key.as_ref())
        .map(Aes128Key::from_bytes)
        .map_err(|_| invalid(format!("{name} must be 16 bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn otaa() -> pb::NetworkDevice {
        pb::NetworkDevice {
            band: "eu868".to_owned(),
            mac_version: pb::MacVersion::MacVersion104 as i32,
            class: pb::DeviceClass::A as i32,
            rx1_delay_s: 1,
            rx1_dr_offset: 0,
            rx2_dr: None,
            rx2_frequency_hz: None,
            adr: true,
            relax_f_cnt: false,
            activation: Some(pb::network_device::Activation::Otaa(pb::OtaaActivation {
                join_eui: 7,
            })),
        }
    }

    #[test]
    fn builds_an_otaa_device() {
        let device = network_device(Eui64::from_u64(1), &otaa()).unwrap();
        assert_eq!(
            device.activation,
            Activation::Otaa {
                join_eui: Eui64::from_u64(7)
            }
        );
        assert_eq!(device.rx1_delay_s, 1);
    }

    #[test]
    fn refuses_out_of_range_settings_and_short_keys() {
        let bad_delay = pb::NetworkDevice {
            rx1_delay_s: 16,
            ..otaa()
        };
        let answer = network_device(Eui64::from_u64(1), &bad_delay).unwrap_err();
        assert_eq!(answer.error(), pb::ProvisionError::Invalid);
        let short = pb::KeyEnvelope {
            key: vec![1; 15].into(),
            kek_label: String::new(),
        };
        let abp = pb::NetworkDevice {
            activation: Some(pb::network_device::Activation::Abp(pb::AbpActivation {
                dev_addr: 1,
                f_nwk_s_int_key: Some(short.clone()),
                s_nwk_s_int_key: Some(short.clone()),
                nwk_s_enc_key: Some(short),
            })),
            ..otaa()
        };
        let answer = network_device(Eui64::from_u64(1), &abp).unwrap_err();
        assert!(answer.message.contains("16 bytes"), "{}", answer.message);
        let none = pb::NetworkDevice {
            activation: None,
            ..otaa()
        };
        assert!(!network_device(Eui64::from_u64(1), &none).unwrap_err().ok);
    }
}
