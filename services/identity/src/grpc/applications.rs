//! `ApplicationService`: applications of a tenant (rights `applications:read` and
//! `applications:write`).

use std::collections::HashMap;

use tern_api::v1 as api;
use tern_api::v1::application_service_server::ApplicationService;
use tern_bus::RegistryAction;
use tonic::{Request, Response, Status};

use super::{Api, empty, list_args, required};
use crate::auth::{Caller, Right};
use crate::events::kind;
use crate::validate::{slug, tags, text};
use crate::{Error, Result};

pub(crate) fn not_found(id: &str) -> Error {
    Error::not_found("application", format!("{id:?}"))
}

fn checked(application: Option<api::Application>) -> Result<(api::Application, Vec<String>)> {
    let mut application = required("application", application)?;
    application.id = slug("application.id", &application.id)?;
    application.name = text("application.name", &application.name)?;
    application.description = text("application.description", &application.description)?;
    let stored_tags = tags("application.tags", &application.tags)?;
    Ok((application, stored_tags))
}

/// Returns the tenant a new entity goes into: the one named, or the caller's own.
pub(crate) fn target_tenant(caller: &Caller, field: &'static str, named: &str) -> Result<String> {
    let tenant_id = match (named.is_empty(), &caller.tenant_id) {
        (false, _) => named.to_owned(),
        (true, Some(own)) => own.clone(),
        (true, None) => {
            return Err(Error::invalid(
                field,
                "missing (admin keys name the tenant)",
            ));
        }
    };
    caller.require_tenant(&tenant_id)?;
    Ok(tenant_id)
}

/// Turns a tags filter into its stored form.
pub(crate) fn tag_filter(filter: &HashMap<String, String>) -> Result<Vec<String>> {
    tags("tags", filter)
}

impl Api {
    /// Reads an application the caller may see.
    pub(crate) async fn visible_application(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<api::Application> {
        match self.store.application(id).await? {
            Some(application) if caller.sees(&application.tenant_id) => Ok(application),
            _ => Err(not_found(id)),
        }
    }
}

#[tonic::async_trait]
impl ApplicationService for Api {
    async fn create(
        &self,
        request: Request<api::CreateApplicationRequest>,
    ) -> std::result::Result<Response<api::Application>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::ApplicationsWrite)?;
        let (mut application, stored_tags) = checked(request.into_inner().application)?;
        application.tenant_id =
            target_tenant(&caller, "application.tenant_id", &application.tenant_id)?;
        self.visible_tenant(&caller, &application.tenant_id).await?;
        let created = self
            .store
            .create_application(&application, &stored_tags)
            .await?;
        self.events
            .publish(
                kind::APPLICATION,
                &created.id,
                RegistryAction::Created,
                &created.tenant_id,
                &created.id,
            )
            .await;
        Ok(Response::new(created))
    }

    async fn get(
        &self,
        request: Request<api::GetApplicationRequest>,
    ) -> std::result::Result<Response<api::Application>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::ApplicationsRead)?;
        let application = self
            .visible_application(&caller, &request.get_ref().id)
            .await?;
        Ok(Response::new(application))
    }

    async fn update(
        &self,
        request: Request<api::UpdateApplicationRequest>,
    ) -> std::result::Result<Response<api::Application>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::ApplicationsWrite)?;
        let (application, stored_tags) = checked(request.into_inner().application)?;
        let existing = self.visible_application(&caller, &application.id).await?;
        let updated = self
            .store
            .update_application(&application, &stored_tags)
            .await?
            .ok_or_else(|| not_found(&application.id))?;
        self.events
            .publish(
                kind::APPLICATION,
                &updated.id,
                RegistryAction::Updated,
                &existing.tenant_id,
                &updated.id,
            )
            .await;
        Ok(Response::new(updated))
    }

    async fn delete(
        &self,
        request: Request<api::DeleteApplicationRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::ApplicationsWrite)?;
        let id = &request.get_ref().id;
        let existing = self.visible_application(&caller, id).await?;
        if !self.store.delete_application(id).await? {
            return Err(not_found(id).into());
        }
        self.events
            .publish(
                kind::APPLICATION,
                id,
                RegistryAction::Deleted,
                &existing.tenant_id,
                id,
            )
            .await;
        Ok(empty())
    }

    async fn list(
        &self,
        request: Request<api::ListApplicationsRequest>,
    ) -> std::result::Result<Response<api::ListApplicationsResponse>, Status> {
        let caller = self.caller(&request).await?;
        caller.require(Right::ApplicationsRead)?;
        let request = request.into_inner();
        let (mut filter, page) = list_args(
            caller.list_scope(&request.tenant_id)?,
            &request.name_prefix,
            request.page_size,
            &request.page_token,
        )?;
        filter.tags = tag_filter(&request.tags)?;
        let (applications, next_page_token) = self.store.list_applications(&filter, &page).await?;
        Ok(Response::new(api::ListApplicationsResponse {
            applications,
            next_page_token,
        }))
    }
}
