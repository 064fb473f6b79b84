//! The first start against an empty schema: one admin user and one admin API key, created in
//! the transaction that records the bootstrap, so they exist once however many replicas start.

use crate::auth::{Right, new_key};
use crate::{Error, Result};

use super::Store;

/// The admin key made by the bootstrap; shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct BootstrapKey {
    /// Username of the admin user.
    pub username: String,
    /// The full API key, `tern_<id>_<secret>`.
    pub key: String,
}

impl std::fmt::Debug for BootstrapKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapKey")
            .field("username", &self.username)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Store {
    /// Creates the admin user `username` and an admin key unless a bootstrap happened before;
    /// returns the key only when this call created it.
    ///
    /// The bootstrap row is inserted first: a concurrent call waits on it and then finds it,
    /// so exactly one call creates the admin.
    pub async fn bootstrap(&self, username: &str) -> Result<Option<BootstrapKey>> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(Error::query("begin bootstrap"))?;
        let marker = format!(
            "INSERT INTO {} (admin_username) VALUES ($1) ON CONFLICT DO NOTHING",
            self.schema.table("bootstrap")
        );
        let inserted = tx
            .execute(&marker, &[&username])
            .await
            .map_err(Error::query("record bootstrap"))?;
        if inserted == 0 {
            return Ok(None);
        }
        let user = format!(
            "INSERT INTO {} (username, tenant_id, admin, password_hash) VALUES ($1, NULL, true, NULL)
             ON CONFLICT (username) DO NOTHING",
            self.schema.table("users")
        );
        tx.execute(&user, &[&username])
            .await
            .map_err(Error::query("create admin user"))?;
        let secret = new_key()?;
        let rights = vec![Right::TenantsAll.as_str().to_owned()];
        let key = format!(
            "INSERT INTO {} (id, name, tenant_id, rights, secret_sha256) VALUES ($1, $2, NULL, $3, $4)",
            self.schema.table("api_keys")
        );
        let name = format!("bootstrap key of {username}");
        tx.execute(&key, &[&secret.id, &name, &rights, &secret.secret_sha256])
            .await
            .map_err(Error::query("create admin api key"))?;
        tx.commit()
            .await
            .map_err(Error::query("commit bootstrap"))?;
        Ok(Some(BootstrapKey {
            username: username.to_owned(),
            key: secret.key,
        }))
    }
}
