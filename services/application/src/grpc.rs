//! The gRPC downlink API (`tern.api.v1.DownlinkService`): push, replace, list and flush a
//! device's downlink queue, with the same logic as `down.push`.
//!
//! Service errors become `tonic::Status` here and only here: `Internal` answers carry a
//! generic message, the chain is logged. No authentication yet: the API is meant for a
//! trusted network until the identity service brings API keys.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use base64::Engine as _;
use lorawan_codec::Eui64;
use tern_api::v1 as api;
use tern_api::v1::downlink_service_server::{DownlinkService, DownlinkServiceServer};
use tern_proto::{ErrorCode, ServiceError};
use tern_telemetry::Shutdown;
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};
use tracing::{error, info};

use crate::context::Context;
use crate::downlink::{self, DownlinkRequest, QueuedDownlink};
use crate::registry::ApplicationRegistry;

/// Turns a service error into a gRPC status.
fn status(error: &crate::Error) -> Status {
    match error.code() {
        ErrorCode::InvalidArgument => Status::invalid_argument(error.to_string()),
        ErrorCode::NotFound => Status::not_found(error.to_string()),
        ErrorCode::AlreadyExists => Status::already_exists(error.to_string()),
        ErrorCode::PermissionDenied => Status::permission_denied(error.to_string()),
        ErrorCode::Unauthenticated => Status::unauthenticated(error.to_string()),
        ErrorCode::Unavailable => Status::unavailable(error.to_string()),
        ErrorCode::Internal => {
            error!(error = ?error, "downlink api request failed");
            Status::internal("internal error")
        }
    }
}

fn dev_eui(text: &str) -> Result<Eui64, Status> {
    text.parse()
        .map_err(|_| Status::invalid_argument("dev_eui is not 16 hex digits"))
}

fn request_of(downlink: api::Downlink) -> Result<DownlinkRequest, Status> {
    let decoded = if downlink.decoded_json.is_empty() {
        None
    } else {
        Some(
            serde_json::from_str(&downlink.decoded_json)
                .map_err(|_| Status::invalid_argument("decoded_json is not json"))?,
        )
    };
    let frm_payload = (!downlink.frm_payload.is_empty() || decoded.is_none())
        .then(|| base64::engine::general_purpose::STANDARD.encode(&downlink.frm_payload));
    Ok(DownlinkRequest {
        f_port: downlink.f_port,
        frm_payload,
        decoded,
        confirmed: downlink.confirmed,
        priority: downlink.priority,
    })
}

fn list_response(queue: Vec<QueuedDownlink>) -> api::ListDownlinksResponse {
    api::ListDownlinksResponse {
        downlinks: queue
            .into_iter()
            .map(|item| api::QueuedDownlink {
                id: item.id,
                f_port: item.f_port,
                f_cnt_down: item.f_cnt_down,
                confirmed: item.confirmed,
                priority: item.priority,
                frm_payload: item.frm_payload,
            })
            .collect(),
    }
}

/// The `DownlinkService` implementation over a replica's context.
pub(crate) struct DownlinkApi<R> {
    context: Arc<Context<R>>,
}

#[tonic::async_trait]
impl<R: ApplicationRegistry> DownlinkService for DownlinkApi<R> {
    async fn push(
        &self,
        request: Request<api::PushDownlinkRequest>,
    ) -> Result<Response<api::PushDownlinkResponse>, Status> {
        let request = request.into_inner();
        let dev_eui = dev_eui(&request.dev_eui)?;
        let downlink = request_of(
            request
                .downlink
                .ok_or_else(|| Status::invalid_argument("downlink is missing"))?,
        )?;
        let (id, f_cnt_down) =
            downlink::push(&self.context, &request.application_id, dev_eui, &downlink)
                .await
                .map_err(|error| status(&error))?;
        Ok(Response::new(api::PushDownlinkResponse { id, f_cnt_down }))
    }

    async fn replace(
        &self,
        request: Request<api::ReplaceDownlinksRequest>,
    ) -> Result<Response<api::ListDownlinksResponse>, Status> {
        let request = request.into_inner();
        let dev_eui = dev_eui(&request.dev_eui)?;
        let downlinks = request
            .downlinks
            .into_iter()
            .map(request_of)
            .collect::<Result<Vec<_>, Status>>()?;
        let queue = downlink::replace(&self.context, &request.application_id, dev_eui, &downlinks)
            .await
            .map_err(|error| status(&error))?;
        Ok(Response::new(list_response(queue)))
    }

    async fn list(
        &self,
        request: Request<api::ListDownlinksRequest>,
    ) -> Result<Response<api::ListDownlinksResponse>, Status> {
        let request = request.into_inner();
        let dev_eui = dev_eui(&request.dev_eui)?;
        let queue = downlink::list(&self.context, &request.application_id, dev_eui)
            .await
            .map_err(|error| status(&error))?;
        Ok(Response::new(list_response(queue)))
    }

    async fn flush(
        &self,
        request: Request<api::FlushDownlinksRequest>,
    ) -> Result<Response<api::ListDownlinksResponse>, Status> {
        let request = request.into_inner();
        let dev_eui = dev_eui(&request.dev_eui)?;
        let queue = downlink::replace(&self.context, &request.application_id, dev_eui, &[])
            .await
            .map_err(|error| status(&error))?;
        Ok(Response::new(list_response(queue)))
    }
}

/// Binds the gRPC listener at `listen`.
pub(crate) async fn bind(listen: &str) -> anyhow::Result<TcpListener> {
    let addr: SocketAddr = listen.parse().context("application.grpc_listen")?;
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind grpc listener {addr}"))
}

/// Serves the API on `listener` until `shutdown`; requests in flight finish first.
pub(crate) async fn serve<R: ApplicationRegistry>(
    listener: TcpListener,
    context: Arc<Context<R>>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let local = listener.local_addr().context("grpc local address")?;
    info!(address = %local, "downlink grpc api listening");
    tonic::transport::Server::builder()
        .add_service(DownlinkServiceServer::new(DownlinkApi { context }))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            shutdown.wait_owned(),
        )
        .await
        .context("serve grpc")
}
