//! `tern frame`: decode a LoRaWAN frame with optional keys, or build one from flags.
//!
//! Decoding prints every field, whether the MIC is valid, the decrypted FRMPayload and the
//! MAC commands; what could not be checked for lack of a key is said in `notes`, never guessed.

mod decode;
mod encode;

use clap::{Args, Subcommand};
use lorawan_codec::{Aes128Key, Eui64, JoinReqType};

use crate::args::{parse_u8, parse_u16, parse_u32};

pub use decode::DecodeArgs;
pub use encode::EncodeCommand;

/// The `tern frame` subcommands.
#[derive(Debug, Subcommand)]
pub enum FrameCommand {
    /// Decode a PHYPayload given as hex or base64; check its MIC and decrypt it when keys are given.
    Decode(DecodeArgs),
    /// Build a PHYPayload from flags and print it as hex (or base64).
    #[command(subcommand)]
    Encode(EncodeCommand),
}

/// Runs a `tern frame` subcommand and returns what to print.
pub fn run(command: FrameCommand) -> anyhow::Result<String> {
    match command {
        FrameCommand::Decode(args) => decode::run(&args),
        FrameCommand::Encode(command) => encode::run(command),
    }
}

/// Session keys of LoRaWAN 1.0.x and 1.1; which ones are given decides the version.
#[derive(Debug, Clone, Args)]
pub struct SessionKeyArgs {
    /// LoRaWAN 1.0.x NwkSKey: data MIC and FRMPayload on FPort 0.
    #[arg(long, value_name = "HEX")]
    pub nwk_s_key: Option<Aes128Key>,
    /// AppSKey: FRMPayload on FPort > 0 (1.0.x and 1.1).
    #[arg(long, value_name = "HEX")]
    pub app_s_key: Option<Aes128Key>,
    /// LoRaWAN 1.1 FNwkSIntKey: the cmacF half of the uplink MIC.
    #[arg(long, value_name = "HEX")]
    pub f_nwk_s_int_key: Option<Aes128Key>,
    /// LoRaWAN 1.1 SNwkSIntKey: the cmacS half of the uplink MIC and the downlink MIC.
    #[arg(long, value_name = "HEX")]
    pub s_nwk_s_int_key: Option<Aes128Key>,
    /// LoRaWAN 1.1 NwkSEncKey: FOpts and FRMPayload on FPort 0.
    #[arg(long, value_name = "HEX")]
    pub nwk_s_enc_key: Option<Aes128Key>,
    /// LoRaWAN 1.1 FOpts encryption layout: `errata` (LoRaWAN 1.1 errata, LoRaMac-node 1.1.1,
    /// ChirpStack) or `original` (1.1 as first published).
    #[arg(long, value_enum, default_value_t = FOptsSchemeArg::Errata)]
    pub f_opts_scheme: FOptsSchemeArg,
}

impl SessionKeyArgs {
    /// Tells whether any LoRaWAN 1.1 network session key was given.
    pub fn is_1_1(&self) -> bool {
        self.f_nwk_s_int_key.is_some()
            || self.s_nwk_s_int_key.is_some()
            || self.nwk_s_enc_key.is_some()
    }
}

/// The FOpts encryption layouts of LoRaWAN 1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FOptsSchemeArg {
    /// The errata layout (LoRaWAN 1.1 errata, 1.1.1 device stacks).
    Errata,
    /// The layout of LoRaWAN 1.1 as first published.
    Original,
}

impl From<FOptsSchemeArg> for lorawan_crypto::FOptsScheme {
    fn from(scheme: FOptsSchemeArg) -> Self {
        match scheme {
            FOptsSchemeArg::Errata => Self::Errata,
            FOptsSchemeArg::Original => Self::Original,
        }
    }
}

/// LoRaWAN 1.1 uplink MIC inputs that are not in the frame (the B1 block).
#[derive(Debug, Clone, Args)]
pub struct B1Args {
    /// Full FCnt of the confirmed downlink this frame acknowledges (1.1 ConfFCnt; only used
    /// when the ACK bit is set).
    #[arg(long, value_name = "N", value_parser = parse_u32)]
    pub conf_f_cnt: Option<u32>,
    /// Data rate index the uplink was sent at (1.1 TxDr).
    #[arg(long, value_name = "DR", value_parser = parse_u8, default_value = "0")]
    pub tx_dr: u8,
    /// Index of the channel the uplink was sent on (1.1 TxCh).
    #[arg(long, value_name = "CH", value_parser = parse_u8, default_value = "0")]
    pub tx_ch: u8,
}

/// Inputs of the LoRaWAN 1.1 join-accept MIC that are not in the join-accept itself.
#[derive(Debug, Clone, Args)]
pub struct JoinContextArgs {
    /// JSIntKey, when known directly; otherwise derived from --nwk-key and --dev-eui.
    #[arg(long, value_name = "HEX")]
    pub js_int_key: Option<Aes128Key>,
    /// DevEUI of the device (derives JSIntKey from the NwkKey).
    #[arg(long, value_name = "HEX")]
    pub dev_eui: Option<Eui64>,
    /// JoinEUI of the request the join-accept answers.
    #[arg(long, value_name = "HEX")]
    pub join_eui: Option<Eui64>,
    /// DevNonce (or RJcount) of the request the join-accept answers, decimal or 0x hex.
    #[arg(long, value_name = "N", value_parser = parse_u16)]
    pub dev_nonce: Option<u16>,
    /// Which request the join-accept answers.
    #[arg(long, value_enum, default_value_t = JoinReqTypeArg::JoinRequest)]
    pub join_req_type: JoinReqTypeArg,
}

/// The request kinds a LoRaWAN 1.1 join-accept can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JoinReqTypeArg {
    /// A join-request.
    JoinRequest,
    /// A rejoin-request of type 0.
    Rejoin0,
    /// A rejoin-request of type 1.
    Rejoin1,
    /// A rejoin-request of type 2.
    Rejoin2,
}

impl From<JoinReqTypeArg> for JoinReqType {
    fn from(kind: JoinReqTypeArg) -> Self {
        match kind {
            JoinReqTypeArg::JoinRequest => Self::JoinRequest,
            JoinReqTypeArg::Rejoin0 => Self::RejoinType0,
            JoinReqTypeArg::Rejoin1 => Self::RejoinType1,
            JoinReqTypeArg::Rejoin2 => Self::RejoinType2,
        }
    }
}
