//! The `[admin]` section: where the admin HTTP server (`/healthz`, `/readyz`, `/metrics`) listens.
//!
//! The server itself lives in `tern-telemetry`.

use std::net::{Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::schema::{KeyDoc, SectionDoc};

/// Admin HTTP server settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Socket address the admin server binds.
    pub listen: SocketAddr,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 9090)),
        }
    }
}

impl AdminConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "admin",
        doc: "Admin HTTP server: /healthz, /readyz and /metrics (Prometheus).",
        keys: &[KeyDoc::new(
            "listen",
            "Socket address to bind.\n\
             Loopback by default; containers set `0.0.0.0:9090` so probes and scrapers can reach it.",
        )],
    };
}
