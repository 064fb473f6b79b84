//! The `[gateway]` section: the Semtech UDP edge that gateways talk to.
//!
//! It describes where the edge listens and how it guards the bus; the edge itself lives in
//! `tern-gateway`. Gateway EUIs stay text here and are checked for shape only.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Value;

use crate::schema::{KeyDoc, SectionDoc};
use crate::validate::{Checks, text};

/// Gateway edge settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// UDP socket address the Semtech packet forwarders send to.
    pub listen: SocketAddr,
    /// Receive buffer of the UDP socket in bytes; 0 keeps the operating system's default.
    pub receive_buffer_bytes: u32,
    /// Gateway EUIs (16 hex digits) allowed to connect; empty allows every gateway.
    pub allowed_gateways: Vec<String>,
    /// Silence (no PULL_DATA) after which this replica drops a gateway's downlink route.
    #[serde(with = "humantime_serde")]
    pub pull_data_timeout: Duration,
    /// How long to wait for a gateway's TX_ACK before reporting the downlink as timed out.
    #[serde(with = "humantime_serde")]
    pub tx_ack_timeout: Duration,
    /// Uplinks (and status reports) one gateway may send per second on average; 0 disables the
    /// limit.
    pub uplinks_per_second: u32,
    /// How many uplinks one gateway may send at once above the average rate.
    pub uplink_burst: u32,
    /// Most gateways one replica tracks at a time; datagrams from further gateways are dropped.
    pub max_gateways: u32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 1700)),
            receive_buffer_bytes: 4 * 1024 * 1024,
            allowed_gateways: Vec::new(),
            pull_data_timeout: Duration::from_secs(60),
            tx_ack_timeout: Duration::from_secs(5),
            uplinks_per_second: 100,
            uplink_burst: 200,
            max_gateways: 100_000,
        }
    }
}

impl GatewayConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "gateway",
        doc: "Gateway edge: the UDP server Semtech packet forwarders talk to.",
        keys: &[
            KeyDoc::new(
                "listen",
                "UDP socket address the packet forwarders send to (their `server_address` and ports).",
            ),
            KeyDoc::new(
                "receive_buffer_bytes",
                "Receive buffer of the UDP socket in bytes, which absorbs bursts of datagrams; 0 keeps the OS default.\n\
                 Linux caps it at `net.core.rmem_max`; raise that sysctl on the nodes for the full size.",
            ),
            KeyDoc::new(
                "allowed_gateways",
                "Gateway EUIs allowed to connect, as 16 hex digits, e.g. [\"aa555a0000000101\"].\n\
                 Empty allows every gateway; datagrams from others are dropped without an answer.",
            ),
            KeyDoc::new(
                "pull_data_timeout",
                "A replica drops a gateway's downlink route after this long without PULL_DATA.\n\
                 Forwarders send PULL_DATA every `keepalive_interval` (10 s by default); keep this at least three times that.",
            ),
            KeyDoc::new(
                "tx_ack_timeout",
                "How long to wait for a gateway's TX_ACK before reporting the downlink as timed out.\n\
                 Old forwarders never send TX_ACK; protocol version 1 gateways are not waited for.",
            ),
            KeyDoc::new(
                "uplinks_per_second",
                "Average rate of uplinks one gateway may send; each rxpk and each stat report costs one token.\n\
                 Excess uplinks are counted and dropped; 0 disables the limit.",
            ),
            KeyDoc::new(
                "uplink_burst",
                "How many uplinks one gateway may send at once above the average rate (the token bucket size).",
            ),
            KeyDoc::new(
                "max_gateways",
                "Most gateways one replica tracks at a time.\n\
                 Datagrams from further gateways are dropped until silent ones expire, which bounds memory under a flood of forged EUIs.",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        // The path names the key rather than the element, so the error can tell whether the
        // file or the environment set it.
        for eui in &self.allowed_gateways {
            checks.require(
                is_eui(eui),
                "gateway.allowed_gateways",
                &text(eui),
                "every entry must be a gateway EUI of 16 hex digits",
            );
        }
        checks.positive("gateway.pull_data_timeout", self.pull_data_timeout);
        checks.positive("gateway.tx_ack_timeout", self.tx_ack_timeout);
        checks.require(
            self.uplinks_per_second == 0 || self.uplink_burst >= 1,
            "gateway.uplink_burst",
            &Value::Integer(i64::from(self.uplink_burst)),
            "must be at least 1 when uplinks_per_second is set",
        );
        checks.at_least_one("gateway.max_gateways", self.max_gateways);
    }
}

/// Tells whether `text` is an EUI-64 written as 16 hex digits (either case).
fn is_eui(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui_shape_table() {
        let cases = [
            ("aa555a0000000101", true),
            ("AA555A0000000101", true),
            ("aa555a000000010", false),
            ("aa555a00000001011", false),
            ("aa555a000000010g", false),
            ("aa-55-5a-00-00-00-01-01", false),
            ("", false),
        ];
        for (eui, want) in cases {
            assert_eq!(is_eui(eui), want, "{eui:?}");
        }
    }

    #[test]
    fn check_reports_every_bad_key() {
        let config = GatewayConfig {
            allowed_gateways: vec!["aa555a0000000101".into(), "nope".into()],
            pull_data_timeout: Duration::ZERO,
            tx_ack_timeout: Duration::ZERO,
            uplinks_per_second: 10,
            uplink_burst: 0,
            max_gateways: 0,
            ..GatewayConfig::default()
        };
        let mut checks = Checks::default();
        config.check(&mut checks);
        let paths: Vec<&str> = checks.findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "gateway.allowed_gateways",
                "gateway.pull_data_timeout",
                "gateway.tx_ack_timeout",
                "gateway.uplink_burst",
                "gateway.max_gateways",
            ]
        );
    }

    #[test]
    fn default_passes_checks_and_burst_may_be_zero_without_limit() {
        for config in [
            GatewayConfig::default(),
            GatewayConfig {
                uplinks_per_second: 0,
                uplink_burst: 0,
                ..GatewayConfig::default()
            },
        ] {
            let mut checks = Checks::default();
            config.check(&mut checks);
            assert!(checks.findings.is_empty(), "{:?}", checks.findings);
        }
    }

    #[test]
    fn loads_allowed_gateways_from_file_and_env_and_names_the_origin_of_a_bad_one() {
        use std::collections::HashMap;

        use crate::{Config, ConfigError, Origin};

        let file =
            "[gateway]\nallowed_gateways = [\"aa555a0000000101\"]\ntx_ack_timeout = \"250ms\"\n";
        let config = Config::load(file, &HashMap::new()).unwrap();
        assert_eq!(config.gateway.allowed_gateways, ["aa555a0000000101"]);
        assert_eq!(config.gateway.tx_ack_timeout, Duration::from_millis(250));

        let env = HashMap::from([(
            "TERN_GATEWAY__ALLOWED_GATEWAYS".to_owned(),
            "[\"0102030405060708\", \"xyz\"]".to_owned(),
        )]);
        let Err(ConfigError::Problems(problems)) = Config::load(file, &env) else {
            panic!("a bad EUI must be rejected");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "gateway.allowed_gateways");
        assert_eq!(problems[0].value.as_deref(), Some("\"xyz\""));
        assert_eq!(
            problems[0].origin,
            Origin::Env("TERN_GATEWAY__ALLOWED_GATEWAYS".to_owned())
        );
    }
}
