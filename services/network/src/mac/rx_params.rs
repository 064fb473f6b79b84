//! RXParamSetupReq / RXParamSetupAns (LoRaWAN 1.0.4 §5.4: RX1DROffset, RX2 data rate and
//! frequency) and RXTimingSetupReq / RXTimingSetupAns (§5.7: RX1 delay).
//!
//! The session's RX fields change only on the device's acknowledgement, since downlink
//! timing reads them. A device repeats these answers in every uplink until it receives a
//! downlink (§5.4, §5.7); a repeat finds nothing in flight and changes nothing.

use lorawan_codec::{
    MacCommand, RxParamSetupAnsPayload, RxParamSetupReqPayload, RxTimingSetupReqPayload,
};
use tern_proto::internal::v1 as pb;

use super::desired::RxSettings;
use super::pending::Matcher;
use super::state::{is_pending, record_rejected, unless_rejected};
use super::{IssueContext, MacOutcome};

/// CID of RXParamSetupReq and RXParamSetupAns.
const RX_PARAM_SETUP: u8 = 0x05;
/// CID of RXTimingSetupReq and RXTimingSetupAns.
const RX_TIMING_SETUP: u8 = 0x08;

/// Applies RXParamSetupAns: all three ACK bits put the request's values in force; any NACK
/// refuses the whole request (the device keeps all its settings).
pub(super) fn apply_rx_param_setup_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    answer: RxParamSetupAnsPayload,
    outcome: &mut MacOutcome,
) {
    let Some(request) = matcher.take(RX_PARAM_SETUP) else {
        return;
    };
    let MacCommand::RxParamSetupReq(payload) = request else {
        return;
    };
    if answer.channel_ack && answer.rx2_data_rate_ack && answer.rx1_dr_offset_ack {
        session.rx1_dr_offset = u32::from(payload.rx1_dr_offset);
        session.rx2_dr = u32::from(payload.rx2_data_rate);
        session.rx2_frequency_hz = payload.frequency_hz;
        outcome.applied.push(request.name());
    } else {
        record_rejected(session, std::slice::from_ref(&request));
        outcome.rejected.push(request.name());
    }
}

/// Applies RXTimingSetupAns: the request's RX1 delay is in force.
pub(super) fn apply_rx_timing_setup_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    outcome: &mut MacOutcome,
) {
    if let Some(MacCommand::RxTimingSetupReq(payload)) = matcher.take(RX_TIMING_SETUP) {
        session.rx1_delay_s = u32::from(payload.rx1_delay_secs());
        outcome.applied.push("RXTimingSetupReq");
    }
}

/// Issues RXParamSetupReq when the wanted RX1DROffset or RX2 differ from the session's.
pub(super) fn rx_param_setup_req(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let current = RxSettings::of_session(session);
    let wanted = context.desired.rx;
    let same = current.rx1_dr_offset == wanted.rx1_dr_offset
        && current.rx2_dr == wanted.rx2_dr
        && current.rx2_frequency_hz == wanted.rx2_frequency_hz;
    if same || is_pending(session, RX_PARAM_SETUP) {
        return Vec::new();
    }
    let request = MacCommand::RxParamSetupReq(RxParamSetupReqPayload {
        rx1_dr_offset: wanted.rx1_dr_offset,
        rx2_data_rate: wanted.rx2_dr,
        frequency_hz: wanted.rx2_frequency_hz,
    });
    unless_rejected(session, vec![request])
}

/// Issues RXTimingSetupReq when the wanted RX1 delay differs from the session's.
pub(super) fn rx_timing_setup_req(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let current = RxSettings::of_session(session).rx1_delay_s;
    let wanted = context.desired.rx.rx1_delay_s.clamp(1, 15);
    if current == wanted || is_pending(session, RX_TIMING_SETUP) {
        return Vec::new();
    }
    let request = MacCommand::RxTimingSetupReq(RxTimingSetupReqPayload { delay: wanted });
    unless_rejected(session, vec![request])
}
