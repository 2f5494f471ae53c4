//! The network world: open Jackson networks (one with a feedback loop,
//! one with c > 1 stations behind a random split) match the product form
//! per node, within 2 % or inside the 95 % interval over replications
//! (as the platform's oracles); a one-station network matches M/M/c/K
//! and the platform world on the same model; nothing is lost at any step
//! of random networks, per node and network-wide; the us-east-1 and
//! bgp-cascade stories.

use chaoswala::analytic;
use chaoswala::report::{self, Report, RunOptions};
use chaoswala::scenario::{self, Scenario};
use chaoswala::sim::{EventLog, Runtime, SimTime, World};
use chaoswala::world::network::{Network, NetworkParams, NodeState};
use proptest::prelude::*;

fn scenario_of(world: &str) -> Scenario {
    let text =
        format!("Scenario(name: \"t\", title: \"t\", duration_s: 1000, world: Network(({world})))");
    scenario::parse("test", &text).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario, duration_s: f64, warmup_s: f64, replications: u32) -> Report {
    report::run(
        s,
        &RunOptions {
            duration_s: Some(duration_s),
            warmup_s: Some(warmup_s),
            seed: Some(2024),
            policy: None,
            replications,
            max_events: None,
        },
    )
    .expect("runs")
}

/// The simulated mean agrees with `exact` (within 2 % or the 95 %
/// interval, which must be tight enough to mean something), and the world
/// reports the same closed form.
fn agree(r: &Report, key: &str, exact: f64) {
    let sim = r.metrics[key];
    let ci = r.metrics_ci95.as_ref().expect("replications > 1")[key];
    let err = (sim - exact).abs();
    println!("{key}: simulated {sim:.5} ± {ci:.5}, closed form {exact:.5}");
    assert!(
        ci < 0.05 * exact,
        "{key}: ±{ci} is too wide to test anything"
    );
    assert!(
        err <= (0.02 * exact).max(ci),
        "{key}: simulated {sim} ± {ci} vs closed form {exact}"
    );
}

/// The closed form of `key`, which names the model it comes from.
fn analytic_of(r: &Report, key: &str) -> f64 {
    let v = r
        .analytic
        .get(key)
        .unwrap_or_else(|| panic!("no closed form for {key}: {:?}", r.no_closed_form));
    assert!(
        v.model.contains("M/M/") || v.model.contains("Jackson"),
        "{key}: model `{}`",
        v.model
    );
    v.value
}

#[test]
fn a_jackson_network_with_feedback_matches_the_product_form() {
    // λ = 1 into A; A → B; B → A with p 0.3, else out.
    // λA = 1 + 0.3 λB, λB = λA: λA = λB = 1/0.7.
    let s = scenario_of(
        r#"nodes: [
            Source(name: "in", rate_per_s: 1.0, to: [(to: "a")]),
            Station(name: "a", servers: 1, capacity: 100000, service_rate_per_s: 3.0, routes: [(to: "b")]),
            Station(name: "b", servers: 1, capacity: 100000, service_rate_per_s: 2.5, routes: [(to: "a", p: 0.3)]),
        ]"#,
    );
    let r = run(&s, 60_000.0, 500.0, 8);
    let lam = 1.0 / 0.7;
    for (node, mu) in [("a", 3.0), ("b", 2.5)] {
        let f = analytic::mmc(lam, mu, 1).expect("stable");
        assert!(
            (analytic_of(&r, &format!("{node}.mean_in_system")) - f.mean_in_system).abs() < 1e-9
        );
        agree(&r, &format!("{node}.mean_in_system"), f.mean_in_system);
        agree(&r, &format!("{node}.mean_response_s"), f.mean_response_s);
        agree(&r, &format!("{node}.utilisation"), f.utilisation);
        agree(&r, &format!("{node}.throughput_per_s"), lam);
    }
    // The network: L = ΣLᵢ, W = L / γ (Little).
    let l: f64 = [("a", 3.0), ("b", 2.5)]
        .iter()
        .map(|(_, mu)| analytic::mmc(lam, *mu, 1).expect("stable").mean_in_system)
        .sum();
    agree(&r, "mean_in_network", l);
    agree(&r, "mean_time_in_network_s", l / 1.0);
    assert!((analytic_of(&r, "mean_time_in_network_s") - l).abs() < 1e-9);
}

#[test]
fn a_jackson_network_with_several_servers_behind_a_random_split_matches() {
    // λ = 2 through a random 3:1 split: A gets 1.5 (c = 3), B 0.5 (c = 2);
    // 60 % of A's go on to C (c = 2), the rest leave; B's all go to C.
    // λC = 0.9 + 0.5 = 1.4.
    let s = scenario_of(
        r#"nodes: [
            Source(name: "in", rate_per_s: 2.0, to: [(to: "lb")]),
            Router(name: "lb", policy: "weighted-random", to: ["a", "b"], weights: [3, 1]),
            Station(name: "a", servers: 3, capacity: 100000, service_rate_per_s: 0.8, routes: [(to: "c", p: 0.6)]),
            Station(name: "b", servers: 2, capacity: 100000, service_rate_per_s: 0.5, routes: [(to: "c", p: 1.0)]),
            Station(name: "c", servers: 2, capacity: 100000, service_rate_per_s: 1.0),
        ]"#,
    );
    let r = run(&s, 40_000.0, 500.0, 8);
    for (node, lam, mu, c) in [("a", 1.5, 0.8, 3), ("b", 0.5, 0.5, 2), ("c", 1.4, 1.0, 2)] {
        let f = analytic::mmc(lam, mu, c).expect("stable");
        assert!(
            (analytic_of(&r, &format!("{node}.mean_in_system")) - f.mean_in_system).abs() < 1e-9
        );
        agree(&r, &format!("{node}.mean_in_system"), f.mean_in_system);
        agree(&r, &format!("{node}.mean_response_s"), f.mean_response_s);
        agree(&r, &format!("{node}.utilisation"), f.utilisation);
    }
}

#[test]
fn a_one_station_network_is_m_m_4_20_like_the_platform() {
    let s = scenario_of(
        r#"nodes: [
            Source(name: "in", rate_per_s: 3.6, to: [(to: "s")]),
            Station(name: "s", servers: 4, capacity: 20, service_rate_per_s: 1.0),
        ]"#,
    );
    let r = run(&s, 150_000.0, 1_000.0, 8);
    let f = analytic::mmck(3.6, 1.0, 4, 20);
    assert!((analytic_of(&r, "s.mean_in_system") - f.mean_in_system).abs() < 1e-9);
    agree(&r, "s.blocking_probability", f.blocking_probability);
    agree(&r, "s.mean_in_system", f.mean_in_system);
    agree(&r, "s.mean_wait_s", f.mean_wait_s);
    agree(&r, "s.utilisation", f.utilisation);
    // The platform world on the same model, same seeds: the same queue.
    let mut p = scenario::load("platform").expect("built-in").scenario;
    p.timeline.clear();
    let sets: Vec<String> = [
        "arrival_rate_per_min=216",
        "service_rate_per_min=60",
        "servers=4",
        "capacity=20",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    p.apply_sets(&sets).expect("valid");
    let q = run(&p, 150_000.0, 1_000.0, 8);
    for (net, plat) in [
        ("s.blocking_probability", "blocking_probability"),
        ("s.mean_in_system", "mean_in_system"),
        ("s.utilisation", "utilisation"),
    ] {
        let (a, b) = (r.metrics[net], q.metrics[plat]);
        let ci = r.metrics_ci95.as_ref().expect("reps")[net]
            + q.metrics_ci95.as_ref().expect("reps")[plat];
        println!("{net}: network {a:.5}, platform {b:.5} (± {ci:.5})");
        assert!(
            (a - b).abs() <= ci.max(0.02 * b),
            "{net}: {a} vs platform {b}"
        );
    }
}

#[test]
fn closed_forms_are_withheld_where_they_do_not_apply() {
    let s = scenario_of(
        r#"nodes: [
            Source(name: "in", rate_per_s: 3.0, to: [(to: "a")]),
            Station(name: "a", servers: 1, capacity: 5, service_rate_per_s: 4.0, routes: [(to: "b")]),
            Station(name: "b", servers: 1, capacity: 1000, service_rate_per_s: 2.0),
            Station(name: "c", servers: 1, capacity: 1000, service_rate_per_s: 2.0, service: Deterministic),
        ]"#,
    );
    let sim = s.simulation(None, None).unwrap();
    let snap = sim.snapshot();
    let rows: Vec<&str> = snap.analytic.iter().map(|r| r.label.as_str()).collect();
    // a can block but is fed straight by a source: M/M/1/5 exactly.
    assert!(rows.iter().any(|l| l.contains("M/M/1/5 at a")), "{rows:?}");
    assert!(
        rows.iter()
            .any(|l| l.starts_with("b: no closed form: upstream `a` can block")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|l| l.starts_with("c: no closed form: service is not exponential")),
        "{rows:?}"
    );
    let an = sim.world().analytic();
    assert!(an.get("a.mean_in_system").is_some() && an.get("b.mean_in_system").is_none());
    assert!(an.get("mean_time_in_network_s").is_none());
    // Overloaded.
    let s = scenario_of(
        r#"nodes: [
            Source(name: "in", rate_per_s: 3.0, to: [(to: "a")]),
            Station(name: "a", servers: 1, capacity: 100000, service_rate_per_s: 10.0, routes: [(to: "b")]),
            Station(name: "b", servers: 1, capacity: 100000, service_rate_per_s: 2.0),
        ]"#,
    );
    let rows: Vec<String> = s
        .simulation(None, None)
        .unwrap()
        .snapshot()
        .analytic
        .iter()
        .map(|r| r.label.clone())
        .collect();
    assert!(
        rows.iter()
            .any(|l| l == "b: no closed form: overloaded (ρ = 1.50)"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|l| l.contains("Jackson product form, M/M/1 at a")),
        "{rows:?}"
    );
}

#[test]
fn the_western_line_matches_the_product_form() {
    let s = scenario::load("western-line").expect("built-in").scenario;
    let r = run(&s, 20_000.0, 500.0, 6);
    for node in ["andheri", "bandra", "mumbai-central", "cst"] {
        for k in ["mean_in_system", "mean_response_s", "utilisation"] {
            let key = format!("{node}.{k}");
            let exact = analytic_of(&r, &key);
            let (sim, ci) = (
                r.metrics[&key],
                r.metrics_ci95.as_ref().expect("reps")[&key],
            );
            println!("{key}: {sim:.4} ± {ci:.4} vs {exact:.4}");
            assert!(
                (sim - exact).abs() <= ci.max(0.03 * exact),
                "{key}: {sim} ± {ci} vs {exact}"
            );
        }
    }
}

// ---- conservation over random networks --------------------------------

/// A random open network: sources, stations (some calling others), a
/// router, a sink, random routes with feedback and a way out everywhere.
fn random_network(n: usize, seed: u64, calls: bool) -> String {
    let mut x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m.max(1)
    };
    let mut nodes = vec![
        "Source(name: \"src\", rate_per_s: 4.0, to: [(to: \"lb\")])".to_string(),
        "Source(name: \"users\", rate_per_s: 2.0, to: [(to: \"s0\")], client: Some((timeout_s: 1.5, retries: 2, backoff_s: 0.2, retry_budget: Some(0.5), breaker: Some((failures: 5, open_s: 5)))))".to_string(),
        "Router(name: \"lb\", policy: \"least-loaded\", to: [\"s0\", \"s1\"])".to_string(),
        "Sink(name: \"out\")".to_string(),
    ];
    for i in 0..n {
        let servers = 1 + next(3);
        let cap = servers + next(12);
        let mut routes = Vec::new();
        let mut left = 0.9;
        for _ in 0..next(3) {
            let to = next(n as u64);
            let p = (next(40) as f64) / 100.0;
            if p <= left {
                routes.push(format!("(to: \"s{to}\", p: {p})"));
                left -= p;
            }
        }
        if next(4) == 0 {
            routes.push(format!("(to: \"out\", p: {left:.2})"));
        }
        let call = if calls && i + 1 < n && next(3) == 0 {
            format!(
                ", call: Some(\"s{}\"), client: Some((timeout_s: 0.8, retries: 1, pool: Some((size: 2, max_waiting: 3))))",
                i + 1 + next((n - i - 1) as u64) as usize
            )
        } else {
            String::new()
        };
        let deps = if i > 0 && next(4) == 0 {
            format!(", depends_on: [\"s{}\"], restart_s: 3", next(i as u64))
        } else {
            String::new()
        };
        nodes.push(format!(
            "Station(name: \"s{i}\", servers: {servers}, capacity: {cap}, service_rate_per_s: {:.2}, routes: [{}]{call}{deps})",
            1.0 + next(30) as f64 / 10.0,
            routes.join(", ")
        ));
    }
    format!(
        "nodes: [{}], restoration: Some((at: \"lb\", stages: [0.25, 0.5], stage_s: 20))",
        nodes.join(", ")
    )
}

fn build(world: &str, seed: u64) -> Runtime<Network> {
    let s = scenario_of(world);
    let chaoswala::world::WorldSpec::Network(p) = &s.world else {
        panic!("a network")
    };
    let p: NetworkParams = p.clone();
    let (m, q) = Network::new(&p, seed).expect("valid");
    Runtime::new(m, q)
}

fn books_balance(w: &Runtime<Network>, ctx: &str) -> Result<(), TestCaseError> {
    w.ledger()
        .check()
        .map_err(|e| TestCaseError::fail(format!("{ctx}: network: {e}")))?;
    for (name, l) in w.model().node_names().iter().zip(w.model().node_ledgers()) {
        l.check()
            .map_err(|e| TestCaseError::fail(format!("{ctx}: node {name}: {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_networks_keep_their_books_per_node_and_overall(
        n in 2usize..9,
        shape in any::<u64>(),
        seed in any::<u64>(),
        calls in any::<bool>(),
        faults in proptest::collection::vec((0usize..12, 0usize..7, 1.0f64..60.0), 0..6),
    ) {
        let world = random_network(n, shape, calls);
        let mut w = build(&world, seed);
        let mut log = EventLog::default();
        let kinds = ["kill", "slowdown", "latency", "capacity-drop", "error-rate", "partition", "blackhole"];
        let names: Vec<String> = w.model().node_names().iter().map(ToString::to_string).collect();
        let mut id = 0;
        for (step, (t, k, d)) in faults.iter().enumerate() {
            for _ in 0..200 {
                w.advance(SimTime::MAX, 1, &mut log);
                books_balance(&w, &format!("{world} step {step}"))?;
            }
            id += 1;
            let fault = chaoswala::fault::Fault {
                kind: chaoswala::fault::FaultKind::named(kinds[*k]),
                target: names[t % names.len()].clone(),
                duration_s: Some(*d),
            };
            let cmd = chaoswala::sim::Command::InjectFault { id, fault };
            if w.catalog().check(&cmd).is_ok() {
                w.apply(&cmd, &mut log).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            let until = w.now() + SimTime::from_secs_f64(*d);
            w.advance(until, u64::MAX, &mut log);
            books_balance(&w, "after a fault")?;
            if step % 2 == 1 {
                w.apply(&chaoswala::sim::Command::ClearFault(id), &mut log).unwrap();
                w.reset_statistics();
            }
        }
        for _ in 0..500 {
            w.advance(SimTime::MAX, 1, &mut log);
            books_balance(&w, "at the end")?;
        }
    }
}

// ---- the stories -------------------------------------------------------

/// Answers (goodput) per second between two instants of a run of
/// `us-east-1` with the switches set as given.
fn us_east(budget: bool, staged: bool) -> (f64, f64, f64, f64) {
    let s = scenario::load("us-east-1").expect("built-in").scenario;
    let mut sim = s.simulation(None, None).unwrap();
    let set = |sim: &mut chaoswala::sim::Simulation, name: &str, on: bool| {
        sim.apply(chaoswala::sim::Command::Toggle {
            name: name.into(),
            on,
        })
        .unwrap();
    };
    set(&mut sim, "retry_budget", budget);
    set(&mut sim, "staged_restoration", staged);
    let at = |sim: &mut chaoswala::sim::Simulation, t: f64| {
        sim.run_until(SimTime::from_secs_f64(t)).unwrap();
        sim.world().metrics()["completed"]
    };
    // Pre-fault 10–30 min; the power is lost 30–45 min; the hour after.
    let a = at(&mut sim, 600.0);
    let b = at(&mut sim, 1800.0);
    let c = at(&mut sim, 2700.0);
    let d = at(&mut sim, 2700.0 + 3600.0);
    let m = sim.world().metrics();
    (
        (b - a) / 1200.0,
        (c - b) / 900.0,
        (d - c) / 3600.0,
        m["retries_per_request"],
    )
}

#[test]
fn us_east_1_stays_down_after_the_power_returns_unless_retries_are_budgeted_or_traffic_staged() {
    let (before, during, after, rpr) = us_east(false, false);
    println!(
        "neither: before {before:.2}/s, during {during:.2}/s, after {after:.2}/s, {rpr:.2} retries/request"
    );
    assert!(during < before, "the power loss hurts");
    assert!(after < 0.5 * before, "metastable: {after} vs {before}");
    for (budget, staged) in [(true, false), (false, true)] {
        let (before, _, after, rpr) = us_east(budget, staged);
        println!(
            "budget {budget}, staged {staged}: before {before:.2}/s, after {after:.2}/s, {rpr:.2} retries/request"
        );
        assert!(after > 0.9 * before, "recovers: {after} vs {before}");
    }
}

/// Runs a scenario's network with its timeline up to `until_s`, stepping
/// the model directly (so that its per-node state can be read).
fn drive(s: &Scenario, w: &mut Runtime<Network>, from_s: f64, until_s: f64) {
    use chaoswala::scenario::TimelineEntry;
    use chaoswala::sim::Command;
    let mut cmds: Vec<(f64, Command)> = Vec::new();
    for (i, e) in s.timeline.iter().enumerate() {
        match e {
            TimelineEntry::Fault { at_s, fault } => {
                let id = i as u64 + 1;
                cmds.push((
                    *at_s,
                    Command::InjectFault {
                        id,
                        fault: fault.clone(),
                    },
                ));
                if let Some(d) = fault.duration_s {
                    cmds.push((at_s + d, Command::ClearFault(id)));
                }
            }
            TimelineEntry::Toggle { at_s, name, on } => {
                cmds.push((
                    *at_s,
                    Command::Toggle {
                        name: name.clone(),
                        on: *on,
                    },
                ));
            }
            _ => {}
        }
    }
    cmds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut log = EventLog::default();
    for (t, c) in cmds
        .into_iter()
        .filter(|(t, _)| *t >= from_s && *t < until_s)
    {
        w.advance(SimTime::from_secs_f64(t), u64::MAX, &mut log);
        w.apply(&c, &mut log).unwrap();
    }
    w.advance(SimTime::from_secs_f64(until_s), u64::MAX, &mut log);
}

#[test]
fn bgp_cascade_fails_every_app_then_recovers_in_order() {
    let s = scenario::load("bgp-cascade").expect("built-in").scenario;
    let withdraw = s
        .timeline
        .iter()
        .find_map(|e| match e {
            chaoswala::scenario::TimelineEntry::Fault { at_s, .. } => Some(*at_s),
            _ => None,
        })
        .expect("a withdrawal");
    let chaoswala::world::WorldSpec::Network(p) = &s.world else {
        panic!("a network")
    };
    let (m, q) = Network::new(p, s.seed).expect("valid");
    let mut w = Runtime::new(m, q);
    drive(&s, &mut w, 0.0, withdraw - 1.0);
    let ok_before = w.metrics()["completed"];
    let failed_before = w.metrics()["rejected"];
    assert!(
        ok_before > 0.0 && failed_before == 0.0,
        "all is well before"
    );
    // Within the DNS timeout every app fails, and says why.
    drive(&s, &mut w, withdraw - 1.0, withdraw + 5.0);
    let snap = w.snapshot();
    let words = |name: &str| {
        snap.units
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .extra
            .clone()
    };
    assert!(words("bgp").starts_with("DOWN"), "{}", words("bgp"));
    assert!(
        words("dns").starts_with("unreachable: depends on bgp"),
        "{}",
        words("dns")
    );
    for app in [
        "facebook",
        "whatsapp",
        "instagram",
        "oculus",
        "workplace",
        "badge-readers",
    ] {
        assert!(
            words(app).starts_with("unreachable: depends on dns"),
            "{app}: {}",
            words(app)
        );
    }
    let m = w.metrics();
    for app in [
        "facebook-users",
        "whatsapp-users",
        "instagram-users",
        "oculus-users",
        "workplace-users",
    ] {
        assert!(
            m[&format!("{app}.rejected")] > 0.0,
            "{app} sees failures within the DNS timeout"
        );
    }
    drive(&s, &mut w, withdraw + 5.0, s.duration_s);
    let model = w.model();
    let names = model.node_names();
    let back = |n: &str| {
        let i = names.iter().position(|x| *x == n).expect(n);
        assert_eq!(model.node_state(i), NodeState::Up, "{n} is up at the end");
        model
            .recovered_at(i)
            .unwrap_or_else(|| panic!("{n} came back"))
            .as_secs_f64()
    };
    let order = [
        "bgp",
        "dns",
        "facebook",
        "instagram",
        "whatsapp",
        "workplace",
        "oculus",
    ];
    let times: Vec<f64> = order.iter().map(|n| back(n)).collect();
    println!("{order:?} back at {times:?}");
    for k in 1..order.len() {
        assert!(
            times[k] > times[k - 1],
            "{} before {}: {times:?}",
            order[k - 1],
            order[k]
        );
    }
    // The engineers needed the badge readers: the repair took the long way.
    assert!(
        times[0] - withdraw > 3600.0,
        "without badges, repair takes over an hour"
    );
}

// ---- the dashboard's map -------------------------------------------------

#[cfg(feature = "tui")]
fn dashboard_at(name: &str, secs: u64, w: u16, h: u16) -> String {
    use chaoswala::tui::app::{App, Launch};
    use chaoswala::tui::keymap::Action;
    use chaoswala::tui::theme::Theme;
    let mut app = App::with_launch(Launch::builtin(name).unwrap(), Theme::colored()).unwrap();
    app.advance_to(SimTime::from_secs(secs));
    app.update(Action::TogglePause);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(&app, f.area())).unwrap();
    t.backend().to_string()
}

#[cfg(feature = "tui")]
#[test]
fn the_map_shows_every_node_by_layer_with_its_state_in_words() {
    // 12:00 in the BGP story: everything behind DNS is unreachable.
    let screen = dashboard_at("bgp-cascade", 1800, 140, 44);
    insta::assert_snapshot!("bgp-cascade_140x44", screen);
    assert!(screen.contains("unreachable: depends on dns"), "{screen}");
    assert!(screen.contains("DOWN"), "{screen}");
    // The western line: product-form rows named by their model.
    let screen = dashboard_at("western-line", 600, 140, 44);
    insta::assert_snapshot!("western-line_140x44", screen);
    assert!(screen.contains("Jackson product form"), "{screen}");
}

#[cfg(feature = "tui")]
#[test]
fn each_network_story_has_its_map_at_both_sizes() {
    // (built-in, a moment of its story: the fault or the repair under way)
    for (name, secs) in [
        ("western-line", 600),
        ("us-east-1", 2400),
        ("bgp-cascade", 1800),
    ] {
        for (w, h) in [(120, 40), (80, 24)] {
            let screen = dashboard_at(name, secs, w, h);
            insta::assert_snapshot!(format!("{name}_map_{w}x{h}"), screen);
        }
    }
    // Lines between the columns, told apart in words and markers.
    let bgp = dashboard_at("bgp-cascade", 1800, 120, 40);
    assert!(bgp.contains("┄┄◆ depends on"), "{bgp}");
    assert!(bgp.contains('◆') && bgp.contains('▶'), "{bgp}");
    let us = dashboard_at("us-east-1", 2400, 120, 40);
    assert!(us.contains("╌╌▷ calls"), "{us}");
    assert!(us.contains('▷'), "{us}");
    // Routing probabilities label their lines, feedback is told in words.
    let line = dashboard_at("western-line", 600, 120, 40);
    assert!(line.contains("0.85"), "{line}");
    assert!(line.contains("bandra → andheri 0.05"), "{line}");
}

#[cfg(feature = "tui")]
#[test]
fn nodes_no_traffic_reaches_sit_right_of_what_depends_on_them() {
    let s = scenario::builtin("bgp-cascade").unwrap();
    let s = scenario::parse(s.name, s.text).unwrap();
    let mut sim = s.simulation(Some(1), None).unwrap();
    sim.run_until(SimTime::from_secs(10)).unwrap();
    let map = sim.world().snapshot().network.unwrap();
    let layer = |n: &str| map.nodes.iter().find(|x| x.name == n).unwrap().layer;
    let last = map.nodes.iter().map(|n| n.layer).max().unwrap();
    assert_eq!(layer("facebook-users"), 0);
    assert_eq!(layer("facebook"), 1);
    assert_eq!(layer("dns"), 2, "DNS right of the apps that depend on it");
    assert_eq!(layer("bgp"), 3, "BGP right of DNS");
    assert_eq!(last, 3);
}

#[cfg(feature = "tui")]
#[test]
fn nothing_is_cut_at_120x40_through_every_network_story() {
    use chaoswala::tui::app::{App, Launch};
    use chaoswala::tui::keymap::Action;
    use chaoswala::tui::theme::Theme;
    // (built-in, the story's window in simulated seconds, step)
    let walks: &[(&str, u64, u64)] = &[
        ("western-line", 3600, 300),
        ("us-east-1", 7200, 300),
        ("bgp-cascade", 23_400, 900),
    ];
    let mut cut = Vec::new();
    for &(name, end, step) in walks {
        let mut app = App::with_launch(Launch::builtin(name).unwrap(), Theme::plain()).unwrap();
        app.update(Action::TogglePause);
        let mut t = 0;
        while t <= end {
            app.advance_to(SimTime::from_secs(t));
            let mut term =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
            term.draw(|f| f.render_widget(&app, f.area())).unwrap();
            let screen = term.backend().to_string();
            for line in screen.lines().filter(|l| l.contains('…')) {
                cut.push(format!("{name} at {}: {line}", app.clock(app.now())));
            }
            t += step;
        }
    }
    assert!(cut.is_empty(), "text cut with …:\n{}", cut.join("\n"));
}

#[test]
fn the_readme_network_example_is_complete_and_checks() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## Networks")
        .nth(1)
        .expect("a Networks section");
    let example = section
        .split("```ron\n")
        .nth(1)
        .and_then(|s| s.split("\n```").next())
        .expect("a RON example in it");
    let dir = std::env::temp_dir().join(format!("chaoswala-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shop.ron");
    std::fs::write(&path, example).unwrap();
    let out = crate::common::bin()
        .arg("check")
        .arg(&path)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Complete: it runs, and every kind of node and edge it names works.
    let s = scenario::parse("shop.ron", example).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&s, 1200.0, 0.0, 1);
    let m = &r.metrics;
    for k in [
        "users.arrivals",
        "lb.arrivals",
        "app-1.completed",
        "db.completed",
        "dns.arrivals",
        "archive.arrivals",
    ] {
        assert!(m.contains_key(k), "{k} missing: {m:?}");
    }
    assert!(m["db.completed"] > 0.0 && m["goodput_per_s"] > 0.0, "{m:?}");
    assert!(m["archive.arrivals"] > 0.0, "the sink is reached: {m:?}");
    std::fs::remove_dir_all(&dir).ok();
}
