//! The `[application]` section: the application server's schema, key-encryption key, event
//! stream, webhook retry policy, payload formatter limits and gRPC listener.
//!
//! The KEK is optional here: the application server unwraps AppSKeys wrapped by the join server,
//! so it must use the join server's KEK; when this section leaves it unset, the binary hands the
//! application service `[join] kek` and `kek_label`. This module does not parse the KEK's hex.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::join::is_schema_name;
use crate::schema::{KeyDoc, SectionDoc};
use crate::secret::Secret;
use crate::validate::{Checks, text};

/// Application server settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApplicationConfig {
    /// PostgreSQL schema holding devices, formatters and integrations.
    pub schema: String,
    /// Key-encryption key (32 hex digits) the AppSKeys arrive wrapped under; `None` takes
    /// `[join] kek`.
    pub kek: Option<Secret<String>>,
    /// Label of `kek`; `None` takes `[join] kek_label`.
    pub kek_label: Option<String>,
    /// JetStream stream keeping application events.
    pub events_stream: String,
    /// How long the stream keeps an event.
    #[serde(with = "humantime_serde")]
    pub events_max_age: Duration,
    /// Most bytes the stream keeps; older events go first.
    pub events_max_bytes: u64,
    /// How long an application's session state lives in Redis without traffic.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// Most uplinks one replica handles at once.
    pub max_in_flight: u32,
    /// Deadline for the network server's answer on `ns.queue`.
    #[serde(with = "humantime_serde")]
    pub queue_request_timeout: Duration,
    /// Most deliveries of one event to a webhook, the first included.
    pub webhook_max_attempts: u32,
    /// Wait before the second delivery attempt; doubles after each failure.
    #[serde(with = "humantime_serde")]
    pub webhook_initial_backoff: Duration,
    /// Longest wait between two attempts.
    #[serde(with = "humantime_serde")]
    pub webhook_max_backoff: Duration,
    /// Deadline of one webhook request.
    #[serde(with = "humantime_serde")]
    pub webhook_timeout: Duration,
    /// Most events waiting per integration; further events are dropped with an `error` event.
    pub integration_queue_len: u32,
    /// Longest run of one JavaScript formatter call.
    #[serde(with = "humantime_serde")]
    pub formatter_timeout: Duration,
    /// Most memory one JavaScript formatter runtime may allocate, in bytes.
    pub formatter_memory_limit_bytes: u32,
    /// Address of the gRPC downlink API; `None` serves no gRPC.
    pub grpc_listen: Option<String>,
}

impl Default for ApplicationConfig {
    fn default() -> Self {
        Self {
            schema: String::from("application"),
            kek: None,
            kek_label: None,
            events_stream: String::from("TERN_APP_EVENTS"),
            events_max_age: Duration::from_secs(7 * 24 * 3600),
            events_max_bytes: 1 << 30,
            session_ttl: Duration::from_secs(31 * 24 * 3600),
            max_in_flight: 256,
            queue_request_timeout: Duration::from_secs(2),
            webhook_max_attempts: 8,
            webhook_initial_backoff: Duration::from_secs(1),
            webhook_max_backoff: Duration::from_secs(60),
            webhook_timeout: Duration::from_secs(10),
            integration_queue_len: 1024,
            formatter_timeout: Duration::from_millis(100),
            formatter_memory_limit_bytes: 16 << 20,
            grpc_listen: None,
        }
    }
}

impl ApplicationConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "application",
        doc: "Application server: payload decryption, formatters, events, integrations and the downlink queue.",
        keys: &[
            KeyDoc::new(
                "schema",
                "PostgreSQL schema holding devices, payload formatters and integrations.\n\
                 Created and migrated at start-up.\n\
                 Lowercase letters, digits and '_', starting with a letter or '_'.",
            ),
            KeyDoc::optional(
                "kek",
                "Key-encryption key, 32 hex digits (AES-128), that AppSKeys arrive wrapped under.\n\
                 It must be the join server's KEK; when unset, `[join] kek` is used.\n\
                 AppSKeys stay wrapped under it in Redis.",
                "\"00112233445566778899aabbccddeeff\"",
            )
            .secret(),
            KeyDoc::optional(
                "kek_label",
                "Label of `kek`, as the join server sends it; when unset, `[join] kek_label` is used.",
                "\"default\"",
            ),
            KeyDoc::new(
                "events_stream",
                "JetStream stream keeping the application events (`app.*.*.*`), created at start-up when missing.\n\
                 Deployments sharing one NATS server with different subject roots need different names.",
            ),
            KeyDoc::new(
                "events_max_age",
                "How long the event stream keeps an event, so consumers that were down can replay what they missed.",
            ),
            KeyDoc::new(
                "events_max_bytes",
                "Most bytes the event stream keeps; the oldest events are discarded first.",
            ),
            KeyDoc::new(
                "session_ttl",
                "How long a device's application session (wrapped AppSKey, counters) lives in Redis without traffic.",
            ),
            KeyDoc::new(
                "max_in_flight",
                "Most uplinks one replica handles at once; further ones wait until one finishes.",
            ),
            KeyDoc::new(
                "queue_request_timeout",
                "Deadline for the network server's answer to a downlink queue request on `ns.queue`.",
            ),
            KeyDoc::new(
                "webhook_max_attempts",
                "Most deliveries of one event to a webhook, the first included; then an `error` event reports the failure.",
            ),
            KeyDoc::new(
                "webhook_initial_backoff",
                "Wait before the second delivery attempt of a webhook; it doubles after every failed attempt.",
            ),
            KeyDoc::new(
                "webhook_max_backoff",
                "Longest wait between two delivery attempts of a webhook.",
            ),
            KeyDoc::new("webhook_timeout", "Deadline of one webhook HTTP request."),
            KeyDoc::new(
                "integration_queue_len",
                "Most events waiting for one integration (webhook or MQTT) of an application.\n\
                 When it is full, further events are dropped for that integration and an `error` event says so.",
            ),
            KeyDoc::new(
                "formatter_timeout",
                "Longest run of one JavaScript payload formatter call; a longer one is stopped and reported as an `error` event.",
            ),
            KeyDoc::new(
                "formatter_memory_limit_bytes",
                "Most memory one JavaScript payload formatter runtime may allocate, in bytes.",
            ),
            KeyDoc::optional(
                "grpc_listen",
                "Address of the gRPC downlink API (`tern.api.v1.DownlinkService`); unset serves no gRPC.",
                "\"0.0.0.0:8091\"",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        checks.require(
            is_schema_name(&self.schema),
            "application.schema",
            &text(&self.schema),
            "must be 1 to 63 lowercase letters, digits and '_', starting with a letter or '_', not 'pg_'",
        );
        checks.require(
            is_stream_name(&self.events_stream),
            "application.events_stream",
            &text(&self.events_stream),
            "must be 1 to 255 letters, digits, '_' or '-'",
        );
        checks.positive("application.events_max_age", self.events_max_age);
        checks.require(
            self.events_max_bytes > 0 && i64::try_from(self.events_max_bytes).is_ok(),
            "application.events_max_bytes",
            &text(&self.events_max_bytes.to_string()),
            "must be between 1 and 2^63-1",
        );
        checks.positive("application.session_ttl", self.session_ttl);
        checks.at_least_one("application.max_in_flight", self.max_in_flight);
        checks.positive(
            "application.queue_request_timeout",
            self.queue_request_timeout,
        );
        checks.at_least_one(
            "application.webhook_max_attempts",
            self.webhook_max_attempts,
        );
        checks.positive(
            "application.webhook_initial_backoff",
            self.webhook_initial_backoff,
        );
        checks.require(
            self.webhook_max_backoff >= self.webhook_initial_backoff,
            "application.webhook_max_backoff",
            &text(&humantime::format_duration(self.webhook_max_backoff).to_string()),
            "must be at least webhook_initial_backoff",
        );
        checks.positive("application.webhook_timeout", self.webhook_timeout);
        checks.at_least_one(
            "application.integration_queue_len",
            self.integration_queue_len,
        );
        checks.positive("application.formatter_timeout", self.formatter_timeout);
        checks.require(
            self.formatter_memory_limit_bytes >= 1 << 20,
            "application.formatter_memory_limit_bytes",
            &toml::Value::Integer(i64::from(self.formatter_memory_limit_bytes)),
            "must be at least 1048576",
        );
        if let Some(listen) = &self.grpc_listen {
            checks.require(
                listen.parse::<std::net::SocketAddr>().is_ok(),
                "application.grpc_listen",
                &text(listen),
                "must be a socket address such as 0.0.0.0:8091",
            );
        }
        if let Some(label) = &self.kek_label {
            checks.non_empty("application.kek_label", label);
        }
    }
}

/// Tells whether `name` is a valid JetStream stream name (no spaces, dots, wildcards or path
/// separators).
pub(crate) fn is_stream_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_passes_its_own_checks() {
        let mut checks = Checks::default();
        ApplicationConfig::default().check(&mut checks);
        assert!(checks.findings.is_empty(), "{:?}", checks.findings);
    }

    #[test]
    fn reports_every_bad_key() {
        let config = ApplicationConfig {
            schema: "App".to_owned(),
            events_stream: "a.b".to_owned(),
            events_max_age: Duration::ZERO,
            events_max_bytes: 0,
            webhook_max_attempts: 0,
            webhook_initial_backoff: Duration::from_secs(10),
            webhook_max_backoff: Duration::from_secs(1),
            formatter_memory_limit_bytes: 10,
            grpc_listen: Some("nowhere".to_owned()),
            ..ApplicationConfig::default()
        };
        let mut checks = Checks::default();
        config.check(&mut checks);
        let paths: Vec<&str> = checks.findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "application.schema",
                "application.events_stream",
                "application.events_max_age",
                "application.events_max_bytes",
                "application.webhook_max_attempts",
                "application.webhook_max_backoff",
                "application.formatter_memory_limit_bytes",
                "application.grpc_listen",
            ]
        );
    }

    #[test]
    fn stream_name_table() {
        for (name, want) in [
            ("TERN_APP_EVENTS", true),
            ("a-b_1", true),
            ("", false),
            ("a.b", false),
            ("a b", false),
            ("a*", false),
        ] {
            assert_eq!(is_stream_name(name), want, "{name:?}");
        }
    }
}
