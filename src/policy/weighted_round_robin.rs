//! Smooth weighted round robin (as in nginx): deterministic, and within any
//! cycle of Σw choices each backend gets exactly its weight's share,
//! interleaved rather than in bursts.

use super::Backend;

pub(super) fn choose(current: &mut Vec<f64>, backends: &[Backend]) -> Option<usize> {
    current.resize(backends.len(), 0.0);
    // With no positive weight among the available backends, weigh them
    // equally (plain round robin) rather than always picking the first.
    let equal = backends
        .iter()
        .filter(|b| b.available)
        .all(|b| b.weight.is_nan() || b.weight <= 0.0);
    let mut total = 0.0;
    let mut best: Option<usize> = None;
    for (i, b) in backends.iter().enumerate() {
        if !b.available {
            continue;
        }
        let w = if equal { 1.0 } else { b.weight.max(0.0) };
        current[i] += w;
        total += w;
        if best.is_none_or(|j| current[i] > current[j]) {
            best = Some(i);
        }
    }
    let i = best?;
    current[i] -= total;
    Some(i)
}
