//! The paced sender: uplinks leave at a target rate from one task, scheduled against the
//! clock (the n-th uplink is due at `n / rate` seconds), not by sleeping between packets, so
//! per-packet delays never add up to drift. A 1 ms ticker wakes the task; each tick sends
//! every uplink due by then. When the sender falls behind by more than [`MAX_BACKLOG`] worth
//! of uplinks (the box is saturated, or too few devices are ready), the excess is skipped and
//! counted rather than sent in a burst, so the achieved rate tells the truth.
//!
//! Devices take turns; a device waiting for the ACK of its confirmed uplink is passed over.

use std::time::Duration;

use indicatif::ProgressBar;
use tokio::time::{Instant, MissedTickBehavior};

use crate::engine::Engine;

/// How far behind schedule the sender may fall before it skips uplinks.
const MAX_BACKLOG: Duration = Duration::from_millis(200);
/// Uplinks sent later than this are counted as lost so far in the progress display.
const LOST_AFTER: Duration = Duration::from_secs(5);

/// What one paced phase did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Paced {
    /// Uplinks sent.
    pub sent: u64,
    /// Uplinks skipped behind schedule (or with no device ready).
    pub behind: u64,
    /// Uplinks that could not be built or sent (the engine counts why).
    pub failed: u64,
    /// Time spent sending.
    pub elapsed: Duration,
    /// First sequence number of the phase.
    pub first_seq: u64,
    /// One past the last sequence number of the phase.
    pub end_seq: u64,
}

/// What to send.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    /// Uplinks per second.
    pub rate: f64,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many uplinks.
    pub cap: Option<u64>,
}

/// Sends uplinks of `devices` at `pace`; see the module documentation.
pub(crate) async fn pace(
    engine: &Engine,
    devices: &[usize],
    pace: Pace,
    bar: &ProgressBar,
) -> Paced {
    let first_seq = engine.tracker.allocated();
    let start = Instant::now();
    let max_backlog = (pace.rate * MAX_BACKLOG.as_secs_f64()).max(16.0) as u64;
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut paced = Paced {
        first_seq,
        ..Paced::default()
    };
    let mut next_device = 0usize;
    let mut last_display = start;
    let mut lost_cursor = first_seq;
    let mut lost = 0u64;
    let display_every = Duration::from_millis(250);
    'sending: loop {
        ticks.tick().await;
        let elapsed = start.elapsed();
        if pace.duration.is_some_and(|duration| elapsed >= duration) {
            break;
        }
        let due_total = (elapsed.as_secs_f64() * pace.rate) as u64;
        let due_total = pace.cap.map_or(due_total, |cap| due_total.min(cap));
        let mut due = due_total.saturating_sub(paced.sent + paced.behind + paced.failed);
        if due > max_backlog {
            paced.behind += due - max_backlog;
            due = max_backlog;
        }
        let now_ns = engine.now_ns();
        for _ in 0..due {
            let Some(index) = pick(engine, devices, &mut next_device, now_ns) else {
                // No device is ready: this uplink falls behind; it is caught up when a device
                // frees up, within the backlog bound.
                break;
            };
            let Some(seq) = engine.tracker.next_seq() else {
                break 'sending;
            };
            // A failed send is counted by the engine; the schedule moves on.
            match engine.send_uplink(index, seq).await {
                Ok(_) => paced.sent += 1,
                Err(_) => paced.failed += 1,
            }
        }
        if pace
            .cap
            .is_some_and(|cap| paced.sent + paced.behind + paced.failed >= cap)
        {
            break;
        }
        if last_display.elapsed() >= display_every {
            last_display = Instant::now();
            let lost_before = engine.now_ns().saturating_sub(nanos(LOST_AFTER));
            lost += engine.tracker.advance_lost(&mut lost_cursor, lost_before);
            bar.set_position(paced.sent);
            bar.set_message(format!(
                "{:.0}/s, {} delivered, {} lost so far",
                paced.sent as f64 / start.elapsed().as_secs_f64().max(1e-3),
                engine.tracker.delivered(),
                lost
            ));
        }
    }
    paced.elapsed = start.elapsed();
    paced.end_seq = engine.tracker.allocated();
    bar.set_position(paced.sent);
    paced
}

/// Picks the next ready device, in turn.
fn pick(engine: &Engine, devices: &[usize], next: &mut usize, now_ns: u64) -> Option<usize> {
    for _ in 0..devices.len() {
        let index = devices[*next % devices.len()];
        *next = next.wrapping_add(1);
        if engine
            .fleet
            .devices
            .get(index)
            .is_some_and(|slot| slot.ready(now_ns))
        {
            return Some(index);
        }
    }
    None
}

/// Returns a duration in ns, saturating.
pub(crate) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FleetConfig;
    use crate::generate::local_engine;

    #[tokio::test]
    async fn keeps_the_target_rate_without_drift_and_stops_at_the_cap() {
        let fleet = FleetConfig {
            devices: 40,
            gateways: 2,
            gateways_per_uplink: 2,
            ..FleetConfig::default()
        };
        let (engine, _sink) = local_engine(&fleet, 10_000).await.unwrap();
        let devices: Vec<usize> = (0..40).collect();
        let bar = ProgressBar::hidden();

        let timed = Pace {
            rate: 1000.0,
            duration: Some(Duration::from_millis(600)),
            cap: None,
        };
        let paced = pace(&engine, &devices, timed, &bar).await;
        // Due times come from the clock, so the count matches rate x time however long each
        // send took; the slack covers a late last tick on a busy machine.
        assert!((570..=601).contains(&paced.sent), "{paced:?}");
        assert_eq!((paced.behind, paced.failed), (0, 0), "{paced:?}");
        assert_eq!(paced.end_seq - paced.first_seq, paced.sent);

        let capped = Pace {
            rate: 2000.0,
            duration: None,
            cap: Some(100),
        };
        let paced = pace(&engine, &devices, capped, &bar).await;
        assert_eq!(paced.sent, 100, "{paced:?}");
        assert!(paced.elapsed >= Duration::from_millis(45), "{paced:?}");
    }

    #[tokio::test]
    async fn passes_over_devices_waiting_for_an_ack() {
        let fleet = FleetConfig {
            devices: 2,
            gateways: 1,
            gateways_per_uplink: 1,
            ..FleetConfig::default()
        };
        let (engine, _sink) = local_engine(&fleet, 100).await.unwrap();
        let busy_until = engine.now_ns() + 60_000_000_000;
        engine.fleet.devices[0]
            .busy_until_ns
            .store(busy_until, std::sync::atomic::Ordering::Relaxed);
        let capped = Pace {
            rate: 1000.0,
            duration: None,
            cap: Some(10),
        };
        let paced = pace(&engine, &[0, 1], capped, &ProgressBar::hidden()).await;
        assert_eq!(paced.sent, 10, "{paced:?}");
        assert_eq!(engine.fleet.devices[0].device().f_cnt_up(), 0);
        assert_eq!(engine.fleet.devices[1].device().f_cnt_up(), 10);
    }
}
