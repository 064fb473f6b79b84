//! Errors of config loading: TOML syntax, unknown keys, bad override values and failed validation.
//!
//! Key problems are collected and reported together, so an operator fixes a config in one pass.

use std::fmt;

/// Errors of [`Config::load`](crate::Config::load).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file is not valid TOML.
    #[error("parse config file")]
    Parse(#[source] toml::de::Error),
    /// One or more keys are unknown, have the wrong type or an invalid value.
    #[error("invalid config: {}", ProblemList(.0))]
    Problems(Vec<Problem>),
    /// A value has the right TOML type but cannot be read as its field (a bad duration, log format or
    /// socket address); the message names the full path.
    #[error("invalid config value")]
    Deserialize(#[source] toml::de::Error),
}

/// Alias following the one-`Error`-per-crate convention.
pub type Error = ConfigError;

/// Result of config operations.
pub type Result<T> = std::result::Result<T, ConfigError>;

/// One bad key in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Full dotted TOML path, e.g. `nats.subject_root`.
    pub path: String,
    /// Where the value came from.
    pub origin: Origin,
    /// The offending value as TOML text; `None` when it may be secret or there is no value.
    pub value: Option<String>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// Where a config value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The TOML config file.
    File,
    /// An environment variable; holds its name, e.g. `TERN_NATS__URL`.
    Env(String),
    /// The built-in default.
    Default,
}

/// What is wrong with a config key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The key is not part of the config model.
    UnknownKey,
    /// An environment variable names a table rather than a key.
    NotAKey,
    /// An environment variable misses the double underscore between section and key.
    MisspelledEnvKey {
        /// The variable name that would have worked.
        expected: String,
    },
    /// The value has the wrong TOML type.
    WrongType {
        /// The expected type: `string`, `integer`, `float`, `boolean`, `array` or `table`.
        expected: &'static str,
    },
    /// The value breaks a validation rule.
    Invalid {
        /// The rule, e.g. `must be between 0 and 1`.
        reason: &'static str,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(value) = &self.value {
            write!(f, " = {value}")?;
        }
        match &self.origin {
            Origin::File => f.write_str(" (config file)")?,
            Origin::Env(key) => write!(f, " (env {key})")?,
            Origin::Default => f.write_str(" (default)")?,
        }
        match &self.kind {
            ProblemKind::UnknownKey => f.write_str(": unknown key"),
            ProblemKind::NotAKey => f.write_str(": names a table, not a key"),
            ProblemKind::MisspelledEnvKey { expected } => write!(
                f,
                ": separate section and key with a double underscore: {expected}"
            ),
            ProblemKind::WrongType { expected } => write!(f, ": expected {expected}"),
            ProblemKind::Invalid { reason } => write!(f, ": {reason}"),
        }
    }
}

/// Displays problems one per line.
struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}
