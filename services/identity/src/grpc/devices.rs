//! `DeviceService`: end devices of an application (rights `devices:read` and
//! `devices:write`). A device's profile must belong to its application's tenant.
//!
//! Create, update and delete reach the network and application services too (`provision`);
//! when one of them does not take the change, the registry change is undone and the caller
//! learns which service failed. `Activate` (`activate`) gives an ABP device its session.

use tern_api::v1 as api;
use tern_api::v1::device_service_server::DeviceService;
use tern_bus::RegistryAction;
use tonic::{Request, Response, Status};

use super::applications::tag_filter;
use super::provision::{Change, desired};
use super::{Api, empty, list_args, required};
use crate::auth::{Caller, Right};
use crate::events::kind;
use crate::validate::{eui, slug, tags, text};
use crate::{Error, Result};

fn not_found(dev_eui: &str) -> Error {
    Error::not_found("device", dev_eui)
}

fn checked(device: Option<api::Device>) -> Result<(api::Device, Vec<String>)> {
    let mut device = required("device", device)?;
    device.dev_eui = eui("device.dev_eui", &device.dev_eui)?;
    device.join_eui = eui("device.join_eui", &device.join_eui)?;
    device.application_id = slug("device.application_id", &device.application_id)?;
    device.device_profile_id = slug("device.device_profile_id", &device.device_profile_id)?;
    device.name = text("device.name", &device.name)?;
    device.description = text("device.description", &device.description)?;
    let stored_tags = tags("device.tags", &device.tags)?;
    Ok((device, stored_tags))
}

impl Api {
    /// Reads a device the caller may see, with its tenant.
    pub(crate) async fn visible_device(
        &self,
        caller: &Caller,
        dev_eui: &str,
    ) -> Result<(api::Device, String)> {
        let dev_eui = eui("dev_eui", dev_eui)?;
        match self.store.device(&dev_eui).await? {
            Some((device, tenant_id)) if caller.sees(&tenant_id) => Ok((device, tenant_id)),
            _ => Err(not_found(&dev_eui)),
        }
    }

    /// Returns the profile when it exists in `tenant_id`.
    async fn profile_in_tenant(
        &self,
        caller: &Caller,
        id: &str,
        tenant_id: &str,
    ) -> Result<api::DeviceProfile> {
        let profile = self.visible_device_profile(caller, id).await?;
        if profile.tenant_id == tenant_id {
            Ok(profile)
        } else {
            Err(Error::NotFound {
                kind: "device profile",
                id: format!("{id:?}"),
                scope: format!(" in tenant {tenant_id:?}"),
            })
        }
    }
}

#[tonic::async_trait]
impl DeviceService for Api {
    async fn create(
        &self,
        request: Request<api::CreateDeviceRequest>,
    ) -> std::result::Result<Response<api::Device>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesWrite)?;
        let (device, stored_tags) = checked(request.into_inner().device)?;
        let application = self
            .visible_application(&caller, &device.application_id)
            .await?;
        let profile = self
            .profile_in_tenant(&caller, &device.device_profile_id, &application.tenant_id)
            .await?;
        let created = self
            .store
            .create_device(&device, &application.tenant_id, &stored_tags)
            .await?;
        if let Err(error) = self.provision(&created, &profile, Change::Created).await {
            // The row goes again, so a retry can create the device from scratch.
            if let Err(undo) = self.store.delete_device(&created.dev_eui).await {
                tracing::error!(error = %undo, "device row of a failed create not deleted");
            }
            return Err(error.into());
        }
        self.events
            .publish(
                kind::DEVICE,
                &created.dev_eui,
                RegistryAction::Created,
                &application.tenant_id,
                &created.application_id,
            )
            .await;
        Ok(Response::new(created))
    }

    async fn get(
        &self,
        request: Request<api::GetDeviceRequest>,
    ) -> std::result::Result<Response<api::Device>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesRead)?;
        let (device, _) = self
            .visible_device(&caller, &request.get_ref().dev_eui)
            .await?;
        Ok(Response::new(device))
    }

    async fn update(
        &self,
        request: Request<api::UpdateDeviceRequest>,
    ) -> std::result::Result<Response<api::Device>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesWrite)?;
        let (device, stored_tags) = checked(request.into_inner().device)?;
        let in_application = || Error::NotFound {
            kind: "device",
            id: device.dev_eui.clone(),
            scope: format!(" in application {:?}", device.application_id),
        };
        let (existing, tenant_id) = self
            .visible_device(&caller, &device.dev_eui)
            .await
            .map_err(|_| in_application())?;
        if existing.application_id != device.application_id {
            return Err(in_application().into());
        }
        let profile = self
            .profile_in_tenant(&caller, &device.device_profile_id, &tenant_id)
            .await?;
        let old_profile = self
            .visible_device_profile(&caller, &existing.device_profile_id)
            .await?;
        // An activated ABP device's session goes along, so the network service keeps it.
        let session = self.abp_session(&existing.dev_eui).await?;
        let before = desired(&existing, &old_profile, session.as_ref())?;
        let after = desired(&device, &profile, session.as_ref())?;
        // The services take the change first: a refusal leaves the row as it was.
        self.push(&after, Some(&before), Change::Updated).await?;
        let updated = match self.store.update_device(&device, &stored_tags).await {
            Ok(Some(updated)) => updated,
            other => {
                // Put the services back to the stored device.
                if self
                    .push(&before, Some(&after), Change::Updated)
                    .await
                    .is_err()
                {
                    tracing::error!(
                        dev_eui = %existing.dev_eui,
                        "services not restored after a failed device update"
                    );
                }
                return Err(match other {
                    Err(error) => error,
                    Ok(_) => in_application(),
                }
                .into());
            }
        };
        if session.is_some() && profile.activation() != api::Activation::Abp {
            // The device now joins over the air; its ABP session is of no further use.
            self.store.delete_abp_session(&updated.dev_eui).await?;
        }
        self.events
            .publish(
                kind::DEVICE,
                &updated.dev_eui,
                RegistryAction::Updated,
                &tenant_id,
                &updated.application_id,
            )
            .await;
        Ok(Response::new(updated))
    }

    async fn delete(
        &self,
        request: Request<api::DeleteDeviceRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesWrite)?;
        let (existing, tenant_id) = self
            .visible_device(&caller, &request.get_ref().dev_eui)
            .await?;
        // The services forget the device first, so its traffic stops before the row goes.
        self.unprovision(&existing.dev_eui).await?;
        if !self.store.delete_device(&existing.dev_eui).await? {
            return Err(not_found(&existing.dev_eui).into());
        }
        self.forget_keys(&existing.dev_eui).await;
        self.events
            .publish(
                kind::DEVICE,
                &existing.dev_eui,
                RegistryAction::Deleted,
                &tenant_id,
                &existing.application_id,
            )
            .await;
        Ok(empty())
    }

    async fn list(
        &self,
        request: Request<api::ListDevicesRequest>,
    ) -> std::result::Result<Response<api::ListDevicesResponse>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesRead)?;
        let request = request.into_inner();
        let (mut filter, page) = list_args(
            caller.list_scope(&request.tenant_id)?,
            &request.name_prefix,
            request.page_size,
            &request.page_token,
        )?;
        if !request.application_id.is_empty() {
            self.visible_application(&caller, &request.application_id)
                .await?;
            filter.application_id = Some(request.application_id);
        }
        filter.tags = tag_filter(&request.tags)?;
        let (devices, next_page_token) = self.store.list_devices(&filter, &page).await?;
        Ok(Response::new(api::ListDevicesResponse {
            devices,
            next_page_token,
        }))
    }

    async fn set_keys(
        &self,
        request: Request<api::SetDeviceKeysRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        Api::set_keys(self, &caller, request.into_inner()).await?;
        Ok(empty())
    }

    async fn delete_keys(
        &self,
        request: Request<api::DeleteDeviceKeysRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        Api::delete_keys(self, &caller, &request.get_ref().dev_eui).await?;
        Ok(empty())
    }

    async fn activate(
        &self,
        request: Request<api::ActivateDeviceRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        Api::activate(self, &caller, request.into_inner()).await?;
        Ok(empty())
    }
}
