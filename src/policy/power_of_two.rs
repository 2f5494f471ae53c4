//! Power of two choices: sample two distinct available backends, send to
//! the less loaded. Nearly as good as least loaded, with O(1) information.

use rand::Rng;

use super::Backend;
use crate::sim::rng::SimRng;

pub(super) fn choose(backends: &[Backend], rng: &mut SimRng) -> Option<usize> {
    let avail: Vec<usize> = (0..backends.len())
        .filter(|&i| backends[i].available)
        .collect();
    match avail.len() {
        0 => None,
        1 => Some(avail[0]),
        n => {
            let a = rng.random_range(0..n);
            let mut b = rng.random_range(0..n - 1);
            if b >= a {
                b += 1;
            }
            let (i, j) = (avail[a], avail[b]);
            Some(if backends[j].in_flight < backends[i].in_flight {
                j
            } else {
                i
            })
        }
    }
}
