//! A token bucket: tokens drip in at `rate_per_s` up to `burst`; a request
//! takes one (or `n`) to be admitted, or is throttled.
//!
//! Tokens drip continuously (refilled from the time since the last look),
//! or, for an owner that admits in batches at a fixed tick, one tick's
//! worth at a time ([`TokenBucket::tick`]): the rate at the tick counts for
//! the whole tick.

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

    /// An empty bucket at `now` (tokens come only by dripping).
    #[must_use]
    pub fn empty(rate_per_s: f64, burst: f64, now: SimTime) -> Self {
        TokenBucket {
            tokens: 0.0,
            ..TokenBucket::new(rate_per_s, burst, now)
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

    /// The rate tokens drip in at (per second).
    #[must_use]
    pub fn rate_per_s(&self) -> f64 {
        self.rate_per_s
    }

    /// A tick of `every_ms` milliseconds ends at `now`: sets the rate to
    /// `rate_per_s` and drips that tick's worth at it, `rate_per_s ×
    /// every_ms / 1000` (up to the burst), whatever the rate was before in
    /// the tick; takes at `now` then drip nothing more. For an owner that
    /// admits in batches at a fixed tick, where the rate in force at the
    /// tick is the one that counts.
    pub fn tick(&mut self, now: SimTime, rate_per_s: f64, every_ms: u64) {
        self.rate_per_s = rate_per_s.max(0.0);
        self.tokens = (self.tokens + self.rate_per_s * every_ms as f64 / 1000.0).min(self.burst);
        self.last = self.last.max(now);
    }

    /// Spills the tokens above `max` (`0` empties the bucket), as a burst
    /// of `max` would have for now; the burst itself stays.
    pub fn spill_above(&mut self, max: f64) {
        self.tokens = self.tokens.min(max.max(0.0));
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

    #[test]
    fn an_empty_bucket_fills_only_by_dripping() {
        let t = SimTime::from_secs;
        let mut b = TokenBucket::empty(2.0, 3.0, t(0));
        assert!(b.tokens(t(0)).abs() < 1e-12);
        assert!(!b.try_take(t(0), 1.0));
        assert!(b.try_take(t(1), 2.0));
        assert_eq!((b.admitted, b.throttled), (1, 1));
    }

    #[test]
    fn ticks_drip_a_tick_at_the_rate_of_the_tick() {
        let ms = |m: u64| SimTime(m * 1000);
        let mut b = TokenBucket::empty(0.0, f64::INFINITY, ms(0));
        // 25/s for 100 ms: 2.5 tokens, computed as rate × ms / 1000.
        b.tick(ms(100), 25.0, 100);
        assert_eq!(
            b.tokens(ms(100)).to_bits(),
            (25.0 * 100.0 / 1000.0_f64).to_bits()
        );
        assert!(b.try_take(ms(100), 1.0) && b.try_take(ms(100), 1.0));
        assert!(!b.try_take(ms(100), 1.0));
        // The rate changed mid-tick: only the rate at the tick counts, and
        // takes at the tick's instant drip nothing more.
        b.tick(ms(200), 5.0, 100);
        assert!((b.tokens(ms(200)) - 1.0).abs() < 1e-12);
        assert!((b.rate_per_s() - 5.0).abs() < 1e-12);
        // The burst caps a tick as it caps a drip.
        let mut small = TokenBucket::empty(0.0, 2.0, ms(0));
        small.tick(ms(100), 1000.0, 100);
        assert!((small.tokens(ms(100)) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn spilling_keeps_at_most_the_given_tokens() {
        let t = SimTime::from_secs;
        let mut b = TokenBucket::new(1.0, 10.0, t(0));
        b.spill_above(1.0);
        assert!((b.tokens(t(0)) - 1.0).abs() < 1e-12);
        b.spill_above(5.0);
        assert!((b.tokens(t(0)) - 1.0).abs() < 1e-12);
        b.spill_above(0.0);
        assert!(b.tokens(t(0)).abs() < 1e-12);
        // The burst is still 10.
        assert!((b.tokens(t(20)) - 10.0).abs() < 1e-12);
    }
}
