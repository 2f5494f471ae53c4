//! Booking engines: each a shared [`Station`] (its slots, its backlog,
//! its degrading service model, its EWMAs; crashed as a whole) behind the
//! fleet's router, and what Tatkal keeps beside it (its lives, the faults
//! on it, how long it survives saturation, its share of the requests).

#[allow(clippy::wildcard_imports)]
use super::*;

/// A request in an engine's backlog or slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Req {
    pub(super) user: u32,
    pub(super) attempt: u16,
    pub(super) step: u8,
    pub(super) sent_ms: u32,
}

pub(super) struct Engine {
    /// Lives: a crash ends one (a restart event of an older life is stale).
    pub(super) epoch: u16,
    pub(super) saturated_since: Option<u64>,
    /// How long this life of the engine survives saturation (ms): the
    /// fleet's engines differ, so they do not all fall at once.
    pub(super) endurance_ms: u64,
    /// Down because of a Kill fault (its id) with no automatic restart.
    pub(super) killed_by: Option<u64>,
    /// The kill fault that took it down, with or without a restart delay:
    /// clearing that fault brings the engine back at once, as everywhere.
    pub(super) kill_id: Option<u64>,
    pub(super) crashes: u32,
    /// What the faults in force do to it (kills aside: a kill crashes
    /// the engine, see `crash`).
    pub(super) fault: Effect,
    // measurements
    pub(super) dispatched: u64,
    pub(super) dispatched_last: u64,
    pub(super) share: f64,
}

impl Engine {
    pub(super) fn new() -> Self {
        Engine {
            epoch: 0,
            saturated_since: None,
            endurance_ms: 0,
            killed_by: None,
            kill_id: None,
            crashes: 0,
            fault: Effect::NONE,
            dispatched: 0,
            dispatched_last: 0,
            share: 0.0,
        }
    }

    pub(super) fn slots(&self, base: u32) -> u32 {
        ((f64::from(base) * self.fault.capacity_factor).round() as u32).max(1)
    }

    pub(super) fn degraded(&self) -> bool {
        self.fault.degraded()
    }
}

/// An engine's station: `engine_slots` slots, room for `engine_backlog`
/// waiting, service thrashing past the knee (the caller draws each
/// service time; see [`Tatkal::start_request`]), EWMAs weighing each new
/// value by 0.05.
pub(super) fn station(p: &TatkalParams, seed: u64, i: usize) -> Station<Req> {
    Station::engine(
        p.engine_slots as usize,
        p.engine_backlog as usize,
        thrashing(p, p.engine_knee),
        0.05,
        seed,
        &format!("tatkal/engine-{}", i + 1),
    )
}

/// The engines' service model with the knee at `knee` (the slots' share
/// of it left under a capacity fault): `1 + thrash·(busy − knee)/knee`
/// past it. The base is one booking's engine time spread over the steps
/// of the sequential pipeline (each step draws its own time).
pub(super) fn thrashing(p: &TatkalParams, knee: u32) -> ServiceModel {
    let steps = pipeline(false).len() as f64;
    let mean_s = engine_seconds_per_booking(false) / steps;
    let base = ServiceTime::new(ServiceDist::Deterministic, mean_s)
        .unwrap_or_else(|_| unreachable!("a positive mean"));
    ServiceModel::degrading(base, knee.max(1), p.thrash)
        .unwrap_or_else(|_| unreachable!("knee ≥ 1 and thrash validated in 0..=100"))
}

/// The payment gateway's unit in `dependency_faults`.
pub(super) const PAYMENT: usize = 0;
/// The database's unit in `dependency_faults`.
pub(super) const DB: usize = 1;

/// A latency fault's added seconds for one request (± its jitter).
pub(super) fn added_latency_s(e: &Effect, rng: &mut SimRng) -> f64 {
    (e.latency_s + e.jitter_s * (2.0 * rng.random::<f64>() - 1.0)).max(0.0)
}
