//! The network world's speed: a one-station M/M/4/20 network against the
//! platform world on the same model (λ 3.6/s, μ 1/s, c 4, K 20), run in
//! turns so that both see the same machine, and a 50-node random open
//! network. Prints medians of several runs, and the median of the paired
//! runs' ratios; `cargo bench --bench network`.
//! `-- platform`, `-- network` or `-- random` runs only that part (to
//! profile one of them alone, e.g. under `perf record`).

// A benchmark's panic is its failure, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::time::Instant;

use chaoswala::scenario::{self, Scenario};
use chaoswala::sim::SimTime;

const RUNS: usize = 7;

fn scenario(world: &str) -> Scenario {
    let text =
        format!("Scenario(name: \"bench\", title: \"bench\", duration_s: 1000000, world: {world})");
    scenario::parse("bench", &text).expect("valid")
}

/// Events per second of one run of `s` for `horizon_s`, seeded.
fn rate(s: &Scenario, horizon_s: f64, seed: u64) -> (f64, u64, f64) {
    let mut sim = s.simulation(Some(seed), None).expect("builds");
    let t = Instant::now();
    sim.run_until(SimTime::from_secs_f64(horizon_s))
        .expect("ahead");
    let dt = t.elapsed().as_secs_f64();
    let n = sim.world().events_processed();
    let m = sim.world().metrics();
    let block = m
        .get("s.blocking_probability")
        .or_else(|| m.get("blocking_probability"))
        .copied()
        .unwrap_or(0.0);
    (n as f64 / dt, n, block)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// A random open network of `n` stations behind a source and a router.
fn random_network(n: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let mut nodes = vec![
        "Source(name: \"in\", rate_per_s: 20.0, to: [(to: \"lb\")])".to_string(),
        format!(
            "Router(name: \"lb\", policy: \"random\", to: [{}])",
            (0..8)
                .map(|i| format!("\"s{i}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ];
    for i in 0..n {
        let mut routes = String::new();
        for _ in 0..2 {
            let _ = write!(routes, "(to: \"s{}\", p: 0.3), ", next(n as u64));
        }
        nodes.push(format!(
            "Station(name: \"s{i}\", servers: {}, capacity: 200, service_rate_per_s: 20.0, routes: [{routes}])",
            1 + next(4)
        ));
    }
    format!("Network((nodes: [{}]))", nodes.join(", "))
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |part: &str| only.is_empty() || only.iter().any(|a| a == part);
    if wants("platform") != wants("network") {
        let (name, s) = if wants("platform") {
            ("platform world", scenario(PLATFORM))
        } else {
            ("one-station network", scenario(NETWORK))
        };
        let rates: Vec<f64> = (0..RUNS)
            .map(|r| rate(&s, HORIZON, r as u64 + 1).0)
            .collect();
        println!(
            "M/M/4/20 as the {name}: {:.2} M events/s (median of {RUNS})",
            median(rates) / 1e6
        );
    }
    if wants("platform") && wants("network") {
        side_by_side();
    }
    if wants("random") {
        random();
    }
}

const HORIZON: f64 = 500_000.0; // ≈ 1.8 M arrivals, 4 M events
const NETWORK: &str = "Network((nodes: [Source(name: \"in\", rate_per_s: 3.6, to: [(to: \"s\")]), \
     Station(name: \"s\", servers: 4, capacity: 20, service_rate_per_s: 1.0)]))";
const PLATFORM: &str =
    "Platform((arrival_rate_per_min: 216, service_rate_per_min: 60, servers: 4, capacity: 20))";

/// The two M/M/4/20 runs in turns, same seeds.
fn side_by_side() {
    let horizon = HORIZON;
    let net = scenario(NETWORK);
    let plat = scenario(PLATFORM);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut na, mut nb, mut pa, mut pb) = (0, 0, 0.0, 0.0);
    for r in 0..RUNS {
        let seed = r as u64 + 1;
        let (x, n, p) = rate(&plat, horizon, seed);
        b.push(x);
        (nb, pb) = (n, p);
        let (x, n, p) = rate(&net, horizon, seed);
        a.push(x);
        (na, pa) = (n, p);
    }
    // Each pair ran back to back on the same seed: their ratio is what
    // the machine's drift disturbs least.
    let mut ratios: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x / y).collect();
    ratios.sort_by(f64::total_cmp);
    let (lo, hi) = (ratios[0], ratios[ratios.len() - 1]);
    let paired = median(ratios);
    let (ma, mb) = (median(a), median(b));
    println!(
        "M/M/4/20 as the platform world       {:>6.2} M events/s  (median of {RUNS}; {nb} events/run; P(block) {pb:.5})",
        mb / 1e6
    );
    println!(
        "M/M/4/20 as a one-station network    {:>6.2} M events/s  (median of {RUNS}; {na} events/run; P(block) {pa:.5})",
        ma / 1e6
    );
    println!(
        "M/M/4/20: the network runs at {paired:.3}× the platform world's events/s \
         (median of {RUNS} paired runs' ratios, {lo:.3}–{hi:.3}; ratio of the medians {:.3}×)",
        ma / mb
    );
}

/// The 50-node random network.
fn random() {
    let big = scenario(&random_network(50));
    let mut rates = Vec::new();
    let mut events = 0;
    for r in 0..RUNS {
        let (x, n, _) = rate(&big, 20_000.0, r as u64 + 1);
        rates.push(x);
        events = n;
    }
    println!(
        "50-node random network                {:>6.2} M events/s  (median of {RUNS}; {events} events/run)",
        median(rates) / 1e6
    );
}
