//! TxParamSetupReq / TxParamSetupAns (LoRaWAN 1.0.4 §5.8): dwell times and maximum EIRP,
//! for the bands that implement the command (AS923, AU915-928).

use lorawan_codec::{DwellTime, MacCommand, TxParamSetupReqPayload};
use tern_proto::internal::v1 as pb;

use super::desired::TxParams;
use super::pending::Matcher;
use super::state::{is_pending, knows_1_0_2_commands, mac, unless_rejected};
use super::{IssueContext, MacOutcome};

/// CID of TxParamSetupReq and TxParamSetupAns.
const CID: u8 = 0x09;

/// Applies TxParamSetupAns: the request's values are in force (the answer has no status).
pub(super) fn apply_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    outcome: &mut MacOutcome,
) {
    if let Some(MacCommand::TxParamSetupReq(payload)) = matcher.take(CID) {
        let mac = mac(session);
        mac.uplink_dwell_time = payload.uplink_dwell_time == DwellTime::Limit400Ms;
        mac.downlink_dwell_time = payload.downlink_dwell_time == DwellTime::Limit400Ms;
        mac.max_eirp_index = u32::from(payload.max_eirp);
        mac.tx_params_set = true;
        outcome.applied.push("TXParamSetupReq");
    }
}

/// Issues TxParamSetupReq when the band implements it and the wanted values differ from
/// the device's.
pub(super) fn tx_param_setup_req(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let Some(wanted) = context.desired.tx_params else {
        return Vec::new();
    };
    let Some(mac) = session.mac.as_ref() else {
        return Vec::new();
    };
    let current = TxParams {
        uplink_dwell_time: mac.uplink_dwell_time,
        downlink_dwell_time: mac.downlink_dwell_time,
        max_eirp_index: u8::try_from(mac.max_eirp_index).unwrap_or(u8::MAX),
    };
    if current == wanted
        || !context.band.supports_tx_param_setup()
        || !knows_1_0_2_commands(session)
        || is_pending(session, CID)
    {
        return Vec::new();
    }
    let dwell = |limited| {
        if limited {
            DwellTime::Limit400Ms
        } else {
            DwellTime::NoLimit
        }
    };
    let request = MacCommand::TxParamSetupReq(TxParamSetupReqPayload {
        downlink_dwell_time: dwell(wanted.downlink_dwell_time),
        uplink_dwell_time: dwell(wanted.uplink_dwell_time),
        max_eirp: wanted.max_eirp_index,
    });
    unless_rejected(session, vec![request])
}
