//! The world's measured figures as one typed value: [`Observation`] holds
//! every headless metric by name, the metrics map is made from it (a
//! field without a key, or a key without a field, does not compile) and
//! the snapshot reads its counts and shares from it.

use serde::Serialize;

use super::Traffic;
use crate::sim::SimTime;
use crate::sim::metrics::Metrics;
use crate::sim::world::Ledger;

/// One road's figures since the last statistics reset (the metric keys
/// end in the road's name: `flow_per_h_weh`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoadObservation {
    pub name: String,
    /// Cars through its bottleneck, per hour.
    pub flow_per_h: f64,
    /// Share of the cars routed to it.
    pub share: f64,
    /// Mean journey of the cars that took it (NaN: none arrived yet).
    pub travel_time_min: f64,
    /// Cars at its bottleneck now.
    pub queue: f64,
    pub queue_peak: f64,
}

/// The world's metrics (see the world's docs for what each means).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observation {
    pub arrivals: f64,
    pub completed: f64,
    pub in_system: f64,
    pub in_system_at_reset: f64,
    pub turned_away: f64,
    pub demand_per_h: f64,
    pub roads: Vec<RoadObservation>,
    pub mean_journey_min: f64,
    pub p95_journey_min: f64,
    pub mean_wait_min: f64,
    pub max_wait_min: f64,
    pub vehicle_hours: f64,
    pub vehicle_hours_per_h: f64,
    pub monsoon_delay_frac: f64,
}

impl Observation {
    /// The headless metrics: one key per field, per road for the roads'.
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        let Observation {
            arrivals,
            completed,
            in_system,
            in_system_at_reset,
            turned_away,
            demand_per_h,
            roads,
            mean_journey_min,
            p95_journey_min,
            mean_wait_min,
            max_wait_min,
            vehicle_hours,
            vehicle_hours_per_h,
            monsoon_delay_frac,
        } = self;
        let mut m = Metrics::new();
        for (k, v) in [
            ("arrivals", arrivals),
            ("completed", completed),
            ("in_system", in_system),
            ("in_system_at_reset", in_system_at_reset),
            ("turned_away", turned_away),
            ("demand_per_h", demand_per_h),
            ("mean_journey_min", mean_journey_min),
            ("p95_journey_min", p95_journey_min),
            ("mean_wait_min", mean_wait_min),
            ("max_wait_min", max_wait_min),
            ("vehicle_hours", vehicle_hours),
            ("vehicle_hours_per_h", vehicle_hours_per_h),
            ("monsoon_delay_frac", monsoon_delay_frac),
        ] {
            m.insert(k.to_string(), *v);
        }
        for r in roads {
            let RoadObservation {
                name,
                flow_per_h,
                share,
                travel_time_min,
                queue,
                queue_peak,
            } = r;
            for (k, v) in [
                ("flow_per_h", flow_per_h),
                ("share", share),
                ("travel_time_min", travel_time_min),
                ("queue", queue),
                ("queue_peak", queue_peak),
            ] {
                m.insert(format!("{k}_{name}"), *v);
            }
        }
        m
    }
}

impl Traffic {
    /// What the world measured up to `now`.
    pub(super) fn observe(&self, now: SimTime) -> Observation {
        let span_h = (now - self.stats_since).as_secs_f64() / 3600.0;
        let per_h = |x: u64| if span_h > 0.0 { x as f64 / span_h } else { 0.0 };
        let dry = self.dry_sum.as_secs_f64();
        Observation {
            arrivals: self.arrivals as f64,
            completed: self.completed as f64,
            in_system: self.in_system() as f64,
            in_system_at_reset: self.in_system_at_reset as f64,
            turned_away: self.turned_away as f64,
            demand_per_h: per_h(self.arrivals),
            roads: self
                .roads
                .iter()
                .enumerate()
                .map(|(i, r)| RoadObservation {
                    name: r.p.name.clone(),
                    flow_per_h: per_h(r.discharged),
                    share: self.share(i),
                    travel_time_min: if r.completed > 0 {
                        r.journey_sum_s / r.completed as f64 / 60.0
                    } else {
                        f64::NAN
                    },
                    queue: r.queue.len() as f64,
                    queue_peak: r.queue_peak as f64,
                })
                .collect(),
            mean_journey_min: self.journey.mean_s() / 60.0,
            p95_journey_min: self.journey.quantile_s(0.95) / 60.0,
            mean_wait_min: self.wait.mean_s() / 60.0,
            max_wait_min: self.max_wait.as_secs_f64() / 60.0,
            vehicle_hours: self.cars.mean(now) * span_h,
            vehicle_hours_per_h: self.cars.mean(now),
            monsoon_delay_frac: if dry > 0.0 {
                self.wet_sum.as_secs_f64() / dry
            } else {
                0.0
            },
        }
    }
}

impl Traffic {
    /// Cars for the conservation law, from the world's own counters.
    pub(super) fn ledger(&self) -> Ledger {
        Ledger {
            entity: "cars",
            arrived: self.arrivals,
            in_system_at_reset: self.in_system_at_reset,
            completed: self.completed,
            left: vec![("turned away", self.turned_away)],
            in_system: self.in_system(),
        }
    }
}
