//! LinkADRReq / LinkADRAns (LoRaWAN 1.0.4 §5.2): data rate, TX power, NbTrans and channel
//! masks. The data rate comes from the ADR engine (`lorawan_region::adr`), the channel
//! masks from the band (`Band::link_adr_masks`).
//!
//! Several LinkADRReq in one downlink form a block the device applies as one: it answers
//! either once (LoRaWAN 1.0.2 and earlier) or once per request with the same status
//! (LoRaWAN 1.0.4, RP002-1.0.4); both are accepted.

use lorawan_codec::{LinkAdrAnsPayload, LinkAdrReqPayload, MacCommand};
use lorawan_region::adr::{
    AdrLimits, DATA_RATE_COUNT, DeviceAdrState, UplinkRecord, decide, required_snr_db_for_sf,
};
use lorawan_region::{Band, Modulation};
use tern_proto::internal::v1 as pb;

use super::pending::Matcher;
use super::state::{is_pending, is_uplink_dr, mac, record_rejected, unless_rejected};
use super::{IssueContext, MacOutcome};

/// CID of LinkADRReq and LinkADRAns.
const CID: u8 = 0x03;
/// DataRate or TXPower value that tells the device to keep its own (LoRaWAN 1.0.4 §5.2).
const KEEP: u8 = 0x0f;

/// Applies the device's LinkADRAns (all of this uplink's) to the block in flight: with every
/// ACK bit set in every answer, the block's channel masks, data rate, TX power and NbTrans
/// are in force; otherwise the block is refused and not issued again.
pub(super) fn apply_answers(
    session: &mut pb::DeviceSession,
    band: &Band,
    matcher: &mut Matcher,
    answers: &[LinkAdrAnsPayload],
    outcome: &mut MacOutcome,
) {
    let block: Vec<LinkAdrReqPayload> = matcher
        .take_all(CID)
        .into_iter()
        .filter_map(|command| match command {
            MacCommand::LinkAdrReq(payload) => Some(payload),
            _ => None,
        })
        .collect();
    let Some(last) = block.last().copied() else {
        return;
    };
    let acked = !answers.is_empty()
        && answers
            .iter()
            .all(|answer| answer.channel_mask_ack && answer.data_rate_ack && answer.power_ack);
    if !acked {
        let commands: Vec<MacCommand> = block.into_iter().map(MacCommand::LinkAdrReq).collect();
        record_rejected(session, &commands);
        outcome.rejected.push("LinkADRReq");
        return;
    }
    let defined = band.channels().len();
    let mac = mac(session);
    let current: Vec<usize> = mac
        .enabled_channels
        .iter()
        .map(|index| *index as usize)
        .filter(|index| *index < defined)
        .collect();
    if let Ok(enabled) = band.apply_link_adr_masks(&current, &block) {
        mac.enabled_channels = enabled
            .into_iter()
            .filter_map(|index| u32::try_from(index).ok())
            .collect();
    }
    let changed = (last.data_rate != KEEP && u32::from(last.data_rate) != mac.data_rate)
        || (last.tx_power != KEEP && u32::from(last.tx_power) != mac.tx_power_index)
        || (last.nb_trans != 0 && u32::from(last.nb_trans) != mac.nb_trans);
    if last.data_rate != KEEP && is_uplink_dr(band, last.data_rate) {
        mac.data_rate = u32::from(last.data_rate);
    }
    if last.tx_power != KEEP && last.tx_power <= band.max_tx_power_index() {
        mac.tx_power_index = u32::from(last.tx_power);
    }
    if last.nb_trans != 0 {
        mac.nb_trans = u32::from(last.nb_trans);
    }
    if changed {
        // Uplinks sent with the old settings no longer describe the link; the newest one
        // (this uplink, which carries the answer) was sent with the new ones.
        let keep_from = session.adr_history.len().saturating_sub(1);
        session.adr_history.drain(..keep_from);
    }
    outcome.applied.push("LinkADRReq");
}

/// Issues a LinkADRReq block when the ADR engine changes the device's settings (only with
/// the uplink's ADR bit set) or its enabled channels differ from the wanted ones.
pub(super) fn link_adr_reqs(
    session: &pb::DeviceSession,
    context: &IssueContext<'_>,
) -> Vec<MacCommand> {
    if is_pending(session, CID) {
        return Vec::new();
    }
    let Some(mac) = session.mac.as_ref() else {
        return Vec::new();
    };
    let band = context.band;
    let device = DeviceAdrState {
        data_rate: context
            .uplink_dr
            .unwrap_or_else(|| u8::try_from(mac.data_rate).unwrap_or(0)),
        tx_power_index: u8::try_from(mac.tx_power_index).unwrap_or(0),
        nb_trans: u8::try_from(mac.nb_trans).unwrap_or(1).clamp(1, 15),
    };
    let mut target = device;
    if let Some(params) = context.desired.adr.filter(|_| context.facts.adr) {
        let limits = adr_limits(band);
        let history: Vec<UplinkRecord> = session
            .adr_history
            .iter()
            .map(|entry| UplinkRecord {
                f_cnt: entry.f_cnt,
                max_snr_db: entry.max_snr_db,
                max_rssi_dbm: 0.0,
                gateway_count: u16::try_from(entry.gateway_count).unwrap_or(u16::MAX),
                data_rate: u8::try_from(entry.dr).unwrap_or(u8::MAX),
                tx_power_index: device.tx_power_index,
                nb_trans: device.nb_trans,
            })
            .collect();
        if let Ok(decision) = decide(&history, &device, &limits, &params) {
            target = DeviceAdrState {
                data_rate: decision.data_rate,
                tx_power_index: decision.tx_power_index,
                nb_trans: decision.nb_trans,
            };
        }
    }
    let known = known_channels(band, mac);
    let current: Vec<usize> = mac
        .enabled_channels
        .iter()
        .map(|index| *index as usize)
        .filter(|index| known.contains(index))
        .collect();
    let mut wanted: Vec<usize> = context
        .desired
        .enabled_channels
        .iter()
        .copied()
        .filter(|index| known.contains(index))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        wanted.clone_from(&current);
    }
    if target == device && wanted == current {
        return Vec::new();
    }
    let Ok(masks) = band.link_adr_masks(&wanted) else {
        return Vec::new();
    };
    // A device that runs its own data rate keeps it and its power where it can say so.
    let keep = target == device && !context.facts.adr && knows_keep(session);
    let (data_rate, tx_power) = if keep {
        (KEEP, KEEP)
    } else {
        (target.data_rate, target.tx_power_index)
    };
    let block = masks
        .into_iter()
        .map(|mask| {
            MacCommand::LinkAdrReq(LinkAdrReqPayload {
                data_rate,
                tx_power,
                nb_trans: target.nb_trans,
                ..mask
            })
        })
        .collect();
    unless_rejected(session, block)
}

/// Tells whether the session's LoRaWAN version lets DataRate and TXPower 0xF mean "keep"
/// (LoRaWAN 1.0.4 and 1.1 §5.3); earlier devices would refuse the value.
fn knows_keep(session: &pb::DeviceSession) -> bool {
    matches!(
        session.mac_version(),
        pb::MacVersion::MacVersion104 | pb::MacVersion::MacVersion11
    )
}

/// Returns the channel indexes the device knows: every channel of a fixed plan; the default
/// channels and the extra ones it acknowledged for a dynamic plan.
fn known_channels(band: &Band, mac: &pb::MacState) -> Vec<usize> {
    if !band.supports_new_channel_req() {
        return (0..band.channels().len()).collect();
    }
    let defined = band.channels().len();
    (0..band.default_channels().len())
        .chain(
            mac.extra_channels
                .iter()
                .filter(|channel| channel.frequency_hz != 0)
                .map(|channel| channel.index as usize),
        )
        .filter(|index| *index < defined)
        .collect()
}

/// Builds the ADR engine's limits from the band: its ADR data rate range, its lowest TX
/// power, and the demodulation floor of each LoRa uplink data rate.
pub(super) fn adr_limits(band: &Band) -> AdrLimits {
    let (min_data_rate, max_data_rate) = band.adr_data_rate_range();
    let mut required_snr_db = [None; DATA_RATE_COUNT];
    for (dr, rate) in band.data_rates() {
        if let Modulation::Lora {
            spreading_factor, ..
        } = rate.modulation
            && rate.uplink
            && let Some(slot) = required_snr_db.get_mut(usize::from(dr))
        {
            *slot = required_snr_db_for_sf(spreading_factor);
        }
    }
    AdrLimits {
        min_data_rate,
        max_data_rate,
        max_tx_power_index: band.max_tx_power_index(),
        required_snr_db,
    }
}
