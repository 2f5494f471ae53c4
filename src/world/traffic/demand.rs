//! Departures: a Poisson process thinned against the schedule's peak, so
//! that the rate can follow the schedule (and `ScaleArrivals`) exactly.

use rand::Rng;

use super::{Cx, Event, Traffic, secs};
use crate::sim::SimTime;

impl Traffic {
    /// The demand at `now`, cars/h (schedule × scale).
    pub(super) fn demand_now(&self, now: SimTime) -> f64 {
        self.p.demand_at(now.as_secs_f64()) * self.scale
    }

    /// Draws the next candidate departure from now (memoryless, so a new
    /// bound can start at any instant).
    pub(super) fn schedule_candidate(&mut self, cx: &mut Cx<'_>) {
        self.candidate_epoch = self.candidate_epoch.wrapping_add(1);
        let rate_per_s = self.lambda_max_per_h / 3600.0;
        if rate_per_s > 0.0 {
            let u: f64 = 1.0 - self.arrivals_rng.random::<f64>();
            let gap = secs(-u.ln() / rate_per_s);
            cx.schedule_in(
                gap,
                Event::Candidate {
                    epoch: self.candidate_epoch,
                },
            );
        }
    }

    /// Cars waiting at a bottleneck or driving.
    pub(super) fn in_system(&self) -> u64 {
        self.roads
            .iter()
            .map(|r| r.queue.len() as u64 + r.running)
            .sum()
    }
}
