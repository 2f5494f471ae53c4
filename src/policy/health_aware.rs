//! Health-aware, as in the episode: each available backend is weighted by
//! success_rate / (1 + response_time), both EWMAs kept by the world, and
//! one is drawn at random by those weights.

use super::{Backend, weighted_random};
use crate::sim::rng::SimRng;

/// The episode's health score.
#[must_use]
pub fn score(b: &Backend) -> f64 {
    b.success_rate.max(0.0) / (1.0 + b.response_s.max(0.0))
}

pub(super) fn choose(backends: &[Backend], rng: &mut SimRng) -> Option<usize> {
    weighted_random::choose(backends, rng, score)
}
