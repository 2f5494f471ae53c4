//! A sweep on 1 core and on 2: the same plan run in rayon pools of one and
//! two threads, five times each; prints each time, the medians and their
//! ratio (the speed-up), and checks that both give the same rows.
//!
//! `cargo bench --bench sweep`
// A bench that cannot set up has nothing to measure: it says why and stops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chaoswala::scenario;
use chaoswala::sweep::{self, Axis, Request};

/// CPU seconds this process has used (user + system, from /proc; 0 where
/// there is no /proc): the cores a run actually got is CPU time ÷ wall time.
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let loaded = scenario::load("platform").expect("built-in");
    let mut base = loaded.scenario.clone();
    base.apply_sets(&["servers=4".into(), "capacity=40".into()])
        .expect("valid");
    let req = Request {
        vary: vec![Axis::parse("arrival_rate_per_min=400..960:40").expect("axis")],
        policies: vec!["all".into()],
        replications: 4,
        duration_s: Some(3600.0),
        ..Request::default()
    };
    let plan = sweep::plan("platform", &loaded.text, &base, &[], &req).expect("plan");
    println!(
        "sweep: platform, {} points × {} replications = {} runs of 3600 s",
        plan.rows(),
        plan.spec.replications,
        plan.runs()
    );
    let quiet = |_: u64, _: bool| {};
    let mut medians = Vec::new();
    let mut rows = Vec::new();
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let mut times = Vec::new();
        let cpu0 = cpu_s();
        for _ in 0..5 {
            let t = Instant::now();
            let s = pool.install(|| sweep::run(&plan, &quiet)).expect("runs");
            times.push(t.elapsed().as_secs_f64());
            rows.push(sweep::to_csv(&s));
        }
        let shown: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
        let cpu = cpu_s() - cpu0;
        let wall: f64 = times.iter().sum();
        let m = median(times);
        println!(
            "{threads} thread(s): {} s; median {m:.3} s; cores used (CPU time ÷ wall) {:.2}",
            shown.join(" "),
            cpu / wall
        );
        medians.push(m);
    }
    assert!(
        rows.windows(2).all(|w| w[0] == w[1]),
        "same rows on 1 and 2 threads"
    );
    println!(
        "speed-up on 2 threads: {:.2}× (median 1 thread / median 2 threads)",
        medians[0] / medians[1]
    );
}
