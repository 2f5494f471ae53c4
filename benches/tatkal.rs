//! The full Tatkal rush, headless: 12 million users through the 2024
//! waiting room (`tatkal`) and through the 2023 thundering herd
//! (`tatkal-2023`). Prints users per second, wall time and peak memory
//! (VmHWM). `cargo bench --bench tatkal [-- NAME…] [--set KEY=VALUE…]`.
// A benchmark that cannot set itself up has nothing to measure: it stops
// with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chaoswala::report::{self, RunOptions};
use chaoswala::scenario;

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let mut names = Vec::new();
    let mut sets = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--set" => sets.extend(args.next()),
            "--bench" => {}
            _ if a.starts_with("--") => {}
            _ => names.push(a),
        }
    }
    if names.is_empty() {
        names = vec!["tatkal".to_string(), "tatkal-2023".to_string()];
    }
    for name in names {
        let mut s = match scenario::load(&name) {
            Ok(l) => l.scenario,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        if let Err(e) = s.apply_sets(&sets) {
            eprintln!("{e}");
            std::process::exit(2);
        }
        let started = Instant::now();
        let r = match report::run(&s, &RunOptions::default()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{name}: {e}");
                std::process::exit(1);
            }
        };
        let wall = started.elapsed().as_secs_f64();
        let m = &r.metrics;
        let users = m["users"];
        println!(
            "{name}: {:.0} users, {} events in {wall:.2} s wall: {:.2} M users/s, {:.2} M events/s; peak memory (VmHWM, whole process so far) {}",
            users,
            r.events_processed,
            users / wall / 1e6,
            r.events_processed as f64 / wall / 1e6,
            peak_rss_mib().map_or_else(|| "n/a".to_string(), |m| format!("{m:.0} MiB")),
        );
        println!(
            "  success {:.2} %, median {:.0} s / p95 {:.0} s to book, booked {:.0} (bots {:.0}), sold out {:.0}, abandoned {:.0}, retries {:.0}, duplicates {:.0}, crashes {:.0}, median ETA error {:.1} s",
            m["success_rate"] * 100.0,
            m["median_time_to_book_s"],
            m["p95_time_to_book_s"],
            m["booked"],
            m["bots_booked"],
            m["sold_out"],
            m["abandoned"],
            m["retries"],
            m["duplicates"],
            m["engine_crashes"],
            m["median_eta_error_s"],
        );
    }
}
