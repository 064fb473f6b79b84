//! `tern app create|get|list|update|delete`.

use clap::Subcommand;
use serde_json::{Value, json};
use tern_api::v1 as api;
use tern_api::v1::application_service_client::ApplicationServiceClient;

use super::{Client, PageArgs, pages, parse_tags, status_error};
use crate::output;

/// Application commands.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create an application.
    Create {
        /// Application id: 2 to 36 characters of a-z, 0-9 and '-'.
        id: String,
        /// Tenant; a tenant key's own tenant by default.
        #[arg(long, default_value = "")]
        tenant: String,
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
    /// Show an application.
    Get {
        /// Application id.
        id: String,
    },
    /// List applications.
    List {
        /// Only applications of this tenant.
        #[arg(long, default_value = "")]
        tenant: String,
        /// Only applications whose name starts with this.
        #[arg(long, default_value = "")]
        name_prefix: String,
        /// Only applications with this tag (key=value); repeat for more.
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Change an application's name, description or tags.
    Update {
        /// Application id.
        id: String,
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
    /// Delete an application without devices.
    Delete {
        /// Application id.
        id: String,
    },
}

fn to_json(application: &api::Application) -> Value {
    json!({
        "id": application.id,
        "tenant_id": application.tenant_id,
        "name": application.name,
        "description": application.description,
        "tags": application.tags,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
    })
}

pub(super) async fn run(
    command: AppCommand,
    client: &Client,
    json: bool,
) -> anyhow::Result<String> {
    let mut service = ApplicationServiceClient::new(client.channel());
    let application = match command {
        AppCommand::Create {
            id,
            tenant,
            name,
            description,
            tags,
        } => {
            let application = api::Application {
                id,
                tenant_id: tenant,
                name,
                description,
                tags: parse_tags(&tags)?,
                ..api::Application::default()
            };
            service
                .create(client.request(api::CreateApplicationRequest {
                    application: Some(application),
                })?)
                .await
        }
        AppCommand::Get { id } => {
            service
                .get(client.request(api::GetApplicationRequest { id })?)
                .await
        }
        AppCommand::Update {
            id,
            name,
            description,
            tags,
        } => {
            let mut application = service
                .get(client.request(api::GetApplicationRequest { id })?)
                .await
                .map_err(status_error)?
                .into_inner();
            if let Some(name) = name {
                application.name = name;
            }
            if let Some(description) = description {
                application.description = description;
            }
            if !tags.is_empty() {
                application.tags = parse_tags(&tags)?;
            }
            service
                .update(client.request(api::UpdateApplicationRequest {
                    application: Some(application),
                })?)
                .await
        }
        AppCommand::Delete { id } => {
            service
                .delete(client.request(api::DeleteApplicationRequest { id: id.clone() })?)
                .await
                .map_err(status_error)?;
            return Ok(if json {
                json!({"deleted": id}).to_string()
            } else {
                format!("deleted application {id}")
            });
        }
        AppCommand::List {
            tenant,
            name_prefix,
            tags,
            page,
        } => {
            let tags = parse_tags(&tags)?;
            let applications = pages(&page, |page_size, page_token| {
                let request = client.request(api::ListApplicationsRequest {
                    page_size,
                    page_token,
                    tenant_id: tenant.clone(),
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
                    Ok((answer.applications, answer.next_page_token))
                }
            })
            .await?;
            let rows: Vec<Value> = applications.iter().map(to_json).collect();
            return Ok(output::list(
                &rows,
                &["id", "tenant_id", "name", "tags"],
                json,
            ));
        }
    };
    let application = application.map_err(status_error)?.into_inner();
    Ok(output::entity(&to_json(&application), json))
}
