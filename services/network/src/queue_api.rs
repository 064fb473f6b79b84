//! `ns.queue`: the application server pushes, replaces, flushes and lists a device's
//! downlink queue. Items arrive encrypted for one session and one frame counter; the network
//! refuses what it could never send (another DevAddr, a spent counter, a payload larger than
//! the band allows) and says where to start again.

use lorawan_codec::{DwellTime, Eui64};
use lorawan_region::Band;
use tern_proto::internal::v1 as pb;

use crate::context::Context;
use crate::downlink::next_app_f_cnt;
use crate::mac_version::is_1_1;
use crate::queue::Pushed;
use crate::registry::DeviceRegistry;
use crate::{Result, class_c};

/// Highest application FPort (224 and up are reserved, LoRaWAN 1.0.4 §4.3.2).
const MAX_F_PORT: u32 = 223;

/// Answers one request; a store failure is answered `UNAVAILABLE` by the caller.
pub(crate) async fn handle<R: DeviceRegistry>(
    context: &Context<R>,
    request: &pb::QueueRequest,
) -> Result<pb::QueueResponse> {
    let dev_eui = Eui64::from_u64(request.dev_eui);
    let operation = request.operation();
    if operation == pb::QueueOperation::Unspecified {
        return Ok(refusal(
            pb::QueueErrorCode::InvalidArgument,
            "operation is not set".to_owned(),
        ));
    }
    let Some(stored) = context.sessions.latest(dev_eui).await? else {
        return Ok(refusal(
            pb::QueueErrorCode::NoSession,
            format!("device {dev_eui} has no session"),
        ));
    };
    let session = &stored.session;
    let next_f_cnt_down = next_app_f_cnt(session, is_1_1(session.mac_version()));
    let answer = |error, message: String| pb::QueueResponse {
        error: error as i32,
        message,
        items: Vec::new(),
        dev_addr: session.dev_addr,
        next_f_cnt_down,
    };
    if operation != pb::QueueOperation::List {
        let max_payload = largest_payload(&session.band);
        for item in &request.items {
            if let Some((error, message)) =
                check_item(item, request.dev_eui, session, next_f_cnt_down, max_payload)
            {
                return Ok(answer(error, message));
            }
        }
        let pushed = if operation == pb::QueueOperation::Push {
            context.queue.push(dev_eui, &request.items).await?
        } else {
            context.queue.replace(dev_eui, &request.items).await?
        };
        if pushed == Pushed::Full {
            return Ok(answer(
                pb::QueueErrorCode::Full,
                format!("the queue of device {dev_eui} is full"),
            ));
        }
    }
    let items = context
        .queue
        .list(dev_eui)
        .await?
        .into_iter()
        .map(|queued| queued.item)
        .collect();
    if operation != pb::QueueOperation::List && session.class() == pb::DeviceClass::C {
        class_c::send_next(context, dev_eui).await?;
    }
    Ok(pb::QueueResponse {
        items,
        ..answer(pb::QueueErrorCode::None, String::new())
    })
}

/// A refusal without session facts.
pub(crate) fn refusal(error: pb::QueueErrorCode, message: String) -> pb::QueueResponse {
    pb::QueueResponse {
        error: error as i32,
        message,
        ..pb::QueueResponse::default()
    }
}

/// Checks one item against the session; returns why it is refused.
fn check_item(
    item: &pb::DownlinkQueueItem,
    dev_eui: u64,
    session: &pb::DeviceSession,
    next_f_cnt_down: u32,
    max_payload: usize,
) -> Option<(pb::QueueErrorCode, String)> {
    use pb::QueueErrorCode::{InvalidArgument, Stale, TooLarge};
    if item.dev_eui != dev_eui {
        return Some((
            InvalidArgument,
            format!("item {:?} is for another device", item.id),
        ));
    }
    if item.id.is_empty() {
        return Some((InvalidArgument, "an item has no id".to_owned()));
    }
    if !(1..=MAX_F_PORT).contains(&item.f_port) {
        return Some((
            InvalidArgument,
            format!("item {:?}: f_port {} is not 1 to 223", item.id, item.f_port),
        ));
    }
    if item.dev_addr != session.dev_addr {
        return Some((
            Stale,
            format!(
                "item {:?} was encrypted for dev_addr {:08x}, the session uses {:08x}",
                item.id, item.dev_addr, session.dev_addr
            ),
        ));
    }
    if item.f_cnt_down < next_f_cnt_down {
        return Some((
            Stale,
            format!(
                "item {:?} uses f_cnt_down {}, the next one is {next_f_cnt_down}",
                item.id, item.f_cnt_down
            ),
        ));
    }
    if item.frm_payload.len() > max_payload {
        return Some((
            TooLarge,
            format!(
                "item {:?}: {} bytes exceed the band's largest payload of {max_payload}",
                item.id,
                item.frm_payload.len()
            ),
        ));
    }
    None
}

/// The largest FRMPayload any data rate of the band carries.
fn largest_payload(band: &str) -> usize {
    let Ok(band) = Band::by_name(band) else {
        return 0;
    };
    band.data_rates()
        .iter()
        .filter_map(|(dr, _)| band.max_payload(*dr, DwellTime::NoLimit, false).ok())
        .map(|max| usize::from(max.n))
        .max()
        .unwrap_or(0)
}
