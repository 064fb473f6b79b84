//! `tern device create|get|list|update|delete|import|keys|activate`.
//!
//! `import` reads a CSV file with a header row naming the columns `dev_eui`, `join_eui`,
//! `name`, `description`, `device_profile_id` and `tags` (`key=value` pairs separated by
//! `;`); only `dev_eui` is required, the others fall back to the flags. Each row is created
//! on its own: a bad row is reported with its line number and the rest go on.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use tern_api::v1 as api;
use tern_api::v1::device_service_client::DeviceServiceClient;

use super::{Client, PageArgs, pages, parse_tags, status_error};
use crate::output;

/// Device commands.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Register a device.
    Create {
        /// DevEUI, 16 hex digits.
        dev_eui: String,
        /// Application id.
        #[arg(long)]
        app: String,
        /// JoinEUI (AppEUI), 16 hex digits.
        #[arg(long, default_value = "0000000000000000")]
        join_eui: String,
        /// Device profile id.
        #[arg(long)]
        profile: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Tag as key=value; repeat for more.
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
    },
    /// Show a device.
    Get {
        /// DevEUI.
        dev_eui: String,
    },
    /// List devices.
    List {
        /// Only devices of this application.
        #[arg(long, default_value = "")]
        app: String,
        /// Only devices of this tenant.
        #[arg(long, default_value = "")]
        tenant: String,
        /// Only devices whose name starts with this.
        #[arg(long, default_value = "")]
        name_prefix: String,
        /// Only devices with this tag (key=value); repeat for more.
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Change a device.
    Update {
        /// DevEUI.
        dev_eui: String,
        /// New JoinEUI.
        #[arg(long)]
        join_eui: Option<String>,
        /// New device profile id.
        #[arg(long)]
        profile: Option<String>,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// Replace all tags with these (key=value); repeat for more.
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
    },
    /// Delete a device.
    Delete {
        /// DevEUI.
        dev_eui: String,
    },
    /// Hand a device's OTAA root keys to the join server, or delete them.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Activate an ABP device with a fixed DevAddr and session keys (its profile must be ABP).
    ///
    /// LoRaWAN 1.0.x devices take --nwk-s-key; 1.1 devices take --f-nwk-s-int-key,
    /// --s-nwk-s-int-key and --nwk-s-enc-key. Activating again replaces the session.
    Activate {
        /// DevEUI.
        dev_eui: String,
        /// DevAddr, 8 hex digits.
        #[arg(long)]
        dev_addr: String,
        /// NwkSKey, 32 hex digits (LoRaWAN 1.0.x).
        #[arg(long, default_value = "")]
        nwk_s_key: String,
        /// FNwkSIntKey, 32 hex digits (LoRaWAN 1.1).
        #[arg(long, default_value = "")]
        f_nwk_s_int_key: String,
        /// SNwkSIntKey, 32 hex digits (LoRaWAN 1.1).
        #[arg(long, default_value = "")]
        s_nwk_s_int_key: String,
        /// NwkSEncKey, 32 hex digits (LoRaWAN 1.1).
        #[arg(long, default_value = "")]
        nwk_s_enc_key: String,
        /// AppSKey, 32 hex digits.
        #[arg(long)]
        app_s_key: String,
    },
    /// Register the devices of a CSV file (header: dev_eui,join_eui,name,description,device_profile_id,tags).
    Import {
        /// Application the devices join.
        #[arg(long)]
        app: String,
        /// Device profile for rows without one.
        #[arg(long, default_value = "")]
        profile: String,
        /// JoinEUI for rows without one.
        #[arg(long, default_value = "0000000000000000")]
        join_eui: String,
        /// The CSV file.
        file: PathBuf,
    },
}

/// `tern device keys` commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Set the root keys (the JoinEUI and LoRaWAN version come from the device and its profile).
    Set {
        /// DevEUI.
        dev_eui: String,
        /// AppKey, 32 hex digits.
        #[arg(long)]
        app_key: String,
        /// NwkKey, 32 hex digits (LoRaWAN 1.1 only).
        #[arg(long, default_value = "")]
        nwk_key: String,
    },
    /// Delete the root keys; the device can no longer join.
    Delete {
        /// DevEUI.
        dev_eui: String,
    },
}

fn to_json(device: &api::Device) -> Value {
    json!({
        "dev_eui": device.dev_eui,
        "application_id": device.application_id,
        "join_eui": device.join_eui,
        "name": device.name,
        "description": device.description,
        "tags": device.tags,
        "device_profile_id": device.device_profile_id,
        "created_at": device.created_at,
        "updated_at": device.updated_at,
    })
}

pub(super) async fn run(
    command: DeviceCommand,
    client: &Client,
    json: bool,
) -> anyhow::Result<String> {
    let mut service = DeviceServiceClient::new(client.channel());
    let device = match command {
        DeviceCommand::Create {
            dev_eui,
            app,
            join_eui,
            profile,
            name,
            description,
            tags,
        } => {
            let device = api::Device {
                dev_eui,
                application_id: app,
                join_eui,
                name,
                description,
                tags: parse_tags(&tags)?,
                device_profile_id: profile,
                ..api::Device::default()
            };
            service
                .create(client.request(api::CreateDeviceRequest {
                    device: Some(device),
                })?)
                .await
        }
        DeviceCommand::Get { dev_eui } => {
            service
                .get(client.request(api::GetDeviceRequest { dev_eui })?)
                .await
        }
        DeviceCommand::Update {
            dev_eui,
            join_eui,
            profile,
            name,
            description,
            tags,
        } => {
            let mut device = service
                .get(client.request(api::GetDeviceRequest { dev_eui })?)
                .await
                .map_err(status_error)?
                .into_inner();
            device.join_eui = join_eui.unwrap_or(device.join_eui);
            device.device_profile_id = profile.unwrap_or(device.device_profile_id);
            device.name = name.unwrap_or(device.name);
            device.description = description.unwrap_or(device.description);
            if !tags.is_empty() {
                device.tags = parse_tags(&tags)?;
            }
            service
                .update(client.request(api::UpdateDeviceRequest {
                    device: Some(device),
                })?)
                .await
        }
        DeviceCommand::Delete { dev_eui } => {
            service
                .delete(client.request(api::DeleteDeviceRequest {
                    dev_eui: dev_eui.clone(),
                })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"deleted": dev_eui}).to_string()
            } else {
                format!("deleted device {dev_eui}")
            });
        }
        DeviceCommand::List {
            app,
            tenant,
            name_prefix,
            tags,
            page,
        } => {
            let tags = parse_tags(&tags)?;
            let devices = pages(&page, |page_size, page_token| {
                let request = client.request(api::ListDevicesRequest {
                    page_size,
                    page_token,
                    tenant_id: tenant.clone(),
                    application_id: app.clone(),
                    name_prefix: name_prefix.clone(),
                    tags: tags.clone(),
                });
                let mut service = service.clone();
                async move {
                    let answer = service
                        .list(request?)
                        .await
                        .map_err(status_error)?
                        .into_inner();
                    Ok((answer.devices, answer.next_page_token))
                }
            })
            .await?;
            let rows: Vec<Value> = devices.iter().map(to_json).collect();
            return Ok(output::list(
                &rows,
                &[
                    "dev_eui",
                    "application_id",
                    "name",
                    "device_profile_id",
                    "tags",
                ],
                json,
            ));
        }
        DeviceCommand::Keys(KeysCommand::Set {
            dev_eui,
            app_key,
            nwk_key,
        }) => {
            service
                .set_keys(client.request(api::SetDeviceKeysRequest {
                    dev_eui: dev_eui.clone(),
                    app_key,
                    nwk_key,
                })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"keys_set": dev_eui}).to_string()
            } else {
                format!("root keys of device {dev_eui} set")
            });
        }
        DeviceCommand::Keys(KeysCommand::Delete { dev_eui }) => {
            service
                .delete_keys(client.request(api::DeleteDeviceKeysRequest {
                    dev_eui: dev_eui.clone(),
                })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"keys_deleted": dev_eui}).to_string()
            } else {
                format!("root keys of device {dev_eui} deleted")
            });
        }
        DeviceCommand::Activate {
            dev_eui,
            dev_addr,
            nwk_s_key,
            f_nwk_s_int_key,
            s_nwk_s_int_key,
            nwk_s_enc_key,
            app_s_key,
        } => {
            service
                .activate(client.request(api::ActivateDeviceRequest {
                    dev_eui: dev_eui.clone(),
                    dev_addr: dev_addr.clone(),
                    nwk_s_key,
                    f_nwk_s_int_key,
                    s_nwk_s_int_key,
                    nwk_s_enc_key,
                    app_s_key,
                })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"activated": dev_eui, "dev_addr": dev_addr}).to_string()
            } else {
                format!("device {dev_eui} activated with DevAddr {dev_addr}")
            });
        }
        DeviceCommand::Import {
            app,
            profile,
            join_eui,
            file,
        } => {
            let defaults = api::Device {
                application_id: app,
                join_eui,
                device_profile_id: profile,
                ..api::Device::default()
            };
            return import(&mut service, client, defaults, &file, json).await;
        }
    };
    let device = device.map_err(status_error)?.into_inner();
    Ok(output::entity(&to_json(&device), json))
}

/// Reads the CSV rows into devices; a malformed row is an error naming its line.
fn read_csv(file: &PathBuf, defaults: &api::Device) -> anyhow::Result<Vec<(u64, api::Device)>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("open {}", file.display()))?;
    let headers = reader.headers().context("read csv header")?.clone();
    let column = |name: &str| headers.iter().position(|header| header == name);
    let Some(dev_eui_column) = column("dev_eui") else {
        bail!("{}: the header has no dev_eui column", file.display());
    };
    let columns = [
        column("join_eui"),
        column("name"),
        column("description"),
        column("device_profile_id"),
        column("tags"),
    ];
    let mut devices = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("read {}", file.display()))?;
        let line = record.position().map_or(0, |position| position.line());
        let field =
            |index: Option<usize>| index.and_then(|i| record.get(i)).filter(|v| !v.is_empty());
        let mut device = defaults.clone();
        device.dev_eui = record.get(dev_eui_column).unwrap_or_default().to_owned();
        if let Some(join_eui) = field(columns[0]) {
            device.join_eui = join_eui.to_owned();
        }
        device.name = field(columns[1]).unwrap_or_default().to_owned();
        device.description = field(columns[2]).unwrap_or_default().to_owned();
        if let Some(profile) = field(columns[3]) {
            device.device_profile_id = profile.to_owned();
        }
        if let Some(tags) = field(columns[4]) {
            let pairs: Vec<String> = tags.split(';').map(str::to_owned).collect();
            device.tags = parse_tags(&pairs).with_context(|| format!("line {line}"))?;
        } else {
            device.tags = HashMap::new();
        }
        devices.push((line, device));
    }
    Ok(devices)
}

async fn import(
    service: &mut DeviceServiceClient<tonic::transport::Channel>,
    client: &Client,
    defaults: api::Device,
    file: &PathBuf,
    json: bool,
) -> anyhow::Result<String> {
    let devices = read_csv(file, &defaults)?;
    // Indicatif draws only when stderr is a terminal, so scripts see no escape codes.
    let progress = indicatif::ProgressBar::new(devices.len() as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} devices {msg}")
            .context("progress bar template")?,
    );
    let mut created = Vec::new();
    let mut failed = Vec::new();
    for (line, device) in devices {
        let dev_eui = device.dev_eui.clone();
        match service
            .create(client.request(api::CreateDeviceRequest {
                device: Some(device),
            })?)
            .await
        {
            Ok(answer) => created.push(answer.into_inner().dev_eui),
            Err(status) => failed.push(json!({
                "line": line,
                "dev_eui": dev_eui,
                "error": status_error(status).to_string(),
            })),
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    let report = json!({"created": created.len(), "failed": failed});
    let text = if json {
        serde_json::to_string_pretty(&report).context("encode report")?
    } else {
        let mut text = format!("created {} devices", created.len());
        for failure in &failed {
            text.push_str(&format!(
                "\nline {}: {}: {}",
                failure["line"],
                failure["dev_eui"].as_str().unwrap_or_default(),
                failure["error"].as_str().unwrap_or_default()
            ));
        }
        text
    };
    if failed.is_empty() {
        Ok(text)
    } else {
        bail!("{text}\n{} of the rows failed", failed.len())
    }
}
