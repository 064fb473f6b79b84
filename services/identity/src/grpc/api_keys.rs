//! `ApiKeyService`: admin keys manage every key; a tenant key manages the keys of its tenant
//! but grants, changes and revokes only rights it holds itself, so no key can escalate.

use tern_api::v1 as api;
use tern_api::v1::api_key_service_server::ApiKeyService;
use tern_bus::RegistryAction;
use tonic::{Request, Response, Status};

use super::applications::target_tenant;
use super::{Api, empty, list_args, required};
use crate::auth::{Caller, Right, new_key, parse_rights};
use crate::events::kind;
use crate::validate::text;
use crate::{Error, Result};

fn not_found(id: &str) -> Error {
    Error::not_found("api key", id)
}

/// Checks name and rights of a key in `tenant_id` (empty: an admin key).
fn checked_rights(caller: &Caller, key: &mut api::ApiKey) -> Result<()> {
    key.name = text("api_key.name", &key.name)?;
    let admin_key = key.tenant_id.is_empty();
    let rights = parse_rights(&key.rights, admin_key)?;
    if admin_key {
        caller.require_admin()?;
        if rights.iter().any(|right| *right != Right::TenantsAll) {
            return Err(Error::invalid(
                "api_key.rights",
                "a key without tenant is an admin key and holds tenants:* only",
            ));
        }
        key.rights = vec![Right::TenantsAll.as_str().to_owned()];
        return Ok(());
    }
    if rights.is_empty() {
        return Err(Error::invalid("api_key.rights", "name at least one right"));
    }
    grants_only_own(caller, &rights)?;
    key.rights = rights
        .iter()
        .map(|right| right.as_str().to_owned())
        .collect();
    Ok(())
}

/// Fails when a tenant key would hand out or take away a right it lacks.
fn grants_only_own(caller: &Caller, rights: &[Right]) -> Result<()> {
    for right in rights {
        caller.require(*right)?;
    }
    Ok(())
}

fn rights_of(key: &api::ApiKey) -> Vec<Right> {
    key.rights
        .iter()
        .filter_map(|name| Right::parse(name))
        .collect()
}

impl Api {
    /// Reads a key the caller may see.
    async fn visible_api_key(&self, caller: &Caller, id: &str) -> Result<api::ApiKey> {
        match self.store.api_key(id).await? {
            Some(key) if caller.is_admin() || caller.sees(&key.tenant_id) => Ok(key),
            _ => Err(not_found(id)),
        }
    }
}

#[tonic::async_trait]
impl ApiKeyService for Api {
    async fn create(
        &self,
        request: Request<api::CreateApiKeyRequest>,
    ) -> std::result::Result<Response<api::CreateApiKeyResponse>, Status> {
        let caller = self.caller(&request).await?;
        let mut key = required("api_key", request.into_inner().api_key)?;
        if !key.tenant_id.is_empty() || !caller.is_admin() {
            key.tenant_id = target_tenant(&caller, "api_key.tenant_id", &key.tenant_id)?;
            self.visible_tenant(&caller, &key.tenant_id).await?;
        }
        checked_rights(&caller, &mut key)?;
        let secret = new_key()?;
        let created = self.store.create_api_key(&key, &secret).await?;
        self.events
            .publish(
                kind::API_KEY,
                &created.id,
                RegistryAction::Created,
                &created.tenant_id,
                "",
            )
            .await;
        Ok(Response::new(api::CreateApiKeyResponse {
            api_key: Some(created),
            key: secret.key,
        }))
    }

    async fn get(
        &self,
        request: Request<api::GetApiKeyRequest>,
    ) -> std::result::Result<Response<api::ApiKey>, Status> {
        let caller = self.caller(&request).await?;
        let key = self.visible_api_key(&caller, &request.get_ref().id).await?;
        Ok(Response::new(key))
    }

    async fn update(
        &self,
        request: Request<api::UpdateApiKeyRequest>,
    ) -> std::result::Result<Response<api::ApiKey>, Status> {
        let caller = self.caller(&request).await?;
        let mut key = required("api_key", request.into_inner().api_key)?;
        let existing = self.visible_api_key(&caller, &key.id).await?;
        grants_only_own(&caller, &rights_of(&existing))?;
        key.tenant_id = existing.tenant_id.clone();
        checked_rights(&caller, &mut key)?;
        let updated = self
            .store
            .update_api_key(&key)
            .await?
            .ok_or_else(|| not_found(&key.id))?;
        self.events
            .publish(
                kind::API_KEY,
                &updated.id,
                RegistryAction::Updated,
                &updated.tenant_id,
                "",
            )
            .await;
        Ok(Response::new(updated))
    }

    async fn delete(
        &self,
        request: Request<api::DeleteApiKeyRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        let id = &request.get_ref().id;
        let existing = self.visible_api_key(&caller, id).await?;
        grants_only_own(&caller, &rights_of(&existing))?;
        if !self.store.delete_api_key(id).await? {
            return Err(not_found(id).into());
        }
        self.events
            .publish(
                kind::API_KEY,
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
        request: Request<api::ListApiKeysRequest>,
    ) -> std::result::Result<Response<api::ListApiKeysResponse>, Status> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let (filter, page) = list_args(
            caller.list_scope(&request.tenant_id)?,
            &request.name_prefix,
            request.page_size,
            &request.page_token,
        )?;
        let (api_keys, next_page_token) = self.store.list_api_keys(&filter, &page).await?;
        Ok(Response::new(api::ListApiKeysResponse {
            api_keys,
            next_page_token,
        }))
    }
}
