//! A token bucket per gateway, so one misbehaving gateway cannot flood the bus.
//!
//! The bucket reads no clock: callers pass the current `Instant`, which keeps it testable
//! without sleeping. It does not count or log drops; the edge does.

use std::time::Instant;

/// Rate and size of the buckets, from `uplinks_per_second` and `uplink_burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RateLimit {
    /// Tokens added per second.
    pub(crate) per_second: f64,
    /// Most tokens a bucket holds, and what a new bucket starts with.
    pub(crate) burst: f64,
}

impl RateLimit {
    /// Returns the limit, or `None` when `per_second` is 0 (no limit).
    pub(crate) fn new(per_second: u32, burst: u32) -> Option<RateLimit> {
        (per_second > 0).then(|| RateLimit {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
        })
    }
}

/// One gateway's bucket.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TokenBucket {
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// Creates a full bucket.
    pub(crate) fn new(limit: &RateLimit, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: limit.burst,
            refilled_at: now,
        }
    }

    /// Takes one token if there is one, after adding those earned since the last call.
    pub(crate) fn try_take(&mut self, limit: &RateLimit, now: Instant) -> bool {
        // `saturating_duration_since` keeps a clock that appears to go back from panicking.
        let elapsed = now.saturating_duration_since(self.refilled_at);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * limit.per_second).min(limit.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn zero_rate_means_no_limit() {
        assert_eq!(RateLimit::new(0, 10), None);
        assert_eq!(
            RateLimit::new(5, 0),
            Some(RateLimit {
                per_second: 5.0,
                burst: 1.0
            })
        );
    }

    #[test]
    fn allows_the_burst_then_the_rate() {
        let limit = RateLimit::new(10, 3).unwrap();
        let start = Instant::now();
        let mut bucket = TokenBucket::new(&limit, start);
        // (offset from start, expected outcome)
        let steps = [
            (0, true),
            (0, true),
            (0, true),
            (0, false),
            (50, false), // half a token earned
            (100, true), // one token at 10/s after 100 ms
            (100, false),
            (1_000, true), // refilled to the burst, not beyond
            (1_000, true),
            (1_000, true),
            (1_000, false),
        ];
        for (idx, (offset_ms, expected)) in steps.into_iter().enumerate() {
            let now = start + Duration::from_millis(offset_ms);
            assert_eq!(bucket.try_take(&limit, now), expected, "step {idx}");
        }
    }

    #[test]
    fn survives_an_instant_earlier_than_the_last_one() {
        let limit = RateLimit::new(1, 1).unwrap();
        let later = Instant::now() + Duration::from_secs(5);
        let mut bucket = TokenBucket::new(&limit, later);
        assert!(bucket.try_take(&limit, later - Duration::from_secs(1)));
        assert!(!bucket.try_take(&limit, later - Duration::from_secs(1)));
    }
}
