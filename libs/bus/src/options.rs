//! Connection settings of a [`Bus`](crate::Bus), handed in by the binary.
//!
//! This crate never reads configuration files or the environment; the config crate
//! maps its `[nats]` section onto [`BusOptions`].
//! With credentials, the NATS user needs publish and subscribe rights on `_INBOX.>`
//! (request/reply and [`Bus::flush`](crate::Bus::flush) use inboxes) besides the root.

use std::path::PathBuf;
use std::time::Duration;

/// How to reach NATS and which subject root to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusOptions {
    /// Server URL(s), comma separated (`nats://127.0.0.1:4222`; `tls://` requires TLS).
    pub url: String,
    /// Subject root, a single token (default `tern`); lets deployments and tests
    /// share one NATS server.
    pub subject_root: String,
    /// NATS credentials file (JWT and NKey seed), when the server requires one.
    pub credentials_file: Option<PathBuf>,
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
            name: "tern".to_owned(),
            connection_timeout: Duration::from_secs(5),
        }
    }
}
