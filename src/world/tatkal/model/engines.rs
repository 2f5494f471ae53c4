//! Booking engines: their slots, backlog and the effect of faults on them.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A request in an engine's backlog.
#[derive(Clone, Copy, Debug)]
pub(super) struct Req {
    pub(super) user: u32,
    pub(super) attempt: u16,
    pub(super) step: u8,
    pub(super) sent_ms: u32,
}

pub(super) struct Engine {
    pub(super) up: bool,
    pub(super) epoch: u16,
    pub(super) busy: u32,
    pub(super) queue: VecDeque<Req>,
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
    pub(super) latency: Ewma,
    pub(super) success: Ewma,
    pub(super) dispatched: u64,
    pub(super) dispatched_last: u64,
    pub(super) share: f64,
}

impl Engine {
    pub(super) fn new() -> Self {
        Engine {
            up: true,
            epoch: 0,
            busy: 0,
            queue: VecDeque::new(),
            saturated_since: None,
            endurance_ms: 0,
            killed_by: None,
            kill_id: None,
            crashes: 0,
            fault: Effect::NONE,
            latency: Ewma::new(0.05),
            success: Ewma::new(0.05),
            dispatched: 0,
            dispatched_last: 0,
            share: 0.0,
        }
    }

    pub(super) fn slots(&self, base: u32) -> u32 {
        ((f64::from(base) * self.fault.capacity_factor).round() as u32).max(1)
    }

    pub(super) fn in_flight(&self) -> u32 {
        self.busy + self.queue.len() as u32
    }

    pub(super) fn degraded(&self) -> bool {
        self.fault.degraded()
    }
}

/// The payment gateway's unit in `dependency_faults`.
pub(super) const PAYMENT: usize = 0;
/// The database's unit in `dependency_faults`.
pub(super) const DB: usize = 1;

/// A latency fault's added seconds for one request (± its jitter).
pub(super) fn added_latency_s(e: &Effect, rng: &mut SimRng) -> f64 {
    (e.latency_s + e.jitter_s * (2.0 * rng.random::<f64>() - 1.0)).max(0.0)
}
