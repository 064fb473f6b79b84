//! `tern api-key create|list|delete`: the secret is printed once, by `create`.

use clap::Subcommand;
use serde_json::{Value, json};
use tern_api::v1 as api;
use tern_api::v1::api_key_service_client::ApiKeyServiceClient;

use super::{Client, PageArgs, pages, status_error};
use crate::output;

/// API key commands.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it; it is shown only this once.
    Create {
        /// A name saying what the key is for.
        name: String,
        /// Tenant the key acts in; a tenant key's own tenant by default, none (an admin key)
        /// for an admin without --tenant.
        #[arg(long, default_value = "")]
        tenant: String,
        /// A right, e.g. devices:read; repeat for more.
        #[arg(long = "right", value_name = "RIGHT")]
        rights: Vec<String>,
    },
    /// List keys (never their secrets).
    List {
        /// Only keys of this tenant.
        #[arg(long, default_value = "")]
        tenant: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Delete a key; it stops working at once.
    Delete {
        /// Key id (the 16 hex digits after `tern_`).
        id: String,
    },
}

fn to_json(key: &api::ApiKey) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "tenant_id": key.tenant_id,
        "rights": key.rights,
        "created_at": key.created_at,
        "updated_at": key.updated_at,
    })
}

pub(super) async fn run(
    command: ApiKeyCommand,
    client: &Client,
    json: bool,
) -> anyhow::Result<String> {
    let mut service = ApiKeyServiceClient::new(client.channel());
    match command {
        ApiKeyCommand::Create {
            name,
            tenant,
            rights,
        } => {
            let key = api::ApiKey {
                name,
                tenant_id: tenant,
                rights,
                ..api::ApiKey::default()
            };
            let created = service
                .create(client.request(api::CreateApiKeyRequest { api_key: Some(key) })?)
                .await
                .map_err(status_error)?
                .into_inner();
            let mut value = created.api_key.as_ref().map(to_json).unwrap_or_default();
            value["key"] = Value::String(created.key);
            Ok(output::entity(&value, json))
        }
        ApiKeyCommand::List { tenant, page } => {
            let keys = pages(&page, |page_size, page_token| {
                let request = client.request(api::ListApiKeysRequest {
                    page_size,
                    page_token,
                    tenant_id: tenant.clone(),
                    name_prefix: String::new(),
                });
                let mut service = service.clone();
                async move {
                    let answer = service
                        .list(request?)
                        .await
                        .map_err(status_error)?
                        .into_inner();
                    Ok((answer.api_keys, answer.next_page_token))
                }
            })
            .await?;
            let rows: Vec<Value> = keys.iter().map(to_json).collect();
            Ok(output::list(
                &rows,
                &["id", "tenant_id", "name", "rights"],
                json,
            ))
        }
        ApiKeyCommand::Delete { id } => {
            service
                .delete(client.request(api::DeleteApiKeyRequest { id: id.clone() })?)
                .await
                .map_err(status_error)?;
            Ok(if json {
                json!({"deleted": id}).to_string()
            } else {
                format!("deleted api key {id}")
            })
        }
    }
}
