//! The LoRaWAN 1.1 parameter commands: ADRParamSetupReq / ADRParamSetupAns (§5.11:
//! ADR_ACK_LIMIT and ADR_ACK_DELAY) and RejoinParamSetupReq / RejoinParamSetupAns (§5.14:
//! the periodic rejoin-request type 0 limits).

use lorawan_codec::{MacCommand, RejoinParamSetupAnsPayload};
use tern_proto::internal::v1 as pb;

use super::pending::Matcher;
use super::state::{is_pending, mac, record_rejected, unless_rejected};
use super::{IssueContext, MacOutcome};

/// CID of ADRParamSetupReq and ADRParamSetupAns.
const ADR_PARAM_SETUP: u8 = 0x0c;
/// CID of RejoinParamSetupReq and RejoinParamSetupAns.
const REJOIN_PARAM_SETUP: u8 = 0x0f;

/// Applies ADRParamSetupAns: the request's exponents are in force (no status).
pub(super) fn apply_adr_param_setup_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    outcome: &mut MacOutcome,
) {
    if let Some(MacCommand::AdrParamSetupReq(payload)) = matcher.take(ADR_PARAM_SETUP) {
        let mac = mac(session);
        mac.adr_ack_limit_exp = u32::from(payload.limit_exp);
        mac.adr_ack_delay_exp = u32::from(payload.delay_exp);
        outcome.applied.push("ADRParamSetupReq");
    }
}

/// Applies RejoinParamSetupAns: the device always takes MaxCountN; it takes MaxTimeN only
/// with TimeOK, otherwise the request counts as refused.
pub(super) fn apply_rejoin_param_setup_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    answer: RejoinParamSetupAnsPayload,
    outcome: &mut MacOutcome,
) {
    let Some(request) = matcher.take(REJOIN_PARAM_SETUP) else {
        return;
    };
    let MacCommand::RejoinParamSetupReq(payload) = request else {
        return;
    };
    let mac = mac(session);
    mac.rejoin_max_count_n = u32::from(payload.max_count_n);
    if answer.time_ok {
        mac.rejoin_max_time_n = u32::from(payload.max_time_n);
        outcome.applied.push(request.name());
    } else {
        record_rejected(session, std::slice::from_ref(&request));
        outcome.rejected.push(request.name());
    }
}

/// Issues ADRParamSetupReq to a LoRaWAN 1.1 device whose exponents differ from the wanted.
pub(super) fn adr_param_setup_req(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let (Some(wanted), Some(mac)) = (context.desired.adr_param_setup, session.mac.as_ref()) else {
        return Vec::new();
    };
    let same = mac.adr_ack_limit_exp == u32::from(wanted.limit_exp)
        && mac.adr_ack_delay_exp == u32::from(wanted.delay_exp);
    if !context.lorawan_1_1 || same || is_pending(session, ADR_PARAM_SETUP) {
        return Vec::new();
    }
    let request = MacCommand::AdrParamSetupReq(wanted);
    unless_rejected(session, vec![request])
}

/// Issues RejoinParamSetupReq to a LoRaWAN 1.1 device whose limits differ from the wanted.
pub(super) fn rejoin_param_setup_req(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let (Some(wanted), Some(mac)) = (context.desired.rejoin_param_setup, session.mac.as_ref())
    else {
        return Vec::new();
    };
    let same = mac.rejoin_max_time_n == u32::from(wanted.max_time_n)
        && mac.rejoin_max_count_n == u32::from(wanted.max_count_n);
    if !context.lorawan_1_1 || same || is_pending(session, REJOIN_PARAM_SETUP) {
        return Vec::new();
    }
    let request = MacCommand::RejoinParamSetupReq(wanted);
    unless_rejected(session, vec![request])
}
