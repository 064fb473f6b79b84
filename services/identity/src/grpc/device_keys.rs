//! `DeviceService.SetKeys` and `DeleteKeys`: the identity service checks the caller and the
//! device, then asks the join server on `js.keys`, which stores the root keys wrapped under
//! its KEK. The identity service keeps no copy of any root key.

use std::time::Duration;

use tern_api::v1 as api;
use tern_proto::internal::v1 as pb;
use tracing::debug;

use super::Api;
use crate::auth::{Caller, Right};
use crate::validate::eui;
use crate::{Error, Result};

/// How long the join server may take to store a change.
const KEYS_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses a 16-byte key given as 32 hex digits.
fn key(field: &'static str, text: &str) -> Result<Vec<u8>> {
    match hex::decode(text.trim()) {
        Ok(bytes) if bytes.len() == 16 => Ok(bytes),
        _ => Err(Error::invalid(field, "must be 32 hex digits")),
    }
}

fn eui_value(text: &str) -> Result<u64> {
    u64::from_str_radix(text, 16).map_err(|_| Error::invalid("dev_eui", "not 16 hex digits"))
}

impl Api {
    /// Asks the join server for a key change and maps its answer.
    async fn ask_join(&self, request: &pb::DeviceKeysRequest, dev_eui: &str) -> Result<()> {
        let subject = self.events.bus().subjects().js_keys();
        let answer: pb::DeviceKeysAnswer = self
            .events
            .bus()
            .request(&subject, request, KEYS_TIMEOUT)
            .await
            .map_err(|error| Error::JoinServer(error.to_string()))?;
        if answer.ok {
            return Ok(());
        }
        Err(match answer.error() {
            pb::DeviceKeysError::Invalid => Error::invalid("keys", answer.message),
            pb::DeviceKeysError::NotFound => Error::not_found("root keys of device", dev_eui),
            _ => Error::JoinServer(answer.message),
        })
    }

    /// Sets the root keys of a device the caller may write.
    pub(crate) async fn set_keys(
        &self,
        caller: &Caller,
        request: api::SetDeviceKeysRequest,
    ) -> Result<()> {
        caller.require(Right::DevicesWrite)?;
        let dev_eui = eui("dev_eui", &request.dev_eui)?;
        let (device, _) = self.visible_device(caller, &dev_eui).await?;
        let profile = self
            .visible_device_profile(caller, &device.device_profile_id)
            .await?;
        let app_key = key("app_key", &request.app_key)?;
        let nwk_key = if request.nwk_key.is_empty() {
            Vec::new()
        } else {
            key("nwk_key", &request.nwk_key)?
        };
        let message = pb::DeviceKeysRequest {
            dev_eui: eui_value(&dev_eui)?,
            action: Some(pb::device_keys_request::Action::Set(pb::SetDeviceKeys {
                join_eui: eui_value(&device.join_eui)?,
                mac_version: profile.mac_version,
                app_key: app_key.into(),
                nwk_key: nwk_key.into(),
            })),
        };
        self.ask_join(&message, &dev_eui).await
    }

    /// Deletes the root keys of a device the caller may write.
    pub(crate) async fn delete_keys(&self, caller: &Caller, dev_eui: &str) -> Result<()> {
        caller.require(Right::DevicesWrite)?;
        let dev_eui = eui("dev_eui", dev_eui)?;
        self.visible_device(caller, &dev_eui).await?;
        self.ask_join(&delete_request(&dev_eui)?, &dev_eui).await
    }

    /// Deletes the root keys of a deleted device; a device without keys, or no join server
    /// on this bus, is not an error.
    pub(crate) async fn forget_keys(&self, dev_eui: &str) {
        let res = match delete_request(dev_eui) {
            Ok(request) => self.ask_join(&request, dev_eui).await,
            Err(error) => Err(error),
        };
        if let Err(error) = res {
            debug!(dev_eui, error = %error, "root keys of deleted device not deleted");
        }
    }
}

fn delete_request(dev_eui: &str) -> Result<pb::DeviceKeysRequest> {
    Ok(pb::DeviceKeysRequest {
        dev_eui: eui_value(dev_eui)?,
        action: Some(pb::device_keys_request::Action::Delete(
            pb::DeleteDeviceKeys {},
        )),
    })
}
