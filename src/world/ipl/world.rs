//! The IPL world as a [`Model`] of the run-time: its events go to the
//! handlers in [`super::model`], commands are checked against the world's
//! [`Catalog`] (computed once from the parameters, the same one
//! `chaoswala check` reads) before they change anything, and the headless
//! metrics are read off the counters.

use super::model::{Cx, Decline, Ev, Ipl, Queue};
use crate::sim::metrics::Metrics;
use crate::sim::{Catalog, Command, CommandError, Model, SimTime, Snapshot};

impl Model for Ipl {
    type Event = Ev;
    type Queue = Queue;

    fn handle(&mut self, cx: &mut Cx<'_>, event: Ev) {
        self.on_event(cx, event);
    }

    fn apply(&mut self, cx: &mut Cx<'_>, cmd: &Command) -> Result<String, CommandError> {
        self.command(cx, cmd)
    }

    fn snapshot(&self, now: SimTime) -> Snapshot {
        self.dashboard(now)
    }

    fn metrics(&self, now: SimTime) -> Metrics {
        self.metrics_at(now)
    }

    fn analytic(&self, now: SimTime) -> Metrics {
        self.analytic_at(now)
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
    /// The headless metrics at `now`.
    pub(super) fn metrics_at(&self, now: SimTime) -> Metrics {
        let c = &self.c;
        let mut m = Metrics::new();
        let mut put = |k: &str, v: f64| {
            m.insert(k.to_string(), v);
        };
        put("attempts", c.attempts as f64);
        put("orders_unique", c.unique as f64);
        put("orders_duplicate", c.duplicate as f64);
        put("duplicates_merged", c.merged as f64);
        put("duplicates_prevented", c.merged as f64);
        put("retries", c.retries as f64);
        put("delivered", c.delivered as f64);
        put("delivered_unique", c.delivered_unique as f64);
        put("duplicates_delivered", c.duplicates_delivered as f64);
        put("cancelled", c.cancelled as f64);
        put("declined", c.declined_total() as f64);
        for d in Decline::ALL {
            put(d.key(), c.declined.get(&d).copied().unwrap_or(0) as f64);
        }
        put("customers_lost", c.customers_lost as f64);
        put("customers_gave_up", c.customers_gave_up as f64);
        put("in_system", self.in_system as f64);
        put("in_system_at_reset", self.in_system_at_reset as f64);
        put("backlog_peak", self.queued_peak as f64);
        put("backlog", self.queued() as f64);
        put("in_system_peak", self.backlog.peak());
        put("mean_in_system", self.backlog.mean(now));
        put("p50_delivery_time_s", self.delivery.quantile_s(0.5));
        put("p95_delivery_time_s", self.delivery.quantile_s(0.95));
        put("mean_delivery_time_s", self.delivery.mean_s());
        put("p50_confirm_time_s", self.confirm.quantile_s(0.5));
        put("p95_confirm_time_s", self.confirm.quantile_s(0.95));
        put(
            "mean_time_in_system_s",
            if c.exits > 0 {
                c.sojourn_s / c.exits as f64
            } else {
                f64::NAN
            },
        );
        put("revenue_delivered_inr", c.revenue_delivered);
        put("revenue_lost_inr", c.revenue_lost);
        put("breaker_opens", self.opens() as f64);
        put("partners_online", self.online as f64);
        put("partners_online_min", self.partners_min as f64);
        put("app_servers", self.servers.len() as f64);
        put("app_servers_peak", self.servers_peak as f64);
        m
    }

    /// Closed forms for the same keys at `now`.
    pub(super) fn analytic_at(&self, now: SimTime) -> Metrics {
        let span = (now - self.stats_since).as_secs_f64();
        let mut m = Metrics::new();
        if span > 0.0 && self.c.exits > 0 {
            let lambda = self.c.exits as f64 / span;
            let w = self.c.sojourn_s / self.c.exits as f64;
            m.insert("mean_in_system".into(), lambda * w);
        }
        m
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
}
