//! `tern downlink push|list|flush`: a device's downlink queue through the identity API, which
//! checks the key and forwards the call to the application service.

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tern_api::v1 as api;
use tern_api::v1::downlink_service_client::DownlinkServiceClient;

use crate::login::ConnectArgs;
use crate::registry::{Client, block_on, status_error};

/// The device a downlink command acts on.
#[derive(Debug, Clone, Args)]
pub struct DeviceArgs {
    /// Application id.
    #[arg(long = "app")]
    pub application_id: String,
    /// DevEUI, 16 hex digits.
    #[arg(long)]
    pub dev_eui: String,
}

/// Downlink commands.
#[derive(Debug, Subcommand)]
pub enum DownlinkCommand {
    /// Queue a downlink.
    Push {
        #[command(flatten)]
        device: DeviceArgs,
        /// FPort, 1 to 223.
        #[arg(long)]
        f_port: u32,
        /// The payload as hex.
        #[arg(
            long,
            conflicts_with = "json_object",
            required_unless_present = "json_object"
        )]
        hex: Option<String>,
        /// A JSON object the device's payload formatter encodes.
        #[arg(long = "object", value_name = "OBJ")]
        json_object: Option<String>,
        /// Ask the device to acknowledge it.
        #[arg(long)]
        confirmed: bool,
        /// Higher is sent first.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        priority: i32,
    },
    /// Show the device's queue.
    List {
        #[command(flatten)]
        device: DeviceArgs,
    },
    /// Empty the device's queue.
    Flush {
        #[command(flatten)]
        device: DeviceArgs,
    },
}

/// Builds the downlink of `push` from its flags.
fn downlink(
    f_port: u32,
    hex: Option<&str>,
    json_object: Option<&str>,
    confirmed: bool,
    priority: i32,
) -> anyhow::Result<api::Downlink> {
    let mut downlink = api::Downlink {
        f_port,
        confirmed,
        priority,
        ..api::Downlink::default()
    };
    match (hex, json_object) {
        (Some(text), None) => {
            downlink.frm_payload = hex::decode(text).context("--hex is not hex")?;
        }
        (None, Some(object)) => {
            let value: Value = serde_json::from_str(object).context("--object is not JSON")?;
            if !value.is_object() {
                bail!("--object must be a JSON object");
            }
            downlink.decoded_json = value.to_string();
        }
        _ => bail!("pass one of --hex and --object"),
    }
    Ok(downlink)
}

fn queue_text(queue: &api::ListDownlinksResponse, json_output: bool) -> String {
    if json_output {
        let items: Vec<Value> = queue
            .downlinks
            .iter()
            .map(|item| {
                json!({
                    "id": item.id,
                    "f_port": item.f_port,
                    "f_cnt_down": item.f_cnt_down,
                    "confirmed": item.confirmed,
                    "priority": item.priority,
                    "frm_payload": hex::encode(&item.frm_payload),
                })
            })
            .collect();
        return Value::Array(items).to_string();
    }
    if queue.downlinks.is_empty() {
        return String::from("queue empty");
    }
    let mut text = String::from(
        "ID                                    F_PORT  F_CNT_DOWN  CONFIRMED  PRIORITY  PAYLOAD\n",
    );
    for item in &queue.downlinks {
        text.push_str(&format!(
            "{:<36}  {:<6}  {:<10}  {:<9}  {:<8}  {}\n",
            item.id,
            item.f_port,
            item.f_cnt_down,
            item.confirmed,
            item.priority,
            hex::encode(&item.frm_payload)
        ));
    }
    text
}

/// Runs a downlink command.
pub fn run(command: DownlinkCommand, connect: &ConnectArgs) -> anyhow::Result<String> {
    let credentials = crate::login::resolve(connect)?;
    let json_output = connect.json;
    block_on(async move {
        let client = Client::connect(&credentials).await?;
        let mut service = DownlinkServiceClient::new(client.channel());
        match command {
            DownlinkCommand::Push {
                device,
                f_port,
                hex,
                json_object,
                confirmed,
                priority,
            } => {
                let downlink = downlink(
                    f_port,
                    hex.as_deref(),
                    json_object.as_deref(),
                    confirmed,
                    priority,
                )?;
                let answer = service
                    .push(client.request(api::PushDownlinkRequest {
                        application_id: device.application_id,
                        dev_eui: device.dev_eui,
                        downlink: Some(downlink),
                    })?)
                    .await
                    .map_err(status_error)?
                    .into_inner();
                Ok(if json_output {
                    json!({"id": answer.id, "f_cnt_down": answer.f_cnt_down}).to_string()
                } else {
                    format!(
                        "queued downlink {} (f_cnt_down {})",
                        answer.id, answer.f_cnt_down
                    )
                })
            }
            DownlinkCommand::List { device } => {
                let queue = service
                    .list(client.request(api::ListDownlinksRequest {
                        application_id: device.application_id,
                        dev_eui: device.dev_eui,
                    })?)
                    .await
                    .map_err(status_error)?
                    .into_inner();
                Ok(queue_text(&queue, json_output))
            }
            DownlinkCommand::Flush { device } => {
                let queue = service
                    .flush(client.request(api::FlushDownlinksRequest {
                        application_id: device.application_id,
                        dev_eui: device.dev_eui,
                    })?)
                    .await
                    .map_err(status_error)?
                    .into_inner();
                Ok(queue_text(&queue, json_output))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_downlink_from_hex_or_a_json_object() {
        let raw = downlink(2, Some("01ff"), None, true, 1).unwrap();
        assert_eq!(raw.frm_payload, vec![0x01, 0xff]);
        assert!(raw.confirmed);
        let object = downlink(3, None, Some(r#"{"on":true}"#), false, 0).unwrap();
        assert_eq!(object.decoded_json, r#"{"on":true}"#);
        assert!(object.frm_payload.is_empty());
        assert!(downlink(3, None, Some("[1]"), false, 0).is_err());
        assert!(downlink(3, Some("zz"), None, false, 0).is_err());
        assert!(downlink(3, None, None, false, 0).is_err());
    }
}
