//! The IPL world as a [`Model`] of the run-time: its events go to the
//! handlers in [`super::model`], commands are checked against the world's
//! [`Catalog`] (computed once from the parameters, the same one
//! `chaoswala check` reads) before they change anything, and the headless
//! metrics are read off the counters.

use super::model::{Cx, Ev, HISTORY, Ipl, Queue, series};
use crate::sim::metrics::Metrics;
use crate::sim::{
    Catalog, Command, CommandError, History, Model, Probe, Sampling, SimTime, Snapshot, Start,
};

impl Model for Ipl {
    type Event = Ev;
    type Queue = Queue;

    fn handle(&mut self, cx: &mut Cx<'_>, event: Ev) {
        self.on_event(cx, event);
    }

    fn apply(&mut self, cx: &mut Cx<'_>, cmd: &Command) -> Result<String, CommandError> {
        self.command(cx, cmd)
    }

    fn snapshot(&self, now: SimTime, history: &History) -> Snapshot {
        self.dashboard(now, history)
    }

    fn sampling(&self) -> Sampling {
        let every = SimTime::from_secs_f64(self.p.sample_every_s);
        Sampling::new(every, HISTORY)
            .counter(series::UNIQUE, "orders/min (unique)", 60.0, Start::Zero)
            .counter(series::DUPLICATES, "duplicates/min", 60.0, Start::Zero)
            .counter(series::DELIVERED, "deliveries/min", 60.0, Start::Zero)
            .counter(series::RETRIES, "retries/min", 60.0, Start::Zero)
            .counter(series::DECLINED, "declined/min", 60.0, Start::Zero)
            .level(series::P95_DELIVERY, "p95 delivery")
            .level(series::BACKLOG, "backlog")
    }

    #[inline]
    fn is_sample(event: &Ev) -> bool {
        matches!(event, Ev::Sample)
    }

    fn on_sample(&mut self, cx: &mut Cx<'_>) {
        self.track_peaks(cx.now());
    }

    fn observe(&mut self, _now: SimTime, probe: &mut Probe<'_>) {
        self.record_series(probe);
    }

    fn metrics(&self, now: SimTime) -> Metrics {
        self.observe(now).to_metrics()
    }

    fn analytic(&self, now: SimTime) -> crate::sim::ClosedForms {
        self.analytic_at(now)
    }
    fn ledger(&self, now: SimTime) -> crate::sim::world::Ledger {
        self.observe(now).ledger()
    }

    fn reset_statistics(&mut self, now: SimTime) {
        self.reset_counts(now);
    }

    fn policy(&self) -> String {
        self.autoscaling.name().to_string()
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

impl Ipl {
    /// Closed forms for the same keys at `now`: only Little's law, from
    /// the measured exit rate and time in system (the night is far from
    /// any steady state a queueing formula would describe).
    pub(super) fn analytic_at(&self, now: SimTime) -> crate::sim::ClosedForms {
        let span = (now - self.stats_since).as_secs_f64();
        if span > 0.0 && self.c.exits > 0 {
            let mut m = crate::sim::ClosedForms::new();
            let lambda = self.c.exits as f64 / span;
            let w = self.c.sojourn_s / self.c.exits as f64;
            m.insert(
                "mean_in_system",
                "Little's law (L = λW from the measured exits and time in system)",
                lambda * w,
            );
            m
        } else {
            crate::sim::ClosedForms::none("no order has left the system yet")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{Fault, FaultKind};
    use crate::sim::{EventLog, Runtime, World};
    use crate::world::ipl::IplParams;

    fn small() -> IplParams {
        IplParams {
            volume_scale: 0.01,
            app_servers: 3,
            app_servers_max: 5,
            kitchen_clusters: 2,
            kitchen_slots: 100,
            ..IplParams::default()
        }
    }

    fn world(p: &IplParams) -> Runtime<Ipl> {
        let (model, queue) = Ipl::new(p.clone(), 7);
        Runtime::new(model, queue)
    }

    /// One fault of each kind a user can name, by kind name.
    fn every_kind() -> Vec<FaultKind> {
        vec![
            FaultKind::Kill {
                restart_after_s: Some(30.0),
            },
            FaultKind::Partition,
            FaultKind::Latency {
                ms: 200.0,
                jitter_ms: 50.0,
            },
            FaultKind::Slowdown { factor: 0.5 },
            FaultKind::CapacityDrop { fraction: 0.5 },
            FaultKind::ErrorRate { p: 0.5 },
            FaultKind::Blackhole,
            FaultKind::World {
                name: "power-loss".into(),
                strength: 0.5,
            },
            FaultKind::World {
                name: "bot-wave".into(),
                strength: 2.0,
            },
        ]
    }

    fn on(kind: &FaultKind, target: &str) -> Fault {
        Fault {
            kind: kind.clone(),
            target: target.into(),
            duration_s: None,
        }
    }

    #[test]
    fn the_catalog_comes_from_the_parameters_and_is_the_worlds() {
        let p = small();
        let c = crate::world::ipl::catalog(&p);
        assert_eq!(world(&p).catalog(), &c);
        assert_eq!(c.policies, ["fixed", "reactive", "cricket-aware"]);
        assert!(c.other_policies.iter().any(|b| b == "power-of-two"));
        assert!(c.other_policies.iter().any(|b| b == "least-loaded"));
        assert_eq!(c.toggles.len(), 6);
        assert!(c.toggles.iter().all(|t| !t.about.is_empty()));
        let names: Vec<&str> = c.faults.targets.iter().map(|t| t.name.as_str()).collect();
        for t in [
            "all",
            "app-1",
            "app-5",
            "db",
            "payment",
            "kitchens",
            "kitchen-cluster-2",
            "partners",
            "region",
        ] {
            assert!(names.contains(&t), "{t} missing from {names:?}");
        }
        assert!(!names.contains(&"app-6") && !names.contains(&"kitchen-cluster-3"));
        assert!(!c.faults.kinds().contains(&"blackhole"));
    }

    #[test]
    fn every_menu_entry_is_accepted_by_the_catalog() {
        let c = crate::world::ipl::catalog(&small());
        assert_eq!(c.faults.menu.len(), 10);
        for t in &c.faults.menu {
            for target in &t.targets {
                assert!(
                    c.faults.check(&on(&t.kind, target)).is_ok(),
                    "{}: {} on {target}",
                    t.label,
                    t.kind.name()
                );
            }
        }
    }

    #[test]
    fn the_world_accepts_exactly_what_its_catalog_accepts() {
        let p = small();
        let c = crate::world::ipl::catalog(&p);
        let mut log = EventLog::default();
        let mut id = 0;
        for target in c.faults.targets.iter().map(|t| t.name.clone()).chain(
            ["app-6", "kitchen-cluster-3", "nowhere"]
                .into_iter()
                .map(String::from),
        ) {
            for kind in every_kind() {
                let f = on(&kind, &target);
                let mut w = world(&p);
                w.advance(SimTime::from_secs(60), u64::MAX, &mut log);
                id += 1;
                let got = w.apply(
                    &Command::InjectFault {
                        id,
                        fault: f.clone(),
                    },
                    &mut log,
                );
                match c.faults.check(&f) {
                    Ok(()) => assert!(got.is_ok(), "{f}: {got:?}"),
                    Err(e) => assert_eq!(got, Err(e), "{f}"),
                }
            }
        }
        let mut w = world(&p);
        let e = w
            .apply(
                &Command::InjectFault {
                    id: 1,
                    fault: on(&FaultKind::Blackhole, "db"),
                },
                &mut log,
            )
            .expect_err("not modelled");
        assert!(e.to_string().contains("`blackhole`"), "{e}");
    }

    #[test]
    fn error_rates_combine_as_independent_failures_and_capacity_drops_multiply() {
        let p = small();
        let mut w = world(&p);
        let mut log = EventLog::default();
        let mut inject = |w: &mut Runtime<Ipl>, id, kind: FaultKind, target: &str| {
            w.apply(
                &Command::InjectFault {
                    id,
                    fault: on(&kind, target),
                },
                &mut log,
            )
            .expect("accepted");
        };
        for id in [1, 2] {
            inject(&mut w, id, FaultKind::ErrorRate { p: 0.5 }, "payment");
        }
        inject(&mut w, 3, FaultKind::ErrorRate { p: 0.5 }, "all");
        inject(&mut w, 4, FaultKind::ErrorRate { p: 0.5 }, "app-2");
        for id in [5, 6] {
            inject(&mut w, id, FaultKind::CapacityDrop { fraction: 0.5 }, "db");
        }
        let m = w.model();
        assert_eq!(m.fx.payment.error_p, 0.75, "not 0.5 (the larger one)");
        assert_eq!(m.servers[1].fx.error_p, 0.75);
        assert_eq!(m.servers[0].fx.error_p, 0.5);
        assert_eq!(m.fx.db.capacity_factor, 0.25, "half of what half left");
        let pool = m.effective_pool();
        let mut log = EventLog::default();
        w.apply(&Command::ClearFault(6), &mut log).expect("clears");
        assert_eq!(w.model().fx.db.capacity_factor, 0.5);
        assert!(w.model().effective_pool() > pool);
        w.apply(&Command::ClearFaults, &mut log).expect("clears");
        assert_eq!(w.model().fx.payment.error_p, 0.0);
        assert_eq!(w.model().servers[1].fx.error_p, 0.0);
    }

    #[test]
    fn a_kill_with_a_restart_comes_back_and_says_so() {
        let p = small();
        let mut w = world(&p);
        let mut log = EventLog::default();
        w.advance(SimTime::from_secs(10), u64::MAX, &mut log);
        w.apply(
            &Command::InjectFault {
                id: 9,
                fault: on(
                    &FaultKind::Kill {
                        restart_after_s: Some(30.0),
                    },
                    "app-1",
                ),
            },
            &mut log,
        )
        .expect("accepted");
        assert!(w.model().servers[0].down);
        w.advance(SimTime::from_secs(45), u64::MAX, &mut log);
        assert!(!w.model().servers[0].down);
        let lines: Vec<&str> = log.iter().map(|l| l.text.as_str()).collect();
        assert!(lines.contains(&"app-1 DOWN"), "{lines:?}");
        assert!(lines.contains(&"app-1 restarted"), "{lines:?}");
        assert!(lines.contains(&"app-1 back up"), "{lines:?}");
    }

    #[test]
    fn a_stronger_power_loss_on_top_of_one_lowers_the_backup() {
        let p = small();
        let mut w = world(&p);
        let mut log = EventLog::default();
        let loss = |id, strength| Command::InjectFault {
            id,
            fault: on(
                &FaultKind::World {
                    name: "power-loss".into(),
                    strength,
                },
                "region",
            ),
        };
        w.apply(&loss(1, 0.5), &mut log).expect("accepted");
        assert_eq!(w.model().region, 0.5);
        w.apply(&loss(2, 0.9), &mut log).expect("accepted");
        assert_eq!(w.model().region, p.backup_capacity);
        w.apply(&Command::ClearFault(2), &mut log).expect("clears");
        assert_eq!(w.model().region, 0.5);
        w.apply(&Command::ClearFault(1), &mut log).expect("clears");
        assert_eq!(
            w.model().region,
            0.5,
            "restoration never lowers what the backup gives"
        );
    }

    #[test]
    fn the_metrics_are_the_observation_key_for_field() {
        let p = small();
        let mut w = world(&p);
        let mut log = EventLog::default();
        w.advance(SimTime::from_secs(1800), u64::MAX, &mut log);
        let obs = w.model().observe(w.now());
        let m = w.metrics();
        assert_eq!(m, obs.to_metrics());
        assert_eq!(m.len(), 51);
        assert!(obs.attempts > 0.0);
        let by_reason: f64 = m
            .iter()
            .filter(|(k, _)| k.starts_with("declined_"))
            .map(|(_, v)| v)
            .sum();
        assert_eq!(by_reason, obs.declined);
        let json = serde_json::to_value(&obs).expect("serialises");
        assert_eq!(json["orders_unique"], obs.orders_unique);
    }
}
