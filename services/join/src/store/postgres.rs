//! [`PgJoinStore`]: the join store in PostgreSQL, one row per device in `<schema>.devices`.
//!
//! Root keys are wrapped under the KEK before they reach the database and unwrapped after they
//! leave it. A join's nonce check, nonce recording and JoinNonce allocation are one conditional
//! `UPDATE … RETURNING`: PostgreSQL locks the row, and a concurrent update of the same device
//! re-evaluates the condition against the committed row, so two copies of one join-request
//! cannot both pass. Only when the update matches nothing does a second query find out why.

use std::sync::Arc;

use deadpool_postgres::Pool;
use lorawan_codec::{Eui64, JoinNonce};
use tern_postgres::{MigrationReport, SchemaName};
use tokio_postgres::Row;

use super::migrations::MIGRATIONS;
use super::{DeviceRootKeys, JoinRecord, JoinStore, NonceCheck};
use crate::{Error, Kek, MacVersion, Result};

/// The join store on PostgreSQL. Cheap to clone; clones share the pool and KEK.
#[derive(Clone, Debug)]
pub struct PgJoinStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: Pool,
    schema: SchemaName,
    kek: Kek,
    sql: Queries,
}

/// The statements, with the schema spliced in once.
#[derive(Debug)]
struct Queries {
    upsert: String,
    delete: String,
    select: String,
    record: String,
    diagnose: String,
}

impl Queries {
    fn new(schema: &SchemaName) -> Queries {
        let devices = schema.table("devices");
        Queries {
            upsert: format!(
                "INSERT INTO {devices} AS d
                     (dev_eui, join_eui, mac_version, kek_label, app_key, nwk_key)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (dev_eui) DO UPDATE SET
                     join_eui = EXCLUDED.join_eui,
                     mac_version = EXCLUDED.mac_version,
                     kek_label = EXCLUDED.kek_label,
                     app_key = EXCLUDED.app_key,
                     nwk_key = EXCLUDED.nwk_key,
                     last_dev_nonce = CASE WHEN d.join_eui = EXCLUDED.join_eui
                         THEN d.last_dev_nonce END,
                     dev_nonce_history = CASE WHEN d.join_eui = EXCLUDED.join_eui
                         THEN d.dev_nonce_history ELSE '{{}}' END,
                     last_rj_count1 = CASE WHEN d.join_eui = EXCLUDED.join_eui
                         THEN d.last_rj_count1 END,
                     updated_at = now()"
            ),
            delete: format!("DELETE FROM {devices} WHERE dev_eui = $1"),
            select: format!(
                "SELECT join_eui, mac_version, kek_label, app_key, nwk_key
                 FROM {devices} WHERE dev_eui = $1"
            ),
            // $3 is the check ('counter', 'history', 'rj_count1' or 'unchecked'), $4 the nonce
            // and $5 the history length. A slice of a PostgreSQL array is renumbered from 1, so
            // `[n:]` keeps the newest entries.
            record: format!(
                "UPDATE {devices} SET
                     last_dev_nonce = CASE WHEN $3::text IN ('counter', 'history')
                         THEN $4::integer ELSE last_dev_nonce END,
                     dev_nonce_history = CASE WHEN $3::text IN ('counter', 'history')
                         THEN (dev_nonce_history || $4::integer)
                             [greatest(cardinality(dev_nonce_history) + 2 - $5::integer, 1):]
                         ELSE dev_nonce_history END,
                     last_rj_count1 = CASE WHEN $3::text = 'rj_count1'
                         THEN $4::integer ELSE last_rj_count1 END,
                     join_nonce = join_nonce + 1,
                     updated_at = now()
                 WHERE dev_eui = $1 AND join_eui = $2 AND join_nonce < {max}
                   AND CASE $3::text
                       WHEN 'counter' THEN last_dev_nonce IS NULL OR $4::integer > last_dev_nonce
                       WHEN 'history' THEN NOT ($4::integer = ANY (dev_nonce_history))
                       WHEN 'rj_count1' THEN last_rj_count1 IS NULL OR $4::integer > last_rj_count1
                       ELSE true
                   END
                 RETURNING join_nonce",
                max = JoinNonce::MAX
            ),
            diagnose: format!("SELECT join_eui, join_nonce FROM {devices} WHERE dev_eui = $1"),
        }
    }
}

impl PgJoinStore {
    /// Creates a store for the devices in `schema`, wrapping root keys under `kek`.
    ///
    /// Connects to nothing; call [`PgJoinStore::migrate`] before first use.
    pub fn new(pool: Pool, schema: SchemaName, kek: Kek) -> PgJoinStore {
        let sql = Queries::new(&schema);
        PgJoinStore {
            inner: Arc::new(Inner {
                pool,
                schema,
                kek,
                sql,
            }),
        }
    }

    /// Creates or upgrades the schema (see `tern_postgres::migrate`).
    pub async fn migrate(&self) -> Result<MigrationReport> {
        Ok(tern_postgres::migrate(&self.inner.pool, &self.inner.schema, MIGRATIONS).await?)
    }

    /// Returns the schema holding the devices.
    pub fn schema(&self) -> &SchemaName {
        &self.inner.schema
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.inner.pool.get().await?)
    }

    /// Reads a device row into unwrapped root keys.
    fn device_from_row(&self, dev_eui: Eui64, row: &Row) -> Result<DeviceRootKeys> {
        let kek = &self.inner.kek;
        let label: &str = row.get("kek_label");
        let app_key = kek.unwrap_key("AppKey", label, row.get("app_key"))?;
        let nwk_key = match row.get::<_, Option<&[u8]>>("nwk_key") {
            Some(wrapped) => Some(kek.unwrap_key("NwkKey", label, wrapped)?),
            None => None,
        };
        let mac_version = row
            .get::<_, &str>("mac_version")
            .parse::<MacVersion>()
            .map_err(|_| Error::CorruptRow {
                what: "mac_version",
            })?;
        Ok(DeviceRootKeys {
            dev_eui,
            join_eui: eui_from_column(row.get("join_eui"))?,
            mac_version,
            app_key,
            nwk_key,
        })
    }

    /// Finds out why a join update matched no row.
    async fn diagnose(&self, client: &deadpool_postgres::Object, record: &JoinRecord) -> Error {
        let statement = match client.prepare_cached(&self.inner.sql.diagnose).await {
            Ok(statement) => statement,
            Err(source) => return Error::query("prepare join diagnosis")(source),
        };
        let dev_eui = record.dev_eui.to_be_bytes();
        let row = match client.query_opt(&statement, &[&dev_eui.as_slice()]).await {
            Ok(row) => row,
            Err(source) => return Error::query("diagnose join")(source),
        };
        let Some(row) = row else {
            return Error::UnknownDevice;
        };
        match eui_from_column(row.get("join_eui")) {
            Ok(join_eui) if join_eui == record.join_eui => {}
            Ok(_) => return Error::UnknownDevice,
            Err(error) => return error,
        }
        let join_nonce: i32 = row.get("join_nonce");
        if u32::try_from(join_nonce).is_ok_and(|n| n >= JoinNonce::MAX) {
            return Error::JoinNonceExhausted;
        }
        match record.check {
            NonceCheck::DevNonceCounter(dev_nonce) | NonceCheck::DevNonceHistory(dev_nonce) => {
                Error::DevNonceReused(dev_nonce.to_u16())
            }
            NonceCheck::RjCount1(rj_count1) => Error::RjCount1Reused(rj_count1),
            // Nothing to reject, so the row changed between the two queries.
            NonceCheck::Unchecked => Error::UnknownDevice,
        }
    }
}

/// Reads an EUI-64 column (8 big-endian bytes).
fn eui_from_column(bytes: &[u8]) -> Result<Eui64> {
    let bytes: [u8; 8] = bytes
        .try_into()
        .map_err(|_| Error::CorruptRow { what: "eui" })?;
    Ok(Eui64::from_be_bytes(bytes))
}

/// Returns the SQL name and value of a nonce check.
fn check_params(check: NonceCheck) -> (&'static str, i32) {
    match check {
        NonceCheck::DevNonceCounter(dev_nonce) => ("counter", i32::from(dev_nonce.to_u16())),
        NonceCheck::DevNonceHistory(dev_nonce) => ("history", i32::from(dev_nonce.to_u16())),
        NonceCheck::RjCount1(rj_count1) => ("rj_count1", i32::from(rj_count1)),
        NonceCheck::Unchecked => ("unchecked", 0),
    }
}

impl JoinStore for PgJoinStore {
    async fn set_device(&self, device: &DeviceRootKeys) -> Result<()> {
        let kek = &self.inner.kek;
        let dev_eui = device.dev_eui.to_be_bytes();
        let join_eui = device.join_eui.to_be_bytes();
        let app_key = kek.wrap_key(&device.app_key);
        let nwk_key = device.nwk_key.as_ref().map(|key| kek.wrap_key(key));
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.inner.sql.upsert)
            .await
            .map_err(Error::query("prepare device upsert"))?;
        client
            .execute(
                &statement,
                &[
                    &dev_eui.as_slice(),
                    &join_eui.as_slice(),
                    &device.mac_version.as_str(),
                    &kek.label(),
                    &app_key.as_slice(),
                    &nwk_key.as_ref().map(|key| key.as_slice()),
                ],
            )
            .await
            .map_err(Error::query("upsert device"))?;
        Ok(())
    }

    async fn delete_device(&self, dev_eui: Eui64) -> Result<bool> {
        let dev_eui = dev_eui.to_be_bytes();
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.inner.sql.delete)
            .await
            .map_err(Error::query("prepare device delete"))?;
        let deleted = client
            .execute(&statement, &[&dev_eui.as_slice()])
            .await
            .map_err(Error::query("delete device"))?;
        Ok(deleted > 0)
    }

    async fn device(&self, dev_eui: Eui64) -> Result<Option<DeviceRootKeys>> {
        let eui_bytes = dev_eui.to_be_bytes();
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.inner.sql.select)
            .await
            .map_err(Error::query("prepare device select"))?;
        let row = client
            .query_opt(&statement, &[&eui_bytes.as_slice()])
            .await
            .map_err(Error::query("select device"))?;
        row.map(|row| self.device_from_row(dev_eui, &row))
            .transpose()
    }

    async fn record_join(&self, record: &JoinRecord) -> Result<JoinNonce> {
        let (check, nonce) = check_params(record.check);
        let history_len = i32::try_from(record.history_len).unwrap_or(i32::MAX);
        let dev_eui = record.dev_eui.to_be_bytes();
        let join_eui = record.join_eui.to_be_bytes();
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&self.inner.sql.record)
            .await
            .map_err(Error::query("prepare join record"))?;
        let row = client
            .query_opt(
                &statement,
                &[
                    &dev_eui.as_slice(),
                    &join_eui.as_slice(),
                    &check,
                    &nonce,
                    &history_len,
                ],
            )
            .await
            .map_err(Error::query("record join"))?;
        match row {
            Some(row) => {
                let join_nonce: i32 = row.get("join_nonce");
                u32::try_from(join_nonce)
                    .ok()
                    .and_then(|value| JoinNonce::new(value).ok())
                    .ok_or(Error::CorruptRow { what: "join_nonce" })
            }
            None => Err(self.diagnose(&client, record).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_map_to_sql_names_and_values() {
        use lorawan_codec::DevNonce;
        let cases = [
            (
                NonceCheck::DevNonceCounter(DevNonce::new(65535)),
                ("counter", 65535),
            ),
            (
                NonceCheck::DevNonceHistory(DevNonce::new(7)),
                ("history", 7),
            ),
            (NonceCheck::RjCount1(3), ("rj_count1", 3)),
            (NonceCheck::Unchecked, ("unchecked", 0)),
        ];
        for (check, params) in cases {
            assert_eq!(check_params(check), params);
        }
    }

    #[test]
    fn eui_columns_must_be_eight_bytes() {
        assert_eq!(
            eui_from_column(&[0, 4, 0xa3, 0x0b, 0, 0x1c, 5, 0x30]).unwrap(),
            "0004a30b001c0530".parse().unwrap()
        );
        assert!(matches!(
            eui_from_column(&[1, 2, 3]),
            Err(Error::CorruptRow { what: "eui" })
        ));
    }

    #[test]
    fn queries_use_the_quoted_schema() {
        let queries = Queries::new(&SchemaName::new("join_test").unwrap());
        for sql in [
            &queries.upsert,
            &queries.delete,
            &queries.select,
            &queries.record,
            &queries.diagnose,
        ] {
            assert!(sql.contains("\"join_test\".\"devices\""), "{sql}");
        }
        assert!(queries.record.contains("join_nonce < 16777215"));
    }
}
