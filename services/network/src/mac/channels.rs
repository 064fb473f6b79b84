//! NewChannelReq / NewChannelAns and DlChannelReq / DlChannelAns (LoRaWAN 1.0.4 §5.6): the
//! channels a dynamic-channel band adds beyond its defaults, and their RX1 frequencies.
//!
//! A channel the device creates is enabled (§5.6); one set to 0 Hz is removed. The band's
//! default channels are never touched: a device refuses to change them.

use lorawan_codec::{
    DlChannelAnsPayload, DlChannelReqPayload, MacCommand, NewChannelAnsPayload,
    NewChannelReqPayload,
};
use tern_proto::internal::v1 as pb;

use super::pending::Matcher;
use super::state::{is_pending, knows_1_0_2_commands, mac, record_rejected, unless_rejected};
use super::{IssueContext, MacOutcome};

/// CID of NewChannelReq and NewChannelAns.
const NEW_CHANNEL: u8 = 0x07;
/// CID of DlChannelReq and DlChannelAns.
const DL_CHANNEL: u8 = 0x0a;
/// Channel indexes a NewChannelReq can address in a dynamic-channel band.
const MAX_CHANNELS: u8 = 16;

/// Applies NewChannelAns: with both ACK bits the channel is created, changed or (0 Hz)
/// removed; otherwise the request is refused and not issued again.
pub(super) fn apply_new_channel_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    answer: NewChannelAnsPayload,
    outcome: &mut MacOutcome,
) {
    let Some(request) = matcher.take(NEW_CHANNEL) else {
        return;
    };
    let MacCommand::NewChannelReq(payload) = request else {
        return;
    };
    if !(answer.channel_frequency_ok && answer.data_rate_range_ok) {
        record_rejected(session, std::slice::from_ref(&request));
        outcome.rejected.push(request.name());
        return;
    }
    let mac = mac(session);
    let index = u32::from(payload.ch_index);
    mac.extra_channels.retain(|channel| channel.index != index);
    mac.enabled_channels.retain(|enabled| *enabled != index);
    if payload.frequency_hz != 0 {
        mac.extra_channels.push(pb::ExtraChannel {
            index,
            frequency_hz: payload.frequency_hz,
            min_dr: u32::from(payload.min_dr),
            max_dr: u32::from(payload.max_dr),
            dl_frequency_hz: 0,
        });
        mac.extra_channels.sort_by_key(|channel| channel.index);
        mac.enabled_channels.push(index);
        mac.enabled_channels.sort_unstable();
    }
    outcome.applied.push(request.name());
}

/// Applies DlChannelAns: with both ACK bits the channel's RX1 frequency is in force.
pub(super) fn apply_dl_channel_ans(
    session: &mut pb::DeviceSession,
    matcher: &mut Matcher,
    answer: DlChannelAnsPayload,
    outcome: &mut MacOutcome,
) {
    let Some(request) = matcher.take(DL_CHANNEL) else {
        return;
    };
    let MacCommand::DlChannelReq(payload) = request else {
        return;
    };
    if !(answer.channel_frequency_ok && answer.uplink_frequency_exists) {
        record_rejected(session, std::slice::from_ref(&request));
        outcome.rejected.push(request.name());
        return;
    }
    let index = u32::from(payload.ch_index);
    if let Some(channel) = mac(session)
        .extra_channels
        .iter_mut()
        .find(|channel| channel.index == index)
    {
        channel.dl_frequency_hz = payload.frequency_hz;
    }
    outcome.applied.push(request.name());
}

/// Issues NewChannelReq for every wanted extra channel the device lacks or has otherwise,
/// and (0 Hz) for every extra channel it has that is not wanted.
pub(super) fn new_channel_reqs(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let band = context.band;
    let Some(mac) = session.mac.as_ref() else {
        return Vec::new();
    };
    if !band.supports_new_channel_req() || is_pending(session, NEW_CHANNEL) {
        return Vec::new();
    }
    let n_default = band.default_channels().len();
    let wanted: Vec<_> = context
        .desired
        .extra_channels
        .iter()
        .filter(|wanted| usize::from(wanted.index) >= n_default && wanted.index < MAX_CHANNELS)
        .filter(|wanted| band.check_new_channel(&wanted.channel).is_ok())
        .collect();
    let mut requests = Vec::new();
    for wanted in &wanted {
        let has = mac.extra_channels.iter().any(|channel| {
            channel.index == u32::from(wanted.index)
                && channel.frequency_hz == wanted.channel.frequency_hz
                && channel.min_dr == u32::from(wanted.channel.min_dr)
                && channel.max_dr == u32::from(wanted.channel.max_dr)
        });
        if !has {
            requests.extend(unless_rejected(
                session,
                vec![MacCommand::NewChannelReq(NewChannelReqPayload {
                    ch_index: wanted.index,
                    frequency_hz: wanted.channel.frequency_hz,
                    min_dr: wanted.channel.min_dr,
                    max_dr: wanted.channel.max_dr,
                })],
            ));
        }
    }
    for channel in &mac.extra_channels {
        let unwanted = !wanted
            .iter()
            .any(|wanted| u32::from(wanted.index) == channel.index);
        if unwanted && let Ok(ch_index) = u8::try_from(channel.index) {
            requests.extend(unless_rejected(
                session,
                vec![MacCommand::NewChannelReq(NewChannelReqPayload {
                    ch_index,
                    ..NewChannelReqPayload::default()
                })],
            ));
        }
    }
    requests
}

/// Issues DlChannelReq for every extra channel the device has whose wanted RX1 frequency
/// differs from its own.
pub(super) fn dl_channel_reqs(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    let Some(mac) = session.mac.as_ref() else {
        return Vec::new();
    };
    if !context.band.supports_dl_channel_req()
        || !knows_1_0_2_commands(session)
        || is_pending(session, DL_CHANNEL)
    {
        return Vec::new();
    }
    let mut requests = Vec::new();
    for wanted in &context.desired.extra_channels {
        let Some(dl_frequency_hz) = wanted.dl_frequency_hz else {
            continue;
        };
        let differs = mac.extra_channels.iter().any(|channel| {
            channel.index == u32::from(wanted.index)
                && channel.frequency_hz == wanted.channel.frequency_hz
                && channel.dl_frequency_hz != dl_frequency_hz
        });
        if differs {
            requests.extend(unless_rejected(
                session,
                vec![MacCommand::DlChannelReq(DlChannelReqPayload {
                    ch_index: wanted.index,
                    frequency_hz: dl_frequency_hz,
                })],
            ));
        }
    }
    requests
}
