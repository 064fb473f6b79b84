//! Tenants: the unit of isolation.

use tern_api::v1 as api;
use tokio_postgres::Row;

use super::{ListFilter, Page, Spec, Store, epoch, insert_error};
use crate::{Error, Result};

pub(crate) const SPEC: Spec = Spec {
    table: "tenants",
    kind: "tenant",
    id: "id",
    tenant: "id",
    name: "name",
    columns: concat!(
        "id, name, description, ",
        epoch!("created_at"),
        ", ",
        epoch!("updated_at")
    ),
};

fn from_row(row: &Row) -> api::Tenant {
    api::Tenant {
        id: row.get("id"),
        name: row.get("name"),
        description: row.get("description"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

impl Store {
    /// Inserts a checked tenant.
    pub async fn create_tenant(&self, tenant: &api::Tenant) -> Result<api::Tenant> {
        let sql = format!(
            "INSERT INTO {} (id, name, description) VALUES ($1, $2, $3) RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_one(&sql, &[&tenant.id, &tenant.name, &tenant.description])
            .await
            .map_err(insert_error(SPEC.kind, &tenant.id))?;
        Ok(from_row(&row))
    }

    /// Reads a tenant.
    pub async fn tenant(&self, id: &str) -> Result<Option<api::Tenant>> {
        Ok(self.get_row(&SPEC, id).await?.as_ref().map(from_row))
    }

    /// Replaces a tenant's mutable fields; `None` when it does not exist.
    pub async fn update_tenant(&self, tenant: &api::Tenant) -> Result<Option<api::Tenant>> {
        let sql = format!(
            "UPDATE {} SET name = $2, description = $3, updated_at = now() WHERE id = $1
             RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_opt(&sql, &[&tenant.id, &tenant.name, &tenant.description])
            .await
            .map_err(Error::query("update tenant"))?;
        Ok(row.as_ref().map(from_row))
    }

    /// Deletes a tenant that owns nothing any more.
    pub async fn delete_tenant(&self, id: &str) -> Result<bool> {
        self.delete_row(
            &SPEC,
            id,
            "applications, device profiles, gateways, users or api keys",
        )
        .await
    }

    /// Lists tenants.
    pub async fn list_tenants(
        &self,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<api::Tenant>, String)> {
        let (rows, next) = self.list_rows(&SPEC, filter, page).await?;
        Ok((rows.iter().map(from_row).collect(), next))
    }
}
