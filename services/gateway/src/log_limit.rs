//! Keeps a flood of bad datagrams from flooding the logs.
//!
//! A [`LogLimiter`] lets one line through per interval and counts the lines it held back, so
//! the next line can say how many were suppressed. It reads no clock and logs nothing itself.

use std::time::{Duration, Instant};

/// Allows one log line per interval.
#[derive(Debug, Clone)]
pub(crate) struct LogLimiter {
    interval: Duration,
    logged_at: Option<Instant>,
    suppressed: u64,
}

impl LogLimiter {
    /// Creates a limiter that lets the first line through at once.
    pub(crate) fn new(interval: Duration) -> LogLimiter {
        LogLimiter {
            interval,
            logged_at: None,
            suppressed: 0,
        }
    }

    /// Returns `Some(suppressed)` when a line may be logged now, with the number of lines held
    /// back since the last one; `None` when this line must be dropped.
    pub(crate) fn allow(&mut self, now: Instant) -> Option<u64> {
        let due = self
            .logged_at
            .is_none_or(|at| now.saturating_duration_since(at) >= self.interval);
        if due {
            self.logged_at = Some(now);
            Some(std::mem::take(&mut self.suppressed))
        } else {
            self.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_one_line_per_interval_through_and_counts_the_rest() {
        let mut limiter = LogLimiter::new(Duration::from_secs(1));
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(limiter.allow(at(0)), Some(0));
        assert_eq!(limiter.allow(at(10)), None);
        assert_eq!(limiter.allow(at(999)), None);
        assert_eq!(limiter.allow(at(1_000)), Some(2));
        assert_eq!(limiter.allow(at(1_500)), None);
        assert_eq!(limiter.allow(at(5_000)), Some(1));
        assert_eq!(limiter.allow(at(6_000)), Some(0));
    }
}
