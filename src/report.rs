//! Headless runs: one scenario, optionally many replications (run in
//! parallel, merged in order so output stays deterministic), printed as a
//! table, JSON or CSV.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;

use crate::scenario::Scenario;
use crate::sim::rng::replication_seed;
use crate::sim::{Metrics, SimTime};

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
    #[error("--duration must be > 0 and at most 30 days, got {0}")]
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
}

/// What a headless run is asked to do; `None` means "the scenario's own".
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub duration_s: Option<f64>,
    pub warmup_s: Option<f64>,
    pub seed: Option<u64>,
    pub policy: Option<String>,
    pub replications: u32,
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
    /// Closed forms for the same keys, where they exist.
    pub analytic: Metrics,
    pub events_processed: u64,
    pub wall_s: f64,
}

/// What one replication of a run gives: the world's metrics and closed
/// forms at the end, its policy then, and the events it handled.
#[derive(Clone, Debug)]
pub struct Replication {
    pub metrics: Metrics,
    pub analytic: Metrics,
    pub policy: String,
    pub events: u64,
}

type One = Replication;

/// Runs one replication of `s` seeded with `seed` for `duration` simulated
/// seconds, statistics reset after `warmup` (checked by the caller).
pub fn run_replication(
    s: &Scenario,
    seed: u64,
    policy: Option<&str>,
    duration: f64,
    warmup: f64,
) -> Result<Replication, RunError> {
    let mut sim = s.simulation(Some(seed), policy)?;
    if warmup > 0.0 {
        sim.run_until(SimTime::from_secs_f64(warmup))?;
        sim.reset_statistics();
    }
    sim.run_until(SimTime::from_secs_f64(duration))?;
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
    let started = Instant::now();
    let duration = opts.duration_s.unwrap_or(s.duration_s);
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
    let mut results: Vec<Option<Result<One, RunError>>> = (0..reps).map(|_| None).collect();
    std::thread::scope(|scope| {
        for (t, chunk) in results
            .chunks_mut(reps.div_ceil(threads as u32) as usize)
            .enumerate()
        {
            let base = t * reps.div_ceil(threads as u32) as usize;
            scope.spawn(move || {
                for (i, slot) in chunk.iter_mut().enumerate() {
                    let r = (base + i) as u64;
                    *slot = Some(run_replication(
                        s,
                        replication_seed(seed, r),
                        policy,
                        duration,
                        warmup,
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
        analytic: runs[0].analytic.clone(),
        events_processed: runs.iter().map(|o| o.events).sum(),
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// Two-sided 97.5 % quantile of Student's t with `df` degrees of freedom.
#[must_use]
pub fn t_975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        31..=60 => 2.000,
        61..=120 => 1.980,
        _ => 1.960,
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
        let an = r.analytic.get(k).map_or(String::new(), |a| fmt_num(*a));
        let _ = writeln!(out, "{k:<width$}  {:>16}{ci}  {an:>16}", fmt_num(*v));
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

/// One row per metric: `metric,simulated,ci95,closed_form`, quoted
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
            opt(r.analytic.get(k)),
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
        // s = sqrt(2), n = 2: 12.706 * sqrt(2)/sqrt(2)
        assert!((c["x"] - 12.706).abs() < 1e-9);
    }
}
