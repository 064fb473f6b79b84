//! `tern frame decode`: every field of a frame, its MIC checked and its payload decrypted
//! with whatever keys the user gives.
//!
//! The report is one serialisable value, printed as JSON or as indented text. It never
//! guesses: a check that lacks a key is reported as `not_checked` with a note naming the flag.

use anyhow::{Context, bail};
use clap::Args;
use lorawan_codec::{
    Aes128Key, Direction, EncryptedJoinAccept, JoinReqType, MacCommands, MacPayload, Payload,
    PhyPayload, RejoinRequest, decode_mac_commands,
};
use lorawan_crypto::{B1Fields, CipherKey, FOptsCounter, MicKey};
use serde::Serialize;

use super::{B1Args, JoinContextArgs, SessionKeyArgs};
use crate::args::{parse_frame_bytes, parse_u32};

/// Arguments of `tern frame decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The PHYPayload, as hex or base64.
    pub frame: String,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// AppKey: join-request MIC and join-accept decryption and MIC (LoRaWAN 1.0.x).
    #[arg(long, value_name = "HEX")]
    pub app_key: Option<Aes128Key>,
    /// NwkKey: join-request MIC and join-accept decryption (LoRaWAN 1.1); JSIntKey and
    /// JSEncKey are derived from it.
    #[arg(long, value_name = "HEX")]
    pub nwk_key: Option<Aes128Key>,
    /// Full 32-bit frame counter; its low 16 bits must match the frame's FCnt.
    #[arg(long, value_name = "N", value_parser = parse_u32)]
    pub f_cnt: Option<u32>,
    #[command(flatten)]
    pub session: SessionKeyArgs,
    #[command(flatten)]
    pub b1: B1Args,
    #[command(flatten)]
    pub join: JoinContextArgs,
}

/// Outcome of a MIC check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum MicStatus {
    Valid,
    Invalid,
    NotChecked,
    NotApplicable,
}

#[derive(Debug, Serialize)]
struct MicReport {
    value: Option<String>,
    status: MicStatus,
    key: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct FrmPayloadReport {
    key: &'static str,
    plaintext: String,
}

#[derive(Debug, Serialize)]
struct MacCommandsReport {
    source: &'static str,
    #[serde(flatten)]
    commands: MacCommands,
}

/// Everything `tern frame decode` knows about a frame.
#[derive(Debug, Serialize)]
struct Report {
    phy_payload: PhyPayload,
    mic: MicReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    lorawan_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    f_cnt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    join_accept: Option<PhyPayload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frm_payload: Option<FrmPayloadReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    f_opts_plaintext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mac_commands: Option<MacCommandsReport>,
    notes: Vec<String>,
}

impl Report {
    fn new(phy_payload: PhyPayload) -> Self {
        Self {
            mic: MicReport {
                value: phy_payload.mic.map(hex::encode),
                status: MicStatus::NotChecked,
                key: None,
            },
            phy_payload,
            lorawan_version: None,
            f_cnt: None,
            join_accept: None,
            frm_payload: None,
            f_opts_plaintext: None,
            mac_commands: None,
            notes: Vec::new(),
        }
    }

    /// Records the outcome of a MIC verification; other crypto errors are real errors.
    fn set_mic(
        &mut self,
        key: &'static str,
        res: lorawan_crypto::Result<()>,
    ) -> anyhow::Result<()> {
        self.mic.key = Some(key);
        self.mic.status = match res {
            Ok(()) => MicStatus::Valid,
            Err(lorawan_crypto::Error::InvalidMic) => MicStatus::Invalid,
            Err(error) => return Err(error).context("check MIC"),
        };
        Ok(())
    }

    fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }
}

/// Runs `tern frame decode`.
pub fn run(args: &DecodeArgs) -> anyhow::Result<String> {
    let bytes = parse_frame_bytes(&args.frame)?;
    let phy_payload = PhyPayload::decode(&bytes).context("decode PHYPayload")?;
    let mut report = Report::new(phy_payload.clone());
    match &phy_payload.payload {
        Payload::JoinRequest(_) => join_request(args, &bytes, &mut report)?,
        Payload::RejoinRequest(rejoin_request) => {
            rejoin(args, rejoin_request, &bytes, &mut report)?
        }
        Payload::EncryptedJoinAccept(ciphertext) => join_accept(args, ciphertext, &mut report)?,
        Payload::JoinAccept(_) => bail!("a join-accept on the air is always encrypted"),
        Payload::MacPayload(mac_payload) => {
            let direction = phy_payload
                .direction()
                .context("data frame without a direction")?;
            data(args, mac_payload, direction, &bytes, &mut report)?
        }
        Payload::Proprietary(_) => report.mic.status = MicStatus::NotApplicable,
    }
    let json = serde_json::to_value(&report).context("serialise report")?;
    if args.json {
        serde_json::to_string_pretty(&json).context("serialise report")
    } else {
        Ok(crate::render::text(&json))
    }
}

fn join_request(args: &DecodeArgs, bytes: &[u8], report: &mut Report) -> anyhow::Result<()> {
    let (key_name, key) = match (args.nwk_key, args.app_key) {
        (Some(nwk_key), _) => ("nwk_key", nwk_key),
        (None, Some(app_key)) => ("app_key", app_key),
        (None, None) => {
            report.note("pass --app-key (1.0.x) or --nwk-key (1.1) to check the MIC");
            return Ok(());
        }
    };
    let (msg, mic) = PhyPayload::split_mic(bytes)?;
    let res = lorawan_crypto::verify_join_request_mic(&MicKey::new(&key), msg, &mic);
    report.set_mic(key_name, res)
}

fn rejoin(
    args: &DecodeArgs,
    rejoin_request: &RejoinRequest,
    bytes: &[u8],
    report: &mut Report,
) -> anyhow::Result<()> {
    report.lorawan_version = Some("1.1");
    let (msg, mic) = PhyPayload::split_mic(bytes)?;
    let (key_name, key) = match rejoin_request.join_req_type() {
        JoinReqType::RejoinType1 => match args.nwk_key {
            Some(nwk_key) => (
                "js_int_key",
                lorawan_crypto::derive_js_int_key(&nwk_key, rejoin_request.dev_eui()),
            ),
            None => {
                report.note("pass --nwk-key to check a type 1 rejoin MIC (JSIntKey)");
                return Ok(());
            }
        },
        _ => match args.session.s_nwk_s_int_key {
            Some(key) => ("s_nwk_s_int_key", key),
            None => {
                report.note("pass --s-nwk-s-int-key to check a type 0/2 rejoin MIC");
                return Ok(());
            }
        },
    };
    let res = lorawan_crypto::verify_rejoin_request_mic(&MicKey::new(&key), msg, &mic);
    report.set_mic(key_name, res)
}

fn join_accept(
    args: &DecodeArgs,
    ciphertext: &EncryptedJoinAccept,
    report: &mut Report,
) -> anyhow::Result<()> {
    let join_req_type = JoinReqType::from(args.join.join_req_type);
    // A join-accept answering a rejoin-request is encrypted with JSEncKey, LoRaWAN 1.1 §6.2.3.
    let (key_name, key) = match (args.nwk_key, args.app_key) {
        (Some(nwk_key), _) if join_req_type != JoinReqType::JoinRequest => {
            let dev_eui = args
                .join
                .dev_eui
                .context("--dev-eui is needed to derive JSEncKey for a rejoin answer")?;
            (
                "js_enc_key",
                lorawan_crypto::derive_js_enc_key(&nwk_key, dev_eui),
            )
        }
        (Some(nwk_key), _) => ("nwk_key", nwk_key),
        (None, Some(app_key)) => ("app_key", app_key),
        (None, None) => {
            report.note("pass --app-key (1.0.x) or --nwk-key (1.1) to decrypt the join-accept");
            return Ok(());
        }
    };
    let mut plaintext = Vec::with_capacity(1 + ciphertext.as_bytes().len());
    plaintext.push(report.phy_payload.mhdr.encode());
    plaintext.extend_from_slice(ciphertext.as_bytes());
    lorawan_crypto::decrypt_join_accept(&key, &mut plaintext[1..])
        .context("decrypt join-accept")?;
    let decrypted = PhyPayload::decode_plaintext_join_accept(&plaintext)
        .context("decode decrypted join-accept")?;
    let Payload::JoinAccept(body) = &decrypted.payload else {
        bail!("decrypted join-accept has no join-accept body");
    };
    let opt_neg = body.dl_settings.opt_neg();
    report.mic.value = decrypted.mic.map(hex::encode);
    report.join_accept = Some(decrypted.clone());
    let (msg, mic) = PhyPayload::split_mic(&plaintext)?;
    if !opt_neg {
        report.lorawan_version = Some("1.0");
        let res = lorawan_crypto::verify_join_accept_mic_1_0(&MicKey::new(&key), msg, &mic);
        return report.set_mic(key_name, res);
    }
    report.lorawan_version = Some("1.1");
    let js_int_key = match (args.join.js_int_key, args.nwk_key, args.join.dev_eui) {
        (Some(js_int_key), _, _) => Some(js_int_key),
        (None, Some(nwk_key), Some(dev_eui)) => {
            Some(lorawan_crypto::derive_js_int_key(&nwk_key, dev_eui))
        }
        _ => None,
    };
    let (Some(js_int_key), Some(join_eui), Some(dev_nonce)) =
        (js_int_key, args.join.join_eui, args.join.dev_nonce)
    else {
        report.note(
            "OptNeg is set (LoRaWAN 1.1): pass --join-eui, --dev-nonce and either --js-int-key \
             or --nwk-key with --dev-eui to check the MIC",
        );
        return Ok(());
    };
    let res = lorawan_crypto::verify_join_accept_mic_1_1(
        &MicKey::new(&js_int_key),
        join_req_type,
        join_eui,
        dev_nonce,
        msg,
        &mic,
    );
    report.set_mic("js_int_key", res)
}

fn data(
    args: &DecodeArgs,
    mac_payload: &MacPayload,
    direction: Direction,
    bytes: &[u8],
    report: &mut Report,
) -> anyhow::Result<()> {
    let fhdr = mac_payload.fhdr();
    let f_cnt = match args.f_cnt {
        Some(f_cnt) if f_cnt as u16 != fhdr.f_cnt => bail!(
            "--f-cnt {f_cnt} does not end in the frame's 16-bit FCnt {}",
            fhdr.f_cnt
        ),
        Some(f_cnt) => f_cnt,
        None => {
            if fhdr.f_cnt != 0 || args.session.nwk_s_key.is_some() || args.session.is_1_1() {
                report.note(
                    "the 16-bit FCnt was used as the full counter; pass --f-cnt if it rolled over",
                );
            }
            u32::from(fhdr.f_cnt)
        }
    };
    report.f_cnt = Some(f_cnt);
    let is_1_1 = args.session.is_1_1();
    report.lorawan_version = Some(if is_1_1 { "1.1" } else { "1.0" });
    check_data_mic(args, mac_payload, direction, f_cnt, bytes, report)?;

    let f_port = mac_payload.f_port();
    let payload_key = match f_port {
        None => None,
        Some(0) if is_1_1 => args.session.nwk_s_enc_key.map(|key| ("nwk_s_enc_key", key)),
        Some(0) => args.session.nwk_s_key.map(|key| ("nwk_s_key", key)),
        Some(_) => args.session.app_s_key.map(|key| ("app_s_key", key)),
    };
    let mut port_0_plaintext = None;
    match (f_port, payload_key) {
        (None, _) => {}
        (Some(port), Some((key_name, key))) => {
            let plaintext = lorawan_crypto::decrypt_frm_payload(
                &CipherKey::new(&key),
                direction,
                fhdr.dev_addr,
                f_cnt,
                mac_payload.frm_payload(),
            )
            .context("decrypt FRMPayload")?;
            report.frm_payload = Some(FrmPayloadReport {
                key: key_name,
                plaintext: hex::encode(&plaintext),
            });
            if port == 0 {
                port_0_plaintext = Some(plaintext);
            }
        }
        (Some(0), None) => report.note(if is_1_1 {
            "pass --nwk-s-enc-key to decrypt the MAC commands in the FRMPayload"
        } else {
            "pass --nwk-s-key to decrypt the MAC commands in the FRMPayload"
        }),
        (Some(_), None) => report.note("pass --app-s-key to decrypt the FRMPayload"),
    }

    if let Some(plaintext) = port_0_plaintext {
        report.mac_commands = Some(MacCommandsReport {
            source: "frm_payload",
            commands: decode_mac_commands(&plaintext, direction),
        });
    } else if !fhdr.f_opts.is_empty() {
        let f_opts = if !is_1_1 {
            report.note("FOpts read as LoRaWAN 1.0.x cleartext; pass --nwk-s-enc-key for 1.1");
            Some(fhdr.f_opts.as_bytes().to_vec())
        } else if let Some(key) = args.session.nwk_s_enc_key {
            let counter = match (direction, f_port) {
                (Direction::Uplink, _) => FOptsCounter::FCntUp,
                (Direction::Downlink, None | Some(0)) => FOptsCounter::NFCntDown,
                (Direction::Downlink, Some(_)) => FOptsCounter::AFCntDown,
            };
            let plaintext = lorawan_crypto::decrypt_f_opts(
                &CipherKey::new(&key),
                args.session.f_opts_scheme.into(),
                counter,
                fhdr.dev_addr,
                f_cnt,
                fhdr.f_opts.as_bytes(),
            )
            .context("decrypt FOpts")?;
            report.f_opts_plaintext = Some(hex::encode(&plaintext));
            Some(plaintext)
        } else {
            report.note("pass --nwk-s-enc-key to decrypt the LoRaWAN 1.1 FOpts");
            None
        };
        if let Some(f_opts) = f_opts {
            report.mac_commands = Some(MacCommandsReport {
                source: "f_opts",
                commands: decode_mac_commands(&f_opts, direction),
            });
        }
    }
    Ok(())
}

fn check_data_mic(
    args: &DecodeArgs,
    mac_payload: &MacPayload,
    direction: Direction,
    f_cnt: u32,
    bytes: &[u8],
    report: &mut Report,
) -> anyhow::Result<()> {
    let fhdr = mac_payload.fhdr();
    let (msg, mic) = PhyPayload::split_mic(bytes)?;
    let keys = &args.session;
    let conf_f_cnt = if fhdr.f_ctrl.ack {
        if keys.is_1_1() && args.b1.conf_f_cnt.is_none() {
            report.note(
                "ACK is set: pass --conf-f-cnt (the acknowledged frame's FCnt) for the 1.1 MIC",
            );
        }
        args.b1.conf_f_cnt
    } else {
        None
    };
    match direction {
        Direction::Uplink if keys.is_1_1() => {
            let (Some(s_key), Some(f_key)) = (keys.s_nwk_s_int_key, keys.f_nwk_s_int_key) else {
                report
                    .note("pass --s-nwk-s-int-key and --f-nwk-s-int-key to check a 1.1 uplink MIC");
                return Ok(());
            };
            let b1 = B1Fields {
                conf_f_cnt,
                tx_dr: args.b1.tx_dr,
                tx_ch: args.b1.tx_ch,
            };
            let res = lorawan_crypto::verify_data_uplink_mic_1_1(
                &MicKey::new(&s_key),
                &MicKey::new(&f_key),
                b1,
                fhdr.dev_addr,
                f_cnt,
                msg,
                &mic,
            );
            report.set_mic("s_nwk_s_int_key+f_nwk_s_int_key", res)
        }
        Direction::Downlink if keys.is_1_1() => {
            let Some(s_key) = keys.s_nwk_s_int_key else {
                report.note("pass --s-nwk-s-int-key to check a 1.1 downlink MIC");
                return Ok(());
            };
            let res = lorawan_crypto::verify_data_downlink_mic_1_1(
                &MicKey::new(&s_key),
                conf_f_cnt,
                fhdr.dev_addr,
                f_cnt,
                msg,
                &mic,
            );
            report.set_mic("s_nwk_s_int_key", res)
        }
        _ => {
            let Some(key) = keys.nwk_s_key else {
                report.note("pass --nwk-s-key (1.0.x) or the 1.1 network keys to check the MIC");
                return Ok(());
            };
            let mic_key = MicKey::new(&key);
            let res = match direction {
                Direction::Uplink => lorawan_crypto::verify_data_uplink_mic_1_0(
                    &mic_key,
                    fhdr.dev_addr,
                    f_cnt,
                    msg,
                    &mic,
                ),
                Direction::Downlink => lorawan_crypto::verify_data_downlink_mic_1_0(
                    &mic_key,
                    fhdr.dev_addr,
                    f_cnt,
                    msg,
                    &mic,
                ),
            };
            report.set_mic("nwk_s_key", res)
        }
    }
}
