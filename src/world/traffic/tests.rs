//! The traffic world's unit tests, run on the [`Runtime`] as every world
//! is, with a log of their own.

use super::*;
use crate::fault::{Fault, FaultKind};
use crate::sim::world::UnitState;
use crate::sim::{LogEntry, World};

/// A built world and the log it writes to.
struct Lab {
    rt: Runtime<Traffic>,
    log: EventLog,
}

impl Lab {
    fn advance(&mut self, until: SimTime, max_events: u64) -> u64 {
        self.rt.advance(until, max_events, &mut self.log)
    }

    fn apply(&mut self, cmd: &Command) -> Result<String, CommandError> {
        self.rt.apply(cmd, &mut self.log)
    }

    fn metrics(&self) -> Metrics {
        self.rt.metrics()
    }

    fn reset_statistics(&mut self) {
        self.rt.reset_statistics();
    }

    fn model(&self) -> &Traffic {
        self.rt.model()
    }

    /// The lines logged since the last call.
    fn drain_log(&mut self) -> Vec<LogEntry> {
        let lines = self.log.iter().cloned().collect();
        self.log = EventLog::default();
        lines
    }
}

fn world(p: &TrafficParams, policy: &str) -> Lab {
    Lab {
        rt: Traffic::build(p, 7, Some(policy)).expect("valid"),
        log: EventLog::default(),
    }
}

fn run(w: &mut Lab, until_s: f64) {
    w.advance(secs(until_s), u64::MAX);
}

#[test]
fn unknown_policy_and_target_are_refused_with_the_names() {
    let p = TrafficParams::default();
    assert!(Traffic::build(&p, 1, Some("teleport")).is_err());
    let mut w = world(&p, "naive");
    let e = w
        .apply(&Command::InjectFault {
            id: 1,
            fault: Fault {
                kind: FaultKind::Partition,
                target: "sealink".into(),
                duration_s: None,
            },
        })
        .expect_err("unknown road");
    assert!(e.to_string().contains("weh, eeh, lbs, all"), "{e}");
    let e = w
        .apply(&Command::InjectFault {
            id: 2,
            fault: Fault {
                kind: FaultKind::Blackhole,
                target: "weh".into(),
                duration_s: None,
            },
        })
        .expect_err("unsupported");
    assert!(matches!(e, CommandError::UnsupportedFault(_)));
}

#[test]
fn the_bottleneck_passes_at_most_capacity() {
    let p = TrafficParams {
        demand_per_h: Some(2000.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "naive");
    run(&mut w, 3600.0);
    let m = w.metrics();
    // One car every 3.6 s through WEH: at most 1000 in the hour.
    assert!(m["flow_per_h_weh"] <= 1000.0 + 1e-9, "{m:?}");
    assert!(m["flow_per_h_weh"] > 990.0, "{m:?}");
    assert!(m["queue_weh"] > 800.0, "{m:?}");
}

#[test]
fn a_closed_road_gets_no_cars_and_keeps_its_queue() {
    let p = TrafficParams {
        demand_per_h: Some(1500.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "round-robin");
    run(&mut w, 600.0);
    w.apply(&Command::InjectFault {
        id: 1,
        fault: Fault {
            kind: FaultKind::Partition,
            target: "eeh".into(),
            duration_s: None,
        },
    })
    .expect("closure");
    w.reset_statistics();
    run(&mut w, 1800.0);
    let m = w.metrics();
    assert_eq!(m["share_eeh"], 0.0);
    assert!(m["share_weh"] > 0.45 && m["share_lbs"] > 0.45, "{m:?}");
    w.apply(&Command::ClearFaults).expect("clear");
    run(&mut w, 2400.0);
    assert!(w.metrics()["share_eeh"] > 0.0);
}

#[test]
fn info_blackout_makes_least_time_drive_like_naive() {
    let p = TrafficParams {
        demand_per_h: Some(1800.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "least-time");
    w.apply(&Command::InjectFault {
        id: 1,
        fault: Fault {
            kind: FaultKind::World {
                name: "info-blackout".into(),
                strength: 1.0,
            },
            target: "all".into(),
            duration_s: None,
        },
    })
    .expect("blackout");
    run(&mut w, 1800.0);
    assert_eq!(w.metrics()["share_weh"], 1.0);
}

#[test]
fn jams_are_logged_when_they_build_and_when_they_clear() {
    let p = TrafficParams {
        demand_per_h: Some(2000.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "naive");
    run(&mut w, 1800.0);
    w.apply(&Command::ScaleArrivals(0.0)).expect("stop demand");
    run(&mut w, 7200.0);
    let log: Vec<String> = w.drain_log().into_iter().map(|l| l.text).collect();
    assert!(
        log.iter().any(|l| l.starts_with("WEH jam: 250 cars")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("WEH jam cleared")),
        "{log:?}"
    );
    assert_eq!(w.model().census().in_system, 0);
    assert!(w.model().census().balanced());
}

fn inject(w: &mut Lab, id: u64, kind: FaultKind, target: &str) -> String {
    w.apply(&Command::InjectFault {
        id,
        fault: Fault {
            kind,
            target: target.into(),
            duration_s: None,
        },
    })
    .expect("accepted")
}

#[test]
fn monsoon_redraws_each_period_and_latency_adds_minutes() {
    let p = TrafficParams {
        demand_per_h: Some(600.0),
        weather_period_s: Some(600.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "least-time");
    let line = inject(
        &mut w,
        1,
        FaultKind::World {
            name: "monsoon".into(),
            strength: 1.0,
        },
        "lbs",
    );
    assert!(line.starts_with("monsoon over LBS"), "{line}");
    run(&mut w, 6000.0);
    let redraws = w
        .drain_log()
        .iter()
        .filter(|l| l.text.starts_with("weather now"))
        .count();
    assert_eq!(redraws, 10); // at 600, 1200, …, 6000 s
    // Only LBS is wet.
    assert_eq!(w.model().roads[0].cond.weather, 1.0);
    w.apply(&Command::ClearFault(1)).expect("clear");
    assert_eq!(w.model().roads[2].cond.weather, 1.0);
    run(&mut w, 12_000.0);
    assert!(
        w.drain_log()
            .iter()
            .all(|l| !l.text.starts_with("weather now"))
    );

    let mut w = world(&p, "naive");
    inject(
        &mut w,
        2,
        FaultKind::Latency {
            ms: 600_000.0,
            jitter_ms: 0.0,
        },
        "weh",
    );
    run(&mut w, 7200.0);
    let t = w.metrics()["travel_time_min_weh"];
    // 30 min × BPR at 600/h (≈ 1.02) + 10 min.
    assert!((40.0..41.0).contains(&t), "{t}");
}

#[test]
fn scaling_demand_changes_the_arrival_rate() {
    let p = TrafficParams {
        demand_per_h: Some(1000.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "round-robin");
    w.apply(&Command::ScaleArrivals(2.0)).expect("in range");
    run(&mut w, 3600.0);
    let a = w.metrics()["arrivals"];
    assert!((1850.0..2150.0).contains(&a), "{a}");
    assert!(w.apply(&Command::ScaleArrivals(1000.0)).is_err());
}

#[test]
fn an_accident_halves_capacity() {
    let p = TrafficParams {
        demand_per_h: Some(3000.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "naive");
    w.apply(&Command::InjectFault {
        id: 1,
        fault: Fault {
            kind: FaultKind::World {
                name: "accident".into(),
                strength: 0.5,
            },
            target: "weh".into(),
            duration_s: None,
        },
    })
    .expect("accident");
    run(&mut w, 3600.0);
    let f = w.metrics()["flow_per_h_weh"];
    assert!((f - 500.0).abs() <= 2.0, "{f}");
    assert_eq!(
        Traffic::unit_state(&w.model().roads[0]),
        UnitState::Degraded
    );
}

/// Every kind of fault there is, with the world faults this world knows
/// and one it does not.
fn every_kind() -> Vec<FaultKind> {
    let w = |name: &str, strength| FaultKind::World {
        name: name.into(),
        strength,
    };
    vec![
        FaultKind::Kill {
            restart_after_s: Some(60.0),
        },
        FaultKind::Latency {
            ms: 120_000.0,
            jitter_ms: 0.0,
        },
        FaultKind::Slowdown { factor: 0.5 },
        FaultKind::CapacityDrop { fraction: 0.2 },
        FaultKind::ErrorRate { p: 0.1 },
        FaultKind::Partition,
        FaultKind::Blackhole,
        w("accident", 0.5),
        w("signal-failure", 0.3),
        w("info-blackout", 1.0),
        w("monsoon", 1.0),
        w("bot-wave", 1.0),
    ]
}

#[test]
fn the_catalog_is_exactly_what_apply_accepts() {
    let dry = TrafficParams {
        weather: Vec::new(),
        ..TrafficParams::default()
    };
    for p in [TrafficParams::default(), dry] {
        let c = catalog(&p);
        assert_eq!(Traffic::build(&p, 1, None).expect("valid").catalog(), &c);
        assert_eq!(c.policies, POLICIES);
        assert!(c.other_policies.is_empty() && c.toggles.is_empty());
        let names: Vec<&str> = c.faults.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["weh", "eeh", "lbs", "all"]);
        for t in &c.faults.menu {
            for target in &t.targets {
                let f = Fault {
                    kind: t.kind.clone(),
                    target: target.clone(),
                    duration_s: t.duration_s,
                };
                assert_eq!(c.faults.check(&f), Ok(()), "{}", t.label);
            }
        }
        for target in ["weh", "eeh", "lbs", "all", "WEH", "sealink"] {
            for kind in every_kind() {
                let f = Fault {
                    kind,
                    target: target.into(),
                    duration_s: None,
                };
                let mut w = world(&p, "least-time");
                let applied = w.apply(&Command::InjectFault {
                    id: 1,
                    fault: f.clone(),
                });
                assert_eq!(
                    c.faults.check(&f).is_ok(),
                    applied.is_ok(),
                    "{f}: catalog {:?}, apply {applied:?}",
                    c.faults.check(&f)
                );
            }
        }
    }
}

#[test]
fn overlapping_faults_combine_in_the_shared_book() {
    let p = TrafficParams::default();
    let mut w = world(&p, "naive");
    inject(
        &mut w,
        1,
        FaultKind::World {
            name: "accident".into(),
            strength: 0.5,
        },
        "weh",
    );
    inject(&mut w, 2, FaultKind::CapacityDrop { fraction: 0.2 }, "weh");
    inject(&mut w, 3, FaultKind::Slowdown { factor: 0.5 }, "all");
    inject(&mut w, 4, FaultKind::Slowdown { factor: 0.8 }, "weh");
    let c = w.model().roads[0].cond;
    // Capacity factors and slowdowns multiply: 1000 × 0.5 × 0.8 × (0.5 × 0.8).
    assert!((c.capacity_per_h - 160.0).abs() < 1e-9, "{c:?}");
    assert!((c.slow - 2.5).abs() < 1e-12, "{c:?}");
    assert!((w.model().roads[1].cond.capacity_per_h - 400.0).abs() < 1e-9);
    // Clearing one reverts exactly what it did.
    w.apply(&Command::ClearFault(4)).expect("clear");
    let c = w.model().roads[0].cond;
    assert!(
        (c.capacity_per_h - 200.0).abs() < 1e-9 && c.slow == 2.0,
        "{c:?}"
    );
    w.apply(&Command::ClearFaults).expect("clear");
    assert_eq!(w.model().roads[0].cond, Condition::clear(&p.roads[0]));
}

#[test]
fn the_blackout_is_city_wide_and_targets_are_exact_names() {
    let p = TrafficParams::default();
    let mut w = world(&p, "least-time");
    let blackout = |target: &str| Command::InjectFault {
        id: 1,
        fault: Fault {
            kind: FaultKind::World {
                name: "info-blackout".into(),
                strength: 1.0,
            },
            target: target.into(),
            duration_s: None,
        },
    };
    let e = w
        .apply(&blackout("weh"))
        .expect_err("a road has no own blackout");
    assert!(e.to_string().contains("only on: all"), "{e}");
    assert!(w.apply(&blackout("WEH")).is_err());
    assert!(!w.model().blackout);
    w.apply(&blackout("all")).expect("city-wide");
    assert!(w.model().blackout);
}

#[test]
fn the_metrics_are_the_observation_key_for_key() {
    let p = TrafficParams {
        demand_per_h: Some(1500.0),
        ..TrafficParams::default()
    };
    let mut w = world(&p, "least-time");
    run(&mut w, 1800.0);
    let now = w.rt.now();
    let obs = w.model().observe(now);
    let m = w.metrics();
    assert_eq!(m.len(), 13 + 5 * p.roads.len());
    assert_eq!(m["in_system"], obs.in_system);
    assert_eq!(m["share_eeh"], obs.roads[1].share);
    let json = serde_json::to_value(&obs).expect("serialisable");
    assert_eq!(json["roads"][2]["name"], "lbs");
    assert_eq!(w.rt.snapshot().roads[1].share, obs.roads[1].share);
}
