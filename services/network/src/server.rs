//! The NATS loop: takes uplink copies from `up` (queue group `network`) and TX
//! acknowledgements from `gw.*.txack`, handles each uplink in its own task (at most
//! `network.max_in_flight` at once), and drains on shutdown.
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
use crate::{COMPONENT, otaa, uplink};

/// Serves both subscriptions until shutdown, then drains them and waits for tasks in flight.
///
/// Fails when a subscription ends without a shutdown (the bus connection was closed).
pub(crate) async fn serve<R: DeviceRegistry>(
    mut uplinks: Subscription<pb::UplinkFrame>,
    mut tx_acks: Subscription<pb::DownlinkTxAck>,
    context: Arc<Context<R>>,
    max_in_flight: usize,
    readiness: &Readiness,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let mut tasks = JoinSet::new();
    let mut draining = false;
    let mut closed = false;
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
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => log_task_end(joined),
            tx_ack = tx_acks.next(), if !closed => match tx_ack {
                Some(tx_ack) => count_tx_ack(&context, tx_ack.message()),
                None => closed = true,
            },
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

/// Counts one TX acknowledgement by the accepted item or, failing that, the first error.
fn count_tx_ack<R>(context: &Context<R>, tx_ack: &pb::DownlinkTxAck) {
    let statuses: Vec<pb::TxAckStatus> = tx_ack.items.iter().map(|item| item.status()).collect();
    let status = if statuses.contains(&pb::TxAckStatus::Ok) {
        pb::TxAckStatus::Ok
    } else {
        statuses
            .into_iter()
            .find(|status| *status != pb::TxAckStatus::Ignored)
            .unwrap_or(pb::TxAckStatus::Ignored)
    };
    let label = status
        .as_str_name()
        .trim_start_matches("TX_ACK_STATUS_")
        .to_ascii_lowercase();
    debug!(downlink_id = tx_ack.downlink_id, status = %label, "tx ack");
    context.metrics.tx_ack(label);
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
        MType::UnconfirmedDataUp | MType::ConfirmedDataUp | MType::JoinRequest
    ) {
        return Ok("unsupported");
    }
    let Claim::Owner { key } = context.dedup.add(frame).await? else {
        return Ok("duplicate");
    };
    tracing::Span::current().record("dedup_id", key.as_str());
    match &phy_payload.payload {
        Payload::MacPayload(mac_payload) => {
            tracing::Span::current()
                .record("dev_addr", field::display(mac_payload.fhdr().dev_addr));
            uplink::handle(context, frame, m_type, mac_payload, &key, started).await
        }
        Payload::JoinRequest(join_request) => {
            otaa::handle(context, frame, join_request, &key, started).await
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
