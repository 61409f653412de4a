//! Per-rule rate limiting: a token bucket for each key (the rule's name) holding up to `burst`
//! tokens, refilled at `rate` per second; an alert takes a token or is suppressed and counted.
//! Time is the caller's clock in nanoseconds (the event's time: a replay is limited as the live
//! run was, whatever its speed); a clock that goes back refills nothing. Memory grows with the
//! number of distinct keys, which is at most the number of loaded rules.

use std::collections::BTreeMap;

/// Rate and burst of every bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Tokens added per second.
    pub rate: f64,
    /// The most tokens a bucket holds (and holds at first).
    pub burst: f64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    /// Nanoseconds of the last refill.
    at: u64,
}

/// Buckets by key, and what each suppressed.
#[derive(Debug, Clone)]
pub struct Limiter {
    limit: Limit,
    buckets: BTreeMap<String, Bucket>,
    suppressed: BTreeMap<String, u64>,
}

impl Limiter {
    /// A limiter; `rate` must be positive and finite, `burst` at least 1.
    pub fn new(limit: Limit) -> Result<Limiter, String> {
        if !(limit.rate.is_finite() && limit.rate > 0.0) {
            return Err(format!("the alert rate must be a positive number per second, not {}", limit.rate));
        }
        if !(limit.burst.is_finite() && limit.burst >= 1.0) {
            return Err(format!("the alert burst must be at least 1, not {}", limit.burst));
        }
        Ok(Limiter { limit, buckets: BTreeMap::new(), suppressed: BTreeMap::new() })
    }

    /// Whether an alert of `key` at `now` (ns) may go out; if not, it is counted as suppressed.
    pub fn allow(&mut self, key: &str, now: u64) -> bool {
        let limit = self.limit;
        let b = match self.buckets.get_mut(key) {
            Some(b) => b,
            None => self.buckets.entry(key.to_string()).or_insert(Bucket { tokens: limit.burst, at: now }),
        };
        let elapsed = now.saturating_sub(b.at) as f64 / 1e9;
        b.tokens = (b.tokens + elapsed * limit.rate).min(limit.burst);
        b.at = b.at.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            *self.suppressed.entry(key.to_string()).or_default() += 1;
            false
        }
    }

    /// Suppressed alerts by key.
    pub fn suppressed(&self) -> &BTreeMap<String, u64> {
        &self.suppressed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds_per_key() {
        let mut l = Limiter::new(Limit { rate: 2.0, burst: 3.0 }).expect("valid");
        let t0 = 1_000_000_000_000;
        let passed = (0..10).filter(|_| l.allow("A", t0)).count();
        assert_eq!(passed, 3, "the burst");
        assert!(l.allow("B", t0), "another rule has its own bucket");
        // Half a second later one token (rate 2/s) is back.
        let t1 = t0 + 500_000_000;
        assert!(l.allow("A", t1));
        assert!(!l.allow("A", t1));
        // Much later the bucket is full again, but never above the burst.
        let t2 = t1 + 100_000_000_000;
        assert_eq!((0..3).filter(|_| l.allow("C", t2)).count(), 3);
        assert!(!l.allow("C", t0), "a clock that goes back refills nothing");
        assert_eq!((0..10).filter(|_| l.allow("A", t2)).count(), 3);
        assert_eq!(l.suppressed().get("A"), Some(&(7 + 1 + 7)));
        assert_eq!(l.suppressed().get("B"), None);
        assert_eq!(l.suppressed().get("C"), Some(&1));
    }

    #[test]
    fn nonsense_limits_are_refused() {
        for (rate, burst) in [(0.0, 1.0), (-1.0, 1.0), (f64::NAN, 1.0), (1.0, 0.5), (1.0, f64::INFINITY)] {
            assert!(Limiter::new(Limit { rate, burst }).is_err(), "{rate} {burst}");
        }
    }
}
