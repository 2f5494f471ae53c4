//! A road's bottleneck: a point queue at its entrance served at capacity,
//! one car every 3600/c seconds, in order. A car that passes it drives the
//! running section in the BPR time at the road's measured flow (times the
//! slowdown and the weather, plus any added latency).

use rand::Rng;

use super::{Condition, Cx, Event, QUEUE_MILESTONES, Traffic, secs};
use crate::analytic::road::Bpr;
use crate::sim::SimTime;

impl Traffic {
    fn headway(c: &Condition) -> SimTime {
        secs(3600.0 / c.capacity_per_h)
    }

    /// Schedules road `i`'s next bottleneck passage, if a car waits and the
    /// road is usable.
    pub(super) fn schedule_discharge(&mut self, cx: &mut Cx<'_>, i: usize) {
        let now = cx.now();
        let r = &mut self.roads[i];
        if r.pending || r.queue.is_empty() || !r.cond.usable() {
            return;
        }
        let at = r
            .last_discharge
            .map_or(now, |t| (t + Self::headway(&r.cond)).max(now));
        r.epoch = r.epoch.wrapping_add(1);
        r.pending = true;
        let epoch = r.epoch;
        cx.schedule(at, Event::Discharge { road: i, epoch });
    }

    /// Cancels and re-plans road `i`'s next passage (its capacity changed).
    pub(super) fn replan(&mut self, cx: &mut Cx<'_>, i: usize) {
        let r = &mut self.roads[i];
        r.epoch = r.epoch.wrapping_add(1);
        r.pending = false;
        self.schedule_discharge(cx, i);
    }

    /// The next car passes road `i`'s bottleneck at `cx.now()` and starts
    /// its running section.
    pub(super) fn discharge(&mut self, cx: &mut Cx<'_>, i: usize) {
        let now = cx.now();
        let Some(departed) = self.roads[i].queue.pop_front() else {
            return;
        };
        let wait = now - departed;
        self.wait.record(wait);
        self.max_wait = self.max_wait.max(wait);
        let x = self.flow_now(now, i);
        let c = {
            let r = &mut self.roads[i];
            r.last_discharge = Some(now);
            r.discharged += 1;
            r.passed.push_back(now);
            r.running += 1;
            r.cond
        };
        self.settle_alarm(cx, i, wait);
        // The flow x counts the car itself.
        let x = x + 3600.0 / self.window.as_secs_f64();
        let bpr = Bpr {
            capacity_per_h: c.capacity_per_h,
            ..self.roads[i].p.bpr()
        };
        let dry_s = bpr.travel_time_min(x) * 60.0 * c.slow;
        let wet_s = dry_s * (c.weather - 1.0);
        let mut extra_s = c.extra_s;
        if c.jitter_s > 0.0 {
            extra_s += self.latency_rng.random_range(-c.jitter_s..=c.jitter_s);
        }
        cx.schedule_in(
            secs(dry_s + wet_s + extra_s.max(0.0)),
            Event::Arrive {
                road: i,
                departed,
                dry: secs(dry_s),
                wet: secs(wet_s),
            },
        );
        self.trim(now, i);
        self.schedule_discharge(cx, i);
    }

    /// Lowers road `i`'s jam milestone as its queue drains (so that a new
    /// jam is logged again) and logs when a logged jam is gone.
    fn settle_alarm(&mut self, cx: &mut Cx<'_>, i: usize, last_wait: SimTime) {
        let r = &mut self.roads[i];
        let q = r.queue.len();
        if q < r.queue_alarm / 2 {
            r.queue_alarm = QUEUE_MILESTONES
                .iter()
                .copied()
                .filter(|m| *m <= q)
                .max()
                .unwrap_or(0);
        }
        if q == 0 && r.jammed {
            r.jammed = false;
            let line = format!(
                "{} jam cleared; the last car waited {:.0} min",
                r.label,
                last_wait.as_secs_f64() / 60.0
            );
            cx.log(line);
        }
    }
}
