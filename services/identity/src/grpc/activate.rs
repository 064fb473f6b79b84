//! `DeviceService.Activate`: gives an ABP device its DevAddr and session keys (right
//! `devices:write`).
//!
//! The session goes to the network service (`ns.device`, network keys in plaintext
//! envelopes) and the application service (`as.device`, the AppSKey wrapped under the KEK),
//! then into the registry's `abp_sessions` with every key wrapped, so later device and
//! profile changes send it again. When the application service fails, the network service
//! is set back to the session it had (or forgets the device). The keys are never returned
//! or logged.

use lorawan_codec::{Aes128Key, DevAddr};
use tern_api::v1 as api;
use tern_bus::RegistryAction;
use tracing::error;

use super::Api;
use super::provision::{AbpSession, Change, desired};
use crate::auth::{Caller, Right};
use crate::events::kind;
use crate::kek::Kek;
use crate::store::StoredAbpSession;
use crate::validate::eui;
use crate::{Error, Result};

/// Parses an optional key: `None` when empty, an error naming the field when not 32 hex
/// digits.
fn key(field: &'static str, text: &str) -> Result<Option<Aes128Key>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match hex::decode(text) {
        Ok(bytes) => <[u8; 16]>::try_from(bytes.as_slice())
            .map(|bytes| Some(Aes128Key::from_bytes(bytes)))
            .map_err(|_| Error::invalid(field, "must be 32 hex digits")),
        Err(_) => Err(Error::invalid(field, "must be 32 hex digits")),
    }
}

/// The keys of a request, checked for shape only.
struct RequestKeys {
    dev_addr: DevAddr,
    nwk_s_key: Option<Aes128Key>,
    f_nwk_s_int_key: Option<Aes128Key>,
    s_nwk_s_int_key: Option<Aes128Key>,
    nwk_s_enc_key: Option<Aes128Key>,
    app_s_key: Aes128Key,
}

fn parse(request: &api::ActivateDeviceRequest) -> Result<RequestKeys> {
    let dev_addr_text = request.dev_addr.trim();
    let dev_addr = if dev_addr_text.len() == 8 {
        dev_addr_text.parse::<DevAddr>().ok()
    } else {
        None
    }
    .ok_or_else(|| Error::invalid("dev_addr", "must be 8 hex digits"))?;
    Ok(RequestKeys {
        dev_addr,
        nwk_s_key: key("nwk_s_key", &request.nwk_s_key)?,
        f_nwk_s_int_key: key("f_nwk_s_int_key", &request.f_nwk_s_int_key)?,
        s_nwk_s_int_key: key("s_nwk_s_int_key", &request.s_nwk_s_int_key)?,
        nwk_s_enc_key: key("nwk_s_enc_key", &request.nwk_s_enc_key)?,
        app_s_key: key("app_s_key", &request.app_s_key)?
            .ok_or_else(|| Error::invalid("app_s_key", "missing"))?,
    })
}

/// Picks the network keys the device's LoRaWAN version calls for: the NwkSKey in every role
/// for 1.0.x, the three 1.1 keys otherwise; anything else is an error naming the field.
fn network_keys(keys: &RequestKeys, mac_version: &str) -> Result<[Aes128Key; 3]> {
    if mac_version == "1.1" {
        if keys.nwk_s_key.is_some() {
            return Err(Error::invalid(
                "nwk_s_key",
                "LoRaWAN 1.1 devices give f_nwk_s_int_key, s_nwk_s_int_key and nwk_s_enc_key",
            ));
        }
        let missing = |field| Error::invalid(field, "missing; LoRaWAN 1.1 devices need it");
        Ok([
            keys.f_nwk_s_int_key
                .ok_or_else(|| missing("f_nwk_s_int_key"))?,
            keys.s_nwk_s_int_key
                .ok_or_else(|| missing("s_nwk_s_int_key"))?,
            keys.nwk_s_enc_key.ok_or_else(|| missing("nwk_s_enc_key"))?,
        ])
    } else {
        let given_1_1 = [
            ("f_nwk_s_int_key", keys.f_nwk_s_int_key),
            ("s_nwk_s_int_key", keys.s_nwk_s_int_key),
            ("nwk_s_enc_key", keys.nwk_s_enc_key),
        ]
        .into_iter()
        .find(|(_, key)| key.is_some());
        if let Some((field, _)) = given_1_1 {
            return Err(Error::invalid(
                field,
                format!("LoRaWAN {mac_version} devices give nwk_s_key only"),
            ));
        }
        let nwk_s_key = keys.nwk_s_key.ok_or_else(|| {
            Error::invalid(
                "nwk_s_key",
                format!("missing; LoRaWAN {mac_version} devices need it"),
            )
        })?;
        Ok([nwk_s_key; 3])
    }
}

/// Wraps the session for the registry.
fn stored(
    kek: &Kek,
    dev_addr: DevAddr,
    network: &[Aes128Key; 3],
    app_s_key: &Aes128Key,
) -> StoredAbpSession {
    StoredAbpSession {
        dev_addr: dev_addr.to_u32(),
        kek_label: kek.label().to_owned(),
        f_nwk_s_int_key: kek.wrap(&network[0]),
        s_nwk_s_int_key: kek.wrap(&network[1]),
        nwk_s_enc_key: kek.wrap(&network[2]),
        app_s_key: kek.wrap(app_s_key),
    }
}

impl Api {
    /// Activates an ABP device the caller may write.
    pub(crate) async fn activate(
        &self,
        caller: &Caller,
        request: api::ActivateDeviceRequest,
    ) -> Result<()> {
        caller.require(Right::DevicesWrite)?;
        let dev_eui = eui("dev_eui", &request.dev_eui)?;
        let (device, tenant_id) = self.visible_device(caller, &dev_eui).await?;
        let keys = parse(&request)?;
        let profile = self
            .visible_device_profile(caller, &device.device_profile_id)
            .await?;
        if profile.activation() != api::Activation::Abp {
            return Err(Error::FailedPrecondition(format!(
                "device {dev_eui} uses device profile {:?}, which activates over the air; \
                 only devices of an ABP profile can be activated",
                profile.id
            )));
        }
        let network = network_keys(&keys, &profile.mac_version)?;
        let kek = self.kek.as_ref().ok_or_else(|| {
            Error::FailedPrecondition(String::from(
                "the identity service has no kek to wrap the AppSKey under; \
                 set [identity] kek (or [join] kek, which it defaults to)",
            ))
        })?;
        let stored = stored(kek, keys.dev_addr, &network, &keys.app_s_key);
        let session = AbpSession {
            dev_addr: stored.dev_addr,
            f_nwk_s_int_key: network[0],
            s_nwk_s_int_key: network[1],
            nwk_s_enc_key: network[2],
            app_s_key: tern_proto::internal::v1::KeyEnvelope {
                key: stored.app_s_key.clone().into(),
                kek_label: stored.kek_label.clone(),
            },
        };
        let before = self.desired(&device, &profile).await?;
        let after = desired(&device, &profile, Some(&session))?;
        self.push(&after, Some(&before), Change::Activated).await?;
        match self.store.set_abp_session(&dev_eui, &stored).await {
            Ok(true) => {
                // Replicas that remember this DevAddr as unknown look it up again.
                self.events
                    .publish(
                        kind::DEVICE,
                        &device.dev_eui,
                        RegistryAction::Updated,
                        &tenant_id,
                        &device.application_id,
                    )
                    .await;
                Ok(())
            }
            Ok(false) => {
                // Deleted meanwhile: its delete already told the services to forget it, and
                // this activation told them about it again.
                if let Err(error) = self.unprovision(&dev_eui).await {
                    error!(error = %error, "services not cleared after activating a deleted device");
                }
                Err(Error::not_found("device", dev_eui))
            }
            Err(store_error) => {
                if self
                    .push(&before, Some(&after), Change::Activated)
                    .await
                    .is_err()
                {
                    error!(dev_eui = %dev_eui, "services not set back after a failed activation");
                }
                Err(store_error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> api::ActivateDeviceRequest {
        api::ActivateDeviceRequest {
            dev_eui: "0004a30b001c0530".to_owned(),
            dev_addr: "26011bda".to_owned(),
            nwk_s_key: "000102030405060708090a0b0c0d0e0f".to_owned(),
            app_s_key: "101112131415161718191a1b1c1d1e1f".to_owned(),
            ..api::ActivateDeviceRequest::default()
        }
    }

    fn field(error: Error) -> &'static str {
        match error {
            Error::InvalidArgument { field, .. } => field,
            other => panic!("not invalid argument: {other:?}"),
        }
    }

    #[test]
    fn parses_a_1_0_request_and_uses_the_nwk_s_key_in_every_role() {
        let keys = parse(&request()).unwrap();
        assert_eq!(keys.dev_addr.to_u32(), 0x2601_1bda);
        let network = network_keys(&keys, "1.0.3").unwrap();
        assert_eq!(network[0], network[2]);
        assert_eq!(field(network_keys(&keys, "1.1").unwrap_err()), "nwk_s_key");
    }

    #[test]
    fn names_the_malformed_field() {
        let short_addr = api::ActivateDeviceRequest {
            dev_addr: "26011bd".to_owned(),
            ..request()
        };
        assert_eq!(field(parse(&short_addr).err().unwrap()), "dev_addr");
        let bad_key = api::ActivateDeviceRequest {
            app_s_key: "zz".to_owned(),
            ..request()
        };
        assert_eq!(field(parse(&bad_key).err().unwrap()), "app_s_key");
        let mixed = api::ActivateDeviceRequest {
            nwk_s_enc_key: "000102030405060708090a0b0c0d0e0f".to_owned(),
            ..request()
        };
        let keys = parse(&mixed).unwrap();
        assert_eq!(
            field(network_keys(&keys, "1.0.4").unwrap_err()),
            "nwk_s_enc_key"
        );
    }

    #[test]
    fn a_1_1_request_needs_all_three_network_keys() {
        let request = api::ActivateDeviceRequest {
            nwk_s_key: String::new(),
            f_nwk_s_int_key: "01".repeat(16),
            s_nwk_s_int_key: "02".repeat(16),
            ..request()
        };
        let keys = parse(&request).unwrap();
        assert_eq!(
            field(network_keys(&keys, "1.1").unwrap_err()),
            "nwk_s_enc_key"
        );
    }
}
