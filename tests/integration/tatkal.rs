//! The Tatkal world: the episode's direction (2024 waiting room vs the
//! 2023 herd), conservation of users at every checkpoint (also under
//! faults and switches), ETA accuracy, determinism, policies and
//! parameter validation. Runs are scaled down (`scale`) to stay fast; the
//! full 12-million rush is in `benches/tatkal.rs`.

use chaoswala::fault::{Fault, FaultKind};
use chaoswala::report::{self, RunOptions};
use chaoswala::scenario::{self, Scenario};
use chaoswala::sim::{Command, EventLog, Metrics, Runtime, SimTime, World};
use chaoswala::world::tatkal::{Audit, Tatkal, TatkalParams};

fn scenario(name: &str, sets: &[&str]) -> Scenario {
    let mut s = scenario::load(name)
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario;
    let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
    s.apply_sets(&sets).unwrap_or_else(|e| panic!("{e}"));
    s
}

fn run(name: &str, sets: &[&str]) -> Metrics {
    let s = scenario(name, sets);
    report::run(&s, &RunOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .metrics
}

fn params(name: &str, sets: &[&str]) -> TatkalParams {
    match scenario(name, sets).world {
        scenario::WorldSpec::Tatkal(p) => p,
        other => panic!("not a Tatkal scenario: {}", other.kind()),
    }
}

/// Outcome counters from the metrics, as an [`Audit`].
fn counted(m: &Metrics) -> Audit {
    let n = |k: &str| m[k] as u64;
    Audit {
        users: n("users"),
        booked: n("booked"),
        sold_out: n("sold_out"),
        abandoned: n("abandoned"),
        blocked: n("bots_blocked"),
        in_system: n("in_system"),
    }
}

/// Every user is in exactly one outcome, and the per-user record agrees
/// with the running counters.
fn assert_conserved(w: &Runtime<Tatkal>, when: &str) {
    let m = w.metrics();
    let c = counted(&m);
    assert_eq!(
        c.users,
        c.booked + c.sold_out + c.abandoned + c.blocked + c.in_system,
        "{when}: users are lost or double counted: {c:?}"
    );
    let a = w.model().audit();
    assert_eq!(a, c, "{when}: per-user states disagree with the counters");
    assert_eq!(
        m["booked"] as u64,
        m["humans_booked"] as u64 + m["bots_booked"] as u64,
        "{when}"
    );
    assert_eq!(
        m["seats_left"] as u64 + m["booked"] as u64,
        m["seats_total"] as u64,
        "{when}: seats are conserved"
    );
}

const SMALL: &[&str] = &["scale=0.01"];

#[test]
fn the_waiting_room_beats_the_thundering_herd() {
    let new = run("tatkal", SMALL);
    let old = run("tatkal-2023", SMALL);
    for (name, m) in [("tatkal", &new), ("tatkal-2023", &old)] {
        eprintln!(
            "{name}: success {:.3}, median {:.0} s, p95 {:.0} s, abandoned {}, retries {}, bots booked {}, ETA error {:.1} s, crashes {}",
            m["success_rate"],
            m["median_time_to_book_s"],
            m["p95_time_to_book_s"],
            m["abandoned"],
            m["retries"],
            m["bots_booked"],
            m["median_eta_error_s"],
            m["engine_crashes"],
        );
    }
    assert_eq!(new["users"], old["users"], "same people in both");
    assert!(
        new["success_rate"] > old["success_rate"] + 0.4,
        "success rate: new {} vs old {}",
        new["success_rate"],
        old["success_rate"]
    );
    assert!(
        new["median_time_to_book_s"] < old["median_time_to_book_s"],
        "median time to book: new {} vs old {}",
        new["median_time_to_book_s"],
        old["median_time_to_book_s"]
    );
    assert!(new["p95_time_to_book_s"] < old["p95_time_to_book_s"]);
    assert!(new["booked"] > old["booked"]);
    // The old system is overwhelmed: engines crash, requests are refused
    // or time out, users retry.
    assert!(old["engine_crashes"] > 0.0);
    assert!(old["retries"] > old["users"]);
    assert!(old["refused"] > 0.0 && old["timeouts"] > 0.0);
    assert_eq!(new["engine_crashes"], 0.0);
    // The ETA is compared with the measured wait only where it is shown.
    assert!(new["median_eta_error_s"].is_finite());
    assert!(new["admitted"] > 0.0);
    assert!(old["median_eta_error_s"].is_nan());
}

#[test]
fn eta_is_littles_law_and_close_for_fifo() {
    let m = run("tatkal", &["scale=0.005"]);
    let err = m["median_eta_error_s"];
    let wait = m["median_room_wait_s"];
    assert!(err.is_finite() && err >= 0.0, "{err}");
    let shown = m["median_eta_shown_s"];
    // Position / rate (counting only those ahead whose trains still have
    // seats) predicts the wait: typically off by a small part of it, and
    // the typical ETA is within a factor of two of the typical wait.
    assert!(
        err < 0.3 * wait,
        "median ETA error {err} s vs median wait {wait} s"
    );
    assert!(
        shown < 2.0 * wait && wait < 2.0 * shown,
        "median ETA {shown} s vs median wait {wait} s"
    );
    // Little's law on the waiting room itself: L = λW over the run.
    let s = scenario("tatkal", &["scale=0.005"]);
    let r = report::run(&s, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let l = r.metrics["mean_waiting_room"];
    let lw = r.analytic["mean_waiting_room"].value;
    assert!((l - lw).abs() <= 0.02 * lw.max(1.0), "L = {l} vs λW = {lw}");
}

#[test]
fn users_are_conserved_at_every_checkpoint_with_faults_and_switches() {
    for (name, seed) in [("tatkal", 7), ("tatkal-2023", 8)] {
        let p = params(name, &["scale=0.004"]);
        let mut w = Tatkal::runtime(&p, seed);
        let mut log = EventLog::default();
        let fault = |kind: FaultKind, target: &str| Fault {
            kind,
            target: target.to_string(),
            duration_s: None,
        };
        // (time s, command) — applied in order as the clock passes.
        let plan: Vec<(u64, Command)> = vec![
            (
                880,
                Command::InjectFault {
                    id: 1,
                    fault: fault(
                        FaultKind::World {
                            name: "bot-wave".into(),
                            strength: 5.0,
                        },
                        "all",
                    ),
                },
            ),
            (
                905,
                Command::InjectFault {
                    id: 2,
                    fault: fault(
                        FaultKind::Kill {
                            restart_after_s: Some(60.0),
                        },
                        "engine-1",
                    ),
                },
            ),
            (
                910,
                Command::InjectFault {
                    id: 3,
                    fault: fault(FaultKind::Slowdown { factor: 0.3 }, "payment"),
                },
            ),
            (
                915,
                Command::InjectFault {
                    id: 4,
                    fault: fault(
                        FaultKind::Latency {
                            ms: 1500.0,
                            jitter_ms: 300.0,
                        },
                        "db",
                    ),
                },
            ),
            (
                920,
                Command::InjectFault {
                    id: 5,
                    fault: fault(FaultKind::Blackhole, "engine-2"),
                },
            ),
            (
                925,
                Command::InjectFault {
                    id: 6,
                    fault: fault(FaultKind::Partition, "engine-3"),
                },
            ),
            (
                930,
                Command::InjectFault {
                    id: 7,
                    fault: fault(FaultKind::ErrorRate { p: 0.3 }, "all"),
                },
            ),
            (
                935,
                Command::InjectFault {
                    id: 8,
                    fault: fault(FaultKind::CapacityDrop { fraction: 0.5 }, "engine-4"),
                },
            ),
            (
                940,
                Command::InjectFault {
                    id: 9,
                    fault: fault(FaultKind::ErrorRate { p: 0.2 }, "payment"),
                },
            ),
            (950, Command::ClearFault(1)),
            (
                960,
                Command::Toggle {
                    name: "waiting_room".into(),
                    on: false,
                },
            ),
            (970, Command::SetPolicy("random".into())),
            (
                980,
                Command::Toggle {
                    name: "waiting_room".into(),
                    on: true,
                },
            ),
            (
                990,
                Command::Toggle {
                    name: "parallel_pipeline".into(),
                    on: false,
                },
            ),
            (
                1000,
                Command::Toggle {
                    name: "risk_captcha".into(),
                    on: false,
                },
            ),
            (1010, Command::SetPolicy("power-of-two".into())),
            (1020, Command::ClearFaults),
            (
                1030,
                Command::InjectFault {
                    id: 10,
                    fault: fault(
                        FaultKind::Kill {
                            restart_after_s: None,
                        },
                        "all",
                    ),
                },
            ),
            (1060, Command::ClearFault(10)),
            (1070, Command::SetPolicy("none".into())),
        ];
        let mut next = 0;
        let mut checkpoints = 0;
        let mut t = 0;
        while t <= 2400 {
            w.advance(SimTime::from_secs(t), u64::MAX, &mut log);
            while next < plan.len() && plan[next].0 <= t {
                w.apply(&plan[next].1, &mut log)
                    .unwrap_or_else(|e| panic!("{name} at {t} s: {e}"));
                next += 1;
                assert_conserved(&w, &format!("{name} after a command at {t} s"));
            }
            assert_conserved(&w, &format!("{name} at {t} s"));
            checkpoints += 1;
            t += if (880..1100).contains(&t) { 1 } else { 20 };
        }
        assert!(checkpoints > 250);
        let m = w.metrics();
        assert!(m["users"] > 0.0 && m["booked"] > 0.0, "{name}: {m:?}");
        assert!(m["engine_crashes"] > 0.0, "{name}: the kills crash engines");
    }
}

#[test]
fn every_outcome_happens_and_is_counted_once() {
    // Small enough that trains sell out, with bots and impatient humans.
    let m = run("tatkal", &["scale=0.004", "patience_median_s=120"]);
    for k in [
        "booked",
        "sold_out",
        "abandoned",
        "bots_blocked",
        "bots_booked",
    ] {
        assert!(m[k] > 0.0, "{k} never happened: {m:?}");
    }
    let c = counted(&m);
    assert_eq!(
        c.users,
        c.booked + c.sold_out + c.abandoned + c.blocked + c.in_system
    );
    let tried = m["humans_booked"] + m["humans_abandoned"];
    assert!((m["humans_booked_of_tried"] - m["humans_booked"] / tried).abs() < 1e-12);
}

#[test]
fn same_seed_same_metrics_other_seed_other_metrics() {
    let s = scenario("tatkal", &["scale=0.003"]);
    let a = report::run(&s, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let b = report::run(&s, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let json = |m: &Metrics| serde_json::to_string(m).expect("metrics serialise");
    assert_eq!(json(&a.metrics), json(&b.metrics));
    assert_eq!(a.events_processed, b.events_processed);
    let c = report::run(
        &s,
        &RunOptions {
            seed: Some(43),
            ..RunOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(json(&a.metrics), json(&c.metrics));
}

#[test]
fn switching_policy_keeps_the_same_arrivals() {
    let base = ["scale=0.003"];
    let s = scenario("tatkal", &base);
    let mut users = Vec::new();
    for p in ["fifo", "random", "none"] {
        let r = report::run(
            &s,
            &RunOptions {
                policy: Some(p.to_string()),
                duration_s: Some(1200.0),
                ..RunOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(r.policy, p);
        users.push((r.metrics["users"], r.metrics["bots"]));
    }
    assert!(users.windows(2).all(|w| w[0] == w[1]), "{users:?}");
}

#[test]
fn policies_toggles_and_fault_menu_are_accepted() {
    let mut w = Tatkal::runtime(&params("tatkal", &["scale=0.002"]), 1);
    let mut log = EventLog::default();
    assert_eq!(w.policies(), vec!["fifo", "random", "none"]);
    for p in w.policies() {
        w.apply(&Command::SetPolicy(p.clone()), &mut log)
            .unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(w.policy(), p);
    }
    for p in [
        "round-robin",
        "least-loaded",
        "power-of-two",
        "health-aware",
    ] {
        w.apply(&Command::SetPolicy(p.to_string()), &mut log)
            .unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    assert!(
        w.apply(&Command::SetPolicy("lifo".into()), &mut log)
            .is_err()
    );
    let snap = w.snapshot();
    let names: Vec<&str> = snap.toggles.iter().map(|(n, _)| n.as_str()).collect();
    for t in [
        "waiting_room",
        "parallel_pipeline",
        "prewarm_cache",
        "risk_captcha",
    ] {
        assert!(names.contains(&t), "{t} missing from {names:?}");
    }
    assert!(
        w.apply(
            &Command::Toggle {
                name: "turbo".into(),
                on: true
            },
            &mut log
        )
        .is_err()
    );
    let mut id = 100;
    for tpl in w.fault_menu() {
        for target in &tpl.targets {
            id += 1;
            let f = Fault {
                kind: tpl.kind.clone(),
                target: target.clone(),
                duration_s: tpl.duration_s,
            };
            w.apply(&Command::InjectFault { id, fault: f }, &mut log)
                .unwrap_or_else(|e| panic!("{}: {target}: {e}", tpl.label));
        }
    }
    w.apply(&Command::ClearFaults, &mut log).expect("clears");
    let bad = Fault {
        kind: FaultKind::Kill {
            restart_after_s: None,
        },
        target: "payment".into(),
        duration_s: None,
    };
    assert!(
        w.apply(&Command::InjectFault { id: 1, fault: bad }, &mut log)
            .is_err()
    );
    let nowhere = Fault {
        kind: FaultKind::Partition,
        target: "engine-9999".into(),
        duration_s: None,
    };
    assert!(
        w.apply(
            &Command::InjectFault {
                id: 2,
                fault: nowhere
            },
            &mut log
        )
        .is_err()
    );
}

#[test]
fn the_snapshot_has_what_the_dashboard_draws() {
    let s = scenario("tatkal", &["scale=0.002"]);
    let mut sim = s.simulation(None, None).unwrap_or_else(|e| panic!("{e}"));
    sim.run_until(SimTime::from_secs(960))
        .expect("deadline ahead");
    let snap = sim.snapshot();
    let labels: Vec<&str> = snap.sparklines.iter().map(|s| s.label.as_str()).collect();
    assert!(labels.contains(&"arrivals") && labels.contains(&"admitted"));
    assert!(snap.sparklines.iter().all(|s| !s.values.is_empty()));
    assert_eq!(
        snap.units.len(),
        sim.world().fault_menu()[0].targets.len() - 1
    );
    assert!(snap.gauges.len() >= 4);
    assert!(!snap.chart.points.is_empty());
    assert!(snap.analytic.iter().any(|r| r.label.contains("Little")));
    let status = snap.status_line.expect("status line");
    assert!(status.starts_with("10:01:00"), "{status}");
    assert!(sim.log().any(|l| l.text.contains("10:00")));
    assert!(sim.caption().is_some());
}

#[test]
fn the_herd_crashes_engines_and_the_log_says_so() {
    let s = scenario("tatkal-2023", &["scale=0.003"]);
    let mut sim = s.simulation(None, None).unwrap_or_else(|e| panic!("{e}"));
    sim.run_until(SimTime::from_secs(1300))
        .expect("deadline ahead");
    assert!(sim.log().any(|l| l.text.contains("crashed")));
    assert!(sim.log().any(|l| l.text.contains("restarted")));
    let snap = sim.snapshot();
    assert!(
        snap.units
            .iter()
            .any(|u| u.extra.contains("crashes") && !u.extra.ends_with(" 0 crashes"))
    );
}

#[test]
fn bad_parameters_are_refused_with_the_field_named() {
    let cases: &[(&str, &str)] = &[
        ("users=60000000", "users"),
        ("scale=0", "scale"),
        ("bot_share=1.5", "bot_share"),
        ("trains=0", "trains"),
        ("engine_slots=10", "engine_slots"),
        ("timeout_s=-1", "timeout_s"),
        ("admission=\"lifo\"", "admission"),
        ("balancing=\"magic\"", "balancing"),
        ("captcha_fail=1.0", "captcha_fail"),
        ("capacity=Fixed(engines: 0)", "engines"),
        ("arrivals.burst_share=0.95", "pre_open_share"),
        ("engine_backlog=9000000", "engine_backlog"),
    ];
    for (set, field) in cases {
        let mut s = scenario::load("tatkal").expect("built-in").scenario;
        let err = s
            .apply_sets(&[(*set).to_string()])
            .expect_err(&format!("{set} must be refused"));
        let text = err.to_string();
        assert!(
            text.contains(field),
            "{set}: `{text}` does not name {field}"
        );
    }
    // A file with a bad field points at its line.
    let text = scenario::builtin("tatkal")
        .expect("built-in")
        .text
        .replace("users: 12000000", "users: 99000000");
    let err = scenario::parse("bad.ron", &text).expect_err("over the cap");
    assert!(err.to_string().contains("bad.ron:"), "{err}");
    assert!(err.to_string().contains("users"), "{err}");
}

#[test]
fn defaults_validate_and_scale_keeps_ratios() {
    let p = TatkalParams::default();
    assert!(p.validate().is_empty(), "{:?}", p.validate());
    let small = TatkalParams {
        scale: 0.01,
        ..TatkalParams::default()
    }
    .scaled();
    assert_eq!(small.users, 120_000);
    assert_eq!(small.seats_per_train, 6);
    assert_eq!(small.engines(), p.engines());
}

#[test]
fn a_bot_wave_brings_more_bots_for_its_duration_only() {
    let s = scenario("tatkal", &["scale=0.002"]);
    // (bots at 900, 930 and 1500 s; faults active at 920 s)
    let run = |wave: bool| {
        let mut sim = s.simulation(None, None).unwrap_or_else(|e| panic!("{e}"));
        sim.run_until(SimTime::from_secs(900))
            .expect("deadline ahead");
        let b0 = sim.world().metrics()["bots"];
        if wave {
            sim.inject(Fault {
                kind: FaultKind::World {
                    name: "bot-wave".into(),
                    strength: 10.0,
                },
                target: "all".into(),
                duration_s: Some(30.0),
            })
            .unwrap_or_else(|e| panic!("{e}"));
        }
        sim.run_until(SimTime::from_secs(920))
            .expect("deadline ahead");
        let active = sim.active_faults().len();
        sim.run_until(SimTime::from_secs(931))
            .expect("deadline ahead");
        let b1 = sim.world().metrics()["bots"];
        let active_after = sim.active_faults().len();
        sim.run_until(SimTime::from_secs(1500))
            .expect("deadline ahead");
        let m = sim.world().metrics();
        (b0, b1, m["bots"], m["humans"], active, active_after)
    };
    let (c0, c1, c2, humans_calm, _, _) = run(false);
    let (w0, w1, w2, humans_wave, active, after) = run(true);
    assert_eq!(c0, w0, "same arrivals before the wave");
    assert_eq!((active, after), (1, 0), "the wave ends after its duration");
    let (calm, wave) = (c1 - c0, w1 - w0);
    assert!(wave > 5.0 * calm, "bots during the wave: {wave} vs {calm}");
    let (calm_after, wave_after) = (c2 - c1, w2 - w1);
    assert!(
        (wave_after - calm_after).abs() <= 0.05 * calm_after + 5.0,
        "bots after the wave: {wave_after} vs {calm_after}"
    );
    assert_eq!(humans_calm, humans_wave, "humans are the same people");
}

#[test]
fn scaling_arrivals_changes_who_is_still_to_come() {
    let mut w = Tatkal::runtime(&params("tatkal", &["scale=0.002"]), 3);
    let mut log = EventLog::default();
    w.advance(SimTime::from_secs(600), u64::MAX, &mut log);
    let before = w.metrics()["users"];
    w.apply(&Command::ScaleArrivals(2.0), &mut log)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(w.apply(&Command::ScaleArrivals(1.0e9), &mut log).is_err());
    w.advance(SimTime::from_secs(20_000), u64::MAX, &mut log);
    let total = w.metrics()["users"];
    let planned = 24_000.0;
    let expected = before + 2.0 * (planned - before);
    assert!(
        (total - expected).abs() < 2.0,
        "{total} users, expected {expected}"
    );
    assert_conserved(&w, "after scaling arrivals");
}

fn run_seeded(name: &str, sets: &[&str], seed: Option<u64>) -> Metrics {
    let s = scenario(name, sets);
    let opts = RunOptions {
        seed,
        ..RunOptions::default()
    };
    report::run(&s, &opts)
        .unwrap_or_else(|e| panic!("{e}"))
        .metrics
}

/// The episode's story as ranges, for the scenario's seed and three others
/// (the story is scale-invariant: `scale` shrinks users, seats and engine
/// sizes together, see `a_smaller_copy_tells_the_same_story`). Before 2024
/// about 12 % of booking attempts made while seats remained got a ticket;
/// after the redesign 89 %. The old system still sells its seats, much
/// of them to agents' bots; both meet payment declines, OTP timeouts and
/// users' mistakes.
#[test]
fn success_rates_land_in_the_episodes_neighbourhood() {
    for seed in [None, Some(1), Some(2), Some(3)] {
        let old = run_seeded("tatkal-2023", SMALL, seed);
        let new = run_seeded("tatkal", SMALL, seed);
        let (o, n) = (old["success_rate"], new["success_rate"]);
        eprintln!(
            "seed {seed:?}: old {o:.3} (sold {:.0} of {:.0}, bots {:.2}), new {n:.3}",
            old["booked"], old["seats_total"], old["bots_share_of_booked"]
        );
        assert!(
            (0.05..=0.25).contains(&o),
            "old success {o} (seed {seed:?})"
        );
        assert!(
            (0.75..=0.97).contains(&n),
            "new success {n} (seed {seed:?})"
        );
        // The old system sells most of its seats within its half hour,
        // and agents' bots take a large share of them.
        assert!(
            old["booked"] > 0.7 * old["seats_total"],
            "old sold {} of {}",
            old["booked"],
            old["seats_total"]
        );
        assert!(
            old["bots_share_of_booked"] > 0.25,
            "bots' share {}",
            old["bots_share_of_booked"]
        );
        assert!(old["engine_crashes"] > 0.0);
        // Success is counted over attempts begun while seats remained.
        for m in [&old, &new] {
            let done = m["attempts_booked"]
                + m["attempts_sold_out"]
                + m["attempts_abandoned"]
                + m["attempts_failed"];
            assert!((m["success_rate"] - m["attempts_booked"] / done).abs() < 1e-12);
            assert!(m["attempts_booked"] <= m["humans_booked"]);
            // Background failures happen in both systems.
            assert!(m["payment_declines"] > 0.0 && m["otp_timeouts"] > 0.0);
            assert!(m["user_mistakes"] > 0.0);
        }
        // The room holds a seat for each user it admits: nobody admitted
        // finds their train sold out on the way.
        assert_eq!(new["attempts_sold_out"], 0.0);
    }
}

/// Without background failures the room turns every attempt into a ticket
/// (the rest of the new system's failures are those failures).
#[test]
fn without_background_failures_every_admitted_attempt_books() {
    let m = run(
        "tatkal",
        &[
            "scale=0.005",
            "payment_decline=0",
            "otp_timeout=0",
            "user_mistake=0",
        ],
    );
    assert!(m["success_rate"] > 0.99, "{}", m["success_rate"]);
    assert_eq!(
        m["payment_declines"] + m["otp_timeouts"] + m["user_mistakes"],
        0.0
    );
}

/// `scale` shrinks users, seats and engine sizes together: the shares the
/// story is told in stay within a few points.
#[test]
fn a_smaller_copy_tells_the_same_story() {
    for name in ["tatkal-2023", "tatkal"] {
        let a = run(name, &["scale=0.005"]);
        let b = run(name, &["scale=0.02"]);
        for k in ["success_rate", "bots_share_of_booked"] {
            assert!(
                (a[k] - b[k]).abs() < 0.03 + 0.1 * b[k],
                "{name} {k}: {} at scale 0.005 vs {} at 0.02",
                a[k],
                b[k]
            );
        }
    }
}
