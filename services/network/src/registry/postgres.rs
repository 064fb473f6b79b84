//! [`PgDeviceRegistry`]: the device registry in the network schema of PostgreSQL.
//!
//! Keys of ABP devices are stored as they are; the schema belongs to the network service only.

use deadpool_postgres::Pool;
use lorawan_codec::{Aes128Key, DevAddr, Eui64};
use tern_postgres::SchemaName;
use tern_proto::internal::v1 as pb;
use tokio_postgres::Row;

use super::migrations::MIGRATIONS;
use super::{Activation, DeviceRegistry, NetworkDevice, NetworkSessionKeys};
use crate::mac_version::{mac_version_from_str, mac_version_str};
use crate::{Error, Result};

/// The device registry in PostgreSQL schema `network.schema`.
#[derive(Debug, Clone)]
pub struct PgDeviceRegistry {
    pool: Pool,
    schema: SchemaName,
}

const COLUMNS: &str = "dev_eui, band, mac_version, class, rx1_delay_s, rx1_dr_offset, rx2_dr, \
     rx2_frequency_hz, adr, join_eui, dev_addr, f_nwk_s_int_key, s_nwk_s_int_key, nwk_s_enc_key, \
     relax_f_cnt";

impl PgDeviceRegistry {
    /// Creates the registry over `pool` in `schema`.
    pub fn new(pool: Pool, schema: SchemaName) -> PgDeviceRegistry {
        PgDeviceRegistry { pool, schema }
    }

    /// Creates or migrates the schema (safe with many replicas starting at once).
    pub async fn migrate(&self) -> tern_postgres::Result<()> {
        tern_postgres::migrate(&self.pool, &self.schema, MIGRATIONS).await?;
        Ok(())
    }
}

fn class_str(class: pb::DeviceClass) -> &'static str {
    match class {
        pb::DeviceClass::C => "C",
        pb::DeviceClass::A | pb::DeviceClass::Unspecified => "A",
    }
}

fn key(row: &Row, column: &str, dev_eui: &str) -> Result<Option<Aes128Key>> {
    let bytes: Option<Vec<u8>> = row.get(column);
    bytes
        .map(|bytes| {
            <[u8; 16]>::try_from(bytes.as_slice())
                .map(Aes128Key::from_bytes)
                .map_err(|_| Error::CorruptDevice {
                    dev_eui: dev_eui.to_owned(),
                    reason: "key is not 16 bytes",
                })
        })
        .transpose()
}

fn from_row(row: &Row) -> Result<NetworkDevice> {
    let dev_eui_bytes: Vec<u8> = row.get("dev_eui");
    let dev_eui = <[u8; 8]>::try_from(dev_eui_bytes.as_slice())
        .map(Eui64::from_be_bytes)
        .map_err(|_| Error::CorruptDevice {
            dev_eui: hex::encode(&dev_eui_bytes),
            reason: "dev_eui is not 8 bytes",
        })?;
    let name = dev_eui.to_string();
    let corrupt = |reason| Error::CorruptDevice {
        dev_eui: name.clone(),
        reason,
    };
    let mac_version: String = row.get("mac_version");
    let mac_version =
        mac_version_from_str(&mac_version).ok_or_else(|| corrupt("unknown mac_version"))?;
    let class: String = row.get("class");
    let class = match class.as_str() {
        "C" => pb::DeviceClass::C,
        _ => pb::DeviceClass::A,
    };
    let small = |column: &str| -> Result<u8> {
        let value: i16 = row.get(column);
        u8::try_from(value).map_err(|_| corrupt("small integer out of range"))
    };
    let rx2_dr: Option<i16> = row.get("rx2_dr");
    let rx2_frequency_hz: Option<i64> = row.get("rx2_frequency_hz");
    let join_eui: Option<Vec<u8>> = row.get("join_eui");
    let dev_addr: Option<Vec<u8>> = row.get("dev_addr");
    let activation = match (join_eui, dev_addr) {
        (Some(join_eui), None) => Activation::Otaa {
            join_eui: <[u8; 8]>::try_from(join_eui.as_slice())
                .map(Eui64::from_be_bytes)
                .map_err(|_| corrupt("join_eui is not 8 bytes"))?,
        },
        (None, Some(dev_addr)) => {
            let dev_addr = <[u8; 4]>::try_from(dev_addr.as_slice())
                .map(DevAddr::from_be_bytes)
                .map_err(|_| corrupt("dev_addr is not 4 bytes"))?;
            let missing = || corrupt("abp key missing");
            Activation::Abp {
                dev_addr,
                keys: NetworkSessionKeys {
                    f_nwk_s_int_key: key(row, "f_nwk_s_int_key", &name)?.ok_or_else(missing)?,
                    s_nwk_s_int_key: key(row, "s_nwk_s_int_key", &name)?.ok_or_else(missing)?,
                    nwk_s_enc_key: key(row, "nwk_s_enc_key", &name)?.ok_or_else(missing)?,
                },
            }
        }
        _ => return Err(corrupt("neither otaa nor abp")),
    };
    Ok(NetworkDevice {
        dev_eui,
        band: row.get("band"),
        mac_version,
        class,
        rx1_delay_s: small("rx1_delay_s")?,
        rx1_dr_offset: small("rx1_dr_offset")?,
        rx2_dr: rx2_dr
            .map(u8::try_from)
            .transpose()
            .map_err(|_| corrupt("rx2_dr out of range"))?,
        rx2_frequency_hz: rx2_frequency_hz
            .map(u32::try_from)
            .transpose()
            .map_err(|_| corrupt("rx2_frequency_hz out of range"))?,
        adr: row.get("adr"),
        relax_f_cnt: row.get("relax_f_cnt"),
        activation,
    })
}

impl DeviceRegistry for PgDeviceRegistry {
    async fn set_device(&self, device: &NetworkDevice) -> Result<()> {
        lorawan_region::Band::by_name(&device.band)?;
        let client = self.pool.get().await?;
        let (join_eui, dev_addr, keys) = match device.activation {
            Activation::Otaa { join_eui } => (Some(join_eui.to_be_bytes().to_vec()), None, None),
            Activation::Abp { dev_addr, keys } => {
                (None, Some(dev_addr.to_be_bytes().to_vec()), Some(keys))
            }
        };
        let key_bytes = |pick: fn(&NetworkSessionKeys) -> Aes128Key| {
            keys.as_ref().map(|keys| pick(keys).to_bytes().to_vec())
        };
        let sql = format!(
            "INSERT INTO {} ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (dev_eui) DO UPDATE SET band = $2, mac_version = $3, class = $4,
                 rx1_delay_s = $5, rx1_dr_offset = $6, rx2_dr = $7, rx2_frequency_hz = $8,
                 adr = $9, join_eui = $10, dev_addr = $11, f_nwk_s_int_key = $12,
                 s_nwk_s_int_key = $13, nwk_s_enc_key = $14, relax_f_cnt = $15,
                 updated_at = now()",
            self.schema.table("devices")
        );
        client
            .execute(
                &sql,
                &[
                    &device.dev_eui.to_be_bytes().to_vec(),
                    &device.band,
                    &mac_version_str(device.mac_version),
                    &class_str(device.class),
                    &i16::from(device.rx1_delay_s),
                    &i16::from(device.rx1_dr_offset),
                    &device.rx2_dr.map(i16::from),
                    &device.rx2_frequency_hz.map(i64::from),
                    &device.adr,
                    &join_eui,
                    &dev_addr,
                    &key_bytes(|keys| keys.f_nwk_s_int_key),
                    &key_bytes(|keys| keys.s_nwk_s_int_key),
                    &key_bytes(|keys| keys.nwk_s_enc_key),
                    &device.relax_f_cnt,
                ],
            )
            .await
            .map_err(Error::query("upsert device"))?;
        Ok(())
    }

    async fn device(&self, dev_eui: Eui64) -> Result<Option<NetworkDevice>> {
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {} WHERE dev_eui = $1",
            self.schema.table("devices")
        );
        let row = client
            .query_opt(&sql, &[&dev_eui.to_be_bytes().to_vec()])
            .await
            .map_err(Error::query("select device"))?;
        row.as_ref().map(from_row).transpose()
    }

    async fn abp_devices(&self, dev_addr: DevAddr) -> Result<Vec<NetworkDevice>> {
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM {} WHERE dev_addr = $1",
            self.schema.table("devices")
        );
        let rows = client
            .query(&sql, &[&dev_addr.to_be_bytes().to_vec()])
            .await
            .map_err(Error::query("select abp devices"))?;
        rows.iter().map(from_row).collect()
    }

    async fn delete_device(&self, dev_eui: Eui64) -> Result<bool> {
        let client = self.pool.get().await?;
        let sql = format!(
            "DELETE FROM {} WHERE dev_eui = $1",
            self.schema.table("devices")
        );
        let n = client
            .execute(&sql, &[&dev_eui.to_be_bytes().to_vec()])
            .await
            .map_err(Error::query("delete device"))?;
        Ok(n > 0)
    }
}
