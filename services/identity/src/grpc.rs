//! The public gRPC API (package `tern.api.v1`): one handler module per entity kind, server
//! reflection and the standard health service.
//!
//! Every call authenticates its API key first, then checks the right and the tenant, then
//! validates the request, then touches the store, then publishes the registry event. Errors
//! become `tonic::Status` in `crate::error::status` only.

mod activate;
mod api_keys;
mod applications;
mod device_keys;
mod device_profiles;
mod devices;
mod downlinks;
mod gateway_status;
mod gateways;
mod provision;
mod stream_events;
mod tenants;
mod users;

use std::net::SocketAddr;

use anyhow::Context as _;
use tern_api::v1 as api;
use tern_api::v1::api_key_service_server::ApiKeyServiceServer;
use tern_api::v1::application_service_server::ApplicationServiceServer;
use tern_api::v1::device_profile_service_server::DeviceProfileServiceServer;
use tern_api::v1::device_service_server::DeviceServiceServer;
use tern_api::v1::downlink_service_server::DownlinkServiceServer;
use tern_api::v1::event_service_server::EventServiceServer;
use tern_api::v1::gateway_service_server::GatewayServiceServer;
use tern_api::v1::tenant_service_server::TenantServiceServer;
use tern_api::v1::user_service_server::UserServiceServer;
use tern_telemetry::Shutdown;
use tokio::net::TcpListener;
use tonic::Request;

use crate::auth::{Caller, authenticate};
use crate::events::Events;
use crate::store::{ListFilter, Page, Store};
use crate::{Error, Result};

/// The fully qualified names of the API's services, as health and reflection report them.
pub const SERVICE_NAMES: [&str; 9] = [
    "tern.api.v1.TenantService",
    "tern.api.v1.ApplicationService",
    "tern.api.v1.DeviceProfileService",
    "tern.api.v1.DeviceService",
    "tern.api.v1.GatewayService",
    "tern.api.v1.UserService",
    "tern.api.v1.ApiKeyService",
    "tern.api.v1.EventService",
    "tern.api.v1.DownlinkService",
];

/// State every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub store: Store,
    pub events: Events,
    pub live: crate::live::Live,
    /// KEK for ABP session keys; `None` refuses activation.
    pub kek: Option<crate::kek::Kek>,
}

impl Api {
    /// Authenticates the caller of `request`.
    pub(crate) async fn caller<T>(&self, request: &Request<T>) -> Result<Caller> {
        authenticate(&self.store, request.metadata()).await
    }
}

/// Builds the store filter and page of a list call.
pub(crate) fn list_args(
    tenant_id: Option<String>,
    name_prefix: &str,
    page_size: u32,
    page_token: &str,
) -> Result<(ListFilter, Page)> {
    let filter = ListFilter {
        tenant_id,
        name_prefix: crate::validate::text("name_prefix", name_prefix)?,
        ..ListFilter::default()
    };
    Ok((filter, Page::new(page_size, page_token)?))
}

/// Takes the entity out of a request's optional message field.
pub(crate) fn required<T>(field: &'static str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Error::invalid(field, "missing"))
}

/// Binds the gRPC listener.
pub async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("bind identity api on {listen}"))
}

/// Serves the API on `listener` until `shutdown`; in-flight calls finish first.
pub(crate) async fn serve(
    listener: TcpListener,
    api: Api,
    metrics: crate::IdentityMetrics,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tern_api::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("build reflection service")?;
    for name in SERVICE_NAMES {
        reporter
            .set_service_status(name, tonic_health::ServingStatus::Serving)
            .await;
    }
    let stop = {
        let reporter = reporter.clone();
        async move {
            shutdown.wait().await;
            for name in SERVICE_NAMES {
                reporter
                    .set_service_status(name, tonic_health::ServingStatus::NotServing)
                    .await;
            }
        }
    };
    tonic::transport::Server::builder()
        // One span per call; handlers log inside it, and keys never enter it.
        .trace_fn(|request| tracing::info_span!("identity_api", method = %request.uri().path()))
        .layer(crate::metrics::CountCallsLayer(metrics))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(TenantServiceServer::new(api.clone()))
        .add_service(ApplicationServiceServer::new(api.clone()))
        .add_service(DeviceProfileServiceServer::new(api.clone()))
        .add_service(DeviceServiceServer::new(api.clone()))
        .add_service(GatewayServiceServer::new(api.clone()))
        .add_service(UserServiceServer::new(api.clone()))
        .add_service(EventServiceServer::new(api.clone()))
        .add_service(DownlinkServiceServer::new(api.clone()))
        .add_service(ApiKeyServiceServer::new(api))
        .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), stop)
        .await
        .context("serve identity api")
}

/// An empty answer.
pub(crate) fn empty() -> tonic::Response<api::Empty> {
    tonic::Response::new(api::Empty {})
}
