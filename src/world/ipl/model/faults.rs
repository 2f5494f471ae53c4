//! The faults in force, kept in the shared [`FaultBook`]s (one per tier,
//! so that `all` means every app server and nothing else) and read back as
//! [`Effect`]s: the book is the one place faults combine (slowdowns
//! multiply, latencies add, capacity drops multiply what is left, error
//! probabilities combine as independent failures).
//!
//! | tier | units | what the effect drives |
//! |---|---|---|
//! | app | `app-k` (`all`: every server, also those added later) | down, service rate, added latency, error probability |
//! | db | one | down, query rate, added latency, share of the pool |
//! | payment | one | added latency, error probability |
//! | kitchens | `kitchen-cluster-k` (`kitchens`: every cluster) | down; the tier's rate and slots (only `kitchens` takes those) |
//! | partners | one | share of the partners on strike |
//! | region | one | `power-loss` of the given strength (the largest in force) |

use std::collections::BTreeMap;

use crate::fault::{Effect, FaultBook, FaultKind, Target};
use crate::sim::SimTime;

/// The world fault name of a regional power loss.
pub(in crate::world::ipl) const POWER_LOSS: &str = "power-loss";

/// The tier (and unit) a fault lands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::world::ipl) enum Place {
    App(Target),
    Db,
    Payment,
    Kitchens(Target),
    Partners,
    Region,
}

/// The faults in force, by tier.
#[derive(Clone, Debug, Default)]
pub(in crate::world::ipl) struct Faults {
    pub app: FaultBook,
    pub db: FaultBook,
    pub payment: FaultBook,
    pub kitchens: FaultBook,
    pub partners: FaultBook,
    pub region: FaultBook,
    /// Each fault's target name, for the log.
    targets: BTreeMap<u64, String>,
}

/// What the faults do to the tiers that are not a fleet of units.
#[derive(Clone, Copy, Debug)]
pub(in crate::world::ipl) struct FaultEffects {
    pub db_down: bool,
    /// Query rate, added latency and share of the pool.
    pub db: Effect,
    /// Added latency and error probability of the payment call.
    pub payment: Effect,
    /// The whole kitchen tier: rate and share of the slots.
    pub kitchens: Effect,
    /// Share of the delivery partners on strike.
    pub strike: f64,
    /// Share of the primary region's capacity lost.
    pub power_loss: Option<f64>,
}

impl Default for FaultEffects {
    fn default() -> Self {
        FaultEffects {
            db_down: false,
            db: Effect::NONE,
            payment: Effect::NONE,
            kitchens: Effect::NONE,
            strike: 0.0,
            power_loss: None,
        }
    }
}

impl Faults {
    fn book_mut(&mut self, place: Place) -> (&mut FaultBook, Target) {
        match place {
            Place::App(t) => (&mut self.app, t),
            Place::Db => (&mut self.db, Target::One(0)),
            Place::Payment => (&mut self.payment, Target::One(0)),
            Place::Kitchens(t) => (&mut self.kitchens, t),
            Place::Partners => (&mut self.partners, Target::One(0)),
            Place::Region => (&mut self.region, Target::One(0)),
        }
    }

    /// Records fault `id`; for a kill with a restart, when it restarts.
    pub fn insert(
        &mut self,
        id: u64,
        place: Place,
        kind: FaultKind,
        target: &str,
        now: SimTime,
    ) -> Option<SimTime> {
        self.targets.insert(id, target.to_string());
        let (book, t) = self.book_mut(place);
        book.insert(id, kind, t, now)
    }

    /// Forgets fault `id`; its target's name if it was in force.
    pub fn remove(&mut self, id: u64) -> Option<String> {
        let name = self.targets.remove(&id)?;
        for book in [
            &mut self.app,
            &mut self.db,
            &mut self.payment,
            &mut self.kitchens,
            &mut self.partners,
            &mut self.region,
        ] {
            book.remove(id);
        }
        Some(name)
    }

    pub fn clear(&mut self) {
        *self = Faults::default();
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The effects on the single-unit tiers at `now`.
    #[must_use]
    pub fn effects(&self, now: SimTime) -> FaultEffects {
        let db = self.db.effect(0, now);
        // Rate and slots are accepted only on `kitchens` (every cluster),
        // so any cluster tells the tier's.
        let kitchens = self.kitchens.effect(0, now);
        let power_loss = self
            .region
            .world_faults()
            .filter(|(name, _, _)| *name == POWER_LOSS)
            .map(|(_, strength, _)| strength.min(1.0))
            .reduce(f64::max);
        FaultEffects {
            db_down: !db.accepting(),
            db,
            payment: self.payment.effect(0, now),
            kitchens,
            strike: 1.0 - self.partners.effect(0, now).capacity_factor,
            power_loss,
        }
    }
}

/// The latency `e` adds to one call, seconds: its mean ± a uniform jitter
/// (drawn only when there is one), never below zero.
pub(super) fn added_latency_s(e: &Effect, rng: &mut crate::sim::rng::SimRng) -> f64 {
    use rand::Rng;
    if e.jitter_s > 0.0 {
        let u: f64 = rng.random();
        (e.latency_s + e.jitter_s * (2.0 * u - 1.0)).max(0.0)
    } else {
        e.latency_s
    }
}
