//! `tern frame encode`: builds data frames, join-requests and join-accepts from flags,
//! encrypts them and computes their MIC, and prints the PHYPayload.
//!
//! It builds through the codec and crypto crates only, so what it prints is what Tern itself
//! would send or expect; it does not check band limits (payload sizes, data rates).

use anyhow::{Context, bail};
use base64::Engine;
use clap::{Args, Subcommand, ValueEnum};
use lorawan_codec::{
    Aes128Key, CfList, CfListFrequencies, DevAddr, DevNonce, Direction, DlSettings, Eui64, FCtrl,
    FHdr, FOpts, JoinAcceptPayload, JoinNonce, JoinReqType, JoinRequest, MType, MacPayload, NetId,
    PhyPayload, RxDelay,
};
use lorawan_crypto::{B1Fields, CipherKey, FOptsCounter, MicKey};

use super::{B1Args, JoinContextArgs, SessionKeyArgs};
use crate::args::{HexBytes, parse_u8, parse_u16, parse_u24, parse_u32};

/// The kinds of frame `tern frame encode` builds.
#[derive(Debug, Subcommand)]
pub enum EncodeCommand {
    /// A data frame (uplink or downlink, confirmed or not).
    Data(DataArgs),
    /// A join-request.
    JoinRequest(JoinRequestArgs),
    /// A join-accept, encrypted as sent on the air.
    JoinAccept(JoinAcceptArgs),
}

/// Output format shared by the encode commands.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print base64 instead of hex.
    #[arg(long)]
    pub base64: bool,
}

impl OutputArgs {
    fn print(&self, bytes: &[u8]) -> String {
        if self.base64 {
            base64::engine::general_purpose::STANDARD.encode(bytes)
        } else {
            hex::encode(bytes)
        }
    }
}

/// Data frame MTypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataMType {
    /// Unconfirmed data up.
    UnconfirmedUp,
    /// Confirmed data up.
    ConfirmedUp,
    /// Unconfirmed data down.
    UnconfirmedDown,
    /// Confirmed data down.
    ConfirmedDown,
}

impl From<DataMType> for MType {
    fn from(m_type: DataMType) -> Self {
        match m_type {
            DataMType::UnconfirmedUp => Self::UnconfirmedDataUp,
            DataMType::ConfirmedUp => Self::ConfirmedDataUp,
            DataMType::UnconfirmedDown => Self::UnconfirmedDataDown,
            DataMType::ConfirmedDown => Self::ConfirmedDataDown,
        }
    }
}

/// Arguments of `tern frame encode data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Message type.
    #[arg(long, value_enum)]
    pub m_type: DataMType,
    /// Device address, 8 hex digits.
    #[arg(long, value_name = "HEX")]
    pub dev_addr: DevAddr,
    /// Full 32-bit frame counter; the frame carries its low 16 bits.
    #[arg(long, value_name = "N", value_parser = parse_u32)]
    pub f_cnt: u32,
    /// FPort; omit for a frame without FRMPayload. Port 0 carries MAC commands.
    #[arg(long, value_name = "PORT", value_parser = parse_u8)]
    pub f_port: Option<u8>,
    /// Plaintext FRMPayload, hex (needs --f-port).
    #[arg(long, value_name = "HEX", default_value = "")]
    pub payload: HexBytes,
    /// Plaintext FOpts (MAC commands), hex, at most 15 bytes; encrypted for LoRaWAN 1.1.
    #[arg(long, value_name = "HEX", default_value = "")]
    pub f_opts: HexBytes,
    /// Set the ADR bit.
    #[arg(long)]
    pub adr: bool,
    /// Set ADRACKReq (uplink only).
    #[arg(long)]
    pub adr_ack_req: bool,
    /// Set ACK.
    #[arg(long)]
    pub ack: bool,
    /// Set FPending (downlink only).
    #[arg(long)]
    pub f_pending: bool,
    /// Set the ClassB bit (uplink only).
    #[arg(long)]
    pub class_b: bool,
    #[command(flatten)]
    pub session: SessionKeyArgs,
    #[command(flatten)]
    pub b1: B1Args,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `tern frame encode join-request`.
#[derive(Debug, Args)]
pub struct JoinRequestArgs {
    /// JoinEUI (AppEUI in LoRaWAN 1.0.x).
    #[arg(long, value_name = "HEX")]
    pub join_eui: Eui64,
    /// DevEUI.
    #[arg(long, value_name = "HEX")]
    pub dev_eui: Eui64,
    /// DevNonce, decimal or 0x hex.
    #[arg(long, value_name = "N", value_parser = parse_u16)]
    pub dev_nonce: u16,
    /// AppKey (1.0.x) or NwkKey (1.1): the key of the MIC.
    #[arg(long, value_name = "HEX")]
    pub key: Aes128Key,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `tern frame encode join-accept`.
#[derive(Debug, Args)]
pub struct JoinAcceptArgs {
    /// JoinNonce (AppNonce in 1.0.x), decimal or 0x hex, 24 bits.
    #[arg(long, value_name = "N", value_parser = parse_u24)]
    pub join_nonce: u32,
    /// Home NetID, 6 hex digits.
    #[arg(long, value_name = "HEX")]
    pub net_id: NetId,
    /// Device address assigned to the device.
    #[arg(long, value_name = "HEX")]
    pub dev_addr: DevAddr,
    /// RX1 data rate offset.
    #[arg(long, value_parser = parse_u8, default_value = "0")]
    pub rx1_dr_offset: u8,
    /// RX2 data rate.
    #[arg(long, value_parser = parse_u8, default_value = "0")]
    pub rx2_dr: u8,
    /// RX1 delay in seconds (0 means 1 s).
    #[arg(long, value_parser = parse_u8, default_value = "1")]
    pub rx_delay: u8,
    /// CFList type 0: up to five extra channel frequencies in Hz, comma-separated.
    #[arg(
        long,
        value_name = "HZ,...",
        value_delimiter = ',',
        conflicts_with = "cf_list_mask"
    )]
    pub cf_list_freqs: Vec<u32>,
    /// CFList type 1: up to six 16-bit ChMask values (decimal or 0x hex), comma-separated.
    #[arg(long, value_name = "MASK,...", value_delimiter = ',', value_parser = parse_u16)]
    pub cf_list_mask: Vec<u16>,
    /// AppKey: encrypts and signs a LoRaWAN 1.0.x join-accept.
    #[arg(long, value_name = "HEX", required_unless_present = "nwk_key")]
    pub app_key: Option<Aes128Key>,
    /// NwkKey: builds a LoRaWAN 1.1 join-accept (OptNeg set), signed with JSIntKey; needs
    /// --dev-eui, --join-eui and --dev-nonce.
    #[arg(long, value_name = "HEX")]
    pub nwk_key: Option<Aes128Key>,
    #[command(flatten)]
    pub join: JoinContextArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs a `tern frame encode` subcommand.
pub fn run(command: EncodeCommand) -> anyhow::Result<String> {
    match command {
        EncodeCommand::Data(args) => data(&args),
        EncodeCommand::JoinRequest(args) => join_request(&args),
        EncodeCommand::JoinAccept(args) => join_accept(&args),
    }
}

fn data(args: &DataArgs) -> anyhow::Result<String> {
    let m_type = MType::from(args.m_type);
    let direction = Direction::from_m_type(m_type).context("data MType has a direction")?;
    let is_1_1 = args.session.is_1_1();
    let mut f_opts = args.f_opts.0.clone();
    if is_1_1 && !f_opts.is_empty() {
        let key = args
            .session
            .nwk_s_enc_key
            .context("--nwk-s-enc-key is needed to encrypt LoRaWAN 1.1 FOpts")?;
        let counter = match (direction, args.f_port) {
            (Direction::Uplink, _) => FOptsCounter::FCntUp,
            (Direction::Downlink, None | Some(0)) => FOptsCounter::NFCntDown,
            (Direction::Downlink, Some(_)) => FOptsCounter::AFCntDown,
        };
        lorawan_crypto::encrypt_f_opts_in_place(
            &CipherKey::new(&key),
            args.session.f_opts_scheme.into(),
            counter,
            args.dev_addr,
            args.f_cnt,
            &mut f_opts,
        )
        .context("encrypt FOpts")?;
    }
    let fhdr = FHdr {
        dev_addr: args.dev_addr,
        f_ctrl: FCtrl {
            adr: args.adr,
            adr_ack_req: args.adr_ack_req,
            ack: args.ack,
            class_b: args.class_b,
            f_pending: args.f_pending,
        },
        // The frame carries the low 16 bits of the counter (LoRaWAN 1.0.4 §4.3.1.5).
        f_cnt: args.f_cnt as u16,
        f_opts: FOpts::new(&f_opts).context("FOpts")?,
    };
    let mac_payload = match args.f_port {
        None if !args.payload.0.is_empty() => bail!("--payload needs --f-port"),
        None => MacPayload::without_port(fhdr),
        Some(port) => {
            let (key_name, key) = match port {
                0 if is_1_1 => ("--nwk-s-enc-key", args.session.nwk_s_enc_key),
                0 => ("--nwk-s-key", args.session.nwk_s_key),
                _ => ("--app-s-key", args.session.app_s_key),
            };
            let key =
                key.with_context(|| format!("{key_name} is needed to encrypt FPort {port}"))?;
            let ciphertext = lorawan_crypto::encrypt_frm_payload(
                &CipherKey::new(&key),
                direction,
                args.dev_addr,
                args.f_cnt,
                &args.payload.0,
            )
            .context("encrypt FRMPayload")?;
            MacPayload::new(fhdr, port, ciphertext).context("build MACPayload")?
        }
    };
    let unsigned = PhyPayload::data(m_type, mac_payload, [0; 4]).context("build frame")?;
    let msg = unsigned.encode_without_mic();
    let conf_f_cnt = if args.ack { args.b1.conf_f_cnt } else { None };
    let keys = &args.session;
    let mic = match direction {
        Direction::Uplink if is_1_1 => {
            let (Some(s_key), Some(f_key)) = (keys.s_nwk_s_int_key, keys.f_nwk_s_int_key) else {
                bail!("a LoRaWAN 1.1 uplink needs --s-nwk-s-int-key and --f-nwk-s-int-key");
            };
            let b1 = B1Fields {
                conf_f_cnt,
                tx_dr: args.b1.tx_dr,
                tx_ch: args.b1.tx_ch,
            };
            lorawan_crypto::compute_data_uplink_mic_1_1(
                &MicKey::new(&s_key),
                &MicKey::new(&f_key),
                b1,
                args.dev_addr,
                args.f_cnt,
                &msg,
            )
        }
        Direction::Downlink if is_1_1 => {
            let s_key = keys
                .s_nwk_s_int_key
                .context("a LoRaWAN 1.1 downlink needs --s-nwk-s-int-key")?;
            lorawan_crypto::compute_data_downlink_mic_1_1(
                &MicKey::new(&s_key),
                conf_f_cnt,
                args.dev_addr,
                args.f_cnt,
                &msg,
            )
        }
        _ => {
            let key = keys
                .nwk_s_key
                .context("--nwk-s-key (1.0.x) or the 1.1 network keys are needed for the MIC")?;
            let mic_key = MicKey::new(&key);
            match direction {
                Direction::Uplink => lorawan_crypto::compute_data_uplink_mic_1_0(
                    &mic_key,
                    args.dev_addr,
                    args.f_cnt,
                    &msg,
                ),
                Direction::Downlink => lorawan_crypto::compute_data_downlink_mic_1_0(
                    &mic_key,
                    args.dev_addr,
                    args.f_cnt,
                    &msg,
                ),
            }
        }
    }
    .context("compute MIC")?;
    let mut frame = msg;
    frame.extend_from_slice(&mic);
    Ok(args.output.print(&frame))
}

fn join_request(args: &JoinRequestArgs) -> anyhow::Result<String> {
    let body = JoinRequest {
        join_eui: args.join_eui,
        dev_eui: args.dev_eui,
        dev_nonce: DevNonce::new(args.dev_nonce),
    };
    let msg = PhyPayload::join_request(body, [0; 4]).encode_without_mic();
    let mic = lorawan_crypto::compute_join_request_mic(&MicKey::new(&args.key), &msg)
        .context("compute MIC")?;
    let mut frame = msg;
    frame.extend_from_slice(&mic);
    Ok(args.output.print(&frame))
}

fn join_accept(args: &JoinAcceptArgs) -> anyhow::Result<String> {
    let cf_list = match (&args.cf_list_freqs[..], &args.cf_list_mask[..]) {
        ([], []) => None,
        (freqs, []) => {
            if freqs.len() > 5 {
                bail!("--cf-list-freqs takes at most 5 frequencies");
            }
            let mut hz = [0u32; 5];
            hz[..freqs.len()].copy_from_slice(freqs);
            Some(CfList::Frequencies(
                CfListFrequencies::new(hz).context("CFList frequencies")?,
            ))
        }
        (_, masks) => {
            if masks.len() > 6 {
                bail!("--cf-list-mask takes at most 6 ChMask values");
            }
            let mut ch_masks = [0u16; 6];
            ch_masks[..masks.len()].copy_from_slice(masks);
            Some(CfList::ChannelMask(ch_masks))
        }
    };
    let opt_neg = args.nwk_key.is_some();
    let body = JoinAcceptPayload {
        join_nonce: JoinNonce::new(args.join_nonce).context("JoinNonce")?,
        home_net_id: args.net_id,
        dev_addr: args.dev_addr,
        dl_settings: DlSettings::new(opt_neg, args.rx1_dr_offset, args.rx2_dr)
            .context("DLSettings")?,
        rx_delay: RxDelay::new(args.rx_delay).context("RxDelay")?,
        cf_list,
    };
    let msg = PhyPayload::join_accept(body, [0; 4]).encode_without_mic();
    let join_req_type = JoinReqType::from(args.join.join_req_type);
    let (mic, enc_key) = match (args.nwk_key, args.app_key) {
        (Some(nwk_key), _) => {
            let (Some(join_eui), Some(dev_nonce)) = (args.join.join_eui, args.join.dev_nonce)
            else {
                bail!("a LoRaWAN 1.1 join-accept needs --join-eui and --dev-nonce");
            };
            let js_int_key = match (args.join.js_int_key, args.join.dev_eui) {
                (Some(js_int_key), _) => js_int_key,
                (None, Some(dev_eui)) => lorawan_crypto::derive_js_int_key(&nwk_key, dev_eui),
                (None, None) => bail!("a LoRaWAN 1.1 join-accept needs --dev-eui or --js-int-key"),
            };
            let mic = lorawan_crypto::compute_join_accept_mic_1_1(
                &MicKey::new(&js_int_key),
                join_req_type,
                join_eui,
                dev_nonce,
                &msg,
            )
            .context("compute MIC")?;
            // An answer to a rejoin-request is encrypted with JSEncKey, LoRaWAN 1.1 §6.2.3.
            let enc_key = match (join_req_type, args.join.dev_eui) {
                (JoinReqType::JoinRequest, _) => nwk_key,
                (_, Some(dev_eui)) => lorawan_crypto::derive_js_enc_key(&nwk_key, dev_eui),
                (_, None) => bail!("a rejoin answer needs --dev-eui to derive JSEncKey"),
            };
            (mic, enc_key)
        }
        (None, Some(app_key)) => {
            let mic = lorawan_crypto::compute_join_accept_mic_1_0(&MicKey::new(&app_key), &msg)
                .context("compute MIC")?;
            (mic, app_key)
        }
        (None, None) => bail!("--app-key (1.0.x) or --nwk-key (1.1) is needed"),
    };
    let mut frame = msg;
    frame.extend_from_slice(&mic);
    lorawan_crypto::encrypt_join_accept(&enc_key, &mut frame[1..])
        .context("encrypt join-accept")?;
    Ok(args.output.print(&frame))
}
