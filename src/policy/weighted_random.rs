//! Weighted random: probability proportional to a weight (the episode's
//! 10/8/6 for roads of 1000/800/600 cars per hour).

use rand::Rng;

use super::{Backend, uniform_available};
use crate::sim::rng::SimRng;

/// Chooses with probability proportional to `weight(b)` among available
/// backends; uniformly when every weight is zero.
pub(crate) fn choose(
    backends: &[Backend],
    rng: &mut SimRng,
    weight: impl Fn(&Backend) -> f64,
) -> Option<usize> {
    let w = |b: &Backend| {
        if b.available { weight(b).max(0.0) } else { 0.0 }
    };
    let total: f64 = backends.iter().map(w).sum();
    if !(total > 0.0 && total.is_finite()) {
        return uniform_available(backends, rng);
    }
    let mut x = rng.random::<f64>() * total;
    let mut last = None;
    for (i, b) in backends.iter().enumerate() {
        let wi = w(b);
        if wi > 0.0 {
            last = Some(i);
            if x < wi {
                return Some(i);
            }
            x -= wi;
        }
    }
    last
}
