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
use lorawan_codec::{
    DevAddr, Direction, DwellTime, MType, MacPayload, decode_mac_commands, encode_mac_commands,
};
use lorawan_crypto::{
    B1Fields, CipherKey, FOptsCounter, FullFCnt, MAX_FCNT_GAP, MicKey, decrypt_f_opts_in_place,
    reconstruct_f_cnt, verify_data_uplink_mic_1_0, verify_data_uplink_mic_1_1,
};
use lorawan_region::{Band, RxWindow};
use tern_proto::internal::v1 as pb;
use tokio::time::Instant;
use tracing::debug;

use crate::Result;
use crate::ack::{AckParams, ack_frame};
use crate::context::Context;
use crate::mac;
use crate::mac_version::is_1_1;
use crate::radio::{Window, best_gateway, class_a_items, region_modulation, uplink_dr};
use crate::registry::{Activation, DeviceRegistry, NetworkDevice};
use crate::session::StoredSession;

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
        candidates = activate_abp(context, dev_addr).await?;
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
        let Some(f_cnt) = full.f_cnt() else {
            continue;
        };
        if mic_matches(
            &stored,
            &band,
            &tx_info,
            fhdr.f_ctrl.ack,
            dev_addr,
            f_cnt,
            msg,
            mic,
        )? {
            matched = Some(Matched {
                stored,
                full,
                f_cnt,
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
    match matched.full {
        FullFCnt::First { .. } | FullFCnt::Advanced { .. } => {}
        FullFCnt::Repeated { .. } if retransmission => {}
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
    let lorawan_1_1 =
        is_1_1(session.mac_version()).then_some((&nwk_s_enc_key, context.f_opts_scheme));
    let mut f_opts = fhdr.f_opts;
    if let Some((nwk_s_enc_key, scheme)) = lorawan_1_1 {
        decrypt_f_opts_in_place(
            nwk_s_enc_key,
            scheme,
            FOptsCounter::FCntUp,
            dev_addr,
            matched.f_cnt,
            f_opts.as_mut_bytes(),
        )?;
    }
    let uplink_commands = decode_mac_commands(f_opts.as_bytes(), Direction::Uplink);
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
    let dev_status = outcome.dev_status;
    let mut commands = outcome.commands;
    mac::fit_f_opts(&mut commands);
    mac::commit_sent(&mut next, &commands, session.n_f_cnt_down, now_unix_ns);
    let downlink = if confirmed || outcome.needs_downlink {
        let f_opts = encode_mac_commands(&commands)?;
        let phy_payload = ack_frame(AckParams {
            dev_addr,
            n_f_cnt_down: session.n_f_cnt_down,
            conf_f_cnt: confirmed.then_some(matched.f_cnt),
            f_opts: &f_opts,
            s_nwk_s_int_key: &MicKey::new(&keys.s_nwk_s_int_key),
            lorawan_1_1,
        })?;
        next.n_f_cnt_down = session.n_f_cnt_down.wrapping_add(1);
        let kind = if commands.is_empty() { "ack" } else { "mac" };
        Some((phy_payload, kind))
    } else {
        None
    };
    if !context
        .sessions
        .compare_and_set(&matched.stored, &next)
        .await?
    {
        return Ok("conflict");
    }

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

    if let Some((phy_payload, kind)) = downlink {
        let class_a = ClassA {
            band: &matched.band,
            session: &next,
            tx_info: &tx_info,
            uplink_dr: dr,
            rx_metadata: &rx_metadata,
        };
        send_class_a(context, class_a, phy_payload, kind).await?;
    }
    debug!(gateways = rx_metadata.len(), "uplink accepted");
    Ok("ok")
}

/// Answers a retransmission of the last accepted uplink: a confirmed one is acknowledged
/// again with the next NFCntDown; nothing is published on `as.up`.
async fn answer_retransmission<R>(
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
    let nwk_s_enc_key = CipherKey::new(&keys.nwk_s_enc_key);
    let phy_payload = ack_frame(AckParams {
        dev_addr: DevAddr::from_u32(session.dev_addr),
        n_f_cnt_down: session.n_f_cnt_down,
        conf_f_cnt: Some(matched.f_cnt),
        f_opts: &[],
        s_nwk_s_int_key: &MicKey::new(&keys.s_nwk_s_int_key),
        lorawan_1_1: is_1_1(session.mac_version())
            .then_some((&nwk_s_enc_key, context.f_opts_scheme)),
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
    send_class_a(context, class_a, phy_payload, "ack").await?;
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
        // FIXME(#5): the counter of the acknowledged confirmed downlink is not tracked yet;
        // the network server sends no confirmed downlinks, so an ACK here answers none of ours.
        conf_f_cnt: ack.then_some(stored.session.a_f_cnt_down.saturating_sub(1)),
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
fn abp_session(device: &NetworkDevice) -> Option<pb::DeviceSession> {
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

/// Sends a network downlink (`kind` for the metric) in RX1 and RX2 of the uplink through the
/// best gateway.
async fn send_class_a<R>(
    context: &Context<R>,
    class_a: ClassA<'_>,
    phy_payload: Vec<u8>,
    kind: &'static str,
) -> Result<()> {
    let ClassA {
        band,
        session,
        tx_info,
        uplink_dr,
        rx_metadata,
    } = class_a;
    let Some(gateway) = best_gateway(rx_metadata) else {
        debug!("no gateway with a tmst for the ack");
        return Ok(());
    };
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
    let downlink = pb::DownlinkFrame {
        downlink_id: context.downlink_id(),
        gateway_eui: gateway.gateway_eui,
        items: class_a_items(band, gateway, &phy_payload, &windows)?,
    };
    context
        .bus
        .publish(
            &context.bus.subjects().gw_down(gateway.gateway_eui),
            &downlink,
        )
        .await?;
    context.metrics.downlink(kind);
    Ok(())
}
