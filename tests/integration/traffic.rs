//! The BKC traffic world end to end: the episode's figures, convergence to
//! the analytic assignments, the monsoon expectation, conservation and
//! determinism.

use chaoswala::analytic::road::{self, Bpr};
use chaoswala::fault::{Fault, FaultKind};
use chaoswala::report::{self, Report, RunOptions};
use chaoswala::scenario::{self, Scenario, TimelineEntry, WorldSpec};
use chaoswala::sim::{Command, EventLog, SimTime, World};
use chaoswala::world::traffic::Traffic;

fn bkc() -> Scenario {
    scenario::load("bkc-traffic")
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

fn bkc_with(sets: &[&str]) -> Scenario {
    let mut s = bkc();
    let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
    s.apply_sets(&sets).unwrap_or_else(|e| panic!("{e}"));
    s
}

fn run(s: &Scenario, policy: &str, duration_s: Option<f64>, warmup_s: Option<f64>) -> Report {
    report::run(
        s,
        &RunOptions {
            duration_s,
            warmup_s,
            policy: Some(policy.to_string()),
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn roads(s: &Scenario) -> Vec<(String, Bpr)> {
    let WorldSpec::BkcTraffic(p) = &s.world else {
        panic!("not the traffic world")
    };
    p.roads.iter().map(|r| (r.name.clone(), r.bpr())).collect()
}

/// Simulated flows against an assignment solved at the demand the run
/// actually drew (Poisson noise in the total would otherwise swamp 2 %).
fn flows_within(r: &Report, s: &Scenario, optimum: bool, tol: f64) -> Result<(), String> {
    let named = roads(s);
    let bprs: Vec<Bpr> = named.iter().map(|(_, b)| *b).collect();
    let demand = r.metrics["demand_per_h"];
    let a = if optimum {
        road::system_optimum(&bprs, demand)
    } else {
        road::user_equilibrium(&bprs, demand)
    }
    .ok_or("no assignment")?;
    for ((name, _), want) in named.iter().zip(&a.flows_per_h) {
        let got = r.metrics[&format!("flow_per_h_{name}")];
        let err = (got - want).abs() / want;
        if err > tol {
            return Err(format!(
                "{name}: simulated {got:.1} cars/h vs {want:.1} ({:.2} %)",
                err * 100.0
            ));
        }
    }
    Ok(())
}

#[test]
fn least_time_converges_to_wardrop_and_marginal_cost_to_the_system_optimum() {
    // 1 800 cars/h: 75 % of the total capacity, no standing queues.
    let s = bkc_with(&["demand_per_h=1800"]);
    let lt = run(&s, "least-time", Some(18_000.0), Some(3_600.0));
    let mc = run(&s, "marginal-cost", Some(18_000.0), Some(3_600.0));
    for r in [&lt, &mc] {
        assert!(r.metrics["max_wait_min"] < 5.0, "{:?}", r.metrics);
        for name in ["weh", "eeh", "lbs"] {
            assert!(
                r.metrics[&format!("queue_peak_{name}")] < 60.0,
                "{:?}",
                r.metrics
            );
        }
    }
    flows_within(&lt, &s, false, 0.02).unwrap_or_else(|e| panic!("least-time vs UE: {e}"));
    flows_within(&mc, &s, true, 0.02).unwrap_or_else(|e| panic!("marginal-cost vs SO: {e}"));
    // The test tells the two apart: the UE and SO splits differ by far more than 2 %.
    assert!(flows_within(&lt, &s, true, 0.02).is_err());
    assert!(flows_within(&mc, &s, false, 0.02).is_err());
    // The report's analytic keys are the matching assignment at the nominal demand.
    for (r, key_src) in [(&lt, "UE"), (&mc, "SO")] {
        for name in ["weh", "eeh", "lbs"] {
            let k = format!("flow_per_h_{name}");
            let (sim, an) = (r.metrics[&k], r.analytic[&k].value);
            assert!((sim - an).abs() / an < 0.04, "{key_src} {k}: {sim} vs {an}");
        }
        assert!(r.analytic["price_of_anarchy"].value > 1.0);
    }
    // Every used road takes the same time under least-time (within a few seconds).
    let times: Vec<f64> = ["weh", "eeh", "lbs"]
        .iter()
        .map(|n| lt.metrics[&format!("travel_time_min_{n}")])
        .collect();
    let spread = times.iter().copied().fold(f64::MIN, f64::max)
        - times.iter().copied().fold(f64::MAX, f64::min);
    assert!(spread < 0.2, "{times:?}");
    // The controller's cars spend less time in total than the selfish ones.
    assert!(mc.metrics["mean_journey_min"] < lt.metrics["mean_journey_min"]);
}

#[test]
fn naive_routing_gives_the_two_hour_jam_and_balancing_removes_it() {
    let s = bkc();
    let naive = run(&s, "naive", None, None);
    let m = &naive.metrics;
    assert_eq!(m["share_weh"], 1.0);
    // About 2 170 cars queue at WEH; the last of them waits a little over two hours.
    assert!((100.0..=145.0).contains(&m["max_wait_min"]), "{m:?}");
    assert!((1_900.0..=2_450.0).contains(&m["queue_peak_weh"]), "{m:?}");
    for policy in ["weighted-random", "least-time", "marginal-cost"] {
        let r = run(&s, policy, None, None);
        let b = &r.metrics;
        assert!(b["max_wait_min"] < 25.0, "{policy}: {b:?}");
        assert!(
            b["mean_journey_min"] < 0.5 * m["mean_journey_min"],
            "{policy}: {b:?}"
        );
        assert!(
            b["vehicle_hours"] < 0.5 * m["vehicle_hours"],
            "{policy}: {b:?}"
        );
        // Same cars for every policy (common random numbers).
        assert_eq!(b["arrivals"], m["arrivals"]);
    }
    // Round robin overloads LBS (1 000/h offered, 600/h capacity).
    let rr = run(&s, "round-robin", None, None).metrics;
    assert!(
        rr["queue_peak_lbs"] > 300.0 && rr["queue_peak_weh"] < 100.0,
        "{rr:?}"
    );
    assert!((30.0..=50.0).contains(&rr["max_wait_min"]), "{rr:?}");
}

/// Monte Carlo of the weather's added running time over `reps`
/// replications: (mean, 95 % half-width, analytic expectation).
fn monsoon_mc(sets: &[&str], duration_s: f64, reps: u32) -> (f64, f64, f64) {
    let mut s = bkc_with(sets);
    s.duration_s = duration_s;
    s.timeline = vec![TimelineEntry::Fault {
        at_s: 0.0,
        fault: Fault {
            kind: FaultKind::World {
                name: "monsoon".into(),
                strength: 1.0,
            },
            target: "all".into(),
            duration_s: None,
        },
    }];
    let r = report::run(
        &s,
        &RunOptions {
            replications: reps,
            policy: Some("least-time".into()),
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ci = r.metrics_ci95.as_ref().expect("replications")["monsoon_delay_frac"];
    (
        r.metrics["monsoon_delay_frac"],
        ci,
        r.analytic["monsoon_expected_delay"].value,
    )
}

#[test]
fn monsoon_monte_carlo_matches_the_expected_seventeen_and_a_half_percent() {
    // One weather draw per replication (the table's variance is large:
    // σ ≈ 0.23, so many replications).
    let (mean, ci, expected) = monsoon_mc(&["demand_per_h=600"], 4_800.0, 300);
    assert!((expected - 0.175).abs() < 1e-12, "{expected}");
    assert!(ci > 0.0 && ci < 0.04, "half-width {ci}");
    assert!(
        (mean - expected).abs() <= ci,
        "one draw per run: Monte Carlo {mean:.4} ± {ci:.4} vs {expected}"
    );
    // A new draw every 10 minutes: each run averages several periods.
    let (mean, ci, _) = monsoon_mc(&["demand_per_h=600", "weather_period_s=600"], 7_200.0, 200);
    assert!(ci > 0.0 && ci < 0.02, "half-width {ci}");
    assert!(
        (mean - expected).abs() <= ci,
        "a draw per period: Monte Carlo {mean:.4} ± {ci:.4} vs {expected}"
    );
    // Without the monsoon nothing is added.
    let dry = run(
        &bkc_with(&["demand_per_h=600"]),
        "least-time",
        Some(4_800.0),
        None,
    );
    assert_eq!(dry.metrics["monsoon_delay_frac"], 0.0);
}

fn conserved(sim: &chaoswala::sim::Simulation) -> Result<(), String> {
    let m = sim.world().metrics();
    let left = m["arrivals"] + m["in_system_at_reset"];
    let right = m["completed"] + m["in_system"] + m["turned_away"];
    if left == right {
        Ok(())
    } else {
        Err(format!("at {}: {left} ≠ {right}: {m:?}", sim.now()))
    }
}

fn fault(at_s: f64, kind: FaultKind, target: &str, d: f64) -> TimelineEntry {
    TimelineEntry::Fault {
        at_s,
        fault: Fault {
            kind,
            target: target.into(),
            duration_s: Some(d),
        },
    }
}

/// The default story with an accident, a closure, a blackout and a slowdown.
fn stormy_morning() -> Scenario {
    let mut s = bkc();
    s.duration_s = 12_000.0;
    let world = |name: &str, strength: f64| FaultKind::World {
        name: name.into(),
        strength,
    };
    s.timeline.extend([
        fault(3_000.0, world("accident", 0.5), "weh", 1_800.0),
        fault(4_000.0, FaultKind::Partition, "lbs", 900.0),
        fault(5_000.0, world("info-blackout", 1.0), "all", 600.0),
        fault(6_000.0, FaultKind::Slowdown { factor: 0.5 }, "eeh", 600.0),
        fault(7_000.0, world("monsoon", 1.0), "all", 1_200.0),
    ]);
    s
}

#[test]
fn every_car_is_accounted_for_at_every_event() {
    let s = stormy_morning();
    let WorldSpec::BkcTraffic(p) = &s.world else {
        panic!("not the traffic world")
    };
    // The same faults as commands, with their ends.
    let mut commands: Vec<(f64, Command)> = Vec::new();
    for (id, e) in s.timeline.iter().enumerate() {
        if let TimelineEntry::Fault { at_s, fault } = e {
            let id = id as u64;
            commands.push((
                *at_s,
                Command::InjectFault {
                    id,
                    fault: fault.clone(),
                },
            ));
            commands.push((
                at_s + fault.duration_s.unwrap_or(0.0),
                Command::ClearFault(id),
            ));
        }
    }
    commands.sort_by(|a, b| a.0.total_cmp(&b.0));
    for policy in ["least-time", "round-robin", "marginal-cost"] {
        let mut w = Traffic::build(p, 3, Some(policy)).unwrap_or_else(|e| panic!("{e}"));
        let mut log = EventLog::default();
        let end = SimTime::from_secs_f64(s.duration_s);
        let mut next = 0;
        let mut events = 0u64;
        while let Some(t) = w.next_event_time() {
            if t > end {
                break;
            }
            while let Some((at, cmd)) = commands.get(next) {
                let at = SimTime::from_secs_f64(*at);
                if at > t {
                    break;
                }
                w.advance(at, 0, &mut log);
                w.apply(cmd, &mut log).unwrap_or_else(|e| panic!("{e}"));
                next += 1;
                let c = w.model().census();
                assert!(c.balanced(), "{policy}: {c:?}");
            }
            events += w.advance(t, 1, &mut log);
            let c = w.model().census();
            assert!(c.balanced(), "{policy} at {t}: {c:?}");
            if events == 8_000 {
                w.reset_statistics();
                let c = w.model().census();
                assert!(c.balanced() && c.in_system_at_reset > 0);
            }
        }
        assert!(events > 15_000, "{events}");
        assert_eq!(next, commands.len());
    }
}

#[test]
fn the_timeline_faults_run_and_end_and_the_totals_balance() {
    let s = stormy_morning();
    let mut sim = s
        .simulation(None, Some("least-time"))
        .unwrap_or_else(|e| panic!("{e}"));
    for k in 1..=24 {
        sim.run_until(SimTime::from_secs(500 * k))
            .expect("deadline ahead");
        conserved(&sim).unwrap_or_else(|e| panic!("{e}"));
        if k == 12 {
            sim.reset_statistics();
        }
    }
    assert!(sim.active_faults().is_empty(), "every fault ended");
    let lines: Vec<&str> = sim.log().map(|l| l.text.as_str()).collect();
    for want in [
        "accident on WEH: capacity −50 %",
        "LBS closed",
        "blackout",
        "monsoon over",
        "cleared",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(want)),
            "{want} not in {lines:?}"
        );
    }
}

#[test]
fn same_seed_same_numbers_other_seed_other_numbers() {
    let s = bkc_with(&["demand_per_h=2500"]);
    let short = Some(7_200.0);
    for policy in ["weighted-random", "least-time"] {
        let a = run(&s, policy, short, None);
        let b = run(&s, policy, short, None);
        let ja = serde_json::to_string(&a.metrics).expect("json");
        let jb = serde_json::to_string(&b.metrics).expect("json");
        assert_eq!(ja, jb, "{policy}");
        let mut other = s.clone();
        other.seed += 1;
        let c = run(&other, policy, short, None);
        assert_ne!(ja, serde_json::to_string(&c.metrics).expect("json"));
    }
}

#[test]
fn the_snapshot_shows_three_roads_and_the_five_policies() {
    let s = bkc();
    let mut sim = s
        .simulation(None, Some("least-time"))
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run_until(SimTime::from_secs(4_000))
        .expect("deadline ahead");
    let snap = sim.snapshot();
    let names: Vec<&str> = snap.roads.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["WEH", "EEH", "LBS"]);
    assert_eq!(snap.units.len(), 3);
    assert_eq!(snap.policy, "least-time");
    assert_eq!(
        sim.world().policies(),
        [
            "naive",
            "round-robin",
            "weighted-random",
            "least-time",
            "marginal-cost"
        ]
    );
    assert!(
        snap.roads
            .iter()
            .all(|r| r.flow_per_h > 0.0 && r.travel_time_min >= r.free_flow_min)
    );
    assert_eq!(snap.sparklines.len(), 4);
    assert!(!snap.chart.points.is_empty());
    // At 09:06 demand (about 3 000 cars/h) is above the roads' 2 400: the
    // static model does not apply, so no reference line and no number.
    assert!(snap.chart.reference.is_none());
    assert!(
        snap.closed_form_model.starts_with("no closed form: demand"),
        "{}",
        snap.closed_form_model
    );
    assert!(snap.analytic.iter().all(|a| a.closed_form.is_none()));
    assert!(
        snap.analytic
            .iter()
            .any(|a| a.label.starts_with("price of anarchy"))
    );
    let menu = sim.world().fault_menu();
    for want in [
        "accident",
        "road closure",
        "signal failure",
        "blackout",
        "monsoon",
    ] {
        assert!(menu.iter().any(|f| f.label.contains(want)), "{want}");
    }
    // A policy switch takes effect and is logged.
    sim.apply(Command::SetPolicy("naive".into()))
        .expect("known policy");
    assert!(sim.log().any(|l| l.text.contains("naive")));
    assert!(sim.apply(Command::SetPolicy("teleport".into())).is_err());
    // A closed road is shown closed, with finite numbers everywhere.
    sim.inject(Fault {
        kind: FaultKind::Partition,
        target: "lbs".into(),
        duration_s: Some(600.0),
    })
    .expect("closure");
    sim.run_until(SimTime::from_secs(4_300))
        .expect("deadline ahead");
    let snap = sim.snapshot();
    assert!(snap.roads[2].closed && !snap.roads[0].closed);
    assert_eq!(snap.units[2].state.label(), "DOWN");
    assert_eq!(snap.active_faults, ["partition on lbs for 600 s"]);
    let numbers = snap
        .roads
        .iter()
        .flat_map(|r| [r.flow_per_h, r.queue, r.travel_time_min, r.share])
        .chain(snap.gauges.iter().map(|g| g.ratio))
        .chain(snap.units.iter().map(|u| u.ewma_latency_s));
    for v in numbers {
        assert!(v.is_finite(), "{snap:?}");
    }
}

#[test]
fn the_command_line_runs_every_policy_as_json() {
    for policy in [
        "naive",
        "round-robin",
        "weighted-random",
        "least-time",
        "marginal-cost",
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chaoswala"))
            .args(["run", "bkc-traffic", "--policy", policy, "--format", "json"])
            .args(["--duration", "7200"])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["policy"], policy);
        for k in [
            "flow_per_h_weh",
            "flow_per_h_eeh",
            "flow_per_h_lbs",
            "travel_time_min_weh",
            "travel_time_min_eeh",
            "travel_time_min_lbs",
            "mean_journey_min",
            "p95_journey_min",
            "max_wait_min",
            "vehicle_hours",
            "arrivals",
            "completed",
            "in_system",
            "share_weh",
            "queue_weh",
        ] {
            // An unused road has no journeys: its travel time is NaN (null).
            let x = &v["metrics"][k];
            assert!(
                x.is_number() || (x.is_null() && k.starts_with("travel_time")),
                "{policy}: {k} missing"
            );
        }
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_chaoswala"))
        .args(["run", "bkc-traffic", "--set", "demand_per_h=1e9"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("demand_per_h"));
}

#[test]
fn stale_information_makes_least_time_drivers_herd() {
    let live = bkc_with(&["demand_per_h=1800"]);
    let stale = bkc_with(&["demand_per_h=1800", "info_delay_s=180"]);
    let a = run(&live, "least-time", Some(10_800.0), Some(3_600.0));
    let b = run(&stale, "least-time", Some(10_800.0), Some(3_600.0));
    // Drivers pile onto the road that *was* fastest: queues and waits grow.
    assert!(
        b.metrics["max_wait_min"] > 3.0 * a.metrics["max_wait_min"],
        "{:?}",
        b.metrics
    );
    assert!(b.metrics["mean_journey_min"] > a.metrics["mean_journey_min"] + 1.0);
    assert!(flows_within(&b, &stale, false, 0.02).is_err());
}

#[test]
fn bad_parameters_are_reported_with_the_field_and_line() {
    let text = scenario::builtin("bkc-traffic").expect("shipped").text;
    let broken = text.replacen("capacity_per_h: 800", "capacity_per_h: -800", 1);
    let e = scenario::parse("bad.ron", &broken).expect_err("negative capacity");
    let msg = e.to_string();
    assert!(
        msg.contains("capacity_per_h") && msg.contains("eeh"),
        "{msg}"
    );
    assert!(msg.contains("bad.ron:"), "{msg}");
    let unknown = text.replacen("info_delay_s: 0", "info_delay_sec: 0", 1);
    let e = scenario::parse("bad.ron", &unknown).expect_err("unknown field");
    assert!(e.to_string().contains("info_delay_sec"), "{e}");
    let mut s = bkc();
    assert!(s.apply_sets(&["demand_per_h=-5".to_string()]).is_err());
    assert!(s.apply_sets(&["flow_window_s=1".to_string()]).is_err());
}

/// At low demand drivers also see the bottleneck's small random queue
/// (cars pass it one every 3600/c seconds), which the static assignment
/// leaves out: `least-time` then puts a little less on WEH and more on
/// EEH than Wardrop's equilibrium. The module docs give the figures; this
/// pins them (over 6 replications, each share against the equilibrium at
/// the demand that replication drew).
#[test]
fn least_time_at_low_demand_is_biased_by_the_bottleneck_wait_as_documented() {
    let mut s = bkc_with(&["demand_per_h=900"]);
    s.timeline.clear();
    let named = roads(&s);
    let bprs: Vec<Bpr> = named.iter().map(|(_, b)| *b).collect();
    let mut dev = [0.0f64; 2];
    let reps = 6;
    for seed in 0..reps {
        let r = report::run(
            &s,
            &RunOptions {
                duration_s: Some(21_600.0),
                warmup_s: Some(1_800.0),
                seed: Some(100 + seed),
                policy: Some("least-time".to_string()),
                replications: 1,
                max_events: None,
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let ue = road::user_equilibrium(&bprs, r.metrics["demand_per_h"]).expect("UE");
        for (i, d) in dev.iter_mut().enumerate() {
            let got = r.metrics[&format!("flow_per_h_{}", named[i].0)];
            *d += (got - ue.flows_per_h[i]) / ue.flows_per_h[i] / reps as f64;
        }
    }
    println!(
        "least-time at 900 cars/h vs UE: WEH {:+.2} %, EEH {:+.2} %",
        dev[0] * 100.0,
        dev[1] * 100.0
    );
    // WEH within 2 % (below), EEH above by a few per cent.
    assert!(dev[0] < 0.0 && dev[0] > -0.02, "WEH {dev:?}");
    assert!(dev[1] > 0.0 && dev[1] < 0.10, "EEH {dev:?}");
}
