//! Random: uniformly among the available backends.

use super::{Backend, uniform_available};
use crate::sim::rng::SimRng;

pub(super) fn choose(backends: &[Backend], rng: &mut SimRng) -> Option<usize> {
    uniform_available(backends, rng)
}
