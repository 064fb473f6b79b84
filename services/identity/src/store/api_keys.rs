//! API keys: only the SHA-256 of each secret is stored.

use tern_api::v1 as api;
use tokio_postgres::Row;

use super::{ListFilter, Page, Spec, Store, epoch, insert_error};
use crate::auth::NewKey;
use crate::{Error, Result};

pub(crate) const SPEC: Spec = Spec {
    table: "api_keys",
    kind: "api key",
    id: "id",
    tenant: "tenant_id",
    name: "name",
    columns: concat!(
        "id, name, tenant_id, rights, ",
        epoch!("created_at"),
        ", ",
        epoch!("updated_at")
    ),
};

/// What authentication needs of a stored key.
#[derive(Debug, Clone)]
pub struct StoredSecret {
    /// SHA-256 of the secret part.
    pub secret_sha256: Vec<u8>,
    /// Tenant of the key; `None` for an admin key.
    pub tenant_id: Option<String>,
    /// Right names.
    pub rights: Vec<String>,
}

fn from_row(row: &Row) -> api::ApiKey {
    api::ApiKey {
        id: row.get("id"),
        name: row.get("name"),
        tenant_id: row
            .get::<_, Option<String>>("tenant_id")
            .unwrap_or_default(),
        rights: row.get("rights"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}

impl Store {
    /// Inserts a key with checked name, tenant and rights.
    pub(crate) async fn create_api_key(
        &self,
        key: &api::ApiKey,
        secret: &NewKey,
    ) -> Result<api::ApiKey> {
        let tenant_id = (!key.tenant_id.is_empty()).then_some(key.tenant_id.as_str());
        let sql = format!(
            "INSERT INTO {} (id, name, tenant_id, rights, secret_sha256)
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_one(
                &sql,
                &[
                    &secret.id,
                    &key.name,
                    &tenant_id,
                    &key.rights,
                    &secret.secret_sha256,
                ],
            )
            .await
            .map_err(insert_error(SPEC.kind, &secret.id))?;
        Ok(from_row(&row))
    }

    /// Reads a key (without its secret).
    pub async fn api_key(&self, id: &str) -> Result<Option<api::ApiKey>> {
        Ok(self.get_row(&SPEC, id).await?.as_ref().map(from_row))
    }

    /// Reads what authenticating a key needs.
    pub async fn api_key_secret(&self, id: &str) -> Result<Option<StoredSecret>> {
        let sql = format!(
            "SELECT secret_sha256, tenant_id, rights FROM {} WHERE id = $1",
            self.table(&SPEC)
        );
        let row = self
            .client()
            .await?
            .query_opt(&sql, &[&id])
            .await
            .map_err(Error::query("select api key"))?;
        Ok(row.map(|row| StoredSecret {
            secret_sha256: row.get(0),
            tenant_id: row.get(1),
            rights: row.get(2),
        }))
    }

    /// Updates a key's name and rights; its tenant and secret stay.
    pub async fn update_api_key(&self, key: &api::ApiKey) -> Result<Option<api::ApiKey>> {
        let sql = format!(
            "UPDATE {} SET name = $2, rights = $3, updated_at = now() WHERE id = $1 RETURNING {}",
            self.table(&SPEC),
            SPEC.columns
        );
        let row = self
            .client()
            .await?
            .query_opt(&sql, &[&key.id, &key.name, &key.rights])
            .await
            .map_err(Error::query("update api key"))?;
        Ok(row.as_ref().map(from_row))
    }

    /// Deletes a key; it stops working at once.
    pub async fn delete_api_key(&self, id: &str) -> Result<bool> {
        self.delete_row(&SPEC, id, "references").await
    }

    /// Lists keys.
    pub async fn list_api_keys(
        &self,
        filter: &ListFilter,
        page: &Page,
    ) -> Result<(Vec<api::ApiKey>, String)> {
        let (rows, next) = self.list_rows(&SPEC, filter, page).await?;
        Ok((rows.iter().map(from_row).collect(), next))
    }
}
