//! Checks the deployment files (Dockerfile, docker compose, Helm chart, dashboard, alerts)
//! without Docker or Helm: they are parsed and held against the workspace, the configuration
//! model and the metrics a real `tern serve` exports.
//!
//! `scripts/check-deploy` adds the checks that need the real tools (`docker compose config`,
//! `helm template`, Kubernetes schema validation) where those are installed.

mod compose;
mod helm;
mod image;
mod monitoring;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// The services `tern serve --only` accepts once every service exists.
pub const SERVICES: [&str; 5] = ["gateway", "network", "join", "application", "identity"];

/// The workspace root, two levels above this package.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("services/tern sits two levels below the workspace root")
        .to_path_buf()
}

/// Reads a file relative to the workspace root.
pub fn read(relative: &str) -> String {
    let path = workspace_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("read {relative}: {error}"))
}

/// Parses a YAML file relative to the workspace root, resolving `<<` merge keys.
pub fn read_yaml(relative: &str) -> Value {
    let mut value: Value = serde_yaml::from_str(&read(relative))
        .unwrap_or_else(|error| panic!("parse {relative}: {error}"));
    value
        .apply_merge()
        .unwrap_or_else(|error| panic!("merge keys in {relative}: {error}"));
    value
}

/// Looks up a path of mapping keys, `None` when any step is missing.
pub fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, key| node.get(*key))
}

/// The string at `path`, panicking with the path when it is missing or not a string.
pub fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    get(value, path)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{} is not a string", path.join(".")))
}

/// The number at `path`, panicking with the path when it is missing or not a number.
pub fn number(value: &Value, path: &[&str]) -> f64 {
    get(value, path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{} is not a number", path.join(".")))
}

/// Section names the configuration model of this build knows (`[nats]`, `[network]`, ...).
pub fn known_config_sections() -> Vec<String> {
    tern_config::Config::default_toml()
        .lines()
        .filter_map(|line| line.strip_prefix('[')?.strip_suffix(']'))
        .map(str::to_owned)
        .collect()
}

/// Loads a configuration from TOML text and `TERN_*` variables with the real loader.
pub fn load_config(toml_text: &str, env: &HashMap<String, String>) -> Result<(), String> {
    tern_config::Config::load(toml_text, env)
        .map(drop)
        .map_err(|error| error.to_string())
}

/// The port of the admin server inside containers, from the image's `TERN_ADMIN__LISTEN`.
pub fn image_admin_port() -> u16 {
    let dockerfile = read("Dockerfile");
    let listen = dockerfile
        .split_whitespace()
        .find_map(|word| word.strip_prefix("TERN_ADMIN__LISTEN="))
        .expect("the Dockerfile sets TERN_ADMIN__LISTEN");
    listen
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("TERN_ADMIN__LISTEN={listen} has no port"))
}
