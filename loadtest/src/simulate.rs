//! `simulate`: a small, slow fleet for demonstrations. Each device joins, then sends an
//! uplink every `min_interval` to `max_interval` (jittered), some confirmed; one line is
//! printed per thing that happens (join accepted, uplink sent, uplink delivered with its
//! latency, downlink received) until the stop signal or the duration.
//!
//! Provisioning is the same as `run`'s, so running it again against the same server reuses
//! the tenant, application, profiles, gateways and devices, and the devices join again.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::config::SimulateConfig;
use crate::engine::{Engine, Notice, get};
use crate::harness::{Harness, check};
use crate::ids::{mix, unit};
use crate::progress::Progress;

/// Uplinks a simulation keeps track of; at demo pace that is weeks.
const CAPACITY: usize = 1 << 20;

/// What a simulation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimulateSummary {
    /// Devices that joined.
    pub joined: u64,
    /// Uplinks sent.
    pub sent: u64,
    /// Uplinks delivered.
    pub delivered: u64,
    /// Application and MAC downlinks received.
    pub downlinks: u64,
}

/// Runs the demo fleet until `stop` completes or the configured duration passes, printing
/// events to `out`.
pub async fn simulate(
    config: SimulateConfig,
    stop: impl Future<Output = ()>,
    mut out: impl Write + Send,
) -> anyhow::Result<SimulateSummary> {
    check(&config.target, &config.fleet)?;
    anyhow::ensure!(
        config.min_interval <= config.max_interval && !config.max_interval.is_zero(),
        "the uplink interval must be a non-empty range"
    );
    let (notices, mut notice_rx) = mpsc::unbounded_channel();
    let mut harness = Harness::start(
        &config.target,
        &config.fleet,
        CAPACITY,
        Progress::new(false),
        Some(notices),
    )
    .await?;
    let engine = Arc::clone(&harness.engine);
    let _ = writeln!(
        out,
        "fleet {:?}: {} devices ({} new), {} gateways; joining",
        config.target.name,
        engine.fleet.devices.len(),
        harness.provisioned.devices_created,
        engine.gateways.len()
    );
    let mut devices = JoinSet::new();
    let wait = harness.join_wait();
    for index in 0..engine.fleet.devices.len() {
        let engine = Arc::clone(&engine);
        let config = config.clone();
        // Joins are spread over the join rate, as in `run`.
        let offset = Duration::from_secs_f64(index as f64 / config.fleet.join_rate);
        devices.spawn(device_loop(engine, config, index, offset, wait));
    }
    let deadline = async {
        match config.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            biased;
            () = &mut stop => break,
            () = &mut deadline => break,
            notice = notice_rx.recv() => match notice {
                Some(notice) => {
                    let _ = writeln!(out, "{}", describe(&notice));
                }
                None => break,
            },
        }
    }
    devices.abort_all();
    harness.stop();
    let counters = &engine.counters;
    Ok(SimulateSummary {
        joined: get(&counters.joins_completed),
        sent: engine.tracker.allocated(),
        delivered: engine.tracker.delivered(),
        downlinks: get(&counters.app_downlinks) + get(&counters.other_downlinks),
    })
}

/// One device: join (again and again until it works), then send at jittered intervals.
async fn device_loop(
    engine: Arc<Engine>,
    config: SimulateConfig,
    index: usize,
    offset: Duration,
    wait: Duration,
) {
    tokio::time::sleep(offset).await;
    while !engine.join(index, config.fleet.join_attempts, wait).await {
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    let mut round = 0u64;
    loop {
        round += 1;
        let jitter = unit(mix(&[config.fleet.seed, index as u64, round]));
        let span = config.max_interval.saturating_sub(config.min_interval);
        tokio::time::sleep(config.min_interval + span.mul_f64(jitter)).await;
        let Some(seq) = engine.tracker.next_seq() else {
            return;
        };
        // A failed send is counted; the device tries again next round.
        let _ = engine.send_uplink(index, seq).await;
    }
}

/// Returns the line printed for a notice.
fn describe(notice: &Notice) -> String {
    match notice {
        Notice::Joined {
            dev_eui,
            dev_addr,
            attempts,
        } => format!(
            "join accepted   {dev_eui:016x} dev_addr {dev_addr:08x} after {attempts} join-request(s)"
        ),
        Notice::JoinFailed { dev_eui } => {
            format!("join failed     {dev_eui:016x}; retrying in 10 s")
        }
        Notice::Sent {
            dev_eui,
            f_cnt,
            confirmed,
        } => format!(
            "uplink sent     {dev_eui:016x} f_cnt {f_cnt}{}",
            if *confirmed { " (confirmed)" } else { "" }
        ),
        Notice::Delivered {
            dev_eui,
            f_cnt,
            latency,
            gateways,
        } => format!(
            "uplink delivered {dev_eui} f_cnt {f_cnt} in {:.0} ms via {gateways} gateway(s)",
            latency.as_secs_f64() * 1000.0
        ),
        Notice::Downlink {
            dev_eui,
            f_port,
            len,
            ack,
            confirmed,
            mac_commands,
        } => {
            let mut parts = Vec::new();
            if let Some(port) = f_port.filter(|port| *port > 0) {
                parts.push(format!("{len} bytes on port {port}"));
            }
            if *ack {
                parts.push("ACK".to_owned());
            }
            if *confirmed {
                parts.push("confirmed".to_owned());
            }
            if *mac_commands > 0 {
                parts.push(format!("{mac_commands} MAC command(s)"));
            }
            if parts.is_empty() {
                parts.push("empty".to_owned());
            }
            format!("downlink        {dev_eui:016x} {}", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_a_delivery_and_a_downlink() {
        let delivered = describe(&Notice::Delivered {
            dev_eui: "0200000000000001".to_owned(),
            f_cnt: 3,
            latency: Duration::from_millis(215),
            gateways: 2,
        });
        assert_eq!(
            delivered,
            "uplink delivered 0200000000000001 f_cnt 3 in 215 ms via 2 gateway(s)"
        );
        let downlink = describe(&Notice::Downlink {
            dev_eui: 1,
            f_port: Some(20),
            len: 9,
            ack: true,
            confirmed: false,
            mac_commands: 1,
        });
        assert_eq!(
            downlink,
            "downlink        0000000000000001 9 bytes on port 20, ACK, 1 MAC command(s)"
        );
    }
}
