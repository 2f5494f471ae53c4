//! Headless runs: one scenario, optionally many replications (run in
//! parallel, merged in order so output stays deterministic), printed as a
//! table, JSON or CSV.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::scenario::Scenario;
use crate::sim::metrics::ClosedValue;
use crate::sim::rng::replication_seed;
use crate::sim::{ClosedForms, Metrics, SimTime};
use std::collections::BTreeMap;

/// Versions of what decides the numbers, recorded in every report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Versions {
    pub chaoswala: &'static str,
    pub rand: &'static str,
    pub rand_distr: &'static str,
    pub rand_chacha: &'static str,
}

/// Kept in step with the exact pins in Cargo.toml (a test checks).
pub const VERSIONS: Versions = Versions {
    chaoswala: env!("CARGO_PKG_VERSION"),
    rand: "0.9.2",
    rand_distr: "0.5.1",
    rand_chacha: "0.9.0",
};

/// Most replications one run may ask for.
pub const MAX_REPLICATIONS: u32 = 10_000;

/// Why a headless run could not be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("--duration must be > 0 and at most {max} s (100 years), got {0}", max = crate::scenario::MAX_DURATION_S)]
    Duration(f64),
    #[error("--warmup must be ≥ 0 and shorter than the duration ({duration}), got {warmup}")]
    Warmup { warmup: f64, duration: f64 },
    #[error("--replications must be at most {MAX_REPLICATIONS}, got {0}")]
    Replications(u32),
    #[error(transparent)]
    Build(#[from] crate::world::BuildError),
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    #[error("replication {0} did not run")]
    Lost(u32),
    #[error(transparent)]
    Work(#[from] crate::work::WorkError),
}

/// What a headless run is asked to do; `None` means "the scenario's own".
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub duration_s: Option<f64>,
    pub warmup_s: Option<f64>,
    pub seed: Option<u64>,
    pub policy: Option<String>,
    pub replications: u32,
    /// The event cap over all replications (default [`crate::work::MAX_EVENTS`]).
    pub max_events: Option<u64>,
}

/// The result of a headless run (the JSON output, field for field).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub world: String,
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub replications: u32,
    pub policy: String,
    pub versions: Versions,
    /// Means over replications.
    pub metrics: Metrics,
    /// 95 % confidence half-widths (only with more than one replication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_ci95: Option<Metrics>,
    /// Closed forms for the same keys, each with the model it comes from;
    /// absent where no closed form applies.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub analytic: BTreeMap<String, ClosedValue>,
    /// Why closed forms were left out (absent when every one applies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub no_closed_form: Vec<String>,
    pub events_processed: u64,
    pub wall_s: f64,
}

/// What one replication of a run gives: the world's metrics and closed
/// forms at the end, its policy then, and the events it handled.
#[derive(Clone, Debug)]
pub struct Replication {
    pub metrics: Metrics,
    pub analytic: ClosedForms,
    pub policy: String,
    pub events: u64,
}

type One = Replication;

/// Runs one replication of `s` seeded with `seed` for `duration` simulated
/// seconds, statistics reset after `warmup` (checked by the caller), and
/// stopped past `max_events` (a batch's cap in force, which its caller
/// checked the whole batch against before it started).
pub fn run_replication(
    s: &Scenario,
    seed: u64,
    policy: Option<&str>,
    duration: f64,
    warmup: f64,
    max_events: u64,
) -> Result<Replication, RunError> {
    let done = AtomicU64::new(0);
    let budget = Budget {
        replication: None,
        events: max_events,
        estimate: crate::work::estimate_scenario(s, duration).events,
        done_us: &done,
        total_us: 1,
        progress: &|_| {},
    };
    run_one(s, seed, policy, duration, warmup, &budget)
}

/// Slices of simulated time a replication runs in: progress is reported
/// and the event budget checked between slices.
const SLICES: u32 = 200;

/// What one replication may spend, and where it reports progress.
struct Budget<'a> {
    /// `None` for a run of a batch (a sweep's, an experiment's).
    replication: Option<u32>,
    events: u64,
    estimate: f64,
    /// Simulated microseconds done, over all replications.
    done_us: &'a AtomicU64,
    total_us: u64,
    progress: &'a (dyn Fn(f64) + Sync),
}

fn run_one(
    s: &Scenario,
    seed: u64,
    policy: Option<&str>,
    duration: f64,
    warmup: f64,
    budget: &Budget<'_>,
) -> Result<One, RunError> {
    let mut sim = s.simulation(Some(seed), policy)?;
    let end = SimTime::from_secs_f64(duration);
    let reset_at = (warmup > 0.0).then(|| SimTime::from_secs_f64(warmup));
    let slice = (end.micros() / u64::from(SLICES)).max(1);
    let mut t = SimTime::ZERO;
    while t < end {
        let mut next = SimTime(t.micros().saturating_add(slice)).min(end);
        if let Some(r) = reset_at
            && t < r
        {
            next = next.min(r);
        }
        sim.run_until(next)?;
        if reset_at == Some(next) {
            sim.reset_statistics();
        }
        budget
            .done_us
            .fetch_add(next.micros() - t.micros(), Ordering::Relaxed);
        (budget.progress)(
            budget.done_us.load(Ordering::Relaxed) as f64 / budget.total_us.max(1) as f64,
        );
        let events = sim.world().events_processed();
        if events > budget.events {
            return Err(crate::work::WorkError::Stopped {
                replication: budget.replication,
                events,
                cap: budget.events,
                estimate: budget.estimate,
            }
            .into());
        }
        t = next;
    }
    let w = sim.world();
    Ok(One {
        metrics: w.metrics(),
        analytic: w.analytic(),
        policy: w.policy(),
        events: w.events_processed(),
    })
}

/// Runs a scenario headless.
pub fn run(s: &Scenario, opts: &RunOptions) -> Result<Report, RunError> {
    run_with_progress(s, opts, &|_| {})
}

/// Runs a scenario headless, calling `progress` with the share of the
/// simulated time done (over all replications, 0 to 1) as it goes. The
/// run is first checked against the work caps ([`crate::work`]).
pub fn run_with_progress(
    s: &Scenario,
    opts: &RunOptions,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Report, RunError> {
    let started = Instant::now();
    let Replications {
        seed,
        duration_s: duration,
        warmup_s: warmup,
        runs,
    } = run_replications(s, opts, progress)?;
    let reps = runs.len() as u32;
    let (metrics, ci) = aggregate(&runs.iter().map(|o| &o.metrics).collect::<Vec<_>>());
    Ok(Report {
        scenario: s.name.clone(),
        world: s.world.kind().to_string(),
        seed,
        duration_s: duration,
        warmup_s: warmup,
        replications: reps,
        policy: runs[0].policy.clone(),
        versions: VERSIONS,
        metrics,
        metrics_ci95: (reps > 1).then_some(ci),
        analytic: runs[0].analytic.values().clone(),
        no_closed_form: runs[0].analytic.reasons().to_vec(),
        events_processed: runs.iter().map(|o| o.events).sum(),
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// Every replication of a headless run, in order (never empty), and what
/// they were run with.
#[derive(Clone, Debug)]
pub struct Replications {
    /// The base seed: replication `i` ran on `replication_seed(seed, i)`.
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub runs: Vec<Replication>,
}

/// Runs every replication of a scenario headless (as [`run_with_progress`]
/// does) and gives each one's results, in order.
pub fn run_replications(
    s: &Scenario,
    opts: &RunOptions,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Replications, RunError> {
    let duration = opts.duration_s.unwrap_or_else(|| s.run_duration_s());
    let warmup = opts.warmup_s.unwrap_or(s.warmup_s);
    if !(duration.is_finite() && duration > 0.0 && duration <= crate::scenario::MAX_DURATION_S) {
        return Err(RunError::Duration(duration));
    }
    if !(warmup.is_finite() && warmup >= 0.0 && warmup < duration) {
        return Err(RunError::Warmup { warmup, duration });
    }
    let reps = opts.replications.max(1);
    if reps > MAX_REPLICATIONS {
        return Err(RunError::Replications(reps));
    }
    let seed = opts.seed.unwrap_or(s.seed);
    let policy = opts.policy.as_deref();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(reps as usize);
    let cap = opts.max_events.unwrap_or(crate::work::MAX_EVENTS);
    let estimate = crate::work::estimate_scenario(s, duration);
    crate::work::check(estimate, reps, threads as u32, cap)?;
    let done_us = AtomicU64::new(0);
    let total_us = SimTime::from_secs_f64(duration).micros() * u64::from(reps);
    let per_replication = cap.div_ceil(u64::from(reps));
    let mut results: Vec<Option<Result<One, RunError>>> = (0..reps).map(|_| None).collect();
    std::thread::scope(|scope| {
        for (t, chunk) in results
            .chunks_mut(reps.div_ceil(threads as u32) as usize)
            .enumerate()
        {
            let base = t * reps.div_ceil(threads as u32) as usize;
            let done_us = &done_us;
            scope.spawn(move || {
                for (i, slot) in chunk.iter_mut().enumerate() {
                    let r = (base + i) as u64;
                    let budget = Budget {
                        replication: Some(r as u32),
                        events: per_replication,
                        estimate: estimate.events,
                        done_us,
                        total_us,
                        progress,
                    };
                    *slot = Some(run_one(
                        s,
                        replication_seed(seed, r),
                        policy,
                        duration,
                        warmup,
                        &budget,
                    ));
                }
            });
        }
    });
    let runs: Vec<One> = results
        .into_iter()
        .zip(0..)
        .map(|(r, i)| r.unwrap_or(Err(RunError::Lost(i))))
        .collect::<Result<_, _>>()?;
    Ok(Replications {
        seed,
        duration_s: duration,
        warmup_s: warmup,
        runs,
    })
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (the
/// factor of a two-sided 95 % interval), exact (statrs); NaN for df = 0.
#[must_use]
pub fn t_975(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(t) if df > 0 => t.inverse_cdf(0.975),
        _ => f64::NAN,
    }
}

/// Mean and 95 % half-width of each metric over replications (NaN values
/// are left out of that metric's figures).
#[must_use]
pub fn aggregate(runs: &[&Metrics]) -> (Metrics, Metrics) {
    let mut mean = Metrics::new();
    let mut ci = Metrics::new();
    let Some(first) = runs.first() else {
        return (mean, ci);
    };
    for key in first.keys() {
        let xs: Vec<f64> = runs
            .iter()
            .filter_map(|m| m.get(key).copied())
            .filter(|v| !v.is_nan())
            .collect();
        let n = xs.len();
        if n == 0 {
            mean.insert(key.clone(), f64::NAN);
            ci.insert(key.clone(), f64::NAN);
            continue;
        }
        let mu = xs.iter().sum::<f64>() / n as f64;
        let half = if n > 1 {
            let var = xs.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1) as f64;
            t_975(n - 1) * (var / n as f64).sqrt()
        } else {
            f64::NAN
        };
        mean.insert(key.clone(), mu);
        ci.insert(key.clone(), half);
    }
    (mean, ci)
}

/// Output formats of `chaoswala run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Renders a report.
#[must_use]
pub fn render(r: &Report, format: Format) -> String {
    match format {
        Format::Json => to_json(r),
        Format::Table => to_table(r),
        Format::Csv => to_csv(r),
    }
}

#[must_use]
pub fn to_json(r: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "—".to_string()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 1000.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.4}")
    } else {
        format!("{v:.6}")
    }
}

#[must_use]
pub fn to_table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {}  (world {}, policy {}, seed {}, {} s simulated, warm-up {} s, {} replication{})",
        r.scenario,
        r.world,
        r.policy,
        r.seed,
        r.duration_s,
        r.warmup_s,
        r.replications,
        if r.replications == 1 { "" } else { "s" }
    );
    let width = r.metrics.keys().map(String::len).max().unwrap_or(6).max(6);
    let ci_head = if r.metrics_ci95.is_some() {
        "      ± 95 %"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{:<width$}  {:>16}{ci_head}  {:>16}",
        "metric", "simulated", "closed form"
    );
    for (k, v) in &r.metrics {
        let ci = r
            .metrics_ci95
            .as_ref()
            .and_then(|c| c.get(k))
            .map(|c| format!("  {:>10}", fmt_num(*c)))
            .unwrap_or_default();
        let an = r
            .analytic
            .get(k)
            .map_or(String::new(), |a| fmt_num(a.value));
        let _ = writeln!(out, "{k:<width$}  {:>16}{ci}  {an:>16}", fmt_num(*v));
    }
    let mut models: Vec<&str> = Vec::new();
    for v in r.analytic.values() {
        if !models.contains(&v.model.as_str()) {
            models.push(&v.model);
        }
    }
    for m in models {
        let _ = writeln!(out, "closed form: {m}");
    }
    for why in &r.no_closed_form {
        let _ = writeln!(out, "no closed form: {why}");
    }
    let _ = writeln!(
        out,
        "{} events in {:.3} s wall ({:.2} M events/s); rand {}, rand_distr {}, chaoswala {}",
        r.events_processed,
        r.wall_s,
        r.events_processed as f64 / r.wall_s.max(1e-9) / 1e6,
        r.versions.rand,
        r.versions.rand_distr,
        r.versions.chaoswala
    );
    out
}

/// One row per metric: `metric,simulated,ci95,closed_form,model`, quoted
/// where a field needs it (a scenario name with a comma stays one field).
#[must_use]
pub fn to_csv(r: &Report) -> String {
    let opt = |v: Option<&f64>| {
        v.map_or(String::new(), |x| {
            if x.is_nan() {
                String::new()
            } else {
                x.to_string()
            }
        })
    };
    let seed = r.seed.to_string();
    let mut rows = vec![
        [
            "scenario",
            "world",
            "policy",
            "seed",
            "metric",
            "simulated",
            "ci95",
            "closed_form",
            "model",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (k, v) in &r.metrics {
        rows.push(vec![
            r.scenario.clone(),
            r.world.clone(),
            r.policy.clone(),
            seed.clone(),
            k.clone(),
            opt(Some(v)),
            opt(r.metrics_ci95.as_ref().and_then(|c| c.get(k))),
            opt(r.analytic.get(k).map(|a| &a.value)),
            r.analytic.get(k).map_or(String::new(), |a| a.model.clone()),
        ]);
    }
    csv_text(&rows)
}

/// Rows as CSV text (RFC 4180 quoting, `\n` line ends).
#[must_use]
pub fn csv_text(rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(row);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replication_stops_past_its_event_budget() {
        let s = crate::scenario::load("platform")
            .expect("built-in")
            .scenario;
        let done = AtomicU64::new(0);
        let shown = std::sync::Mutex::new(Vec::new());
        let record = |f: f64| shown.lock().expect("lock").push(f);
        let budget = Budget {
            replication: Some(0),
            events: 1_000,
            estimate: 27_000.0,
            done_us: &done,
            total_us: 3_600_000_000,
            progress: &record,
        };
        let Err(RunError::Work(e)) = run_one(&s, 1, None, 3_600.0, 0.0, &budget) else {
            panic!("ran past its budget");
        };
        assert!(
            e.to_string().starts_with("replication 0 stopped after ")
                && e.to_string()
                    .contains("events, its share of the cap of 1000"),
            "{e}"
        );
        let crate::work::WorkError::Stopped { events, cap, .. } = e else {
            panic!("{e}");
        };
        assert_eq!(cap, 1_000);
        // Stopped at the first slice past the budget, not at the end.
        assert!(events > 1_000 && events < 2_000, "{events}");
        let shown = shown.lock().expect("lock");
        assert!(!shown.is_empty() && shown.windows(2).all(|w| w[0] <= w[1]));
        assert!(*shown.last().expect("some") < 0.1);
    }

    #[test]
    fn a_batch_run_stops_past_the_cap_in_force() {
        let s = crate::scenario::load("platform")
            .expect("built-in")
            .scenario;
        let Err(RunError::Work(e)) = run_replication(&s, 1, None, 3_600.0, 0.0, 1_000) else {
            panic!("ran past the cap");
        };
        assert!(
            matches!(e, crate::work::WorkError::Stopped { cap: 1_000, .. })
                && e.to_string().starts_with("a run stopped after ")
                && e.to_string().contains("events, past the cap of 1000"),
            "{e}"
        );
        assert!(run_replication(&s, 1, None, 3_600.0, 0.0, 1_000_000).is_ok());
    }

    #[test]
    fn t_quantiles_are_exact_at_every_df() {
        // Published values (to 4 decimals) across the range the old table
        // rounded to steps: 2.000 for df 31–60 was 2.0395 at 31, 2.0003 at 60.
        for (df, t) in [
            (1, 12.7062),
            (2, 4.3027),
            (10, 2.2281),
            (30, 2.0423),
            (31, 2.0395),
            (45, 2.0141),
            (60, 2.0003),
            (100, 1.9840),
            (1000, 1.9623),
        ] {
            assert!(
                (t_975(df) - t).abs() < 5e-5,
                "df {df}: {} vs {t}",
                t_975(df)
            );
        }
        assert!(t_975(0).is_nan());
        // Decreasing towards the normal quantile.
        assert!((2..500).all(|d| t_975(d) < t_975(d - 1) && t_975(d) > 1.959_96));
    }

    #[test]
    fn versions_match_the_exact_pins_in_cargo_toml() {
        let toml = include_str!("../Cargo.toml");
        assert!(toml.contains(&format!("rand = \"={}\"", VERSIONS.rand)));
        assert!(toml.contains(&format!("rand_distr = \"={}\"", VERSIONS.rand_distr)));
        assert!(toml.contains(&format!("rand_chacha = \"={}\"", VERSIONS.rand_chacha)));
    }

    #[test]
    fn aggregate_gives_mean_and_t_interval() {
        let a: Metrics = [("x".to_string(), 1.0)].into();
        let b: Metrics = [("x".to_string(), 3.0)].into();
        let (m, c) = aggregate(&[&a, &b]);
        assert_eq!(m["x"], 2.0);
        // s = sqrt(2), n = 2: t(0.975, 1) * sqrt(2)/sqrt(2)
        assert!((c["x"] - 12.706_204_736).abs() < 1e-8);
    }
}
