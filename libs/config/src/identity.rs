//! The `[identity]` section: the identity service's schema, gRPC listener, first-start
//! bootstrap and key-encryption key.
//!
//! This module only describes the settings; the service creates the admin user and key.
//! The KEK is optional here: ABP session keys are wrapped under the KEK the join and
//! application servers share, so when this section leaves it unset the binary hands the
//! identity service `[join] kek` and `kek_label`. This module does not parse the KEK's hex.

use std::net::{Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::application::is_stream_name;
use crate::join::is_schema_name;
use crate::schema::{KeyDoc, SectionDoc};
use crate::secret::Secret;
use crate::validate::{Checks, text};

/// Identity service settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Address of the public gRPC API.
    pub listen: SocketAddr,
    /// PostgreSQL schema holding tenants, users, API keys, applications, profiles, devices and
    /// gateways.
    pub schema: String,
    /// Username of the admin user created on the first start against an empty database.
    pub bootstrap_admin_username: String,
    /// JetStream stream holding the application events that `EventService` streams.
    pub events_stream: String,
    /// URL of the application service's gRPC downlink API that `DownlinkService` calls are
    /// forwarded to; `None` refuses them as unavailable.
    pub application_grpc_url: Option<String>,
    /// Key-encryption key (32 hex digits) that ABP session keys are wrapped under, in the
    /// registry and for the application service; `None` takes the application's KEK (itself
    /// defaulting to `[join] kek`).
    pub kek: Option<Secret<String>>,
    /// Label of `kek`; `None` takes the application's label (itself defaulting to
    /// `[join] kek_label`).
    pub kek_label: Option<String>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            // Port 9090 is the admin server's default, so the API takes the next one.
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 9091)),
            schema: String::from("identity"),
            bootstrap_admin_username: String::from("admin"),
            // The application service's default, so the pair works without configuration.
            events_stream: String::from("TERN_APP_EVENTS"),
            application_grpc_url: None,
            kek: None,
            kek_label: None,
        }
    }
}

impl IdentityConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "identity",
        doc: "Identity service: the registry (tenants, users, API keys, applications, device profiles, devices, gateways) and the public gRPC API.",
        keys: &[
            KeyDoc::new(
                "listen",
                "Address of the public gRPC API (package tern.api.v1, with server reflection and the gRPC health service).",
            ),
            KeyDoc::new(
                "schema",
                "PostgreSQL schema holding the registry.\n\
                 Created and migrated at start-up.\n\
                 Lowercase letters, digits and '_', starting with a letter or '_'.",
            ),
            KeyDoc::new(
                "bootstrap_admin_username",
                "Username of the admin user created on the first start against an empty schema.\n\
                 That start also creates an admin API key and prints it once; later starts create nothing.",
            ),
            KeyDoc::new(
                "events_stream",
                "JetStream stream the application service keeps its events in (`[application] events_stream`).\n\
                 `EventService.StreamEvents` reads it with ephemeral ordered consumers and never creates it.",
            ),
            KeyDoc::optional(
                "application_grpc_url",
                "URL of the application service's gRPC downlink API (`[application] grpc_listen`).\n\
                 `DownlinkService` calls pass the API key's checks here and are then forwarded there.\n\
                 When unset, `tern serve` running both services uses the application's `grpc_listen`; otherwise the calls answer UNAVAILABLE.",
                "\"http://127.0.0.1:8091\"",
            ),
            KeyDoc::optional(
                "kek",
                "Key-encryption key, 32 hex digits (AES-128), that `DeviceService.Activate` wraps ABP session keys under.\n\
                 The AppSKey goes to the application service wrapped under it, so it must be the application service's KEK; when unset, `[application] kek` is used, which itself defaults to `[join] kek`.\n\
                 The registry keeps an activated device's session keys wrapped under it, so device and profile changes can send them again.\n\
                 Without a KEK, Activate answers FAILED_PRECONDITION.",
                "\"00112233445566778899aabbccddeeff\"",
            )
            .secret(),
            KeyDoc::optional(
                "kek_label",
                "Label of `kek`, as the application service knows it; when unset, `[application] kek_label` is used, which itself defaults to `[join] kek_label`.",
                "\"default\"",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        checks.require(
            is_stream_name(&self.events_stream),
            "identity.events_stream",
            &text(&self.events_stream),
            "must be 1 to 255 letters, digits, '_' or '-'",
        );
        if let Some(url) = &self.application_grpc_url {
            checks.require(
                url.starts_with("http://") || url.starts_with("https://"),
                "identity.application_grpc_url",
                &text(url),
                "must start with http:// or https://",
            );
        }
        if let Some(label) = &self.kek_label {
            checks.non_empty("identity.kek_label", label);
        }
        checks.require(
            is_schema_name(&self.schema),
            "identity.schema",
            &text(&self.schema),
            "must be 1 to 63 lowercase letters, digits and '_', starting with a letter or '_', not 'pg_'",
        );
        checks.require(
            is_slug(&self.bootstrap_admin_username),
            "identity.bootstrap_admin_username",
            &text(&self.bootstrap_admin_username),
            "must be 2 to 36 characters of a-z, 0-9 and '-', starting and ending with a letter or digit",
        );
    }
}

/// Tells whether `name` is a registry identifier: 2 to 36 characters of `a-z`, `0-9` and `-`,
/// starting and ending with a letter or digit.
fn is_slug(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (2..=36).contains(&name.len())
        && name.chars().all(|c| alnum(c) || c == '-')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_passes_its_own_checks() {
        let mut checks = Checks::default();
        IdentityConfig::default().check(&mut checks);
        assert!(checks.findings.is_empty(), "{:?}", checks.findings);
    }

    #[test]
    fn reports_bad_schema_and_username() {
        let config = IdentityConfig {
            schema: "Identity".to_owned(),
            bootstrap_admin_username: "-admin".to_owned(),
            ..IdentityConfig::default()
        };
        let mut checks = Checks::default();
        config.check(&mut checks);
        let paths: Vec<&str> = checks.findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["identity.schema", "identity.bootstrap_admin_username"]
        );
    }

    #[test]
    fn kek_loads_from_the_environment_redacted_and_an_empty_label_is_reported() {
        let kek = "00112233445566778899aabbccddeeff";
        let env =
            std::collections::HashMap::from([("TERN_IDENTITY__KEK".to_owned(), kek.to_owned())]);
        let config = crate::Config::load("[identity]\nkek_label = \"k1\"\n", &env).unwrap();
        assert_eq!(config.identity.kek.as_ref().unwrap().expose(), kek);
        assert_eq!(config.identity.kek_label.as_deref(), Some("k1"));
        assert!(!format!("{config:?}").contains(kek));
        let mut checks = Checks::default();
        IdentityConfig {
            kek_label: Some(String::new()),
            ..IdentityConfig::default()
        }
        .check(&mut checks);
        let paths: Vec<&str> = checks.findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["identity.kek_label"]);
    }
}
