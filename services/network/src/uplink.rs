//! One data uplink owned by this replica: resolve the session by DevAddr (the MIC picks among
//! several), reconstruct and check the frame counter, wait for the dedup window, merge every
//! gateway's reception, store the session with compare-and-set, publish `as.up`, and answer a
//! confirmed uplink with an ACK in RX1/RX2.
//!
//! LinkCheckReq and DeviceTimeReq in FOpts (decrypted first for LoRaWAN 1.1) are answered in
//! the same downlink (see `mac`). Rejections (unknown DevAddr, bad MIC, replay, counter gap)
//! change no stored state. ADR decisions are not made here yet.

use std::time::Duration;

use bytes::Bytes;
use lorawan_codec::{DevAddr, Direction, DwellTime, Eui64, MType, MacPayload, decode_mac_commands};
use lorawan_crypto::{
    B1Fields, CipherKey, FOptsCounter, FullFCnt, MAX_FCNT_GAP, MicKey, decrypt_f_opts_in_place,
    decrypt_frm_payload, reconstruct_f_cnt, verify_data_uplink_mic_1_0, verify_data_uplink_mic_1_1,
};
use lorawan_region::{Band, RxWindow};
use tern_proto::internal::v1 as pb;
use tokio::time::Instant;
use tracing::debug;

use crate::class_c::settle;
use crate::context::Context;
use crate::data_down::{DataDown, DownPayload, build};
use crate::downlink::{Opportunity, plan};
use crate::mac_version::is_1_1;
use crate::radio::{Window, class_a_items, region_modulation, uplink_dr};
use crate::registry::{Activation, DeviceRegistry, NetworkDevice};
use crate::schedule::{Outgoing, downlink_event, invalidate, publish_event, send};
use crate::session::{Stored, StoredSession};
use crate::{Result, mac};

/// Gateways a class A downlink may fall back to, best first.
const MAX_GATEWAYS: usize = 3;

/// ADR history entries kept per session.
const ADR_HISTORY_LEN: usize = 20;

/// How long after an accepted uplink a frame with the same counter counts as the device's
/// retransmission (NbTrans, or a confirmed uplink whose ACK was lost, LoRaWAN 1.0.4 §18.1)
/// rather than a replay: one minute, well above ACK_TIMEOUT and RETRANSMIT_TIMEOUT.
const RETRANSMISSION_WINDOW_NS: i64 = 60_000_000_000;

/// A session whose MIC matched the frame, with the frame's full counter.
struct Matched {
    stored: StoredSession,
    full: FullFCnt,
    f_cnt: u32,
    band: Band,
}

/// Handles a data uplink this replica owns; returns the `result` label.
pub(crate) async fn handle<R: DeviceRegistry>(
    context: &Context<R>,
    frame: &pb::UplinkFrame,
    m_type: MType,
    mac_payload: &MacPayload,
    dedup_key: &str,
    started: Instant,
) -> Result<&'static str> {
    let fhdr = mac_payload.fhdr();
    let dev_addr = fhdr.dev_addr;
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
    let tx_info = frame.tx_info.unwrap_or_default();
    let mut candidates = context.sessions.candidates(dev_addr).await?;
    if candidates.is_empty() {
        match context.unknown_addrs.check(dev_addr) {
            Ok(()) => return Ok("unknown_dev_addr"),
            Err(generation) => {
                candidates = activate_abp(context, dev_addr).await?;
                if candidates.is_empty() {
                    context.unknown_addrs.record(dev_addr, generation);
                }
            }
        }
    }
    if candidates.is_empty() {
        return Ok("unknown_dev_addr");
    }
    let mut matched = None;
    for stored in candidates {
        let Ok(band) = Band::by_name(&stored.session.band) else {
            continue;
        };
        let full = reconstruct_f_cnt(stored.session.f_cnt_up, fhdr.f_cnt, MAX_FCNT_GAP);
        let mic_at = |f_cnt| {
            mic_matches(
                &stored,
                &band,
                &tx_info,
                fhdr.f_ctrl.ack,
                dev_addr,
                f_cnt,
                msg,
                mic,
            )
        };
        if let Some(f_cnt) = full.f_cnt()
            && mic_at(f_cnt)?
        {
            matched = Some(Matched {
                stored,
                full,
                f_cnt,
                band,
            });
            break;
        }
        // A device allowed to reset its counters may have started again from 0.
        let restarted = u32::from(fhdr.f_cnt);
        if stored.session.relax_f_cnt && full.f_cnt() != Some(restarted) && mic_at(restarted)? {
            matched = Some(Matched {
                stored,
                full: FullFCnt::First { f_cnt: restarted },
                f_cnt: restarted,
                band,
            });
            break;
        }
    }
    let Some(matched) = matched else {
        return Ok("invalid_mic");
    };
    let now_unix_ns = crate::context::now_unix_ns();
    let retransmission = matches!(matched.full, FullFCnt::Repeated { .. })
        && matched
            .stored
            .session
            .f_cnt_up_at_unix_ns
            .is_some_and(|at| now_unix_ns.saturating_sub(at) <= RETRANSMISSION_WINDOW_NS);
    let relaxed = matched.stored.session.relax_f_cnt;
    match matched.full {
        FullFCnt::First { .. } | FullFCnt::Advanced { .. } => {}
        FullFCnt::Repeated { .. } if retransmission => {}
        FullFCnt::Repeated { .. } | FullFCnt::Behind { .. } if relaxed => {
            debug!("frame counter went back on a relaxed-counter device: accepted as a reset");
        }
        FullFCnt::Repeated { .. } | FullFCnt::Behind { .. } => return Ok("replay"),
        FullFCnt::GapTooLarge { .. } | FullFCnt::Exhausted => return Ok("f_cnt_gap"),
    }
    tracing::Span::current().record("f_cnt", matched.f_cnt);

    tokio::time::sleep_until(started + context.dedup_window).await;
    let rx_metadata = context.dedup.collect(dedup_key).await?;
    let session = &matched.stored.session;
    let dr = uplink_dr(&matched.band, &tx_info).unwrap_or_default();
    let confirmed = m_type == MType::ConfirmedDataUp;
    if retransmission {
        let class_a = ClassA {
            band: &matched.band,
            session,
            tx_info: &tx_info,
            uplink_dr: dr,
            rx_metadata: &rx_metadata,
        };
        return answer_retransmission(context, &matched, confirmed, class_a).await;
    }

    let mut next = session.clone();
    next.f_cnt_up = Some(matched.f_cnt);
    next.f_cnt_up_at_unix_ns = Some(now_unix_ns);
    next.adr_history.push(pb::AdrHistoryEntry {
        f_cnt: matched.f_cnt,
        max_snr_db: rx_metadata.first().map_or(0.0, |rx| rx.snr_db),
        gateway_count: u32::try_from(rx_metadata.len()).unwrap_or(u32::MAX),
        dr: u32::from(dr),
    });
    let excess = next.adr_history.len().saturating_sub(ADR_HISTORY_LEN);
    next.adr_history.drain(..excess);
    let keys = matched.stored.keys()?;
    let nwk_s_enc_key = CipherKey::new(&keys.nwk_s_enc_key);
    let lorawan_1_1 = is_1_1(session.mac_version());
    let scheme = lorawan_1_1.then_some(context.f_opts_scheme);
    let port_zero = mac_payload.f_port() == Some(0);
    let mac_bytes = if port_zero {
        decrypt_frm_payload(
            &nwk_s_enc_key,
            Direction::Uplink,
            dev_addr,
            matched.f_cnt,
            mac_payload.frm_payload(),
        )?
    } else {
        let mut f_opts = fhdr.f_opts;
        if let Some(scheme) = scheme {
            decrypt_f_opts_in_place(
                &nwk_s_enc_key,
                scheme,
                FOptsCounter::FCntUp,
                dev_addr,
                matched.f_cnt,
                f_opts.as_mut_bytes(),
            )?;
        }
        f_opts.as_bytes().to_vec()
    };
    let uplink_commands = decode_mac_commands(&mac_bytes, Direction::Uplink);
    let desired =
        mac::DesiredSettings::from_session(&matched.band, &next, context.dev_status_interval);
    let outcome = mac::handle_uplink(
        &mut next,
        &matched.band,
        &uplink_commands.commands,
        &mac::UplinkFacts {
            dr: uplink_dr(&matched.band, &tx_info),
            modulation: tx_info.modulation.as_ref().and_then(region_modulation),
            rx_metadata: &rx_metadata,
            received_at_unix_ns: frame.received_at_unix_ns,
            adr: fhdr.f_ctrl.adr,
            adr_ack_req: fhdr.f_ctrl.adr_ack_req,
        },
        &desired,
        now_unix_ns,
    );
    for cid in &outcome.rejected {
        context.metrics.mac_command("rejected", cid);
    }
    for cid in &outcome.applied {
        context.metrics.mac_command("applied", cid);
    }
    for cid in &outcome.gave_up {
        context.metrics.mac_command("unanswered", cid);
    }
    let dev_status = outcome.dev_status;
    let commands = outcome.commands;

    // The confirmed downlink sent before this uplink is acknowledged now or never.
    let mut outcomes = Vec::new();
    let mut retry = Vec::new();
    if let Some(item) = next
        .pending_confirmed
        .take()
        .and_then(|pending| pending.item)
    {
        if fhdr.f_ctrl.ack {
            outcomes.push(downlink_event(&item, pb::DownlinkOutcome::Ack, 0, ""));
        } else if item.attempts < context.confirmed_max_attempts {
            retry.push(item);
        } else {
            outcomes.push(downlink_event(&item, pb::DownlinkOutcome::Nack, 0, ""));
        }
    }
    next.recent_gateways = recent_gateways(&rx_metadata, frame.received_at_unix_ns);
    next.ack_pending = confirmed;

    let dev_eui = Eui64::from_u64(session.dev_eui);
    let max_payload = class_a_max_payload(&matched.band, &next, &tx_info, dr);
    let mut attempt = 0;
    let (next, planned) = loop {
        attempt += 1;
        let queue = context.queue.list(dev_eui).await?;
        let mut candidate = next.clone();
        let planned = plan(
            &mut candidate,
            &keys,
            Opportunity {
                queue: &queue,
                commands: commands.clone(),
                ack_of: confirmed.then_some(matched.f_cnt),
                force: outcome.needs_downlink,
                max_payload,
                lorawan_1_1: scheme,
                now_unix_ns,
            },
        )?;
        let sent_commands = planned.plan.as_ref().map_or(&[][..], |plan| &plan.commands);
        mac::commit_sent(
            &mut candidate,
            sent_commands,
            next.n_f_cnt_down,
            now_unix_ns,
        );
        let member = planned
            .plan
            .as_ref()
            .and_then(|plan| plan.item.as_ref())
            .map(|queued| queued.member.as_slice());
        match context
            .sessions
            .compare_and_set_sending(&matched.stored, &candidate, member)
            .await?
        {
            Stored::Yes => break (candidate, planned),
            Stored::ItemGone if attempt < 3 => continue,
            Stored::ItemGone | Stored::Conflict => return Ok("conflict"),
        }
    };
    context.metrics.latency("checked", started.elapsed());

    if !port_zero {
        let uplink = pb::ApplicationUplink {
            dev_eui: session.dev_eui,
            join_eui: session.join_eui,
            dev_addr: dev_addr.to_u32(),
            mac_version: session.mac_version,
            f_cnt: matched.f_cnt,
            f_port: mac_payload.f_port().map(u32::from),
            frm_payload: Bytes::copy_from_slice(mac_payload.frm_payload()),
            confirmed,
            adr: fhdr.f_ctrl.adr,
            dr: u32::from(dr),
            tx_info: Some(tx_info),
            rx_metadata: rx_metadata.clone(),
            received_at_unix_ns: frame.received_at_unix_ns,
            band: session.band.clone(),
            dev_status: next.dev_status.filter(|_| dev_status.is_some()),
        };
        context
            .bus
            .publish(&context.bus.subjects().as_up(), &uplink)
            .await?;
        context.metrics.latency("published", started.elapsed());
    }

    if let Some(plan) = planned.plan {
        let class_a = ClassA {
            band: &matched.band,
            session: &next,
            tx_info: &tx_info,
            uplink_dr: dr,
            rx_metadata: &rx_metadata,
        };
        let frames = class_a_frames(context, class_a, plan.phy_payload)?;
        send(
            context,
            Outgoing {
                dev_eui,
                frames,
                item: plan.item.map(|queued| queued.item),
                class_c: false,
                kind: plan.kind,
                band: next.band.clone(),
            },
        )
        .await?;
    }
    for event in &outcomes {
        publish_event(context, event).await?;
    }
    settle(context, dev_eui, &planned.expired, planned.stale).await?;
    invalidate(context, dev_eui, retry).await?;
    debug!(gateways = rx_metadata.len(), "uplink accepted");
    Ok("ok")
}

/// The gateways of an uplink for later class C downlinks, best first.
fn recent_gateways(
    rx_metadata: &[pb::UplinkRxMetadata],
    received_at_unix_ns: i64,
) -> Vec<pb::RecentGateway> {
    rx_metadata
        .iter()
        .take(MAX_GATEWAYS)
        .map(|rx| pb::RecentGateway {
            gateway_eui: rx.gateway_eui,
            snr_db: rx.snr_db,
            rssi_dbm: rx.rssi_dbm as f32,
            board: rx.board,
            antenna: rx.antenna,
            received_at_unix_ns,
        })
        .collect()
}

/// The largest FRMPayload plus FOpts that both class A windows carry.
fn class_a_max_payload(
    band: &Band,
    session: &pb::DeviceSession,
    tx_info: &pb::UplinkTxInfo,
    uplink_dr: u8,
) -> usize {
    let n = |dr: u8| {
        band.max_payload(dr, DwellTime::NoLimit, false)
            .map_or(0, |max| usize::from(max.n))
    };
    let rx2 = n(u8::try_from(session.rx2_dr).unwrap_or(0));
    let rx1 = band
        .rx1_params(
            tx_info.frequency_hz,
            uplink_dr,
            u8::try_from(session.rx1_dr_offset).unwrap_or(0),
            DwellTime::NoLimit,
        )
        .map_or(rx2, |rx1| n(rx1.data_rate));
    rx1.min(rx2)
}

/// Answers a retransmission of the last accepted uplink: a confirmed one is acknowledged
/// again with the next NFCntDown; nothing is published on `as.up`.
async fn answer_retransmission<R: DeviceRegistry>(
    context: &Context<R>,
    matched: &Matched,
    confirmed: bool,
    class_a: ClassA<'_>,
) -> Result<&'static str> {
    if !confirmed {
        return Ok("retransmission");
    }
    let session = &matched.stored.session;
    let keys = matched.stored.keys()?;
    let phy_payload = build(DataDown {
        dev_addr: DevAddr::from_u32(session.dev_addr),
        f_cnt: session.n_f_cnt_down,
        ack_of: Some(matched.f_cnt),
        confirmed: false,
        f_pending: false,
        f_opts: &[],
        payload: DownPayload::None,
        s_nwk_s_int_key: &MicKey::new(&keys.s_nwk_s_int_key),
        nwk_s_enc_key: &CipherKey::new(&keys.nwk_s_enc_key),
        lorawan_1_1: is_1_1(session.mac_version()).then_some(context.f_opts_scheme),
    })?;
    let mut next = session.clone();
    next.n_f_cnt_down = session.n_f_cnt_down.wrapping_add(1);
    if !context
        .sessions
        .compare_and_set(&matched.stored, &next)
        .await?
    {
        return Ok("conflict");
    }
    let class_a = ClassA {
        session: &next,
        ..class_a
    };
    let frames = class_a_frames(context, class_a, phy_payload)?;
    send(
        context,
        Outgoing {
            dev_eui: Eui64::from_u64(session.dev_eui),
            frames,
            item: None,
            class_c: false,
            kind: "ack",
            band: session.band.clone(),
        },
    )
    .await?;
    Ok("retransmission")
}

/// Checks the frame's MIC against one candidate session at counter `f_cnt`.
#[allow(clippy::too_many_arguments)] // The MIC inputs, named as the specification names them.
fn mic_matches(
    stored: &StoredSession,
    band: &Band,
    tx_info: &pb::UplinkTxInfo,
    ack: bool,
    dev_addr: DevAddr,
    f_cnt: u32,
    msg: &[u8],
    mic: &[u8; 4],
) -> Result<bool> {
    let keys = stored.keys()?;
    let f_nwk_s_int_key = MicKey::new(&keys.f_nwk_s_int_key);
    if !is_1_1(stored.session.mac_version()) {
        return Ok(verify_data_uplink_mic_1_0(&f_nwk_s_int_key, dev_addr, f_cnt, msg, mic).is_ok());
    }
    // LoRaWAN 1.1 §4.4: B1 carries the data rate and channel index of the uplink.
    let Some(tx_dr) = uplink_dr(band, tx_info) else {
        return Ok(false);
    };
    let Ok(tx_ch) = band.uplink_channel(tx_info.frequency_hz) else {
        return Ok(false);
    };
    let b1 = B1Fields {
        // LoRaWAN 1.1 §4.4: an ACK carries the counter of the confirmed downlink it answers.
        conf_f_cnt: ack.then(|| {
            stored
                .session
                .pending_confirmed
                .as_ref()
                .and_then(|pending| pending.item.as_ref())
                .map_or(0, |item| item.f_cnt_down)
        }),
        tx_dr,
        tx_ch: u8::try_from(tx_ch).unwrap_or(u8::MAX),
    };
    let s_nwk_s_int_key = MicKey::new(&keys.s_nwk_s_int_key);
    Ok(verify_data_uplink_mic_1_1(
        &s_nwk_s_int_key,
        &f_nwk_s_int_key,
        b1,
        dev_addr,
        f_cnt,
        msg,
        mic,
    )
    .is_ok())
}

/// Creates the sessions of ABP devices personalised with `dev_addr` that have none yet.
async fn activate_abp<R: DeviceRegistry>(
    context: &Context<R>,
    dev_addr: DevAddr,
) -> Result<Vec<StoredSession>> {
    let devices = context.registry.abp_devices(dev_addr).await?;
    let mut sessions = Vec::with_capacity(devices.len());
    for device in devices {
        let Some(session) = abp_session(&device) else {
            continue;
        };
        context.sessions.create_if_absent(&session).await?;
        if let Some(stored) = context.sessions.session(device.dev_eui).await? {
            sessions.push(stored);
        }
    }
    Ok(sessions)
}

/// Builds the first session of an ABP device, or `None` for an OTAA device.
pub(crate) fn abp_session(device: &NetworkDevice) -> Option<pb::DeviceSession> {
    let Activation::Abp { dev_addr, keys } = device.activation else {
        return None;
    };
    let band = Band::by_name(&device.band).ok()?;
    let rx2 = band.rx2_params();
    Some(pb::DeviceSession {
        dev_eui: device.dev_eui.to_u64(),
        join_eui: 0,
        dev_addr: dev_addr.to_u32(),
        mac_version: device.mac_version as i32,
        f_nwk_s_int_key: Bytes::copy_from_slice(keys.f_nwk_s_int_key.as_bytes()),
        s_nwk_s_int_key: Bytes::copy_from_slice(keys.s_nwk_s_int_key.as_bytes()),
        nwk_s_enc_key: Bytes::copy_from_slice(keys.nwk_s_enc_key.as_bytes()),
        f_cnt_up: None,
        n_f_cnt_down: 0,
        a_f_cnt_down: 0,
        band: device.band.clone(),
        class: device.class as i32,
        rx1_delay_s: u32::from(device.rx1_delay_s),
        rx1_dr_offset: u32::from(device.rx1_dr_offset),
        rx2_dr: u32::from(device.rx2_dr.unwrap_or(rx2.data_rate)),
        rx2_frequency_hz: device.rx2_frequency_hz.unwrap_or(rx2.frequency_hz),
        adr: device.adr,
        relax_f_cnt: device.relax_f_cnt,
        adr_history: Vec::new(),
        created_at_unix_ns: crate::context::now_unix_ns(),
        dev_status_requested_at_unix_ns: None,
        dev_status: None,
        f_cnt_up_at_unix_ns: None,
        ..pb::DeviceSession::default()
    })
}

/// The uplink a class A downlink answers.
struct ClassA<'a> {
    band: &'a Band,
    session: &'a pb::DeviceSession,
    tx_info: &'a pb::UplinkTxInfo,
    uplink_dr: u8,
    rx_metadata: &'a [pb::UplinkRxMetadata],
}

/// Builds the class A frames of a downlink: RX1 and RX2 of the uplink through each gateway
/// that heard it with a `tmst`, best first.
fn class_a_frames<R>(
    context: &Context<R>,
    class_a: ClassA<'_>,
    phy_payload: Vec<u8>,
) -> Result<Vec<pb::DownlinkFrame>> {
    let ClassA {
        band,
        session,
        tx_info,
        uplink_dr,
        rx_metadata,
    } = class_a;
    let rx1_delay = Duration::from_secs(u64::from(session.rx1_delay_s.max(1)));
    let rx1_dr_offset = u8::try_from(session.rx1_dr_offset).unwrap_or(0);
    let mut windows = Vec::with_capacity(2);
    if region_modulation(
        tx_info
            .modulation
            .as_ref()
            .unwrap_or(&pb::Modulation::default()),
    )
    .is_some()
        && let Ok(rx1) = band.rx1_params(
            tx_info.frequency_hz,
            uplink_dr,
            rx1_dr_offset,
            DwellTime::NoLimit,
        )
    {
        windows.push(Window {
            rx: rx1,
            delay: rx1_delay,
            slot: pb::DownlinkSlot::Rx1,
        });
    }
    windows.push(Window {
        rx: RxWindow {
            frequency_hz: session.rx2_frequency_hz,
            data_rate: u8::try_from(session.rx2_dr).unwrap_or(0),
        },
        delay: rx1_delay + Duration::from_secs(1),
        slot: pb::DownlinkSlot::Rx2,
    });
    let phy_payload = Bytes::from(phy_payload);
    let frames = rx_metadata
        .iter()
        .filter(|rx| rx.tmst.is_some())
        .take(MAX_GATEWAYS)
        .map(|gateway| {
            Ok(pb::DownlinkFrame {
                downlink_id: context.downlink_id(),
                gateway_eui: gateway.gateway_eui,
                items: class_a_items(band, gateway, &phy_payload, &windows)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if frames.is_empty() {
        debug!("no gateway with a tmst for the downlink");
    }
    Ok(frames)
}
