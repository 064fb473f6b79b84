//! `tern profile create|get|list|update|delete`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tern_api::v1 as api;
use tern_api::v1::device_profile_service_client::DeviceProfileServiceClient;

use super::{Client, PageArgs, pages, status_error};
use crate::output;

/// The settings of a device profile as flags; every one optional so `update` can change a few.
#[derive(Debug, Args)]
pub struct ProfileSettings {
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    /// Description.
    #[arg(long)]
    description: Option<String>,
    /// Band, e.g. eu868 or us915_1.
    #[arg(long)]
    band: Option<String>,
    /// LoRaWAN MAC version: 1.0.0 to 1.0.4 or 1.1.
    #[arg(long)]
    mac_version: Option<String>,
    /// Regional Parameters revision, e.g. RP002-1.0.4.
    #[arg(long)]
    rp_revision: Option<String>,
    /// Whether devices support class C.
    #[arg(long)]
    class_c: Option<bool>,
    /// Activation: otaa or abp.
    #[arg(long, value_parser = ["otaa", "abp"])]
    activation: Option<String>,
    /// RX1 delay in seconds (1 to 15).
    #[arg(long)]
    rx1_delay: Option<u32>,
    /// RX1 data-rate offset (0 to 7).
    #[arg(long)]
    rx1_dr_offset: Option<u32>,
    /// RX2 data rate.
    #[arg(long)]
    rx2_dr: Option<u32>,
    /// RX2 frequency in Hz; 0 takes the band's default.
    #[arg(long)]
    rx2_frequency_hz: Option<u64>,
    /// Whether ADR is on.
    #[arg(long)]
    adr: Option<bool>,
    /// ADR algorithm: default or loss-aware.
    #[arg(long)]
    adr_algorithm: Option<String>,
    /// Maximum EIRP in dBm; 0 takes the band's default.
    #[arg(long)]
    max_eirp_dbm: Option<f32>,
    /// Payload formatter: none, cayenne-lpp or javascript.
    #[arg(long)]
    formatter: Option<String>,
    /// File holding the JavaScript formatter source.
    #[arg(long, value_name = "FILE")]
    formatter_file: Option<PathBuf>,
}

impl ProfileSettings {
    fn apply(self, profile: &mut api::DeviceProfile) -> anyhow::Result<()> {
        macro_rules! set {
            ($($field:ident <- $flag:ident),* $(,)?) => {
                $(if let Some(value) = self.$flag { profile.$field = value; })*
            };
        }
        set!(
            name <- name,
            description <- description,
            band <- band,
            mac_version <- mac_version,
            regional_parameters_revision <- rp_revision,
            supports_class_c <- class_c,
            rx1_delay_s <- rx1_delay,
            rx1_dr_offset <- rx1_dr_offset,
            rx2_dr <- rx2_dr,
            rx2_frequency_hz <- rx2_frequency_hz,
            adr_enabled <- adr,
            adr_algorithm <- adr_algorithm,
            max_eirp_dbm <- max_eirp_dbm,
            payload_formatter_kind <- formatter,
        );
        if let Some(activation) = self.activation {
            let activation = match activation.as_str() {
                "abp" => api::Activation::Abp,
                _ => api::Activation::Otaa,
            };
            profile.set_activation(activation);
        }
        if let Some(path) = self.formatter_file {
            profile.payload_formatter_source = std::fs::read_to_string(&path)
                .with_context(|| format!("read {}", path.display()))?;
        }
        Ok(())
    }
}

/// Device profile commands.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Create a device profile (OTAA, RX1 delay 1 s and ADR on unless told otherwise).
    Create {
        /// Profile id: 2 to 36 characters of a-z, 0-9 and '-'.
        id: String,
        /// Tenant; a tenant key's own tenant by default.
        #[arg(long, default_value = "")]
        tenant: String,
        #[command(flatten)]
        settings: ProfileSettings,
    },
    /// Show a device profile.
    Get {
        /// Profile id.
        id: String,
    },
    /// List device profiles.
    List {
        /// Only profiles of this tenant.
        #[arg(long, default_value = "")]
        tenant: String,
        /// Only profiles whose name starts with this.
        #[arg(long, default_value = "")]
        name_prefix: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Change settings of a device profile.
    Update {
        /// Profile id.
        id: String,
        #[command(flatten)]
        settings: ProfileSettings,
    },
    /// Delete a device profile no device uses.
    Delete {
        /// Profile id.
        id: String,
    },
}

fn to_json(profile: &api::DeviceProfile) -> Value {
    let activation = match profile.activation() {
        api::Activation::Abp => "abp",
        api::Activation::Otaa => "otaa",
        api::Activation::Unspecified => "unspecified",
    };
    json!({
        "id": profile.id,
        "tenant_id": profile.tenant_id,
        "name": profile.name,
        "description": profile.description,
        "band": profile.band,
        "mac_version": profile.mac_version,
        "regional_parameters_revision": profile.regional_parameters_revision,
        "supports_class_c": profile.supports_class_c,
        "activation": activation,
        "rx1_delay_s": profile.rx1_delay_s,
        "rx1_dr_offset": profile.rx1_dr_offset,
        "rx2_dr": profile.rx2_dr,
        "rx2_frequency_hz": profile.rx2_frequency_hz,
        "adr_enabled": profile.adr_enabled,
        "adr_algorithm": profile.adr_algorithm,
        "max_eirp_dbm": profile.max_eirp_dbm,
        "payload_formatter_kind": profile.payload_formatter_kind,
        "payload_formatter_source": profile.payload_formatter_source,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    })
}

pub(super) async fn run(
    command: ProfileCommand,
    client: &Client,
    json: bool,
) -> anyhow::Result<String> {
    let mut service = DeviceProfileServiceClient::new(client.channel());
    let profile = match command {
        ProfileCommand::Create {
            id,
            tenant,
            settings,
        } => {
            let mut profile = api::DeviceProfile {
                id,
                tenant_id: tenant,
                rx1_delay_s: 1,
                adr_enabled: true,
                ..api::DeviceProfile::default()
            };
            profile.set_activation(api::Activation::Otaa);
            settings.apply(&mut profile)?;
            service
                .create(client.request(api::CreateDeviceProfileRequest {
                    device_profile: Some(profile),
                })?)
                .await
        }
        ProfileCommand::Get { id } => {
            service
                .get(client.request(api::GetDeviceProfileRequest { id })?)
                .await
        }
        ProfileCommand::Update { id, settings } => {
            let mut profile = service
                .get(client.request(api::GetDeviceProfileRequest { id })?)
                .await
                .map_err(status_error)?
                .into_inner();
            settings.apply(&mut profile)?;
            service
                .update(client.request(api::UpdateDeviceProfileRequest {
                    device_profile: Some(profile),
                })?)
                .await
        }
        ProfileCommand::Delete { id } => {
            service
                .delete(client.request(api::DeleteDeviceProfileRequest { id: id.clone() })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"deleted": id}).to_string()
            } else {
                format!("deleted device profile {id}")
            });
        }
        ProfileCommand::List {
            tenant,
            name_prefix,
            page,
        } => {
            let profiles = pages(&page, |page_size, page_token| {
                let request = client.request(api::ListDeviceProfilesRequest {
                    page_size,
                    page_token,
                    tenant_id: tenant.clone(),
                    name_prefix: name_prefix.clone(),
                });
                let mut service = service.clone();
                async move {
                    let answer = service
                        .list(request?)
                        .await
                        .map_err(status_error)?
                        .into_inner();
                    Ok((answer.device_profiles, answer.next_page_token))
                }
            })
            .await?;
            let rows: Vec<Value> = profiles.iter().map(to_json).collect();
            return Ok(output::list(
                &rows,
                &[
                    "id",
                    "tenant_id",
                    "name",
                    "band",
                    "mac_version",
                    "activation",
                ],
                json,
            ));
        }
    };
    let profile = profile.map_err(status_error)?.into_inner();
    Ok(output::entity(&to_json(&profile), json))
}
