//! MAC commands of LoRaWAN 1.0.4 (TS001 §5, Class B §12) and 1.1 (§5, Class B §14, Class C §18):
//! typed payloads in both directions, and the codec of a whole FOpts field or port-0 FRMPayload.
//!
//! A MAC command is a one-byte CID followed by a payload whose length only the CID and the
//! direction tell, so a stream is read command by command and stops at the first CID it cannot
//! size (LoRaWAN 1.0.4 §5). That stop is reported, never skipped silently.
//!
//! This module deliberately does not interpret values against a region (data rate and power
//! tables, channel plans: `lorawan-region`), does not decrypt FOpts or FRMPayload
//! (`lorawan-crypto`) and does not enforce the 15-byte FOpts limit (the frame codec does).

mod adr_param_setup;
mod channel;
mod class_b;
mod command;
mod dev_status;
mod device_mode;
mod device_time;
mod duty_cycle;
mod link_adr;
mod link_check;
mod rejoin;
mod rx_param_setup;
mod rx_timing_setup;
mod tx_param_setup;
mod version;
mod wire;

pub use adr_param_setup::AdrParamSetupReqPayload;
pub use channel::{
    DlChannelAnsPayload, DlChannelReqPayload, NewChannelAnsPayload, NewChannelReqPayload,
};
pub use class_b::{
    BeaconFreqAnsPayload, BeaconFreqReqPayload, BeaconTimingAnsPayload, PingSlotChannelAnsPayload,
    PingSlotChannelReqPayload, PingSlotInfoReqPayload,
};
pub use command::{MacCommand, PROPRIETARY_CID_MIN};
pub use dev_status::{BATTERY_EXTERNAL_POWER, BATTERY_UNKNOWN, DevStatusAnsPayload};
pub use device_mode::{DeviceModeClass, DeviceModeConfPayload, DeviceModeIndPayload};
pub use device_time::DeviceTimeAnsPayload;
pub use duty_cycle::DutyCycleReqPayload;
pub use link_adr::{LinkAdrAnsPayload, LinkAdrReqPayload};
pub use link_check::LinkCheckAnsPayload;
pub use rejoin::{ForceRejoinReqPayload, RejoinParamSetupAnsPayload, RejoinParamSetupReqPayload};
pub use rx_param_setup::{RxParamSetupAnsPayload, RxParamSetupReqPayload};
pub use rx_timing_setup::RxTimingSetupReqPayload;
pub use tx_param_setup::{DwellTime, TxParamSetupReqPayload};
pub use version::{RekeyConfPayload, RekeyIndPayload, ResetConfPayload, ResetIndPayload};

use crate::{Direction, Error, Result};

/// The result of decoding a MAC command stream with [`decode_mac_commands`].
///
/// Decoding never fails as a whole: the commands read before a problem are kept. Two things end
/// a stream early, and both are reported:
/// - an unknown or proprietary CID, whose length cannot be known: the last item of `commands` is
///   then [`MacCommand::Unknown`] or [`MacCommand::Proprietary`] holding every remaining byte;
/// - a command cut short by the end of the input: `error` is then [`Error::TooShort`], where
///   `needed` is the length of that command (CID included) and `got` the bytes left for it.
///
/// With the `serde` feature it serialises (only) as `{"commands": [...], "error": null}`, the
/// error as its message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MacCommands {
    /// The commands, in the order they appear.
    pub commands: Vec<MacCommand>,
    /// Why decoding stopped before the end of the input, if a command was truncated.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialize_error"))]
    pub error: Option<Error>,
}

/// Serialises the optional error as its message, since `Error` itself has no serde form.
#[cfg(feature = "serde")]
fn serialize_error<S: serde::Serializer>(
    error: &Option<Error>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match error {
        Some(error) => serializer.collect_str(error),
        None => serializer.serialize_none(),
    }
}

impl MacCommands {
    /// Tells whether every byte was decoded into a known command: no truncation and no trailing
    /// `Unknown` or `Proprietary` item.
    pub fn is_complete(&self) -> bool {
        self.error.is_none()
            && !matches!(
                self.commands.last(),
                Some(MacCommand::Unknown { .. } | MacCommand::Proprietary { .. })
            )
    }
}

/// Decodes a sequence of MAC commands: the FOpts field, or the decrypted FRMPayload of a port-0
/// frame, of a frame travelling in `direction` (LoRaWAN 1.0.4 §4.3.1.6 and §5).
///
/// Never panics and never fails as a whole; see [`MacCommands`] for how early stops are
/// reported.
pub fn decode_mac_commands(bytes: &[u8], direction: Direction) -> MacCommands {
    let mut commands = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match MacCommand::decode_one(rest, direction) {
            Ok((command, len)) => {
                commands.push(command);
                rest = rest.get(len..).unwrap_or_default();
            }
            Err(error) => {
                return MacCommands {
                    commands,
                    error: Some(error),
                };
            }
        }
    }
    MacCommands {
        commands,
        error: None,
    }
}

/// Encodes a sequence of MAC commands back to back, as FOpts or a port-0 FRMPayload carry them
/// (LoRaWAN 1.0.4 §5).
///
/// Fails on the first command whose fields do not fit (see [`MacCommand::encode_into`]). It does
/// not check that all commands travel in the same direction, nor the 15-byte FOpts limit; an
/// `Unknown` or `Proprietary` command anywhere but last makes the stream undecodable past it.
pub fn encode_mac_commands(commands: &[MacCommand]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(commands.iter().map(MacCommand::encoded_len).sum());
    for command in commands {
        command.encode_into(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_decodes_to_no_commands() {
        let decoded = decode_mac_commands(&[], Direction::Uplink);
        assert_eq!(decoded, MacCommands::default());
        assert!(decoded.is_complete());
    }

    #[test]
    fn failed_encode_leaves_the_buffer_unchanged() {
        let mut out = vec![0xaa];
        let command = MacCommand::LinkAdrReq(LinkAdrReqPayload {
            data_rate: 16,
            ..Default::default()
        });
        assert_eq!(
            command.encode_into(&mut out),
            Err(Error::OutOfRange {
                field: "DataRate",
                value: 16
            })
        );
        assert_eq!(out, [0xaa]);
    }

    #[test]
    fn every_variant_reports_a_length_matching_its_encoding() {
        // One command per CID and direction, decoded from all-zero payloads.
        for direction in [Direction::Uplink, Direction::Downlink] {
            for cid in 0x01..=0x20u8 {
                let bytes = [cid, 0, 0, 0, 0, 0];
                let (command, len) = MacCommand::decode_one(&bytes, direction).unwrap();
                if matches!(command, MacCommand::Unknown { .. }) {
                    continue;
                }
                assert_eq!(command.cid(), cid);
                assert_eq!(command.direction(), Some(direction), "{}", command.name());
                assert_eq!(
                    command.encode().unwrap(),
                    bytes[..len],
                    "{}",
                    command.name()
                );
            }
        }
    }
}
