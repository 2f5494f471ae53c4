//! The catalog against `apply`, and faults in the shared book.
#[allow(clippy::wildcard_imports)]
use super::*;
use crate::sim::{EventLog, World};

fn small() -> Runtime<Tatkal> {
    let p = TatkalParams {
        scale: 0.001,
        capacity: super::super::Capacity::Fixed { engines: 3 },
        ..TatkalParams::default()
    };
    Tatkal::runtime(&p, 1)
}

fn fault(kind: FaultKind, target: &str) -> Fault {
    Fault {
        kind,
        target: target.into(),
        duration_s: None,
    }
}

/// Every kind there is, and one no world has.
fn every_kind() -> Vec<FaultKind> {
    vec![
        FaultKind::Kill {
            restart_after_s: Some(5.0),
        },
        FaultKind::Latency {
            ms: 100.0,
            jitter_ms: 10.0,
        },
        FaultKind::Slowdown { factor: 0.5 },
        FaultKind::CapacityDrop { fraction: 0.5 },
        FaultKind::ErrorRate { p: 0.2 },
        FaultKind::Partition,
        FaultKind::Blackhole,
        FaultKind::World {
            name: "bot-wave".into(),
            strength: 2.0,
        },
        FaultKind::World {
            name: "meteor".into(),
            strength: 1.0,
        },
    ]
}

#[test]
fn the_catalog_is_what_apply_accepts() {
    let mut w = small();
    let mut log = EventLog::default();
    let catalog = w.catalog().clone();
    assert_eq!(catalog, super::super::catalog::catalog(&w.model().p));
    for tpl in &catalog.faults.menu {
        for t in &tpl.targets {
            let f = fault(tpl.kind.clone(), t);
            assert!(catalog.faults.check(&f).is_ok(), "{}: {t}", tpl.label);
        }
    }
    let mut targets: Vec<String> = catalog
        .faults
        .targets
        .iter()
        .map(|t| t.name.clone())
        .collect();
    targets.extend(["engine-4".into(), "engine-0".into(), "cache".into()]);
    let mut id = 0;
    for t in &targets {
        for kind in every_kind() {
            id += 1;
            let f = fault(kind, t);
            let by_catalog = catalog.faults.check(&f).is_ok();
            let cmd = Command::InjectFault { id, fault: f };
            let by_world = w.apply(&cmd, &mut log);
            assert_eq!(by_catalog, by_world.is_ok(), "{cmd:?}: {by_world:?}");
        }
    }
    assert_eq!(catalog.policies, ["fifo", "random", "none"]);
    assert!(catalog.other_policies.iter().any(|p| p == "least-loaded"));
    for p in catalog.all_policies() {
        assert!(w.apply(&Command::SetPolicy(p.into()), &mut log).is_ok());
    }
    for t in &catalog.toggles {
        assert!(!t.about.is_empty());
        let on = Command::Toggle {
            name: t.name.clone(),
            on: true,
        };
        assert!(w.apply(&on, &mut log).is_ok(), "{}", t.name);
    }
}

#[test]
fn faults_combine_in_the_shared_book() {
    let mut w = small();
    let mut log = EventLog::default();
    let faults = [
        fault(FaultKind::ErrorRate { p: 0.5 }, "all"),
        fault(FaultKind::ErrorRate { p: 0.5 }, "engine-1"),
        fault(FaultKind::Slowdown { factor: 0.5 }, "engine-1"),
        fault(FaultKind::Slowdown { factor: 0.5 }, "all"),
        fault(
            FaultKind::Latency {
                ms: 200.0,
                jitter_ms: 0.0,
            },
            "payment",
        ),
        fault(
            FaultKind::Latency {
                ms: 300.0,
                jitter_ms: 0.0,
            },
            "payment",
        ),
        fault(FaultKind::ErrorRate { p: 0.1 }, "payment"),
    ];
    for (i, f) in faults.into_iter().enumerate() {
        let cmd = Command::InjectFault {
            id: i as u64 + 1,
            fault: f,
        };
        w.apply(&cmd, &mut log).expect("accepted");
    }
    let m = w.model();
    // Error rates combine as independent failures, slowdowns multiply.
    assert_eq!(m.engines[0].fault.error_p, 0.75);
    assert_eq!(m.engines[0].fault.slowdown, 0.25);
    assert_eq!(m.engines[1].fault.error_p, 0.5);
    assert_eq!(m.engines[1].fault.slowdown, 0.5);
    // `all` means every engine, not the payment gateway or the database.
    assert!((m.payment.latency_s - 0.5).abs() < 1e-12);
    assert!((m.payment.error_p - 0.1).abs() < 1e-12);
    assert_eq!(m.payment.slowdown, 1.0);
    assert_eq!(m.db, Effect::NONE);
    for id in [2, 3] {
        w.apply(&Command::ClearFault(id), &mut log)
            .expect("cleared");
    }
    assert_eq!(w.model().engines[0].fault, w.model().engines[1].fault);
    w.apply(&Command::ClearFaults, &mut log).expect("cleared");
    assert_eq!(w.model().engines[0].fault, Effect::NONE);
    assert_eq!(w.model().payment, Effect::NONE);
}

/// The engines are the fleet's stations: the router sees what they hold,
/// a kill crashes one whole (everything it held is lost, it is no longer
/// chosen) until the kill is cleared, and a capacity drop moves its knee.
#[test]
fn engines_are_stations_behind_the_balancer() {
    let mut w = small();
    let mut log = EventLog::default();
    w.advance(SimTime::from_secs(905), u64::MAX, &mut log);
    let m = w.model();
    let held: u64 = m.fleet.stations().iter().map(Station::in_system).sum();
    assert!(held > 0, "the rush reached the engines");
    for (e, st) in m.fleet.stations().iter().enumerate() {
        let view = m.fleet.views()[e];
        assert_eq!(u64::from(view.in_flight), st.in_system());
        assert!(view.available && st.busy() <= m.p.engine_slots);
        assert_eq!(st.latency_s(), view.response_s);
    }
    let kill = fault(
        FaultKind::Kill {
            restart_after_s: None,
        },
        "engine-2",
    );
    w.apply(&Command::InjectFault { id: 1, fault: kill }, &mut log)
        .expect("accepted");
    let m = w.model();
    let st = m.fleet.station(1);
    assert!(st.is_down() && st.in_system() == 0 && !m.fleet.views()[1].available);
    assert_eq!(m.engines[1].crashes, 1);
    w.advance(SimTime::from_secs(915), u64::MAX, &mut log);
    assert_eq!(w.model().fleet.station(1).in_system(), 0, "never chosen");
    let drop = fault(FaultKind::CapacityDrop { fraction: 0.5 }, "engine-1");
    w.apply(&Command::InjectFault { id: 2, fault: drop }, &mut log)
        .expect("accepted");
    let m = w.model();
    let knee = m.engines[0].slots(m.p.engine_knee);
    assert_eq!(
        knee,
        (f64::from(m.p.engine_knee) * 0.5).round().max(1.0) as u32
    );
    let factor = m.fleet.station(0).service().factor(knee + 2);
    assert!((factor - (1.0 + m.p.thrash * 2.0 / f64::from(knee))).abs() < 1e-12);
    w.apply(&Command::ClearFault(1), &mut log).expect("cleared");
    let m = w.model();
    assert!(!m.fleet.station(1).is_down() && m.fleet.views()[1].available);
}
