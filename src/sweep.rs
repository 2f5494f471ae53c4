//! Sweeps: a grid of headless runs. Each `--vary KEY=LIST` is an axis of
//! world parameters (a list `100,150,200` or a range `100..300:25`),
//! `--policies` another; every point of their product runs
//! `replications` times on the same seeds (common random numbers: the
//! points differ only by what was varied). The runs go to all cores
//! (rayon) and come back in the grid's order, so the output does not
//! depend on how many cores ran it.
//!
//! A sweep can be cut into `N` interleaved shards (point `i` belongs to
//! shard `i mod N + 1`), each run anywhere, and its part files merged: a
//! part carries the whole sweep's [`Spec`], so parts of different sweeps
//! are refused, and the merge gives the same rows as the unsharded sweep.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::report::{self, MAX_REPLICATIONS, RunError, VERSIONS};
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::Metrics;
use crate::sim::rng::{replication_seed, stable_hash};

/// Most values one axis may have.
pub const MAX_AXIS_VALUES: usize = 1000;
/// Most runs (points × replications) one sweep may ask for.
pub const MAX_RUNS: u64 = 200_000;

/// Why a sweep could not be made or merged.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("--vary `{given}`: {problem}")]
    Vary { given: String, problem: String },
    #[error("--shard `{given}`: {problem}")]
    Shard { given: String, problem: String },
    #[error("--policies: {0}")]
    Policies(String),
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("{0}")]
    Work(#[from] crate::work::WorkError),
    #[error(
        "the sweep has {points} points × {reps} replications = {runs} runs; at most {MAX_RUNS} are allowed"
    )]
    TooBig { points: u64, reps: u32, runs: u64 },
    #[error("{file}: {problem}")]
    Part { file: String, problem: String },
    #[error("--plot: {0}")]
    Plot(String),
}

/// One varied parameter and its values, as `--set` values (RON text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

impl Axis {
    /// Parses `KEY=LIST`: `a,b,c` (RON values, split at top-level
    /// commas) or `LO..HI:STEP` (`LO..HI` steps by 1), `HI` included.
    pub fn parse(given: &str) -> Result<Axis, SweepError> {
        let bad = |problem: String| SweepError::Vary {
            given: crate::scenario::error::clip(given, 80),
            problem,
        };
        let Some((key, list)) = given.split_once('=') else {
            return Err(bad(
                "expected KEY=LIST, e.g. arrival_rate_per_min=100,150 or arrival_rate_per_min=100..300:25"
                    .into(),
            ));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(bad(format!(
                "`{key}` is not a parameter name (letters, digits, `_`, `.`)"
            )));
        }
        let list = list.trim();
        let values = if let Some((lo, rest)) = list.split_once("..") {
            range_values(lo, rest).map_err(bad)?
        } else {
            let items = split_top_level(list);
            if items.iter().any(String::is_empty) {
                return Err(bad(
                    "an empty value in the list (two commas, or one at an end)".into(),
                ));
            }
            items
        };
        if values.len() > MAX_AXIS_VALUES {
            return Err(bad(format!(
                "{} values; at most {MAX_AXIS_VALUES} are allowed",
                values.len()
            )));
        }
        Ok(Axis {
            key: key.to_string(),
            values,
        })
    }
}

/// `LO..HI:STEP` to its values, written with as many decimals as the
/// bounds and step have (so `0.1..0.3:0.1` gives `0.1,0.2,0.3`).
fn range_values(lo: &str, rest: &str) -> Result<Vec<String>, String> {
    let (hi, step) = rest.split_once(':').unwrap_or((rest, "1"));
    let num = |what: &str, t: &str| -> Result<f64, String> {
        let v: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("{what} `{}` is not a number", t.trim()))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(format!("{what} `{}` is not a finite number", t.trim()))
        }
    };
    let (a, b, s) = (num("start", lo)?, num("end", hi)?, num("step", step)?);
    if s <= 0.0 {
        return Err(format!("step must be > 0, got {s}"));
    }
    if b < a {
        return Err(format!("the end {b} is below the start {a}"));
    }
    let count = ((b - a) / s + 1e-9).floor() + 1.0;
    if count > MAX_AXIS_VALUES as f64 {
        return Err(format!(
            "{count} values; at most {MAX_AXIS_VALUES} are allowed"
        ));
    }
    let decimals = [lo, hi, step]
        .iter()
        .map(|t| t.trim().split_once('.').map_or(0, |(_, f)| f.len()))
        .max()
        .unwrap_or(0);
    Ok((0..count as usize)
        .map(|i| format!("{:.decimals$}", a + i as f64 * s))
        .collect())
}

/// Splits at commas outside brackets and strings.
fn split_top_level(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_str = false;
    let mut cur = String::new();
    for c in list.chars() {
        match c {
            '"' => in_str = !in_str,
            '(' | '[' | '{' if !in_str => depth += 1,
            ')' | ']' | '}' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// `I/N`, 1 ≤ I ≤ N.
pub fn parse_shard(given: &str) -> Result<(u32, u32), SweepError> {
    let bad = |problem: &str| SweepError::Shard {
        given: crate::scenario::error::clip(given, 40),
        problem: problem.to_string(),
    };
    let (i, n) = given
        .split_once('/')
        .ok_or_else(|| bad("expected I/N, e.g. 1/8"))?;
    let i: u32 = i
        .trim()
        .parse()
        .map_err(|_| bad("I is not a whole number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| bad("N is not a whole number"))?;
    if n == 0 || i == 0 || i > n {
        return Err(bad(&format!(
            "the shard number must be between 1 and the shard count: 1 ≤ I ≤ N, got {i}/{n}"
        )));
    }
    Ok((i, n))
}

/// Everything that decides a sweep's numbers: two sweeps with equal specs
/// give equal rows. Part files carry it; merging compares it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// As given on the command line (a built-in name or a path).
    pub scenario: String,
    /// FNV-1a of the scenario as loaded (after `--set`), in hex: the same
    /// name with other contents is another sweep.
    pub scenario_hash: String,
    pub sets: Vec<String>,
    pub vary: Vec<Axis>,
    /// Empty: the scenario's own policy.
    pub policies: Vec<String>,
    pub replications: u32,
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    /// `chaoswala X, rand X, rand_distr X, rand_chacha X`.
    pub versions: String,
}

/// What a user asks of a sweep.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub vary: Vec<Axis>,
    /// Names, or `all` for every policy in the world's menu.
    pub policies: Vec<String>,
    pub replications: u32,
    pub seed: Option<u64>,
    pub duration_s: Option<f64>,
    pub warmup_s: Option<f64>,
    /// `(I, N)`: only the I-th of N interleaved parts.
    pub shard: Option<(u32, u32)>,
    /// The most events the sweep (this part of it) may process over all
    /// its runs; `None` is [`crate::work::MAX_EVENTS`].
    pub max_events: Option<u64>,
}

/// A metric's figures: `None` where the value is not a number (no samples).
pub type Values = BTreeMap<String, Option<f64>>;

fn values(m: &Metrics) -> Values {
    m.iter()
        .map(|(k, v)| (k.clone(), (!v.is_nan()).then_some(*v)))
        .collect()
}

/// One point of the grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Position in the whole grid (0-based).
    pub index: usize,
    /// `(key, value)` for each axis, in `--vary` order.
    pub params: Vec<(String, String)>,
    pub policy: String,
    /// Means over replications.
    pub mean: Values,
    /// 95 % half-widths (none with one replication).
    pub ci95: Values,
    /// Closed forms where the world has one.
    pub closed_form: Values,
    pub events: u64,
}

/// A sweep's result, or a part of one.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sweep {
    pub spec: Spec,
    pub world: String,
    /// Points in the whole grid.
    pub points: usize,
    /// `(I, N)` in a part file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<(u32, u32)>,
    pub rows: Vec<Row>,
    pub events_processed: u64,
    pub wall_s: f64,
}

/// A point to run: its assignments and policy, and the scenario with
/// them applied.
struct Point {
    index: usize,
    params: Vec<(String, String)>,
    policy: Option<String>,
    scenario: Scenario,
}

/// `(key, value)` per axis.
type Assignments = Vec<(String, String)>;

/// The grid's points in order: the first axis varies slowest, policies
/// fastest.
fn grid(axes: &[Axis], policies: &[Option<String>]) -> Vec<(Assignments, Option<String>)> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for a in axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                a.values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((a.key.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    combos
        .into_iter()
        .flat_map(|c| policies.iter().map(move |p| (c.clone(), p.clone())))
        .collect()
}

/// What the caller hears while a sweep runs: after each replication, the
/// events it handled and whether it finished its point's row.
pub type Progress<'a> = &'a (dyn Fn(u64, bool) + Sync);

/// The runs a sweep will make, and its spec, checked before anything runs:
/// every point's parameters are applied and validated, every policy
/// checked against the world's catalog.
pub struct Plan {
    pub spec: Spec,
    world: String,
    points: Vec<Point>,
    total_points: usize,
    shard: Option<(u32, u32)>,
    duration: f64,
    warmup: f64,
    /// The event cap in force: the whole plan was checked against it, and
    /// a run that passes it alone is stopped.
    max_events: u64,
}

impl Plan {
    /// Runs in this plan (its shard's points × replications).
    #[must_use]
    pub fn runs(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.spec.replications)
    }

    /// Points (rows) in this plan.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.points.len()
    }
}

/// Checks a sweep request against the scenario `base` (already with its
/// `--set` overrides; `sets` are recorded in the spec, `name` is how the
/// scenario was named, `text` what it was read from).
pub fn plan(
    name: &str,
    text: &str,
    base: &Scenario,
    sets: &[String],
    req: &Request,
) -> Result<Plan, SweepError> {
    let mut seen = Vec::new();
    for a in &req.vary {
        if seen.contains(&a.key) {
            return Err(SweepError::Vary {
                given: a.key.clone(),
                problem: "this parameter is varied twice".into(),
            });
        }
        seen.push(a.key.clone());
    }
    let catalog = base.world.catalog();
    let policies: Vec<String> = if req.policies.iter().any(|p| p == "all") {
        catalog.policies.clone()
    } else {
        req.policies.clone()
    };
    for p in &policies {
        if !catalog.accepts_policy(p) {
            return Err(SweepError::Policies(format!(
                "unknown policy `{}` for world {}; expected one of: {} (or all)",
                crate::scenario::error::clip(p, 40),
                base.world.kind(),
                catalog.all_policies().join(", ")
            )));
        }
    }
    let reps = req.replications.max(1);
    if reps > MAX_REPLICATIONS {
        return Err(RunError::Replications(reps).into());
    }
    let duration = req.duration_s.unwrap_or(base.duration_s);
    let warmup = req.warmup_s.unwrap_or(base.warmup_s);
    if !(duration.is_finite() && duration > 0.0 && duration <= crate::scenario::MAX_DURATION_S) {
        return Err(RunError::Duration(duration).into());
    }
    if !(warmup.is_finite() && warmup >= 0.0 && warmup < duration) {
        return Err(RunError::Warmup { warmup, duration }.into());
    }
    let pol: Vec<Option<String>> = if policies.is_empty() {
        vec![None]
    } else {
        policies.iter().cloned().map(Some).collect()
    };
    let total: u64 = req
        .vary
        .iter()
        .map(|a| a.values.len() as u64)
        .try_fold(pol.len() as u64, u64::checked_mul)
        .unwrap_or(u64::MAX);
    let runs = total.saturating_mul(u64::from(reps));
    if runs > MAX_RUNS {
        return Err(SweepError::TooBig {
            points: total,
            reps,
            runs,
        });
    }
    let cells = grid(&req.vary, &pol);
    let total_points = cells.len();
    let mut points = Vec::new();
    for (index, (params, policy)) in cells.into_iter().enumerate() {
        if let Some((i, n)) = req.shard
            && index % n as usize != (i - 1) as usize
        {
            continue;
        }
        let mut s = base.clone();
        let assignments: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.apply_sets(&assignments).map_err(|e| SweepError::Vary {
            given: assignments.join(" "),
            problem: e.to_string().trim_start_matches("--set: ").to_string(),
        })?;
        points.push(Point {
            index,
            params,
            policy,
            scenario: s,
        });
    }
    // What the points will cost, before any of them runs: the same caps a
    // headless run is held to, over every run of this part of the grid.
    let costs: Vec<(crate::work::Work, u32)> = points
        .iter()
        .map(|p| (crate::work::estimate_scenario(&p.scenario, duration), reps))
        .collect();
    let max_events = req.max_events.unwrap_or(crate::work::MAX_EVENTS);
    crate::work::check_batch(
        crate::work::Batch::Sweep,
        &costs,
        u32::try_from(rayon::current_num_threads()).unwrap_or(u32::MAX),
        max_events,
    )?;
    let versions = format!(
        "chaoswala {}, rand {}, rand_distr {}, rand_chacha {}",
        VERSIONS.chaoswala, VERSIONS.rand, VERSIONS.rand_distr, VERSIONS.rand_chacha
    );
    let loaded = ron::to_string(base).unwrap_or_else(|_| text.to_string());
    Ok(Plan {
        spec: Spec {
            scenario: name.to_string(),
            scenario_hash: format!("{:016x}", stable_hash(&loaded)),
            sets: sets.to_vec(),
            vary: req.vary.clone(),
            policies,
            replications: reps,
            seed: req.seed.unwrap_or(base.seed),
            duration_s: duration,
            warmup_s: warmup,
            versions,
        },
        world: base.world.kind().to_string(),
        points,
        total_points,
        shard: req.shard,
        duration,
        warmup,
        max_events,
    })
}

/// Runs a plan on the current rayon pool; rows come back in grid order.
pub fn run(plan: &Plan, progress: Progress<'_>) -> Result<Sweep, SweepError> {
    let started = Instant::now();
    let reps = plan.spec.replications;
    let tasks: Vec<(usize, u32)> = (0..plan.points.len())
        .flat_map(|p| (0..reps).map(move |r| (p, r)))
        .collect();
    let left: Vec<AtomicU64> = plan
        .points
        .iter()
        .map(|_| AtomicU64::new(u64::from(reps)))
        .collect();
    let results: Vec<Result<report::Replication, RunError>> = tasks
        .par_iter()
        .map(|&(p, r)| {
            let point = &plan.points[p];
            let out = report::run_replication(
                &point.scenario,
                replication_seed(plan.spec.seed, u64::from(r)),
                point.policy.as_deref(),
                plan.duration,
                plan.warmup,
                plan.max_events,
            );
            let events = out.as_ref().map_or(0, |o| o.events);
            let finished = left[p].fetch_sub(1, Ordering::Relaxed) == 1;
            progress(events, finished);
            out
        })
        .collect();
    let mut rows = Vec::with_capacity(plan.points.len());
    let mut it = results.into_iter();
    for point in &plan.points {
        let reps_out: Vec<report::Replication> =
            it.by_ref().take(reps as usize).collect::<Result<_, _>>()?;
        let (mean, ci) =
            report::aggregate(&reps_out.iter().map(|o| &o.metrics).collect::<Vec<_>>());
        rows.push(Row {
            index: point.index,
            params: point.params.clone(),
            policy: reps_out
                .first()
                .map(|o| o.policy.clone())
                .unwrap_or_default(),
            mean: values(&mean),
            ci95: if reps > 1 { values(&ci) } else { Values::new() },
            closed_form: reps_out
                .first()
                .map(|o| {
                    o.analytic
                        .values()
                        .iter()
                        .map(|(k, v)| (k.clone(), Some(v.value)))
                        .collect()
                })
                .unwrap_or_default(),
            events: reps_out.iter().map(|o| o.events).sum(),
        });
    }
    Ok(Sweep {
        spec: plan.spec.clone(),
        world: plan.world.clone(),
        points: plan.total_points,
        shard: plan.shard,
        events_processed: rows.iter().map(|r| r.events).sum(),
        rows,
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// Reads part files (their text, named by `files`) into the whole sweep:
/// the same spec in each, every shard `1..=N` once, every point once.
pub fn merge(parts: &[(String, String)]) -> Result<Sweep, SweepError> {
    let part_err = |file: &str, problem: String| SweepError::Part {
        file: file.to_string(),
        problem,
    };
    let mut read: Vec<(String, Sweep)> = Vec::new();
    for (file, text) in parts {
        let s: Sweep = serde_json::from_str(text).map_err(|e| {
            part_err(
                file,
                format!("not a sweep part file (written by `chaoswala sweep … --shard I/N`): {e}"),
            )
        })?;
        if s.shard.is_none() {
            return Err(part_err(
                file,
                "a whole sweep, not a part (it has no shard); nothing to merge".into(),
            ));
        }
        read.push((file.clone(), s));
    }
    let Some((first_file, first)) = read.first().cloned() else {
        return Err(part_err("merge", "no part files given".into()));
    };
    let (_, n) = first.shard.unwrap_or((1, 1));
    let mut seen = vec![None::<String>; n as usize];
    for (file, s) in &read {
        if s.spec != first.spec || s.world != first.world || s.points != first.points {
            return Err(part_err(
                file,
                format!(
                    "a part of another sweep than {first_file}: {}",
                    spec_difference(&first.spec, &s.spec)
                ),
            ));
        }
        let (i, m) = s.shard.unwrap_or((1, 1));
        if m != n {
            return Err(part_err(
                file,
                format!("shard {i}/{m}, but {first_file} is one of {n} shards"),
            ));
        }
        if let Some(other) = &seen[(i - 1) as usize] {
            return Err(part_err(
                file,
                format!("shard {i}/{n} is given twice (also {other})"),
            ));
        }
        seen[(i - 1) as usize] = Some(file.clone());
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_none())
        .map(|(i, _)| format!("{}/{n}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(part_err(
            "merge",
            format!(
                "missing shard{}: {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        ));
    }
    let mut rows: Vec<Row> = read.iter().flat_map(|(_, s)| s.rows.clone()).collect();
    rows.sort_by_key(|r| r.index);
    let complete = rows.len() == first.points && rows.iter().enumerate().all(|(i, r)| r.index == i);
    if !complete {
        return Err(part_err(
            "merge",
            format!(
                "the parts hold {} rows for a grid of {} points",
                rows.len(),
                first.points
            ),
        ));
    }
    Ok(Sweep {
        spec: first.spec.clone(),
        world: first.world.clone(),
        points: first.points,
        shard: None,
        events_processed: rows.iter().map(|r| r.events).sum(),
        rows,
        wall_s: read.iter().map(|(_, s)| s.wall_s).sum(),
    })
}

/// The first field where two specs differ, for the refusal message.
fn spec_difference(a: &Spec, b: &Spec) -> String {
    let ja = serde_json::to_value(a).unwrap_or_default();
    let jb = serde_json::to_value(b).unwrap_or_default();
    if let (Some(ma), Some(mb)) = (ja.as_object(), jb.as_object()) {
        for (k, va) in ma {
            let vb = mb.get(k);
            if vb != Some(va) {
                return format!(
                    "`{k}` is {} there and {} here",
                    crate::scenario::error::clip(&va.to_string(), 60),
                    crate::scenario::error::clip(
                        &vb.map(ToString::to_string).unwrap_or_default(),
                        60
                    )
                );
            }
        }
    }
    "the sweeps differ".into()
}

/// Output formats of a sweep.
pub use crate::report::Format;

/// Metric names over all rows, in order.
fn metric_names(s: &Sweep) -> Vec<String> {
    let mut names: Vec<String> = s.rows.iter().flat_map(|r| r.mean.keys().cloned()).collect();
    names.sort();
    names.dedup();
    names
}

fn num(v: Option<&Option<f64>>) -> String {
    match v {
        Some(Some(x)) => x.to_string(),
        _ => String::new(),
    }
}

/// Renders a sweep (or a part: `Json` only makes sense for parts).
#[must_use]
pub fn render(s: &Sweep, format: Format) -> String {
    match format {
        Format::Json => {
            let mut t = serde_json::to_string_pretty(s)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            t.push('\n');
            t
        }
        Format::Csv => to_csv(s),
        Format::Table => to_table(s),
    }
}

/// One row per point: the parameters, the policy, then for each metric
/// its mean, `_ci95` and, where any point has one, `_closed_form`.
#[must_use]
pub fn to_csv(s: &Sweep) -> String {
    let names = metric_names(s);
    let with_cf: Vec<bool> = names
        .iter()
        .map(|m| {
            s.rows
                .iter()
                .any(|r| matches!(r.closed_form.get(m), Some(Some(_))))
        })
        .collect();
    let mut header: Vec<String> = s.spec.vary.iter().map(|a| a.key.clone()).collect();
    header.push("policy".into());
    for (m, cf) in names.iter().zip(&with_cf) {
        header.push(m.clone());
        header.push(format!("{m}_ci95"));
        if *cf {
            header.push(format!("{m}_closed_form"));
        }
    }
    let mut rows = vec![header];
    for r in &s.rows {
        let mut row: Vec<String> = r.params.iter().map(|(_, v)| v.clone()).collect();
        row.push(r.policy.clone());
        for (m, cf) in names.iter().zip(&with_cf) {
            row.push(num(r.mean.get(m)));
            row.push(num(r.ci95.get(m)));
            if *cf {
                row.push(num(r.closed_form.get(m)));
            }
        }
        rows.push(row);
    }
    report::csv_text(&rows)
}

fn fmt(v: Option<&Option<f64>>) -> String {
    match v {
        Some(Some(x)) => {
            if *x == x.trunc() && x.abs() < 1e15 {
                format!("{x:.0}")
            } else if x.abs() >= 1000.0 {
                format!("{x:.1}")
            } else if x.abs() >= 1.0 {
                format!("{x:.4}")
            } else {
                format!("{x:.6}")
            }
        }
        _ => "—".into(),
    }
}

/// For people: a block per point, one line per metric.
#[must_use]
pub fn to_table(s: &Sweep) -> String {
    let mut out = String::new();
    let sp = &s.spec;
    let _ = writeln!(
        out,
        "sweep of {} (world {}): {} points × {} replication{}, seed {}, {} s simulated, warm-up {} s",
        sp.scenario,
        s.world,
        s.points,
        sp.replications,
        if sp.replications == 1 { "" } else { "s" },
        sp.seed,
        sp.duration_s,
        sp.warmup_s
    );
    let names = metric_names(s);
    let width = names.iter().map(String::len).max().unwrap_or(6).max(6);
    for r in &s.rows {
        let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(
            out,
            "\n#{} {} policy={}",
            r.index + 1,
            params.join(" "),
            r.policy
        );
        let _ = writeln!(
            out,
            "  {:<width$}  {:>14}  {:>12}  {:>14}",
            "metric", "mean", "± 95 %", "closed form"
        );
        for m in &names {
            let _ = writeln!(
                out,
                "  {m:<width$}  {:>14}  {:>12}  {:>14}",
                fmt(r.mean.get(m)),
                fmt(r.ci95.get(m)),
                match r.closed_form.get(m) {
                    Some(Some(_)) => fmt(r.closed_form.get(m)),
                    _ => String::new(),
                }
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{} events in {:.3} s wall; {}",
        s.events_processed, s.wall_s, sp.versions
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_lists_and_ranges() {
        let a = Axis::parse("arrival_rate_per_min=100..140:20").unwrap();
        assert_eq!(a.values, ["100", "120", "140"]);
        let a = Axis::parse("x=0.1..0.3:0.1").unwrap();
        assert_eq!(a.values, ["0.1", "0.2", "0.3"]);
        let a = Axis::parse("service=Exponential,Erlang(k: 3),[1, 2]").unwrap();
        assert_eq!(a.values, ["Exponential", "Erlang(k: 3)", "[1, 2]"]);
        assert!(Axis::parse("x").is_err());
        assert!(Axis::parse("x=1..0").is_err());
        assert!(Axis::parse("x=1..5:0").is_err());
        assert!(Axis::parse("x=1,,2").is_err());
        assert!(Axis::parse("x=0..1e9").is_err());
    }

    #[test]
    fn shards_are_checked() {
        assert_eq!(parse_shard("2/8").unwrap(), (2, 8));
        for bad in ["3/2", "0/2", "1/0", "a/2", "2"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
