//! `TenantService`: tenants are created, changed and deleted by admin keys; a tenant key sees
//! its own tenant only.

use tern_api::v1 as api;
use tern_api::v1::tenant_service_server::TenantService;
use tern_bus::RegistryAction;
use tonic::{Request, Response, Status};

use super::{Api, empty, list_args, required};
use crate::auth::Caller;
use crate::events::kind;
use crate::validate::{slug, text};
use crate::{Error, Result};

fn not_found(id: &str) -> Error {
    Error::not_found("tenant", format!("{id:?}"))
}

fn checked(tenant: Option<api::Tenant>) -> Result<api::Tenant> {
    let mut tenant = required("tenant", tenant)?;
    tenant.id = slug("tenant.id", &tenant.id)?;
    tenant.name = text("tenant.name", &tenant.name)?;
    tenant.description = text("tenant.description", &tenant.description)?;
    Ok(tenant)
}

impl Api {
    /// Reads a tenant the caller may see.
    pub(crate) async fn visible_tenant(&self, caller: &Caller, id: &str) -> Result<api::Tenant> {
        if !caller.sees(id) {
            return Err(not_found(id));
        }
        self.store.tenant(id).await?.ok_or_else(|| not_found(id))
    }
}

#[tonic::async_trait]
impl TenantService for Api {
    async fn create(
        &self,
        request: Request<api::CreateTenantRequest>,
    ) -> std::result::Result<Response<api::Tenant>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let tenant = checked(request.into_inner().tenant)?;
        let created = self.store.create_tenant(&tenant).await?;
        self.events
            .publish(
                kind::TENANT,
                &created.id,
                RegistryAction::Created,
                &created.id,
                "",
            )
            .await;
        Ok(Response::new(created))
    }

    async fn get(
        &self,
        request: Request<api::GetTenantRequest>,
    ) -> std::result::Result<Response<api::Tenant>, Status> {
        let caller = self.caller(&request).await?;
        let tenant = self.visible_tenant(&caller, &request.get_ref().id).await?;
        Ok(Response::new(tenant))
    }

    async fn update(
        &self,
        request: Request<api::UpdateTenantRequest>,
    ) -> std::result::Result<Response<api::Tenant>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let tenant = checked(request.into_inner().tenant)?;
        let updated = self
            .store
            .update_tenant(&tenant)
            .await?
            .ok_or_else(|| not_found(&tenant.id))?;
        self.events
            .publish(
                kind::TENANT,
                &updated.id,
                RegistryAction::Updated,
                &updated.id,
                "",
            )
            .await;
        Ok(Response::new(updated))
    }

    async fn delete(
        &self,
        request: Request<api::DeleteTenantRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let id = &request.get_ref().id;
        if !self.store.delete_tenant(id).await? {
            return Err(not_found(id).into());
        }
        self.events
            .publish(kind::TENANT, id, RegistryAction::Deleted, id, "")
            .await;
        Ok(empty())
    }

    async fn list(
        &self,
        request: Request<api::ListTenantsRequest>,
    ) -> std::result::Result<Response<api::ListTenantsResponse>, Status> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let (filter, page) = list_args(
            caller.tenant_id.clone(),
            &request.name_prefix,
            request.page_size,
            &request.page_token,
        )?;
        let (tenants, next_page_token) = self.store.list_tenants(&filter, &page).await?;
        Ok(Response::new(api::ListTenantsResponse {
            tenants,
            next_page_token,
        }))
    }
}
