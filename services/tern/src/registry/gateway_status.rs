//! `tern gateway status`: what the identity service last heard from the network server about
//! a gateway.

use serde_json::json;
use tern_api::v1 as api;
use tern_api::v1::gateway_service_client::GatewayServiceClient;

use super::{Client, status_error};

/// Formats a Unix-millisecond time as RFC 3339, or `never` for zero.
fn seen(unix_ms: i64) -> String {
    match u64::try_from(unix_ms) {
        Ok(ms) if ms > 0 => humantime::format_rfc3339_millis(
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms),
        )
        .to_string(),
        _ => String::from("never"),
    }
}

fn text(status: &api::GatewayStatus) -> String {
    if !status.known {
        return format!(
            "gateway {}: the network service has no report of it",
            status.gateway_eui
        );
    }
    let mut text = format!(
        "gateway {}: {}, last seen {}",
        status.gateway_eui,
        if status.online { "online" } else { "offline" },
        seen(status.last_seen_unix_ms)
    );
    if let Some(stats) = &status.stats {
        text.push_str(&format!(
            "\nrx received {}, rx ok {}, rx forwarded {}, tx received {}, tx emitted {}, ack ratio {}%",
            stats.rx_received,
            stats.rx_ok,
            stats.rx_forwarded,
            stats.tx_received,
            stats.tx_emitted,
            stats.ack_ratio_percent
        ));
    }
    text
}

pub(super) async fn run(gateway_eui: &str, client: &Client, json: bool) -> anyhow::Result<String> {
    let mut service = GatewayServiceClient::new(client.channel());
    let status = service
        .get_status(client.request(api::GetGatewayStatusRequest {
            gateway_eui: gateway_eui.to_owned(),
        })?)
        .await
        .map_err(status_error)?
        .into_inner();
    Ok(if json {
        json!({
            "gateway_eui": status.gateway_eui,
            "known": status.known,
            "online": status.online,
            "last_seen": seen(status.last_seen_unix_ms),
            "stats": status.stats.as_ref().map(|stats| json!({
                "rx_received": stats.rx_received,
                "rx_ok": stats.rx_ok,
                "rx_forwarded": stats.rx_forwarded,
                "tx_received": stats.tx_received,
                "tx_emitted": stats.tx_emitted,
                "ack_ratio_percent": stats.ack_ratio_percent,
                "metadata": stats.metadata,
            })),
        })
        .to_string()
    } else {
        text(&status)
    })
}
