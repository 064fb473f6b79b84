//! The `[join]` section: the join server's schema, key-encryption key and DevNonce policy.
//!
//! The KEK is optional here because only the join service needs it; the join service refuses
//! to start without a well-formed one. This module does not parse the KEK's hex: the service
//! does, so that other services never fail on a join-only setting.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::schema::{KeyDoc, SectionDoc};
use crate::secret::Secret;
use crate::validate::{Checks, text};

/// Most DevNonces a device can ever use: the DevNonce is 16 bits.
const MAX_DEV_NONCE_HISTORY: u32 = 1 << 16;

/// Join server settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JoinConfig {
    /// PostgreSQL schema holding root keys, DevNonce history and JoinNonce counters.
    pub schema: String,
    /// Key-encryption key (32 hex digits) wrapping root keys at rest and AppSKeys in answers.
    pub kek: Option<Secret<String>>,
    /// Label stored and sent with everything wrapped under `kek`.
    pub kek_label: String,
    /// How many past DevNonces are kept per LoRaWAN 1.0.0–1.0.3 device.
    pub dev_nonce_history: u32,
    /// Most join-requests one replica handles at once.
    pub max_in_flight: u32,
    /// Deadline for answering one join-request.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
}

impl Default for JoinConfig {
    fn default() -> Self {
        Self {
            schema: String::from("join"),
            kek: None,
            kek_label: String::from("default"),
            dev_nonce_history: 1024,
            max_in_flight: 64,
            request_timeout: Duration::from_secs(1),
        }
    }
}

impl JoinConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "join",
        doc: "Join server: OTAA joins and rejoins, root keys and nonces.",
        keys: &[
            KeyDoc::new(
                "schema",
                "PostgreSQL schema holding root keys, DevNonce history and JoinNonce counters.\n\
                 Created and migrated at start-up.\n\
                 Lowercase letters, digits and '_', starting with a letter or '_'.",
            ),
            KeyDoc::optional(
                "kek",
                "Key-encryption key, 32 hex digits (AES-128), required by the join service.\n\
                 Wraps root keys at rest and the AppSKey handed to the application server (RFC 3394).\n\
                 Keep it the same across replicas and restarts: keys wrapped under a lost KEK are lost.",
                "\"00112233445566778899aabbccddeeff\"",
            )
            .secret(),
            KeyDoc::new(
                "kek_label",
                "Label stored and sent with every key wrapped under `kek`, naming it for the unwrapping side.",
            ),
            KeyDoc::new(
                "dev_nonce_history",
                "How many past DevNonces are kept per LoRaWAN 1.0.0 to 1.0.3 device, whose DevNonce is random.\n\
                 A join-request reusing one of them is rejected; older ones are forgotten.\n\
                 LoRaWAN 1.0.4 and 1.1 devices count up instead: their DevNonce must exceed the last accepted one.\n\
                 Between 1 and 65536.",
            ),
            KeyDoc::new(
                "max_in_flight",
                "Most join-requests one replica handles at once; further ones wait until one finishes.",
            ),
            KeyDoc::new(
                "request_timeout",
                "Deadline for answering one join-request; past it the request is answered with an internal error.",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        checks.require(
            is_schema_name(&self.schema),
            "join.schema",
            &text(&self.schema),
            "must be 1 to 63 lowercase letters, digits and '_', starting with a letter or '_', not 'pg_'",
        );
        checks.non_empty("join.kek_label", &self.kek_label);
        checks.require(
            (1..=MAX_DEV_NONCE_HISTORY).contains(&self.dev_nonce_history),
            "join.dev_nonce_history",
            &toml::Value::Integer(i64::from(self.dev_nonce_history)),
            "must be between 1 and 65536",
        );
        checks.at_least_one("join.max_in_flight", self.max_in_flight);
        checks.positive("join.request_timeout", self.request_timeout);
    }
}

/// Tells whether `name` is a plain lowercase PostgreSQL identifier usable as a schema.
pub(crate) fn is_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
        && !name.starts_with("pg_")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn schema_name_table() {
        let cases = [
            ("join", true),
            ("_join2", true),
            ("", false),
            ("Join", false),
            ("2join", false),
            ("join-server", false),
            ("pg_join", false),
            ("join; drop", false),
        ];
        for (name, want) in cases {
            assert_eq!(is_schema_name(name), want, "{name:?}");
        }
    }

    #[test]
    fn default_passes_its_own_checks() {
        let mut checks = Checks::default();
        JoinConfig::default().check(&mut checks);
        assert!(checks.findings.is_empty(), "{:?}", checks.findings);
    }

    #[test]
    fn kek_loads_from_the_environment_and_prints_redacted() {
        let kek = "00112233445566778899aabbccddeeff";
        let env = HashMap::from([("TERN_JOIN__KEK".to_owned(), kek.to_owned())]);
        let config = crate::Config::load("[join]\nkek_label = \"k1\"\n", &env).unwrap();
        assert_eq!(config.join.kek.as_ref().unwrap().expose(), kek);
        assert_eq!(config.join.kek_label, "k1");
        assert!(!format!("{config:?}").contains(kek));
    }

    #[test]
    fn a_malformed_kek_loads_so_that_services_without_it_still_start() {
        // The join service rejects it when it starts; see the module docs.
        let config = crate::Config::load("[join]\nkek = \"not hex\"\n", &HashMap::new()).unwrap();
        assert_eq!(config.join.kek.unwrap().expose(), "not hex");
    }

    #[test]
    fn reports_every_bad_key() {
        let config = JoinConfig {
            schema: "Join".to_owned(),
            kek_label: " ".to_owned(),
            dev_nonce_history: 0,
            max_in_flight: 0,
            request_timeout: Duration::ZERO,
            ..JoinConfig::default()
        };
        let mut checks = Checks::default();
        config.check(&mut checks);
        let paths: Vec<&str> = checks.findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "join.schema",
                "join.kek_label",
                "join.dev_nonce_history",
                "join.max_in_flight",
                "join.request_timeout"
            ]
        );
    }
}
