//! `GatewayService`: gateways of a tenant (rights `gateways:read` and `gateways:write`).

use tern_api::v1 as api;
use tern_api::v1::gateway_service_server::GatewayService;
use tern_bus::RegistryAction;
use tonic::{Request, Response, Status};

use super::applications::target_tenant;
use super::{Api, empty, list_args, required};
use crate::auth::{Caller, Right};
use crate::events::kind;
use crate::validate::{band, eui, location, text};
use crate::{Error, Result};

fn not_found(gateway_eui: &str) -> Error {
    Error::not_found("gateway", gateway_eui)
}

fn checked(gateway: Option<api::Gateway>) -> Result<api::Gateway> {
    let mut gateway = required("gateway", gateway)?;
    gateway.gateway_eui = eui("gateway.gateway_eui", &gateway.gateway_eui)?;
    gateway.name = text("gateway.name", &gateway.name)?;
    gateway.description = text("gateway.description", &gateway.description)?;
    gateway.band = band("gateway.band", &gateway.band)?;
    location(&gateway)?;
    Ok(gateway)
}

impl Api {
    /// Reads a gateway the caller may see.
    pub(crate) async fn visible_gateway(
        &self,
        caller: &Caller,
        gateway_eui: &str,
    ) -> Result<api::Gateway> {
        let gateway_eui = eui("gateway_eui", gateway_eui)?;
        match self.store.gateway(&gateway_eui).await? {
            Some(gateway) if caller.sees(&gateway.tenant_id) => Ok(gateway),
            _ => Err(not_found(&gateway_eui)),
        }
    }
}

#[tonic::async_trait]
impl GatewayService for Api {
    async fn create(
        &self,
        request: Request<api::CreateGatewayRequest>,
    ) -> std::result::Result<Response<api::Gateway>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::GatewaysWrite)?;
        let mut gateway = checked(request.into_inner().gateway)?;
        gateway.tenant_id = target_tenant(&caller, "gateway.tenant_id", &gateway.tenant_id)?;
        self.visible_tenant(&caller, &gateway.tenant_id).await?;
        let created = self.store.create_gateway(&gateway).await?;
        self.events
            .publish(
                kind::GATEWAY,
                &created.gateway_eui,
                RegistryAction::Created,
                &created.tenant_id,
                "",
            )
            .await;
        Ok(Response::new(created))
    }

    async fn get(
        &self,
        request: Request<api::GetGatewayRequest>,
    ) -> std::result::Result<Response<api::Gateway>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::GatewaysRead)?;
        let gateway = self
            .visible_gateway(&caller, &request.get_ref().gateway_eui)
            .await?;
        Ok(Response::new(gateway))
    }

    async fn update(
        &self,
        request: Request<api::UpdateGatewayRequest>,
    ) -> std::result::Result<Response<api::Gateway>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::GatewaysWrite)?;
        let gateway = checked(request.into_inner().gateway)?;
        let existing = self.visible_gateway(&caller, &gateway.gateway_eui).await?;
        let updated = self
            .store
            .update_gateway(&gateway)
            .await?
            .ok_or_else(|| not_found(&gateway.gateway_eui))?;
        self.events
            .publish(
                kind::GATEWAY,
                &updated.gateway_eui,
                RegistryAction::Updated,
                &existing.tenant_id,
                "",
            )
            .await;
        Ok(Response::new(updated))
    }

    async fn delete(
        &self,
        request: Request<api::DeleteGatewayRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::GatewaysWrite)?;
        let existing = self
            .visible_gateway(&caller, &request.get_ref().gateway_eui)
            .await?;
        if !self.store.delete_gateway(&existing.gateway_eui).await? {
            return Err(not_found(&existing.gateway_eui).into());
        }
        self.events
            .publish(
                kind::GATEWAY,
                &existing.gateway_eui,
                RegistryAction::Deleted,
                &existing.tenant_id,
                "",
            )
            .await;
        Ok(empty())
    }

    async fn list(
        &self,
        request: Request<api::ListGatewaysRequest>,
    ) -> std::result::Result<Response<api::ListGatewaysResponse>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::GatewaysRead)?;
        let request = request.into_inner();
        let (filter, page) = list_args(
            caller.list_scope(&request.tenant_id)?,
            &request.name_prefix,
            request.page_size,
            &request.page_token,
        )?;
        let (gateways, next_page_token) = self.store.list_gateways(&filter, &page).await?;
        Ok(Response::new(api::ListGatewaysResponse {
            gateways,
            next_page_token,
        }))
    }

    async fn get_status(
        &self,
        request: Request<api::GetGatewayStatusRequest>,
    ) -> std::result::Result<Response<api::GatewayStatus>, Status> {
        Ok(Response::new(self.gateway_status(request).await?))
    }
}
