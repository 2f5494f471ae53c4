//! Analytic oracles: the platform world, run through the same path as
//! `chaoswala run` (a `Scenario`, `--set` overrides, `report::run` with
//! replications and a warm-up), must agree with queueing theory's closed
//! forms: within 2 % relative, or inside the 95 % interval over
//! replications — and the interval must be tight enough (5 %) for that to
//! mean something. Seeds are fixed, so the outcome is reproducible.

use chaoswala::analytic;
use chaoswala::report::{self, Report, RunOptions};
use chaoswala::scenario;

/// Runs the built-in platform scenario with `sets`.
fn run(sets: &[&str], duration_s: f64, warmup_s: f64, replications: u32) -> Report {
    let mut s = scenario::load("platform").expect("built-in").scenario;
    // The oracle is about the queue alone: no story on the timeline.
    s.timeline.clear();
    let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
    s.apply_sets(&sets).expect("valid overrides");
    report::run(
        &s,
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

fn agree(r: &Report, key: &str, exact: f64) {
    let sim = r.metrics[key];
    let ci = r.metrics_ci95.as_ref().expect("replications > 1")[key];
    let err = (sim - exact).abs();
    println!(
        "{key}: simulated {sim:.6} ± {ci:.6}, closed form {exact:.6}, rel. error {:.3} %",
        100.0 * err / exact
    );
    assert!(
        ci < 0.05 * exact,
        "{key}: the 95 % interval ±{ci} is too wide to test anything"
    );
    assert!(
        err <= (0.02 * exact).max(ci),
        "{key}: simulated {sim} ± {ci} vs closed form {exact}"
    );
    // The world reports the same closed form.
    if let Some(a) = r.analytic.get(key) {
        let a = a.value;
        assert!(
            (a - exact).abs() <= 1e-9 * exact.abs().max(1.0),
            "{key}: {a} vs {exact}"
        );
    }
}

fn little(r: &Report) {
    let l = r.metrics["mean_in_system"];
    let lw = r.metrics["throughput_per_s"] * r.metrics["mean_response_s"];
    println!("Little: L = {l:.5}, λ_eff W = {lw:.5}");
    assert!((l - lw).abs() < 0.01 * l, "Little's law: L {l} vs λW {lw}");
}

#[test]
fn mm1k_lambda_0_9_mu_1_k_10() {
    // λ = 0.9/s = 54/min, μ = 1/s = 60/min.
    let r = run(
        &[
            "arrival_rate_per_min=54",
            "service_rate_per_min=60",
            "servers=1",
            "capacity=10",
            "service=Exponential",
        ],
        400_000.0,
        1_000.0,
        8,
    );
    let f = analytic::mm1k(0.9, 1.0, 10);
    let rho: f64 = 0.9;
    let pk = (1.0 - rho) * rho.powi(10) / (1.0 - rho.powi(11));
    assert!((f.blocking_probability - pk).abs() < 1e-12);
    agree(&r, "blocking_probability", pk);
    agree(&r, "mean_in_system", f.mean_in_system);
    agree(&r, "mean_response_s", f.mean_response_s);
    agree(&r, "utilisation", f.utilisation);
    little(&r);
    // The law is linear, so it holds for the means over replications too.
    crate::common::assert_conserved(&r.metrics, "M/M/1/10 (means)");
}

#[test]
fn mm4_20_lambda_3_6_mu_1() {
    let r = run(
        &[
            "arrival_rate_per_min=216",
            "service_rate_per_min=60",
            "servers=4",
            "capacity=20",
        ],
        150_000.0,
        1_000.0,
        8,
    );
    let f = analytic::mmck(3.6, 1.0, 4, 20);
    agree(&r, "blocking_probability", f.blocking_probability);
    agree(&r, "mean_in_system", f.mean_in_system);
    agree(&r, "mean_wait_s", f.mean_wait_s);
    agree(&r, "utilisation", f.utilisation);
    little(&r);
}

#[test]
fn erlang_b_ten_servers_offered_load_8() {
    // M/M/10/10: λ = 8/s, μ = 1/s, no waiting room.
    let r = run(
        &[
            "arrival_rate_per_min=480",
            "service_rate_per_min=60",
            "servers=10",
            "capacity=10",
        ],
        40_000.0,
        200.0,
        8,
    );
    let b = analytic::erlang_b(10, 8.0);
    assert!((b - 0.121_661).abs() < 1e-5);
    agree(&r, "blocking_probability", b);
    // Carried load: L = a (1 − B).
    agree(&r, "mean_in_system", 8.0 * (1.0 - b));
    assert_eq!(
        r.metrics["mean_wait_s"], 0.0,
        "nobody waits in a loss system"
    );
    little(&r);
}

#[test]
fn the_episode_platform_is_m_m_1_with_w_1_2_s() {
    // λ = 200/min, μ = 250/min, K = 500: W = 1/(μ − λ) = 1.2 s, L = 4.
    let r = run(&[], 50_000.0, 500.0, 6);
    agree(&r, "mean_response_s", 1.2);
    agree(&r, "mean_in_system", 4.0);
    little(&r);
}

#[test]
fn little_holds_without_a_closed_form() {
    // Lognormal boarding, trains: no product form, Little's law still holds.
    for sets in [
        &["service=Lognormal(cv: 2.0)", "arrival_rate_per_min=220"][..],
        &["service=Trains(headway_s: 180, train_capacity: 700)"][..],
    ] {
        let r = run(sets, 200_000.0, 1_000.0, 2);
        little(&r);
    }
}

#[test]
fn md1_and_erlang_match_pollaczek_khinchine() {
    // ρ = 0.8, K = 500 never fills: M/D/1 and M/E4/1 waits are P–K's.
    for (service, scv) in [("Deterministic", 0.0), ("Erlang(k: 4)", 0.25)] {
        let set = format!("service={service}");
        let r = run(&[set.as_str()], 50_000.0, 500.0, 6);
        let f = analytic::mg1(200.0 / 60.0, 250.0 / 60.0, scv).expect("stable");
        agree(&r, "mean_wait_s", f.mean_wait_s);
        agree(&r, "mean_in_system", f.mean_in_system);
    }
}
