//! The `[postgres]` section: the PostgreSQL database holding every service's schema.
//!
//! Each service uses only its own schema in this database; schema names are not configured here.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::schema::{KeyDoc, SectionDoc};
use crate::secret::Secret;
use crate::validate::Checks;

/// PostgreSQL connection and pool settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresConfig {
    /// Connection URL without password, e.g. `postgresql://tern@db:5432/tern`.
    pub url: String,
    /// Optional password, kept out of the URL so it is never logged.
    pub password: Option<Secret<String>>,
    /// Maximum number of pooled connections per process.
    pub pool_max_size: u32,
    /// Timeout for opening one connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Timeout for waiting on a free pooled connection.
    #[serde(with = "humantime_serde")]
    pub pool_wait_timeout: Duration,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            url: String::from("postgresql://postgres@127.0.0.1:5432/tern"),
            password: None,
            pool_max_size: 16,
            connect_timeout: Duration::from_secs(5),
            pool_wait_timeout: Duration::from_secs(5),
        }
    }
}

impl PostgresConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "postgres",
        doc: "PostgreSQL database; each service keeps its tables in its own schema.",
        keys: &[
            KeyDoc::new(
                "url",
                "Connection URL (postgres:// or postgresql://) with user, host, port and database.\n\
                 Query parameters such as `sslmode=require` are passed on.\n\
                 Keep the password out of the URL: set `password`.",
            ),
            KeyDoc::optional(
                "password",
                "Password of the user named in `url`.",
                "\"change-me\"",
            )
            .secret(),
            KeyDoc::new(
                "pool_max_size",
                "Maximum number of pooled connections per process.",
            ),
            KeyDoc::new("connect_timeout", "Timeout for opening one connection."),
            KeyDoc::new(
                "pool_wait_timeout",
                "Timeout for waiting on a free pooled connection.",
            ),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        checks.url(
            "postgres.url",
            &self.url,
            &["postgres", "postgresql"],
            "scheme must be postgres:// or postgresql://",
        );
        checks.at_least_one("postgres.pool_max_size", self.pool_max_size);
        checks.positive("postgres.connect_timeout", self.connect_timeout);
        checks.positive("postgres.pool_wait_timeout", self.pool_wait_timeout);
    }
}
