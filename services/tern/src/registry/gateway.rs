//! `tern gateway create|get|list|update|delete`.

use clap::Subcommand;
use serde_json::{Value, json};
use tern_api::v1 as api;
use tern_api::v1::gateway_service_client::GatewayServiceClient;

use super::{Client, PageArgs, pages, status_error};
use crate::output;

/// Gateway commands.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Register a gateway.
    Create {
        /// Gateway EUI, 16 hex digits.
        gateway_eui: String,
        /// Band, e.g. eu868 or us915_1.
        #[arg(long)]
        band: String,
        /// Tenant; a tenant key's own tenant by default.
        #[arg(long, default_value = "")]
        tenant: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Latitude in degrees.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        latitude: f64,
        /// Longitude in degrees.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        longitude: f64,
        /// Altitude in metres.
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        altitude: f64,
    },
    /// Show a gateway.
    Get {
        /// Gateway EUI.
        gateway_eui: String,
    },
    /// List gateways.
    List {
        /// Only gateways of this tenant.
        #[arg(long, default_value = "")]
        tenant: String,
        /// Only gateways whose name starts with this.
        #[arg(long, default_value = "")]
        name_prefix: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Change a gateway.
    Update {
        /// Gateway EUI.
        gateway_eui: String,
        /// New band.
        #[arg(long)]
        band: Option<String>,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
        /// New latitude.
        #[arg(long, allow_negative_numbers = true)]
        latitude: Option<f64>,
        /// New longitude.
        #[arg(long, allow_negative_numbers = true)]
        longitude: Option<f64>,
        /// New altitude.
        #[arg(long, allow_negative_numbers = true)]
        altitude: Option<f64>,
    },
    /// Delete a gateway.
    Delete {
        /// Gateway EUI.
        gateway_eui: String,
    },
    /// Show what the network server last reported: online, last seen, latest statistics.
    Status {
        /// Gateway EUI.
        gateway_eui: String,
    },
}

fn to_json(gateway: &api::Gateway) -> Value {
    json!({
        "gateway_eui": gateway.gateway_eui,
        "tenant_id": gateway.tenant_id,
        "name": gateway.name,
        "description": gateway.description,
        "latitude": gateway.latitude,
        "longitude": gateway.longitude,
        "altitude": gateway.altitude,
        "band": gateway.band,
        "created_at": gateway.created_at,
        "updated_at": gateway.updated_at,
    })
}

pub(super) async fn run(
    command: GatewayCommand,
    client: &Client,
    json: bool,
) -> anyhow::Result<String> {
    let mut service = GatewayServiceClient::new(client.channel());
    let gateway = match command {
        GatewayCommand::Create {
            gateway_eui,
            band,
            tenant,
            name,
            description,
            latitude,
            longitude,
            altitude,
        } => {
            let gateway = api::Gateway {
                gateway_eui,
                tenant_id: tenant,
                name,
                description,
                latitude,
                longitude,
                altitude,
                band,
                ..api::Gateway::default()
            };
            service
                .create(client.request(api::CreateGatewayRequest {
                    gateway: Some(gateway),
                })?)
                .await
        }
        GatewayCommand::Get { gateway_eui } => {
            service
                .get(client.request(api::GetGatewayRequest { gateway_eui })?)
                .await
        }
        GatewayCommand::Update {
            gateway_eui,
            band,
            name,
            description,
            latitude,
            longitude,
            altitude,
        } => {
            let mut gateway = service
                .get(client.request(api::GetGatewayRequest { gateway_eui })?)
                .await
                .map_err(status_error)?
                .into_inner();
            gateway.band = band.unwrap_or(gateway.band);
            gateway.name = name.unwrap_or(gateway.name);
            gateway.description = description.unwrap_or(gateway.description);
            gateway.latitude = latitude.unwrap_or(gateway.latitude);
            gateway.longitude = longitude.unwrap_or(gateway.longitude);
            gateway.altitude = altitude.unwrap_or(gateway.altitude);
            service
                .update(client.request(api::UpdateGatewayRequest {
                    gateway: Some(gateway),
                })?)
                .await
        }
        GatewayCommand::Status { gateway_eui } => {
            return super::gateway_status::run(&gateway_eui, client, json).await;
        }
        GatewayCommand::Delete { gateway_eui } => {
            service
                .delete(client.request(api::DeleteGatewayRequest {
                    gateway_eui: gateway_eui.clone(),
                })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"deleted": gateway_eui}).to_string()
            } else {
                format!("deleted gateway {gateway_eui}")
            });
        }
        GatewayCommand::List {
            tenant,
            name_prefix,
            page,
        } => {
            let gateways = pages(&page, |page_size, page_token| {
                let request = client.request(api::ListGatewaysRequest {
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
                    Ok((answer.gateways, answer.next_page_token))
                }
            })
            .await?;
            let rows: Vec<Value> = gateways.iter().map(to_json).collect();
            return Ok(output::list(
                &rows,
                &[
                    "gateway_eui",
                    "tenant_id",
                    "name",
                    "band",
                    "latitude",
                    "longitude",
                ],
                json,
            ));
        }
    };
    let gateway = gateway.map_err(status_error)?.into_inner();
    Ok(output::entity(&to_json(&gateway), json))
}
