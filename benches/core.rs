//! Throughput of the simulation core, in events per second on one core:
//!
//! 1. M/M/4/20 (λ = 3.6, μ = 1) wired directly from the blocks on an
//!    `Engine` — the model `benches/simpy_mm4_20.py` runs in SimPy —, once
//!    from a server pool and a finite queue, once from one `Station`;
//! 2. the same M/M/4/20 as the platform world, through `Simulation`;
//! 3. the episode's platform (λ = 200/min, μ = 250/min, K = 500);
//! 4. the same M/M/4/20 on a bare `std::collections::BinaryHeap`, no
//!    blocks, no world: the floor the others are measured against.
//!
//! `cargo bench --bench core` prints the median of 7 runs of each, the
//! ratio of the platform world's M/M/4/20 to the bare heap's, and
//! the cost of one exponential draw both ways (rand_distr's ziggurat
//! `Exp1`, used by the core, against the inverse transform −ln(1 − U)).
//! An event is an arrival or a departure (the sampler's ticks of the
//! platform world are counted too, as the engine does). `-- blocks`,
//! `-- station`, `-- bare`, `-- platform`, `-- episode` or `-- exp` runs
//! those parts alone.
// A benchmark that cannot set itself up has nothing to measure: it stops
// with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chaoswala::scenario::{Scenario, WorldSpec};
use chaoswala::sim::Engine;
use chaoswala::sim::SimTime;
use chaoswala::sim::blocks::queue::{Discipline, FiniteQueue};
use chaoswala::sim::blocks::servers::{ServerPool, ServiceDist, ServiceTime, Start};
use chaoswala::sim::blocks::source::{RateProfile, Source};
use chaoswala::sim::blocks::station::{Arrive, Finished, Pulled, ServiceModel, Station};
use chaoswala::sim::blocks::stats::{BlockStats, Reject};
use chaoswala::world::platform::PlatformParams;

const RUNS: usize = 7;

#[derive(Clone, Copy)]
enum Ev {
    Arrival,
    Done { server: u32, token: u32 },
}

/// M/M/c/K from blocks; returns (events, arrivals, blocking probability).
fn mmck_blocks(
    c: usize,
    k: usize,
    lambda: f64,
    mu: f64,
    horizon_s: f64,
    seed: u64,
) -> (u64, u64, f64) {
    let mut engine: Engine<Ev> = Engine::new();
    let mut source = Source::new(RateProfile::constant(lambda), seed, "bench/arrivals");
    let service = ServiceTime::new(ServiceDist::Exponential, 1.0 / mu).expect("valid");
    let mut pool: ServerPool<SimTime> = ServerPool::new(c, service, seed, "bench");
    let mut queue: FiniteQueue<SimTime> = FiniteQueue::new(k - c, Discipline::Fifo);
    let mut stats = BlockStats::new(SimTime::ZERO);
    if let Some(t) = source.start(SimTime::ZERO) {
        engine.schedule(t, Ev::Arrival);
    }
    let horizon = SimTime::from_secs_f64(horizon_s);
    while let Some(ev) = engine.pop_until(horizon) {
        let now = engine.now();
        match ev {
            Ev::Arrival => {
                let (_, next) = source.arrive(now);
                if let Some(t) = next {
                    engine.schedule(t, Ev::Arrival);
                }
                match pool.start(now, now) {
                    Start::Started(s) => {
                        stats.arrive(now, 1);
                        stats.record_wait(SimTime::ZERO);
                        engine.schedule(
                            s.at,
                            Ev::Done {
                                server: s.server as u32,
                                token: s.token,
                            },
                        );
                    }
                    Start::Refused(a) | Start::Hang(a) => {
                        if queue.push(a, 0).is_ok() {
                            stats.arrive(now, 1);
                        } else {
                            stats.reject_arrival(1, Reject::Full);
                        }
                    }
                }
            }
            Ev::Done { server, token } => {
                if let Some((arrived, _)) = pool.finish(now, server as usize, token) {
                    stats.complete(now, now - arrived);
                }
                if let Some((a, _)) = queue.pop()
                    && let Start::Started(s) = pool.start(now, a)
                {
                    stats.record_wait(now - a);
                    engine.schedule(
                        s.at,
                        Ev::Done {
                            server: s.server as u32,
                            token: s.token,
                        },
                    );
                }
            }
        }
    }
    assert!(stats.conserved());
    (
        engine.processed(),
        stats.arrivals(),
        stats.blocking_probability(),
    )
}

/// M/M/c/K from one station (k slots, room for K in all); returns
/// (events, arrivals, blocking probability).
fn mmck_station(
    c: usize,
    k: usize,
    lambda: f64,
    mu: f64,
    horizon_s: f64,
    seed: u64,
) -> (u64, u64, f64) {
    let mut engine: Engine<Ev> = Engine::new();
    let mut source = Source::new(RateProfile::constant(lambda), seed, "bench/arrivals");
    let service = ServiceTime::new(ServiceDist::Exponential, 1.0 / mu).expect("valid");
    let mut station: Station<()> = Station::new(
        c,
        k,
        Discipline::Fifo,
        ServiceModel::Fixed(service),
        seed,
        "bench",
    )
    .without_ewma();
    let mut stats = BlockStats::new(SimTime::ZERO);
    if let Some(t) = source.start(SimTime::ZERO) {
        engine.schedule(t, Ev::Arrival);
    }
    let horizon = SimTime::from_secs_f64(horizon_s);
    while let Some(ev) = engine.pop_until(horizon) {
        let now = engine.now();
        match ev {
            Ev::Arrival => {
                let (_, next) = source.arrive(now);
                if let Some(t) = next {
                    engine.schedule(t, Ev::Arrival);
                }
                match station.arrive(now, (), 0) {
                    Arrive::Admitted(b) => {
                        stats.arrive(now, 1);
                        stats.record_wait(SimTime::ZERO);
                        engine.schedule(
                            b.at,
                            Ev::Done {
                                server: b.slot as u32,
                                token: b.token,
                            },
                        );
                    }
                    Arrive::Queued | Arrive::Hung(()) => stats.arrive(now, 1),
                    Arrive::Rejected((), why) => stats.reject_arrival(1, why),
                }
            }
            Ev::Done { server, token } => {
                if let Some(Finished { response, next, .. }) =
                    station.finish(now, server as usize, token)
                {
                    stats.complete(now, response);
                    if let Some(Pulled::Started(b)) = next {
                        stats.record_wait(b.waited);
                        engine.schedule(
                            b.at,
                            Ev::Done {
                                server: b.slot as u32,
                                token: b.token,
                            },
                        );
                    }
                }
            }
        }
    }
    assert!(stats.conserved());
    (
        engine.processed(),
        stats.arrivals(),
        stats.blocking_probability(),
    )
}

/// M/M/c/K on a bare std `BinaryHeap` (min-heap by `Reverse`, ties by
/// insertion), a FIFO `VecDeque`, one random stream and counters: no
/// blocks, no world. Returns (events, arrivals, blocking probability).
fn mmck_bare_heap(
    c: usize,
    k: usize,
    lambda: f64,
    mu: f64,
    horizon_s: f64,
    seed: u64,
) -> (u64, u64, f64) {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, VecDeque};
    let mut rng = chaoswala::sim::rng::stream(seed, "bench/bare");
    let mut draw =
        |rate: f64| SimTime::from_secs_f64(chaoswala::sim::blocks::exp1(&mut rng) / rate).0;
    // (instant, insertion number, is an arrival)
    let mut heap: BinaryHeap<Reverse<(u64, u64, bool)>> = BinaryHeap::new();
    let mut seq = 0u64;
    heap.push(Reverse((draw(lambda), seq, true)));
    let horizon = SimTime::from_secs_f64(horizon_s).0;
    let mut queue: VecDeque<u64> = VecDeque::with_capacity(k);
    let (mut busy, mut events, mut arrivals, mut rejected, mut completed) =
        (0usize, 0u64, 0u64, 0u64, 0u64);
    let mut wait_us = 0u64;
    while let Some(&Reverse((t, _, arrival))) = heap.peek() {
        if t > horizon {
            break;
        }
        heap.pop();
        events += 1;
        if arrival {
            arrivals += 1;
            seq += 1;
            heap.push(Reverse((t + draw(lambda), seq, true)));
            if busy < c {
                busy += 1;
                seq += 1;
                heap.push(Reverse((t + draw(mu), seq, false)));
            } else if busy + queue.len() < k {
                queue.push_back(t);
            } else {
                rejected += 1;
            }
        } else {
            completed += 1;
            if let Some(a) = queue.pop_front() {
                wait_us += t - a;
                seq += 1;
                heap.push(Reverse((t + draw(mu), seq, false)));
            } else {
                busy -= 1;
            }
        }
    }
    std::hint::black_box((completed, wait_us));
    (events, arrivals, rejected as f64 / arrivals as f64)
}

fn platform(p: PlatformParams, horizon_s: f64, seed: u64) -> (u64, f64) {
    let s = Scenario {
        name: "bench".into(),
        title: "bench".into(),
        description: String::new(),
        seed,
        duration_s: horizon_s,
        warmup_s: 0.0,
        clock_start: None,
        speed: 1.0,
        policy: None,
        world: WorldSpec::Platform(p),
        timeline: Vec::new(),
        recording: None,
    };
    let mut sim = s.simulation(None, None).expect("valid");
    sim.run_until(SimTime::from_secs_f64(horizon_s))
        .expect("deadline ahead");
    let w = sim.world();
    (w.events_processed(), w.metrics()["blocking_probability"])
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Runs `f` RUNS times, prints the figures and returns the median rate.
fn measure(label: &str, mut f: impl FnMut(u64) -> (u64, String)) -> f64 {
    let mut rates = Vec::new();
    let mut note = String::new();
    let mut events = 0;
    for r in 0..RUNS {
        let t = Instant::now();
        let (n, extra) = f(r as u64 + 1);
        let dt = t.elapsed().as_secs_f64();
        rates.push(n as f64 / dt);
        events = n;
        note = extra;
    }
    let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rates.iter().copied().fold(0.0, f64::max);
    let mid = median(rates);
    println!(
        "{label:<40} {:>7.2} M events/s  (median of {RUNS}; min {:.2}, max {:.2}; {events} events/run; {note})",
        mid / 1e6,
        lo / 1e6,
        hi / 1e6
    );
    mid
}

fn exp_draws() {
    use rand::Rng;
    use std::hint::black_box;
    let n = 20_000_000u32;
    let mut rng = chaoswala::sim::rng::stream(1, "bench/exp");
    let mut ns = |f: &mut dyn FnMut(&mut chaoswala::sim::rng::SimRng) -> f64| {
        let mut runs = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let mut acc = 0.0;
            for _ in 0..n {
                acc += f(&mut rng);
            }
            black_box(acc);
            runs.push(t.elapsed().as_secs_f64() * 1e9 / f64::from(n));
        }
        median(runs)
    };
    let zig = ns(&mut |r| chaoswala::sim::blocks::exp1(r));
    let inv = ns(&mut |r| -(1.0 - r.random::<f64>()).ln());
    println!(
        "one Exp(1) draw: ziggurat (rand_distr Exp1) {zig:.2} ns, inverse transform {inv:.2} ns"
    );
}

fn main() {
    // Skip the work when invoked by `cargo test --benches`.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    // `-- blocks`, `-- station`, `-- bare`, `-- platform`, `-- episode` or
    // `-- exp` runs those parts alone (e.g. under perf or callgrind); the
    // ratio needs both `bare` and `platform`.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |part: &str| only.is_empty() || only.iter().any(|a| a == part);
    if wants("exp") {
        exp_draws();
    }
    let horizon = 1_000_000.0; // ≈ 3.6 M arrivals, 7 M events
    if wants("blocks") {
        measure("M/M/4/20 from blocks (engine)", |seed| {
            let (n, a, b) = mmck_blocks(4, 20, 3.6, 1.0, horizon, seed);
            (n, format!("{a} arrivals, P(block) {b:.5}"))
        });
    }
    if wants("station") {
        measure("M/M/4/20 from a station (engine)", |seed| {
            let (n, a, b) = mmck_station(4, 20, 3.6, 1.0, horizon, seed);
            (n, format!("{a} arrivals, P(block) {b:.5}"))
        });
    }
    let bare = wants("bare").then(|| {
        measure("M/M/4/20 on a bare BinaryHeap", |seed| {
            let (n, a, b) = mmck_bare_heap(4, 20, 3.6, 1.0, horizon, seed);
            (n, format!("{a} arrivals, P(block) {b:.5}"))
        })
    });
    let world = wants("platform").then(|| {
        measure("M/M/4/20 as the platform world", |seed| {
            let p = PlatformParams {
                arrival_rate_per_min: 216.0,
                service_rate_per_min: 60.0,
                servers: 4,
                capacity: 20,
                ..PlatformParams::default()
            };
            let (n, b) = platform(p, horizon, seed);
            (n, format!("P(block) {b:.5}"))
        })
    });
    if let (Some(bare), Some(world)) = (bare, world) {
        println!(
            "M/M/4/20: the platform world runs at {:.2}× the bare heap's events/s",
            world / bare
        );
    }
    if wants("episode") {
        measure("platform (λ 200/min, μ 250/min, K 500)", |seed| {
            let (n, b) = platform(PlatformParams::default(), horizon, seed);
            (n, format!("P(block) {b:.2e}"))
        });
    }
}
