//! Users; passwords are stored as argon2 hashes and never read back out.

use tern_api::v1 as api;
use tokio_postgres::Row;

use super::{ListFilter, Page, Spec, Store, epoch, insert_error};
use crate::{Error, Result};

pub(crate) const SPEC: Spec = Spec {
    table: "users",
    kind: "user",
    id: "username",
    tenant: "tenant_id",
    name: "username",
    columns: concat!(
        "username, tenant_id, admin, ",
        epoch!("created_at"),
        ", ",
        epoch!("updated_at")
    ),
};

fn from_row(row: &Row) -> api::User {
    api::User {
        username: row.get("username"),
        tenant_id: row
            .get::<_, Option<String>>("tenant_id")
            .unwrap_or_default(),
        admin: row.get("admin"),
        password: String::new(),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

impl Store {
    /// Inserts a checked user with an optional argon2 password hash.
    pub async fn create_user(
        &self,
        user: &api::User,
        password_hash: Option<&str>,
    ) -> Result<api::User> {
        let tenant_id = (!user.tenant_id.is_empty()).then_some(user.tenant_id.as_str());
        let sql = format!(
            "INSERT INTO {} (username, tenant_id, admin, password_hash) VALUES ($1, $2, $3, $4)
             RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_one(
                &sql,
                &[&user.username, &tenant_id, &user.admin, &password_hash],
            )
            .await
            .map_err(insert_error(SPEC.kind, &user.username))?;
        Ok(from_row(&row))
    }

    /// Reads a user.
    pub async fn user(&self, username: &str) -> Result<Option<api::User>> {
        Ok(self.get_row(&SPEC, username).await?.as_ref().map(from_row))
    }

    /// Updates a user's admin flag, and the password hash when one is given.
    pub async fn update_user(
        &self,
        user: &api::User,
        password_hash: Option<&str>,
    ) -> Result<Option<api::User>> {
        let sql = format!(
            "UPDATE {} SET admin = $2, password_hash = coalesce($3, password_hash),
                 updated_at = now()
             WHERE username = $1 RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_opt(&sql, &[&user.username, &user.admin, &password_hash])
            .await
            .map_err(Error::query("update user"))?;
        Ok(row.as_ref().map(from_row))
    }

    /// Reads a user's password hash, for checking a password.
    pub async fn password_hash(&self, username: &str) -> Result<Option<String>> {
        let sql = format!(
            "SELECT password_hash FROM {} WHERE username = $1",
            self.table(&SPEC)
        );
        let row = self
            .client()
            .await?
            .query_opt(&sql, &[&username])
            .await
            .map_err(Error::query("select password hash"))?;
        Ok(row.and_then(|row| row.get(0)))
    }

    /// Deletes a user.
    pub async fn delete_user(&self, username: &str) -> Result<bool> {
        self.delete_row(&SPEC, username, "references").await
    }

    /// Lists users.
    pub async fn list_users(
        &self,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<api::User>, String)> {
        let (rows, next) = self.list_rows(&SPEC, filter, page).await?;
        Ok((rows.iter().map(from_row).collect(), next))
    }
}
