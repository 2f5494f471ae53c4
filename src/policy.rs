//! Balancing policies shared by the worlds: round robin, random, weighted
//! random, weighted round robin, least loaded (join the shortest queue),
//! power of two choices, health-aware (the episode's EWMA of success
//! rate / (1 + response time)) and least cost (the smallest cost the
//! caller gives per backend: a road's travel time, a marginal cost). One
//! file per policy; [`Balancer`] holds
//! the little state some of them keep and dispatches by [`Policy`].
//!
//! A policy only sees [`Backend`] views: what a real balancer could know.
//! Unavailable backends (down, partitioned, breaker open) are never chosen.

mod health_aware;
mod least_cost;
mod least_loaded;
mod power_of_two;
mod random;
mod round_robin;
mod weighted_random;
mod weighted_round_robin;

use rand::Rng;

use crate::sim::rng::SimRng;

/// What a balancer knows of one backend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backend {
    /// Up and reachable (not crashed, not partitioned, breaker not open).
    pub available: bool,
    /// Requests in service or queued there.
    pub in_flight: u32,
    /// Static weight (e.g. capacity).
    pub weight: f64,
    /// EWMA of success (1) / failure (0).
    pub success_rate: f64,
    /// EWMA of response time, seconds.
    pub response_s: f64,
    /// What sending one more there costs, as the caller reckons it (a
    /// road's current travel time, a marginal cost); read only by
    /// [`Policy::LeastCost`].
    pub cost: f64,
}

impl Default for Backend {
    fn default() -> Self {
        Backend {
            available: true,
            in_flight: 0,
            weight: 1.0,
            success_rate: 1.0,
            response_s: 0.0,
            cost: 0.0,
        }
    }
}

/// The shared policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    RoundRobin,
    Random,
    WeightedRandom,
    WeightedRoundRobin,
    LeastLoaded,
    PowerOfTwo,
    HealthAware,
    LeastCost,
}

impl Policy {
    /// The load policies, in menu order: what a world whose backends carry
    /// no cost offers (least cost is in [`Policy::WITH_COST`]).
    pub const ALL: [Policy; 7] = [
        Policy::RoundRobin,
        Policy::Random,
        Policy::WeightedRandom,
        Policy::WeightedRoundRobin,
        Policy::LeastLoaded,
        Policy::PowerOfTwo,
        Policy::HealthAware,
    ];

    /// Every policy, least cost included (for worlds that fill
    /// [`Backend::cost`]).
    pub const WITH_COST: [Policy; 8] = [
        Policy::RoundRobin,
        Policy::Random,
        Policy::WeightedRandom,
        Policy::WeightedRoundRobin,
        Policy::LeastLoaded,
        Policy::PowerOfTwo,
        Policy::HealthAware,
        Policy::LeastCost,
    ];

    /// The name used in scenarios and on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Policy::RoundRobin => "round-robin",
            Policy::Random => "random",
            Policy::WeightedRandom => "weighted-random",
            Policy::WeightedRoundRobin => "weighted-round-robin",
            Policy::LeastLoaded => "least-loaded",
            Policy::PowerOfTwo => "power-of-two",
            Policy::HealthAware => "health-aware",
            Policy::LeastCost => "least-cost",
        }
    }

    /// Parses the name of a load policy (one of [`Policy::ALL`], as
    /// printed by [`Policy::name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Parses any policy's name, least cost included ([`Policy::WITH_COST`]).
    #[must_use]
    pub fn from_name_with_cost(name: &str) -> Option<Policy> {
        Policy::WITH_COST.into_iter().find(|p| p.name() == name)
    }
}

/// A balancer: a policy plus the state round robin and weighted round
/// robin keep between choices.
#[derive(Clone, Debug)]
pub struct Balancer {
    policy: Policy,
    next: usize,
    wrr_current: Vec<f64>,
}

impl Balancer {
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        Balancer {
            policy,
            next: 0,
            wrr_current: Vec::new(),
        }
    }

    #[must_use]
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Switches policy; the round-robin position is kept.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    /// Chooses a backend index, or `None` when none is available. Draws
    /// from `rng` only for the randomised policies.
    pub fn choose(&mut self, backends: &[Backend], rng: &mut SimRng) -> Option<usize> {
        if !backends.iter().any(|b| b.available) {
            return None;
        }
        match self.policy {
            Policy::RoundRobin => round_robin::choose(&mut self.next, backends),
            Policy::Random => random::choose(backends, rng),
            Policy::WeightedRandom => weighted_random::choose(backends, rng, |b| b.weight),
            Policy::WeightedRoundRobin => {
                weighted_round_robin::choose(&mut self.wrr_current, backends)
            }
            Policy::LeastLoaded => least_loaded::choose(backends, rng),
            Policy::PowerOfTwo => power_of_two::choose(backends, rng),
            Policy::HealthAware => health_aware::choose(backends, rng),
            Policy::LeastCost => least_cost::choose(backends),
        }
    }
}

/// A uniformly random index among the available backends.
fn uniform_available(backends: &[Backend], rng: &mut SimRng) -> Option<usize> {
    let n = backends.iter().filter(|b| b.available).count();
    if n == 0 {
        return None;
    }
    let pick = rng.random_range(0..n);
    backends
        .iter()
        .enumerate()
        .filter(|(_, b)| b.available)
        .nth(pick)
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    fn counts(policy: Policy, backends: &[Backend], n: usize) -> Vec<usize> {
        let mut b = Balancer::new(policy);
        let mut rng = stream(1, "test");
        let mut c = vec![0; backends.len()];
        for _ in 0..n {
            c[b.choose(backends, &mut rng).expect("one is available")] += 1;
        }
        c
    }

    fn three() -> Vec<Backend> {
        [10.0, 8.0, 6.0]
            .iter()
            .map(|w| Backend {
                weight: *w,
                ..Backend::default()
            })
            .collect()
    }

    #[test]
    fn names_round_trip() {
        for p in Policy::ALL {
            assert_eq!(Policy::from_name(p.name()), Some(p));
        }
        for p in Policy::WITH_COST {
            assert_eq!(Policy::from_name_with_cost(p.name()), Some(p));
        }
        assert_eq!(Policy::from_name("nope"), None);
        assert_eq!(Policy::from_name("least-cost"), None, "not a load policy");
        assert_eq!(
            Policy::from_name_with_cost("least-cost"),
            Some(Policy::LeastCost)
        );
    }

    #[test]
    fn least_cost_takes_the_cheapest_available_and_draws_nothing() {
        let mut bs = three();
        for (b, c) in bs.iter_mut().zip([4.0, 2.0, 2.0]) {
            b.cost = c;
        }
        assert_eq!(counts(Policy::LeastCost, &bs, 5), vec![0, 5, 0]);
        bs[1].available = false;
        assert_eq!(counts(Policy::LeastCost, &bs, 5), vec![0, 0, 5]);
        let mut rng = stream(1, "test");
        let before = rng.clone();
        Balancer::new(Policy::LeastCost).choose(&bs, &mut rng);
        assert_eq!(rng, before, "deterministic: no draw");
    }

    #[test]
    fn round_robin_cycles_and_skips_unavailable() {
        let mut bs = three();
        assert_eq!(counts(Policy::RoundRobin, &bs, 9), vec![3, 3, 3]);
        bs[1].available = false;
        assert_eq!(counts(Policy::RoundRobin, &bs, 10), vec![5, 0, 5]);
    }

    #[test]
    fn weighted_policies_follow_weights() {
        let bs = three();
        // Smooth weighted round robin is exact over a full cycle of 24.
        assert_eq!(counts(Policy::WeightedRoundRobin, &bs, 24), vec![10, 8, 6]);
        let c = counts(Policy::WeightedRandom, &bs, 24_000);
        for (got, w) in c.iter().zip([10.0, 8.0, 6.0]) {
            let expect = 24_000.0 * w / 24.0;
            assert!((*got as f64 - expect).abs() < 0.05 * expect, "{c:?}");
        }
    }

    #[test]
    fn least_loaded_and_power_of_two_avoid_busy_backends() {
        let mut bs = three();
        bs[0].in_flight = 9;
        bs[1].in_flight = 1;
        bs[2].in_flight = 5;
        assert_eq!(counts(Policy::LeastLoaded, &bs, 10), vec![0, 10, 0]);
        // Power of two never picks the busiest of three.
        let c = counts(Policy::PowerOfTwo, &bs, 3000);
        assert_eq!(c[0], 0, "{c:?}");
        assert!(c[1] > c[2], "{c:?}");
    }

    #[test]
    fn health_aware_prefers_healthy_fast_backends() {
        let mut bs = three();
        bs[0].success_rate = 0.2;
        bs[1].response_s = 3.0;
        let c = counts(Policy::HealthAware, &bs, 10_000);
        // scores: 0.2/1, 1/4, 1/1 → shares 0.138, 0.172, 0.690
        assert!(c[2] > c[1] && c[1] > c[0], "{c:?}");
        assert!((c[2] as f64 / 10_000.0 - 1.0 / 1.45).abs() < 0.03, "{c:?}");
    }

    #[test]
    fn weighted_round_robin_with_zero_weights_takes_turns() {
        let bs = vec![
            Backend {
                weight: 0.0,
                ..Backend::default()
            };
            3
        ];
        assert_eq!(counts(Policy::WeightedRoundRobin, &bs, 9), vec![3, 3, 3]);
    }

    #[test]
    fn nothing_available_gives_none() {
        let bs = vec![
            Backend {
                available: false,
                ..Backend::default()
            };
            3
        ];
        for p in Policy::WITH_COST {
            let mut rng = stream(1, "t");
            assert_eq!(Balancer::new(p).choose(&bs, &mut rng), None, "{p:?}");
        }
    }
}
