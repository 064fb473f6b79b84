//! The NATS loop: takes uplink copies from `up`, TX acknowledgements from `gw.*.txack`, queue
//! requests from `ns.queue` and provisioning requests from `ns.device` (all in queue group
//! `network`), handles each in its own
//! task (at most `network.max_in_flight` at once), and drains on shutdown.
//!
//! Every copy is counted by outcome. A malformed `UplinkFrame` is counted and dropped before
//! it touches Redis; nothing here panics on input.

use std::sync::Arc;

use futures::StreamExt;
use lorawan_codec::{MType, Payload, PhyPayload};
use tern_bus::{Delivery, Subscription};
use tern_proto::internal::v1 as pb;
use tern_telemetry::{Readiness, Shutdown};
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;
use tracing::{Instrument, debug, error, field, info, info_span, warn};

use crate::context::Context;
use crate::dedup::Claim;
use crate::registry::DeviceRegistry;
use crate::{COMPONENT, device_api, otaa, queue_api, schedule, uplink};

/// The subscriptions the loop serves.
pub(crate) struct Subscriptions {
    pub(crate) uplinks: Subscription<pb::UplinkFrame>,
    pub(crate) tx_acks: Subscription<pb::DownlinkTxAck>,
    pub(crate) queue_requests: Subscription<pb::QueueRequest>,
    pub(crate) device_requests: Subscription<pb::NetworkDeviceRequest>,
}

/// Serves the subscriptions until shutdown, then drains them and waits for tasks in flight.
///
/// Fails when a subscription ends without a shutdown (the bus connection was closed).
pub(crate) async fn serve<R: DeviceRegistry>(
    subscriptions: Subscriptions,
    context: Arc<Context<R>>,
    max_in_flight: usize,
    readiness: &Readiness,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let Subscriptions {
        mut uplinks,
        mut tx_acks,
        mut queue_requests,
        mut device_requests,
    } = subscriptions;
    let mut tasks = JoinSet::new();
    let mut draining = false;
    let mut closed = false;
    let mut queue_closed = false;
    let mut devices_closed = false;
    loop {
        tokio::select! {
            biased;
            () = shutdown.wait(), if !draining => {
                draining = true;
                readiness.set_ready(COMPONENT, false);
                info!("network service draining");
                if let Err(error) = uplinks.drain().await {
                    warn!(error = %error, "drain up subscription");
                    break;
                }
                if let Err(error) = tx_acks.drain().await {
                    warn!(error = %error, "drain txack subscription");
                }
                if let Err(error) = queue_requests.drain().await {
                    warn!(error = %error, "drain ns.queue subscription");
                }
                if let Err(error) = device_requests.drain().await {
                    warn!(error = %error, "drain ns.device subscription");
                }
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => log_task_end(joined),
            tx_ack = tx_acks.next(), if !closed && tasks.len() < max_in_flight => match tx_ack {
                Some(tx_ack) => {
                    tasks.spawn(handle_tx_ack(tx_ack, Arc::clone(&context)));
                }
                None => closed = true,
            },
            request = queue_requests.next(), if !queue_closed && tasks.len() < max_in_flight => {
                match request {
                    Some(request) => {
                        tasks.spawn(handle_queue_request(request, Arc::clone(&context)));
                    }
                    None => queue_closed = true,
                }
            }
            request = device_requests.next(), if !devices_closed && tasks.len() < max_in_flight => {
                match request {
                    Some(request) => {
                        tasks.spawn(handle_device_request(request, Arc::clone(&context)));
                    }
                    None => devices_closed = true,
                }
            }
            delivery = uplinks.next(), if tasks.len() < max_in_flight => match delivery {
                Some(delivery) => {
                    tasks.spawn(handle_copy(delivery, Arc::clone(&context)));
                }
                None => break,
            },
        }
    }
    while let Some(joined) = tasks.join_next().await {
        log_task_end(joined);
    }
    readiness.set_ready(COMPONENT, false);
    if !draining {
        anyhow::bail!("up subscription ended: the nats connection was closed");
    }
    info!("network service stopped");
    Ok(())
}

/// Acts on one TX acknowledgement inside a `downlink` span.
async fn handle_tx_ack<R: DeviceRegistry>(
    delivery: Delivery<pb::DownlinkTxAck>,
    context: Arc<Context<R>>,
) {
    let tx_ack = delivery.message();
    let span = info_span!(
        "downlink",
        downlink_id = tx_ack.downlink_id,
        gateway_eui = %lorawan_codec::Eui64::from_u64(tx_ack.gateway_eui),
    );
    delivery.continue_trace(&span);
    async move {
        debug!("tx ack");
        if let Err(error) = schedule::on_tx_ack(&context, delivery.message()).await {
            error!(error = %error, "tx ack failed");
        }
    }
    .instrument(span)
    .await;
}

/// Answers one `ns.queue` request; a store failure is answered `UNAVAILABLE`.
async fn handle_queue_request<R: DeviceRegistry>(
    delivery: Delivery<pb::QueueRequest>,
    context: Arc<Context<R>>,
) {
    let span = info_span!(
        "queue",
        dev_eui = %lorawan_codec::Eui64::from_u64(delivery.message().dev_eui),
    );
    delivery.continue_trace(&span);
    async move {
        let response = match queue_api::handle(&context, delivery.message()).await {
            Ok(response) => response,
            Err(error) => {
                error!(error = %error, "queue request failed");
                queue_api::refusal(
                    pb::QueueErrorCode::Unavailable,
                    "the network server could not reach its store; retry".to_owned(),
                )
            }
        };
        let result = match response.error() {
            pb::QueueErrorCode::None => "ok",
            pb::QueueErrorCode::InvalidArgument => "invalid_argument",
            pb::QueueErrorCode::NoSession => "no_session",
            pb::QueueErrorCode::Stale => "stale",
            pb::QueueErrorCode::Full => "full",
            pb::QueueErrorCode::TooLarge => "too_large",
            pb::QueueErrorCode::Unavailable => "unavailable",
        };
        context.metrics.queue_request(result);
        if delivery.expects_reply()
            && let Err(error) = delivery.reply(&response).await
        {
            warn!(error = %error, "reply to ns.queue");
        }
    }
    .instrument(span)
    .await;
}

/// Answers one `ns.device` request; a store failure is answered `UNAVAILABLE`.
async fn handle_device_request<R: DeviceRegistry>(
    delivery: Delivery<pb::NetworkDeviceRequest>,
    context: Arc<Context<R>>,
) {
    let span = info_span!(
        "device",
        dev_eui = %lorawan_codec::Eui64::from_u64(delivery.message().dev_eui),
    );
    delivery.continue_trace(&span);
    async move {
        let answer = match device_api::handle(&context, delivery.message()).await {
            Ok(answer) => answer,
            Err(error) => {
                error!(error = %error, "device request failed");
                device_api::refusal(
                    pb::ProvisionError::Unavailable,
                    "the network server could not reach its store; retry",
                )
            }
        };
        if delivery.expects_reply()
            && let Err(error) = delivery.reply(&answer).await
        {
            warn!(error = %error, "reply to ns.device");
        }
    }
    .instrument(span)
    .await;
}

/// Handles one uplink copy inside its `uplink` span and counts its outcome.
async fn handle_copy<R: DeviceRegistry>(
    delivery: Delivery<pb::UplinkFrame>,
    context: Arc<Context<R>>,
) {
    let started = Instant::now();
    let span = info_span!(
        "uplink",
        dedup_id = field::Empty,
        dev_addr = field::Empty,
        f_cnt = field::Empty,
        dev_eui = field::Empty,
        join_eui = field::Empty,
    );
    delivery.continue_trace(&span);
    async move {
        let frame = delivery.into_message();
        let result = match classify(&context, &frame, started).await {
            Ok(result) => result,
            Err(error) => {
                error!(error = %error, "uplink failed");
                "error"
            }
        };
        if !matches!(result, "ok" | "duplicate" | "join_ok") {
            debug!(result, "uplink not accepted");
        }
        context.metrics.uplink(result);
    }
    .instrument(span)
    .await;
}

/// Checks the copy's shape, registers it for deduplication and, when this replica owns the
/// frame, hands it to the data or join handler.
async fn classify<R: DeviceRegistry>(
    context: &Context<R>,
    frame: &pb::UplinkFrame,
    started: Instant,
) -> crate::Result<&'static str> {
    if frame.tx_info.is_none() || frame.rx_metadata.is_empty() {
        return Ok("malformed");
    }
    let Ok(phy_payload) = PhyPayload::decode(&frame.phy_payload) else {
        return Ok("malformed");
    };
    let m_type = phy_payload.mhdr.m_type;
    if !matches!(
        m_type,
        MType::UnconfirmedDataUp
            | MType::ConfirmedDataUp
            | MType::JoinRequest
            | MType::RejoinRequest
    ) {
        return Ok("unsupported");
    }
    let Claim::Owner { key } = context.dedup.add(frame).await? else {
        return Ok("duplicate");
    };
    tracing::Span::current().record("dedup_id", key.as_str());
    // The handlers' futures are large and only the owner of a frame runs them: boxed, they
    // leave the spawned task of every copy small, so duplicates move little memory.
    match &phy_payload.payload {
        Payload::MacPayload(mac_payload) => {
            tracing::Span::current()
                .record("dev_addr", field::display(mac_payload.fhdr().dev_addr));
            Box::pin(uplink::handle(
                context,
                frame,
                m_type,
                mac_payload,
                &key,
                started,
            ))
            .await
        }
        Payload::JoinRequest(join_request) => {
            Box::pin(otaa::handle(context, frame, join_request, &key, started)).await
        }
        Payload::RejoinRequest(rejoin) => {
            Box::pin(otaa::handle_rejoin(context, frame, rejoin, &key, started)).await
        }
        _ => Ok("unsupported"),
    }
}

/// Logs an uplink task that panicked; a finished one needs nothing.
fn log_task_end(joined: Result<(), JoinError>) {
    if let Err(join_error) = joined {
        error!(error = %join_error, "uplink task panicked");
    }
}
