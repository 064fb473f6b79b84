//! The `[redis]` section: the Redis server holding hot state such as device sessions.
//!
//! Key strings are built in each service's `keys.rs`; this section holds only their prefix.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::schema::{KeyDoc, SectionDoc};
use crate::secret::Secret;
use crate::validate::{Checks, text};

/// Redis connection settings shared by every service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// Server URL without password, e.g. `redis://127.0.0.1:6379/0`.
    pub url: String,
    /// Optional password (or ACL password of the user named in `url`).
    pub password: Option<Secret<String>>,
    /// Prefix of every key, e.g. `tern:`.
    pub key_prefix: String,
    /// Number of connections in the pool per process.
    pub pool_size: u32,
    /// Timeout for establishing a connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Timeout for one command.
    #[serde(with = "humantime_serde")]
    pub command_timeout: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: String::from("redis://127.0.0.1:6379"),
            password: None,
            key_prefix: String::from("tern:"),
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(2),
        }
    }
}

impl RedisConfig {
    pub(crate) const DOCS: SectionDoc = SectionDoc {
        path: "redis",
        doc: "Redis server for hot state: device sessions, deduplication, downlink queues.",
        keys: &[
            KeyDoc::new(
                "url",
                "Server URL: redis:// or rediss:// (TLS), optionally with a user and database number,\n\
                 or the redis-cluster://, rediss-cluster://, redis-sentinel:// and rediss-sentinel:// forms.\n\
                 Keep the password out of the URL: set `password`.",
            ),
            KeyDoc::optional(
                "password",
                "Password, or the ACL password of the user named in `url`.",
                "\"change-me\"",
            )
            .secret(),
            KeyDoc::new(
                "key_prefix",
                "Prefix of every key; give each deployment sharing one Redis server its own prefix.",
            ),
            KeyDoc::new(
                "pool_size",
                "Number of connections in the pool per process.",
            ),
            KeyDoc::new("connect_timeout", "Timeout for establishing a connection."),
            KeyDoc::new("command_timeout", "Timeout for one command."),
        ],
    };

    pub(crate) fn check(&self, checks: &mut Checks) {
        checks.url(
            "redis.url",
            &self.url,
            &[
                "redis",
                "rediss",
                "redis-cluster",
                "rediss-cluster",
                "redis-sentinel",
                "rediss-sentinel",
            ],
            "scheme must be redis://, rediss:// or a redis-cluster/redis-sentinel form",
        );
        checks.require(
            !self.key_prefix.is_empty() && !self.key_prefix.chars().any(char::is_whitespace),
            "redis.key_prefix",
            &text(&self.key_prefix),
            "must be non-empty without whitespace",
        );
        checks.at_least_one("redis.pool_size", self.pool_size);
        checks.positive("redis.connect_timeout", self.connect_timeout);
        checks.positive("redis.command_timeout", self.command_timeout);
    }
}
