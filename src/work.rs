//! How much a run will cost, estimated from its parameters before it
//! starts, and the caps that bound it.
//!
//! A scenario's sizes are capped by validation, but sizes are not work: a
//! platform at 10⁸ arrivals a minute or 50 million Tatkal users pass every
//! size check and then run for minutes or take gigabytes. So a headless run
//! first estimates its events (over all replications) and the memory its
//! replications hold at once, and refuses what passes [`MAX_EVENTS`] or
//! [`MAX_MEMORY_BYTES`] with both figures in the message; the dashboard
//! checks memory (it runs as long as it is watched). While it runs, each
//! replication is stopped if it passes its share of the event cap (the
//! estimate can be wrong), so no input runs unbounded. A sweep or an
//! experiment is checked as a whole before any run starts
//! ([`check_batch`]): every run's events added up, and the heaviest run's
//! memory as many times as the threads run side by side.
//!
//! The estimates are per world (each world's `WorldParams::work`), from
//! the entities the parameters imply and the events and bytes each costs,
//! measured on the built-ins (seed 42):
//!
//! | world | events | memory |
//! |---|---|---|
//! | platform | 2.2 per arrival (arrive, board, with room for chance) + 1 per sample + 2 per train | 4 MB + 16 B per place on the platform and at the entrance |
//! | bkc-traffic | 6 per car (at the schedule's peak) + 1 per sample | 4 MB + 64 B per car (every car could be on the road at once) |
//! | tatkal | 8 per user with the waiting room (measured 1.5–5.8), 32 without (measured 18–21) | 8 MB + 32 B per user with the room (measured 29), 80 B without (76) |
//! | ipl-final | 3 M per hour × volume (measured 2.3 M at volume 1 and 0.1) + 10 000 per hour | 8 MB + 40 MB × volume (measured 36 MB) |
//!
//! Simulated time itself is not capped beyond the clock's range: a light
//! model over a year is cheap, and the event cap bounds the rest.

use crate::world::WorldSpec;

/// The most events a headless run may process, over all its replications
/// (about a minute of the heaviest world on one core). `--max-events`
/// raises or lowers it.
pub const MAX_EVENTS: u64 = 2_000_000_000;

/// The most memory a run's replications may be estimated to hold at once.
pub const MAX_MEMORY_BYTES: f64 = 2.0 * 1024.0 * 1024.0 * 1024.0;

/// An estimate of one replication's cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Work {
    /// Events over the run's simulated span.
    pub events: f64,
    /// Bytes held at the peak.
    pub bytes: f64,
}

/// A mebibyte, for the worlds' estimates.
pub const MB: f64 = 1024.0 * 1024.0;

/// What one replication of `world` over `duration_s` is expected to cost
/// (each world's [`WorldParams::work`](crate::world::WorldParams::work)).
#[must_use]
pub fn estimate(world: &WorldSpec, duration_s: f64) -> Work {
    world.work(duration_s)
}

/// [`estimate`] for a whole scenario: the world's estimate, with its events
/// scaled by the largest arrival-rate factor the timeline reaches.
#[must_use]
pub fn estimate_scenario(s: &crate::scenario::Scenario, duration_s: f64) -> Work {
    let mut w = estimate(&s.world, duration_s);
    let mut entries: Vec<(f64, f64)> = s
        .timeline
        .iter()
        .filter_map(|e| match e {
            crate::scenario::TimelineEntry::ScaleArrivals { at_s, factor } => {
                Some((*at_s, *factor))
            }
            _ => None,
        })
        .collect();
    entries.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut now, mut peak) = (1.0f64, 1.0f64);
    for (_, f) in entries {
        now *= f.max(0.0);
        peak = peak.max(now);
    }
    w.events *= peak;
    w
}

/// Why a run was refused or stopped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum WorkError {
    #[error(
        "this run would process about {} events{}; the cap is {} (raise it with \
         --max-events, or shorten the run, lower the rate or the scale)",
        millions(*total), each(*replications, &millions(*per)), millions(*cap as f64)
    )]
    Events {
        total: f64,
        per: f64,
        replications: u32,
        cap: u64,
    },
    #[error(
        "this run would hold about {} in memory{}; the cap is {} (lower the scale or the \
         number of users)",
        bytes(*total), each(*at_once, &bytes(*per)), bytes(MAX_MEMORY_BYTES)
    )]
    Memory { total: f64, per: f64, at_once: u32 },
    #[error(
        "this {what} would process about {} events over its {runs} runs (the heaviest about \
         {} each); the cap is {} (raise it with --max-events, or run {}, or shorter runs \
         with --duration)",
        millions(*total), millions(*heaviest), millions(*cap as f64), what.fewer()
    )]
    Batch {
        what: Batch,
        total: f64,
        heaviest: f64,
        runs: u64,
        cap: u64,
    },
    #[error(
        "this {what} would hold about {} in memory ({}); the cap is {} (lower the scale or \
         the number of users{})",
        bytes(*total), side_by_side(*at_once, &bytes(*per)), bytes(MAX_MEMORY_BYTES),
        if *at_once > 1 { ", or run fewer at once with RAYON_NUM_THREADS=1" } else { "" }
    )]
    BatchMemory {
        what: Batch,
        total: f64,
        per: f64,
        at_once: u32,
    },
    #[error(
        "{} stopped after {} events, {} {} (the estimate was {}; raise it with --max-events)",
        replication.map_or_else(|| "a run".to_string(), |r| format!("replication {r}")),
        millions(*events as f64),
        if replication.is_some() { "its share of the cap of" } else { "past the cap of" },
        millions(*cap as f64), millions(*estimate)
    )]
    Stopped {
        /// Which of a run's replications, each held to its share of the
        /// cap; `None` for one run of a sweep or an experiment, held to
        /// the whole cap.
        replication: Option<u32>,
        events: u64,
        cap: u64,
        estimate: f64,
    },
}

/// A batch of runs checked as a whole before any starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batch {
    Sweep,
    Experiment,
}

impl Batch {
    /// What there could be fewer of.
    fn fewer(self) -> &'static str {
        match self {
            Batch::Sweep => "fewer points or replications",
            Batch::Experiment => "fewer replications",
        }
    }
}

impl std::fmt::Display for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Batch::Sweep => "sweep",
            Batch::Experiment => "experiment",
        })
    }
}

/// How a batch's heaviest run is held: alone, or `n` side by side.
fn side_by_side(n: u32, per: &str) -> String {
    if n > 1 {
        format!("{n} runs side by side, the heaviest about {per} each")
    } else {
        "its heaviest run alone".to_string()
    }
}

/// ` (N replications of about X each)`, or nothing for one.
fn each(n: u32, per: &str) -> String {
    if n > 1 {
        format!(" ({n} replications of about {per} each)")
    } else {
        String::new()
    }
}

fn millions(n: f64) -> String {
    if n >= 1e9 {
        format!("{:.1} billion", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.0} million", n / 1e6)
    } else {
        format!("{n:.0}")
    }
}

fn bytes(b: f64) -> String {
    if b >= 1024.0 * MB {
        format!("{:.1} GiB", b / (1024.0 * MB))
    } else {
        format!("{:.0} MiB", b / MB)
    }
}

/// Checks a run of `replications` (of which `at_once` run side by side)
/// against the caps; `cap` is the event cap in force.
pub fn check(w: Work, replications: u32, at_once: u32, cap: u64) -> Result<(), WorkError> {
    let total = w.events * f64::from(replications.max(1));
    if total > cap as f64 {
        return Err(WorkError::Events {
            total,
            per: w.events,
            replications: replications.max(1),
            cap,
        });
    }
    check_memory(w, at_once)
}

/// Checks a batch of runs (a sweep's points, an experiment's groups)
/// before any starts: `runs` gives each distinct run's estimate and how
/// many times it runs. Their events add up against `cap`; the heaviest
/// run's memory, `at_once` times over, against the memory cap (runs side
/// by side are the threads').
pub fn check_batch(
    what: Batch,
    runs: &[(Work, u32)],
    at_once: u32,
    cap: u64,
) -> Result<(), WorkError> {
    let total: f64 = runs.iter().map(|(w, n)| w.events * f64::from(*n)).sum();
    let count: u64 = runs.iter().map(|(_, n)| u64::from(*n)).sum();
    let heaviest = |f: fn(&Work) -> f64| runs.iter().map(|(w, _)| f(w)).fold(0.0, f64::max);
    if total > cap as f64 {
        return Err(WorkError::Batch {
            what,
            total,
            heaviest: heaviest(|w| w.events),
            runs: count,
            cap,
        });
    }
    let at_once = u32::try_from(count).unwrap_or(u32::MAX).min(at_once).max(1);
    let per = heaviest(|w| w.bytes);
    let total = per * f64::from(at_once);
    if total > MAX_MEMORY_BYTES {
        return Err(WorkError::BatchMemory {
            what,
            total,
            per,
            at_once,
        });
    }
    Ok(())
}

/// Checks the memory `at_once` replications would hold.
pub fn check_memory(w: Work, at_once: u32) -> Result<(), WorkError> {
    let total = w.bytes * f64::from(at_once.max(1));
    if total > MAX_MEMORY_BYTES {
        return Err(WorkError::Memory {
            total,
            per: w.bytes,
            at_once: at_once.max(1),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_adds_its_runs_events_and_holds_its_heaviest_side_by_side() {
        let light = Work {
            events: 1e6,
            bytes: 10.0 * MB,
        };
        let heavy = Work {
            events: 3e6,
            bytes: 900.0 * MB,
        };
        // 4 × 1 M + 2 × 3 M = 10 M events.
        assert!(check_batch(Batch::Sweep, &[(light, 4), (heavy, 2)], 2, 10_000_000).is_ok());
        match check_batch(Batch::Sweep, &[(light, 4), (heavy, 2)], 2, 9_999_999) {
            Err(WorkError::Batch {
                total,
                heaviest,
                runs,
                ..
            }) => assert_eq!((total, heaviest, runs), (1e7, 3e6, 6)),
            other => panic!("{other:?}"),
        }
        // Three of the heaviest at once pass 2 GiB; two do not, nor does
        // a thread pool larger than the batch.
        assert!(matches!(
            check_batch(Batch::Sweep, &[(light, 4), (heavy, 2)], 3, u64::MAX),
            Err(WorkError::BatchMemory { at_once: 3, .. })
        ));
        assert!(check_batch(Batch::Sweep, &[(light, 4), (heavy, 2)], 2, u64::MAX).is_ok());
        assert!(check_batch(Batch::Experiment, &[(heavy, 2)], 64, u64::MAX).is_ok());
    }
    use crate::scenario;

    fn world(name: &str, sets: &[&str]) -> WorldSpec {
        let mut s = scenario::load(name).expect("built-in").scenario;
        let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
        s.apply_sets(&sets).expect("valid");
        s.world
    }

    #[test]
    fn every_builtin_fits_the_caps_and_the_heavy_inputs_do_not() {
        for b in crate::world::BUILTINS {
            let s = scenario::load(b.name).expect("built-in").scenario;
            let w = estimate(&s.world, s.duration_s);
            assert!(check(w, 1, 1, MAX_EVENTS).is_ok(), "{}: {w:?}", b.name);
        }
        let heavy = estimate(&world("platform", &["arrival_rate_per_min=1e8"]), 3600.0);
        assert!(matches!(
            check(heavy, 1, 1, MAX_EVENTS),
            Err(WorkError::Events { .. })
        ));
        let big = world("tatkal-2023", &["users=50000000"]);
        let w = estimate(&big, 2700.0);
        let e = check(w, 1, 1, MAX_EVENTS).expect_err("too big");
        assert!(matches!(e, WorkError::Memory { .. }), "{e}");
        assert!(e.to_string().contains("GiB"), "{e}");
        // A timeline that multiplies the arrivals counts.
        let mut s = scenario::load("platform").expect("built-in").scenario;
        let base = estimate_scenario(&s, 3600.0).events;
        s.timeline
            .push(crate::scenario::TimelineEntry::ScaleArrivals {
                at_s: 60.0,
                factor: 10.0,
            });
        s.timeline
            .push(crate::scenario::TimelineEntry::ScaleArrivals {
                at_s: 120.0,
                factor: 0.5,
            });
        assert!((estimate_scenario(&s, 3600.0).events - 10.0 * base).abs() < 1e-6);
        // A light platform over a year is cheap.
        let year = estimate(
            &world("platform", &["arrival_rate_per_min=1"]),
            365.0 * 86_400.0,
        );
        assert!(check(year, 1, 1, MAX_EVENTS).is_ok(), "{year:?}");
    }

    #[test]
    fn the_estimates_bound_what_the_builtins_process() {
        // Measured events of a short run stay below the estimate, and not
        // far below it (within 10×), for every world.
        for (name, sets, duration) in [
            ("platform", vec![], 600.0),
            ("platform-trains", vec![], 600.0),
            ("bkc-traffic", vec![], 3600.0),
            ("tatkal", vec!["scale=0.002"], 2700.0),
            ("tatkal-2023", vec!["scale=0.002"], 2700.0),
            ("ipl-final", vec!["volume_scale=0.02"], 3600.0),
        ] {
            let mut s = scenario::load(name).expect("built-in").scenario;
            let sets: Vec<String> = sets.iter().map(ToString::to_string).collect();
            s.apply_sets(&sets).expect("valid");
            let est = estimate(&s.world, duration).events;
            let mut sim = s.simulation(Some(1), None).expect("builds");
            sim.run_until(crate::sim::SimTime::from_secs_f64(duration))
                .expect("runs");
            let got = sim.world().events_processed() as f64;
            assert!(
                got <= est && got * 10.0 >= est,
                "{name}: {got} events, estimate {est}"
            );
        }
    }
}
