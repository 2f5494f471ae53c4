//! Least loaded (join the shortest queue): fewest in flight; ties broken
//! uniformly at random so no backend is favoured by its position.

use rand::Rng;

use super::Backend;
use crate::sim::rng::SimRng;

pub(super) fn choose(backends: &[Backend], rng: &mut SimRng) -> Option<usize> {
    let min = backends
        .iter()
        .filter(|b| b.available)
        .map(|b| b.in_flight)
        .min()?;
    let ties = backends
        .iter()
        .filter(|b| b.available && b.in_flight == min)
        .count();
    let pick = if ties > 1 {
        rng.random_range(0..ties)
    } else {
        0
    };
    backends
        .iter()
        .enumerate()
        .filter(|(_, b)| b.available && b.in_flight == min)
        .nth(pick)
        .map(|(i, _)| i)
}
