//! Tern configuration model: one `Config` read from a TOML file plus `TERN_*` environment
//! overrides, validated as a whole.
//!
//! Loading is pure: the caller passes the file text and the environment, so libraries never read
//! either themselves.
//! This crate opens no files and no connections; it only describes where they are.
//!
//! Each section struct documents its keys once, in a `DOCS` table next to the struct; that table
//! drives the override schema and [`Config::default_toml`], and tests check it against the model.

mod admin;
mod application;
mod env;
mod error;
mod gateway;
mod identity;
mod join;
mod nats;
mod network;
mod postgres;
mod redis;
mod render;
mod schema;
mod secret;
mod telemetry;
mod validate;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

pub use admin::AdminConfig;
pub use application::ApplicationConfig;
pub use error::{ConfigError, Error, Origin, Problem, ProblemKind, Result};
pub use gateway::GatewayConfig;
pub use identity::IdentityConfig;
pub use join::JoinConfig;
pub use nats::NatsConfig;
pub use network::{FOptsEncryption, LeaderElection, NetworkConfig};
pub use postgres::PostgresConfig;
pub use redis::RedisConfig;
pub use secret::{REDACTED, Secret};
pub use telemetry::{LogFormat, TelemetryConfig};

use schema::{Node, SectionDoc};
use validate::Checks;

/// The whole Tern configuration: one section per concern.
///
/// A service's `run` takes its own section, never the whole `Config`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// NATS bus.
    pub nats: NatsConfig,
    /// PostgreSQL database.
    pub postgres: PostgresConfig,
    /// Redis server.
    pub redis: RedisConfig,
    /// Logs and traces.
    pub telemetry: TelemetryConfig,
    /// Admin HTTP server.
    pub admin: AdminConfig,
    /// Gateway edge (Semtech UDP).
    pub gateway: GatewayConfig,
    /// Join server.
    pub join: JoinConfig,
    /// Network server.
    pub network: NetworkConfig,
    /// Application server.
    pub application: ApplicationConfig,
    /// Identity service and public API.
    pub identity: IdentityConfig,
}

/// Every documented section, in rendering order.
const SECTIONS: &[&SectionDoc] = &[
    &NatsConfig::DOCS,
    &PostgresConfig::DOCS,
    &RedisConfig::DOCS,
    &TelemetryConfig::DOCS,
    &AdminConfig::DOCS,
    &GatewayConfig::DOCS,
    &JoinConfig::DOCS,
    &NetworkConfig::DOCS,
    &ApplicationConfig::DOCS,
    &IdentityConfig::DOCS,
];

impl Config {
    /// Loads the config from TOML text and environment overrides, then validates it.
    ///
    /// `env` is usually `std::env::vars().collect()`; only keys starting with `TERN_` are read.
    /// An override `TERN_<SECTION>__<KEY>` sets `<key>` in `[<section>]`, taking precedence over
    /// the file; its value is read as the key's type (integer, float, `true`/`false`, a TOML array,
    /// or a string, which covers durations such as `"200ms"`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`] for invalid TOML; [`ConfigError::Problems`] listing every unknown key
    /// (in the file or the environment), wrong type and invalid value with its full path;
    /// [`ConfigError::Deserialize`] for a value of the right type that its field rejects (a bad
    /// duration, log format or socket address).
    pub fn load(toml_text: &str, env: &HashMap<String, String>) -> Result<Config> {
        let mut table: Table = toml::from_str(toml_text).map_err(ConfigError::Parse)?;
        let defaults = default_table();
        let mut problems = Vec::new();
        check_file_keys(&table, "", &mut problems);
        let overridden = env::apply(SECTIONS, &mut table, env, &defaults, &mut problems);
        check_types(&table, &defaults, &overridden, &mut problems);
        if !problems.is_empty() {
            return Err(ConfigError::Problems(problems));
        }
        let config: Config = Value::Table(table.clone())
            .try_into()
            .map_err(ConfigError::Deserialize)?;
        let mut checks = Checks::default();
        config.check(&mut checks);
        if checks.findings.is_empty() {
            return Ok(config);
        }
        let problems = checks
            .findings
            .into_iter()
            .map(|finding| Problem {
                origin: origin(&table, &overridden, &finding.path),
                path: finding.path,
                value: Some(finding.value),
                kind: ProblemKind::Invalid {
                    reason: finding.reason,
                },
            })
            .collect();
        Err(ConfigError::Problems(problems))
    }

    /// Renders the full default config file: every key with its doc comment, its environment
    /// variable and its default value (optional keys commented out with an example).
    ///
    /// The result loads back into [`Config::default`]; `tern configfile` prints it and
    /// `docs/configuration.md` embeds it.
    pub fn default_toml() -> String {
        render::render(SECTIONS, &default_table())
    }

    /// Runs every section's validation rules.
    fn check(&self, checks: &mut Checks) {
        self.nats.check(checks);
        self.postgres.check(checks);
        self.redis.check(checks);
        self.telemetry.check(checks);
        self.gateway.check(checks);
        self.join.check(checks);
        self.network.check(checks);
        self.application.check(checks);
        self.identity.check(checks);
    }
}

/// Serializes the defaults; keys unset by default are absent.
fn default_table() -> Table {
    Table::try_from(Config::default()).expect("default config serializes to TOML; checked by tests")
}

/// Tells where the value at `path` came from.
fn origin(table: &Table, overridden: &BTreeMap<String, String>, path: &str) -> Origin {
    match overridden.get(path) {
        Some(key) => Origin::Env(key.clone()),
        None if schema::value_at(table, path).is_some() => Origin::File,
        None => Origin::Default,
    }
}

/// Reports keys of the file that the model does not know, and sections that are not tables.
fn check_file_keys(table: &Table, prefix: &str, problems: &mut Vec<Problem>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (schema::lookup(SECTIONS, &path), value) {
            (Some(Node::Section), Value::Table(child)) => check_file_keys(child, &path, problems),
            (Some(Node::Section), other) => problems.push(Problem {
                path,
                origin: Origin::File,
                value: Some(other.to_string()),
                kind: ProblemKind::WrongType { expected: "table" },
            }),
            (Some(Node::Key(_)), _) => {}
            // The value is not printed: a misspelled password key would leak it.
            (None, _) => problems.push(Problem {
                path,
                origin: Origin::File,
                value: None,
                kind: ProblemKind::UnknownKey,
            }),
        }
    }
}

/// Reports every known key whose value has another TOML type than its default or example.
fn check_types(
    table: &Table,
    defaults: &Table,
    overridden: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) {
    for (path, key) in schema::leaf_paths(SECTIONS) {
        let Some(actual) = schema::value_at(table, &path) else {
            continue;
        };
        let Some(expected) = schema::typed_default(defaults, &path, key) else {
            continue;
        };
        let float_from_integer =
            matches!((&expected, actual), (Value::Float(_), Value::Integer(_)));
        if expected.same_type(actual) || float_from_integer {
            continue;
        }
        problems.push(Problem {
            origin: origin(table, overridden, &path),
            value: (!key.secret).then(|| actual.to_string()),
            kind: ProblemKind::WrongType {
                expected: env::type_name(&expected),
            },
            path,
        });
    }
}

#[cfg(test)]
mod tests;
