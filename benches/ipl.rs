//! The IPL final, simulated headless: 4 hours of the match night (7 PM to
//! 11 PM) at full size, both shipped scenarios. Prints the median wall
//! time of a few runs and events per second.
//!
//! `cargo bench --bench ipl` (set `IPL_BENCH_RUNS` to change the number of runs).
// A benchmark that cannot set itself up has nothing to measure: it stops
// with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chaoswala::scenario;
use chaoswala::sim::SimTime;

fn main() {
    let runs: usize = std::env::var("IPL_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3);
    for name in ["ipl-final", "ipl-final-playbook"] {
        let loaded = match scenario::load(name) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        let s = loaded.scenario;
        let mut walls = Vec::with_capacity(runs);
        let mut events = 0;
        let mut unique = 0.0;
        for _ in 0..runs {
            let mut sim = match s.simulation(None, None) {
                Ok(sim) => sim,
                Err(e) => {
                    eprintln!("{name}: {e}");
                    std::process::exit(2);
                }
            };
            let started = Instant::now();
            sim.run_until(SimTime::from_secs_f64(s.duration_s))
                .expect("deadline ahead");
            walls.push(started.elapsed().as_secs_f64());
            events = sim.world().events_processed();
            unique = sim.world().metrics()["orders_unique"];
        }
        walls.sort_by(f64::total_cmp);
        let median = walls[walls.len() / 2];
        println!(
            "{name:<20} {:.0} simulated h: median {median:.3} s wall over {runs} runs, \
             {events} events, {:.2} M events/s, {unique:.0} customers",
            s.duration_s / 3600.0,
            events as f64 / median / 1e6,
        );
    }
}
