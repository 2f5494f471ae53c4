//! Retries with exponential backoff and jitter. Retry `n` (1-based) waits
//! `min(cap, base × multiplier^(n−1))`, jittered:
//! - `None`: exactly that;
//! - `Full`: uniform in [0, that] (AWS's "full jitter");
//! - `Equal`: half of it plus uniform in [0, half].
//!
//! Each retry is a new request to the server side; [`RetryCounter`] keeps
//! the books: logical requests, attempts, retries, duplicates (a server
//! completing an attempt the client had already given up on and retried)
//! and give-ups, so amplification = attempts / logical requests.
//!
//! [`RetryPolicy::fixed`] is the plain form — the same delay every time,
//! no jitter, so no random number is drawn — and [`RetryPolicy::allows`]
//! tells whether a retry is still within the budget (for a client that
//! retries at once, without a delay).

use crate::sim::SimTime;
use crate::sim::blocks::uniform;
use crate::sim::rng::SimRng;

/// How backoff delays are randomised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Jitter {
    None,
    Full,
    Equal,
}

/// When to retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    pub base_s: f64,
    pub multiplier: f64,
    pub cap_s: f64,
    pub jitter: Jitter,
}

impl Default for RetryPolicy {
    /// 3 retries, 100 ms doubling up to 10 s, full jitter.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_s: 0.1,
            multiplier: 2.0,
            cap_s: 10.0,
            jitter: Jitter::Full,
        }
    }
}

impl RetryPolicy {
    /// Up to `max_retries` retries, each after `delay_s` exactly.
    #[must_use]
    pub fn fixed(max_retries: u32, delay_s: f64) -> Self {
        RetryPolicy {
            max_retries,
            base_s: delay_s,
            multiplier: 1.0,
            cap_s: delay_s,
            jitter: Jitter::None,
        }
    }

    /// Whether retry `n` (1-based) is within the budget.
    #[must_use]
    pub fn allows(&self, n: u32) -> bool {
        n >= 1 && n <= self.max_retries
    }

    /// The delay before retry `n` (1-based), or `None` when retries are used up.
    pub fn delay(&self, n: u32, rng: &mut SimRng) -> Option<SimTime> {
        if !self.allows(n) {
            return None;
        }
        let exp = self.base_s * self.multiplier.powi(n.saturating_sub(1).min(1000) as i32);
        let d = exp.min(self.cap_s).max(0.0);
        let d = match self.jitter {
            Jitter::None => d,
            Jitter::Full => d * uniform(rng),
            Jitter::Equal => d / 2.0 + d / 2.0 * uniform(rng),
        };
        Some(SimTime::from_secs_f64(d))
    }
}

/// The books of a retrying client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryCounter {
    pub logical: u64,
    pub attempts: u64,
    pub retries: u64,
    pub duplicates: u64,
    pub gave_up: u64,
}

impl RetryCounter {
    /// A new logical request and its first attempt.
    pub fn on_new(&mut self) {
        self.logical += 1;
        self.attempts += 1;
    }

    /// Another attempt of a request already counted.
    pub fn on_retry(&mut self) {
        self.attempts += 1;
        self.retries += 1;
    }

    /// A duplicate attempt: the server finished an attempt whose client had
    /// moved on, or (where the client side sees it first) an attempt was
    /// sent while an earlier one of the same request was still unanswered.
    pub fn on_duplicate(&mut self) {
        self.duplicates += 1;
    }

    /// The client stopped trying: retries exhausted, or it chose not to.
    pub fn on_give_up(&mut self) {
        self.gave_up += 1;
    }

    /// Attempts per logical request (1 without retries).
    #[must_use]
    pub fn amplification(&self) -> f64 {
        if self.logical == 0 {
            1.0
        } else {
            self.attempts as f64 / self.logical as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    #[test]
    fn backoff_grows_caps_and_jitters_within_bounds() {
        let mut rng = stream(1, "r");
        let p = RetryPolicy {
            max_retries: 6,
            base_s: 1.0,
            multiplier: 2.0,
            cap_s: 10.0,
            jitter: Jitter::None,
        };
        let ds: Vec<f64> = (1..=7)
            .map(|n| p.delay(n, &mut rng).map_or(-1.0, SimTime::as_secs_f64))
            .collect();
        assert_eq!(ds, vec![1.0, 2.0, 4.0, 8.0, 10.0, 10.0, -1.0]);
        for jitter in [Jitter::Full, Jitter::Equal] {
            let p = RetryPolicy { jitter, ..p };
            for _ in 0..1000 {
                let d = p.delay(3, &mut rng).expect("allowed").as_secs_f64();
                let lo = if jitter == Jitter::Equal { 2.0 } else { 0.0 };
                assert!((lo..=4.0).contains(&d), "{d}");
            }
        }
        let mut c = RetryCounter::default();
        c.on_new();
        c.on_retry();
        c.on_retry();
        c.on_duplicate();
        assert_eq!(c.amplification(), 3.0);
        assert_eq!(c.duplicates, 1);
    }

    #[test]
    fn a_fixed_policy_draws_nothing_and_keeps_its_budget() {
        let p = RetryPolicy::fixed(2, 20.0);
        let mut rng = stream(1, "r");
        let before = rng.clone();
        let ds: Vec<Option<SimTime>> = (0..=3).map(|n| p.delay(n, &mut rng)).collect();
        let d = Some(SimTime::from_secs_f64(20.0));
        assert_eq!(ds, vec![None, d, d, None]);
        assert_eq!(rng, before, "no jitter, no draw");
        assert_eq!(
            (0..=3).map(|n| p.allows(n)).collect::<Vec<_>>(),
            vec![false, true, true, false]
        );
        assert!(!RetryPolicy::fixed(0, 1.0).allows(1));
    }
}
