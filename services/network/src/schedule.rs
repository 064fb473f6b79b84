//! Handing downlinks to gateways and acting on their TX_ACKs.
//!
//! A downlink is prepared as one `DownlinkFrame` per gateway that heard the device, best
//! first. The first goes out at once; the rest are stored with it in Redis under the
//! gateway and downlink id, so whichever replica receives the TX_ACK can act: on success it
//! reports the application item `sent` (and a class C device gets its next item); when every
//! item of the frame failed (the edge already tried RX2 after RX1) the next gateway's frame
//! is sent; when no gateway is left, the item is reported `failed` and handed back to the
//! application server to be encrypted again, since its frame counter is spent.

use std::time::Duration;

use fred::prelude::{Expiration, KeysInterface};
use lorawan_codec::Eui64;
use prost::Message;
use tern_proto::internal::v1 as pb;
use tracing::debug;

use crate::context::{Context, now_unix_ns};
use crate::registry::DeviceRegistry;
use lorawan_region::Band;

use crate::{Error, Result, class_c, gateway_duty};

/// How long a downlink waits for its TX_ACK in Redis; the edge reports a timeout well before.
const PENDING_DOWNLINK_TTL: Duration = Duration::from_secs(30);

/// A downlink ready to go: frames per gateway, best first, and what it carries.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// The device.
    pub(crate) dev_eui: Eui64,
    /// One frame per gateway, best first; must not be empty.
    pub(crate) frames: Vec<pb::DownlinkFrame>,
    /// The application item it carries.
    pub(crate) item: Option<pb::DownlinkQueueItem>,
    /// A class C downlink.
    pub(crate) class_c: bool,
    /// `kind` label of `tern_network_downlinks_total`.
    pub(crate) kind: &'static str,
    /// The device's band, for the duty cycle.
    pub(crate) band: String,
}

/// Sends the first frame of `outgoing` the duty cycle admits and stores the rest for its
/// TX_ACK; when no gateway may transmit, the downlink fails at once.
pub(crate) async fn send<R: DeviceRegistry>(
    context: &Context<R>,
    outgoing: Outgoing,
) -> Result<()> {
    let pending = pb::PendingDownlink {
        dev_eui: outgoing.dev_eui.to_u64(),
        item: outgoing.item,
        alternatives: outgoing.frames,
        class_c: outgoing.class_c,
        band: outgoing.band,
    };
    if dispatch(context, pending, "DUTY_CYCLE").await? {
        context.metrics.downlink(outgoing.kind);
    }
    Ok(())
}

/// Sends the next alternative of `pending` that the duty cycle admits; tells whether one
/// went out. When none is left, reports the item failed with `detail`.
async fn dispatch<R: DeviceRegistry>(
    context: &Context<R>,
    mut pending: pb::PendingDownlink,
    detail: &str,
) -> Result<bool> {
    let band = Band::by_name(&pending.band).ok();
    while !pending.alternatives.is_empty() {
        let mut frame = pending.alternatives.remove(0);
        if let Some(band) = &band
            && gateway_duty::admit(context, band, &mut frame).await? > 0
        {
            context.metrics.downlink("duty_cycle_limited");
        }
        if frame.items.is_empty() {
            continue;
        }
        publish(context, frame, &pending).await?;
        return Ok(true);
    }
    fail(context, pending, detail).await?;
    Ok(false)
}

/// Reports a downlink no gateway could transmit and hands its item back.
async fn fail<R: DeviceRegistry>(
    context: &Context<R>,
    pending: pb::PendingDownlink,
    detail: &str,
) -> Result<()> {
    let dev_eui = Eui64::from_u64(pending.dev_eui);
    if let Some(item) = pending.item {
        let event = downlink_event(&item, pb::DownlinkOutcome::Failed, 0, detail);
        publish_event(context, &event).await?;
        forget_confirmed(context, dev_eui, &item.id).await?;
        invalidate(context, dev_eui, vec![item]).await?;
    }
    if pending.class_c {
        class_c::release(context, dev_eui).await?;
    }
    Ok(())
}

async fn publish<R>(
    context: &Context<R>,
    frame: pb::DownlinkFrame,
    pending: &pb::PendingDownlink,
) -> Result<()> {
    let key = context
        .keys
        .pending_downlink(Eui64::from_u64(frame.gateway_eui), frame.downlink_id);
    let ttl = i64::try_from(PENDING_DOWNLINK_TTL.as_millis()).unwrap_or(i64::MAX);
    let _: () = context
        .redis
        .set(
            key,
            pending.encode_to_vec(),
            Some(Expiration::PX(ttl)),
            None,
            false,
        )
        .await
        .map_err(Error::redis("set pending downlink"))?;
    debug!(
        downlink_id = frame.downlink_id,
        gateway_eui = %Eui64::from_u64(frame.gateway_eui),
        "downlink to gateway"
    );
    context
        .bus
        .publish(&context.bus.subjects().gw_down(frame.gateway_eui), &frame)
        .await?;
    Ok(())
}

/// The TX_ACK status that sums up a frame: OK when an item was accepted, else the first
/// error.
pub(crate) fn summary(tx_ack: &pb::DownlinkTxAck) -> pb::TxAckStatus {
    let statuses: Vec<pb::TxAckStatus> = tx_ack.items.iter().map(|item| item.status()).collect();
    if statuses.contains(&pb::TxAckStatus::Ok) {
        return pb::TxAckStatus::Ok;
    }
    statuses
        .into_iter()
        .find(|status| *status != pb::TxAckStatus::Ignored)
        .unwrap_or(pb::TxAckStatus::Ignored)
}

/// The metric and event label of a status: `ok`, `too_late`, ...
pub(crate) fn status_label(status: pb::TxAckStatus) -> String {
    status
        .as_str_name()
        .trim_start_matches("TX_ACK_STATUS_")
        .to_ascii_lowercase()
}

/// Acts on one TX_ACK: reports the outcome, tries the next gateway, or hands the item back.
pub(crate) async fn on_tx_ack<R: DeviceRegistry>(
    context: &Context<R>,
    tx_ack: &pb::DownlinkTxAck,
) -> Result<()> {
    let status = summary(tx_ack);
    context.metrics.tx_ack(status_label(status));
    let key = context
        .keys
        .pending_downlink(Eui64::from_u64(tx_ack.gateway_eui), tx_ack.downlink_id);
    let raw: Option<Vec<u8>> = context
        .redis
        .getdel(key)
        .await
        .map_err(Error::redis("getdel pending downlink"))?;
    let Some(raw) = raw else {
        // Another replica acted on it, or it was never stored (it expired).
        return Ok(());
    };
    let Ok(pending) = pb::PendingDownlink::decode(raw.as_slice()) else {
        return Ok(());
    };
    let dev_eui = Eui64::from_u64(pending.dev_eui);
    if status == pb::TxAckStatus::Ok {
        if let Some(item) = &pending.item {
            let event = downlink_event(item, pb::DownlinkOutcome::Sent, tx_ack.gateway_eui, "");
            publish_event(context, &event).await?;
        }
        if pending.class_c {
            class_c::release(context, dev_eui).await?;
            class_c::send_next(context, dev_eui).await?;
        }
        return Ok(());
    }
    let detail = status.as_str_name().trim_start_matches("TX_ACK_STATUS_");
    if !pending.alternatives.is_empty() {
        context.metrics.downlink("retry_gateway");
    }
    dispatch(context, pending, detail).await?;
    Ok(())
}

/// Clears the session's pending confirmed item `item_id` (it never reached the air).
async fn forget_confirmed<R>(context: &Context<R>, dev_eui: Eui64, item_id: &str) -> Result<()> {
    for _ in 0..3 {
        let Some(stored) = context.sessions.session(dev_eui).await? else {
            return Ok(());
        };
        let waiting = stored
            .session
            .pending_confirmed
            .as_ref()
            .and_then(|pending| pending.item.as_ref())
            .is_some_and(|item| item.id == item_id);
        if !waiting {
            return Ok(());
        }
        let mut next = stored.session.clone();
        next.pending_confirmed = None;
        if context.sessions.compare_and_set(&stored, &next).await? {
            return Ok(());
        }
    }
    Ok(())
}

/// Builds the `as.downlink` event of `item`.
pub(crate) fn downlink_event(
    item: &pb::DownlinkQueueItem,
    outcome: pb::DownlinkOutcome,
    gateway_eui: u64,
    detail: &str,
) -> pb::DownlinkEvent {
    pb::DownlinkEvent {
        dev_eui: item.dev_eui,
        item_id: item.id.clone(),
        f_cnt_down: item.f_cnt_down,
        f_port: item.f_port,
        confirmed: item.confirmed,
        outcome: outcome as i32,
        gateway_eui,
        detail: detail.to_owned(),
        at_unix_ns: now_unix_ns(),
    }
}

/// Publishes an `as.downlink` event and counts it.
pub(crate) async fn publish_event<R>(
    context: &Context<R>,
    event: &pb::DownlinkEvent,
) -> Result<()> {
    context.metrics.downlink_outcome(event.outcome());
    context
        .bus
        .publish(&context.bus.subjects().as_downlink(), event)
        .await?;
    Ok(())
}

/// Hands `items` back to the application server on `as.queue.invalidated`, with the counter
/// of the device's newest session to encrypt them again from.
pub(crate) async fn invalidate<R>(
    context: &Context<R>,
    dev_eui: Eui64,
    items: Vec<pb::DownlinkQueueItem>,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let (dev_addr, next_f_cnt_down) = match context.sessions.latest(dev_eui).await? {
        Some(stored) => {
            let lorawan_1_1 = crate::mac_version::is_1_1(stored.session.mac_version());
            (
                stored.session.dev_addr,
                crate::downlink::next_app_f_cnt(&stored.session, lorawan_1_1),
            )
        }
        None => (0, 0),
    };
    context.metrics.invalidated(items.len());
    let message = pb::QueueInvalidated {
        dev_eui: dev_eui.to_u64(),
        dev_addr,
        next_f_cnt_down,
        items,
    };
    context
        .bus
        .publish(&context.bus.subjects().as_queue_invalidated(), &message)
        .await?;
    Ok(())
}
