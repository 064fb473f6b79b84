//! `run`: the load test proper. Provision, join, queue downlinks, send uplinks at a fixed
//! rate or in ramp steps, wait for the stragglers, and report.

use std::time::Duration;

use anyhow::{bail, ensure};

use crate::config::{Load, RunConfig};
use crate::cpu::CpuSample;
use crate::engine::{Engine, get};
use crate::harness::Harness;
use crate::pacer::{self, Pace, Paced};
use crate::progress::Progress;
use crate::report::{RampStep, Report};

/// Most uplinks one run keeps track of (9 bytes each).
const MAX_CAPACITY: f64 = 50_000_000.0;

/// Returns how many uplinks a run can send at most.
fn capacity(config: &RunConfig) -> anyhow::Result<usize> {
    // The pacer may run up to its backlog bound ahead of an exact count; a margin covers it.
    let margin = |rate: f64| rate * 0.25 + 32.0;
    let by_time = match &config.load {
        Load::Fixed { rate, duration } => {
            duration.map(|duration| rate * duration.as_secs_f64() + margin(*rate))
        }
        Load::Ramp { step_duration, .. } => Some(
            config
                .load
                .rates()
                .iter()
                .map(|rate| rate * step_duration.as_secs_f64() + margin(*rate))
                .sum(),
        ),
    };
    let count = match (config.uplinks, by_time) {
        (Some(cap), Some(by_time)) => (cap as f64).min(by_time),
        (Some(cap), None) => cap as f64,
        (None, Some(by_time)) => by_time,
        (None, None) => bail!("give --uplinks, --duration or --ramp so the run ends"),
    };
    ensure!(
        count <= MAX_CAPACITY,
        "a run of {count:.0} uplinks is more than the {MAX_CAPACITY:.0} one run can track"
    );
    Ok(count.ceil() as usize)
}

/// Runs a load test; see the crate documentation.
pub async fn run(config: RunConfig) -> anyhow::Result<Report> {
    for rate in config.load.rates() {
        ensure!(
            rate.is_finite() && rate > 0.0,
            "--rate must be positive, got {rate}"
        );
    }
    ensure!(
        (0.0..=1.0).contains(&config.max_loss),
        "--max-loss must be between 0 and 1"
    );
    let capacity = capacity(&config)?;
    let progress = Progress::new(config.progress);
    let mut harness =
        Harness::start(&config.target, &config.fleet, capacity, progress, None).await?;
    let result = drive(&config, &harness, &progress).await;
    harness.stop();
    result
}

async fn drive(
    config: &RunConfig,
    harness: &Harness,
    progress: &Progress,
) -> anyhow::Result<Report> {
    let engine = &harness.engine;
    let (joined, join_failed) = harness
        .join_all(config.fleet.join_rate, config.fleet.join_attempts, progress)
        .await;
    let devices = engine.fleet.joined();
    ensure!(
        !devices.is_empty(),
        "no device joined ({join_failed} gave up); check the join service and the KEK"
    );
    let pushed = harness
        .push_downlinks(&config.target.name, config.downlinks_per_device, progress)
        .await?;

    let cpu = CpuSample::start(&config.cpu);
    let mut ramp = Vec::new();
    let mut highest_passing_rate = None;
    let mut total = Paced::default();
    let mut target_rate = 0.0;
    match &config.load {
        Load::Fixed { rate, duration } => {
            target_rate = *rate;
            let expected = config
                .uplinks
                .or_else(|| duration.map(|duration| (rate * duration.as_secs_f64()) as u64))
                .unwrap_or(0);
            let bar = progress.bar(expected, "sending");
            let pace = Pace {
                rate: *rate,
                duration: *duration,
                cap: config.uplinks,
            };
            total = pacer::pace(engine, &devices, pace, &bar).await;
            bar.finish_and_clear();
            settle(engine, total.sent, pushed, config.grace).await;
        }
        Load::Ramp { step_duration, .. } => {
            for rate in config.load.rates() {
                target_rate = rate;
                let left = config
                    .uplinks
                    .map(|cap| cap.saturating_sub(total.sent + total.behind + total.failed));
                if left == Some(0) {
                    break;
                }
                let bar = progress.bar(
                    (rate * step_duration.as_secs_f64()) as u64,
                    &format!("ramp {rate:.0}/s"),
                );
                let pace = Pace {
                    rate,
                    duration: Some(*step_duration),
                    cap: left,
                };
                let step = pacer::pace(engine, &devices, pace, &bar).await;
                bar.finish_and_clear();
                settle_range(engine, step.first_seq..step.end_seq, config.grace).await;
                let (sent, delivered) =
                    engine.tracker.count(step.first_seq..step.end_seq, u64::MAX);
                let lost = sent - delivered;
                let loss_ratio = ratio(lost, sent);
                ramp.push(RampStep {
                    rate,
                    achieved_rate: sent as f64 / step.elapsed.as_secs_f64().max(1e-9),
                    sent,
                    lost,
                    loss_ratio,
                    latency: engine.tracker.take_window_latency(),
                });
                total.sent += step.sent;
                total.behind += step.behind;
                total.failed += step.failed;
                total.elapsed += step.elapsed;
                // A step that fell far behind schedule did not really run at its rate.
                let kept_pace = step.behind as f64 <= rate * step_duration.as_secs_f64() * 0.01;
                if loss_ratio >= config.max_loss || sent == 0 || !kept_pace {
                    break;
                }
                highest_passing_rate = Some(rate);
            }
            settle(engine, total.sent, pushed, config.grace).await;
        }
    }
    let cpu = cpu.finish();

    let counters = &engine.counters;
    let delivered = engine.tracker.delivered();
    let lost = total.sent.saturating_sub(delivered);
    Ok(Report {
        run_tag: format!("{:06x}", harness.tag),
        devices: engine.fleet.devices.len(),
        devices_created: harness.provisioned.devices_created,
        abp_devices: (engine.fleet.devices.iter())
            .filter(|slot| slot.plan.abp)
            .count(),
        gateways: engine.gateways.len(),
        gateways_per_uplink: engine.per_uplink,
        join_requests: get(&counters.join_requests),
        joins_completed: joined,
        joins_failed: join_failed,
        join_events: get(&counters.join_events),
        uplinks_sent: total.sent,
        uplinks_delivered: delivered,
        uplinks_lost: lost,
        loss_ratio: ratio(lost, total.sent),
        duplicates: engine.tracker.duplicates(),
        behind_schedule: total.behind,
        send_errors: get(&counters.send_errors),
        confirmed_sent: get(&counters.confirmed_sent),
        confirmed_acked: get(&counters.acks_received),
        downlinks_pushed: pushed,
        downlinks_received: get(&counters.app_downlinks),
        downlinks_decrypted: get(&counters.app_downlinks_ok),
        mac_downlinks: get(&counters.other_downlinks),
        downlinks_unmatched: get(&counters.downlinks_unmatched)
            + get(&counters.join_accepts_unmatched),
        ack_events: get(&counters.ack_events),
        nack_events: get(&counters.nack_events),
        txack_events: get(&counters.txack_events),
        error_events: get(&counters.error_events),
        foreign_events: engine.tracker.foreign() + get(&counters.bad_events),
        latency: engine.tracker.latency(),
        target_rate,
        achieved_rate: total.sent as f64 / total.elapsed.as_secs_f64().max(1e-9),
        send_seconds: total.elapsed.as_secs_f64(),
        cpu,
        ramp,
        highest_passing_rate,
        max_loss: config.max_loss,
        allow_duplicates: config.allow_duplicates,
    })
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Waits up to `grace` until every uplink is delivered, every confirmed uplink acknowledged
/// and every queued downlink received.
async fn settle(engine: &Engine, sent: u64, pushed: u64, grace: Duration) {
    let deadline = tokio::time::Instant::now() + grace;
    let counters = &engine.counters;
    while tokio::time::Instant::now() < deadline {
        let uplinks_done = engine.tracker.delivered() >= sent;
        let acks_done = get(&counters.acks_received) >= get(&counters.confirmed_sent);
        let downlinks_done = get(&counters.app_downlinks_ok) >= pushed;
        if uplinks_done && acks_done && downlinks_done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits up to `grace` until the uplinks of `range` are delivered.
async fn settle_range(engine: &Engine, range: std::ops::Range<u64>, grace: Duration) {
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        let (sent, delivered) = engine.tracker.count(range.clone(), u64::MAX);
        if delivered >= sent {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
