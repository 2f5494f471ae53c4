//! Compare in the dashboard (`v`, or `tui SCENARIO --compare POLICY`): a
//! second copy of the world on the same seed, run with another policy
//! beside the one on screen.
//!
//! The left side is the dashboard's own session; the right side is a
//! [`Side`] kept here. Both start at 00:00 on the same seed, so they see
//! the same arrivals (common random numbers). Every change made from the
//! keyboard (a fault with its target, a clear, a rate change, a switch, a
//! restart) is kept with its simulated instant and made on the right at
//! that same instant; a policy switch (`p`) stays on the left, which is
//! "the current policy". Opened in the middle of a session, the right side
//! starts at 00:00 and catches up, making the changes made so far on its
//! way.
//!
//! Time moves in lockstep: a tick first brings the right side up to the
//! left's instant, then moves the left on and the right after it, sharing
//! the tick's work budget. When two copies cannot keep up with real time,
//! the strip says so (see [`behind_advice`]) instead of falling behind
//! silently.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::compare::{Better, Headline, headlines};
use crate::fault::Fault;
use crate::sim::{Command, Metrics, SimTime, Simulation, Snapshot};

use super::app::{App, Budget, run_budgeted};

/// A change made on the left, to be made on the right at the same instant.
#[derive(Clone, Debug, PartialEq)]
pub enum Mirror {
    Command(Command),
    Fault(Fault),
}

/// Real time opening compare may spend bringing the right side up to the
/// left's instant at once (the ticks do the rest).
const OPEN_CATCH_UP_MS: u64 = 200;

/// Most changes kept for opening compare in the middle of a session.
pub const HISTORY_CAPACITY: usize = 10_000;

/// Compare's state in the app: the changes made since the session
/// started, and the right side while compare is open.
#[derive(Default)]
pub struct State {
    history: Vec<(SimTime, Mirror)>,
    /// More than [`HISTORY_CAPACITY`] changes were made.
    history_full: bool,
    pub side: Option<Side>,
}

/// The right side: the same world on the same seed, another policy.
pub struct Side {
    pub policy: String,
    pub sim: Simulation,
    pub snapshot: Snapshot,
    /// Both sides' metrics, as of the last refresh.
    pub left_metrics: Metrics,
    pub right_metrics: Metrics,
    /// Changes the right side has still to make, oldest first.
    pending: VecDeque<(SimTime, Mirror)>,
    stale: bool,
    /// The last change the right side refused, in words.
    pub refused: Option<String>,
}

impl Side {
    /// Makes one change on the right side.
    fn make(&mut self, m: Mirror) {
        let result = match m {
            Mirror::Command(c) => self.sim.apply(c),
            Mirror::Fault(f) => self.sim.inject(f).map(|_| ()),
        };
        if let Err(e) = result {
            self.refused = Some(format!("right side refused: {e}"));
        }
        self.stale = true;
    }

    /// Runs the right side up to `until`, making the pending changes at
    /// their instants on the way, within `budget`; returns the events
    /// handled and whether `until` was reached.
    fn catch_up(&mut self, until: SimTime, budget: Budget) -> (u64, bool) {
        let began = Instant::now();
        let mut done = 0;
        loop {
            let next = self
                .pending
                .front()
                .map(|(t, _)| *t)
                .filter(|t| *t <= until);
            let goal = next.unwrap_or(until);
            if self.sim.now() < goal {
                let b = Budget {
                    max_events: budget.max_events.saturating_sub(done),
                    max_wall: budget.max_wall.saturating_sub(began.elapsed()),
                };
                let (n, reached) = run_budgeted(&mut self.sim, goal, b);
                done += n;
                self.stale = true;
                if !reached {
                    return (done, false);
                }
            }
            if next.is_none() {
                return (done, true);
            }
            if let Some((_, m)) = self.pending.pop_front() {
                self.make(m);
            }
        }
    }

    /// How far the right side trails the left one.
    #[must_use]
    pub fn lag(&self, left: &Simulation) -> SimTime {
        left.now().saturating_sub(self.sim.now())
    }

    fn refresh(&mut self, left: &Simulation) {
        self.snapshot = self.sim.snapshot();
        self.right_metrics = self.sim.world().metrics();
        self.left_metrics = left.world().metrics();
        self.stale = false;
    }

    /// The difference rows for the world of kind `kind`, as of the last
    /// refresh.
    #[must_use]
    pub fn rows(&self, kind: &str) -> Vec<Row> {
        rows_of(kind, &self.left_metrics, &self.right_metrics)
    }
}

/// The rows of the world's [`headlines`] that both sides report.
#[must_use]
pub fn rows_of(kind: &str, left: &Metrics, right: &Metrics) -> Vec<Row> {
    headlines(kind)
        .iter()
        .filter_map(|h| Some(Row::new(*h, *left.get(h.key)?, *right.get(h.key)?)))
        .collect()
}

/// `+312`, `−0.52`, `0`: a difference with a sign the eye can read.
#[must_use]
pub fn signed(v: f64) -> String {
    if v.is_nan() {
        return "—".to_string();
    }
    let text = crate::numbers::count_or_num(v.abs());
    if v == 0.0 || text.trim_matches(['0', '.', ' ']).is_empty() {
        text
    } else if v < 0.0 {
        format!("−{text}")
    } else {
        format!("+{text}")
    }
}

/// One row of the difference strip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    pub headline: Headline,
    pub left: f64,
    pub right: f64,
}

/// Which side a row favours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    LeftBetter,
    RightBetter,
    Same,
    /// One side has no value yet.
    Unknown,
}

impl Verdict {
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Verdict::LeftBetter => "(left better)",
            Verdict::RightBetter => "(right better)",
            Verdict::Same => "(same)",
            Verdict::Unknown => "",
        }
    }
}

impl Row {
    #[must_use]
    pub fn new(headline: Headline, left: f64, right: f64) -> Row {
        Row {
            headline,
            left,
            right,
        }
    }

    /// `left − right`.
    #[must_use]
    pub fn difference(&self) -> f64 {
        self.left - self.right
    }

    /// Which side is better on this row, as the world's table says which
    /// direction is.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        let d = self.difference();
        if d.is_nan() {
            return Verdict::Unknown;
        }
        let scale = self.left.abs().max(self.right.abs());
        if d == 0.0 || d.abs() <= 1e-9 * scale {
            return Verdict::Same;
        }
        let left_lower = d < 0.0;
        match (self.headline.better, left_lower) {
            (Better::Lower, true) | (Better::Higher, false) => Verdict::LeftBetter,
            _ => Verdict::RightBetter,
        }
    }
}

/// What to try when two copies cannot keep up, per world kind.
const BEHIND_ADVICE: &[(&str, &str)] = &[("tatkal", "try --set scale=0.1")];

/// The advice shown when compare is behind in a world of kind `kind`.
#[must_use]
pub fn behind_advice(kind: &str) -> &'static str {
    BEHIND_ADVICE
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("try a lower speed (-)", |(_, a)| a)
}

impl State {
    /// Whether compare is open.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.side.is_some()
    }

    /// Keeps a change the left side just made at `at` and makes it on the
    /// right (now, when the right side stands at `at`; else when it gets
    /// there). A policy switch stays on the left.
    pub fn record(&mut self, at: SimTime, m: Mirror, left: &Simulation) {
        let mirrored = !matches!(m, Mirror::Command(Command::SetPolicy(_)));
        if mirrored {
            if self.history.len() < HISTORY_CAPACITY {
                self.history.push((at, m.clone()));
            } else {
                self.history_full = true;
            }
        }
        let Some(side) = &mut self.side else { return };
        if mirrored {
            if side.pending.is_empty() && side.sim.now() >= at {
                side.make(m);
            } else {
                side.pending.push_back((at, m));
            }
        }
        side.refresh(left);
    }

    /// The session started again (a restart), with `kept` made at 00:00:
    /// the history starts again, and so does the right side.
    pub fn restarted(&mut self, kept: &[Command], right: Option<Simulation>) {
        self.history = kept
            .iter()
            .filter(|c| !matches!(c, Command::SetPolicy(_)))
            .map(|c| (SimTime::ZERO, Mirror::Command(c.clone())))
            .collect();
        self.history_full = false;
        match (right, self.side.take()) {
            (Some(sim), Some(old)) => self.open(old.policy, sim),
            _ => self.side = None,
        }
    }

    /// Opens compare with `sim`, a fresh copy of the world running
    /// `policy`: the changes made so far wait for it at their instants.
    fn open(&mut self, policy: String, sim: Simulation) {
        let snapshot = sim.snapshot();
        let right_metrics = sim.world().metrics();
        self.side = Some(Side {
            policy,
            sim,
            snapshot,
            left_metrics: right_metrics.clone(),
            right_metrics,
            pending: self.history.iter().cloned().collect(),
            stale: true,
            refused: None,
        });
    }

    /// Brings the right side to `t` at once, without a budget (tests, demos).
    pub fn advance_to(&mut self, t: SimTime, left: &Simulation) {
        if let Some(side) = &mut self.side {
            let unbounded = Budget {
                max_events: u64::MAX,
                max_wall: Duration::MAX,
            };
            side.catch_up(t, unbounded);
            side.refresh(left);
        }
    }

    /// Brings the right side up to the left's instant within `wall` of
    /// real time; whether it got there.
    pub fn catch_up_within(&mut self, left: &Simulation, wall: Duration) -> bool {
        let Some(side) = &mut self.side else {
            return true;
        };
        let budget = Budget {
            max_events: u64::MAX,
            max_wall: wall,
        };
        let (_, caught) = side.catch_up(left.now(), budget);
        side.refresh(left);
        caught
    }

    /// Brings the numbers up to date before a frame is drawn.
    pub fn prepare(&mut self, left: &Simulation) {
        if let Some(side) = &mut self.side
            && side.stale
        {
            side.refresh(left);
        }
    }
}

/// Moves `left` towards `target` within `budget` and, when compare is
/// open, the right side after it (first up to where the left stands,
/// then with it). Returns the events handled and whether both reached
/// `target`.
pub fn run(
    state: &mut State,
    left: &mut Simulation,
    target: SimTime,
    budget: Budget,
) -> (u64, bool) {
    let Some(side) = &mut state.side else {
        return run_budgeted(left, target, budget);
    };
    let began = Instant::now();
    let rest = |done: u64, share: u32| Budget {
        max_events: budget.max_events.saturating_sub(done) / u64::from(share),
        max_wall: budget.max_wall.saturating_sub(began.elapsed()) / share,
    };
    let (mut done, caught) = side.catch_up(left.now(), budget);
    if !caught {
        return (done, false);
    }
    let (n, reached) = run_budgeted(left, target, rest(done, 2));
    done += n;
    let (m, caught) = side.catch_up(left.now(), rest(done, 1));
    (done + m, reached && caught)
}

impl App {
    /// Compare's lines for the quit summary: the right side's policy and
    /// the differences at the end.
    #[must_use]
    pub fn compare_summary(&self) -> Option<String> {
        let side = self.compare.side.as_ref()?;
        let s = self.session.as_ref()?;
        let rows = rows_of(
            &s.launch.meta.kind,
            &s.sim.world().metrics(),
            &side.sim.world().metrics(),
        );
        let mut out = format!(
            "  compared with policy {} on the same seed, at {} (left − right):\n",
            side.policy,
            self.clock(side.sim.now())
        );
        let w = rows
            .iter()
            .map(|r| r.headline.label.chars().count())
            .max()
            .unwrap_or(0);
        for r in rows {
            let _ = writeln!(
                out,
                "    {:<w$}  {} {}",
                r.headline.label,
                signed(r.difference()),
                r.verdict().words()
            );
        }
        Some(out)
    }

    /// `v`: opens compare with the policy after the current one, or
    /// closes it.
    pub fn toggle_compare(&mut self) {
        if self.compare.side.take().is_some() {
            self.say("compare closed");
            return;
        }
        let Some(s) = &self.session else { return };
        let current = s.sim.world().policy();
        let list = &s.policies;
        if list.len() <= 1 {
            self.say(format!(
                "only one policy in this world ({current}): nothing to compare"
            ));
            return;
        }
        let i = list.iter().position(|p| *p == current).map_or(0, |i| i + 1);
        let next = list[i % list.len()].clone();
        if let Err(e) = self.open_compare(&next) {
            self.say(e);
        }
    }

    /// Opens compare with `policy` on the right.
    pub fn open_compare(&mut self, policy: &str) -> Result<(), String> {
        let Some(s) = &self.session else {
            return Err("no world is open".to_string());
        };
        let catalog = s.sim.world().catalog();
        if !catalog.accepts_policy(policy) {
            let names = catalog.all_policies();
            let mut m = format!(
                "unknown policy `{policy}`; this world offers: {}",
                names.join(", ")
            );
            if let Some(e) = crate::fault::catalog::closest(policy, &names) {
                let _ = write!(m, " (did you mean `{e}`?)");
            }
            return Err(m);
        }
        if self.compare.history_full && s.sim.now() > SimTime::ZERO {
            return Err(format!(
                "more than {HISTORY_CAPACITY} changes to replay: restart (r), then compare"
            ));
        }
        let seed = s.launch.meta.seed;
        let sim = s.launch.build_with_policy(seed, policy)?;
        let current = s.sim.world().policy();
        self.compare.open(policy.to_string(), sim);
        let caught = self.session.as_ref().is_none_or(|s| {
            self.compare
                .catch_up_within(&s.sim, Duration::from_millis(OPEN_CATCH_UP_MS))
        });
        let catching_up = if caught {
            ""
        } else {
            " · the right side catches up from 00:00 while it runs"
        };
        self.say(format!(
            "compare: left {current} · right {policy} · same seed {seed}, every change on both{catching_up} (v closes)"
        ));
        Ok(())
    }
}
