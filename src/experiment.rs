//! Chaos experiments as files, rehearsed against a model: a steady-state
//! hypothesis (probes on the world's metrics), a method (timeline entries
//! applied on top of the scenario's own: the treatment), an optional
//! blast radius (stages widening the share of the world's units the
//! treatment's faults hit, only while the hypothesis holds) and an
//! optional Chaos Monkey (one random kill every N seconds inside business
//! hours, on the scenario's story clock, from its own random stream).
//!
//! Control and treatment run on the same seeds (common random numbers):
//! replication `r` of both sees the same arrivals, so the paired
//! difference `treatment − control` is measured with far less noise than
//! two independent samples. The journal records every setting, the
//! versions of what decides the numbers, and each replication's values.
//!
//! ```ron
//! Experiment(
//!     name: "platform-kill",
//!     scenario: (name: "platform", set: ["servers=20"], replications: 5),
//!     hypothesis: [(metric: "blocking_probability", at_most: 0.01)],
//!     method: [Fault(at_s: 600, fault: (kind: Kill(), target: "all", duration_s: Some(600)))],
//!     blast_radius: [0.05, 0.2],
//! )
//! ```

use std::fmt::Write as _;
use std::time::Instant;

use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::fault::{Fault, FaultKind};
use crate::report::{self, Replication, RunError, VERSIONS, Versions};
use crate::scenario::{self, Pos, Scenario, ScenarioError, TimelineEntry, field_positions};
use crate::sim::rng::{replication_seed, stream};
use crate::sim::{Command, Metrics};

/// Most probes a hypothesis may hold.
pub const MAX_PROBES: usize = 100;
/// Most method entries.
pub const MAX_METHOD: usize = 1000;
/// Most blast-radius stages.
pub const MAX_STAGES: usize = 10;
/// The widest blast radius: never more than half the traffic.
pub const MAX_SHARE: f64 = 0.5;
/// Most replications an experiment may ask for.
pub const MAX_REPLICATIONS: u32 = 1000;
/// Most kills a monkey may make in one run.
pub const MAX_KILLS: usize = 10_000;
/// Worlds whose faults can be scoped to a share of their units.
pub const SCOPABLE_WORLDS: &[&str] = &["platform"];

/// An experiment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub scenario: ScenarioRef,
    /// The steady-state hypothesis: every probe must hold.
    pub hypothesis: Vec<Probe>,
    /// The treatment, on top of the scenario's own timeline.
    #[serde(default)]
    pub method: Vec<TimelineEntry>,
    /// Shares of the world's units the method's faults hit, widening
    /// while the hypothesis holds (each at most 0.5).
    #[serde(default)]
    pub blast_radius: Vec<f64>,
    #[serde(default)]
    pub monkey: Option<Monkey>,
    /// Treatment replication `r` on control's seed `r` (false: on other
    /// seeds, to see what pairing buys).
    #[serde(default = "yes")]
    pub common_random_numbers: bool,
}

fn yes() -> bool {
    true
}

fn three() -> u32 {
    3
}

/// The scenario an experiment runs, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRef {
    /// A built-in name or a path (relative to the experiment file).
    pub name: String,
    /// `--set` overrides, `KEY=VALUE`.
    #[serde(default)]
    pub set: Vec<String>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub duration_s: Option<f64>,
    #[serde(default)]
    pub warmup_s: Option<f64>,
    #[serde(default = "three")]
    pub replications: u32,
    #[serde(default)]
    pub seed: Option<u64>,
}

/// A bound on one metric, checked on control and on treatment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub metric: String,
    #[serde(default)]
    pub at_most: Option<f64>,
    #[serde(default)]
    pub at_least: Option<f64>,
    /// The treatment's mean within this relative band of the control's
    /// (0.05: ± 5 %).
    #[serde(default)]
    pub within: Option<f64>,
}

impl Probe {
    /// The bound as people read it.
    #[must_use]
    pub fn bound(&self) -> String {
        let mut parts = Vec::new();
        if let Some(x) = self.at_least {
            parts.push(format!("≥ {x}"));
        }
        if let Some(x) = self.at_most {
            parts.push(format!("≤ {x}"));
        }
        if let Some(w) = self.within {
            parts.push(format!("within ±{} % of control", w * 100.0));
        }
        parts.join(", ")
    }

    fn absolute_ok(&self, v: f64) -> bool {
        !v.is_nan() && self.at_most.is_none_or(|x| v <= x) && self.at_least.is_none_or(|x| v >= x)
    }
}

/// A Chaos Monkey: every `every_s` simulated seconds inside business
/// hours (`from`–`until` on the scenario's story clock), kill one random
/// fault target that accepts `kill` (never `all`, never one in
/// `exclude`); it restarts after `restart_after_s`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monkey {
    pub every_s: f64,
    pub restart_after_s: f64,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `HH:MM[:SS]`.
    pub from: String,
    pub until: String,
}

/// One kill the monkey makes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Kill {
    pub at_s: f64,
    /// The story clock then, `HH:MM:SS`.
    pub clock: String,
    pub target: String,
}

/// Command-line overrides (a reduced run, another seed).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub replications: Option<u32>,
    pub duration_s: Option<f64>,
    pub seed: Option<u64>,
    /// `KEY=VALUE` world parameters applied after the file's `set`.
    pub sets: Vec<String>,
    /// The most events the whole experiment may process (control and every
    /// stage's treatment); `None` is [`crate::work::MAX_EVENTS`].
    pub max_events: Option<u64>,
}

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("{0}")]
    Input(#[from] ScenarioError),
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("{0}")]
    Work(#[from] crate::work::WorkError),
}

/// An experiment checked against its scenario and ready to run.
#[derive(Clone, Debug)]
pub struct Ready {
    pub origin: String,
    pub experiment: Experiment,
    pub scenario: Scenario,
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub replications: u32,
    pub kills: Vec<Kill>,
    /// The event cap over the whole experiment.
    pub max_events: u64,
}

/// `name: VALUE`: where the value after the field at `field` starts.
fn value_pos(text: &str, field: Pos) -> Pos {
    let Some(line) = text.lines().nth(field.line - 1) else {
        return field;
    };
    let chars: Vec<char> = line.chars().collect();
    let mut i = field.col - 1;
    while i < chars.len() && chars[i] != ':' {
        i += 1;
    }
    i += 1;
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    if i < chars.len() {
        Pos {
            line: field.line,
            col: i + 1,
        }
    } else {
        field
    }
}

/// Reads and checks an experiment file.
pub fn load(path: &str, over: &Overrides) -> Result<Ready, ScenarioError> {
    let p = std::path::Path::new(path);
    let meta =
        std::fs::metadata(p).map_err(|e| ScenarioError::new(path, format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(ScenarioError::new(
            path,
            "not a regular file; an experiment is a .ron file",
        ));
    }
    if meta.len() > scenario::MAX_FILE_BYTES as u64 {
        return Err(ScenarioError::new(
            path,
            format!(
                "file is {} bytes; at most {} are read",
                meta.len(),
                scenario::MAX_FILE_BYTES
            ),
        ));
    }
    let text = std::fs::read_to_string(p)
        .map_err(|e| ScenarioError::new(path, format!("cannot read: {e}")))?;
    let base = p.parent().unwrap_or(std::path::Path::new("."));
    parse(path, &text, base, over)
}

/// Parses and checks experiment text; `dir` is where relative scenario
/// paths are looked up.
pub fn parse(
    origin: &str,
    text: &str,
    dir: &std::path::Path,
    over: &Overrides,
) -> Result<Ready, ScenarioError> {
    if text.len() > scenario::MAX_FILE_BYTES {
        return Err(ScenarioError::new(origin, "file too large"));
    }
    if let Some(pos) = scenario::too_deep(text) {
        return Err(ScenarioError::at(
            origin,
            text,
            pos,
            format!("nested deeper than {} levels", scenario::MAX_NESTING),
        ));
    }
    let exp: Experiment = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e| {
            let pos = Pos {
                line: e.span.start.line.max(1),
                col: e.span.start.col.max(1),
            };
            ScenarioError::at(origin, text, pos, e.code.to_string())
        })?;
    let at = |field: &str, nth: usize, msg: String| match field_positions(text, field).get(nth) {
        Some(p) => ScenarioError::at(origin, text, value_pos(text, *p), msg),
        None => ScenarioError::new(origin, msg),
    };
    // The scenario, with its overrides.
    let sref = &exp.scenario;
    let mut loaded = if scenario::builtin(&sref.name).is_none() && !sref.name.starts_with('/') {
        let rel = dir.join(&sref.name);
        if rel.is_file() {
            scenario::load(&rel.to_string_lossy())?
        } else {
            scenario::load(&sref.name)?
        }
    } else {
        scenario::load(&sref.name)?
    };
    loaded.scenario.apply_sets(&sref.set)?;
    loaded.scenario.apply_sets(&over.sets)?;
    let mut s = loaded.scenario;
    let catalog = s.world.catalog();
    let kind = s.world.kind();
    if let Some(p) = &sref.policy {
        if !catalog.accepts_policy(p) {
            return Err(at(
                "policy",
                0,
                format!(
                    "unknown policy `{p}`; expected one of: {}",
                    catalog.all_policies().join(", ")
                ),
            ));
        }
        s.policy = Some(p.clone());
    }
    let replications = over.replications.unwrap_or(sref.replications);
    if !(1..=MAX_REPLICATIONS).contains(&replications) {
        return Err(at(
            "replications",
            0,
            format!("replications must be between 1 and {MAX_REPLICATIONS}, got {replications}"),
        ));
    }
    let duration_s = over.duration_s.or(sref.duration_s).unwrap_or(s.duration_s);
    if !(duration_s.is_finite() && duration_s > 0.0 && duration_s <= scenario::MAX_DURATION_S) {
        return Err(at(
            "duration_s",
            0,
            format!("duration_s must be > 0 and at most 100 years, got {duration_s}"),
        ));
    }
    let warmup_s = sref.warmup_s.unwrap_or(s.warmup_s).min(duration_s / 2.0);
    if !(warmup_s.is_finite() && warmup_s >= 0.0) {
        return Err(at(
            "warmup_s",
            0,
            format!("warmup_s must be ≥ 0, got {warmup_s}"),
        ));
    }
    let seed = over.seed.or(sref.seed).unwrap_or(s.seed);
    // The hypothesis: known metrics, one bound at least.
    if exp.hypothesis.is_empty() {
        return Err(at(
            "hypothesis",
            0,
            "the hypothesis has no probes; give at least one, e.g. (metric: \"blocking_probability\", at_most: 0.01)".into(),
        ));
    }
    if exp.hypothesis.len() > MAX_PROBES {
        return Err(at(
            "hypothesis",
            0,
            format!(
                "{} probes; at most {MAX_PROBES} are allowed",
                exp.hypothesis.len()
            ),
        ));
    }
    let sim = s
        .simulation(Some(seed), None)
        .map_err(|e| ScenarioError::new(origin, e.to_string()))?;
    let known = sim.world().metrics();
    drop(sim);
    for (i, probe) in exp.hypothesis.iter().enumerate() {
        if !known.contains_key(&probe.metric) {
            let names: Vec<&str> = known.keys().map(String::as_str).collect();
            return Err(at(
                "metric",
                i,
                format!(
                    "the {kind} world reports no metric `{}`; it reports: {}",
                    probe.metric,
                    names.join(", ")
                ),
            ));
        }
        if probe.at_most.is_none() && probe.at_least.is_none() && probe.within.is_none() {
            return Err(at(
                "metric",
                i,
                format!(
                    "the probe on `{}` has no bound; give at_most, at_least or within",
                    probe.metric
                ),
            ));
        }
        for v in [probe.at_most, probe.at_least].into_iter().flatten() {
            if !v.is_finite() {
                return Err(at(
                    "metric",
                    i,
                    format!("a bound must be a finite number, got {v}"),
                ));
            }
        }
        if let Some(w) = probe.within
            && !(w.is_finite() && w >= 0.0)
        {
            return Err(at(
                "within",
                0,
                format!("within must be ≥ 0 (a relative band), got {w}"),
            ));
        }
    }
    // The method, against the world's catalog.
    if exp.method.len() > MAX_METHOD {
        return Err(at(
            "method",
            0,
            format!("{} method entries; at most {MAX_METHOD}", exp.method.len()),
        ));
    }
    let method_at = scenario::locate_field(text, "method").unwrap_or(Pos { line: 1, col: 1 });
    let anchors: Vec<Pos> = field_positions(text, "at_s")
        .into_iter()
        .filter(|p| (p.line, p.col) > (method_at.line, method_at.col))
        .collect();
    for (i, entry) in exp.method.iter().enumerate() {
        let here = |msg: String| match anchors.get(i) {
            Some(p) => ScenarioError::at(origin, text, *p, msg),
            None => ScenarioError::new(origin, msg),
        };
        let t = entry.at_s();
        if !(t.is_finite() && (0.0..=scenario::MAX_DURATION_S).contains(&t)) {
            return Err(here(format!(
                "at_s must be between 0 and 100 years, got {t}"
            )));
        }
        let cmd = match entry {
            TimelineEntry::Caption { .. } => None,
            TimelineEntry::Fault { fault, .. } => {
                fault.kind.validate().map_err(|e| here(e.to_string()))?;
                if let Some(d) = fault.duration_s
                    && !(d.is_finite() && d >= 0.0)
                {
                    return Err(here(format!("a fault's duration_s must be ≥ 0, got {d}")));
                }
                Some(Command::InjectFault {
                    id: 0,
                    fault: fault.clone(),
                })
            }
            TimelineEntry::Policy { name, .. } => Some(Command::SetPolicy(name.clone())),
            TimelineEntry::Clear { fault, .. } => Some(match fault {
                Some(id) => Command::ClearFault(*id),
                None => Command::ClearFaults,
            }),
            TimelineEntry::Toggle { name, on, .. } => Some(Command::Toggle {
                name: name.clone(),
                on: *on,
            }),
            TimelineEntry::ScaleArrivals { factor, .. } => {
                if !(factor.is_finite() && *factor >= 0.0 && *factor <= 1000.0) {
                    return Err(here(format!(
                        "factor must be between 0 and 1000, got {factor}"
                    )));
                }
                None
            }
        };
        if let Some(c) = cmd {
            catalog
                .check(&c)
                .map_err(|e| here(format!("the {kind} world refuses this: {e}")))?;
        }
    }
    // The blast radius.
    if !exp.blast_radius.is_empty() {
        let here = |msg: String| at("blast_radius", 0, msg);
        if !SCOPABLE_WORLDS.contains(&kind) {
            return Err(here(format!(
                "the {kind} world cannot scope a fault to a share of its traffic; worlds that can: {}",
                SCOPABLE_WORLDS.join(", ")
            )));
        }
        if exp.blast_radius.len() > MAX_STAGES {
            return Err(here(format!("at most {MAX_STAGES} stages")));
        }
        let mut prev = 0.0;
        for &st in &exp.blast_radius {
            if !(st.is_finite() && st > 0.0) {
                return Err(here(format!("a stage must be a share above 0, got {st}")));
            }
            if st > MAX_SHARE {
                return Err(here(format!(
                    "a stage of {st} is above {MAX_SHARE}: a blast radius never covers more than half the traffic"
                )));
            }
            if st <= prev {
                return Err(here(format!("stages must widen: {st} comes after {prev}")));
            }
            prev = st;
        }
        let faults: Vec<&Fault> = exp
            .method
            .iter()
            .filter_map(|e| match e {
                TimelineEntry::Fault { fault, .. } => Some(fault),
                _ => None,
            })
            .collect();
        if faults.is_empty() {
            return Err(here(
                "a blast radius needs faults in the method to scope".into(),
            ));
        }
        if let Some(f) = faults.iter().find(|f| f.target != "all") {
            return Err(here(format!(
                "a scoped fault hits a share of every unit: its target must be `all`, not `{}`",
                f.target
            )));
        }
        if let Some(f) = faults
            .iter()
            .find(|f| unit_targets(&s, f.kind.name()).is_empty())
        {
            return Err(here(format!(
                "no unit of the {kind} world takes a `{}` fault, so it cannot be scoped",
                f.kind.name()
            )));
        }
    }
    // The monkey.
    let kills = match &exp.monkey {
        None => Vec::new(),
        Some(m) => {
            let here = |field: &str, msg: String| at(field, 0, msg);
            if !(m.every_s.is_finite() && m.every_s > 0.0) {
                return Err(here(
                    "every_s",
                    format!("every_s must be > 0, got {}", m.every_s),
                ));
            }
            if !(m.restart_after_s.is_finite() && m.restart_after_s >= 0.0) {
                return Err(here(
                    "restart_after_s",
                    format!("restart_after_s must be ≥ 0, got {}", m.restart_after_s),
                ));
            }
            if duration_s / m.every_s > MAX_KILLS as f64 {
                return Err(here(
                    "every_s",
                    format!(
                        "the monkey would act {} times; at most {MAX_KILLS}",
                        (duration_s / m.every_s) as u64
                    ),
                ));
            }
            let from = scenario::parse_clock(&m.from).ok_or_else(|| {
                here(
                    "from",
                    format!("from must be HH:MM or HH:MM:SS, got `{}`", m.from),
                )
            })?;
            let until = scenario::parse_clock(&m.until).ok_or_else(|| {
                here(
                    "until",
                    format!("until must be HH:MM or HH:MM:SS, got `{}`", m.until),
                )
            })?;
            let Some(origin_s) = s.clock_origin_s() else {
                return Err(here(
                    "monkey",
                    format!(
                        "business hours need a story clock, and scenario `{}` has no clock_start",
                        s.name
                    ),
                ));
            };
            let targets = unit_targets(&s, "kill");
            for x in &m.exclude {
                if !targets.contains(x) && x != "all" {
                    return Err(here(
                        "exclude",
                        format!(
                            "`{x}` is not a target the monkey could kill; targets: {}",
                            crate::fault::catalog::summarise(
                                &targets.iter().map(String::as_str).collect::<Vec<_>>()
                            )
                        ),
                    ));
                }
            }
            let eligible: Vec<String> = targets
                .into_iter()
                .filter(|t| !m.exclude.contains(t))
                .collect();
            if eligible.is_empty() {
                return Err(here(
                    "exclude",
                    "every target is excluded: the monkey has nothing to kill".into(),
                ));
            }
            monkey_kills(m, &eligible, origin_s, from, until, duration_s, seed)
        }
    };
    Ok(Ready {
        origin: origin.to_string(),
        experiment: exp,
        scenario: s,
        seed,
        duration_s,
        warmup_s,
        replications,
        kills,
        max_events: over.max_events.unwrap_or(crate::work::MAX_EVENTS),
    })
}

/// The world's targets, other than `all`, that accept `kind`.
fn unit_targets(s: &Scenario, kind: &str) -> Vec<String> {
    s.world
        .catalog()
        .faults
        .targets
        .iter()
        .filter(|t| t.name != "all" && t.kinds.iter().any(|k| k == kind))
        .map(|t| t.name.clone())
        .collect()
}

fn clock_text(s: u32) -> String {
    let s = s % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The monkey's kills: at every `every_s` whose story-clock time is in
/// `[from, until)` (a window may wrap past midnight), one target drawn
/// from `eligible` by the stream `monkey`.
#[must_use]
pub fn monkey_kills(
    m: &Monkey,
    eligible: &[String],
    clock_origin_s: u32,
    from: u32,
    until: u32,
    duration_s: f64,
    seed: u64,
) -> Vec<Kill> {
    let mut rng = stream(seed, "monkey");
    let mut out = Vec::new();
    let mut k = 1u64;
    loop {
        let t = k as f64 * m.every_s;
        if t >= duration_s || out.len() >= MAX_KILLS {
            break;
        }
        k += 1;
        let clock = (u64::from(clock_origin_s) + t as u64) % 86_400;
        let clock = clock as u32;
        let inside = if from <= until {
            (from..until).contains(&clock)
        } else {
            clock >= from || clock < until
        };
        if !inside {
            continue;
        }
        let i = (crate::sim::blocks::uniform(&mut rng) * eligible.len() as f64) as usize;
        out.push(Kill {
            at_s: t,
            clock: clock_text(clock),
            target: eligible[i.min(eligible.len() - 1)].clone(),
        });
    }
    out
}

/// The units a fault scoped to `share` hits: the first `⌈share·n⌉` of the
/// world's units in an order drawn once from the stream `blast-radius`,
/// so that every stage's group holds the previous stage's.
#[must_use]
pub fn scoped_units(units: &[String], share: f64, seed: u64) -> Vec<String> {
    let mut order: Vec<String> = units.to_vec();
    order.shuffle(&mut stream(seed, "blast-radius"));
    let n = ((share * units.len() as f64) - 1e-9).ceil().max(1.0) as usize;
    order.truncate(n.min(units.len()));
    order
}

/// Mean and 95 % half-width of a metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stat {
    pub mean: Option<f64>,
    pub ci95: Option<f64>,
}

fn stat(values: &[f64]) -> Stat {
    let ms: Vec<Metrics> = values
        .iter()
        .map(|v| [("x".to_string(), *v)].into())
        .collect();
    let (m, c) = report::aggregate(&ms.iter().collect::<Vec<_>>());
    let f = |v: Option<&f64>| v.copied().filter(|x| !x.is_nan());
    Stat {
        mean: f(m.get("x")),
        ci95: f(c.get("x")),
    }
}

/// One probe's figures at one stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProbeResult {
    pub metric: String,
    pub bound: String,
    pub control: Stat,
    pub treatment: Stat,
    /// Treatment − control, replication by replication.
    pub difference: Stat,
    pub control_held: bool,
    pub treatment_held: bool,
    pub held: bool,
}

/// One stage (the whole treatment when there is no blast radius).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    /// Share of the units the faults hit (`None`: the method as written).
    pub share: Option<f64>,
    /// The units hit, for a scoped stage.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    pub probes: Vec<ProbeResult>,
    pub held: bool,
    /// Each treatment replication's probe values, in probe order.
    pub treatment_raw: Vec<Vec<Option<f64>>>,
}

/// The journal of an experiment: everything it did and found.
#[derive(Clone, Debug, Serialize)]
pub struct Journal {
    pub file: String,
    pub experiment: Experiment,
    pub world: String,
    pub seed: u64,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub replications: u32,
    pub versions: Versions,
    pub monkey_kills: Vec<Kill>,
    /// Each control replication's probe values, in probe order.
    pub control_raw: Vec<Vec<Option<f64>>>,
    pub stages: Vec<Stage>,
    /// The widest share run (`None` without a blast radius).
    pub stage_reached: Option<f64>,
    pub held: bool,
    /// Share of the probes that held at the last stage run (Litmus-style).
    pub resilience_score: f64,
    pub events_processed: u64,
    pub wall_s: f64,
}

fn run_group(r: &Ready, s: &Scenario, seeds: &[u64]) -> Result<Vec<Replication>, RunError> {
    seeds
        .par_iter()
        .map(|&seed| report::run_replication(s, seed, None, r.duration_s, r.warmup_s, r.max_events))
        .collect()
}

fn probe_values(probes: &[Probe], runs: &[Replication]) -> Vec<Vec<Option<f64>>> {
    runs.iter()
        .map(|r| {
            probes
                .iter()
                .map(|p| r.metrics.get(&p.metric).copied().filter(|v| !v.is_nan()))
                .collect()
        })
        .collect()
}

/// What the experiment will cost, before any run starts: control once, and
/// a treatment per blast-radius stage (each at most the whole method and
/// the monkey's kills), against the caps a headless run is held to.
fn check_work(r: &Ready) -> Result<(), crate::work::WorkError> {
    let exp = &r.experiment;
    let mut treated = r.scenario.clone();
    treated.timeline.extend(exp.method.iter().cloned());
    let stages = u32::try_from(exp.blast_radius.len().max(1)).unwrap_or(u32::MAX);
    let estimate = |s: &Scenario| crate::work::estimate_scenario(s, r.duration_s);
    crate::work::check_batch(
        crate::work::Batch::Experiment,
        &[
            (estimate(&r.scenario), r.replications),
            (estimate(&treated), r.replications.saturating_mul(stages)),
        ],
        u32::try_from(rayon::current_num_threads()).unwrap_or(u32::MAX),
        r.max_events,
    )
}

/// Runs a checked experiment.
pub fn run(r: &Ready) -> Result<Journal, ExperimentError> {
    let started = Instant::now();
    let exp = &r.experiment;
    check_work(r)?;
    let reps = u64::from(r.replications);
    let control_seeds: Vec<u64> = (0..reps).map(|i| replication_seed(r.seed, i)).collect();
    let treatment_seeds: Vec<u64> = if exp.common_random_numbers {
        control_seeds.clone()
    } else {
        (reps..2 * reps)
            .map(|i| replication_seed(r.seed, i))
            .collect()
    };
    let control = run_group(r, &r.scenario, &control_seeds)?;
    let mut events: u64 = control.iter().map(|o| o.events).sum();
    let control_raw = probe_values(&exp.hypothesis, &control);
    let shares: Vec<Option<f64>> = if exp.blast_radius.is_empty() {
        vec![None]
    } else {
        exp.blast_radius.iter().copied().map(Some).collect()
    };
    let monkey: Vec<TimelineEntry> = r
        .kills
        .iter()
        .map(|k| TimelineEntry::Fault {
            at_s: k.at_s,
            fault: Fault {
                kind: FaultKind::Kill {
                    restart_after_s: exp.monkey.as_ref().map(|m| m.restart_after_s),
                },
                target: k.target.clone(),
                duration_s: None,
            },
        })
        .collect();
    let mut stages = Vec::new();
    for share in shares {
        let mut units = Vec::new();
        let mut method = Vec::new();
        for e in &exp.method {
            match (e, share) {
                (TimelineEntry::Fault { at_s, fault }, Some(sh)) => {
                    let hit =
                        scoped_units(&unit_targets(&r.scenario, fault.kind.name()), sh, r.seed);
                    for u in &hit {
                        method.push(TimelineEntry::Fault {
                            at_s: *at_s,
                            fault: Fault {
                                target: u.clone(),
                                ..fault.clone()
                            },
                        });
                    }
                    if units.is_empty() {
                        units = hit;
                    }
                }
                _ => method.push(e.clone()),
            }
        }
        let mut t = r.scenario.clone();
        t.timeline.extend(method);
        t.timeline.extend(monkey.iter().cloned());
        let treatment = run_group(r, &t, &treatment_seeds)?;
        events += treatment.iter().map(|o| o.events).sum::<u64>();
        let treatment_raw = probe_values(&exp.hypothesis, &treatment);
        let probes: Vec<ProbeResult> = exp
            .hypothesis
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let col = |raw: &[Vec<Option<f64>>]| -> Vec<f64> {
                    raw.iter().map(|v| v[i].unwrap_or(f64::NAN)).collect()
                };
                let (c, tr) = (col(&control_raw), col(&treatment_raw));
                let d: Vec<f64> = tr.iter().zip(&c).map(|(a, b)| a - b).collect();
                let (cs, ts, ds) = (stat(&c), stat(&tr), stat(&d));
                let cm = cs.mean.unwrap_or(f64::NAN);
                let tm = ts.mean.unwrap_or(f64::NAN);
                let control_held = p.absolute_ok(cm);
                let band_ok = p.within.is_none_or(|w| {
                    !tm.is_nan() && !cm.is_nan() && (tm - cm).abs() <= w * cm.abs()
                });
                let treatment_held = p.absolute_ok(tm) && band_ok;
                ProbeResult {
                    metric: p.metric.clone(),
                    bound: p.bound(),
                    control: cs,
                    treatment: ts,
                    difference: ds,
                    control_held,
                    treatment_held,
                    held: control_held && treatment_held,
                }
            })
            .collect();
        let held = probes.iter().all(|p| p.held);
        stages.push(Stage {
            share,
            units,
            probes,
            held,
            treatment_raw,
        });
        if !held {
            break;
        }
    }
    let last = stages.last();
    let held = stages.iter().all(|s| s.held);
    let score = last.map_or(0.0, |s| {
        s.probes.iter().filter(|p| p.held).count() as f64 / s.probes.len().max(1) as f64
    });
    Ok(Journal {
        file: r.origin.clone(),
        experiment: exp.clone(),
        world: r.scenario.world.kind().to_string(),
        seed: r.seed,
        duration_s: r.duration_s,
        warmup_s: r.warmup_s,
        replications: r.replications,
        versions: VERSIONS,
        monkey_kills: r.kills.clone(),
        control_raw,
        stage_reached: last.and_then(|s| s.share),
        stages,
        held,
        resilience_score: score,
        events_processed: events,
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// The journal as JSON.
#[must_use]
pub fn to_json(j: &Journal) -> String {
    let mut s =
        serde_json::to_string_pretty(j).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

fn num(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if x == x.trunc() && x.abs() < 1e15 => format!("{x:.0}"),
        Some(x) if x.abs() >= 1000.0 => format!("{x:.1}"),
        Some(x) if x.abs() >= 1.0 => format!("{x:.4}"),
        Some(x) => format!("{x:.6}"),
    }
}

fn pm(s: &Stat) -> String {
    match s.ci95 {
        Some(c) => format!("{} ± {}", num(s.mean), num(Some(c))),
        None => num(s.mean),
    }
}

/// The journal for people.
#[must_use]
pub fn to_table(j: &Journal) -> String {
    let mut out = String::new();
    let e = &j.experiment;
    let _ = writeln!(
        out,
        "experiment {}{}",
        e.name,
        if e.title.is_empty() {
            String::new()
        } else {
            format!(" — {}", e.title)
        }
    );
    let _ = writeln!(
        out,
        "scenario {} (world {}), seed {}, {} replication{}, {} s simulated, warm-up {} s, {}",
        e.scenario.name,
        j.world,
        j.seed,
        j.replications,
        if j.replications == 1 { "" } else { "s" },
        j.duration_s,
        j.warmup_s,
        if e.common_random_numbers {
            "common random numbers (paired by seed)"
        } else {
            "independent seeds"
        }
    );
    if !j.monkey_kills.is_empty() {
        let shown: Vec<String> = j
            .monkey_kills
            .iter()
            .take(8)
            .map(|k| format!("{} {}", k.clock, k.target))
            .collect();
        let _ = writeln!(
            out,
            "chaos monkey: {} kill{}: {}{}",
            j.monkey_kills.len(),
            if j.monkey_kills.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if j.monkey_kills.len() > 8 {
                ", …"
            } else {
                ""
            }
        );
    }
    for (i, s) in j.stages.iter().enumerate() {
        let _ = writeln!(out);
        if let Some(sh) = s.share {
            let shown: Vec<&str> = s.units.iter().take(5).map(String::as_str).collect();
            let _ = writeln!(
                out,
                "stage {} of {}: faults on {} % of the units ({}: {}{})",
                i + 1,
                e.blast_radius.len(),
                sh * 100.0,
                s.units.len(),
                shown.join(", "),
                if s.units.len() > 5 { ", …" } else { "" }
            );
        } else {
            let what = match (e.method.is_empty(), e.monkey.is_some()) {
                (true, true) => "the chaos monkey's kills",
                (false, true) => "the method as written, and the chaos monkey's kills",
                _ => "the method as written",
            };
            let _ = writeln!(out, "treatment: {what}");
        }
        let w = s
            .probes
            .iter()
            .map(|p| p.metric.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let bw = s
            .probes
            .iter()
            .map(|p| p.bound.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "  {:<w$}  {:<bw$}  {:>24}  {:>24}  {:>26}  verdict",
            "probe", "bound", "control", "treatment", "difference (paired)"
        );
        for p in &s.probes {
            let verdict = if p.held {
                "held"
            } else if !p.control_held {
                "DEVIATED (control)"
            } else {
                "DEVIATED"
            };
            let _ = writeln!(
                out,
                "  {:<w$}  {:<bw$}  {:>24}  {:>24}  {:>26}  {verdict}",
                p.metric,
                p.bound,
                pm(&p.control),
                pm(&p.treatment),
                pm(&p.difference),
            );
        }
    }
    let _ = writeln!(out);
    let stage = j
        .stage_reached
        .map(|s| format!("; stage reached {s}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "hypothesis {}{stage}; resilience score {:.0} %",
        if j.held { "HELD" } else { "DEVIATED" },
        j.resilience_score * 100.0
    );
    let _ = writeln!(
        out,
        "{} events in {:.2} s wall; rand {}, rand_distr {}, rand_chacha {}, chaoswala {}",
        j.events_processed,
        j.wall_s,
        j.versions.rand,
        j.versions.rand_distr,
        j.versions.rand_chacha,
        j.versions.chaoswala
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_groups_are_nested_across_stages() {
        let units: Vec<String> = (1..=100).map(|i| format!("server-{i}")).collect();
        let a = scoped_units(&units, 0.01, 7);
        let b = scoped_units(&units, 0.05, 7);
        let c = scoped_units(&units, 0.20, 7);
        assert_eq!((a.len(), b.len(), c.len()), (1, 5, 20));
        assert!(b.starts_with(&a) && c.starts_with(&b));
    }
}
