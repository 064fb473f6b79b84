//! `DownlinkService` on the public API: checks the key (right `downlinks:write`, `devices:read`
//! for `List`) and that the device belongs to the named application of the key's tenant, then
//! forwards the call unchanged to the application service's downlink API, which owns the
//! queues and encrypts the payloads.

use tern_api::v1 as api;
use tern_api::v1::downlink_service_client::DownlinkServiceClient;
use tern_api::v1::downlink_service_server::DownlinkService;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

use super::Api;
use crate::auth::Right;
use crate::{Error, Result};

impl Api {
    /// Checks the caller of `request` for `right` and the device, and returns the client to
    /// forward to and the message, without the caller's key.
    async fn downlink_target<T>(
        &self,
        request: Request<T>,
        right: Right,
        ids: impl Fn(&T) -> (&str, &str),
    ) -> Result<(DownlinkServiceClient<Channel>, T)> {
        let caller = self.caller(&request).await?;
        caller.require(right)?;
        let (application_id, dev_eui) = ids(request.get_ref());
        let application = self.visible_application(&caller, application_id).await?;
        let (device, _) = self.visible_device(&caller, dev_eui).await?;
        if device.application_id != application.id {
            return Err(Error::not_found("device", device.dev_eui));
        }
        let client = self
            .live
            .application
            .clone()
            .ok_or_else(|| Error::Upstream {
                what: "application service",
                reason: String::from("identity.application_grpc_url is not set"),
            })?;
        Ok((client, request.into_inner()))
    }
}

/// Passes the application service's refusals of the request through, and reports anything
/// else as the application service being unavailable.
fn forwarded(status: Status) -> Status {
    match status.code() {
        Code::InvalidArgument
        | Code::NotFound
        | Code::FailedPrecondition
        | Code::ResourceExhausted
        | Code::AlreadyExists => status,
        _ => Status::from(Error::Upstream {
            what: "application service",
            reason: status.message().to_owned(),
        }),
    }
}

#[tonic::async_trait]
impl DownlinkService for Api {
    async fn push(
        &self,
        request: Request<api::PushDownlinkRequest>,
    ) -> std::result::Result<Response<api::PushDownlinkResponse>, Status> {
        let (mut client, message) = self
            .downlink_target(request, Right::DownlinksWrite, |r| {
                (&r.application_id, &r.dev_eui)
            })
            .await?;
        client.push(message).await.map_err(forwarded)
    }

    async fn replace(
        &self,
        request: Request<api::ReplaceDownlinksRequest>,
    ) -> std::result::Result<Response<api::ListDownlinksResponse>, Status> {
        let (mut client, message) = self
            .downlink_target(request, Right::DownlinksWrite, |r| {
                (&r.application_id, &r.dev_eui)
            })
            .await?;
        client.replace(message).await.map_err(forwarded)
    }

    async fn list(
        &self,
        request: Request<api::ListDownlinksRequest>,
    ) -> std::result::Result<Response<api::ListDownlinksResponse>, Status> {
        let (mut client, message) = self
            .downlink_target(request, Right::DevicesRead, |r| {
                (&r.application_id, &r.dev_eui)
            })
            .await?;
        client.list(message).await.map_err(forwarded)
    }

    async fn flush(
        &self,
        request: Request<api::FlushDownlinksRequest>,
    ) -> std::result::Result<Response<api::ListDownlinksResponse>, Status> {
        let (mut client, message) = self
            .downlink_target(request, Right::DownlinksWrite, |r| {
                (&r.application_id, &r.dev_eui)
            })
            .await?;
        client.flush(message).await.map_err(forwarded)
    }
}
