//! The `tern` binary: runs the services (`tern serve`) and hosts the command-line tools.
//!
//! This file only parses arguments and dispatches; each command lives in its own module.

mod args;
mod frame;
mod health;
mod keys;
mod region;
mod render;
mod serve;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
