//! The `tern` binary: runs the services (`tern serve`) and hosts the command-line tools.
//!
//! This file only parses arguments and dispatches; each command lives in its own module.

mod args;
mod downlink;
mod events;
mod frame;
mod health;
mod keys;
mod login;
mod output;
mod region;
mod registry;
mod render;
mod serve;

use std::io::Write;
use std::process::ExitCode;

/// The uplink path allocates and frees small buffers on every frame from many threads;
/// mimalloc's per-thread free lists cost a fraction of glibc malloc there (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, Parser, Subcommand};
use login::ConnectArgs;
use registry::RegistryCommand;

/// Tern, a LoRaWAN network server.
#[derive(Debug, Parser)]
#[command(name = "tern", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode or build LoRaWAN frames (PHYPayload).
    #[command(subcommand)]
    Frame(frame::FrameCommand),
    /// Work with LoRaWAN keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Show the Regional Parameters of a band.
    #[command(subcommand)]
    Region(region::RegionCommand),
    /// Run the services (all of them, or those named with --only) until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// Print the full default configuration file, every key documented.
    Configfile,
    /// Probe an admin endpoint; exit 0 on a 2xx answer (for container health checks).
    Health(health::HealthArgs),
    /// Save the identity API's URL and an API key for the registry commands.
    Login(login::LoginArgs),
    /// Manage tenants (admin keys).
    Tenant {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: registry::TenantCommand,
    },
    /// Manage applications.
    App {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: registry::AppCommand,
    },
    /// Manage device profiles.
    Profile {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: registry::ProfileCommand,
    },
    /// Manage devices.
    Device {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: registry::DeviceCommand,
    },
    /// Manage gateways.
    Gateway {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: registry::GatewayCommand,
    },
    /// Queue, list and flush a device's downlinks.
    Downlink {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: downlink::DownlinkCommand,
    },
    /// Follow an application's live events.
    Events {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: events::EventsCommand,
    },
    /// Manage API keys.
    ApiKey {
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(subcommand)]
        command: registry::ApiKeyCommand,
    },
    /// Print a shell completion script, e.g. `tern completions bash > /etc/bash_completion.d/tern`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn completions(shell: clap_complete::Shell) -> anyhow::Result<String> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tern", &mut script);
    Ok(String::from_utf8(script)?)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Frame(command) => frame::run(command),
        Command::Keys(command) => keys::run(command),
        Command::Region(command) => region::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Configfile => Ok(tern_config::Config::default_toml()),
        Command::Health(args) => health::run(args),
        Command::Login(args) => login::run(args),
        Command::Tenant { connect, command } => {
            registry::run(RegistryCommand::Tenant(command), &connect)
        }
        Command::App { connect, command } => registry::run(RegistryCommand::App(command), &connect),
        Command::Profile { connect, command } => {
            registry::run(RegistryCommand::Profile(command), &connect)
        }
        Command::Device { connect, command } => {
            registry::run(RegistryCommand::Device(command), &connect)
        }
        Command::Gateway { connect, command } => {
            registry::run(RegistryCommand::Gateway(command), &connect)
        }
        Command::ApiKey { connect, command } => {
            registry::run(RegistryCommand::ApiKey(command), &connect)
        }
        Command::Downlink { connect, command } => downlink::run(command, &connect),
        Command::Events { connect, command } => events::run(command, &connect),
        Command::Completions { shell } => completions(shell),
    };
    match res {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = stdout.write_all(output.as_bytes());
            if !output.is_empty() && !output.ends_with('\n') {
                let _ = stdout.write_all(b"\n");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
