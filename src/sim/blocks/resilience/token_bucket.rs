//! A token bucket: tokens drip in at `rate_per_s` up to `burst`; a request
//! takes one (or `n`) to be admitted, or is throttled.

use crate::sim::SimTime;

#[derive(Clone, Debug, PartialEq)]
pub struct TokenBucket {
    rate_per_s: f64,
    burst: f64,
    tokens: f64,
    last: SimTime,
    pub admitted: u64,
    pub throttled: u64,
}

impl TokenBucket {
    /// A full bucket at `now`.
    #[must_use]
    pub fn new(rate_per_s: f64, burst: f64, now: SimTime) -> Self {
        let burst = burst.max(0.0);
        TokenBucket {
            rate_per_s: rate_per_s.max(0.0),
            burst,
            tokens: burst,
            last: now,
            admitted: 0,
            throttled: 0,
        }
    }

    fn refill(&mut self, now: SimTime) {
        if now > self.last {
            self.tokens =
                (self.tokens + self.rate_per_s * (now - self.last).as_secs_f64()).min(self.burst);
            self.last = now;
        }
    }

    /// Tokens available at `now`.
    pub fn tokens(&mut self, now: SimTime) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Takes `n` tokens if there are enough.
    pub fn try_take(&mut self, now: SimTime, n: f64) -> bool {
        self.refill(now);
        if self.tokens >= n {
            self.tokens -= n;
            self.admitted += 1;
            true
        } else {
            self.throttled += 1;
            false
        }
    }

    pub fn set_rate(&mut self, now: SimTime, rate_per_s: f64) {
        self.refill(now);
        self.rate_per_s = rate_per_s.max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_the_rate() {
        let t = SimTime::from_secs;
        let mut b = TokenBucket::new(2.0, 3.0, t(0));
        assert!((0..3).all(|_| b.try_take(t(0), 1.0)));
        assert!(!b.try_take(t(0), 1.0));
        // 10 s at 2/s refills to the burst of 3, not 20.
        assert!((b.tokens(t(10)) - 3.0).abs() < 1e-12);
        let admitted = (0..100)
            .filter(|i| b.try_take(SimTime::from_secs_f64(10.0 + f64::from(*i) * 0.1), 1.0))
            .count();
        // 3 from the burst plus 2/s over 9.9 s
        assert_eq!(admitted, 3 + 19);
    }
}
