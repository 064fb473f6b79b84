//! `tern login` and the CLI's stored credentials: the server URL and API key live in
//! `<config dir>/tern/cli.toml` with mode 0600, where the config dir is `$XDG_CONFIG_HOME`, or
//! `$HOME/.config`. `--server` and `--api-key` on any registry command override the file.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};

/// Where a registry command connects, and with which key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// URL of the identity API, e.g. `http://127.0.0.1:9091`.
    pub server: String,
    /// The API key.
    pub api_key: String,
}

/// Connection flags every registry command accepts.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// Identity API URL; defaults to the one saved by `tern login`.
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// API key; defaults to the one saved by `tern login`.
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Print JSON for scripts instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Arguments of `tern login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Identity API URL, e.g. http://127.0.0.1:9091.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// API key, as printed when it was created.
    #[arg(long, value_name = "KEY")]
    pub api_key: String,
}

/// Returns the credentials file path.
pub fn credentials_path() -> anyhow::Result<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|dir| !dir.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => bail!("neither XDG_CONFIG_HOME nor HOME is set; pass --server and --api-key"),
        },
    };
    Ok(base.join("tern").join("cli.toml"))
}

/// Reads the saved credentials, if any.
fn saved() -> anyhow::Result<Option<Credentials>> {
    let path = credentials_path()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map(Some)
            .with_context(|| format!("read {}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("read {}", path.display())),
    }
}

/// Resolves the credentials of a command: flags first, then the saved file.
pub fn resolve(args: &ConnectArgs) -> anyhow::Result<Credentials> {
    let saved = saved()?.unwrap_or_default();
    let credentials = Credentials {
        server: args.server.clone().unwrap_or(saved.server),
        api_key: args.api_key.clone().unwrap_or(saved.api_key),
    };
    if credentials.server.is_empty() || credentials.api_key.is_empty() {
        bail!("not logged in; run `tern login --server URL --api-key KEY` first");
    }
    Ok(credentials)
}

/// Writes the credentials file readable by the user only.
fn save(credentials: &Credentials) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let path = credentials_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    let text = toml::to_string(credentials).context("encode credentials")?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("open {}", path.display()))?;
    // The mode above applies only to a new file; an older file keeps its own.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restrict {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("write {}", path.display()))?;
    Ok(path)
}

/// Runs `tern login`: checks the key against the server, then saves both.
pub fn run(args: LoginArgs) -> anyhow::Result<String> {
    let credentials = Credentials {
        server: args.server,
        api_key: args.api_key,
    };
    crate::registry::check_login(&credentials)?;
    let path = save(&credentials)?;
    Ok(format!(
        "logged in to {}; credentials saved in {}",
        credentials.server,
        path.display()
    ))
}
