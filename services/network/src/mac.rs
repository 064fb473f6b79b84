//! The MAC-command engine (LoRaWAN 1.0.4 §5, LoRaWAN 1.1 §5): after each uplink it applies
//! the device's answers to the network's requests in flight, answers the device's own
//! requests, re-sends unanswered requests, and issues new ones where the device's MAC state
//! differs from what the network wants (`DesiredSettings`).
//!
//! The engine is pure: it reads and updates the session's `MacState` and RX fields, is
//! handed the time, and does no I/O. It neither decodes nor encrypts FOpts (the caller
//! decrypts LoRaWAN 1.1 FOpts and decodes the commands), nor builds the downlink frame.
//! Requests count as in flight only once the caller reports them sent (`commit_sent`),
//! after fitting them into FOpts or a port-0 payload (`fit_payload`).
//!
//! Session RX fields (RX1 delay, RX1DROffset, RX2) change only when the device acknowledged
//! the request that changes them, because downlink timing uses them.

mod channels;
mod desired;
mod dev_status;
mod device_time;
mod duty_cycle;
mod fit;
mod link_adr;
mod link_check;
mod pending;
mod rejoin_adr_params;
mod rx_params;
mod state;
mod tx_param_setup;
mod version;

#[cfg(test)]
mod tests;

// The activation paths (join-accept, ABP) and the downlink queue build on these; until they
// are wired in, some are only used by the engine itself and its tests.
#[allow(unused_imports)]
pub(crate) use desired::{DesiredChannel, DesiredSettings, RxSettings, TxParams};
#[allow(unused_imports)]
#[cfg(test)]
pub(crate) use fit::fit_f_opts;
pub(crate) use fit::fit_payload;
pub(crate) use pending::commit_sent;
#[allow(unused_imports)]
pub(crate) use state::{MacInit, init_mac_state};

use lorawan_codec::{DevStatusAnsPayload, LinkAdrAnsPayload, MacCommand};
use lorawan_region::{Band, Modulation};
use tern_proto::internal::v1 as pb;

use crate::mac_version::is_1_1;
use pending::Matcher;

/// How many downlinks carry one request before the network stops waiting for its answer.
pub(crate) const MAX_ATTEMPTS: u32 = 3;

/// What the engine needs to know about the uplink.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UplinkFacts<'a> {
    /// The uplink's data rate index, if the band knows its modulation.
    pub(crate) dr: Option<u8>,
    /// The uplink's modulation, for the demodulation floor of LinkCheckAns.
    pub(crate) modulation: Option<Modulation>,
    /// Every gateway's reception, best SNR first.
    pub(crate) rx_metadata: &'a [pb::UplinkRxMetadata],
    /// When the edge received the uplink, Unix nanoseconds (a fallback for the GPS time).
    pub(crate) received_at_unix_ns: i64,
    /// FCtrl.ADR of the uplink: the device lets the network control its data rate.
    pub(crate) adr: bool,
    /// FCtrl.ADRACKReq of the uplink: the device wants any downlink (LoRaWAN 1.0.4 §4.3.1.1).
    pub(crate) adr_ack_req: bool,
}

/// What one uplink's MAC layer leads to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct MacOutcome {
    /// Commands to send, in the order they must go out: answers in the order of the
    /// device's requests, then re-sent requests, then new requests. A run of LinkADRReq is
    /// one block (`fit_payload` keeps or drops it whole).
    pub(crate) commands: Vec<MacCommand>,
    /// The device status, when the uplink carried DevStatusAns.
    pub(crate) dev_status: Option<DevStatusAnsPayload>,
    /// Whether a downlink must follow the uplink: commands to send, or an ADRACKReq to
    /// answer (an empty frame does then).
    pub(crate) needs_downlink: bool,
    /// Requests the device refused (a NACK), by spec name, for metrics.
    pub(crate) rejected: Vec<&'static str>,
    /// Requests the device never answered within `MAX_ATTEMPTS`, by spec name.
    pub(crate) gave_up: Vec<&'static str>,
    /// Requests the device acknowledged and the session now reflects, by spec name.
    pub(crate) applied: Vec<&'static str>,
}

/// Runs the MAC layer for one uplink: applies the device's answers in `commands` (decoded
/// uplink MAC commands from FOpts or a port-0 payload), answers its requests, re-sends
/// unanswered requests and issues the ones `desired` calls for.
///
/// The caller appends the uplink's ADR history entry before calling (ADR counts the
/// entries sent at the current TX power and NbTrans, so an applied LinkADRReq keeps only
/// the newest). A session without MAC state is initialised as after an activation without
/// CFList. Requests in the outcome become in flight only through `commit_sent`; answers a
/// device must get (ResetConf, RekeyConf) are also kept in `MacState.owed` until sent.
///
/// Known limit: a device repeats RXParamSetupAns, RXTimingSetupAns and DlChannelAns until it
/// receives a downlink; a repeat that arrives while a newer request of the same kind is in
/// flight is taken as that request's answer.
pub(crate) fn handle_uplink(
    session: &mut pb::DeviceSession,
    band: &Band,
    commands: &[MacCommand],
    facts: &UplinkFacts<'_>,
    desired: &DesiredSettings,
    now_unix_ns: i64,
) -> MacOutcome {
    let lorawan_1_1 = is_1_1(session.mac_version());
    let uplink_dr = facts.dr.filter(|dr| state::is_uplink_dr(band, *dr));
    let mut outcome = MacOutcome::default();
    let mut answers = Vec::new();

    if lorawan_1_1
        && commands
            .iter()
            .any(|c| matches!(c, MacCommand::ResetInd(_)))
    {
        // LoRaWAN 1.1 §5.1: an ABP device that reset runs its default MAC settings and the
        // network forgets the requests it had in flight.
        version::reset(session, band, desired, uplink_dr);
    }
    state::init_mac_state(
        session,
        band,
        MacInit {
            data_rate: uplink_dr,
            cf_list: false,
        },
    );

    let mut matcher = Matcher::new(session);
    let link_adr_answers: Vec<LinkAdrAnsPayload> = commands
        .iter()
        .filter_map(|command| match command {
            MacCommand::LinkAdrAns(payload) => Some(*payload),
            _ => None,
        })
        .collect();
    let mut link_adr_done = false;
    for command in commands {
        match command {
            MacCommand::LinkCheckReq => {
                answers.push(MacCommand::LinkCheckAns(link_check::link_check_ans(facts)))
            }
            MacCommand::DeviceTimeReq => answers.extend(device_time::device_time_ans(facts)),
            MacCommand::ResetInd(payload) if lorawan_1_1 => {
                answers.push(version::reset_conf(*payload));
            }
            MacCommand::RekeyInd(payload) if lorawan_1_1 => {
                answers.push(version::rekey_conf(*payload));
            }
            MacCommand::LinkAdrAns(_) if !link_adr_done => {
                link_adr_done = true;
                link_adr::apply_answers(
                    session,
                    band,
                    &mut matcher,
                    &link_adr_answers,
                    &mut outcome,
                );
            }
            MacCommand::DevStatusAns(payload) => {
                matcher.take(0x06);
                dev_status::store(session, *payload);
                outcome.dev_status = Some(*payload);
            }
            MacCommand::RxParamSetupAns(payload) => {
                rx_params::apply_rx_param_setup_ans(session, &mut matcher, *payload, &mut outcome);
            }
            MacCommand::RxTimingSetupAns => {
                rx_params::apply_rx_timing_setup_ans(session, &mut matcher, &mut outcome);
            }
            MacCommand::DutyCycleAns => {
                duty_cycle::apply_ans(session, &mut matcher, &mut outcome);
            }
            MacCommand::NewChannelAns(payload) => {
                channels::apply_new_channel_ans(session, &mut matcher, *payload, &mut outcome);
            }
            MacCommand::DlChannelAns(payload) => {
                channels::apply_dl_channel_ans(session, &mut matcher, *payload, &mut outcome);
            }
            MacCommand::TxParamSetupAns => {
                tx_param_setup::apply_ans(session, &mut matcher, &mut outcome);
            }
            MacCommand::AdrParamSetupAns if lorawan_1_1 => {
                rejoin_adr_params::apply_adr_param_setup_ans(session, &mut matcher, &mut outcome);
            }
            MacCommand::RejoinParamSetupAns(payload) if lorawan_1_1 => {
                rejoin_adr_params::apply_rejoin_param_setup_ans(
                    session,
                    &mut matcher,
                    *payload,
                    &mut outcome,
                );
            }
            // Repeated LinkADRAns of one block, commands of other versions or classes, and
            // what cannot be sized end here: none changes the state.
            _ => {}
        }
    }

    // Answers a device must get even if this downlink is lost are owed until sent; a
    // device repeats its indication until it gets one, so older debts are superseded.
    session.mac.get_or_insert_default().owed = answers
        .iter()
        .filter(|answer| matches!(answer, MacCommand::ResetConf(_) | MacCommand::RekeyConf(_)))
        .filter_map(|answer| answer.encode().ok())
        .map(Into::into)
        .collect();

    let mut requests = pending::resend_or_give_up(session, matcher, &mut outcome);
    let context = IssueContext {
        band,
        facts,
        desired,
        uplink_dr,
        lorawan_1_1,
        now_unix_ns,
    };
    issue_requests(session, &context, &mut requests);

    outcome.commands = answers;
    outcome.commands.extend(requests);
    outcome.commands.retain(|command| command.encode().is_ok());
    outcome.needs_downlink = facts.adr_ack_req || !outcome.commands.is_empty();
    outcome
}

/// What issuing new requests looks at besides the session.
struct IssueContext<'a> {
    band: &'a Band,
    facts: &'a UplinkFacts<'a>,
    desired: &'a DesiredSettings,
    uplink_dr: Option<u8>,
    lorawan_1_1: bool,
    now_unix_ns: i64,
}

/// Appends the requests that bring the device to `desired`, one kind at a time and only for
/// kinds with nothing in flight, and never one the device already refused.
fn issue_requests(
    session: &mut pb::DeviceSession,
    context: &IssueContext<'_>,
    requests: &mut Vec<MacCommand>,
) {
    let mut new = Vec::new();
    new.extend(channels::new_channel_reqs(session, context));
    new.extend(link_adr::link_adr_reqs(session, context));
    new.extend(duty_cycle::duty_cycle_req(session, context));
    new.extend(rx_params::rx_param_setup_req(session, context));
    new.extend(rx_params::rx_timing_setup_req(session, context));
    new.extend(tx_param_setup::tx_param_setup_req(session, context));
    new.extend(channels::dl_channel_reqs(session, context));
    new.extend(rejoin_adr_params::adr_param_setup_req(session, context));
    new.extend(rejoin_adr_params::rejoin_param_setup_req(session, context));
    new.extend(dev_status::dev_status_req(session, context));
    requests.extend(new);
}
