//! `tern tenant create|get|list|update|delete`.

use clap::Subcommand;
use serde_json::{Value, json};
use tern_api::v1 as api;
use tern_api::v1::tenant_service_client::TenantServiceClient;

use super::{Client, PageArgs, pages, status_error};
use crate::output;

/// Tenant commands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Tenant id: 2 to 36 characters of a-z, 0-9 and '-'.
        id: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Show a tenant.
    Get {
        /// Tenant id.
        id: String,
    },
    /// List tenants.
    List {
        /// Only tenants whose name starts with this.
        #[arg(long, default_value = "")]
        name_prefix: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Change a tenant's name or description.
    Update {
        /// Tenant id.
        id: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a tenant that owns nothing any more.
    Delete {
        /// Tenant id.
        id: String,
    },
}

fn to_json(tenant: &api::Tenant) -> Value {
    json!({
        "id": tenant.id,
        "name": tenant.name,
        "description": tenant.description,
        "created_at": tenant.created_at,
        "updated_at": tenant.updated_at,
    })
}

pub(super) async fn run(
    command: TenantCommand,
    client: &Client,
    json: bool,
) -> anyhow::Result<String> {
    let mut service = TenantServiceClient::new(client.channel());
    let tenant = match command {
        TenantCommand::Create {
            id,
            name,
            description,
        } => {
            let tenant = api::Tenant {
                id,
                name,
                description,
                ..api::Tenant::default()
            };
            service
                .create(client.request(api::CreateTenantRequest {
                    tenant: Some(tenant),
                })?)
                .await
        }
        TenantCommand::Get { id } => {
            service
                .get(client.request(api::GetTenantRequest { id })?)
                .await
        }
        TenantCommand::Update {
            id,
            name,
            description,
        } => {
            let mut tenant = service
                .get(client.request(api::GetTenantRequest { id })?)
                .await
                .map_err(status_error)?
                .into_inner();
            if let Some(name) = name {
                tenant.name = name;
            }
            if let Some(description) = description {
                tenant.description = description;
            }
            service
                .update(client.request(api::UpdateTenantRequest {
                    tenant: Some(tenant),
                })?)
                .await
        }
        TenantCommand::Delete { id } => {
            service
                .delete(client.request(api::DeleteTenantRequest { id: id.clone() })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"deleted": id}).to_string()
            } else {
                format!("deleted tenant {id}")
            });
        }
        TenantCommand::List { name_prefix, page } => {
            let tenants = pages(&page, |page_size, page_token| {
                let request = client.request(api::ListTenantsRequest {
                    page_size,
                    page_token,
                    name_prefix: name_prefix.clone(),
                });
                let mut service = service.clone();
                async move {
                    let answer = service
                        .list(request?)
                        .await
                        .map_err(status_error)?
                        .into_inner();
                    Ok((answer.tenants, answer.next_page_token))
                }
            })
            .await?;
            let rows: Vec<Value> = tenants.iter().map(to_json).collect();
            return Ok(output::list(&rows, &["id", "name", "description"], json));
        }
    };
    let tenant = tenant.map_err(status_error)?.into_inner();
    Ok(output::entity(&to_json(&tenant), json))
}
