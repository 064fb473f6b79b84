//! One join-request owned by this replica: look the device up, allocate a DevAddr inside the
//! NetID, ask the join server on `js.join`, create the session from its answer, tell the
//! application server on `as.session`, and schedule the join-accept in RX1 and RX2 through
//! the gateway with the best SNR (LoRaWAN 1.0.4 §6.2, RP002-1.0.4 JOIN_ACCEPT_DELAY1/2).
//!
//! LoRaWAN 1.1 rejoin-requests take the same path: type 1 goes to the join server as it is
//! (only the join server holds the JSIntKey of its MIC); types 0 and 2 are checked here first,
//! since their MIC uses the session's SNwkSIntKey and their RJcount0 must grow (1.1 §6.2.4).

use bytes::Bytes;
use lorawan_codec::{DevAddr, DwellTime, Eui64, JoinRequest, RejoinRequest};
use lorawan_crypto::{MicKey, verify_rejoin_request_mic};
use lorawan_region::{Band, RxWindow};
use tern_proto::internal::v1 as pb;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::Result;
use crate::context::{Context, now_unix_ns, random_u32};
use crate::radio::{Window, class_a_items, uplink_dr};
use crate::registry::{Activation, DeviceRegistry};

/// Handles a join-request this replica owns; returns the `result` label.
pub(crate) async fn handle<R: DeviceRegistry>(
    context: &Context<R>,
    frame: &pb::UplinkFrame,
    join_request: &JoinRequest,
    dedup_key: &str,
    started: Instant,
) -> Result<&'static str> {
    let join = Join {
        dev_eui: join_request.dev_eui,
        join_eui: Some(join_request.join_eui),
    };
    handle_join(context, frame, join, dedup_key, started).await
}

/// Handles a rejoin-request this replica owns; returns the `result` label.
pub(crate) async fn handle_rejoin<R: DeviceRegistry>(
    context: &Context<R>,
    frame: &pb::UplinkFrame,
    rejoin: &RejoinRequest,
    dedup_key: &str,
    started: Instant,
) -> Result<&'static str> {
    let (net_id, dev_eui, rj_count0) = match *rejoin {
        RejoinRequest::Type1 {
            join_eui, dev_eui, ..
        } => {
            let join = Join {
                dev_eui,
                join_eui: Some(join_eui),
            };
            return handle_join(context, frame, join, dedup_key, started).await;
        }
        RejoinRequest::Type0 {
            net_id,
            dev_eui,
            rj_count0,
        }
        | RejoinRequest::Type2 {
            net_id,
            dev_eui,
            rj_count0,
        } => (net_id, dev_eui, rj_count0),
    };
    tracing::Span::current().record("dev_eui", tracing::field::display(dev_eui));
    if net_id != context.net_id {
        return Ok("rejoin_other_network");
    }
    let Some(stored) = context.sessions.session(dev_eui).await? else {
        return Ok("rejoin_no_session");
    };
    let Some((msg, mic)) = frame
        .phy_payload
        .len()
        .checked_sub(4)
        .map(|at| frame.phy_payload.split_at(at))
    else {
        return Ok("malformed");
    };
    let Ok(mic) = <&[u8; 4]>::try_from(mic) else {
        return Ok("malformed");
    };
    let keys = stored.keys()?;
    if verify_rejoin_request_mic(&MicKey::new(&keys.s_nwk_s_int_key), msg, mic).is_err() {
        return Ok("invalid_mic");
    }
    if stored
        .session
        .rj_count0
        .is_some_and(|last| u32::from(rj_count0) <= last)
    {
        return Ok("replay");
    }
    let mut next = stored.session.clone();
    next.rj_count0 = Some(u32::from(rj_count0));
    if !context.sessions.compare_and_set(&stored, &next).await? {
        return Ok("conflict");
    }
    let join = Join {
        dev_eui,
        join_eui: None,
    };
    handle_join(context, frame, join, dedup_key, started).await
}

/// Who asks to join: the DevEUI, and the JoinEUI when the frame names one.
#[derive(Debug, Clone, Copy)]
struct Join {
    dev_eui: Eui64,
    join_eui: Option<Eui64>,
}

/// Asks the join server for a new session of `join.dev_eui`, stores it as pending and
/// schedules the join-accept.
async fn handle_join<R: DeviceRegistry>(
    context: &Context<R>,
    frame: &pb::UplinkFrame,
    join: Join,
    dedup_key: &str,
    started: Instant,
) -> Result<&'static str> {
    let span = tracing::Span::current();
    span.record("dev_eui", tracing::field::display(join.dev_eui));
    let Some(device) = context.registry.device(join.dev_eui).await? else {
        return Ok("join_unknown_device");
    };
    match device.activation {
        Activation::Otaa { join_eui } if join.join_eui.is_none_or(|named| named == join_eui) => {
            span.record("join_eui", tracing::field::display(join_eui));
        }
        _ => return Ok("join_unknown_device"),
    }
    let band = Band::by_name(&device.band)?;
    let tx_info = frame.tx_info.unwrap_or_default();
    let Some(uplink_dr) = uplink_dr(&band, &tx_info) else {
        return Ok("malformed");
    };
    let rx2_default = band.rx2_params_after_join(tx_info.frequency_hz);
    let rx2 = RxWindow {
        frequency_hz: device.rx2_frequency_hz.unwrap_or(rx2_default.frequency_hz),
        data_rate: device.rx2_dr.unwrap_or(rx2_default.data_rate),
    };
    let dev_addr = allocate_dev_addr(context)?;
    let request = pb::JoinRequest {
        phy_payload: frame.phy_payload.clone(),
        dev_addr: dev_addr.to_u32(),
        net_id: context.net_id.to_u32(),
        rx1_dr_offset: u32::from(device.rx1_dr_offset),
        rx2_dr: u32::from(rx2.data_rate),
        rx_delay: u32::from(device.rx1_delay_s),
        cf_list: band
            .cf_list_bytes()
            .map(|bytes| Bytes::copy_from_slice(&bytes))
            .unwrap_or_default(),
        received_at_unix_ns: frame.received_at_unix_ns,
    };
    let answer: pb::JoinAnswer = match context
        .bus
        .request(
            &context.bus.subjects().js_join(),
            &request,
            context.join_request_timeout,
        )
        .await
    {
        Ok(answer) => answer,
        Err(error) => {
            warn!(error = %error, "join server did not answer");
            return Ok("join_server_unavailable");
        }
    };
    let accept = match answer.result {
        Some(pb::join_answer::Result::Ok(accept)) => accept,
        Some(pb::join_answer::Result::Error(refusal)) => {
            warn!(code = ?refusal.code(), message = %refusal.message, "join refused");
            return Ok("join_refused");
        }
        None => return Ok("join_refused"),
    };
    let (Some(f_nwk), Some(s_nwk), Some(nwk_enc)) = (
        plaintext_key(accept.f_nwk_s_int_key.as_ref()),
        plaintext_key(accept.s_nwk_s_int_key.as_ref()),
        plaintext_key(accept.nwk_s_enc_key.as_ref()),
    ) else {
        warn!("join answer without plaintext network session keys");
        return Ok("join_refused");
    };
    let created_at_unix_ns = now_unix_ns();
    let mut session = pb::DeviceSession {
        dev_eui: accept.dev_eui,
        join_eui: accept.join_eui,
        dev_addr: accept.dev_addr,
        mac_version: accept.mac_version,
        f_nwk_s_int_key: f_nwk,
        s_nwk_s_int_key: s_nwk,
        nwk_s_enc_key: nwk_enc,
        f_cnt_up: None,
        n_f_cnt_down: 0,
        a_f_cnt_down: 0,
        band: device.band.clone(),
        class: device.class as i32,
        rx1_delay_s: u32::from(device.rx1_delay_s.max(1)),
        rx1_dr_offset: u32::from(device.rx1_dr_offset),
        rx2_dr: u32::from(rx2.data_rate),
        rx2_frequency_hz: rx2.frequency_hz,
        adr: device.adr,
        adr_history: Vec::new(),
        created_at_unix_ns,
        dev_status_requested_at_unix_ns: None,
        dev_status: None,
        f_cnt_up_at_unix_ns: None,
        ..pb::DeviceSession::default()
    };
    crate::mac::init_mac_state(
        &mut session,
        &band,
        crate::mac::MacInit {
            data_rate: Some(uplink_dr),
            cf_list: !request.cf_list.is_empty(),
        },
    );
    context.sessions.create_pending(&session).await?;
    // Items queued for the old session can never be sent: hand them back to be encrypted for
    // the new one.
    let dev_eui = lorawan_codec::Eui64::from_u64(accept.dev_eui);
    let queued = context.queue.list(dev_eui).await?;
    crate::class_c::settle(context, dev_eui, &[], queued).await?;
    let event = pb::SessionEvent {
        dev_eui: accept.dev_eui,
        join_eui: accept.join_eui,
        dev_addr: accept.dev_addr,
        mac_version: accept.mac_version,
        app_s_key: accept.app_s_key.clone(),
        a_f_cnt_down: 0,
        join_nonce: accept.join_nonce,
        dev_nonce: accept.dev_nonce,
        created_at_unix_ns,
    };
    context
        .bus
        .publish(&context.bus.subjects().as_session(), &event)
        .await?;

    tokio::time::sleep_until(started + context.dedup_window).await;
    let rx_metadata = context.dedup.collect(dedup_key).await?;
    if !rx_metadata.iter().any(|rx| rx.tmst.is_some()) {
        debug!("no gateway with a tmst for the join-accept");
        return Ok("join_ok");
    }
    let timing = band.timing();
    let mut windows = Vec::with_capacity(2);
    if let Ok(rx1) =
        band.join_accept_rx1_params(tx_info.frequency_hz, uplink_dr, DwellTime::NoLimit)
    {
        windows.push(Window {
            rx: rx1,
            delay: timing.join_accept_delay1,
            slot: pb::DownlinkSlot::Rx1,
        });
    }
    windows.push(Window {
        rx: band.join_accept_rx2_params(tx_info.frequency_hz),
        delay: timing.join_accept_delay2,
        slot: pb::DownlinkSlot::Rx2,
    });
    let frames = rx_metadata
        .iter()
        .filter(|rx| rx.tmst.is_some())
        .take(3)
        .map(|gateway| {
            Ok(pb::DownlinkFrame {
                downlink_id: context.downlink_id(),
                gateway_eui: gateway.gateway_eui,
                items: class_a_items(&band, gateway, &accept.phy_payload, &windows)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    crate::schedule::send(
        context,
        crate::schedule::Outgoing {
            dev_eui: lorawan_codec::Eui64::from_u64(accept.dev_eui),
            frames,
            item: None,
            class_c: false,
            kind: "join_accept",
            band: device.band.clone(),
        },
    )
    .await?;
    context.metrics.latency("join_answered", started.elapsed());
    Ok("join_ok")
}

/// Returns a 16-byte plaintext key from an envelope, or `None` when absent or wrapped.
fn plaintext_key(envelope: Option<&pb::KeyEnvelope>) -> Option<Bytes> {
    let envelope = envelope?;
    (envelope.kek_label.is_empty() && envelope.key.len() == 16).then(|| envelope.key.clone())
}

/// Draws a random DevAddr inside the configured NetID (LoRaWAN Backend Interfaces TS002 §13).
fn allocate_dev_addr<R>(context: &Context<R>) -> Result<DevAddr> {
    let (_, prefix_bits) = DevAddr::prefix(context.net_id);
    let mask = u32::MAX.checked_shr(prefix_bits).unwrap_or(0);
    Ok(DevAddr::from_nwk_addr(context.net_id, random_u32() & mask)?)
}
