//! How the platform shows itself: the dashboard's snapshot (gauges,
//! sparklines, the chart of people on the platform, the servers' or
//! tracks' table, the closed forms beside the simulated values) and the
//! headless metrics (keys in the [module docs](super)).

use serde::Serialize;

use super::model::{Mode, Overflow, Platform, series};
use super::params::Service;
use crate::sim::blocks::stats::Reject;
use crate::sim::metrics::Metrics;
use crate::sim::world::{
    AnalyticRow, ChartView, GaugeView, Ledger, SeriesView, UnitState, UnitView,
};
use crate::sim::{History, SimTime, Snapshot};

/// The platform's metrics: one `f64` field per key (the field's name is
/// the key), so that the snapshot and the headless metrics cannot drift
/// apart and a missing key does not compile.
macro_rules! observation {
    ($(#[$doc:meta])* pub struct $name:ident { $($(#[$fdoc:meta])* $field:ident,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: f64,)+
        }

        impl $name {
            /// The same figures keyed by field name.
            #[must_use]
            pub fn to_metrics(&self) -> Metrics {
                let mut m = Metrics::new();
                $(m.insert(stringify!($field).to_string(), self.$field);)+
                m
            }
        }
    };
}

observation! {
    /// What the platform reports at one instant (keys in the
    /// [module docs](super)).
    pub struct PlatformMetrics {
        /// Passengers let into the station (platform or entrance).
        arrivals,
        /// Boarded and left.
        completed,
        /// `rejected_full + rejected_error + rejected_unavailable`.
        rejected,
        /// Turned away by a full platform (and entrance).
        rejected_full,
        /// Gave up while boarding (`ErrorRate`).
        rejected_error,
        /// Turned away by a closed platform (`Partition` on `all`).
        rejected_unavailable,
        /// On the platform or at the entrance.
        in_system,
        /// In the system at the last statistics reset.
        in_system_at_reset,
        blocking_probability,
        /// L, time-averaged.
        mean_in_system,
        mean_wait_s,
        p50_wait_s,
        p95_wait_s,
        p99_wait_s,
        mean_response_s,
        p50_response_s,
        p95_response_s,
        p99_response_s,
        throughput_per_s,
        /// Busy servers / c; trains: seats filled / offered.
        utilisation,
        on_platform,
        mean_on_platform,
        in_entrance,
        mean_in_entrance,
        /// K after capacity drops.
        capacity_effective,
    }
}

impl Platform {
    /// What the dashboard draws at `now`.
    pub(super) fn view(&self, now: SimTime, h: &History) -> Snapshot {
        let m = self.observe(now);
        let closed = self.closed();
        let cf = closed.as_ref().ok().map(|c| c.f);
        let n = self.on_platform() as f64;
        let k = self.k_effective().max(1) as f64;
        let util = m.utilisation;
        let block = m.blocking_probability;
        let mut gauges = vec![
            GaugeView {
                label: "platform".into(),
                ratio: (n / k).min(1.0),
                text: format!(
                    "{n:.0}/{k:.0}{}",
                    if self.is_closed() { " CLOSED" } else { "" }
                ),
                alarm: n >= k || self.is_closed(),
            },
            GaugeView {
                label: "utilisation".into(),
                ratio: util.clamp(0.0, 1.0),
                text: format!("{:.1} %", util * 100.0),
                alarm: util > 0.95,
            },
            GaugeView {
                label: "turned away".into(),
                ratio: block.clamp(0.0, 1.0),
                text: format!("{:.2} %", block * 100.0),
                alarm: block > 0.01,
            },
        ];
        if self.overflow == Overflow::Entrance || !self.entrance.is_empty() {
            let e = self.entrance.len() as f64;
            let cap = f64::from(self.p.entrance_capacity.max(1));
            gauges.push(GaugeView {
                label: "entrance".into(),
                ratio: (e / cap).min(1.0),
                text: format!("{e:.0}/{cap:.0}"),
                alarm: e >= cap,
            });
        }
        let mut analytic_rows = vec![
            AnalyticRow {
                label: "P(block)".into(),
                closed_form: cf.map(|f| f.blocking_probability),
                simulated: block,
                unit: String::new(),
            },
            AnalyticRow {
                label: "L".into(),
                closed_form: cf.map(|f| f.mean_in_system),
                simulated: m.mean_in_system,
                unit: String::new(),
            },
            AnalyticRow {
                label: "W".into(),
                closed_form: cf.map(|f| f.mean_response_s),
                simulated: m.mean_response_s,
                unit: "s".into(),
            },
            // (λW beside L is left out: both come from the same run's
            // numbers, equal by construction once it settles.)
        ];
        if let Mode::Servers = self.mode {
            analytic_rows.push(AnalyticRow {
                label: "ρ".into(),
                closed_form: cf.map(|f| f.utilisation),
                simulated: util,
                unit: String::new(),
            });
        }
        Snapshot {
            now,
            policy: self.policy_name().to_string(),
            gauges,
            sparklines: vec![
                SeriesView::of("arrivals", "/s", h.series(series::ARRIVALS)),
                SeriesView::of("boarded", "/s", h.series(series::BOARDED)),
                SeriesView::of("turned away", "/s", h.series(series::TURNED_AWAY)),
                SeriesView::of("p95 wait, recent", "s", h.series(series::P95_WAIT)),
            ],
            chart: ChartView {
                label: "people on the platform".into(),
                points: h.points(series::ON_PLATFORM),
                reference: closed
                    .as_ref()
                    .ok()
                    .map(|c| (format!("L ({})", c.model), c.f.mean_in_system)),
                unit: "people".into(),
            },
            units_title: if matches!(self.mode, Mode::Trains { .. }) {
                "tracks".into()
            } else {
                "servers".into()
            },
            units_extra_header: "doing".into(),
            units: self.unit_views(h),
            analytic: analytic_rows,
            closed_form_model: match &closed {
                Ok(c) => c.model.clone(),
                Err(why) => format!("no closed form: {why}"),
            },
            status_line: Some(format!(
                "λ {:.0}/min · {} · policy {}",
                self.lambda_per_s() * 60.0,
                match self.p.service {
                    Service::Trains {
                        headway_s,
                        train_capacity,
                    } => format!("a train every {headway_s} s × {train_capacity}"),
                    _ => format!(
                        "μ {:.0}/min × {}",
                        self.p.service_rate_per_min, self.p.servers
                    ),
                },
                self.policy_name()
            )),
            ..Snapshot::default()
        }
    }

    /// The observation at `now`: every metric, by name.
    #[must_use]
    pub fn observe(&self, now: SimTime) -> PlatformMetrics {
        let st = &self.stats;
        let (wait, response) = (st.wait(), st.response());
        PlatformMetrics {
            arrivals: st.arrivals() as f64,
            completed: st.completed() as f64,
            rejected: st.rejected_total() as f64,
            rejected_full: st.rejected(Reject::Full) as f64,
            rejected_error: st.rejected(Reject::Error) as f64,
            rejected_unavailable: st.rejected(Reject::Unavailable) as f64,
            in_system: st.in_system() as f64,
            in_system_at_reset: st.in_system_at_reset() as f64,
            blocking_probability: st.blocking_probability(),
            mean_in_system: st.mean_in_system(now),
            mean_wait_s: wait.mean_s(),
            p50_wait_s: wait.quantile_s(0.5),
            p95_wait_s: wait.quantile_s(0.95),
            p99_wait_s: wait.quantile_s(0.99),
            mean_response_s: response.mean_s(),
            p50_response_s: response.quantile_s(0.5),
            p95_response_s: response.quantile_s(0.95),
            p99_response_s: response.quantile_s(0.99),
            throughput_per_s: st.throughput_per_s(now),
            utilisation: self.utilisation(now),
            on_platform: self.on_platform() as f64,
            // Everyone in the system is on the platform or at the entrance.
            mean_on_platform: st.mean_in_system(now) - self.entrance_avg.mean(now),
            in_entrance: self.entrance.len() as f64,
            mean_in_entrance: self.entrance_avg.mean(now),
            capacity_effective: self.k_effective() as f64,
        }
    }

    fn utilisation(&self, now: SimTime) -> f64 {
        match &self.mode {
            Mode::Servers => self.station.utilisation(now),
            Mode::Trains {
                seats_offered,
                seats_filled,
                ..
            } => {
                if *seats_offered == 0 {
                    0.0
                } else {
                    *seats_filled as f64 / *seats_offered as f64
                }
            }
        }
    }

    fn unit_views(&self, h: &History) -> Vec<UnitView> {
        let n = self.unit_names.len().min(64);
        (0..n)
            .map(|i| {
                let e = match &self.mode {
                    Mode::Servers => self.station.slot_effect(i),
                    Mode::Trains { effects, .. } => effects[i],
                };
                let state = if !e.accepting() {
                    UnitState::Down
                } else if e.degraded() {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                };
                let (in_flight, extra) = match &self.mode {
                    Mode::Servers => (
                        if self.station.is_busy(i) { 1.0 } else { 0.0 },
                        if self.station.is_busy(i) {
                            "boarding"
                        } else {
                            "idle"
                        }
                        .to_string(),
                    ),
                    Mode::Trains { trains, .. } => (
                        0.0,
                        format!(
                            "{} seats / {:.0} s",
                            trains.seats(&e),
                            trains.gap(&e).as_secs_f64()
                        ),
                    ),
                };
                UnitView {
                    name: self.unit_names[i].clone(),
                    state,
                    in_flight,
                    ewma_latency_s: h.series(series::P95_WAIT).last().unwrap_or(0.0),
                    share: 1.0 / self.unit_names.len() as f64,
                    extra,
                }
            })
            .collect()
    }
}

impl PlatformMetrics {
    /// Passengers for the conservation law: boarded, turned away by
    /// reason, or still on the platform or at the entrance.
    #[must_use]
    pub fn ledger(&self) -> Ledger {
        let n = |v: f64| v as u64;
        Ledger {
            entity: "passengers",
            arrived: n(self.arrivals),
            in_system_at_reset: n(self.in_system_at_reset),
            completed: n(self.completed),
            left: vec![
                ("platform full", n(self.rejected_full)),
                ("gave up", n(self.rejected_error)),
                ("entry closed", n(self.rejected_unavailable)),
            ],
            in_system: n(self.in_system),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{EventLog, Model, Runtime, World};
    use crate::world::platform::PlatformParams;

    #[test]
    fn the_metrics_are_the_blocks_figures_and_the_platforms_own() {
        let p = PlatformParams {
            arrival_rate_per_min: 400.0,
            capacity: 100,
            ..PlatformParams::default()
        };
        let (mut model, queue) = Platform::new(p, 3).expect("valid");
        model.set_policy("entrance").expect("known");
        let mut w = Runtime::new(model, queue);
        w.advance(SimTime::from_secs(600), u64::MAX, &mut EventLog::default());
        let now = w.now();
        let platform = w.model();
        // What the block reports, less the rejections a platform never makes.
        let mut expected = Metrics::new();
        platform.stats.write(now, "", &mut expected);
        for r in [
            Reject::Shed,
            Reject::Throttled,
            Reject::Timeout,
            Reject::Crashed,
        ] {
            expected.remove(&format!("rejected_{}", r.key()));
        }
        let m = platform.metrics(now);
        for (k, v) in &expected {
            assert_eq!(m.get(k).map(|x| x.to_bits()), Some(v.to_bits()), "{k}");
        }
        let own = [
            "utilisation",
            "on_platform",
            "mean_on_platform",
            "in_entrance",
            "mean_in_entrance",
            "capacity_effective",
        ];
        assert_eq!(m.len(), expected.len() + own.len());
        assert!(own.iter().all(|k| m.contains_key(*k)));
        assert!(m["in_entrance"] > 0.0);
    }
}
