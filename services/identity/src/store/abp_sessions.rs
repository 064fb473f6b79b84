//! ABP sessions: the DevAddr and session keys an ABP device was activated with, every key
//! wrapped under the identity service's KEK. The row goes with its device.
//!
//! The store neither wraps nor unwraps; `kek` does, and the store keeps the bytes it gets.

use tokio_postgres::Row;

use super::Store;
use crate::{Error, Result};

/// An ABP session as stored: keys wrapped under the KEK named `kek_label`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct StoredAbpSession {
    /// DevAddr as a big-endian integer.
    pub dev_addr: u32,
    /// Label of the KEK every key is wrapped under.
    pub kek_label: String,
    /// FNwkSIntKey (the NwkSKey of a LoRaWAN 1.0.x device), wrapped.
    pub f_nwk_s_int_key: Vec<u8>,
    /// SNwkSIntKey, wrapped.
    pub s_nwk_s_int_key: Vec<u8>,
    /// NwkSEncKey, wrapped.
    pub nwk_s_enc_key: Vec<u8>,
    /// AppSKey, wrapped.
    pub app_s_key: Vec<u8>,
}

impl std::fmt::Debug for StoredAbpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Wrapped keys are still key material; they stay out of logs.
        f.debug_struct("StoredAbpSession")
            .field("dev_addr", &format_args!("{:08x}", self.dev_addr))
            .field("kek_label", &self.kek_label)
            .finish_non_exhaustive()
    }
}

const TABLE: &str = "abp_sessions";

fn from_row(row: &Row) -> Result<StoredAbpSession> {
    let dev_addr: i64 = row.get("dev_addr");
    Ok(StoredAbpSession {
        dev_addr: u32::try_from(dev_addr)
            .map_err(|_| Error::Crypto("stored dev_addr out of range"))?,
        kek_label: row.get("kek_label"),
        f_nwk_s_int_key: row.get("f_nwk_s_int_key"),
        s_nwk_s_int_key: row.get("s_nwk_s_int_key"),
        nwk_s_enc_key: row.get("nwk_s_enc_key"),
        app_s_key: row.get("app_s_key"),
    })
}

impl Store {
    /// Reads the ABP session of a device, `None` when it was never activated.
    pub(crate) async fn abp_session(&self, dev_eui: &str) -> Result<Option<StoredAbpSession>> {
        let sql = format!(
            "SELECT dev_addr, kek_label, f_nwk_s_int_key, s_nwk_s_int_key, nwk_s_enc_key,
                 app_s_key
             FROM {} WHERE dev_eui = $1",
            self.schema().table(TABLE)
        );
        let row = self
            .client()
            .await?
            .query_opt(&sql, &[&dev_eui])
            .await
            .map_err(Error::query("select abp session"))?;
        row.as_ref().map(from_row).transpose()
    }

    /// Creates or replaces the ABP session of a device; `false` when the device is gone.
    pub(crate) async fn set_abp_session(
        &self,
        dev_eui: &str,
        session: &StoredAbpSession,
    ) -> Result<bool> {
        let sql = format!(
            "INSERT INTO {} (dev_eui, dev_addr, kek_label, f_nwk_s_int_key, s_nwk_s_int_key,
                 nwk_s_enc_key, app_s_key)
             SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM {} WHERE dev_eui = $1)
             ON CONFLICT (dev_eui) DO UPDATE SET dev_addr = $2, kek_label = $3,
                 f_nwk_s_int_key = $4, s_nwk_s_int_key = $5, nwk_s_enc_key = $6,
                 app_s_key = $7, updated_at = now()",
            self.schema().table(TABLE),
            self.schema().table(super::devices::SPEC.table),
        );
        let n = self
            .client()
            .await?
            .execute(
                &sql,
                &[
                    &dev_eui,
                    &i64::from(session.dev_addr),
                    &session.kek_label,
                    &session.f_nwk_s_int_key,
                    &session.s_nwk_s_int_key,
                    &session.nwk_s_enc_key,
                    &session.app_s_key,
                ],
            )
            .await
            .map_err(Error::query("upsert abp session"))?;
        Ok(n > 0)
    }

    /// Deletes the ABP session of a device; tells whether there was one.
    pub(crate) async fn delete_abp_session(&self, dev_eui: &str) -> Result<bool> {
        let sql = format!(
            "DELETE FROM {} WHERE dev_eui = $1",
            self.schema().table(TABLE)
        );
        let n = self
            .client()
            .await?
            .execute(&sql, &[&dev_eui])
            .await
            .map_err(Error::query("delete abp session"))?;
        Ok(n > 0)
    }
}
