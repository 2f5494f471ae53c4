//! The platform world's behaviour: train mode, the entrance overflow
//! policy, each fault's effect and its exact revert.

use chaoswala::fault::{Fault, FaultKind};
use chaoswala::scenario::{Scenario, WorldSpec};
use chaoswala::sim::{Command, CommandError, Metrics, SimTime, Simulation};
use chaoswala::world::platform::{PlatformParams, Service};

fn sim(p: PlatformParams, policy: &str, seed: u64) -> Simulation {
    Scenario {
        name: "t".into(),
        title: "t".into(),
        description: String::new(),
        seed,
        duration_s: 1.0,
        warmup_s: 0.0,
        clock_start: None,
        speed: 1.0,
        policy: None,
        world: WorldSpec::Platform(p),
        timeline: Vec::new(),
        recording: None,
    }
    .simulation(None, Some(policy))
    .expect("valid")
}

fn at(s: &mut Simulation, secs: u64) -> Metrics {
    s.run_until(SimTime::from_secs(secs))
        .expect("deadline ahead");
    let m = s.world().metrics();
    crate::common::assert_conserved(&m, &format!("t = {secs}"));
    m
}

fn fault(kind: FaultKind, target: &str) -> Fault {
    Fault {
        kind,
        target: target.into(),
        duration_s: None,
    }
}

#[test]
fn trains_with_room_to_spare_wait_half_a_headway() {
    // Poisson arrivals, a train every 180 s that always has seats: the wait
    // is uniform on [0, 180), mean 90 s.
    let p = PlatformParams {
        capacity: 5000,
        service: Service::Trains {
            headway_s: 180.0,
            train_capacity: 5000,
        },
        ..PlatformParams::default()
    };
    let mut s = sim(p, "leave", 11);
    let m = at(&mut s, 200_000);
    let w = m["mean_wait_s"];
    assert!((w - 90.0).abs() < 90.0 * 0.02, "mean wait {w}");
    assert_eq!(m["rejected"], 0.0);
    // 200/min against 5000 seats every 3 minutes.
    let util = m["utilisation"];
    assert!((util - 600.0 / 5000.0).abs() < 0.005, "{util}");
    // The closed form for trains with ample seats says the same.
    let cf = s.world().analytic();
    assert!(
        cf.model("utilisation")
            .is_some_and(|m| m.contains("ample seats"))
    );
    assert!((cf.get("utilisation").expect("closed form") - 0.12).abs() < 1e-9);
    assert!((cf.get("mean_wait_s").expect("closed form") - 90.0).abs() < 1e-6);
}

#[test]
fn the_entrance_holds_the_overflow_and_arrivals_stay_the_same() {
    let p = PlatformParams {
        arrival_rate_per_min: 300.0,
        service_rate_per_min: 250.0,
        capacity: 50,
        entrance_capacity: 100_000,
        ..PlatformParams::default()
    };
    let mut leave = sim(p.clone(), "leave", 5);
    let mut entrance = sim(p, "entrance", 5);
    let a = at(&mut leave, 3600);
    let b = at(&mut entrance, 3600);
    assert_eq!(a["arrivals"], b["arrivals"]);
    assert!(a["rejected_full"] > 1000.0, "{a:?}");
    assert_eq!(
        b["rejected"], 0.0,
        "nobody is turned away with room at the entrance"
    );
    assert!(b["in_entrance"] > 1000.0, "{b:?}");
    assert!(b["on_platform"] <= 50.0);
    assert!(b["mean_wait_s"] > 10.0 * a["mean_wait_s"]);
    // Switching back to `leave` turns newcomers away, the entrance drains.
    entrance
        .apply(Command::SetPolicy("leave".into()))
        .expect("known");
    let before = b["in_entrance"];
    let c = at(&mut entrance, 3700);
    assert!(c["in_entrance"] < before);
    assert!(c["rejected_full"] > 0.0);
}

#[test]
fn capacity_drop_partition_and_error_rate_act_and_revert_exactly() {
    let p = PlatformParams {
        arrival_rate_per_min: 300.0,
        service_rate_per_min: 100.0,
        servers: 2,
        capacity: 40,
        ..PlatformParams::default()
    };
    let mut s = sim(p, "leave", 3);
    at(&mut s, 600);
    let id = s
        .inject(fault(FaultKind::CapacityDrop { fraction: 0.5 }, "all"))
        .expect("accepted");
    let m = at(&mut s, 900);
    assert_eq!(m["capacity_effective"], 20.0);
    assert!(m["on_platform"] <= 20.0);
    s.apply(Command::ClearFault(id)).expect("clears");
    assert_eq!(s.world().metrics()["capacity_effective"], 40.0);

    let id = s
        .inject(fault(FaultKind::Partition, "all"))
        .expect("accepted");
    let before = s.world().metrics();
    let m = at(&mut s, 1000);
    // Those already boarding finish; nobody else boards.
    assert!(m["completed"] <= before["completed"] + 2.0, "nobody boards");
    assert!(m["rejected_unavailable"] > before["rejected_unavailable"] + 100.0);
    s.apply(Command::ClearFault(id)).expect("clears");

    let id = s
        .inject(fault(FaultKind::ErrorRate { p: 1.0 }, "all"))
        .expect("accepted");
    let before = s.world().metrics();
    let m = at(&mut s, 1100);
    // Beyond the two already boarding, everybody gives up.
    assert!(
        m["completed"] <= before["completed"] + 2.0,
        "everybody gives up"
    );
    assert!(m["rejected_error"] > before["rejected_error"] + 50.0);
    s.apply(Command::ClearFault(id)).expect("clears");
    let before = s.world().metrics();
    let m = at(&mut s, 1200);
    assert_eq!(m["rejected_error"], before["rejected_error"]);
    assert!(m["completed"] > before["completed"] + 100.0);
}

#[test]
fn slowdown_and_latency_lengthen_the_stay() {
    let base = PlatformParams {
        arrival_rate_per_min: 60.0,
        service_rate_per_min: 250.0,
        ..PlatformParams::default()
    };
    let w = |kind: Option<FaultKind>| {
        let mut s = sim(base.clone(), "leave", 8);
        if let Some(k) = kind {
            s.inject(fault(k, "server-1")).expect("accepted");
        }
        at(&mut s, 20_000)["mean_response_s"]
    };
    let normal = w(None);
    let slow = w(Some(FaultKind::Slowdown { factor: 0.5 }));
    let late = w(Some(FaultKind::Latency {
        ms: 1000.0,
        jitter_ms: 200.0,
    }));
    assert!(slow > 1.5 * normal, "{normal} {slow}");
    assert!(late > normal + 1.0, "{normal} {late}");
}

#[test]
fn refused_commands_change_nothing() {
    let mut s = sim(PlatformParams::default(), "leave", 1);
    at(&mut s, 100);
    let before = s.world().metrics();
    assert!(matches!(
        s.inject(fault(FaultKind::Blackhole, "all")),
        Err(CommandError::UnsupportedFault(_))
    ));
    // Refused by the catalog now, with the targets it applies to.
    assert!(matches!(
        s.inject(fault(FaultKind::CapacityDrop { fraction: 0.5 }, "server-1")),
        Err(CommandError::UnsupportedFaultOn { .. })
    ));
    assert!(matches!(
        s.inject(fault(FaultKind::Slowdown { factor: 0.5 }, "server-9")),
        Err(CommandError::UnknownTarget { .. })
    ));
    assert!(matches!(
        s.apply(Command::SetPolicy("round-robin".into())),
        Err(CommandError::UnknownPolicy { .. })
    ));
    assert!(s.active_faults().is_empty());
    assert_eq!(s.world().metrics(), before);
    assert_eq!(s.world().policies(), vec!["leave", "entrance"]);
}

#[test]
fn scaling_arrivals_scales_the_rate() {
    let mut s = sim(PlatformParams::default(), "leave", 2);
    let a = at(&mut s, 1000)["arrivals"];
    s.apply(Command::ScaleArrivals(2.0)).expect("in range");
    let b = at(&mut s, 2000)["arrivals"] - a;
    assert!((b / a - 2.0).abs() < 0.1, "{a} then {b}");
    assert!(s.apply(Command::ScaleArrivals(1e9)).is_err());
}

#[test]
fn warm_up_reset_keeps_the_books() {
    let p = PlatformParams {
        arrival_rate_per_min: 400.0,
        capacity: 100,
        ..PlatformParams::default()
    };
    let mut s = sim(p, "entrance", 4);
    at(&mut s, 500);
    s.reset_statistics();
    let m = s.world().metrics();
    assert_eq!(m["arrivals"], 0.0);
    assert!(m["in_system_at_reset"] > 50.0);
    crate::common::assert_conserved(&m, "just after the reset");
    at(&mut s, 1000);
}

#[test]
fn the_trains_story_runs_and_logs_cancelled_trains() {
    let loaded = chaoswala::scenario::load("platform-trains").expect("built-in");
    let mut s = loaded.scenario.simulation(None, None).expect("valid");
    s.run_until(SimTime::from_secs(3600))
        .expect("deadline ahead");
    let m = s.world().metrics();
    crate::common::assert_conserved(&m, "platform-trains");
    assert!(
        s.log().any(|e| e.text.contains("cancelled")),
        "a cancelled train is logged"
    );
    let snap = s.snapshot();
    assert_eq!(snap.policy, "entrance");
    assert!(!snap.units.is_empty() && !snap.gauges.is_empty());
}
