//! What one downlink opportunity carries: the next application item from the queue, MAC
//! commands, the ACK of a confirmed uplink and FPending, within the payload size of the
//! windows' data rate; and how the session's counters move for it.
//!
//! Pure: the caller reads the queue and the session, stores the result with a
//! compare-and-set that also consumes the sent item, and sends the frame (see `uplink`,
//! `class_c`). Items the frame makes unusable (their counter is now spent, LoRaWAN 1.0.x
//! shares one FCntDown) come back as `stale` for `as.queue.invalidated`; expired ones as
//! `expired`.

use lorawan_codec::{DevAddr, FOpts, MacCommand, encode_mac_commands};
use lorawan_crypto::{CipherKey, FOptsScheme, MicKey};
use tern_proto::internal::v1 as pb;

use crate::Result;
use crate::data_down::{DataDown, DownPayload, build};
use crate::mac::fit_payload;
use crate::queue::QueuedItem;
use crate::session::SessionKeys;

/// What the downlink opportunity is for.
#[derive(Debug, Clone)]
pub(crate) struct Opportunity<'a> {
    /// The device's queue in send order.
    pub(crate) queue: &'a [QueuedItem],
    /// MAC commands to send, in order; those that do not fit wait.
    pub(crate) commands: Vec<MacCommand>,
    /// The counter of the confirmed uplink to acknowledge.
    pub(crate) ack_of: Option<u32>,
    /// Send a frame even when it would carry nothing (ADRACKReq).
    pub(crate) force: bool,
    /// The largest FRMPayload plus FOpts the windows' data rate allows (N).
    pub(crate) max_payload: usize,
    /// Whether the session is LoRaWAN 1.1, and its FOpts scheme.
    pub(crate) lorawan_1_1: Option<FOptsScheme>,
    /// Now, Unix nanoseconds (for expiry and the confirmed item's send time).
    pub(crate) now_unix_ns: i64,
}

/// A planned downlink.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// The PHYPayload to transmit.
    pub(crate) phy_payload: Vec<u8>,
    /// The application item it carries.
    pub(crate) item: Option<QueuedItem>,
    /// The MAC commands it carries.
    pub(crate) commands: Vec<MacCommand>,
    /// The `kind` label of `tern_network_downlinks_total`.
    pub(crate) kind: &'static str,
}

/// The result of planning: maybe a frame, and queue items to drop.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Planned {
    /// The downlink, when there is something to send.
    pub(crate) plan: Option<Plan>,
    /// Items whose counter the session has passed: removed and re-encrypted by the
    /// application server.
    pub(crate) stale: Vec<QueuedItem>,
    /// Items past their expiry: removed with an `expired` outcome.
    pub(crate) expired: Vec<QueuedItem>,
}

/// The next application frame counter of a session: AFCntDown in 1.1, the shared FCntDown in
/// 1.0.x.
pub(crate) fn next_app_f_cnt(session: &pb::DeviceSession, lorawan_1_1: bool) -> u32 {
    if lorawan_1_1 {
        session.a_f_cnt_down
    } else {
        session.n_f_cnt_down
    }
}

/// Plans the downlink of `opportunity` for `session` and advances the session's counters
/// (and its pending confirmed item) as if it were sent.
pub(crate) fn plan(
    session: &mut pb::DeviceSession,
    keys: &SessionKeys,
    opportunity: Opportunity<'_>,
) -> Result<Planned> {
    let lorawan_1_1 = opportunity.lorawan_1_1.is_some();
    let mut planned = Planned::default();
    let mut usable = Vec::new();
    let next_app = next_app_f_cnt(session, lorawan_1_1);
    for queued in opportunity.queue {
        let item = &queued.item;
        if item
            .expires_at_unix_ns
            .is_some_and(|at| at <= opportunity.now_unix_ns)
        {
            planned.expired.push(queued.clone());
        } else if item.dev_addr != session.dev_addr {
            // Encrypted for another session (a join the device has not used yet): kept.
        } else if item.f_cnt_down < next_app {
            planned.stale.push(queued.clone());
        } else {
            usable.push(queued);
        }
    }
    let dev_addr = DevAddr::from_u32(session.dev_addr);
    let s_nwk_s_int_key = MicKey::new(&keys.s_nwk_s_int_key);
    let nwk_s_enc_key = CipherKey::new(&keys.nwk_s_enc_key);
    let max_payload = opportunity.max_payload;
    let head = usable
        .iter()
        .position(|queued| queued.item.frm_payload.len() <= max_payload);

    if let Some(index) = head {
        let queued = usable[index];
        let item = &queued.item;
        let room = (max_payload - item.frm_payload.len()).min(FOpts::MAX_LEN);
        let commands = fit_payload(&opportunity.commands, room);
        let f_opts = encode_mac_commands(&commands)?;
        let more = usable.len() > 1 || commands.len() < opportunity.commands.len();
        let f_port = u8::try_from(item.f_port).unwrap_or(0);
        let phy_payload = build(DataDown {
            dev_addr,
            f_cnt: item.f_cnt_down,
            ack_of: opportunity.ack_of,
            confirmed: item.confirmed,
            f_pending: more,
            f_opts: &f_opts,
            payload: DownPayload::App {
                f_port,
                frm_payload: &item.frm_payload,
            },
            s_nwk_s_int_key: &s_nwk_s_int_key,
            nwk_s_enc_key: &nwk_s_enc_key,
            lorawan_1_1: opportunity.lorawan_1_1,
        })?;
        let next = item.f_cnt_down.wrapping_add(1);
        if lorawan_1_1 {
            session.a_f_cnt_down = next;
        } else {
            session.n_f_cnt_down = next;
        }
        if item.confirmed {
            let mut sent = item.clone();
            sent.attempts = sent.attempts.saturating_add(1);
            session.pending_confirmed = Some(pb::PendingConfirmed {
                item: Some(sent),
                sent_at_unix_ns: opportunity.now_unix_ns,
            });
        }
        session.ack_pending = false;
        planned.plan = Some(Plan {
            phy_payload,
            item: Some(queued.clone()),
            commands,
            kind: if item.confirmed {
                "application_confirmed"
            } else {
                "application"
            },
        });
        return Ok(planned);
    }

    if opportunity.commands.is_empty() && opportunity.ack_of.is_none() && !opportunity.force {
        return Ok(planned);
    }
    let in_f_opts = fit_payload(&opportunity.commands, FOpts::MAX_LEN);
    let (commands, port_zero) = if in_f_opts.len() == opportunity.commands.len() {
        (in_f_opts, false)
    } else {
        (fit_payload(&opportunity.commands, max_payload), true)
    };
    let encoded = encode_mac_commands(&commands)?;
    let (f_opts, payload): (&[u8], DownPayload<'_>) = if port_zero {
        (&[], DownPayload::Mac(&encoded))
    } else {
        (&encoded, DownPayload::None)
    };
    let f_cnt = session.n_f_cnt_down;
    let phy_payload = build(DataDown {
        dev_addr,
        f_cnt,
        ack_of: opportunity.ack_of,
        confirmed: false,
        f_pending: !usable.is_empty() || commands.len() < opportunity.commands.len(),
        f_opts,
        payload,
        s_nwk_s_int_key: &s_nwk_s_int_key,
        nwk_s_enc_key: &nwk_s_enc_key,
        lorawan_1_1: opportunity.lorawan_1_1,
    })?;
    session.n_f_cnt_down = f_cnt.wrapping_add(1);
    session.ack_pending = false;
    if !lorawan_1_1 {
        // The shared counter moved past items encrypted for it.
        let next = session.n_f_cnt_down;
        planned.stale.extend(
            usable
                .into_iter()
                .filter(|queued| queued.item.f_cnt_down < next)
                .cloned(),
        );
    }
    let kind = if commands.is_empty() { "ack" } else { "mac" };
    planned.plan = Some(Plan {
        phy_payload,
        item: None,
        commands,
        kind,
    });
    Ok(planned)
}

#[cfg(test)]
mod tests;
