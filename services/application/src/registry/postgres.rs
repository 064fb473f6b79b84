//! [`PgApplicationRegistry`]: the application registry in the application schema of
//! PostgreSQL.

use std::collections::BTreeMap;

use deadpool_postgres::Pool;
use lorawan_codec::Eui64;
use tern_bus::AppEvent;
use tern_postgres::SchemaName;
use tokio_postgres::Row;

use super::migrations::MIGRATIONS;
use super::{ApplicationDevice, ApplicationRegistry, Integration, IntegrationKind};
use crate::formatter::Formatter;
use crate::{Error, Result};

/// The application registry in PostgreSQL schema `application.schema`.
#[derive(Debug, Clone)]
pub struct PgApplicationRegistry {
    pool: Pool,
    schema: SchemaName,
}

impl PgApplicationRegistry {
    /// Creates the registry over `pool` in `schema`.
    pub fn new(pool: Pool, schema: SchemaName) -> PgApplicationRegistry {
        PgApplicationRegistry { pool, schema }
    }

    /// Creates or migrates the schema (safe with many replicas starting at once).
    pub async fn migrate(&self) -> tern_postgres::Result<()> {
        tern_postgres::migrate(&self.pool, &self.schema, MIGRATIONS).await?;
        Ok(())
    }
}

fn device_from_row(row: &Row) -> Result<ApplicationDevice> {
    let dev_eui_bytes: Vec<u8> = row.get("dev_eui");
    let dev_eui = <[u8; 8]>::try_from(dev_eui_bytes.as_slice())
        .map(Eui64::from_be_bytes)
        .map_err(|_| Error::CorruptRow {
            id: hex::encode(&dev_eui_bytes),
            reason: "dev_eui is not 8 bytes",
        })?;
    let formatter: String = row.get("formatter");
    let script: Option<String> = row.get("formatter_script");
    let formatter = match (formatter.as_str(), script) {
        ("none", _) => Formatter::None,
        ("cayenne_lpp", _) => Formatter::CayenneLpp,
        ("javascript", Some(source)) => Formatter::JavaScript { source },
        _ => {
            return Err(Error::CorruptRow {
                id: dev_eui.to_string(),
                reason: "unknown formatter",
            });
        }
    };
    Ok(ApplicationDevice {
        dev_eui,
        application_id: row.get("application_id"),
        device_id: row.get("device_id"),
        name: row.get("name"),
        formatter,
    })
}

fn integration_from_row(row: &Row) -> Result<Integration> {
    let application_id: String = row.get("application_id");
    let integration_id: String = row.get("integration_id");
    let corrupt = |reason| Error::CorruptRow {
        id: format!("{application_id}/{integration_id}"),
        reason,
    };
    let kind: String = row.get("kind");
    let url: String = row.get("url");
    let kind = match kind.as_str() {
        "webhook" => {
            let headers: String = row.get("headers");
            let headers: BTreeMap<String, String> = serde_json::from_str(&headers)
                .map_err(|_| corrupt("headers are not a json object of strings"))?;
            IntegrationKind::Webhook {
                url,
                headers: headers.into_iter().collect(),
            }
        }
        "mqtt" => IntegrationKind::Mqtt {
            url,
            username: row.get("username"),
            password: row.get("password"),
        },
        _ => return Err(corrupt("unknown kind")),
    };
    let names: Vec<String> = row.get("events");
    let events = names
        .iter()
        .map(|name| {
            AppEvent::ALL
                .into_iter()
                .find(|event| event.as_str() == name)
                .ok_or_else(|| corrupt("unknown event name"))
        })
        .collect::<Result<Vec<AppEvent>>>()?;
    Ok(Integration {
        application_id: application_id.clone(),
        integration_id: integration_id.clone(),
        kind,
        events,
    })
}

impl ApplicationRegistry for PgApplicationRegistry {
    async fn set_device(&self, device: &ApplicationDevice) -> Result<()> {
        tern_bus::validate_token(&device.application_id).map_err(|_| {
            Error::InvalidArgument(format!(
                "application id {:?} is not a single subject token",
                device.application_id
            ))
        })?;
        if device.device_id.is_empty() {
            return Err(Error::InvalidArgument(String::from("empty device id")));
        }
        let script = match &device.formatter {
            Formatter::JavaScript { source } => Some(source.as_str()),
            Formatter::None | Formatter::CayenneLpp => None,
        };
        let client = self.pool.get().await?;
        let sql = format!(
            "INSERT INTO {} (dev_eui, application_id, device_id, name, formatter, formatter_script)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (dev_eui) DO UPDATE SET application_id = $2, device_id = $3, name = $4,
                 formatter = $5, formatter_script = $6, updated_at = now()",
            self.schema.table("devices")
        );
        client
            .execute(
                &sql,
                &[
                    &device.dev_eui.to_be_bytes().as_slice(),
                    &device.application_id,
                    &device.device_id,
                    &device.name,
                    &device.formatter.kind(),
                    &script,
                ],
            )
            .await
            .map_err(Error::query("upsert device"))?;
        Ok(())
    }

    async fn device(&self, dev_eui: Eui64) -> Result<Option<ApplicationDevice>> {
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT dev_eui, application_id, device_id, name, formatter, formatter_script
             FROM {} WHERE dev_eui = $1",
            self.schema.table("devices")
        );
        let row = client
            .query_opt(&sql, &[&dev_eui.to_be_bytes().as_slice()])
            .await
            .map_err(Error::query("select device"))?;
        row.as_ref().map(device_from_row).transpose()
    }

    async fn delete_device(&self, dev_eui: Eui64) -> Result<bool> {
        let client = self.pool.get().await?;
        let sql = format!(
            "DELETE FROM {} WHERE dev_eui = $1",
            self.schema.table("devices")
        );
        let n = client
            .execute(&sql, &[&dev_eui.to_be_bytes().as_slice()])
            .await
            .map_err(Error::query("delete device"))?;
        Ok(n > 0)
    }

    async fn set_integration(&self, integration: &Integration) -> Result<()> {
        let (kind, url, headers, username, password) = match &integration.kind {
            IntegrationKind::Webhook { url, headers } => {
                let headers: BTreeMap<&str, &str> = headers
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect();
                let headers = serde_json::to_string(&headers)
                    .map_err(|error| Error::InvalidArgument(error.to_string()))?;
                ("webhook", url, headers, None, None)
            }
            IntegrationKind::Mqtt {
                url,
                username,
                password,
            } => (
                "mqtt",
                url,
                String::from("{}"),
                username.clone(),
                password.clone(),
            ),
        };
        let events: Vec<&str> = integration.events.iter().map(|e| e.as_str()).collect();
        let client = self.pool.get().await?;
        let sql = format!(
            "INSERT INTO {} (application_id, integration_id, kind, url, headers, username, password, events)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (application_id, integration_id) DO UPDATE SET kind = $3, url = $4,
                 headers = $5, username = $6, password = $7, events = $8, updated_at = now()",
            self.schema.table("integrations")
        );
        client
            .execute(
                &sql,
                &[
                    &integration.application_id,
                    &integration.integration_id,
                    &kind,
                    url,
                    &headers,
                    &username,
                    &password,
                    &events,
                ],
            )
            .await
            .map_err(Error::query("upsert integration"))?;
        Ok(())
    }

    async fn integrations(&self, application_id: &str) -> Result<Vec<Integration>> {
        let client = self.pool.get().await?;
        let sql = format!(
            "SELECT application_id, integration_id, kind, url, headers, username, password, events
             FROM {} WHERE application_id = $1 ORDER BY integration_id",
            self.schema.table("integrations")
        );
        let rows = client
            .query(&sql, &[&application_id])
            .await
            .map_err(Error::query("select integrations"))?;
        rows.iter().map(integration_from_row).collect()
    }

    async fn delete_integration(&self, application_id: &str, integration_id: &str) -> Result<bool> {
        let client = self.pool.get().await?;
        let sql = format!(
            "DELETE FROM {} WHERE application_id = $1 AND integration_id = $2",
            self.schema.table("integrations")
        );
        let n = client
            .execute(&sql, &[&application_id, &integration_id])
            .await
            .map_err(Error::query("delete integration"))?;
        Ok(n > 0)
    }
}
