//! What the world shows of itself: the dashboard's snapshot, the headless
//! metrics and the static BPR model beside them (user equilibrium, system
//! optimum, price of anarchy) over the roads as they are now.

use super::policy::Policy;
use super::{Road, Traffic};
use crate::analytic::road::{self, Assignment, Bpr};
use crate::sim::metrics::ClosedForms;
use crate::sim::world::{
    AnalyticRow, ChartView, GaugeView, RoadView, SeriesView, UnitState, UnitView,
};
use crate::sim::{History, SimTime, Snapshot};

impl Traffic {
    /// The static model of the roads as they are now (closed roads left
    /// out, capacity and speed faults applied, weather not).
    pub(super) fn live_bpr(&self) -> (Vec<usize>, Vec<Bpr>) {
        let mut idx = Vec::new();
        let mut bprs = Vec::new();
        for (i, r) in self.roads.iter().enumerate() {
            if r.cond.usable() {
                idx.push(i);
                bprs.push(Bpr {
                    free_flow_min: r.p.free_flow_min * r.cond.slow,
                    capacity_per_h: r.cond.capacity_per_h,
                    ..r.p.bpr()
                });
            }
        }
        (idx, bprs)
    }

    /// The demand the analytic figures use: the constant, or the peak.
    fn analytic_demand(&self) -> f64 {
        self.p.peak_demand() * self.scale
    }

    fn assignments(&self, demand: f64) -> (Vec<usize>, Option<Assignment>, Option<Assignment>) {
        let (idx, bprs) = self.live_bpr();
        (
            idx,
            road::user_equilibrium(&bprs, demand),
            road::system_optimum(&bprs, demand),
        )
    }

    pub(super) fn unit_state(r: &Road) -> UnitState {
        if !r.cond.usable() {
            UnitState::Down
        } else if r.cond.capacity_per_h < r.p.capacity_per_h
            || r.cond.slow > 1.0
            || r.cond.weather > 1.0
            || r.cond.extra_s > 0.0
            || r.queue.len() > 10
        {
            UnitState::Degraded
        } else {
            UnitState::Up
        }
    }

    /// The live travel time of road `i` for a car entering now, minutes
    /// (what the dashboard shows; ignores the information delay).
    fn live_time_min(&self, now: SimTime, i: usize) -> f64 {
        let r = &self.roads[i];
        if !r.cond.usable() {
            return f64::INFINITY;
        }
        let x = self.flow_now(now, i);
        let bpr = Bpr {
            capacity_per_h: r.cond.capacity_per_h,
            ..r.p.bpr()
        };
        r.queue.len() as f64 / r.cond.capacity_per_h * 60.0
            + bpr.travel_time_min(x) * r.cond.slow * r.cond.weather
            + r.cond.extra_s / 60.0
    }

    /// Road `i`'s flow x: bottleneck passages during the last
    /// `flow_window_s`, per hour.
    pub(super) fn flow_now(&self, now: SimTime, i: usize) -> f64 {
        let r = &self.roads[i];
        let n = r.passed.len() - r.passed.partition_point(|t| *t + self.window <= now);
        n as f64 * 3600.0 / self.window.as_secs_f64()
    }

    fn total_routed(&self) -> u64 {
        self.roads.iter().map(|r| r.routed).sum()
    }

    pub(super) fn share(&self, i: usize) -> f64 {
        let total = self.total_routed();
        if total == 0 {
            0.0
        } else {
            self.roads[i].routed as f64 / total as f64
        }
    }

    /// What the dashboard draws at `now` (the run-time fills in the count
    /// of events).
    pub(super) fn view(&self, now: SimTime, h: &History) -> Snapshot {
        let demand_now = self.demand_now(now);
        let obs = self.observe(now);
        let domain = self.static_domain(demand_now);
        let (idx, ue, so) = if domain.is_ok() {
            self.assignments(demand_now)
        } else {
            (Vec::new(), None, None)
        };
        let roads: Vec<RoadView> = self
            .roads
            .iter()
            .enumerate()
            .map(|(i, r)| RoadView {
                name: r.label.clone(),
                flow_per_h: self.flow_now(now, i),
                capacity_per_h: r.cond.capacity_per_h,
                queue: obs.roads[i].queue,
                // A closed road has no travel time: it shows its free-flow
                // time, and `closed` says why.
                travel_time_min: {
                    let t = self.live_time_min(now, i);
                    if t.is_finite() { t } else { r.p.free_flow_min }
                },
                free_flow_min: r.p.free_flow_min,
                share: obs.roads[i].share,
                closed: !r.cond.usable(),
            })
            .collect();
        let mut gauges = Vec::new();
        for (i, r) in self.roads.iter().enumerate() {
            let flow = self.flow_now(now, i);
            let cap = r.cond.capacity_per_h;
            let ratio = if cap > 0.0 { flow / cap } else { 1.0 };
            gauges.push(GaugeView {
                label: format!("{} flow", r.label),
                ratio: ratio.clamp(0.0, 1.0),
                text: if r.cond.usable() {
                    format!("{flow:.0}/{cap:.0} cars/h")
                } else {
                    "CLOSED".to_string()
                },
                alarm: !r.cond.usable() || ratio > 0.95,
            });
        }
        for r in &self.roads {
            let q = r.queue.len() as f64;
            let cap = r.cond.capacity_per_h;
            let (ratio, text) = if r.cond.usable() {
                // Full at an hour's worth of capacity.
                (q / cap, format!("{q:.0} cars, {:.0} min", q / cap * 60.0))
            } else {
                (
                    if q > 0.0 { 1.0 } else { 0.0 },
                    format!("{q:.0} cars, not moving"),
                )
            };
            gauges.push(GaugeView {
                label: format!("{} queue", r.label),
                ratio: ratio.clamp(0.0, 1.0),
                text,
                alarm: ratio > 0.25,
            });
        }
        let reference_assignment = if self.policy == Policy::MarginalCost {
            so.as_ref().map(|a| ("system optimum", a))
        } else {
            ue.as_ref().map(|a| ("user equilibrium", a))
        };
        let units = self
            .roads
            .iter()
            .enumerate()
            .map(|(i, r)| UnitView {
                name: r.label.clone(),
                state: Self::unit_state(r),
                in_flight: (r.queue.len() as u64 + r.running) as f64,
                ewma_latency_s: {
                    let t = self.live_time_min(now, i) * 60.0;
                    if t.is_finite() { t } else { 0.0 }
                },
                share: obs.roads[i].share,
                extra: format!("{}", r.queue.len()),
            })
            .collect();
        // What cars entering now experience, over the measured flows:
        // Σ x T (vehicle-hours per hour, T including queue waits) and the
        // flow-weighted mean T.
        let mut live_flow = 0.0;
        let mut live_total = 0.0;
        for i in 0..self.roads.len() {
            let t = self.live_time_min(now, i);
            let x = self.flow_now(now, i);
            if t.is_finite() {
                live_flow += x;
                live_total += x * t / 60.0;
            }
        }
        let live_mean = if live_flow > 0.0 {
            live_total * 60.0 / live_flow
        } else {
            f64::NAN
        };
        // The optimum for the flow the roads carry now: this policy's total
        // over it is what selfishness (or a naive rule) costs right now.
        let (_, bprs) = self.live_bpr();
        let so_now = road::system_optimum(&bprs, live_flow);
        let mut analytic = vec![
            AnalyticRow {
                label: "UE travel time".into(),
                closed_form: ue.as_ref().map(|a| a.level_min),
                simulated: live_mean,
                unit: "min".into(),
            },
            AnalyticRow {
                label: "SO mean travel time".into(),
                closed_form: so.as_ref().map(|a| a.mean_travel_min),
                simulated: live_mean,
                unit: "min".into(),
            },
            AnalyticRow {
                label: "UE total".into(),
                closed_form: ue.as_ref().map(|a| a.total_vehicle_hours_per_h),
                simulated: live_total,
                unit: "veh·h/h".into(),
            },
            AnalyticRow {
                label: "SO total".into(),
                closed_form: so.as_ref().map(|a| a.total_vehicle_hours_per_h),
                simulated: live_total,
                unit: "veh·h/h".into(),
            },
        ];
        let poa = match (&ue, &so) {
            (Some(u), Some(s)) if s.total_vehicle_hours_per_h > 0.0 => {
                Some(u.total_vehicle_hours_per_h / s.total_vehicle_hours_per_h)
            }
            _ => None,
        };
        analytic.push(AnalyticRow {
            label: "price of anarchy (sim: policy ÷ SO)".into(),
            closed_form: poa,
            simulated: match &so_now {
                Some(s) if s.total_vehicle_hours_per_h > 0.0 => {
                    live_total / s.total_vehicle_hours_per_h
                }
                _ => f64::NAN,
            },
            unit: "×".into(),
        });
        if let Some((_, a)) = reference_assignment {
            let short = if self.policy == Policy::MarginalCost {
                "SO"
            } else {
                "UE"
            };
            for (k, &i) in idx.iter().enumerate() {
                analytic.push(AnalyticRow {
                    label: format!("{} flow ({short})", self.roads[i].label),
                    closed_form: a.flows_per_h.get(k).copied(),
                    simulated: self.flow_now(now, i),
                    unit: "cars/h".into(),
                });
            }
        }
        let weather: Vec<String> = self.weather_now().collect();
        let status = format!(
            "demand {demand_now:.0} cars/h · {} on the roads · weather: {} · info: {}",
            obs.in_system,
            if weather.is_empty() {
                "dry".to_string()
            } else {
                weather.join(", ")
            },
            if self.blackout {
                "BLACKOUT (free-flow only)".to_string()
            } else if self.delay == SimTime::ZERO {
                "live".to_string()
            } else {
                format!("{:.0} s old", self.delay.as_secs_f64())
            }
        );
        Snapshot {
            now,
            policy: self.policy.name().to_string(),
            gauges,
            sparklines: vec![
                SeriesView::of("demand", "cars/h", h.series(super::series::DEMAND)),
                SeriesView::of(
                    "arrivals at BKC",
                    "cars/h",
                    h.series(super::series::ARRIVED),
                ),
                SeriesView::of("mean, finished", "min", h.series(super::series::MEAN)),
                SeriesView::of("p95, finished", "min", h.series(super::series::P95)),
            ],
            chart: ChartView {
                label: "cars on the roads".into(),
                points: h.points(super::series::CARS),
                reference: reference_assignment
                    .map(|(name, a)| (name.to_string(), a.total_vehicle_hours_per_h)),
                unit: "cars".into(),
            },
            units_title: "roads".into(),
            units_extra_header: "queue".into(),
            units,
            analytic,
            closed_form_model: match &domain {
                Ok(()) => format!("static BPR model at {demand_now:.0} cars/h"),
                Err(why) => format!("no closed form: {why}"),
            },
            status_line: Some(status),
            roads,
            toggles: Vec::new(),
            events_processed: 0,
            active_faults: Vec::new(),
            network: None,
        }
    }

    /// Whether the static model describes the roads at `demand`: below
    /// the open roads' total capacity it does (flows settle, queues stay
    /// small); at or above it the excess waits in queues that grow, which
    /// static BPR (flows above capacity) does not describe.
    pub(super) fn static_domain(&self, demand: f64) -> Result<(), String> {
        let (_, bprs) = self.live_bpr();
        let capacity: f64 = bprs.iter().map(|b| b.capacity_per_h).sum();
        if bprs.is_empty() {
            return Err("every road is closed".to_string());
        }
        if demand >= capacity {
            return Err(format!(
                "demand {demand:.0} cars/h is at or above the open roads' capacity \
                 {capacity:.0} cars/h: queues grow, and the static model does not apply"
            ));
        }
        Ok(())
    }

    /// The static BPR model's figures for the same keys, each named by
    /// its model, where the model applies.
    pub(super) fn closed_forms(&self) -> ClosedForms {
        let mut m = ClosedForms::new();
        if !self.p.weather.is_empty() {
            m.insert(
                "monsoon_expected_delay",
                "expectation over the weather table (Σ p × delay)",
                self.p.monsoon_expected_delay(),
            );
        }
        let demand = self.analytic_demand();
        if let Err(why) = self.static_domain(demand) {
            m.not_applicable(why);
            return m;
        }
        let at = if self.p.demand_per_h.is_some() {
            format!("{demand:.0} cars/h")
        } else {
            format!("the schedule's peak of {demand:.0} cars/h")
        };
        let ue_model = format!("static BPR user equilibrium (Wardrop) at {at}");
        let so_model = format!("static BPR system optimum at {at}");
        let (idx, ue, so) = self.assignments(demand);
        if let (Some(u), Some(s)) = (&ue, &so) {
            m.insert(
                "ue_vehicle_hours_per_h",
                &ue_model,
                u.total_vehicle_hours_per_h,
            );
            m.insert(
                "so_vehicle_hours_per_h",
                &so_model,
                s.total_vehicle_hours_per_h,
            );
            if s.total_vehicle_hours_per_h > 0.0 {
                m.insert(
                    "price_of_anarchy",
                    &format!("static BPR at {at}: user equilibrium ÷ system optimum"),
                    u.total_vehicle_hours_per_h / s.total_vehicle_hours_per_h,
                );
            }
        }
        let chosen = match self.policy {
            Policy::LeastTime => ue.as_ref().map(|a| (a, &ue_model)),
            Policy::MarginalCost => so.as_ref().map(|a| (a, &so_model)),
            // The static model says nothing of these rules' flows.
            Policy::Naive | Policy::RoundRobin | Policy::WeightedRandom => {
                m.not_applicable(format!(
                    "the static model has no flows for the `{}` rule",
                    self.policy.name()
                ));
                None
            }
        };
        if let Some((a, model)) = chosen {
            for (i, r) in self.roads.iter().enumerate() {
                let n = &r.p.name;
                let k = idx.iter().position(|j| *j == i);
                let flow = k.and_then(|k| a.flows_per_h.get(k).copied()).unwrap_or(0.0);
                m.insert(format!("flow_per_h_{n}"), model, flow);
                if let Some(t) = k.and_then(|k| a.travel_times_min.get(k).copied()) {
                    m.insert(format!("travel_time_min_{n}"), model, t);
                }
                if demand > 0.0 {
                    m.insert(format!("share_{n}"), model, flow / demand);
                }
            }
            m.insert("mean_journey_min", model, a.mean_travel_min);
            m.insert("vehicle_hours_per_h", model, a.total_vehicle_hours_per_h);
            m.insert("demand_per_h", model, demand);
        }
        m
    }
}
