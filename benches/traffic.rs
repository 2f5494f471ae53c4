//! Throughput of the BKC traffic world: the shipped scenario, run headless
//! a few times per policy; prints the median wall time and events/s.
//!
//! `cargo bench --bench traffic`
// A benchmark that cannot set itself up has nothing to measure: it stops
// with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chaoswala::scenario;
use chaoswala::sim::SimTime;

const RUNS: usize = 7;

fn main() {
    let loaded = match scenario::load("bkc-traffic") {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let s = loaded.scenario;
    let horizon = SimTime::from_secs_f64(s.duration_s);
    println!(
        "bkc-traffic: {} s simulated, median of {RUNS} runs",
        s.duration_s
    );
    for policy in [
        "naive",
        "round-robin",
        "weighted-random",
        "least-time",
        "marginal-cost",
    ] {
        let mut walls = Vec::with_capacity(RUNS);
        let mut events = 0;
        for _ in 0..RUNS {
            let mut sim = match s.simulation(None, Some(policy)) {
                Ok(sim) => sim,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
            let started = Instant::now();
            sim.run_until(horizon).expect("deadline ahead");
            let m = std::hint::black_box(sim.world().metrics());
            walls.push(started.elapsed().as_secs_f64());
            events = sim.world().events_processed();
            let _ = m;
        }
        walls.sort_by(f64::total_cmp);
        let median = walls[RUNS / 2];
        println!(
            "{policy:<16} {events:>8} events  {:>8.2} ms  {:>6.2} M events/s",
            median * 1e3,
            events as f64 / median / 1e6
        );
    }
}
