//! One rule for closed forms: a value is reported with the name of the
//! model it comes from, or not at all. Each case here once printed a
//! number whose model did not apply (M/G/1 above K, M/M/1/K under the
//! `entrance` policy, the un-faulted utilisation under a slowdown, trains
//! that ignore the platform's capacity, static traffic flows above the
//! roads' capacity), and the closed forms that exist and were missing
//! (M/M/c/(K+E), the loss system M/G/c/c, trains with ample seats) are
//! checked against the simulation.

use chaoswala::analytic;
use chaoswala::report::{self, Report, RunOptions};
use chaoswala::scenario::{self, Scenario};

fn platform(sets: &[&str]) -> Scenario {
    let mut s = scenario::load("platform").expect("built-in").scenario;
    s.timeline.clear();
    let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
    s.apply_sets(&sets).expect("valid overrides");
    s
}

/// A platform scenario with a timeline (RON entries).
fn platform_with(world: &str, timeline: &str) -> Scenario {
    let text = format!(
        "Scenario(name: \"t\", title: \"t\", duration_s: 100, world: Platform(({world})), \
         timeline: [{timeline}])"
    );
    scenario::parse("test", &text).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario, policy: Option<&str>, duration: f64, warmup: f64, reps: u32) -> Report {
    report::run(
        s,
        &RunOptions {
            duration_s: Some(duration),
            warmup_s: Some(warmup),
            seed: Some(3),
            policy: policy.map(ToString::to_string),
            replications: reps,
            max_events: None,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The closed form of `key`, with its model containing `model`.
fn closed(r: &Report, key: &str, model: &str) -> f64 {
    let v = r
        .analytic
        .get(key)
        .unwrap_or_else(|| panic!("no closed form for {key}: {:?}", r.no_closed_form));
    assert!(
        v.model.contains(model),
        "{key}: model `{}`, expected `{model}`",
        v.model
    );
    v.value
}

/// Simulated within 2 % or inside its 95 % interval.
fn agrees(r: &Report, key: &str, exact: f64) {
    let sim = r.metrics[key];
    let ci = r.metrics_ci95.as_ref().map_or(0.0, |c| c[key]);
    println!("{key}: simulated {sim:.5} ± {ci:.5}, closed form {exact:.5}");
    assert!(
        (sim - exact).abs() <= (0.02 * exact.abs()).max(ci),
        "{key}: simulated {sim} ± {ci} vs closed form {exact}"
    );
}

fn absent(r: &Report, because: &str) {
    assert!(
        r.analytic.is_empty(),
        "closed forms printed where none applies: {:?}",
        r.analytic
    );
    assert!(
        r.no_closed_form.iter().any(|w| w.contains(because)),
        "reason {:?} does not say `{because}`",
        r.no_closed_form
    );
}

#[test]
fn a_heavy_tailed_law_that_fills_the_platform_gets_no_mg1() {
    // M/G/1 would say L = 162.4 for a platform that holds 110.
    let s = platform(&[
        "arrival_rate_per_min=48",
        "service_rate_per_min=60",
        "capacity=110",
        "service=Lognormal(cv: 10)",
    ]);
    let r = run(&s, None, 50.0, 0.0, 1);
    absent(&r, "fill the platform");
    // The same law on a platform a hundred times bigger than L keeps it.
    let s = platform(&[
        "arrival_rate_per_min=48",
        "service_rate_per_min=60",
        "capacity=20000",
        "service=Lognormal(cv: 10)",
    ]);
    let r = run(&s, None, 50.0, 0.0, 1);
    let l = closed(&r, "mean_in_system", "M/G/1");
    assert!((l - 162.4).abs() < 0.1, "{l}");
}

#[test]
fn the_entrance_policy_is_one_queue_of_k_plus_e() {
    // Overloaded (ρ = 1.2): the entrance fills too, so it matters.
    let s = platform(&[
        "arrival_rate_per_min=300",
        "service_rate_per_min=250",
        "capacity=20",
        "entrance_capacity=30",
    ]);
    let r = run(&s, Some("entrance"), 4_000.0, 200.0, 4);
    let f = analytic::mmck(5.0, 250.0 / 60.0, 1, 50);
    let b = closed(
        &r,
        "blocking_probability",
        "M/M/1/50 (platform 20 + entrance 30)",
    );
    assert!((b - f.blocking_probability).abs() < 1e-12);
    agrees(&r, "blocking_probability", f.blocking_probability);
    agrees(&r, "mean_in_system", f.mean_in_system);
    // The M/M/1/20 the report used to print is far off.
    let old = analytic::mm1k(5.0, 250.0 / 60.0, 20);
    assert!((r.metrics["mean_in_system"] - old.mean_in_system).abs() > 10.0);
}

#[test]
fn a_fault_over_the_whole_window_gives_the_faulted_closed_form() {
    let world = "arrival_rate_per_min: 100, service_rate_per_min: 250, servers: 1, capacity: 500";
    let s = platform_with(
        world,
        "Fault(at_s: 0, fault: (kind: Slowdown(factor: 0.5), target: \"all\"))",
    );
    let r = run(&s, None, 20_000.0, 0.0, 1);
    // ρ = 100 / (250 × 0.5) = 0.8, not the un-faulted 0.4.
    let u = closed(&r, "utilisation", "M/M/1/500 under the faults in force");
    assert!((u - 0.8).abs() < 1e-9, "{u}");
    agrees(&r, "utilisation", 0.8);
    // A fault for part of the measured window: no steady state, no number.
    let s = platform_with(
        world,
        "Fault(at_s: 100, fault: (kind: Slowdown(factor: 0.5), target: \"all\", duration_s: Some(100)))",
    );
    let r = run(&s, None, 1_000.0, 0.0, 1);
    absent(&r, "changed during the measured window");
    // Measured after it ended (a warm-up past it): the closed form is back.
    let r = run(&s, None, 1_000.0, 300.0, 1);
    let u = closed(&r, "utilisation", "M/M/1/500");
    assert!((u - 0.4).abs() < 1e-9);
    // A latency fault changes the service law: nothing to print.
    let s = platform_with(
        world,
        "Fault(at_s: 0, fault: (kind: Latency(ms: 100, jitter_ms: 0), target: \"all\"))",
    );
    absent(&run(&s, None, 100.0, 0.0, 1), "latency");
}

#[test]
fn trains_with_ample_seats_fill_what_the_platform_holds() {
    // A 500-person platform meets 700-seat trains every 180 s at 200/min:
    // the trains carry about 500, not the 600 the offered load says.
    let s = platform(&[
        "capacity=500",
        "service=Trains(headway_s: 180, train_capacity: 700)",
    ]);
    // (Blocking is 1 − 500/N: the noise of N is amplified six times, so
    // replications give the interval.)
    let r = run(&s, Some("leave"), 18_000.0, 0.0, 6);
    let u = closed(&r, "utilisation", "trains with ample seats");
    assert!((u - 500.0 / 700.0).abs() < 0.01, "{u}");
    agrees(&r, "utilisation", u);
    agrees(
        &r,
        "blocking_probability",
        closed(&r, "blocking_probability", "ample seats"),
    );
    agrees(&r, "mean_wait_s", closed(&r, "mean_wait_s", "ample seats"));
    // Fewer seats than the platform holds: bulk service, no closed form.
    let s = platform(&[
        "capacity=500",
        "service=Trains(headway_s: 180, train_capacity: 400)",
    ]);
    absent(&run(&s, Some("leave"), 100.0, 0.0, 1), "bulk service");
}

#[test]
fn a_loss_system_blocks_as_erlang_b_whatever_the_service_law() {
    // c = K = 5 at offered load 4: B(5, 4) = 0.1991, for a lognormal
    // boarding time as much as for an exponential one (insensitivity).
    let s = platform(&[
        "arrival_rate_per_min=240",
        "service_rate_per_min=60",
        "servers=5",
        "capacity=5",
        "service=Lognormal(cv: 2)",
    ]);
    let r = run(&s, None, 3_000.0, 100.0, 4);
    let b = closed(&r, "blocking_probability", "M/G/5/5 (Erlang B");
    assert!((b - analytic::erlang_b(5, 4.0)).abs() < 1e-12);
    agrees(&r, "blocking_probability", b);
    agrees(
        &r,
        "mean_in_system",
        closed(&r, "mean_in_system", "Erlang B"),
    );
    // With room to queue and several servers there is no closed form.
    let s = platform(&["servers=5", "capacity=50", "service=Lognormal(cv: 2)"]);
    absent(&run(&s, None, 100.0, 0.0, 1), "M/G/c/K has no closed form");
}

#[test]
fn static_traffic_flows_are_not_printed_above_the_roads_capacity() {
    // The 9 AM peak: 3 000 cars/h into roads that carry 2 400.
    let mut s = scenario::load("bkc-traffic").expect("built-in").scenario;
    s.timeline.clear();
    let r = run(&s, Some("least-time"), 600.0, 0.0, 1);
    assert!(
        !r.analytic.keys().any(|k| k.starts_with("flow_per_h_")),
        "{:?}",
        r.analytic
    );
    assert!(
        r.no_closed_form
            .iter()
            .any(|w| w.contains("the static model does not apply")),
        "{:?}",
        r.no_closed_form
    );
    // Below capacity the Wardrop equilibrium is there, named.
    s.apply_sets(&["demand_per_h=1800".to_string()])
        .expect("valid");
    let r = run(&s, Some("least-time"), 600.0, 0.0, 1);
    closed(
        &r,
        "flow_per_h_weh",
        "user equilibrium (Wardrop) at 1800 cars/h",
    );
}

#[test]
fn every_closed_form_of_every_builtin_names_its_model() {
    for b in chaoswala::world::BUILTINS {
        let s = scenario::load(b.name).expect("built-in").scenario;
        let sim = s.simulation(Some(1), None).expect("builds");
        let cf = sim.world().analytic();
        for (k, v) in cf.values() {
            assert!(!v.model.is_empty(), "{}: {k} has no model", b.name);
        }
    }
}
