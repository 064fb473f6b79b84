//! Applications: sets of devices of one tenant.

use tern_api::v1 as api;
use tokio_postgres::Row;

use super::{ListFilter, Page, Spec, Store, epoch, insert_error};
use crate::validate::tags_from_stored;
use crate::{Error, Result};

pub(crate) const SPEC: Spec = Spec {
    table: "applications",
    kind: "application",
    id: "id",
    tenant: "tenant_id",
    name: "name",
    columns: concat!(
        "id, tenant_id, name, description, tags, ",
        epoch!("created_at"),
        ", ",
        epoch!("updated_at")
    ),
};

fn from_row(row: &Row) -> api::Application {
    api::Application {
        id: row.get("id"),
        tenant_id: row.get("tenant_id"),
        name: row.get("name"),
        description: row.get("description"),
        tags: tags_from_stored(row.get("tags")),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

impl Store {
    /// Inserts a checked application; `tags` in stored form.
    pub async fn create_application(
        &self,
        application: &api::Application,
        tags: &[String],
    ) -> Result<api::Application> {
        let sql = format!(
            "INSERT INTO {} (id, tenant_id, name, description, tags) VALUES ($1, $2, $3, $4, $5)
             RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_one(
                &sql,
                &[
                    &application.id,
                    &application.tenant_id,
                    &application.name,
                    &application.description,
                    &tags,
                ],
            )
            .await
            .map_err(insert_error(SPEC.kind, &application.id))?;
        Ok(from_row(&row))
    }

    /// Reads an application.
    pub async fn application(&self, id: &str) -> Result<Option<api::Application>> {
        Ok(self.get_row(&SPEC, id).await?.as_ref().map(from_row))
    }

    /// Replaces an application's mutable fields; its tenant stays.
    pub async fn update_application(
        &self,
        application: &api::Application,
        tags: &[String],
    ) -> Result<Option<api::Application>> {
        let sql = format!(
            "UPDATE {} SET name = $2, description = $3, tags = $4, updated_at = now()
             WHERE id = $1 RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_opt(
                &sql,
                &[
                    &application.id,
                    &application.name,
                    &application.description,
                    &tags,
                ],
            )
            .await
            .map_err(Error::query("update application"))?;
        Ok(row.as_ref().map(from_row))
    }

    /// Deletes an application without devices.
    pub async fn delete_application(&self, id: &str) -> Result<bool> {
        self.delete_row(&SPEC, id, "devices").await
    }

    /// Lists applications.
    pub async fn list_applications(
        &self,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<api::Application>, String)> {
        let (rows, next) = self.list_rows(&SPEC, filter, page).await?;
        Ok((rows.iter().map(from_row).collect(), next))
    }
}
