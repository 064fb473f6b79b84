//! Gateways of a tenant.

use tern_api::v1 as api;
use tokio_postgres::Row;

use super::{ListFilter, Page, Spec, Store, epoch, insert_error};
use crate::{Error, Result};

pub(crate) const SPEC: Spec = Spec {
    table: "gateways",
    kind: "gateway",
    id: "gateway_eui",
    tenant: "tenant_id",
    name: "name",
    columns: concat!(
        "gateway_eui, tenant_id, name, description, latitude, longitude, altitude, band, ",
        epoch!("created_at"),
        ", ",
        epoch!("updated_at")
    ),
};

fn from_row(row: &Row) -> api::Gateway {
    api::Gateway {
        gateway_eui: row.get("gateway_eui"),
        tenant_id: row.get("tenant_id"),
        name: row.get("name"),
        description: row.get("description"),
        latitude: row.get("latitude"),
        longitude: row.get("longitude"),
        altitude: row.get("altitude"),
        band: row.get("band"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

impl Store {
    /// Inserts a checked gateway.
    pub async fn create_gateway(&self, gateway: &api::Gateway) -> Result<api::Gateway> {
        let sql = format!(
            "INSERT INTO {} (gateway_eui, tenant_id, name, description, latitude, longitude,
                 altitude, band)
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
                    &gateway.gateway_eui,
                    &gateway.tenant_id,
                    &gateway.name,
                    &gateway.description,
                    &gateway.latitude,
                    &gateway.longitude,
                    &gateway.altitude,
                    &gateway.band,
                ],
            )
            .await
            .map_err(insert_error(SPEC.kind, &gateway.gateway_eui))?;
        Ok(from_row(&row))
    }

    /// Reads a gateway.
    pub async fn gateway(&self, gateway_eui: &str) -> Result<Option<api::Gateway>> {
        Ok(self
            .get_row(&SPEC, gateway_eui)
            .await?
            .as_ref()
            .map(from_row))
    }

    /// Replaces a gateway's mutable fields; its tenant stays.
    pub async fn update_gateway(&self, gateway: &api::Gateway) -> Result<Option<api::Gateway>> {
        let sql = format!(
            "UPDATE {} SET name = $2, description = $3, latitude = $4, longitude = $5,
                 altitude = $6, band = $7, updated_at = now()
             WHERE gateway_eui = $1 RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_opt(
                &sql,
                &[
                    &gateway.gateway_eui,
                    &gateway.name,
                    &gateway.description,
                    &gateway.latitude,
                    &gateway.longitude,
                    &gateway.altitude,
                    &gateway.band,
                ],
            )
            .await
            .map_err(Error::query("update gateway"))?;
        Ok(row.as_ref().map(from_row))
    }

    /// Deletes a gateway.
    pub async fn delete_gateway(&self, gateway_eui: &str) -> Result<bool> {
        self.delete_row(&SPEC, gateway_eui, "references").await
    }

    /// Lists gateways.
    pub async fn list_gateways(
        &self,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<api::Gateway>, String)> {
        let (rows, next) = self.list_rows(&SPEC, filter, page).await?;
        Ok((rows.iter().map(from_row).collect(), next))
    }
}
