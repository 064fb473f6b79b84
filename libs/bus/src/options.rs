//! Connection settings of a [`Bus`](crate::Bus), handed in by the binary.
//!
//! This crate never reads configuration files or the environment; the config crate
//! maps its `[nats]` section onto [`BusOptions`].
//! With credentials, the NATS user needs publish and subscribe rights on `_INBOX.>`
//! (request/reply and [`Bus::flush`](crate::Bus::flush) use inboxes) besides the root.

use std::path::PathBuf;
use std::time::Duration;

/// How to reach NATS and which subject root to use.
#[derive(Clone, PartialEq, Eq)]
pub struct BusOptions {
    /// Server URL(s), comma separated (`nats://127.0.0.1:4222`; `tls://` requires TLS).
    pub url: String,
    /// Subject root, a single token (default `tern`); lets deployments and tests
    /// share one NATS server.
    pub subject_root: String,
    /// NATS credentials file (JWT and NKey seed), when the server requires one.
    pub credentials_file: Option<PathBuf>,
    /// Password of the user named in the URL (`nats://tern@host:4222`), kept out of the URL
    /// so it never shows in logs.
    pub password: Option<String>,
    /// Connection name shown by the server's monitoring (`tern-network`, ...).
    pub name: String,
    /// How long to wait for the initial connection, and for the server to confirm a
    /// [`Bus::flush`](crate::Bus::flush) (which every subscribe performs).
    pub connection_timeout: Duration,
}

impl Default for BusOptions {
    fn default() -> BusOptions {
        BusOptions {
            url: "nats://127.0.0.1:4222".to_owned(),
            subject_root: crate::Subjects::DEFAULT_ROOT.to_owned(),
            credentials_file: None,
            password: None,
            name: "tern".to_owned(),
            connection_timeout: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for BusOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusOptions")
            .field("url", &self.url)
            .field("subject_root", &self.subject_root)
            .field("credentials_file", &self.credentials_file)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("name", &self.name)
            .field("connection_timeout", &self.connection_timeout)
            .finish()
    }
}

/// Returns the user name in the first URL (`nats://user@host`), if any.
pub(crate) fn url_user(url: &str) -> Option<&str> {
    let first = url.split(',').next()?.trim();
    let after_scheme = first.split_once("://").map_or(first, |(_, rest)| rest);
    let (user_info, _) = after_scheme.split_once('@')?;
    let user = user_info
        .split_once(':')
        .map_or(user_info, |(user, _)| user);
    (!user.is_empty()).then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_user_reads_the_user_of_the_first_url() {
        assert_eq!(url_user("nats://tern@127.0.0.1:4222"), Some("tern"));
        assert_eq!(url_user("nats://a@h1:4222, nats://b@h2:4222"), Some("a"));
        assert_eq!(url_user("nats://127.0.0.1:4222"), None);
        assert_eq!(url_user("tern@127.0.0.1"), Some("tern"));
    }

    #[test]
    fn debug_redacts_the_password() {
        let options = BusOptions {
            password: Some("hunter2".to_owned()),
            ..BusOptions::default()
        };
        assert!(!format!("{options:?}").contains("hunter2"));
    }
}
