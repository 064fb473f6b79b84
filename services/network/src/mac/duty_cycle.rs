//! DutyCycleReq / DutyCycleAns (LoRaWAN 1.0.4 §5.3): the aggregated transmit duty cycle
//! limit, 1 / 2^MaxDutyCycle.

use lorawan_codec::{DutyCycleReqPayload, MacCommand};
use tern_proto::internal::v1 as pb;

use super::pending::Matcher;
use super::state::{is_pending, mac, unless_rejected};
use super::{IssueContext, MacOutcome};

/// CID of DutyCycleReq and DutyCycleAns.
const CID: u8 = 0x04;

/// Applies DutyCycleAns: the request's limit is in force (the answer has no status).
pub(super) fn apply_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    outcome: &mut MacOutcome,
) {
    if let Some(MacCommand::DutyCycleReq(payload)) = matcher.take(CID) {
        mac(session).max_duty_cycle = u32::from(payload.max_duty_cycle);
        outcome.applied.push("DutyCycleReq");
    }
}

/// Issues DutyCycleReq when the wanted limit differs from the device's.
pub(super) fn duty_cycle_req(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let current = session.mac.as_ref().map_or(0, |mac| mac.max_duty_cycle);
    let wanted = context.desired.max_duty_cycle;
    if current == u32::from(wanted) || is_pending(session, CID) {
        return Vec::new();
    }
    let request = MacCommand::DutyCycleReq(DutyCycleReqPayload {
        max_duty_cycle: wanted,
    });
    unless_rejected(session, vec![request])
}
