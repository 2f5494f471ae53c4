//! Routing: the road a departing car takes under each policy. Closed
//! roads are visible (barricades): no policy sends a car into one while
//! another is open.

use rand::Rng;

use super::policy::Policy;
use super::{Cx, MAX_CARS_IN_SYSTEM, QUEUE_MILESTONES, Road, Traffic};
use crate::policy::{Backend, Balancer};
use crate::sim::SimTime;

impl Traffic {
    /// The road a departing car takes.
    fn choose(&mut self, now: SimTime) -> usize {
        let open: Vec<usize> = (0..self.roads.len())
            .filter(|i| !self.roads[*i].cond.closed)
            .collect();
        let shortest = |set: &[usize], roads: &[Road]| {
            set.iter()
                .copied()
                .min_by(|a, b| {
                    roads[*a]
                        .p
                        .free_flow_min
                        .total_cmp(&roads[*b].p.free_flow_min)
                })
                .unwrap_or(0)
        };
        if open.is_empty() {
            // Every road is closed: wait at the shortest one's barricade.
            let all: Vec<usize> = (0..self.roads.len()).collect();
            return shortest(&all, &self.roads);
        }
        match self.policy {
            Policy::Naive => shortest(&open, &self.roads),
            Policy::RoundRobin => {
                let n = self.roads.len();
                for _ in 0..n {
                    let i = self.rr_next % n;
                    self.rr_next = (self.rr_next + 1) % n;
                    if !self.roads[i].cond.closed {
                        return i;
                    }
                }
                open[0]
            }
            Policy::WeightedRandom => {
                let total: f64 = open.iter().map(|i| self.roads[*i].p.weight()).sum();
                let u: f64 = self.routing_rng.random::<f64>() * total;
                if total <= 0.0 {
                    return open[0];
                }
                let mut acc = 0.0;
                for &i in &open {
                    acc += self.roads[i].p.weight();
                    if u < acc {
                        return i;
                    }
                }
                *open.last().unwrap_or(&0)
            }
            Policy::LeastTime | Policy::MarginalCost => {
                // The shared least-cost policy over each open road's cost:
                // the time a car entering now would take (least-time), or
                // its marginal cost to everyone (marginal-cost).
                let marginal = self.policy == Policy::MarginalCost;
                let backends: Vec<Backend> = (0..self.roads.len())
                    .map(|i| {
                        let available = !self.roads[i].cond.closed;
                        Backend {
                            available,
                            cost: if available {
                                self.estimate_min(now, i, marginal)
                            } else {
                                f64::NAN
                            },
                            ..Backend::default()
                        }
                    })
                    .collect();
                match Balancer::new(crate::policy::Policy::LeastCost)
                    .choose(&backends, &mut self.routing_rng)
                {
                    Some(i) if backends[i].cost.is_finite() => i,
                    // Nothing known of any road: the shortest one.
                    _ => shortest(&open, &self.roads),
                }
            }
        }
    }

    /// A car leaves at `cx.now()` and joins the queue of the road it picks
    /// (or is turned away past the memory cap).
    pub(super) fn depart(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        self.arrivals += 1;
        if self.in_system() >= MAX_CARS_IN_SYSTEM {
            self.turned_away += 1;
            return;
        }
        let i = self.choose(now);
        let delayed = self.delay > SimTime::ZERO;
        let r = &mut self.roads[i];
        r.routed += 1;
        if delayed {
            r.routed_recent.push_back(now);
        }
        r.queue.push_back(now);
        if r.queue.len() > r.queue_peak {
            r.queue_peak = r.queue.len();
        }
        let q = r.queue.len();
        if let Some(&m) = QUEUE_MILESTONES.iter().rev().find(|m| q >= **m)
            && m > r.queue_alarm
        {
            r.queue_alarm = m;
            r.jammed = true;
            let line = format!(
                "{} jam: {q} cars queued ({:.0} min wait)",
                r.label,
                q as f64 / r.cond.capacity_per_h.max(1e-9) * 60.0
            );
            cx.log(line);
        }
        self.record_cars(now);
        self.schedule_discharge(cx, i);
    }
}
