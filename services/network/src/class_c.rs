//! Class C downlinks (LoRaWAN 1.0.4 §13): a class C device listens on its RX2 parameters
//! whenever it does not transmit, so a queued item goes out at once, through the gateways
//! that heard the device's last uplink, without waiting for an uplink.
//!
//! One item at a time per device: a short Redis lock is held from sending until the TX_ACK,
//! whose handler sends the next item (see `schedule`). A confirmed item waits for the
//! device's ACK (in its next uplink) before the next confirmed-or-not item goes.

use std::time::Duration;

use bytes::Bytes;
use fred::prelude::{Expiration, KeysInterface, SetOptions};
use lorawan_codec::{DwellTime, Eui64};
use lorawan_region::Band;
use tern_proto::internal::v1 as pb;
use tracing::debug;

use crate::context::{Context, now_unix_ns};
use crate::downlink::{Opportunity, plan};
use crate::mac_version::is_1_1;
use crate::radio::proto_modulation;
use crate::registry::DeviceRegistry;
use crate::schedule::{Outgoing, downlink_event, invalidate, publish_event, send};
use crate::session::Stored;
use crate::{Error, Result};

/// How long the per-device lock lives when no TX_ACK releases it.
const LOCK_TTL: Duration = Duration::from_secs(5);

/// Gateways a class C downlink may fall back to.
const MAX_GATEWAYS: usize = 3;

/// Sends the device's next queued item when it is a class C device with an active session,
/// a known gateway and nothing in flight. Does nothing otherwise.
pub(crate) async fn send_next<R: DeviceRegistry>(
    context: &Context<R>,
    dev_eui: Eui64,
) -> Result<()> {
    if !lock(context, dev_eui).await? {
        return Ok(());
    }
    let sent = match try_send(context, dev_eui).await {
        Ok(sent) => sent,
        Err(error) => {
            release(context, dev_eui).await?;
            return Err(error);
        }
    };
    if !sent {
        release(context, dev_eui).await?;
    }
    Ok(())
}

/// Plans and sends one item; tells whether a frame went out (the lock then stays until its
/// TX_ACK).
async fn try_send<R: DeviceRegistry>(context: &Context<R>, dev_eui: Eui64) -> Result<bool> {
    for _ in 0..3 {
        let Some(stored) = context.sessions.session(dev_eui).await? else {
            return Ok(false);
        };
        let session = &stored.session;
        if session.class() != pb::DeviceClass::C
            || session.recent_gateways.is_empty()
            || session.pending_confirmed.is_some()
        {
            return Ok(false);
        }
        let Ok(band) = Band::by_name(&session.band) else {
            return Ok(false);
        };
        let rx2_dr = u8::try_from(session.rx2_dr).unwrap_or(0);
        let Ok(max) = band.max_payload(rx2_dr, DwellTime::NoLimit, false) else {
            return Ok(false);
        };
        let keys = stored.keys()?;
        let queue = context.queue.list(dev_eui).await?;
        let lorawan_1_1 = is_1_1(session.mac_version());
        let mut next = session.clone();
        let planned = plan(
            &mut next,
            &keys,
            Opportunity {
                queue: &queue,
                commands: Vec::new(),
                ack_of: None,
                force: false,
                max_payload: usize::from(max.n),
                lorawan_1_1: lorawan_1_1.then_some(context.f_opts_scheme),
                now_unix_ns: now_unix_ns(),
            },
        )?;
        settle(context, dev_eui, &planned.expired, planned.stale.clone()).await?;
        let Some(plan) = planned.plan else {
            return Ok(false);
        };
        let member = plan.item.as_ref().map(|queued| queued.member.as_slice());
        match context
            .sessions
            .compare_and_set_sending(&stored, &next, member)
            .await?
        {
            Stored::Yes => {}
            Stored::Conflict | Stored::ItemGone => continue,
        }
        let phy_payload = Bytes::from(plan.phy_payload);
        let frames = session
            .recent_gateways
            .iter()
            .take(MAX_GATEWAYS)
            .map(|gateway| frame(context, &band, &next, gateway, &phy_payload))
            .collect::<Result<Vec<_>>>()?;
        debug!(%dev_eui, "class c downlink");
        send(
            context,
            Outgoing {
                dev_eui,
                frames,
                item: plan.item.map(|queued| queued.item),
                class_c: true,
                kind: "class_c",
                band: session.band.clone(),
            },
        )
        .await?;
        return Ok(true);
    }
    Ok(false)
}

/// Removes expired and stale items and reports them.
pub(crate) async fn settle<R>(
    context: &Context<R>,
    dev_eui: Eui64,
    expired: &[crate::queue::QueuedItem],
    stale: Vec<crate::queue::QueuedItem>,
) -> Result<()> {
    let members: Vec<Vec<u8>> = expired
        .iter()
        .chain(&stale)
        .map(|queued| queued.member.clone())
        .collect();
    context.queue.remove(dev_eui, &members).await?;
    for queued in expired {
        let event = downlink_event(&queued.item, pb::DownlinkOutcome::Expired, 0, "");
        publish_event(context, &event).await?;
    }
    invalidate(
        context,
        dev_eui,
        stale.into_iter().map(|queued| queued.item).collect(),
    )
    .await
}

/// One class C frame through `gateway`: at once, on the session's RX2 parameters.
fn frame<R>(
    context: &Context<R>,
    band: &Band,
    session: &pb::DeviceSession,
    gateway: &pb::RecentGateway,
    phy_payload: &Bytes,
) -> Result<pb::DownlinkFrame> {
    let data_rate = band.data_rate(u8::try_from(session.rx2_dr).unwrap_or(0))?;
    Ok(pb::DownlinkFrame {
        downlink_id: context.downlink_id(),
        gateway_eui: gateway.gateway_eui,
        items: vec![pb::DownlinkTxItem {
            phy_payload: phy_payload.clone(),
            frequency_hz: session.rx2_frequency_hz,
            power_dbm: band.default_max_eirp_dbm().floor() as i32,
            modulation: Some(proto_modulation(data_rate.modulation)),
            timing: Some(pb::DownlinkTiming {
                timing: Some(pb::downlink_timing::Timing::Immediately(
                    pb::ImmediatelyTiming {},
                )),
            }),
            invert_polarization: true,
            rf_chain: 0,
            antenna: gateway.antenna,
            board: gateway.board,
            slot: pb::DownlinkSlot::ClassC as i32,
        }],
    })
}

async fn lock<R>(context: &Context<R>, dev_eui: Eui64) -> Result<bool> {
    let ttl = i64::try_from(LOCK_TTL.as_millis()).unwrap_or(i64::MAX);
    let set: Option<String> = context
        .redis
        .set(
            context.keys.class_c_lock(dev_eui),
            "1",
            Some(Expiration::PX(ttl)),
            Some(SetOptions::NX),
            false,
        )
        .await
        .map_err(Error::redis("set class c lock"))?;
    Ok(set.is_some())
}

/// Releases the device's class C lock.
pub(crate) async fn release<R>(context: &Context<R>, dev_eui: Eui64) -> Result<()> {
    let _: i64 = context
        .redis
        .del(context.keys.class_c_lock(dev_eui))
        .await
        .map_err(Error::redis("del class c lock"))?;
    Ok(())
}
