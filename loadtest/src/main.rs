//! `tern-loadtest`: the command line of the Tern load tester (`run`), the demo fleet
//! (`simulate`) and the generator measurement (`generate`). Everything but argument parsing,
//! reading the API key and printing lives in the library.

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use tern_loadtest::{
    CpuTarget, FleetConfig, Load, MacVersion, RunConfig, SimulateConfig, Target, parse_mac_versions,
};

/// Load tester and demo fleet for Tern: virtual gateways and devices driven through the
/// public API, the gateway UDP edge and the NATS application events.
#[derive(Debug, Parser)]
#[command(name = "tern-loadtest", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Provision a fleet, join it and send uplinks at a paced rate (or a ramp); report loss,
    /// duplicates, latency and CPU. Exits 1 when loss exceeds --max-loss or an uplink was
    /// delivered twice.
    Run(RunArgs),
    /// Run a small, slow fleet and print each join, uplink, delivery and downlink as it
    /// happens, until Ctrl-C or --duration. Safe to run again against the same server.
    Simulate(SimulateArgs),
    /// Measure how many uplinks per second this machine can build and send, with nothing
    /// listening (no server needed).
    Generate(GenerateArgs),
}

/// Where the servers are.
#[derive(Debug, Args)]
struct TargetArgs {
    /// URL of the public gRPC API (the identity service).
    #[arg(long, default_value = "http://127.0.0.1:9091")]
    api: String,
    /// API key (an admin key, or a key of the tenant when it exists).
    #[arg(long, env = "TERN_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// File holding the API key; takes precedence over --api-key and TERN_API_KEY.
    #[arg(long)]
    api_key_file: Option<PathBuf>,
    /// Gateway UDP edge, HOST:PORT; repeat to spread the gateways over several edges.
    #[arg(long = "udp", default_value = "127.0.0.1:1700")]
    udp: Vec<String>,
    /// NATS server the application events are read from.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// NATS subject root of the servers ([nats] subject_root).
    #[arg(long, default_value = "tern")]
    subject_root: String,
    /// Tenant and application id of the fleet; a repeated run with the same name and seed
    /// reuses its devices and gateways.
    #[arg(long, default_value = "loadtest")]
    name: String,
    /// Band of the devices and gateways.
    #[arg(long, default_value = "eu868")]
    band: String,
}

impl TargetArgs {
    fn target(&self) -> anyhow::Result<Target> {
        let api_key = match (&self.api_key_file, &self.api_key) {
            (None, Some(key)) => key.trim().to_owned(),
            (Some(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("read the api key from {}", path.display()))?
                .trim()
                .to_owned(),
            (None, None) => bail!("give --api-key, --api-key-file or TERN_API_KEY"),
        };
        if api_key.is_empty() {
            bail!("the api key is empty; give --api-key, --api-key-file or TERN_API_KEY");
        }
        let mut udp = Vec::with_capacity(self.udp.len());
        for edge in &self.udp {
            // Host names resolve once here (e.g. `gateway:1700` in docker compose).
            let addr = edge
                .to_socket_addrs()
                .with_context(|| format!("resolve --udp {edge:?} (HOST:PORT)"))?
                .next()
                .with_context(|| format!("--udp {edge:?} resolves to no address"))?;
            udp.push(addr);
        }
        Ok(Target {
            api_url: self.api.clone(),
            api_key,
            udp,
            nats_url: self.nats.clone(),
            subject_root: self.subject_root.clone(),
            name: self.name.clone(),
            band: self.band.clone(),
        })
    }
}

/// The fleet; defaults differ per command.
#[derive(Debug, Args)]
struct FleetArgs {
    /// Number of devices [run: 100, simulate: 10].
    #[arg(long)]
    devices: Option<usize>,
    /// Number of virtual gateways [run: 3, simulate: 2]. The edge limits each gateway to
    /// [gateway] uplinks_per_second (100 by default): above that, use more gateways or raise
    /// the limit, or the excess shows as loss.
    #[arg(long)]
    gateways: Option<usize>,
    /// Distinct gateways hearing each uplink, each with its own RSSI and SNR, sent
    /// microseconds apart [run: 1, simulate: all].
    #[arg(long)]
    gateways_per_uplink: Option<usize>,
    /// MAC versions spread over the devices in turn, e.g. 1.0.3,1.0.4,1.1
    /// [run: 1.0.3, simulate: 1.0.3,1.1].
    #[arg(long = "mac")]
    mac: Option<String>,
    /// Fraction of class C devices.
    #[arg(long, default_value_t = 0.0)]
    class_c_share: f64,
    /// Fraction of ABP devices, activated through the API with fresh session keys each run
    /// instead of joining.
    #[arg(long, default_value_t = 0.0)]
    abp_share: f64,
    /// Fraction of confirmed uplinks [run: 0, simulate: 0.25].
    #[arg(long)]
    confirmed_share: Option<f64>,
    /// Join-requests per second while the fleet joins.
    #[arg(long, default_value_t = 50.0)]
    join_rate: f64,
    /// Join attempts per device, each with a new DevNonce, before it is given up.
    #[arg(long, default_value_t = 3)]
    join_attempts: u32,
    /// Seed of EUIs, keys and choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Defaults of one command.
struct FleetDefaults {
    devices: usize,
    gateways: usize,
    gateways_per_uplink: Option<usize>,
    mac: &'static [MacVersion],
    confirmed_share: f64,
}

impl FleetArgs {
    fn fleet(&self, defaults: &FleetDefaults) -> anyhow::Result<FleetConfig> {
        let gateways = self.gateways.unwrap_or(defaults.gateways);
        Ok(FleetConfig {
            devices: self.devices.unwrap_or(defaults.devices),
            gateways,
            gateways_per_uplink: self
                .gateways_per_uplink
                .or(defaults.gateways_per_uplink)
                .unwrap_or(gateways),
            mac_versions: match &self.mac {
                Some(text) => parse_mac_versions(text)?,
                None => defaults.mac.to_vec(),
            },
            class_c_share: self.class_c_share,
            abp_share: self.abp_share,
            confirmed_share: self.confirmed_share.unwrap_or(defaults.confirmed_share),
            seed: self.seed,
            join_rate: self.join_rate,
            join_attempts: self.join_attempts,
        })
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    fleet: FleetArgs,
    /// Uplinks per second (a fixed-rate run).
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// How long to send, e.g. 30s or 5m.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// Ramp START:STEP:MAX uplinks/s: each step sends for --step-duration; the run stops at
    /// the first step losing --max-loss or more and prints the highest rate that did not.
    #[arg(long, conflicts_with = "rate")]
    ramp: Option<String>,
    /// How long each ramp step sends.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    step_duration: Duration,
    /// Most uplinks in total.
    #[arg(long)]
    uplinks: Option<u64>,
    /// Downlinks queued per device through DownlinkService.Push after the join; each
    /// device checks it decrypts them to the queued payload.
    #[arg(long, default_value_t = 0)]
    downlinks_per_device: u32,
    /// How long to wait after sending for events still under way.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    grace: Duration,
    /// Highest loss ratio that passes (0.001 is 0.1%).
    #[arg(long, default_value_t = 0.001)]
    max_loss: f64,
    /// Pass even when an uplink was delivered more than once.
    #[arg(long)]
    allow_duplicates: bool,
    /// Print a one-line JSON summary on stdout (the table goes to stderr).
    #[arg(long)]
    json: bool,
    /// Measure the CPU time of this process, NAME=PID; repeatable. Without it, processes
    /// named tern are found in /proc.
    #[arg(long = "cpu-pid", value_parser = CpuTarget::parse)]
    cpu_pid: Vec<CpuTarget>,
    /// Draw no progress bars.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    fleet: FleetArgs,
    /// Stop after this long (default: until Ctrl-C).
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// Shortest pause between two uplinks of a device.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    min_interval: Duration,
    /// Longest pause between two uplinks of a device.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    max_interval: Duration,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// How long to send.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Devices taking turns.
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Virtual gateways.
    #[arg(long, default_value_t = 3)]
    gateways: usize,
    /// Gateways sending each uplink.
    #[arg(long, default_value_t = 3)]
    gateways_per_uplink: usize,
    /// MAC versions of the devices.
    #[arg(long = "mac", default_value = "1.0.3")]
    mac: String,
    /// Print JSON instead of a sentence.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: start the tokio runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(args) => run(args).await,
        Command::Simulate(args) => simulate(args).await,
        Command::Generate(args) => generate(args).await,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let fleet = args.fleet.fleet(&FleetDefaults {
        devices: 100,
        gateways: 3,
        gateways_per_uplink: Some(1),
        mac: &[MacVersion::V1_0_3],
        confirmed_share: 0.0,
    })?;
    let load = match &args.ramp {
        Some(ramp) => Load::parse_ramp(ramp, args.step_duration)?,
        None => Load::Fixed {
            rate: args.rate,
            duration: args.duration,
        },
    };
    let config = RunConfig {
        target: args.target.target()?,
        fleet,
        load,
        uplinks: args.uplinks,
        downlinks_per_device: args.downlinks_per_device,
        grace: args.grace,
        max_loss: args.max_loss,
        allow_duplicates: args.allow_duplicates,
        cpu: args.cpu_pid,
        progress: !args.no_progress,
    };
    let report = tern_loadtest::run(config).await?;
    eprint!("{}", report.to_table());
    if args.json {
        println!("{}", report.to_json());
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn simulate(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let fleet = args.fleet.fleet(&FleetDefaults {
        devices: 10,
        gateways: 2,
        gateways_per_uplink: None,
        mac: &[MacVersion::V1_0_3, MacVersion::V1_1],
        confirmed_share: 0.25,
    })?;
    let config = SimulateConfig {
        target: args.target.target()?,
        fleet,
        min_interval: args.min_interval,
        max_interval: args.max_interval,
        duration: args.duration,
    };
    let stop = async {
        // Without a signal handler Ctrl-C still ends the process, only less tidily.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let summary = tern_loadtest::simulate(config, stop, std::io::stdout()).await?;
    println!(
        "{} joined, {} uplinks sent, {} delivered, {} downlinks received",
        summary.joined, summary.sent, summary.delivered, summary.downlinks
    );
    Ok(ExitCode::SUCCESS)
}

async fn generate(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    let fleet = FleetConfig {
        devices: args.devices,
        gateways: args.gateways,
        gateways_per_uplink: args.gateways_per_uplink.clamp(1, args.gateways.max(1)),
        mac_versions: parse_mac_versions(&args.mac)?,
        ..FleetConfig::default()
    };
    let report = tern_loadtest::generate(&fleet, args.duration).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).context("serialise the report")?
        );
    } else {
        println!(
            "{} uplinks ({} datagrams) in {:.2} s: {:.0} uplinks/s",
            report.uplinks, report.datagrams, report.seconds, report.uplinks_per_second
        );
    }
    Ok(ExitCode::SUCCESS)
}
