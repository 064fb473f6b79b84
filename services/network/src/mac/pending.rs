//! Requests in flight (`MacState.pending`): matching the device's answers to them by CID in
//! the order they were sent, re-sending the unanswered ones up to `MAX_ATTEMPTS` times, and
//! recording what a downlink actually carried.

use lorawan_codec::{Direction, MacCommand, decode_mac_commands};
use tern_proto::internal::v1 as pb;

use super::state::{mac, record_rejected};
use super::{MAX_ATTEMPTS, MacOutcome};

/// The requests in flight when the uplink arrived, and which of them it answered.
#[derive(Debug)]
pub(super) struct Matcher {
    /// Each pending request, decoded; `None` for bytes that no longer decode.
    requests: Vec<Option<MacCommand>>,
    answered: Vec<bool>,
}

impl Matcher {
    /// Reads the session's pending requests.
    pub(super) fn new(session: &pb::DeviceSession) -> Self {
        let requests: Vec<Option<MacCommand>> = session
            .mac
            .as_ref()
            .map(|mac| mac.pending.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|pending| decode_one(&pending.command))
            .collect();
        let answered = vec![false; requests.len()];
        Self { requests, answered }
    }

    /// Returns the oldest unanswered request with `cid` and marks it answered.
    pub(super) fn take(&mut self, cid: u8) -> Option<MacCommand> {
        let index = (0..self.requests.len()).find(|index| {
            !self.answered[*index]
                && self.requests[*index]
                    .as_ref()
                    .is_some_and(|command| command.cid() == cid)
        })?;
        self.answered[index] = true;
        self.requests[index].clone()
    }

    /// Returns every unanswered request with `cid`, in order, and marks them answered.
    pub(super) fn take_all(&mut self, cid: u8) -> Vec<MacCommand> {
        std::iter::from_fn(|| self.take(cid)).collect()
    }
}

/// Decodes one stored downlink command.
fn decode_one(bytes: &[u8]) -> Option<MacCommand> {
    let decoded = decode_mac_commands(bytes, Direction::Downlink);
    match decoded.commands.as_slice() {
        [command] if decoded.is_complete() => Some(command.clone()),
        _ => None,
    }
}

/// Drops the answered requests and, of the unanswered ones, those sent `MAX_ATTEMPTS`
/// times (recorded as refused, so the same values are not issued again); returns the rest,
/// to be sent again.
///
/// The network cannot tell whether the downlink was lost or the device ignored it, so an
/// uplink without the answer counts as a failed attempt either way.
pub(super) fn resend_or_give_up(
    session: &mut pb::DeviceSession,
    matcher: Matcher,
    outcome: &mut MacOutcome,
) -> Vec<MacCommand> {
    let Matcher { requests, answered } = matcher;
    let pending = std::mem::take(&mut mac(session).pending);
    let mut kept = Vec::new();
    let mut resend = Vec::new();
    let mut given_up: Vec<MacCommand> = Vec::new();
    for ((entry, request), answered) in pending.into_iter().zip(requests).zip(answered) {
        let Some(request) = request else { continue };
        if answered {
            continue;
        }
        if entry.attempts >= MAX_ATTEMPTS {
            outcome.gave_up.push(request.name());
            given_up.push(request);
            continue;
        }
        resend.push(request);
        kept.push(entry);
    }
    mac(session).pending = kept;
    // A LinkADRReq block was sent and is refused as a whole; the other kinds one by one.
    let (blocks, singles): (Vec<_>, Vec<_>) = given_up
        .into_iter()
        .filter(|request| *request != MacCommand::DevStatusReq)
        .partition(|request| matches!(request, MacCommand::LinkAdrReq(_)));
    if !blocks.is_empty() {
        record_rejected(session, &blocks);
    }
    for request in singles {
        record_rejected(session, std::slice::from_ref(&request));
    }
    resend
}

/// Tells whether `command` is a network request the device answers.
fn expects_answer(command: &MacCommand) -> bool {
    matches!(
        command,
        MacCommand::LinkAdrReq(_)
            | MacCommand::DutyCycleReq(_)
            | MacCommand::RxParamSetupReq(_)
            | MacCommand::DevStatusReq
            | MacCommand::NewChannelReq(_)
            | MacCommand::RxTimingSetupReq(_)
            | MacCommand::TxParamSetupReq(_)
            | MacCommand::DlChannelReq(_)
            | MacCommand::AdrParamSetupReq(_)
            | MacCommand::RejoinParamSetupReq(_)
    )
}

/// Records what a downlink with NFCntDown `n_f_cnt_down`, sent at `now_unix_ns`, carried:
/// its requests become (or stay) in flight with one more attempt, its owed answers are paid.
/// Call it only once the downlink was handed to a gateway.
pub(crate) fn commit_sent(
    session: &mut pb::DeviceSession,
    sent: &[MacCommand],
    n_f_cnt_down: u32,
    now_unix_ns: i64,
) {
    let mut touched = vec![false; session.mac.as_ref().map_or(0, |mac| mac.pending.len())];
    for command in sent {
        let Ok(bytes) = command.encode() else {
            continue;
        };
        if !expects_answer(command) {
            mac(session).owed.retain(|owed| owed[..] != bytes[..]);
            continue;
        }
        let mac = mac(session);
        let existing = (0..mac.pending.len())
            .find(|index| !touched[*index] && mac.pending[*index].command[..] == bytes[..]);
        match existing {
            Some(index) => {
                touched[index] = true;
                let entry = &mut mac.pending[index];
                entry.attempts = entry.attempts.saturating_add(1);
                entry.sent_f_cnt_down = n_f_cnt_down;
            }
            None => {
                mac.pending.push(pb::PendingMacCommand {
                    command: bytes.into(),
                    sent_f_cnt_down: n_f_cnt_down,
                    attempts: 1,
                });
                touched.push(true);
                if *command == MacCommand::DevStatusReq {
                    session.dev_status_requested_at_unix_ns = Some(now_unix_ns);
                }
            }
        }
    }
}
