//! ResetInd → ResetConf (LoRaWAN 1.1 §5.1, ABP devices) and RekeyInd → RekeyConf (§5.10,
//! OTAA devices): the network answers with the highest LoRaWAN 1.x minor version both sides
//! support. Switching to the new session keys on RekeyInd is the caller's concern.

use lorawan_codec::{
    MacCommand, RekeyConfPayload, RekeyIndPayload, ResetConfPayload, ResetIndPayload,
};
use lorawan_region::Band;
use tern_proto::internal::v1 as pb;

use super::DesiredSettings;
use super::state::{MacInit, init_mac_state};

/// The highest LoRaWAN 1.x minor version the network supports (1.1).
pub(crate) const SERVER_LORAWAN_MINOR: u8 = 1;

/// Answers ResetInd.
pub(super) fn reset_conf(payload: ResetIndPayload) -> MacCommand {
    MacCommand::ResetConf(ResetConfPayload {
        serv_lorawan_minor: payload.dev_lorawan_minor.min(SERVER_LORAWAN_MINOR),
    })
}

/// Answers RekeyInd.
pub(super) fn rekey_conf(payload: RekeyIndPayload) -> MacCommand {
    MacCommand::RekeyConf(RekeyConfPayload {
        serv_lorawan_minor: payload.dev_lorawan_minor.min(SERVER_LORAWAN_MINOR),
    })
}

/// Puts the session back to what a device has after a reset (LoRaWAN 1.1 §5.1): default
/// receive windows and MAC state, nothing in flight. The reset status and frame counters
/// are the caller's.
pub(super) fn reset(
    session: &mut pb::DeviceSession,
    band: &Band,
    desired: &DesiredSettings,
    data_rate: Option<u8>,
) {
    let rx = desired.reset_rx;
    session.rx1_delay_s = u32::from(rx.rx1_delay_s);
    session.rx1_dr_offset = u32::from(rx.rx1_dr_offset);
    session.rx2_dr = u32::from(rx.rx2_dr);
    session.rx2_frequency_hz = rx.rx2_frequency_hz;
    session.mac = None;
    init_mac_state(
        session,
        band,
        MacInit {
            data_rate,
            cf_list: false,
        },
    );
}
