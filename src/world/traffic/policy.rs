//! The routing policies by name (see the world's docs for what each does).

/// The routing policies, in menu order.
pub const POLICIES: &[&str] = &[
    "naive",
    "round-robin",
    "weighted-random",
    "least-time",
    "marginal-cost",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Policy {
    Naive,
    RoundRobin,
    WeightedRandom,
    LeastTime,
    MarginalCost,
}

impl Policy {
    pub(super) fn parse(name: &str) -> Option<Policy> {
        Some(match name {
            "naive" => Policy::Naive,
            "round-robin" => Policy::RoundRobin,
            "weighted-random" => Policy::WeightedRandom,
            "least-time" => Policy::LeastTime,
            "marginal-cost" => Policy::MarginalCost,
            _ => return None,
        })
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Policy::Naive => "naive",
            Policy::RoundRobin => "round-robin",
            Policy::WeightedRandom => "weighted-random",
            Policy::LeastTime => "least-time",
            Policy::MarginalCost => "marginal-cost",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_policy_parses_back_to_its_name() {
        for name in POLICIES {
            assert_eq!(Policy::parse(name).map(Policy::name), Some(*name));
        }
        assert_eq!(Policy::parse("teleport"), None);
    }
}
