//! The `[nats]` section: how every service reaches the NATS bus.
//!
//! Subject names are built in `tern-bus`; this section holds only the root they hang under.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::schema::{KeyDoc, SectionDoc};
use crate::secret::Secret;
use crate::validate::{Checks, text};

/// NATS connection settings shared by every service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatsConfig {
    /// Comma-separated server URLs; a user name may go in the URL, the password goes in `password`.
    pub url: String,
    /// First token of every subject, e.g. `tern` gives `tern.up`.
    pub subject_root: String,
    /// Optional NATS credentials file (JWT and NKey seed).
    pub credentials_file: Option<PathBuf>,
    /// Optional password for the user named in `url`.
    pub password: Option<Secret<String>>,
    /// Name the connection reports to the server.
    pub connection_name: String,
    /// Timeout for establishing the connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Timeout for a request/reply round trip.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: String::from("nats://127.0.0.1:4222"),
            subject_root: String::from("tern"),
            credentials_file: None,
            password: None,
            connection_name: String::from("tern"),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(2),
        }
    }
}

impl NatsConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "nats",
        doc: "NATS bus shared by every service.",
        keys: &[
            KeyDoc::new(
                "url",
                "Server URL, or several separated by commas (nats://, tls://, ws:// or wss://).\n\
                 A user name may go in the URL (nats://tern@host:4222); the password goes in `password`.",
            ),
            KeyDoc::new(
                "subject_root",
                "First token of every subject, e.g. `tern` gives `tern.up`.\n\
                 Give each deployment sharing one NATS server its own root.\n\
                 One subject token: no `.`, `*`, `>` or whitespace.",
            ),
            KeyDoc::optional(
                "credentials_file",
                "NATS credentials file (JWT and NKey seed), read when connecting.",
                "\"/etc/tern/nats.creds\"",
            ),
            KeyDoc::optional(
                "password",
                "Password of the user named in `url`.",
                "\"change-me\"",
            )
            .secret(),
            KeyDoc::new(
                "connection_name",
                "Name the connection reports to the server, shown by `nats server report connections`.",
            ),
            KeyDoc::new(
                "connect_timeout",
                "Timeout for establishing the connection.",
            ),
            KeyDoc::new(
                "request_timeout",
                "Timeout for one request/reply round trip.",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        for url in self.url.split(',') {
            checks.url(
                "nats.url",
                url.trim(),
                &["nats", "tls", "ws", "wss"],
                "scheme must be nats://, tls://, ws:// or wss://",
            );
        }
        checks.require(
            is_subject_token(&self.subject_root),
            "nats.subject_root",
            &text(&self.subject_root),
            "must be one non-empty subject token: no '.', '*', '>' or whitespace",
        );
        checks.non_empty("nats.connection_name", &self.connection_name);
        checks.positive("nats.connect_timeout", self.connect_timeout);
        checks.positive("nats.request_timeout", self.request_timeout);
    }
}

/// Tells whether `token` is one valid NATS subject token.
fn is_subject_token(token: &str) -> bool {
    !token.is_empty()
        && !token
            .chars()
            .any(|c| c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_token_table() {
        let cases = [
            ("tern", true),
            ("tern-test_42", true),
            ("", false),
            ("a.b", false),
            ("a*", false),
            (">", false),
            ("a b", false),
            ("a\tb", false),
            ("a\u{0}", false),
        ];
        for (token, want) in cases {
            assert_eq!(is_subject_token(token), want, "token {token:?}");
        }
    }
}
