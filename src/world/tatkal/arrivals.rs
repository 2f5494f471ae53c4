//! Who arrives when: exactly `users` people, their arrival instants drawn
//! independently from the rush curve and handed out in time order, one at
//! a time, without storing them.
//!
//! The curve has three parts: a trickle from the start (09:45) that grows
//! towards the opening (density ∝ t²), a burst right at the opening (10:00,
//! uniform over `burst_s`) and an exponential decay after it (mean
//! `decay_s`). Sorted instants come from sorted uniforms, generated one by
//! one: the smallest of n uniforms on (x, 1) is x + (1 − x)(1 − V^(1/n)),
//! and the rest are again uniform above it. The curve's inverse maps them
//! to instants, in order.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::sim::rng::SimRng;

/// The shape of the rush (shares of all users; the rest decays after the burst).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalCurve {
    /// Share arriving before the opening (09:45–10:00), growing towards it.
    #[serde(default = "d_pre")]
    pub pre_open_share: f64,
    /// Share arriving in the first `burst_s` after the opening.
    #[serde(default = "d_burst")]
    pub burst_share: f64,
    #[serde(default = "d_burst_s")]
    pub burst_s: f64,
    /// Mean delay after the burst of the rest (exponential decay).
    #[serde(default = "d_decay_s")]
    pub decay_s: f64,
}

fn d_pre() -> f64 {
    0.1
}
fn d_burst() -> f64 {
    0.5
}
fn d_burst_s() -> f64 {
    60.0
}
fn d_decay_s() -> f64 {
    240.0
}

impl Default for ArrivalCurve {
    fn default() -> Self {
        ArrivalCurve {
            pre_open_share: d_pre(),
            burst_share: d_burst(),
            burst_s: d_burst_s(),
            decay_s: d_decay_s(),
        }
    }
}

impl ArrivalCurve {
    /// The instant (seconds from the start) at cumulative share `u` in [0, 1).
    #[must_use]
    pub fn inverse(&self, opens_at_s: f64, u: f64) -> f64 {
        let a = self.pre_open_share;
        let b = self.burst_share;
        let c = (1.0 - a - b).max(0.0);
        if u < a {
            opens_at_s * (u / a).cbrt()
        } else if u < a + b || c <= 0.0 {
            let w = if b > 0.0 { ((u - a) / b).min(1.0) } else { 0.0 };
            opens_at_s + w * self.burst_s
        } else {
            let w = ((u - a - b) / c).clamp(0.0, 1.0 - 1e-15);
            opens_at_s + self.burst_s - self.decay_s * (-w).ln_1p()
        }
    }

    /// The arrival rate per second at instant `t` for `users` in all.
    #[must_use]
    pub fn rate_per_s(&self, opens_at_s: f64, users: f64, t: f64) -> f64 {
        let a = self.pre_open_share;
        let b = self.burst_share;
        let c = (1.0 - a - b).max(0.0);
        let d = if t < opens_at_s {
            if opens_at_s > 0.0 {
                3.0 * a * t * t / opens_at_s.powi(3)
            } else {
                0.0
            }
        } else if t < opens_at_s + self.burst_s {
            b / self.burst_s
        } else {
            c / self.decay_s * (-(t - opens_at_s - self.burst_s) / self.decay_s).exp()
        };
        d * users
    }
}

/// Hands out the sorted arrival instants of `remaining` more users.
#[derive(Clone, Debug)]
pub struct SortedArrivals {
    /// Cumulative share reached so far (the last uniform handed out).
    x: f64,
    remaining: u64,
}

impl SortedArrivals {
    #[must_use]
    pub fn new(users: u64) -> Self {
        SortedArrivals {
            x: 0.0,
            remaining: users,
        }
    }

    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Changes how many are still to come (they stay spread over the rest
    /// of the curve).
    pub fn set_remaining(&mut self, n: u64) {
        self.remaining = n;
    }

    /// The next cumulative share, or `None` when everyone has arrived.
    pub fn next_share(&mut self, rng: &mut SimRng) -> Option<f64> {
        if self.remaining == 0 {
            return None;
        }
        let v: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
        // 1 − V^(1/n), computed without cancellation.
        let step = -(v.ln() / self.remaining as f64).exp_m1();
        self.x += (1.0 - self.x) * step;
        self.remaining -= 1;
        Some(self.x.min(1.0 - 1e-15))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    #[test]
    fn sorted_uniforms_are_sorted_and_uniform() {
        let mut s = SortedArrivals::new(100_000);
        let mut rng = stream(1, "t");
        let mut last = 0.0;
        let mut below_half = 0;
        let mut n = 0;
        while let Some(x) = s.next_share(&mut rng) {
            assert!(x >= last);
            last = x;
            n += 1;
            if x < 0.5 {
                below_half += 1;
            }
        }
        assert_eq!(n, 100_000);
        assert!((f64::from(below_half) / 100_000.0 - 0.5).abs() < 0.01);
    }

    #[test]
    fn inverse_is_monotone_and_splits_by_share() {
        let c = ArrivalCurve::default();
        let mut last = -1.0;
        for i in 0..1000 {
            let t = c.inverse(900.0, f64::from(i) / 1000.0);
            assert!(t >= last);
            last = t;
        }
        assert!(c.inverse(900.0, 0.099) < 900.0);
        assert!((c.inverse(900.0, 0.1) - 900.0).abs() < 1e-9);
        assert!((c.inverse(900.0, 0.6) - 960.0).abs() < 1e-9);
    }
}
