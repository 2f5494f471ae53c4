//! Least cost: the available backend with the smallest caller-given
//! [`Backend::cost`] (a road's current travel time, a marginal cost, a
//! price), ties to the lowest index so the choice is deterministic. A NaN
//! cost counts as the largest, so a backend whose cost is unknown is taken
//! only when nothing else is available.

use super::Backend;

pub(super) fn choose(backends: &[Backend]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, b) in backends.iter().enumerate() {
        if !b.available {
            continue;
        }
        let c = if b.cost.is_nan() {
            f64::INFINITY
        } else {
            b.cost
        };
        // Strictly smaller only: ties keep the lowest index.
        if best.is_none_or(|(_, bc)| c < bc) {
            best = Some((i, c));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costs(cs: &[f64]) -> Vec<Backend> {
        cs.iter()
            .map(|&cost| Backend {
                cost,
                ..Backend::default()
            })
            .collect()
    }

    #[test]
    fn smallest_cost_wins_and_ties_go_to_the_lowest_index() {
        assert_eq!(choose(&costs(&[3.0, 1.0, 2.0])), Some(1));
        assert_eq!(choose(&costs(&[2.0, 1.0, 1.0])), Some(1));
        assert_eq!(choose(&costs(&[0.0, 0.0, 0.0])), Some(0));
        assert_eq!(choose(&costs(&[-1.0, 0.0])), Some(0));
        assert_eq!(choose(&[]), None);
    }

    #[test]
    fn unavailable_backends_and_unknown_costs_are_avoided() {
        let mut bs = costs(&[1.0, 5.0, f64::NAN]);
        bs[0].available = false;
        assert_eq!(choose(&bs), Some(1));
        bs[1].available = false;
        assert_eq!(choose(&bs), Some(2), "an unknown cost beats nothing");
        bs[2].available = false;
        assert_eq!(choose(&bs), None);
        assert_eq!(choose(&costs(&[f64::INFINITY, f64::NAN])), Some(0));
    }
}
