//! What the shared faults do to a unit (a server, a track, a route): the
//! active faults are kept in a [`FaultBook`] by id, and each unit's
//! [`Effect`] is computed from the faults in force. Clearing a fault
//! removes its entry and the effect is computed again, so reverting is
//! exact however faults overlap (slowdowns multiply, latencies add, error
//! probabilities combine as independent failures).
//!
//! | fault | effect |
//! |---|---|
//! | `Kill { restart_after_s }` | unit down (crashed); back up after the delay |
//! | `Latency { ms, jitter_ms }` | every job takes `ms ± jitter` longer |
//! | `Slowdown { factor }` | service rate × factor |
//! | `CapacityDrop { fraction }` | capacity × (1 − fraction) |
//! | `ErrorRate { p }` | each job fails fast with probability p |
//! | `Partition` | unit unreachable: nothing can be sent to it |
//! | `Blackhole` | unit accepts work and never answers |

use std::collections::BTreeMap;

use super::FaultKind;
use rand::Rng;

use crate::sim::SimTime;
use crate::sim::rng::SimRng;
use crate::sim::world::CommandError;

/// The combined effect of the faults on one unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect {
    /// Crashed.
    pub down: bool,
    /// Service rate multiplier (1 = normal).
    pub slowdown: f64,
    /// Added latency and its ± jitter, seconds.
    pub latency_s: f64,
    pub jitter_s: f64,
    /// Probability a job fails fast.
    pub error_p: f64,
    /// Remaining share of capacity (1 = all).
    pub capacity_factor: f64,
    pub partitioned: bool,
    pub blackholed: bool,
}

impl Effect {
    /// No fault.
    pub const NONE: Effect = Effect {
        down: false,
        slowdown: 1.0,
        latency_s: 0.0,
        jitter_s: 0.0,
        error_p: 0.0,
        capacity_factor: 1.0,
        partitioned: false,
        blackholed: false,
    };

    /// Accepts new work (up and reachable).
    #[must_use]
    pub fn accepting(&self) -> bool {
        !self.down && !self.partitioned
    }

    /// Something is wrong but the unit still works.
    #[must_use]
    pub fn degraded(&self) -> bool {
        self.slowdown != 1.0
            || self.latency_s > 0.0
            || self.error_p > 0.0
            || self.capacity_factor < 1.0
            || self.blackholed
    }

    /// A job of `base` seconds served under this effect (one that is not
    /// blackholed): its time divided by the slowdown, the latency ± jitter
    /// added (one draw from `rng` when there is jitter), and with the
    /// error probability it fails fast (one more draw when that is
    /// positive), taking only the added latency. Returns the seconds
    /// (never negative) and whether it failed. The one place where a
    /// slot's effect turns into a service time, for every block that
    /// serves jobs on slots.
    #[must_use]
    pub fn serve(&self, base: f64, rng: &mut SimRng) -> (f64, bool) {
        let mut t = base / self.slowdown;
        let mut extra = self.latency_s;
        if self.jitter_s > 0.0 {
            extra += self.jitter_s * (2.0 * rng.random::<f64>() - 1.0);
        }
        let failed = self.error_p > 0.0 && rng.random::<f64>() < self.error_p;
        if failed {
            t = 0.0;
        }
        ((t + extra).max(0.0), failed)
    }
}

impl Default for Effect {
    fn default() -> Self {
        Effect::NONE
    }
}

/// Which units a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    All,
    One(usize),
}

impl Target {
    /// `all` or one of `units` by name.
    pub fn resolve(name: &str, units: &[String]) -> Result<Target, CommandError> {
        if name == "all" {
            return Ok(Target::All);
        }
        units
            .iter()
            .position(|u| u == name)
            .map(Target::One)
            .ok_or_else(|| CommandError::UnknownTarget {
                name: name.to_string(),
                expected: std::iter::once("all")
                    .chain(units.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    #[must_use]
    pub fn hits(self, unit: usize) -> bool {
        match self {
            Target::All => true,
            Target::One(u) => u == unit,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    kind: FaultKind,
    target: Target,
    /// For kills: when the unit restarts (`None`: when cleared).
    restart_at: Option<SimTime>,
}

/// The active faults of a world, by id (ordered, so effects never depend
/// on hash order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultBook {
    entries: BTreeMap<u64, Entry>,
}

impl FaultBook {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records fault `id` from `now`. For a kill with a restart delay,
    /// returns the restart instant (schedule an event then and recompute).
    pub fn insert(
        &mut self,
        id: u64,
        kind: FaultKind,
        target: Target,
        now: SimTime,
    ) -> Option<SimTime> {
        let restart_at = match kind {
            FaultKind::Kill {
                restart_after_s: Some(s),
            } => Some(now + SimTime::from_secs_f64(s)),
            _ => None,
        };
        self.entries.insert(
            id,
            Entry {
                kind,
                target,
                restart_at,
            },
        );
        restart_at
    }

    /// Forgets fault `id`; whether it was there.
    pub fn remove(&mut self, id: u64) -> bool {
        self.entries.remove(&id).is_some()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// World-specific faults in force: (name, strength, target).
    pub fn world_faults(&self) -> impl Iterator<Item = (&str, f64, Target)> {
        self.entries.values().filter_map(|e| match &e.kind {
            FaultKind::World { name, strength } => Some((name.as_str(), *strength, e.target)),
            _ => None,
        })
    }

    /// The effect on `unit` at `now`.
    #[must_use]
    pub fn effect(&self, unit: usize, now: SimTime) -> Effect {
        let mut e = Effect::NONE;
        for entry in self.entries.values().filter(|x| x.target.hits(unit)) {
            match entry.kind {
                FaultKind::Kill { .. } => {
                    e.down |= entry.restart_at.is_none_or(|t| now < t);
                }
                FaultKind::Latency { ms, jitter_ms } => {
                    e.latency_s += ms / 1000.0;
                    e.jitter_s += jitter_ms / 1000.0;
                }
                FaultKind::Slowdown { factor } => e.slowdown *= factor,
                FaultKind::CapacityDrop { fraction } => e.capacity_factor *= 1.0 - fraction,
                FaultKind::ErrorRate { p } => e.error_p = 1.0 - (1.0 - e.error_p) * (1.0 - p),
                FaultKind::Partition => e.partitioned = true,
                FaultKind::Blackhole => e.blackholed = true,
                FaultKind::World { .. } => {}
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_combine_and_revert_exactly() {
        let mut b = FaultBook::new();
        let t0 = SimTime::ZERO;
        b.insert(1, FaultKind::Slowdown { factor: 0.5 }, Target::All, t0);
        b.insert(2, FaultKind::Slowdown { factor: 0.5 }, Target::One(1), t0);
        b.insert(3, FaultKind::ErrorRate { p: 0.5 }, Target::All, t0);
        b.insert(4, FaultKind::ErrorRate { p: 0.5 }, Target::One(1), t0);
        let e1 = b.effect(1, t0);
        assert_eq!(e1.slowdown, 0.25);
        assert_eq!(e1.error_p, 0.75);
        assert_eq!(b.effect(0, t0).slowdown, 0.5);
        b.remove(2);
        b.remove(4);
        assert_eq!(b.effect(1, t0), b.effect(0, t0));
        b.clear();
        assert_eq!(b.effect(1, t0), Effect::NONE);
    }

    #[test]
    fn kills_restart_after_their_delay() {
        let mut b = FaultBook::new();
        let at = b.insert(
            7,
            FaultKind::Kill {
                restart_after_s: Some(10.0),
            },
            Target::One(0),
            SimTime::from_secs(5),
        );
        assert_eq!(at, Some(SimTime::from_secs(15)));
        assert!(b.effect(0, SimTime::from_secs(14)).down);
        assert!(!b.effect(0, SimTime::from_secs(15)).down);
        assert!(!b.effect(1, SimTime::from_secs(6)).down);
        let names = vec!["a".to_string(), "b".to_string()];
        assert_eq!(Target::resolve("b", &names), Ok(Target::One(1)));
        assert!(Target::resolve("c", &names).is_err());
    }
}
