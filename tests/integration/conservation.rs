//! Nothing is lost: arrived = completed + rejected + in system at every
//! instant, for random parameters, seeds, stepping, policies and faults
//! injected and cleared. And common random numbers: a policy or a fault
//! never changes the arrival stream.

use chaoswala::fault::{Fault, FaultKind};
use chaoswala::scenario::{Scenario, WorldSpec};
use chaoswala::sim::{Command, SimTime, Simulation};
use chaoswala::world::platform::{PlatformParams, Service};
use proptest::prelude::*;

fn scenario(p: PlatformParams) -> Scenario {
    Scenario {
        name: "prop".into(),
        title: "prop".into(),
        description: String::new(),
        seed: 1,
        duration_s: 600.0,
        warmup_s: 0.0,
        clock_start: None,
        speed: 1.0,
        policy: None,
        world: WorldSpec::Platform(p),
        timeline: Vec::new(),
        recording: None,
    }
}

fn service() -> impl Strategy<Value = Service> {
    prop_oneof![
        Just(Service::Exponential),
        Just(Service::Deterministic),
        (1u32..5).prop_map(|k| Service::Erlang { k }),
        (0.1f64..3.0).prop_map(|cv| Service::Lognormal { cv }),
        (5.0f64..120.0, 1u32..200).prop_map(|(headway_s, train_capacity)| Service::Trains {
            headway_s,
            train_capacity
        }),
    ]
}

fn fault_kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        (proptest::option::of(0.0f64..60.0))
            .prop_map(|restart_after_s| FaultKind::Kill { restart_after_s }),
        (0.0f64..5000.0, 0.0f64..2000.0)
            .prop_map(|(ms, jitter_ms)| FaultKind::Latency { ms, jitter_ms }),
        (0.05f64..2.0).prop_map(|factor| FaultKind::Slowdown { factor }),
        (0.0f64..1.0).prop_map(|fraction| FaultKind::CapacityDrop { fraction }),
        (0.0f64..1.0).prop_map(|p| FaultKind::ErrorRate { p }),
        Just(FaultKind::Partition),
    ]
}

#[derive(Clone, Debug)]
enum Action {
    /// Step this many events, checking after each.
    Events(u32),
    /// Jump ahead this many seconds.
    Jump(f64),
    Inject(FaultKind, usize, Option<f64>),
    Clear(usize),
    ClearAll,
    Policy(bool),
    Scale(f64),
    Reset,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (1u32..200).prop_map(Action::Events),
        3 => (0.0f64..60.0).prop_map(Action::Jump),
        2 => (fault_kind(), 0usize..4, proptest::option::of(0.0f64..100.0))
            .prop_map(|(k, t, d)| Action::Inject(k, t, d)),
        1 => (0usize..8).prop_map(Action::Clear),
        1 => Just(Action::ClearAll),
        1 => any::<bool>().prop_map(Action::Policy),
        1 => (0.0f64..3.0).prop_map(Action::Scale),
        1 => Just(Action::Reset),
    ]
}

fn check(sim: &Simulation, ctx: &str) {
    let m = sim.world().metrics();
    crate::common::assert_conserved(&m, ctx);
    assert_eq!(m["in_system"], m["on_platform"] + m["in_entrance"], "{ctx}");
    assert!(m["in_entrance"] >= 0.0 && m["on_platform"] >= 0.0, "{ctx}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conservation_at_every_instant(
        lambda in 0.0f64..900.0,
        mu in 1.0f64..400.0,
        servers in 1u32..5,
        extra in 0u32..30,
        entrance in 0u32..50,
        service in service(),
        seed in any::<u64>(),
        actions in proptest::collection::vec(action(), 1..40),
    ) {
        let p = PlatformParams {
            arrival_rate_per_min: lambda,
            service_rate_per_min: mu,
            servers,
            capacity: servers + extra,
            service,
            entrance_capacity: entrance,
            sample_every_s: 1.0,
        };
        let s = scenario(p);
        let mut sim = s.simulation(Some(seed), None).expect("valid");
        let mut ids: Vec<u64> = Vec::new();
        check(&sim, "start");
        for a in actions {
            let ctx = format!("{a:?} at {}", sim.now());
            match a {
                Action::Events(n) => {
                    for _ in 0..n {
                        sim.step();
                        check(&sim, &ctx);
                    }
                }
                Action::Jump(dt) => {
                    let t = sim.now() + SimTime::from_secs_f64(dt);
                    sim.run_until(t).expect("deadline ahead");
                    prop_assert_eq!(sim.now(), t);
                }
                Action::Inject(kind, target, duration_s) => {
                    let target = if target == 0 || target > servers as usize {
                        "all".to_string()
                    } else {
                        format!("{}-{target}", if matches!(s.world, WorldSpec::Platform(PlatformParams { service: Service::Trains { .. }, .. })) { "track" } else { "server" })
                    };
                    let target = if matches!(kind, FaultKind::CapacityDrop { .. }) { "all".to_string() } else { target };
                    let id = sim.inject(Fault { kind, target, duration_s }).expect("platform accepts it");
                    ids.push(id);
                }
                Action::Clear(i) => {
                    if let Some(&id) = ids.get(i) {
                        sim.apply(Command::ClearFault(id)).expect("clearing never fails");
                    }
                }
                Action::ClearAll => sim.apply(Command::ClearFaults).expect("ok"),
                Action::Policy(entrance) => sim
                    .apply(Command::SetPolicy(if entrance { "entrance" } else { "leave" }.into()))
                    .expect("known policy"),
                Action::Scale(f) => {
                    let _ = sim.apply(Command::ScaleArrivals(f));
                }
                Action::Reset => sim.reset_statistics(),
            }
            check(&sim, &ctx);
        }
        // Once every fault is cleared, the platform's capacity is back to K exactly.
        sim.apply(Command::ClearFaults).expect("ok");
        let m = sim.world().metrics();
        prop_assert_eq!(m["capacity_effective"], f64::from(servers + extra));
    }
}

/// Arrival counts at checkpoints, for a simulation driven by `drive`.
fn arrivals_over_time(policy: &str, faults: bool) -> Vec<f64> {
    let s = scenario(PlatformParams {
        arrival_rate_per_min: 300.0,
        capacity: 40,
        servers: 2,
        service_rate_per_min: 100.0,
        ..PlatformParams::default()
    });
    let mut sim = s.simulation(Some(9), Some(policy)).expect("valid");
    let mut out = Vec::new();
    for k in 1..=60u64 {
        if faults && k == 10 {
            for kind in [
                FaultKind::Kill {
                    restart_after_s: Some(30.0),
                },
                FaultKind::ErrorRate { p: 0.3 },
                FaultKind::Slowdown { factor: 0.4 },
            ] {
                sim.inject(Fault {
                    kind,
                    target: "server-1".into(),
                    duration_s: Some(100.0),
                })
                .expect("accepted");
            }
            sim.inject(Fault {
                kind: FaultKind::CapacityDrop { fraction: 0.5 },
                target: "all".into(),
                duration_s: None,
            })
            .expect("accepted");
        }
        sim.run_until(SimTime::from_secs(k * 10))
            .expect("deadline ahead");
        out.push(sim.world().metrics()["arrivals"]);
    }
    out
}

#[test]
fn policies_and_faults_do_not_change_the_arrival_stream() {
    let base = arrivals_over_time("leave", false);
    assert!(base[59] > 2500.0, "{base:?}");
    assert_eq!(base, arrivals_over_time("entrance", false));
    assert_eq!(base, arrivals_over_time("leave", true));
    assert_eq!(base, arrivals_over_time("entrance", true));
}

#[test]
fn a_killed_server_loses_nobody_and_restarts() {
    let s = scenario(PlatformParams {
        arrival_rate_per_min: 120.0,
        service_rate_per_min: 60.0,
        servers: 2,
        capacity: 50,
        ..PlatformParams::default()
    });
    let mut sim = s.simulation(Some(3), None).expect("valid");
    sim.run_until(SimTime::from_secs(100))
        .expect("deadline ahead");
    let busy_before = sim.world().metrics()["on_platform"];
    assert!(busy_before > 0.0);
    sim.inject(Fault {
        kind: FaultKind::Kill {
            restart_after_s: Some(50.0),
        },
        target: "all".into(),
        duration_s: None,
    })
    .expect("accepted");
    let done = sim.world().metrics()["completed"];
    sim.run_until(SimTime::from_secs(149))
        .expect("deadline ahead");
    let m = sim.world().metrics();
    assert_eq!(
        m["completed"], done,
        "nobody boards while every server is down"
    );
    crate::common::assert_conserved(&m, "during the kill");
    sim.run_until(SimTime::from_secs(400))
        .expect("deadline ahead");
    let m = sim.world().metrics();
    assert!(m["completed"] > done + 100.0, "servers came back: {m:?}");
    crate::common::assert_conserved(&m, "after the restart");
}
