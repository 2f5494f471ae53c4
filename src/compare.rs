//! Two policies side by side on the same arrivals: `chaoswala run
//! SCENARIO --compare POLICY`.
//!
//! The left column is the scenario's policy (or `--policy`), the right
//! column `POLICY`. Replication `i` of both sides runs on the same seed,
//! and every source of randomness draws from its own named stream
//! ([`crate::sim::rng`]), so both sides see the same passengers, users,
//! orders or cars at the same instants: common random numbers. The
//! difference `left − right` is then taken replication by replication
//! (paired by seed), and its 95 % interval is Student's t over those
//! differences. What the two sides share cancels out of it, which makes
//! that interval much narrower than the one two independent runs would
//! give ([`unpaired`] computes that one, for comparison).
//!
//! [`HEADLINES`] declares, once per world, the metrics that matter when
//! two policies are compared and which direction is better for each; the
//! dashboard's difference strip is drawn from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;

use crate::report::{self, Format, RunError, RunOptions, Versions};
use crate::scenario::Scenario;
use crate::sim::Metrics;

/// Why a comparison could not be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CompareError {
    /// A policy the world does not offer, with the world's policies and
    /// the closest name.
    #[error("{}", unknown_policy_text(.flag, .name, .world, .expected))]
    UnknownPolicy {
        /// The flag that named it (`--compare`, `--policy`).
        flag: &'static str,
        name: String,
        world: String,
        expected: Vec<String>,
    },
    #[error(transparent)]
    Run(#[from] RunError),
}

fn unknown_policy_text(flag: &str, name: &str, world: &str, expected: &[String]) -> String {
    let names: Vec<&str> = expected.iter().map(String::as_str).collect();
    let mut m = format!(
        "{flag}: unknown policy `{name}`; world {world} offers: {}",
        names.join(", ")
    );
    if let Some(e) = crate::fault::catalog::closest(name, &names) {
        let _ = write!(m, " (did you mean `{e}`?)");
    }
    m
}

/// Checks that the world of `s` accepts the policy `name`.
pub fn check_policy(s: &Scenario, flag: &'static str, name: &str) -> Result<(), CompareError> {
    let catalog = s.world.catalog();
    if catalog.accepts_policy(name) {
        return Ok(());
    }
    Err(CompareError::UnknownPolicy {
        flag,
        name: name.to_string(),
        world: s.world.kind().to_string(),
        expected: catalog
            .all_policies()
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// Which way a headline metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Better {
    Lower,
    Higher,
}

/// A metric worth showing when two policies are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headline {
    /// The metric's key (see each world's metrics).
    pub key: &'static str,
    /// How the dashboard names it.
    pub label: &'static str,
    pub better: Better,
}

const fn lower(key: &'static str, label: &'static str) -> Headline {
    Headline {
        key,
        label,
        better: Better::Lower,
    }
}

const fn higher(key: &'static str, label: &'static str) -> Headline {
    Headline {
        key,
        label,
        better: Better::Higher,
    }
}

/// Per world kind, the metrics that matter in a comparison, the main one
/// first, each with the direction that is better.
pub const HEADLINES: &[(&str, &[Headline])] = &[
    (
        "platform",
        &[
            higher("completed", "boarded"),
            lower("rejected", "turned away"),
            lower("mean_response_s", "mean time at station s"),
            lower("p95_response_s", "p95 time at station s"),
            lower("mean_in_system", "people waiting (mean)"),
        ],
    ),
    (
        "tatkal",
        &[
            higher("success_rate", "success rate"),
            higher("humans_booked", "humans booked"),
            lower("bots_booked", "bots booked"),
            lower("mean_time_to_book_s", "mean time to book s"),
            lower("p95_response_s", "p95 response s"),
            lower("abandoned", "gave up"),
        ],
    ),
    (
        "ipl-final",
        &[
            higher("delivered_unique", "delivered (unique)"),
            lower("duplicates_delivered", "duplicates"),
            lower("customers_lost", "customers lost"),
            lower("p95_confirm_time_s", "p95 confirm s"),
            lower("backlog", "backlog"),
            lower("revenue_lost_inr", "revenue lost ₹"),
        ],
    ),
    (
        "bkc-traffic",
        &[
            lower("mean_journey_min", "mean journey min"),
            lower("p95_journey_min", "p95 journey min"),
            lower("turned_away", "turned away"),
            lower("vehicle_hours", "vehicle hours"),
            lower("max_wait_min", "longest wait min"),
        ],
    ),
    (
        "network",
        &[
            higher("goodput_per_s", "goodput /s"),
            lower("rejected", "rejected"),
            lower("duplicates", "duplicates"),
            lower("p95_time_in_network_s", "p95 time in network s"),
            lower("retries", "retries"),
        ],
    ),
];

/// The headline metrics of a world kind (empty for an unknown kind).
#[must_use]
pub fn headlines(kind: &str) -> &'static [Headline] {
    HEADLINES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, h)| h)
}

/// What `run --compare` is asked to do.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// As for `run`; `policy` is the left side's (default: the scenario's).
    pub run: RunOptions,
    /// The right side's policy.
    pub right: String,
}

/// One side of a comparison: its policy and its metrics.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    pub policy: String,
    /// Means over replications.
    pub metrics: Metrics,
    /// 95 % half-widths (with more than one replication).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<Metrics>,
    /// Every replication's metrics, in seed order (not in the JSON).
    #[serde(skip)]
    pub runs: Vec<Metrics>,
    pub events_processed: u64,
}

/// The difference `left − right` of one metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Difference {
    pub mean: f64,
    /// 95 % half-width; `None` (JSON `null`) with one replication.
    pub ci95: Option<f64>,
}

/// The result of `run --compare` (the JSON output, field for field).
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub scenario: String,
    pub world: String,
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub replications: u32,
    pub versions: Versions,
    pub left: Side,
    pub right: Side,
    /// Per metric, `left − right` paired by seed.
    pub difference: BTreeMap<String, Difference>,
    pub wall_s: f64,
}

/// Runs both sides of a comparison headless.
pub fn run(s: &Scenario, opts: &CompareOptions) -> Result<Comparison, CompareError> {
    run_with_progress(s, opts, &|_| {})
}

/// Runs both sides (left first), calling `progress` with the share done
/// (0 to 1) over both. Each side is checked against the work caps as a
/// run of its own.
pub fn run_with_progress(
    s: &Scenario,
    opts: &CompareOptions,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Comparison, CompareError> {
    let started = Instant::now();
    if let Some(p) = &opts.run.policy {
        check_policy(s, "--policy", p)?;
    }
    check_policy(s, "--compare", &opts.right)?;
    let left = report::run_replications(s, &opts.run, &|f| progress(f / 2.0))?;
    let right_opts = RunOptions {
        policy: Some(opts.right.clone()),
        ..opts.run.clone()
    };
    let right = report::run_replications(s, &right_opts, &|f| progress(0.5 + f / 2.0))?;
    let side = |r: report::Replications| {
        let runs: Vec<Metrics> = r.runs.iter().map(|o| o.metrics.clone()).collect();
        let (metrics, ci) = report::aggregate(&runs.iter().collect::<Vec<_>>());
        Side {
            policy: r.runs[0].policy.clone(),
            metrics,
            ci95: (runs.len() > 1).then_some(ci),
            events_processed: r.runs.iter().map(|o| o.events).sum(),
            runs,
        }
    };
    let (seed, duration_s, warmup_s) = (left.seed, left.duration_s, left.warmup_s);
    let (left, right) = (side(left), side(right));
    let difference = paired(&left.runs, &right.runs);
    Ok(Comparison {
        scenario: s.name.clone(),
        world: s.world.kind().to_string(),
        seed,
        duration_s,
        warmup_s,
        replications: left.runs.len() as u32,
        versions: report::VERSIONS,
        left,
        right,
        difference,
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// Mean and 95 % half-width of `xs` (NaN left out); the half-width is
/// `None` below two values.
fn mean_ci(xs: &[f64]) -> (f64, Option<f64>) {
    let xs: Vec<f64> = xs.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, None);
    }
    let mu = xs.iter().sum::<f64>() / n as f64;
    let half = (n > 1).then(|| {
        let var = xs.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1) as f64;
        report::t_975(n - 1) * (var / n as f64).sqrt()
    });
    (mu, half)
}

/// `left − right` per metric, replication `i` with replication `i`
/// (pairs where either side is NaN are left out of that metric).
#[must_use]
pub fn paired(left: &[Metrics], right: &[Metrics]) -> BTreeMap<String, Difference> {
    let mut out = BTreeMap::new();
    let Some(first) = left.first() else {
        return out;
    };
    for key in first.keys() {
        let d: Vec<f64> = left
            .iter()
            .zip(right)
            .filter_map(|(l, r)| Some(l.get(key)? - r.get(key)?))
            .collect();
        let (mean, ci95) = mean_ci(&d);
        out.insert(key.clone(), Difference { mean, ci95 });
    }
    out
}

/// `left − right` per metric as two independent samples would give it
/// (Welch's interval): what the pairing is measured against.
#[must_use]
pub fn unpaired(left: &[Metrics], right: &[Metrics]) -> BTreeMap<String, Difference> {
    let mut out = BTreeMap::new();
    let Some(first) = left.first() else {
        return out;
    };
    let values = |side: &[Metrics], key: &str| -> Vec<f64> {
        side.iter()
            .filter_map(|m| m.get(key).copied())
            .filter(|v| !v.is_nan())
            .collect()
    };
    for key in first.keys() {
        let (a, b) = (values(left, key), values(right, key));
        let (ma, _) = mean_ci(&a);
        let (mb, _) = mean_ci(&b);
        let var = |xs: &[f64], m: f64| {
            xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
        };
        let ci95 = (a.len() > 1 && b.len() > 1).then(|| {
            let (va, vb) = (var(&a, ma) / a.len() as f64, var(&b, mb) / b.len() as f64);
            let se2 = va + vb;
            // Welch–Satterthwaite degrees of freedom.
            let df =
                se2 * se2 / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0));
            let df = if df.is_finite() {
                df.floor().max(1.0) as usize
            } else {
                a.len() + b.len() - 2
            };
            report::t_975(df) * se2.sqrt()
        });
        out.insert(
            key.clone(),
            Difference {
                mean: ma - mb,
                ci95,
            },
        );
    }
    out
}

/// Renders a comparison.
#[must_use]
pub fn render(c: &Comparison, format: Format) -> String {
    match format {
        Format::Json => to_json(c),
        Format::Table => to_table(c),
        Format::Csv => to_csv(c),
    }
}

#[must_use]
pub fn to_json(c: &Comparison) -> String {
    let mut s =
        serde_json::to_string_pretty(c).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// A number for the table: as `run` prints it, with a sign for differences.
fn num(v: f64, signed: bool) -> String {
    if v.is_nan() {
        return "—".to_string();
    }
    let text = if v == v.trunc() && v.abs() < 1e15 {
        format!("{:.0}", v.abs())
    } else if v.abs() >= 1000.0 {
        format!("{:.1}", v.abs())
    } else if v.abs() >= 1.0 {
        format!("{:.4}", v.abs())
    } else {
        format!("{:.6}", v.abs())
    };
    let sign = if v < 0.0 && text.trim_matches(['0', '.']).is_empty() {
        ""
    } else if v < 0.0 {
        "−"
    } else if signed && v > 0.0 {
        "+"
    } else {
        ""
    };
    format!("{sign}{text}")
}

#[must_use]
pub fn to_table(c: &Comparison) -> String {
    let mut out = String::new();
    let reps = c.replications;
    let _ = writeln!(
        out,
        "scenario {}  (world {}, seed {}, {} s simulated, warm-up {} s, {} replication{}, paired by seed)",
        c.scenario,
        c.world,
        c.seed,
        c.duration_s,
        c.warmup_s,
        reps,
        if reps == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "left: {} · right: {} · difference = left − right",
        c.left.policy, c.right.policy
    );
    let width = c
        .left
        .metrics
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(6)
        .max(6);
    let many = reps > 1;
    let col = |head: &str| format!("{head:>14}{}", if many { "      ± 95 %" } else { "" });
    let _ = writeln!(
        out,
        "{:<width$}  {}  {}  {}",
        "metric",
        col(&c.left.policy),
        col(&c.right.policy),
        col("left − right")
    );
    let ci = |m: Option<&Metrics>, k: &str| {
        if many {
            format!(
                "  {:>10}",
                num(m.and_then(|m| m.get(k)).copied().unwrap_or(f64::NAN), false)
            )
        } else {
            String::new()
        }
    };
    for (k, l) in &c.left.metrics {
        let r = c.right.metrics.get(k).copied().unwrap_or(f64::NAN);
        let d = c.difference.get(k);
        let d_ci = if many {
            format!(
                "  {:>10}",
                num(d.and_then(|d| d.ci95).unwrap_or(f64::NAN), false)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{k:<width$}  {:>14}{}  {:>14}{}  {:>14}{d_ci}",
            num(*l, false),
            ci(c.left.ci95.as_ref(), k),
            num(r, false),
            ci(c.right.ci95.as_ref(), k),
            num(d.map_or(f64::NAN, |d| d.mean), true),
        );
    }
    if many {
        let _ = writeln!(
            out,
            "± 95 % of the difference: Student's t over the {reps} paired differences (replication i of both sides on the same seed)"
        );
    } else {
        let _ = writeln!(out, "one replication: no intervals (try --replications 10)");
    }
    let events = c.left.events_processed + c.right.events_processed;
    let _ = writeln!(
        out,
        "{events} events in {:.3} s wall ({:.2} M events/s); rand {}, rand_distr {}, chaoswala {}",
        c.wall_s,
        events as f64 / c.wall_s.max(1e-9) / 1e6,
        c.versions.rand,
        c.versions.rand_distr,
        c.versions.chaoswala
    );
    out
}

/// One row per metric: `metric,left_policy,left,left_ci95,right_policy,
/// right,right_ci95,difference,difference_ci95`, after the scenario,
/// world and seed.
#[must_use]
pub fn to_csv(c: &Comparison) -> String {
    let opt = |v: Option<f64>| {
        v.filter(|x| !x.is_nan())
            .map_or(String::new(), |x| x.to_string())
    };
    let seed = c.seed.to_string();
    let mut rows = vec![
        [
            "scenario",
            "world",
            "seed",
            "metric",
            "left_policy",
            "left",
            "left_ci95",
            "right_policy",
            "right",
            "right_ci95",
            "difference",
            "difference_ci95",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (k, l) in &c.left.metrics {
        let d = c.difference.get(k);
        rows.push(vec![
            c.scenario.clone(),
            c.world.clone(),
            seed.clone(),
            k.clone(),
            c.left.policy.clone(),
            opt(Some(*l)),
            opt(c.left.ci95.as_ref().and_then(|m| m.get(k)).copied()),
            c.right.policy.clone(),
            opt(c.right.metrics.get(k).copied()),
            opt(c.right.ci95.as_ref().and_then(|m| m.get(k)).copied()),
            opt(d.map(|d| d.mean)),
            opt(d.and_then(|d| d.ci95)),
        ]);
    }
    report::csv_text(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: f64) -> Metrics {
        [("x".to_string(), v)].into()
    }

    #[test]
    fn pairs_cancel_what_both_sides_share() {
        // Each pair moves together: the differences are all 1.
        let left = [m(10.0), m(20.0), m(30.0)];
        let right = [m(9.0), m(19.0), m(29.0)];
        let p = paired(&left, &right)["x"];
        assert_eq!(p.mean, 1.0);
        assert_eq!(p.ci95, Some(0.0));
        let u = unpaired(&left, &right)["x"];
        assert_eq!(u.mean, 1.0);
        assert!(u.ci95.expect("two sides") > 10.0);
    }

    #[test]
    fn one_replication_has_no_interval() {
        let p = paired(&[m(2.0)], &[m(3.0)])["x"];
        assert_eq!(p.mean, -1.0);
        assert_eq!(p.ci95, None);
    }

    #[test]
    fn every_world_kind_has_headlines() {
        for kind in crate::world::KINDS {
            assert!(!headlines(kind).is_empty(), "{kind}");
        }
        assert!(headlines("nowhere").is_empty());
    }

    #[test]
    fn differences_carry_a_readable_sign() {
        assert_eq!(num(-312.0, true), "−312");
        assert_eq!(num(312.0, true), "+312");
        assert_eq!(num(312.0, false), "312");
        assert_eq!(num(-0.0, true), "0");
    }
}
