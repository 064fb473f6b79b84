//! Devices: end devices of an application. The tenant column copies the application's, so
//! lists filter by tenant without a join.

use tern_api::v1 as api;
use tokio_postgres::Row;

use super::{ListFilter, Page, Spec, Store, epoch, insert_error};
use crate::validate::tags_from_stored;
use crate::{Error, Result};

pub(crate) const SPEC: Spec = Spec {
    table: "devices",
    kind: "device",
    id: "dev_eui",
    tenant: "tenant_id",
    name: "name",
    columns: concat!(
        "dev_eui, tenant_id, application_id, join_eui, name, description, tags, \
         device_profile_id, ",
        epoch!("created_at"),
        ", ",
        epoch!("updated_at")
    ),
};

fn from_row(row: &Row) -> api::Device {
    api::Device {
        dev_eui: row.get("dev_eui"),
        application_id: row.get("application_id"),
        join_eui: row.get("join_eui"),
        name: row.get("name"),
        description: row.get("description"),
        tags: tags_from_stored(row.get("tags")),
        device_profile_id: row.get("device_profile_id"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

/// Reads the tenant a device row belongs to.
pub(crate) fn tenant_of(row: &Row) -> String {
    row.get("tenant_id")
}

impl Store {
    /// Inserts a checked device of `tenant_id` (its application's tenant).
    pub async fn create_device(
        &self,
        device: &api::Device,
        tenant_id: &str,
        tags: &[String],
    ) -> Result<api::Device> {
        let sql = format!(
            "INSERT INTO {} (dev_eui, tenant_id, application_id, join_eui, name, description,
                 tags, device_profile_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_one(
                &sql,
                &[
                    &device.dev_eui,
                    &tenant_id,
                    &device.application_id,
                    &device.join_eui,
                    &device.name,
                    &device.description,
                    &tags,
                    &device.device_profile_id,
                ],
            )
            .await
            .map_err(insert_error(SPEC.kind, &device.dev_eui))?;
        Ok(from_row(&row))
    }

    /// Reads a device and its tenant.
    pub async fn device(&self, dev_eui: &str) -> Result<Option<(api::Device, String)>> {
        Ok(self
            .get_row(&SPEC, dev_eui)
            .await?
            .map(|row| (from_row(&row), tenant_of(&row))))
    }

    /// Replaces a device's mutable fields; its application stays.
    pub async fn update_device(
        &self,
        device: &api::Device,
        tags: &[String],
    ) -> Result<Option<api::Device>> {
        let sql = format!(
            "UPDATE {} SET join_eui = $2, name = $3, description = $4, tags = $5,
                 device_profile_id = $6, updated_at = now()
             WHERE dev_eui = $1 RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_opt(
                &sql,
                &[
                    &device.dev_eui,
                    &device.join_eui,
                    &device.name,
                    &device.description,
                    &tags,
                    &device.device_profile_id,
                ],
            )
            .await
            .map_err(Error::query("update device"))?;
        Ok(row.as_ref().map(from_row))
    }

    /// Deletes a device.
    pub async fn delete_device(&self, dev_eui: &str) -> Result<bool> {
        self.delete_row(&SPEC, dev_eui, "references").await
    }

    /// Lists devices.
    pub async fn list_devices(
        &self,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<api::Device>, String)> {
        let (rows, next) = self.list_rows(&SPEC, filter, page).await?;
        Ok((rows.iter().map(from_row).collect(), next))
    }
}
