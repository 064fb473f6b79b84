//! The settings of a load test run and of a demo fleet, shared by the library entry points
//! and the command line.
//!
//! Parsing of the command line lives in `main.rs`; this module holds plain values and the few
//! parsers (MAC version mixes, ramps) a test can call without clap.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use tern_sim::MacVersion;

/// Where the servers are and how to reach them.
#[derive(Debug, Clone)]
pub struct Target {
    /// URL of the public gRPC API (the identity service).
    pub api_url: String,
    /// An API key allowed to create tenants (an admin key) or, when the tenant exists, a
    /// tenant key with the device, gateway, application and downlink rights.
    pub api_key: String,
    /// Gateway UDP edges; virtual gateway `i` talks to `udp[i % udp.len()]`.
    pub udp: Vec<SocketAddr>,
    /// NATS server the application events are read from.
    pub nats_url: String,
    /// NATS subject root of the servers (`[nats] subject_root`).
    pub subject_root: String,
    /// Name of the tenant and application the fleet lives in; also seeds EUIs, so runs with
    /// the same name and seed reuse the same devices and gateways.
    pub name: String,
    /// Band name as `Band::by_name` takes it.
    pub band: String,
}

impl Target {
    /// Returns the defaults of a local `tern serve` with the given key.
    pub fn local(api_key: &str) -> Target {
        Target {
            api_url: "http://127.0.0.1:9091".to_owned(),
            api_key: api_key.to_owned(),
            udp: vec![SocketAddr::from(([127, 0, 0, 1], 1700))],
            nats_url: "nats://127.0.0.1:4222".to_owned(),
            subject_root: "tern".to_owned(),
            name: "loadtest".to_owned(),
            band: "eu868".to_owned(),
        }
    }
}

/// The virtual devices and gateways.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Number of devices.
    pub devices: usize,
    /// Number of virtual gateways.
    pub gateways: usize,
    /// How many distinct gateways hear each uplink (at most `gateways`).
    pub gateways_per_uplink: usize,
    /// MAC versions, assigned to devices in turn.
    pub mac_versions: Vec<MacVersion>,
    /// Fraction of devices in class C.
    pub class_c_share: f64,
    /// Fraction of devices activated by personalisation (ABP) through the API instead of
    /// joining over the air.
    pub abp_share: f64,
    /// Fraction of uplinks sent confirmed.
    pub confirmed_share: f64,
    /// Seed of keys, DevNonces and choices; the same seed gives the same run.
    pub seed: u64,
    /// Join-requests per second while joining.
    pub join_rate: f64,
    /// Join attempts per device (each with a new DevNonce) before it is given up.
    pub join_attempts: u32,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            devices: 100,
            gateways: 3,
            gateways_per_uplink: 1,
            mac_versions: vec![MacVersion::V1_0_3],
            class_c_share: 0.0,
            abp_share: 0.0,
            confirmed_share: 0.0,
            seed: 1,
            join_rate: 50.0,
            join_attempts: 3,
        }
    }
}

/// How fast uplinks go out.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// A fixed rate, until `duration` passes or the uplink cap is reached.
    Fixed {
        /// Uplinks per second.
        rate: f64,
        /// How long to send; `None` sends until the cap.
        duration: Option<Duration>,
    },
    /// Steps of rising rate, each `step_duration` long, until a step loses at least the
    /// allowed share or `max` is passed.
    Ramp {
        /// First rate, uplinks per second.
        start: f64,
        /// Rate added per step.
        step: f64,
        /// Last rate tried.
        max: f64,
        /// How long each step sends.
        step_duration: Duration,
    },
}

impl Load {
    /// Parses a ramp `START:STEP:MAX` (uplinks per second).
    pub fn parse_ramp(text: &str, step_duration: Duration) -> anyhow::Result<Load> {
        let parts: Vec<&str> = text.split(':').collect();
        let [start, step, max] = parts.as_slice() else {
            bail!("ramp {text:?} is not START:STEP:MAX");
        };
        let number = |part: &str, what: &str| -> anyhow::Result<f64> {
            let value: f64 = part
                .trim()
                .parse()
                .with_context(|| format!("ramp {what} {part:?} is not a number"))?;
            if !value.is_finite() || value <= 0.0 {
                bail!("ramp {what} must be positive, got {part:?}");
            }
            Ok(value)
        };
        let (start, step, max) = (
            number(start, "start")?,
            number(step, "step")?,
            number(max, "max")?,
        );
        if max < start {
            bail!("ramp max {max} is below its start {start}");
        }
        Ok(Load::Ramp {
            start,
            step,
            max,
            step_duration,
        })
    }

    /// Returns the rates the load runs at, in order.
    pub fn rates(&self) -> Vec<f64> {
        match *self {
            Load::Fixed { rate, .. } => vec![rate],
            Load::Ramp {
                start, step, max, ..
            } => {
                let mut rates = Vec::new();
                let mut rate = start;
                // A ramp is short; the bound guards against a tiny step.
                while rate <= max + f64::EPSILON && rates.len() < 10_000 {
                    rates.push(rate);
                    rate += step;
                }
                rates
            }
        }
    }
}

/// A process whose CPU time the report includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuTarget {
    /// Name shown in the report.
    pub name: String,
    /// Process id.
    pub pid: u32,
}

impl CpuTarget {
    /// Parses `NAME=PID`.
    pub fn parse(text: &str) -> anyhow::Result<CpuTarget> {
        let (name, pid) = text
            .split_once('=')
            .with_context(|| format!("cpu target {text:?} is not NAME=PID"))?;
        let pid = pid
            .trim()
            .parse()
            .with_context(|| format!("cpu target pid {pid:?} is not a number"))?;
        Ok(CpuTarget {
            name: name.to_owned(),
            pid,
        })
    }
}

/// Settings of [`crate::run`].
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The servers.
    pub target: Target,
    /// The fleet.
    pub fleet: FleetConfig,
    /// The sending pace.
    pub load: Load,
    /// Most uplinks sent in total; `None` is no cap.
    pub uplinks: Option<u64>,
    /// Downlinks queued per joined device through `DownlinkService.Push`.
    pub downlinks_per_device: u32,
    /// How long to wait after the last uplink for events still under way.
    pub grace: Duration,
    /// Highest loss ratio that still passes.
    pub max_loss: f64,
    /// Pass even when some uplink was delivered twice.
    pub allow_duplicates: bool,
    /// Processes whose CPU time is measured; empty finds the processes named `tern`.
    pub cpu: Vec<CpuTarget>,
    /// Draw progress bars on stderr (they hide themselves when stderr is not a terminal).
    pub progress: bool,
}

impl RunConfig {
    /// Returns a run of `uplinks` uplinks at `rate` per second against `target`, with the
    /// default fleet.
    pub fn new(target: Target, rate: f64, uplinks: u64) -> RunConfig {
        RunConfig {
            target,
            fleet: FleetConfig::default(),
            load: Load::Fixed {
                rate,
                duration: None,
            },
            uplinks: Some(uplinks),
            downlinks_per_device: 0,
            grace: Duration::from_secs(5),
            max_loss: 0.001,
            allow_duplicates: false,
            cpu: Vec::new(),
            progress: true,
        }
    }
}

/// Settings of [`crate::simulate`].
#[derive(Debug, Clone)]
pub struct SimulateConfig {
    /// The servers.
    pub target: Target,
    /// The fleet (its join rate and confirmed share apply; gateways per uplink too).
    pub fleet: FleetConfig,
    /// Shortest pause between two uplinks of a device.
    pub min_interval: Duration,
    /// Longest pause between two uplinks of a device.
    pub max_interval: Duration,
    /// Stop after this long; `None` runs until the caller's stop signal.
    pub duration: Option<Duration>,
}

/// Parses a comma-separated MAC version mix such as `1.0.3,1.0.4,1.1`.
pub fn parse_mac_versions(text: &str) -> anyhow::Result<Vec<MacVersion>> {
    let versions = text
        .split(',')
        .map(|part| parse_mac_version(part.trim()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if versions.is_empty() {
        bail!("no MAC version given");
    }
    Ok(versions)
}

/// Parses one MAC version.
pub fn parse_mac_version(text: &str) -> anyhow::Result<MacVersion> {
    Ok(match text {
        "1.0.2" => MacVersion::V1_0_2,
        "1.0.3" => MacVersion::V1_0_3,
        "1.0.4" => MacVersion::V1_0_4,
        "1.1" | "1.1.0" => MacVersion::V1_1,
        other => bail!("unknown MAC version {other:?}; known: 1.0.2, 1.0.3, 1.0.4, 1.1"),
    })
}

/// Returns the API spelling of a MAC version.
pub fn mac_version_name(version: MacVersion) -> &'static str {
    match version {
        MacVersion::V1_0_2 => "1.0.2",
        MacVersion::V1_0_3 => "1.0.3",
        MacVersion::V1_0_4 => "1.0.4",
        MacVersion::V1_1 => "1.1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_mac_version_mix() {
        assert_eq!(
            parse_mac_versions("1.0.3, 1.0.4,1.1").unwrap(),
            vec![MacVersion::V1_0_3, MacVersion::V1_0_4, MacVersion::V1_1]
        );
        assert!(parse_mac_versions("1.0.3,2.0").is_err());
    }

    #[test]
    fn ramp_lists_its_rates_and_rejects_bad_text() {
        let ramp = Load::parse_ramp("100:50:250", Duration::from_secs(10)).unwrap();
        assert_eq!(ramp.rates(), vec![100.0, 150.0, 200.0, 250.0]);
        assert!(Load::parse_ramp("100:50", Duration::from_secs(1)).is_err());
        assert!(Load::parse_ramp("100:0:200", Duration::from_secs(1)).is_err());
        assert!(Load::parse_ramp("300:50:200", Duration::from_secs(1)).is_err());
    }

    #[test]
    fn parses_cpu_targets() {
        assert_eq!(
            CpuTarget::parse("network=4242").unwrap(),
            CpuTarget {
                name: "network".to_owned(),
                pid: 4242
            }
        );
        assert!(CpuTarget::parse("network").is_err());
        assert!(CpuTarget::parse("network=x").is_err());
    }
}
