//! `tern keys derive`: session keys from root keys and join parameters, LoRaWAN 1.0.4 §6.2.5
//! and 1.1 §6.2.3, printed as hex.
//!
//! It prints keys on purpose: it is an operator's tool for checking a device's setup.

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use lorawan_codec::{Aes128Key, Eui64, NetId};
use serde::Serialize;

use crate::args::{parse_u16, parse_u24};

/// The `tern keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Derive the session keys of a join.
    Derive(DeriveArgs),
}

/// LoRaWAN versions whose key derivation differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Version {
    /// LoRaWAN 1.0.x: NwkSKey and AppSKey from the AppKey.
    #[value(name = "1.0")]
    V1_0,
    /// LoRaWAN 1.1: four session keys and the join server keys.
    #[value(name = "1.1")]
    V1_1,
}

/// Arguments of `tern keys derive`.
#[derive(Debug, Args)]
pub struct DeriveArgs {
    /// LoRaWAN version of the device.
    #[arg(long = "lorawan", value_enum, default_value = "1.0")]
    pub version: Version,
    /// AppKey.
    #[arg(long, value_name = "HEX")]
    pub app_key: Aes128Key,
    /// NwkKey (LoRaWAN 1.1).
    #[arg(long, value_name = "HEX", required_if_eq("version", "1.1"))]
    pub nwk_key: Option<Aes128Key>,
    /// JoinNonce (AppNonce in 1.0.x) from the join-accept, decimal or 0x hex.
    #[arg(long, value_name = "N", value_parser = parse_u24)]
    pub join_nonce: u32,
    /// DevNonce from the join-request, decimal or 0x hex.
    #[arg(long, value_name = "N", value_parser = parse_u16)]
    pub dev_nonce: u16,
    /// Home NetID from the join-accept (LoRaWAN 1.0.x).
    #[arg(long, value_name = "HEX", required_if_eq("version", "1.0"))]
    pub net_id: Option<NetId>,
    /// JoinEUI (LoRaWAN 1.1).
    #[arg(long, value_name = "HEX", required_if_eq("version", "1.1"))]
    pub join_eui: Option<Eui64>,
    /// DevEUI (LoRaWAN 1.1, for JSIntKey and JSEncKey).
    #[arg(long, value_name = "HEX", required_if_eq("version", "1.1"))]
    pub dev_eui: Option<Eui64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct DerivedKeys {
    lorawan_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nwk_s_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    f_nwk_s_int_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s_nwk_s_int_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nwk_s_enc_key: Option<String>,
    app_s_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    js_int_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    js_enc_key: Option<String>,
}

/// Runs a `tern keys` subcommand and returns what to print.
pub fn run(command: KeysCommand) -> anyhow::Result<String> {
    match command {
        KeysCommand::Derive(args) => derive(&args),
    }
}

fn derive(args: &DeriveArgs) -> anyhow::Result<String> {
    let keys = match args.version {
        Version::V1_0 => {
            let net_id = args
                .net_id
                .context("--net-id is needed for LoRaWAN 1.0.x")?;
            let keys = lorawan_crypto::derive_session_keys_1_0(
                &args.app_key,
                args.join_nonce,
                net_id,
                args.dev_nonce,
            );
            DerivedKeys {
                lorawan_version: "1.0",
                nwk_s_key: Some(keys.nwk_s_key.to_string()),
                f_nwk_s_int_key: None,
                s_nwk_s_int_key: None,
                nwk_s_enc_key: None,
                app_s_key: keys.app_s_key.to_string(),
                js_int_key: None,
                js_enc_key: None,
            }
        }
        Version::V1_1 => {
            let (Some(nwk_key), Some(join_eui), Some(dev_eui)) =
                (args.nwk_key, args.join_eui, args.dev_eui)
            else {
                anyhow::bail!("LoRaWAN 1.1 needs --nwk-key, --join-eui and --dev-eui");
            };
            let keys = lorawan_crypto::derive_session_keys_1_1(
                &nwk_key,
                &args.app_key,
                args.join_nonce,
                join_eui,
                args.dev_nonce,
            );
            let js_keys = lorawan_crypto::derive_join_server_keys(&nwk_key, dev_eui);
            DerivedKeys {
                lorawan_version: "1.1",
                nwk_s_key: None,
                f_nwk_s_int_key: Some(keys.f_nwk_s_int_key.to_string()),
                s_nwk_s_int_key: Some(keys.s_nwk_s_int_key.to_string()),
                nwk_s_enc_key: Some(keys.nwk_s_enc_key.to_string()),
                app_s_key: keys.app_s_key.to_string(),
                js_int_key: Some(js_keys.js_int_key.to_string()),
                js_enc_key: Some(js_keys.js_enc_key.to_string()),
            }
        }
    };
    let json = serde_json::to_value(&keys).context("serialise keys")?;
    if args.json {
        serde_json::to_string_pretty(&json).context("serialise keys")
    } else {
        Ok(crate::render::text(&json))
    }
}
