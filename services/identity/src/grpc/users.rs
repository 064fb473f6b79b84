//! `UserService`: users, managed by admin keys only. Passwords go in, never out.

use tern_api::v1 as api;
use tern_api::v1::user_service_server::UserService;
use tern_bus::RegistryAction;
use tonic::{Request, Response, Status};

use super::{Api, empty, list_args, required};
use crate::auth::hash_password;
use crate::events::kind;
use crate::validate::slug;
use crate::{Error, Result};

fn not_found(username: &str) -> Error {
    Error::not_found("user", format!("{username:?}"))
}

fn checked(user: Option<api::User>) -> Result<api::User> {
    let mut user = required("user", user)?;
    user.username = slug("user.username", &user.username)?;
    if !user.tenant_id.is_empty() {
        user.tenant_id = slug("user.tenant_id", &user.tenant_id)?;
    }
    if user.admin && !user.tenant_id.is_empty() {
        return Err(Error::invalid(
            "user.admin",
            "admin users belong to no tenant",
        ));
    }
    Ok(user)
}

async fn password(user: &mut api::User) -> Result<Option<String>> {
    let password = std::mem::take(&mut user.password);
    if password.is_empty() {
        Ok(None)
    } else {
        hash_password(password).await.map(Some)
    }
}

#[tonic::async_trait]
impl UserService for Api {
    async fn create(
        &self,
        request: Request<api::CreateUserRequest>,
    ) -> std::result::Result<Response<api::User>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let mut user = checked(request.into_inner().user)?;
        if !user.tenant_id.is_empty() {
            self.visible_tenant(&caller, &user.tenant_id).await?;
        }
        let hash = password(&mut user).await?;
        let created = self.store.create_user(&user, hash.as_deref()).await?;
        self.events
            .publish(
                kind::USER,
                &created.username,
                RegistryAction::Created,
                &created.tenant_id,
                "",
            )
            .await;
        Ok(Response::new(created))
    }

    async fn get(
        &self,
        request: Request<api::GetUserRequest>,
    ) -> std::result::Result<Response<api::User>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let username = &request.get_ref().username;
        let user = self
            .store
            .user(username)
            .await?
            .ok_or_else(|| not_found(username))?;
        Ok(Response::new(user))
    }

    async fn update(
        &self,
        request: Request<api::UpdateUserRequest>,
    ) -> std::result::Result<Response<api::User>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let mut user = checked(request.into_inner().user)?;
        let existing = self
            .store
            .user(&user.username)
            .await?
            .ok_or_else(|| not_found(&user.username))?;
        if existing.tenant_id != user.tenant_id {
            return Err(Error::invalid("user.tenant_id", "a user cannot change tenant").into());
        }
        let hash = password(&mut user).await?;
        let updated = self
            .store
            .update_user(&user, hash.as_deref())
            .await?
            .ok_or_else(|| not_found(&user.username))?;
        self.events
            .publish(
                kind::USER,
                &updated.username,
                RegistryAction::Updated,
                &updated.tenant_id,
                "",
            )
            .await;
        Ok(Response::new(updated))
    }

    async fn delete(
        &self,
        request: Request<api::DeleteUserRequest>,
    ) -> std::result::Result<Response<api::Empty>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let username = &request.get_ref().username;
        let existing = self
            .store
            .user(username)
            .await?
            .ok_or_else(|| not_found(username))?;
        if !self.store.delete_user(username).await? {
            return Err(not_found(username).into());
        }
        self.events
            .publish(
                kind::USER,
                username,
                RegistryAction::Deleted,
                &existing.tenant_id,
                "",
            )
            .await;
        Ok(empty())
    }

    async fn list(
        &self,
        request: Request<api::ListUsersRequest>,
    ) -> std::result::Result<Response<api::ListUsersResponse>, Status> {
        let caller = self.caller(&request).await?;
        caller.require_admin()?;
        let request = request.into_inner();
        let tenant = (!request.tenant_id.is_empty()).then(|| request.tenant_id.clone());
        let (filter, page) = list_args(
            tenant,
            &request.name_prefix,
            request.page_size,
            &request.page_token,
        )?;
        let (users, next_page_token) = self.store.list_users(&filter, &page).await?;
        Ok(Response::new(api::ListUsersResponse {
            users,
            next_page_token,
        }))
    }
}
