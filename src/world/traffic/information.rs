//! What drivers know: each road's flow, queue and condition as they were
//! `info_delay_s` ago (live when the delay is zero), rebuilt from the
//! passages and routings of the last window rather than stored snapshots.

use super::{Condition, Traffic};
use crate::analytic::road::Bpr;
use crate::sim::SimTime;

impl Traffic {
    /// (flow x per hour, queue, condition) of road `i` as the information
    /// shows it at `now`: `info_delay_s` ago.
    pub(super) fn info(&self, now: SimTime, i: usize) -> (f64, f64, Condition) {
        let r = &self.roads[i];
        let window_s = self.window.as_secs_f64();
        if self.delay == SimTime::ZERO {
            return (self.flow_now(now, i), r.queue.len() as f64, r.cond);
        }
        let seen = now.saturating_sub(self.delay);
        let from = seen.saturating_sub(self.window);
        // Passages in (from, seen].
        let a = r.passed.partition_point(|t| *t <= from);
        let b = r.passed.partition_point(|t| *t <= seen);
        let x = (b - a) as f64 * 3600.0 / window_s;
        // Queue then = queue now − routed since + passed since.
        let routed_since = r.routed_recent.len() - r.routed_recent.partition_point(|t| *t <= seen);
        let passed_since = r.passed.len() - b;
        let q = (r.queue.len() + passed_since).saturating_sub(routed_since);
        let seen_idx = r.history.partition_point(|(t, _)| *t <= seen);
        let cond = r
            .history
            .get(seen_idx.saturating_sub(1))
            .map_or(r.cond, |(_, c)| *c);
        (x, q as f64, cond)
    }

    /// Drops information older than anything the policies or the flow
    /// measurement can still ask for.
    pub(super) fn trim(&mut self, now: SimTime, i: usize) {
        let keep_from = now.saturating_sub(self.delay + self.window);
        let seen = now.saturating_sub(self.delay);
        let r = &mut self.roads[i];
        while r.passed.front().is_some_and(|t| *t <= keep_from) {
            r.passed.pop_front();
        }
        while r.routed_recent.front().is_some_and(|t| *t <= seen) {
            r.routed_recent.pop_front();
        }
        while r.history.len() > 1 && r.history[1].0 <= seen {
            r.history.pop_front();
        }
    }

    /// The travel time (minutes) a car entering road `i` at `now` would
    /// see, by the (possibly delayed) information; `marginal` gives the
    /// marginal cost instead. Infinite for a road it cannot use.
    pub(super) fn estimate_min(&self, now: SimTime, i: usize, marginal: bool) -> f64 {
        let r = &self.roads[i];
        if self.blackout {
            return if r.cond.closed {
                f64::INFINITY
            } else {
                r.p.free_flow_min
            };
        }
        let (x, q, c) = self.info(now, i);
        if !c.usable() || r.cond.closed {
            return f64::INFINITY;
        }
        let bpr = Bpr {
            capacity_per_h: c.capacity_per_h,
            ..r.p.bpr()
        };
        let wait_min = q / c.capacity_per_h * 60.0;
        let running = if marginal {
            bpr.marginal_cost_min(x)
        } else {
            bpr.travel_time_min(x)
        };
        wait_min + running * c.slow * c.weather + c.extra_s / 60.0
    }
}
