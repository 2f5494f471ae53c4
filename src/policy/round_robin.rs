//! Round robin: each available backend in turn.

use super::Backend;

pub(super) fn choose(next: &mut usize, backends: &[Backend]) -> Option<usize> {
    let n = backends.len();
    for step in 0..n {
        let i = (*next + step) % n;
        if backends[i].available {
            *next = (i + 1) % n;
            return Some(i);
        }
    }
    None
}
