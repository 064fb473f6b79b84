//! The registry commands of the CLI (`tern tenant|app|profile|device|gateway|api-key ...`): each talks
//! to the identity service's gRPC API with the saved or given API key.
//!
//! Every command builds its request from flags, calls the API once (twice for `update`:
//! read, change the given fields, write back) and prints the answer. gRPC errors print as the
//! status code and the server's message, e.g.
//! `NOT_FOUND: device 0004a30b001c0530 not found`.

mod api_key;
mod application;
mod device;
mod gateway;
mod gateway_status;
mod profile;
mod tenant;

use std::collections::HashMap;

use anyhow::{Context, bail};
use tern_api::v1 as api;
use tonic::transport::Channel;

use crate::login::{ConnectArgs, Credentials};

pub use api_key::ApiKeyCommand;
pub use application::AppCommand;
pub use device::DeviceCommand;
pub use gateway::GatewayCommand;
pub use profile::ProfileCommand;
pub use tenant::TenantCommand;

/// A registry command of one entity kind.
#[derive(Debug)]
pub enum RegistryCommand {
    /// `tern tenant ...`.
    Tenant(TenantCommand),
    /// `tern app ...`.
    App(AppCommand),
    /// `tern profile ...`.
    Profile(ProfileCommand),
    /// `tern device ...`.
    Device(DeviceCommand),
    /// `tern gateway ...`.
    Gateway(GatewayCommand),
    /// `tern api-key ...`.
    ApiKey(ApiKeyCommand),
}

/// A connected client: the channel and the key every request carries.
pub struct Client {
    channel: Channel,
    api_key: String,
}

impl Client {
    /// Connects to the server of `credentials`.
    pub async fn connect(credentials: &Credentials) -> anyhow::Result<Client> {
        let endpoint = Channel::from_shared(credentials.server.clone())
            .with_context(|| format!("invalid server url {:?}", credentials.server))?;
        let channel = endpoint
            .connect()
            .await
            .with_context(|| format!("connect to {}", credentials.server))?;
        Ok(Client {
            channel,
            api_key: credentials.api_key.clone(),
        })
    }

    /// Returns a clone of the channel for a service client.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Wraps `message` with the API key.
    pub fn request<T>(&self, message: T) -> anyhow::Result<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        let value = format!("Bearer {}", self.api_key)
            .parse()
            .context("the api key holds characters metadata cannot carry")?;
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

/// Turns a gRPC status into an error naming the code and the server's message.
pub fn status_error(status: tonic::Status) -> anyhow::Error {
    let code = match status.code() {
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Internal => "INTERNAL",
        _ => "ERROR",
    };
    anyhow::anyhow!("{code}: {}", status.message())
}

/// Parses `key=value` tags.
pub fn parse_tags(tags: &[String]) -> anyhow::Result<HashMap<String, String>> {
    tags.iter()
        .map(|tag| match tag.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => bail!("tag {tag:?} is not key=value"),
        })
        .collect()
}

/// Paging flags of list commands.
#[derive(Debug, Clone, clap::Args)]
pub struct PageArgs {
    /// Entities per page (1 to 1000).
    #[arg(long, default_value_t = 100)]
    pub page_size: u32,
    /// Continue after this token (the previous page prints it on stderr).
    #[arg(long, default_value = "")]
    pub page_token: String,
    /// Fetch every page.
    #[arg(long)]
    pub all: bool,
}

/// Runs `fetch` for one page, or for every page with `--all`; returns the items.
pub async fn pages<T, F, Fut>(args: &PageArgs, mut fetch: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(u32, String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Vec<T>, String)>>,
{
    let mut items = Vec::new();
    let mut token = args.page_token.clone();
    loop {
        let (page, next) = fetch(args.page_size, token).await?;
        items.extend(page);
        if next.is_empty() {
            return Ok(items);
        }
        if !args.all {
            // Stderr, so that --json output on stdout stays one document.
            eprintln!("more results: pass --page-token {next} or --all");
            return Ok(items);
        }
        token = next;
    }
}

/// Runs a registry command.
pub fn run(command: RegistryCommand, connect: &ConnectArgs) -> anyhow::Result<String> {
    let credentials = crate::login::resolve(connect)?;
    let json = connect.json;
    block_on(async move {
        let client = Client::connect(&credentials).await?;
        match command {
            RegistryCommand::Tenant(command) => tenant::run(command, &client, json).await,
            RegistryCommand::App(command) => application::run(command, &client, json).await,
            RegistryCommand::Profile(command) => profile::run(command, &client, json).await,
            RegistryCommand::Device(command) => device::run(command, &client, json).await,
            RegistryCommand::Gateway(command) => gateway::run(command, &client, json).await,
            RegistryCommand::ApiKey(command) => api_key::run(command, &client, json).await,
        }
    })
}

/// Checks that `credentials` reach a server that accepts the key.
pub fn check_login(credentials: &Credentials) -> anyhow::Result<()> {
    block_on(async {
        let client = Client::connect(credentials).await?;
        let mut tenants = api::tenant_service_client::TenantServiceClient::new(client.channel());
        tenants
            .list(client.request(api::ListTenantsRequest {
                page_size: 1,
                ..api::ListTenantsRequest::default()
            })?)
            .await
            .map_err(status_error)?;
        Ok(())
    })
}

pub(crate) fn block_on<T>(
    future: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start tokio runtime")?
        .block_on(future)
}
