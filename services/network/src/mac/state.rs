//! The device's MAC state right after a join or activation (LoRaWAN 1.0.4 §5 and the band's
//! defaults, RP002-1.0.4 §2), and the record of requests the device refused.

use lorawan_codec::{MacCommand, TxParamSetupReqPayload, encode_mac_commands};
use lorawan_region::Band;
use tern_proto::internal::v1 as pb;

use super::desired::TxParams;

/// Refused requests remembered per session; the oldest are forgotten first.
const MAX_REJECTED: usize = 16;

/// What a join-accept or an activation told the device beyond the band's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MacInit {
    /// The data rate the device uses, e.g. that of the join-request or first uplink.
    pub(crate) data_rate: Option<u8>,
    /// Whether the join-accept carried the band's CFList (`Band::cf_list_bytes`).
    pub(crate) cf_list: bool,
}

/// Sets the MAC state a device has right after a join or activation, unless the session
/// already has one: the band's default channels enabled (plus the CFList's channels, or for
/// a fixed plan its channel mask, when the join-accept carried it), the device's data rate,
/// TX power index 0 (maximum EIRP), NbTrans 1, no duty-cycle limit, the band's default dwell
/// times and maximum EIRP, RP002-1.0.4 ADR_ACK_LIMIT and ADR_ACK_DELAY.
pub(crate) fn init_mac_state(session: &mut pb::DeviceSession, band: &Band, init: MacInit) {
    if session.mac.as_ref().is_some_and(|mac| mac.initialised) {
        return;
    }
    let (enabled_channels, extra_channels) = if band.supports_new_channel_req() {
        let n_default = band.default_channels().len();
        let extra = if init.cf_list {
            band.cf_list_channels()
        } else {
            Vec::new()
        };
        let extra_channels = extra
            .iter()
            .filter_map(|index| {
                let channel = band.channels().get(*index)?;
                Some(pb::ExtraChannel {
                    index: u32::try_from(*index).ok()?,
                    frequency_hz: channel.frequency_hz,
                    min_dr: u32::from(channel.min_dr),
                    max_dr: u32::from(channel.max_dr),
                    dl_frequency_hz: 0,
                })
            })
            .collect::<Vec<_>>();
        let enabled = (0..n_default)
            .chain(extra_channels.iter().map(|channel| channel.index as usize))
            .collect();
        (enabled, extra_channels)
    } else if init.cf_list {
        (band.enabled_channels(), Vec::new())
    } else {
        ((0..band.channels().len()).collect(), Vec::new())
    };
    let timing = band.timing();
    let tx_params = TxParams::band_defaults(band);
    session.mac = Some(pb::MacState {
        data_rate: u32::from(
            init.data_rate
                .filter(|dr| is_uplink_dr(band, *dr))
                .unwrap_or_else(|| lowest_uplink_dr(band)),
        ),
        tx_power_index: 0,
        nb_trans: 1,
        enabled_channels: enabled_channels
            .into_iter()
            .filter_map(|index| u32::try_from(index).ok())
            .collect(),
        extra_channels,
        max_duty_cycle: 0,
        uplink_dwell_time: tx_params.uplink_dwell_time,
        downlink_dwell_time: tx_params.downlink_dwell_time,
        max_eirp_index: u32::from(tx_params.max_eirp_index),
        tx_params_set: false,
        adr_ack_limit_exp: exponent(u32::from(timing.adr_ack_limit)),
        adr_ack_delay_exp: exponent(u32::from(timing.adr_ack_delay)),
        rejoin_max_time_n: 0,
        rejoin_max_count_n: 0,
        pending: Vec::new(),
        owed: Vec::new(),
        initialised: true,
        rejected: Vec::new(),
    });
}

/// Tells whether `dr` is an uplink data rate of the band.
pub(super) fn is_uplink_dr(band: &Band, dr: u8) -> bool {
    band.data_rate(dr).is_ok_and(|rate| rate.uplink)
}

/// Returns the band's lowest uplink data rate index.
fn lowest_uplink_dr(band: &Band) -> u8 {
    band.data_rates()
        .into_iter()
        .find(|(_, rate)| rate.uplink)
        .map_or(0, |(dr, _)| dr)
}

/// Returns the smallest MaxEIRP code (LoRaWAN 1.0.4 §5.8) of at least `dbm`.
pub(super) fn max_eirp_index(dbm: f32) -> u8 {
    (0..16u8)
        .find(|index| {
            TxParamSetupReqPayload {
                max_eirp: *index,
                ..TxParamSetupReqPayload::default()
            }
            .max_eirp_dbm()
            .is_some_and(|code_dbm| f32::from(code_dbm) >= dbm)
        })
        .unwrap_or(15)
}

/// Returns the base-2 exponent of a power of two (rounded down otherwise).
fn exponent(value: u32) -> u32 {
    value.checked_ilog2().unwrap_or(0)
}

/// Returns the session's MAC state, creating an empty one.
pub(super) fn mac(session: &mut pb::DeviceSession) -> &mut pb::MacState {
    session.mac.get_or_insert_default()
}

/// Records that the device refused (or never answered) `commands`, so they are not issued
/// again with the same values.
pub(super) fn record_rejected(session: &mut pb::DeviceSession, commands: &[MacCommand]) {
    let Ok(bytes) = encode_mac_commands(commands) else {
        return;
    };
    let mac = mac(session);
    if mac
        .rejected
        .iter()
        .any(|rejected| rejected[..] == bytes[..])
    {
        return;
    }
    mac.rejected.push(bytes.into());
    let excess = mac.rejected.len().saturating_sub(MAX_REJECTED);
    mac.rejected.drain(..excess);
}

/// Tells whether the device already refused exactly `commands`.
pub(super) fn was_rejected(session: &pb::DeviceSession, commands: &[MacCommand]) -> bool {
    let Ok(bytes) = encode_mac_commands(commands) else {
        return true;
    };
    session.mac.as_ref().is_some_and(|mac| {
        mac.rejected
            .iter()
            .any(|rejected| rejected[..] == bytes[..])
    })
}

/// Tells whether a request with `cid` is in flight.
pub(super) fn is_pending(session: &pb::DeviceSession, cid: u8) -> bool {
    session.mac.as_ref().is_some_and(|mac| {
        mac.pending
            .iter()
            .any(|pending| pending.command.first() == Some(&cid))
    })
}

/// Returns `commands` unless the device already refused exactly them or one does not
/// encode; then nothing.
pub(super) fn unless_rejected(
    session: &pb::DeviceSession,
    commands: Vec<MacCommand>,
) -> Vec<MacCommand> {
    let encodes = commands.iter().all(|command| command.encode().is_ok());
    if commands.is_empty() || !encodes || was_rejected(session, &commands) {
        return Vec::new();
    }
    commands
}

/// Tells whether the session's LoRaWAN version knows the commands added in 1.0.2
/// (TxParamSetupReq, DlChannelReq).
pub(super) fn knows_1_0_2_commands(session: &pb::DeviceSession) -> bool {
    !matches!(
        session.mac_version(),
        pb::MacVersion::MacVersion100 | pb::MacVersion::MacVersion101
    )
}
