//! Uplink bookkeeping: each uplink carries a sequence number and a run tag in its payload, so
//! the `up` event that delivers it is matched without a lookup table; send times and delivery
//! counts live in arrays indexed by the sequence number, allocated once at the start.
//!
//! The sender writes the send time of each uplink before its first copy leaves; the event
//! task marks deliveries and records the latency. Sequence numbers past the capacity are not
//! handed out.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;

/// First byte of every load test uplink payload.
const MAGIC: u8 = 0x7e;
/// Bytes of an uplink payload: magic, 3-byte run tag, 4-byte sequence number.
pub(crate) const PAYLOAD_LEN: usize = 8;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// How a delivery matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Delivery {
    /// The first delivery of an uplink sent this long ago.
    First(Duration),
    /// A further delivery of an uplink already delivered.
    Duplicate,
    /// A payload not from this run, or a sequence number never sent.
    Foreign,
}

/// Send times and deliveries of every uplink of a run.
#[derive(Debug)]
pub(crate) struct Tracker {
    tag: [u8; 3],
    /// Send time in ns since the run's start, plus one; 0 means not sent.
    sent_ns: Vec<AtomicU64>,
    delivered: Vec<AtomicU8>,
    next: AtomicU64,
    delivered_total: AtomicU64,
    duplicates: AtomicU64,
    foreign: AtomicU64,
    histogram: Mutex<Histogram<u64>>,
    /// Deliveries since the last [`Tracker::take_window_latency`].
    window: Mutex<Histogram<u64>>,
}

impl Tracker {
    /// Makes room for `capacity` uplinks tagged `tag`.
    pub(crate) fn new(capacity: usize, tag: u32) -> Tracker {
        let tag_bytes = tag.to_be_bytes();
        // One µs to one hour at three significant digits; the bounds are constants that the
        // constructor accepts.
        let histogram = Histogram::new_with_bounds(1, 3_600_000_000, 3)
            .expect("constant histogram bounds are valid");
        Tracker {
            tag: [tag_bytes[1], tag_bytes[2], tag_bytes[3]],
            sent_ns: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            delivered: (0..capacity).map(|_| AtomicU8::new(0)).collect(),
            next: AtomicU64::new(0),
            delivered_total: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            foreign: AtomicU64::new(0),
            window: Mutex::new(histogram.clone()),
            histogram: Mutex::new(histogram),
        }
    }

    /// Hands out the next sequence number, or `None` when the capacity is used up.
    pub(crate) fn next_seq(&self) -> Option<u32> {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        if seq >= self.sent_ns.len() as u64 {
            self.next.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        u32::try_from(seq).ok()
    }

    /// Returns how many sequence numbers were handed out.
    pub(crate) fn allocated(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }

    /// Returns the payload of uplink `seq`.
    pub(crate) fn payload(&self, seq: u32) -> [u8; PAYLOAD_LEN] {
        let seq = seq.to_be_bytes();
        [
            MAGIC,
            self.tag[0],
            self.tag[1],
            self.tag[2],
            seq[0],
            seq[1],
            seq[2],
            seq[3],
        ]
    }

    /// Records that uplink `seq` left at `now_ns` (since the run's start).
    pub(crate) fn mark_sent(&self, seq: u32, now_ns: u64) {
        if let Some(slot) = self.sent_ns.get(seq as usize) {
            slot.store(now_ns.saturating_add(1), Ordering::Relaxed);
        }
    }

    /// Forgets a sequence number whose uplink could not be sent.
    pub(crate) fn mark_unsent(&self, seq: u32) {
        if let Some(slot) = self.sent_ns.get(seq as usize) {
            slot.store(0, Ordering::Relaxed);
        }
    }

    /// Matches a delivered payload at `now_ns`.
    pub(crate) fn deliver(&self, payload: &[u8], now_ns: u64) -> Delivery {
        let Some(seq) = self.seq_of(payload) else {
            self.foreign.fetch_add(1, Ordering::Relaxed);
            return Delivery::Foreign;
        };
        let (Some(sent), Some(count)) = (
            self.sent_ns.get(seq as usize),
            self.delivered.get(seq as usize),
        ) else {
            self.foreign.fetch_add(1, Ordering::Relaxed);
            return Delivery::Foreign;
        };
        let sent = sent.load(Ordering::Relaxed);
        if sent == 0 {
            self.foreign.fetch_add(1, Ordering::Relaxed);
            return Delivery::Foreign;
        }
        if count.fetch_add(1, Ordering::Relaxed) > 0 {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return Delivery::Duplicate;
        }
        self.delivered_total.fetch_add(1, Ordering::Relaxed);
        let latency = Duration::from_nanos(now_ns.saturating_sub(sent - 1));
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(micros.max(1));
        self.window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(micros.max(1));
        Delivery::First(latency)
    }

    /// Returns the sequence number of a payload of this run.
    fn seq_of(&self, payload: &[u8]) -> Option<u32> {
        let bytes: &[u8; PAYLOAD_LEN] = payload.get(..PAYLOAD_LEN)?.try_into().ok()?;
        if bytes[0] != MAGIC || bytes[1..4] != self.tag {
            return None;
        }
        Some(u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]))
    }

    /// Returns (sent, delivered) among sequence numbers `range`, counting only uplinks sent
    /// before `sent_before_ns`.
    pub(crate) fn count(&self, range: std::ops::Range<u64>, sent_before_ns: u64) -> (u64, u64) {
        let mut sent = 0;
        let mut delivered = 0;
        let end = range.end.min(self.sent_ns.len() as u64);
        for seq in range.start..end {
            let index = seq as usize;
            let at = self.sent_ns[index].load(Ordering::Relaxed);
            if at == 0 || at > sent_before_ns.saturating_add(1) {
                continue;
            }
            sent += 1;
            if self.delivered[index].load(Ordering::Relaxed) > 0 {
                delivered += 1;
            }
        }
        (sent, delivered)
    }

    /// Advances `cursor` over the uplinks sent before `sent_before_ns` and returns how many of
    /// those passed were not delivered; the progress display counts them as lost so far.
    pub(crate) fn advance_lost(&self, cursor: &mut u64, sent_before_ns: u64) -> u64 {
        let end = self.allocated().min(self.sent_ns.len() as u64);
        let mut lost = 0;
        while *cursor < end {
            let index = *cursor as usize;
            let at = self.sent_ns[index].load(Ordering::Relaxed);
            if at > sent_before_ns.saturating_add(1) {
                break;
            }
            // 0 is an uplink that could not be sent: neither sent nor lost.
            if at != 0 && self.delivered[index].load(Ordering::Relaxed) == 0 {
                lost += 1;
            }
            *cursor += 1;
        }
        lost
    }

    /// Returns the uplinks delivered at least once.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered_total.load(Ordering::Relaxed)
    }

    /// Returns the further deliveries of uplinks already delivered.
    pub(crate) fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }

    /// Returns the `up` events that were not this run's uplinks.
    pub(crate) fn foreign(&self) -> u64 {
        self.foreign.load(Ordering::Relaxed)
    }

    /// Returns the latency percentiles of the deliveries so far.
    pub(crate) fn latency(&self) -> Latency {
        let histogram = self
            .histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        latency_of(&histogram)
    }

    /// Returns the latency percentiles of the deliveries since the last call, and starts a
    /// new window (a ramp step each).
    pub(crate) fn take_window_latency(&self) -> Latency {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let latency = latency_of(&window);
        window.reset();
        latency
    }
}

fn latency_of(histogram: &Histogram<u64>) -> Latency {
    if histogram.is_empty() {
        return Latency::default();
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    Latency {
        p50_ms: ms(histogram.value_at_quantile(0.50)),
        p95_ms: ms(histogram.value_at_quantile(0.95)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        max_ms: ms(histogram.max()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_first_deliveries_duplicates_and_foreign_payloads() {
        let tracker = Tracker::new(4, 0x00ab_cdef);
        let seq = tracker.next_seq().unwrap();
        let payload = tracker.payload(seq);
        tracker.mark_sent(seq, 1_000_000);
        assert_eq!(
            tracker.deliver(&payload, 3_000_000),
            Delivery::First(Duration::from_millis(2))
        );
        assert_eq!(tracker.deliver(&payload, 4_000_000), Delivery::Duplicate);
        let other = Tracker::new(4, 7).payload(seq);
        assert_eq!(tracker.deliver(&other, 4_000_000), Delivery::Foreign);
        let unsent = tracker.payload(3);
        assert_eq!(tracker.deliver(&unsent, 4_000_000), Delivery::Foreign);
        assert_eq!(tracker.deliver(b"short", 4_000_000), Delivery::Foreign);
        assert_eq!(
            (tracker.delivered(), tracker.duplicates(), tracker.foreign()),
            (1, 1, 3)
        );
        assert_eq!(tracker.count(0..4, 2_000_000), (1, 1));
        assert_eq!(tracker.count(0..4, 500_000), (0, 0));
        assert!((tracker.latency().p50_ms - 2.0).abs() < 0.01);
        assert!((tracker.take_window_latency().p99_ms - 2.0).abs() < 0.01);
        assert_eq!(tracker.take_window_latency(), Latency::default());
    }

    #[test]
    fn stops_handing_out_sequence_numbers_at_capacity() {
        let tracker = Tracker::new(2, 1);
        assert_eq!(tracker.next_seq(), Some(0));
        assert_eq!(tracker.next_seq(), Some(1));
        assert_eq!(tracker.next_seq(), None);
        assert_eq!(tracker.allocated(), 2);
    }
}
