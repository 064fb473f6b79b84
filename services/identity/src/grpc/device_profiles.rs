//! `DeviceProfileService`: radio and MAC settings of a tenant's devices (rights
//! `devices:read` and `devices:write`).
//!
//! An update that changes what the network or application service holds of the profile's
//! devices (band, version, class, RX settings, ADR, formatter) sets every device of the
//! profile again (`provision::push_profile`); the profile row stays updated when some of
//! them fail, and the call says how many, so running the same update again retries them.
//! A change of name or description alone pushes nothing.

use tern_api::v1 as api;
use tern_api::v1::device_profile_service_server::DeviceProfileService;
use tern_bus::RegistryAction;
use tonic::{Request, Response, Status};

use super::applications::target_tenant;
use super::provision::provisioned_fields_differ;
use super::{Api, empty, list_args, required};
use crate::auth::{Caller, Right};
use crate::events::kind;
use crate::validate::{device_profile, slug};
use crate::{Error, Result};

pub(crate) fn not_found(id: &str) -> Error {
    Error::not_found("device profile", format!("{id:?}"))
}

fn checked(profile: Option<api::DeviceProfile>) -> Result<api::DeviceProfile> {
    let mut profile = required("device_profile", profile)?;
    profile.id = slug("device_profile.id", &profile.id)?;
    device_profile(&mut profile)?;
    Ok(profile)
}

impl Api {
    /// Reads a device profile the caller may see.
    pub(crate) async fn visible_device_profile(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<api::DeviceProfile> {
        match self.store.device_profile(id).await? {
            Some(profile) if caller.sees(&profile.tenant_id) => Ok(profile),
            _ => Err(not_found(id)),
        }
    }
}

#[tonic::async_trait]
impl DeviceProfileService for Api {
    async fn create(
        &self,
        request: Request<api::CreateDeviceProfileRequest>,
    ) -> std::result::Result<Response<api::DeviceProfile>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesWrite)?;
        let mut profile = checked(request.into_inner().device_profile)?;
        profile.tenant_id = target_tenant(&caller, "device_profile.tenant_id", &profile.tenant_id)?;
        self.visible_tenant(&caller, &profile.tenant_id).await?;
        let created = self.store.create_device_profile(&profile).await?;
        self.events
            .publish(
                kind::DEVICE_PROFILE,
                &created.id,
                RegistryAction::Created,
                &created.tenant_id,
                "",
            )
            .await;
        Ok(Response::new(created))
    }

    async fn get(
        &self,
        request: Request<api::GetDeviceProfileRequest>,
    ) -> std::result::Result<Response<api::DeviceProfile>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesRead)?;
        let profile = self
            .visible_device_profile(&caller, &request.get_ref().id)
            .await?;
        Ok(Response::new(profile))
    }

    async fn update(
        &self,
        request: Request<api::UpdateDeviceProfileRequest>,
    ) -> std::result::Result<Response<api::DeviceProfile>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesWrite)?;
        let profile = checked(request.into_inner().device_profile)?;
        let existing = self.visible_device_profile(&caller, &profile.id).await?;
        let updated = self
            .store
            .update_device_profile(&profile)
            .await?
            .ok_or_else(|| not_found(&profile.id))?;
        self.events
            .publish(
                kind::DEVICE_PROFILE,
                &updated.id,
                RegistryAction::Updated,
                &existing.tenant_id,
                "",
            )
            .await;
        // A rename alone leaves the devices alone; an update that changes nothing at all
        // pushes again, so it retries the devices a failed push left behind.
        let renamed_only = !provisioned_fields_differ(&existing, &updated)
            && (existing.name != updated.name || existing.description != updated.description);
        if !renamed_only {
            self.push_profile(&existing, &updated).await?;
        }
        Ok(Response::new(updated))
    }

    async fn delete(
        &self,
        request: Request<api::DeleteDeviceProfileRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesWrite)?;
        let id = &request.get_ref().id;
        let existing = self.visible_device_profile(&caller, id).await?;
        if !self.store.delete_device_profile(id).await? {
            return Err(not_found(id).into());
        }
        self.events
            .publish(
                kind::DEVICE_PROFILE,
                id,
                RegistryAction::Deleted,
                &existing.tenant_id,
                "",
            )
            .await;
        Ok(empty())
    }

    async fn list(
        &self,
        request: Request<api::ListDeviceProfilesRequest>,
    ) -> std::result::Result<Response<api::ListDeviceProfilesResponse>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::DevicesRead)?;
        let request = request.into_inner();
        let (filter, page) = list_args(
            caller.list_scope(&request.tenant_id)?,
            &request.name_prefix,
            request.page_size,
            &request.page_token,
        )?;
        let (device_profiles, next_page_token) =
            self.store.list_device_profiles(&filter, &page).await?;
        Ok(Response::new(api::ListDeviceProfilesResponse {
            device_profiles,
            next_page_token,
        }))
    }
}
