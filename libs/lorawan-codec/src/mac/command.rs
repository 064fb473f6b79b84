//! The `MacCommand` enum: one variant per command and direction, with its CID, spec name,
//! direction and wire encoding, and the decoder of a single command.
//!
//! Stream handling (stopping at unknown CIDs, truncation) lives in the parent module.

use super::wire::FixedPayload;
use super::{
    AdrParamSetupReqPayload, BeaconFreqAnsPayload, BeaconFreqReqPayload, BeaconTimingAnsPayload,
    DevStatusAnsPayload, DeviceModeConfPayload, DeviceModeIndPayload, DeviceTimeAnsPayload,
    DlChannelAnsPayload, DlChannelReqPayload, DutyCycleReqPayload, ForceRejoinReqPayload,
    LinkAdrAnsPayload, LinkAdrReqPayload, LinkCheckAnsPayload, NewChannelAnsPayload,
    NewChannelReqPayload, PingSlotChannelAnsPayload, PingSlotChannelReqPayload,
    PingSlotInfoReqPayload, RejoinParamSetupAnsPayload, RejoinParamSetupReqPayload,
    RekeyConfPayload, RekeyIndPayload, ResetConfPayload, ResetIndPayload, RxParamSetupAnsPayload,
    RxParamSetupReqPayload, RxTimingSetupReqPayload, TxParamSetupReqPayload,
};
use crate::{Direction, Error, Result};

/// One MAC command of LoRaWAN 1.0.4 (§5, Class B §12) or 1.1 (§5, Class B §14, Class C §18),
/// LoRaWAN 1.0.4 §5 Table 14.
///
/// A CID means a different command in each direction (e.g. 0x03 is LinkADRReq downlink and
/// LinkADRAns uplink), so each direction has its own variant; [`MacCommand::direction`] tells
/// which. Commands without payload are unit variants. `Unknown` and `Proprietary` carry the raw
/// bytes of a command this codec cannot size.
///
/// With the `serde` feature a command serialises as an object tagged by `"command"` (the variant
/// name in snake case) with the payload fields beside it, e.g.
/// `{"command":"link_adr_req","data_rate":5,...}`; raw payloads are hex strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "command", rename_all = "snake_case"))]
pub enum MacCommand {
    /// ResetInd (uplink, 0x01), LoRaWAN 1.1 §5.1.
    ResetInd(ResetIndPayload),
    /// ResetConf (downlink, 0x01), LoRaWAN 1.1 §5.1.
    ResetConf(ResetConfPayload),
    /// LinkCheckReq (uplink, 0x02, no payload), LoRaWAN 1.0.4 §5.1.
    LinkCheckReq,
    /// LinkCheckAns (downlink, 0x02), LoRaWAN 1.0.4 §5.1.
    LinkCheckAns(LinkCheckAnsPayload),
    /// LinkADRReq (downlink, 0x03), LoRaWAN 1.0.4 §5.2.
    LinkAdrReq(LinkAdrReqPayload),
    /// LinkADRAns (uplink, 0x03), LoRaWAN 1.0.4 §5.2.
    LinkAdrAns(LinkAdrAnsPayload),
    /// DutyCycleReq (downlink, 0x04), LoRaWAN 1.0.4 §5.3.
    DutyCycleReq(DutyCycleReqPayload),
    /// DutyCycleAns (uplink, 0x04, no payload), LoRaWAN 1.0.4 §5.3.
    DutyCycleAns,
    /// RXParamSetupReq (downlink, 0x05), LoRaWAN 1.0.4 §5.4.
    RxParamSetupReq(RxParamSetupReqPayload),
    /// RXParamSetupAns (uplink, 0x05), LoRaWAN 1.0.4 §5.4.
    RxParamSetupAns(RxParamSetupAnsPayload),
    /// DevStatusReq (downlink, 0x06, no payload), LoRaWAN 1.0.4 §5.5.
    DevStatusReq,
    /// DevStatusAns (uplink, 0x06), LoRaWAN 1.0.4 §5.5.
    DevStatusAns(DevStatusAnsPayload),
    /// NewChannelReq (downlink, 0x07), LoRaWAN 1.0.4 §5.6.
    NewChannelReq(NewChannelReqPayload),
    /// NewChannelAns (uplink, 0x07), LoRaWAN 1.0.4 §5.6.
    NewChannelAns(NewChannelAnsPayload),
    /// RXTimingSetupReq (downlink, 0x08), LoRaWAN 1.0.4 §5.7.
    RxTimingSetupReq(RxTimingSetupReqPayload),
    /// RXTimingSetupAns (uplink, 0x08, no payload), LoRaWAN 1.0.4 §5.7.
    RxTimingSetupAns,
    /// TXParamSetupReq (downlink, 0x09), LoRaWAN 1.0.4 §5.8.
    TxParamSetupReq(TxParamSetupReqPayload),
    /// TXParamSetupAns (uplink, 0x09, no payload), LoRaWAN 1.0.4 §5.8.
    TxParamSetupAns,
    /// DlChannelReq (downlink, 0x0A), LoRaWAN 1.0.4 §5.6.
    DlChannelReq(DlChannelReqPayload),
    /// DlChannelAns (uplink, 0x0A), LoRaWAN 1.0.4 §5.6.
    DlChannelAns(DlChannelAnsPayload),
    /// RekeyInd (uplink, 0x0B), LoRaWAN 1.1 §5.10.
    RekeyInd(RekeyIndPayload),
    /// RekeyConf (downlink, 0x0B), LoRaWAN 1.1 §5.10.
    RekeyConf(RekeyConfPayload),
    /// ADRParamSetupReq (downlink, 0x0C), LoRaWAN 1.1 §5.11.
    AdrParamSetupReq(AdrParamSetupReqPayload),
    /// ADRParamSetupAns (uplink, 0x0C, no payload), LoRaWAN 1.1 §5.11.
    AdrParamSetupAns,
    /// DeviceTimeReq (uplink, 0x0D, no payload), LoRaWAN 1.0.4 §5.9.
    DeviceTimeReq,
    /// DeviceTimeAns (downlink, 0x0D), LoRaWAN 1.0.4 §5.9.
    DeviceTimeAns(DeviceTimeAnsPayload),
    /// ForceRejoinReq (downlink, 0x0E), LoRaWAN 1.1 §5.13.
    ForceRejoinReq(ForceRejoinReqPayload),
    /// RejoinParamSetupReq (downlink, 0x0F), LoRaWAN 1.1 §5.14.
    RejoinParamSetupReq(RejoinParamSetupReqPayload),
    /// RejoinParamSetupAns (uplink, 0x0F), LoRaWAN 1.1 §5.14.
    RejoinParamSetupAns(RejoinParamSetupAnsPayload),
    /// PingSlotInfoReq (uplink, 0x10), LoRaWAN 1.0.4 §12.1.
    PingSlotInfoReq(PingSlotInfoReqPayload),
    /// PingSlotInfoAns (downlink, 0x10, no payload), LoRaWAN 1.0.4 §12.1.
    PingSlotInfoAns,
    /// PingSlotChannelReq (downlink, 0x11), LoRaWAN 1.0.4 §12.3.
    PingSlotChannelReq(PingSlotChannelReqPayload),
    /// PingSlotChannelAns (uplink, 0x11), LoRaWAN 1.0.4 §12.3.
    PingSlotChannelAns(PingSlotChannelAnsPayload),
    /// BeaconTimingReq (uplink, 0x12, no payload), deprecated, LoRaWAN 1.0.4 §12 Table 61.
    BeaconTimingReq,
    /// BeaconTimingAns (downlink, 0x12), deprecated, LoRaWAN 1.0.4 §12 Table 61.
    BeaconTimingAns(BeaconTimingAnsPayload),
    /// BeaconFreqReq (downlink, 0x13), LoRaWAN 1.0.4 §12.2.
    BeaconFreqReq(BeaconFreqReqPayload),
    /// BeaconFreqAns (uplink, 0x13), LoRaWAN 1.0.4 §12.2.
    BeaconFreqAns(BeaconFreqAnsPayload),
    /// DeviceModeInd (uplink, 0x20), LoRaWAN 1.1 §18.1.
    DeviceModeInd(DeviceModeIndPayload),
    /// DeviceModeConf (downlink, 0x20), LoRaWAN 1.1 §18.1.
    DeviceModeConf(DeviceModeConfPayload),
    /// A CID below 0x80 that is not defined in the direction it was decoded in.
    ///
    /// Its length is unknown, so decoding stopped here and `payload` holds every byte after
    /// the CID (LoRaWAN 1.0.4 §5: the first unknown command ends processing). Encoding writes
    /// `cid` and `payload` verbatim.
    Unknown {
        /// The command identifier.
        cid: u8,
        /// Every byte that followed the CID.
        #[cfg_attr(feature = "serde", serde(with = "super::wire::hex_bytes"))]
        payload: Vec<u8>,
    },
    /// A proprietary command, CID 0x80..=0xFF (LoRaWAN 1.0.4 §5 Table 14).
    ///
    /// Its length is only known to its vendor, so decoding stopped here and `payload` holds
    /// every byte after the CID. Encoding writes `cid` and `payload` verbatim.
    Proprietary {
        /// The command identifier, 0x80..=0xFF.
        cid: u8,
        /// Every byte that followed the CID.
        #[cfg_attr(feature = "serde", serde(with = "super::wire::hex_bytes"))]
        payload: Vec<u8>,
    },
}

/// First CID of the proprietary range, LoRaWAN 1.0.4 §5 Table 14.
pub const PROPRIETARY_CID_MIN: u8 = 0x80;

impl MacCommand {
    /// Returns the command identifier (CID), LoRaWAN 1.0.4 §5 Table 14.
    pub const fn cid(&self) -> u8 {
        match self {
            Self::ResetInd(_) | Self::ResetConf(_) => 0x01,
            Self::LinkCheckReq | Self::LinkCheckAns(_) => 0x02,
            Self::LinkAdrReq(_) | Self::LinkAdrAns(_) => 0x03,
            Self::DutyCycleReq(_) | Self::DutyCycleAns => 0x04,
            Self::RxParamSetupReq(_) | Self::RxParamSetupAns(_) => 0x05,
            Self::DevStatusReq | Self::DevStatusAns(_) => 0x06,
            Self::NewChannelReq(_) | Self::NewChannelAns(_) => 0x07,
            Self::RxTimingSetupReq(_) | Self::RxTimingSetupAns => 0x08,
            Self::TxParamSetupReq(_) | Self::TxParamSetupAns => 0x09,
            Self::DlChannelReq(_) | Self::DlChannelAns(_) => 0x0a,
            Self::RekeyInd(_) | Self::RekeyConf(_) => 0x0b,
            Self::AdrParamSetupReq(_) | Self::AdrParamSetupAns => 0x0c,
            Self::DeviceTimeReq | Self::DeviceTimeAns(_) => 0x0d,
            Self::ForceRejoinReq(_) => 0x0e,
            Self::RejoinParamSetupReq(_) | Self::RejoinParamSetupAns(_) => 0x0f,
            Self::PingSlotInfoReq(_) | Self::PingSlotInfoAns => 0x10,
            Self::PingSlotChannelReq(_) | Self::PingSlotChannelAns(_) => 0x11,
            Self::BeaconTimingReq | Self::BeaconTimingAns(_) => 0x12,
            Self::BeaconFreqReq(_) | Self::BeaconFreqAns(_) => 0x13,
            Self::DeviceModeInd(_) | Self::DeviceModeConf(_) => 0x20,
            Self::Unknown { cid, .. } | Self::Proprietary { cid, .. } => *cid,
        }
    }

    /// Returns the direction the command travels in, or `None` for `Unknown` and `Proprietary`,
    /// whose direction the command itself does not tell.
    pub const fn direction(&self) -> Option<Direction> {
        match self {
            Self::ResetInd(_)
            | Self::LinkCheckReq
            | Self::LinkAdrAns(_)
            | Self::DutyCycleAns
            | Self::RxParamSetupAns(_)
            | Self::DevStatusAns(_)
            | Self::NewChannelAns(_)
            | Self::RxTimingSetupAns
            | Self::TxParamSetupAns
            | Self::DlChannelAns(_)
            | Self::RekeyInd(_)
            | Self::AdrParamSetupAns
            | Self::DeviceTimeReq
            | Self::RejoinParamSetupAns(_)
            | Self::PingSlotInfoReq(_)
            | Self::PingSlotChannelAns(_)
            | Self::BeaconTimingReq
            | Self::BeaconFreqAns(_)
            | Self::DeviceModeInd(_) => Some(Direction::Uplink),
            Self::ResetConf(_)
            | Self::LinkCheckAns(_)
            | Self::LinkAdrReq(_)
            | Self::DutyCycleReq(_)
            | Self::RxParamSetupReq(_)
            | Self::DevStatusReq
            | Self::NewChannelReq(_)
            | Self::RxTimingSetupReq(_)
            | Self::TxParamSetupReq(_)
            | Self::DlChannelReq(_)
            | Self::RekeyConf(_)
            | Self::AdrParamSetupReq(_)
            | Self::DeviceTimeAns(_)
            | Self::ForceRejoinReq(_)
            | Self::RejoinParamSetupReq(_)
            | Self::PingSlotInfoAns
            | Self::PingSlotChannelReq(_)
            | Self::BeaconTimingAns(_)
            | Self::BeaconFreqReq(_)
            | Self::DeviceModeConf(_) => Some(Direction::Downlink),
            Self::Unknown { .. } | Self::Proprietary { .. } => None,
        }
    }

    /// Returns the command's name in the spec's spelling (`"LinkADRReq"`), for logs and as a
    /// bounded metric label (`"Unknown"` and `"Proprietary"` for raw commands).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::ResetInd(_) => "ResetInd",
            Self::ResetConf(_) => "ResetConf",
            Self::LinkCheckReq => "LinkCheckReq",
            Self::LinkCheckAns(_) => "LinkCheckAns",
            Self::LinkAdrReq(_) => "LinkADRReq",
            Self::LinkAdrAns(_) => "LinkADRAns",
            Self::DutyCycleReq(_) => "DutyCycleReq",
            Self::DutyCycleAns => "DutyCycleAns",
            Self::RxParamSetupReq(_) => "RXParamSetupReq",
            Self::RxParamSetupAns(_) => "RXParamSetupAns",
            Self::DevStatusReq => "DevStatusReq",
            Self::DevStatusAns(_) => "DevStatusAns",
            Self::NewChannelReq(_) => "NewChannelReq",
            Self::NewChannelAns(_) => "NewChannelAns",
            Self::RxTimingSetupReq(_) => "RXTimingSetupReq",
            Self::RxTimingSetupAns => "RXTimingSetupAns",
            Self::TxParamSetupReq(_) => "TXParamSetupReq",
            Self::TxParamSetupAns => "TXParamSetupAns",
            Self::DlChannelReq(_) => "DlChannelReq",
            Self::DlChannelAns(_) => "DlChannelAns",
            Self::RekeyInd(_) => "RekeyInd",
            Self::RekeyConf(_) => "RekeyConf",
            Self::AdrParamSetupReq(_) => "ADRParamSetupReq",
            Self::AdrParamSetupAns => "ADRParamSetupAns",
            Self::DeviceTimeReq => "DeviceTimeReq",
            Self::DeviceTimeAns(_) => "DeviceTimeAns",
            Self::ForceRejoinReq(_) => "ForceRejoinReq",
            Self::RejoinParamSetupReq(_) => "RejoinParamSetupReq",
            Self::RejoinParamSetupAns(_) => "RejoinParamSetupAns",
            Self::PingSlotInfoReq(_) => "PingSlotInfoReq",
            Self::PingSlotInfoAns => "PingSlotInfoAns",
            Self::PingSlotChannelReq(_) => "PingSlotChannelReq",
            Self::PingSlotChannelAns(_) => "PingSlotChannelAns",
            Self::BeaconTimingReq => "BeaconTimingReq",
            Self::BeaconTimingAns(_) => "BeaconTimingAns",
            Self::BeaconFreqReq(_) => "BeaconFreqReq",
            Self::BeaconFreqAns(_) => "BeaconFreqAns",
            Self::DeviceModeInd(_) => "DeviceModeInd",
            Self::DeviceModeConf(_) => "DeviceModeConf",
            Self::Unknown { .. } => "Unknown",
            Self::Proprietary { .. } => "Proprietary",
        }
    }

    /// Returns the number of bytes the command takes on the air, CID included.
    pub fn encoded_len(&self) -> usize {
        1 + match self {
            Self::LinkCheckReq
            | Self::DutyCycleAns
            | Self::DevStatusReq
            | Self::RxTimingSetupAns
            | Self::TxParamSetupAns
            | Self::AdrParamSetupAns
            | Self::DeviceTimeReq
            | Self::PingSlotInfoAns
            | Self::BeaconTimingReq => 0,
            Self::ResetInd(p) => size(p),
            Self::ResetConf(p) => size(p),
            Self::LinkCheckAns(p) => size(p),
            Self::LinkAdrReq(p) => size(p),
            Self::LinkAdrAns(p) => size(p),
            Self::DutyCycleReq(p) => size(p),
            Self::RxParamSetupReq(p) => size(p),
            Self::RxParamSetupAns(p) => size(p),
            Self::DevStatusAns(p) => size(p),
            Self::NewChannelReq(p) => size(p),
            Self::NewChannelAns(p) => size(p),
            Self::RxTimingSetupReq(p) => size(p),
            Self::TxParamSetupReq(p) => size(p),
            Self::DlChannelReq(p) => size(p),
            Self::DlChannelAns(p) => size(p),
            Self::RekeyInd(p) => size(p),
            Self::RekeyConf(p) => size(p),
            Self::AdrParamSetupReq(p) => size(p),
            Self::DeviceTimeAns(p) => size(p),
            Self::ForceRejoinReq(p) => size(p),
            Self::RejoinParamSetupReq(p) => size(p),
            Self::RejoinParamSetupAns(p) => size(p),
            Self::PingSlotInfoReq(p) => size(p),
            Self::PingSlotChannelReq(p) => size(p),
            Self::PingSlotChannelAns(p) => size(p),
            Self::BeaconTimingAns(p) => size(p),
            Self::BeaconFreqReq(p) => size(p),
            Self::BeaconFreqAns(p) => size(p),
            Self::DeviceModeInd(p) => size(p),
            Self::DeviceModeConf(p) => size(p),
            Self::Unknown { payload, .. } | Self::Proprietary { payload, .. } => payload.len(),
        }
    }

    /// Appends the command (CID and payload) to `out`.
    ///
    /// Fails, leaving `out` unchanged, when a field does not fit its bits or a frequency is off
    /// the 100 Hz grid, instead of truncating it; also when an `Unknown` CID is in the
    /// proprietary range or a `Proprietary` CID is below it.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.push(self.cid());
        let res = self.encode_payload(out);
        if res.is_err() {
            out.truncate(start);
        }
        res
    }

    /// Encodes the command (CID and payload) into a new vector; see [`Self::encode_into`].
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out)?;
        Ok(out)
    }

    fn encode_payload(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Self::LinkCheckReq
            | Self::DutyCycleAns
            | Self::DevStatusReq
            | Self::RxTimingSetupAns
            | Self::TxParamSetupAns
            | Self::AdrParamSetupAns
            | Self::DeviceTimeReq
            | Self::PingSlotInfoAns
            | Self::BeaconTimingReq => Ok(()),
            Self::ResetInd(p) => put(out, p),
            Self::ResetConf(p) => put(out, p),
            Self::LinkCheckAns(p) => put(out, p),
            Self::LinkAdrReq(p) => put(out, p),
            Self::LinkAdrAns(p) => put(out, p),
            Self::DutyCycleReq(p) => put(out, p),
            Self::RxParamSetupReq(p) => put(out, p),
            Self::RxParamSetupAns(p) => put(out, p),
            Self::DevStatusAns(p) => put(out, p),
            Self::NewChannelReq(p) => put(out, p),
            Self::NewChannelAns(p) => put(out, p),
            Self::RxTimingSetupReq(p) => put(out, p),
            Self::TxParamSetupReq(p) => put(out, p),
            Self::DlChannelReq(p) => put(out, p),
            Self::DlChannelAns(p) => put(out, p),
            Self::RekeyInd(p) => put(out, p),
            Self::RekeyConf(p) => put(out, p),
            Self::AdrParamSetupReq(p) => put(out, p),
            Self::DeviceTimeAns(p) => put(out, p),
            Self::ForceRejoinReq(p) => put(out, p),
            Self::RejoinParamSetupReq(p) => put(out, p),
            Self::RejoinParamSetupAns(p) => put(out, p),
            Self::PingSlotInfoReq(p) => put(out, p),
            Self::PingSlotChannelReq(p) => put(out, p),
            Self::PingSlotChannelAns(p) => put(out, p),
            Self::BeaconTimingAns(p) => put(out, p),
            Self::BeaconFreqReq(p) => put(out, p),
            Self::BeaconFreqAns(p) => put(out, p),
            Self::DeviceModeInd(p) => put(out, p),
            Self::DeviceModeConf(p) => put(out, p),
            Self::Unknown { cid, payload } => {
                raw_cid_in_range("unknown CID", *cid, ..PROPRIETARY_CID_MIN)?;
                out.extend_from_slice(payload);
                Ok(())
            }
            Self::Proprietary { cid, payload } => {
                raw_cid_in_range("proprietary CID", *cid, PROPRIETARY_CID_MIN..)?;
                out.extend_from_slice(payload);
                Ok(())
            }
        }
    }

    /// Decodes the command at the front of `bytes` in `direction`; returns it and the number of
    /// bytes it took. An unknown or proprietary CID takes all remaining bytes.
    pub(super) fn decode_one(bytes: &[u8], direction: Direction) -> Result<(Self, usize)> {
        use Direction::{Downlink as Down, Uplink as Up};

        let Some((&cid, rest)) = bytes.split_first() else {
            return Err(Error::TooShort { needed: 1, got: 0 });
        };
        let command = match (direction, cid) {
            (Up, 0x01) => take(rest, Self::ResetInd)?,
            (Down, 0x01) => take(rest, Self::ResetConf)?,
            (Up, 0x02) => Self::LinkCheckReq,
            (Down, 0x02) => take(rest, Self::LinkCheckAns)?,
            (Up, 0x03) => take(rest, Self::LinkAdrAns)?,
            (Down, 0x03) => take(rest, Self::LinkAdrReq)?,
            (Up, 0x04) => Self::DutyCycleAns,
            (Down, 0x04) => take(rest, Self::DutyCycleReq)?,
            (Up, 0x05) => take(rest, Self::RxParamSetupAns)?,
            (Down, 0x05) => take(rest, Self::RxParamSetupReq)?,
            (Up, 0x06) => take(rest, Self::DevStatusAns)?,
            (Down, 0x06) => Self::DevStatusReq,
            (Up, 0x07) => take(rest, Self::NewChannelAns)?,
            (Down, 0x07) => take(rest, Self::NewChannelReq)?,
            (Up, 0x08) => Self::RxTimingSetupAns,
            (Down, 0x08) => take(rest, Self::RxTimingSetupReq)?,
            (Up, 0x09) => Self::TxParamSetupAns,
            (Down, 0x09) => take(rest, Self::TxParamSetupReq)?,
            (Up, 0x0a) => take(rest, Self::DlChannelAns)?,
            (Down, 0x0a) => take(rest, Self::DlChannelReq)?,
            (Up, 0x0b) => take(rest, Self::RekeyInd)?,
            (Down, 0x0b) => take(rest, Self::RekeyConf)?,
            (Up, 0x0c) => Self::AdrParamSetupAns,
            (Down, 0x0c) => take(rest, Self::AdrParamSetupReq)?,
            (Up, 0x0d) => Self::DeviceTimeReq,
            (Down, 0x0d) => take(rest, Self::DeviceTimeAns)?,
            (Down, 0x0e) => take(rest, Self::ForceRejoinReq)?,
            (Up, 0x0f) => take(rest, Self::RejoinParamSetupAns)?,
            (Down, 0x0f) => take(rest, Self::RejoinParamSetupReq)?,
            (Up, 0x10) => take(rest, Self::PingSlotInfoReq)?,
            (Down, 0x10) => Self::PingSlotInfoAns,
            (Up, 0x11) => take(rest, Self::PingSlotChannelAns)?,
            (Down, 0x11) => take(rest, Self::PingSlotChannelReq)?,
            (Up, 0x12) => Self::BeaconTimingReq,
            (Down, 0x12) => take(rest, Self::BeaconTimingAns)?,
            (Up, 0x13) => take(rest, Self::BeaconFreqAns)?,
            (Down, 0x13) => take(rest, Self::BeaconFreqReq)?,
            (Up, 0x20) => take(rest, Self::DeviceModeInd)?,
            (Down, 0x20) => take(rest, Self::DeviceModeConf)?,
            (_, PROPRIETARY_CID_MIN..) => Self::Proprietary {
                cid,
                payload: rest.to_vec(),
            },
            _ => Self::Unknown {
                cid,
                payload: rest.to_vec(),
            },
        };
        let len = command.encoded_len();
        Ok((command, len))
    }
}

/// Returns the payload length `N` of a fixed-length payload.
const fn size<const N: usize, P: FixedPayload<N>>(_: &P) -> usize {
    N
}

/// Appends a fixed-length payload.
fn put<const N: usize, P: FixedPayload<N>>(out: &mut Vec<u8>, payload: &P) -> Result<()> {
    out.extend_from_slice(&payload.to_bytes()?);
    Ok(())
}

/// Decodes a fixed-length payload from the front of `rest` (the bytes after the CID) and wraps
/// it in its variant; fails with `TooShort` counting the CID when fewer than `N` bytes remain.
fn take<const N: usize, P: FixedPayload<N>>(
    rest: &[u8],
    wrap: fn(P) -> MacCommand,
) -> Result<MacCommand> {
    let bytes = rest.first_chunk::<N>().ok_or(Error::TooShort {
        needed: N + 1,
        got: rest.len() + 1,
    })?;
    Ok(wrap(P::from_bytes(*bytes)))
}

/// Checks that the CID of a raw command lies in the range its variant stands for.
fn raw_cid_in_range(
    field: &'static str,
    cid: u8,
    range: impl std::ops::RangeBounds<u8>,
) -> Result<()> {
    if range.contains(&cid) {
        Ok(())
    } else {
        Err(Error::OutOfRange {
            field,
            value: u64::from(cid),
        })
    }
}
