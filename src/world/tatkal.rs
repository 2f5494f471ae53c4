//! IRCTC Tatkal, 10:00 sharp: up to 12 million people want one of a few
//! hundred thousand Tatkal seats, and the booking engines can serve only
//! so many at once.
//!
//! Users are agents (compact per-user arrays, `u32` indices). They arrive
//! on a curve around the opening (a trickle from 09:45, a burst at 10:00, a
//! decay), pick a train by popularity (Zipf), and walk the booking
//! pipeline — sequential (availability 2 s, verify user 1 s, payment 3 s,
//! confirm 1 s) or parallel (availability ‖ verify ‖ prepare payment, then
//! payment 2 s, confirm 0.5 s) — one request per step to a pool of booking
//! engines chosen by a shared balancing policy.
//!
//! An engine has a knee: beyond `engine_knee` concurrent requests each one
//! slows down (thrashing: service time × 1 + thrash·(busy − knee)/knee), so
//! throughput *falls* as load grows. Past `engine_slots` requests wait in a
//! backlog; past the backlog they are refused. An engine saturated with a
//! backlog for `crash_after_s` crashes, dropping everything it held, and
//! restarts after `restart_s`. Users wait `timeout_s` for a page, then
//! refresh (retry with backoff) — the engine still does the abandoned work
//! (counted as `duplicates`) — and give up when their patience or retries
//! run out. Nothing in the model names a target success rate: the outcomes
//! come from these capacities, times and behaviours.
//!
//! The engines are shared blocks: each is a
//! [`Station`](crate::sim::blocks::station::Station) run by its caller
//! (slots, backlog, the thrashing knee as a degrading service model, the
//! EWMAs a balancer reads, crashes as a whole), behind a
//! [`Fleet`](crate::sim::blocks::fleet::Fleet) whose router is the shared
//! balancer. Tatkal draws each step's service time itself, because it
//! depends on the step, the cold cache and the database and payment
//! gateway behind the engine; the station hands it the load the job
//! starts under.
//!
//! The 2024 redesign is a set of switches: a virtual waiting room (join
//! from 09:45, admitted at the rate the engines can serve — planned from
//! their knees, or adapted to their measured load — and shown a position
//! and a Little's-law ETA = position / admission rate, where the position
//! counts only those ahead whose trains still have seats: the room knows
//! the inventory, and tells everyone waiting for a train the moment it
//! sells out), risk-based CAPTCHA instead of CAPTCHA at every step, the
//! parallel pipeline, capacity pre-scaled from predicted demand × 1.3, and
//! pre-warmed caches. Every admitted user's measured wait is compared with
//! the ETA they were shown (`median_eta_error_s`). People bear a known
//! wait longer than an uncertain one: in the room, patience ×
//! `informed_patience_factor`; those whose ETA exceeds it leave at once.
//!
//! **Outcomes.** Every user ends in exactly one of: booked, sold out (their
//! train had no seats left when they asked, or every train was gone),
//! abandoned (patience or retries ran out, or the ETA shown was longer than
//! they would wait), blocked (a bot stopped by a risk-based challenge) — or
//! is still in the system. `success_rate` is the episode's: humans'
//! booking attempts (login sessions) that ended with a ticket, among those
//! begun while their train still had seats; an attempt that finds the
//! train sold out on the way, is given up, or fails in the background
//! counts against it. The earlier figure, humans booked / humans who
//! booked or gave up, is `humans_booked_of_tried`.
//!
//! **Background failures**, in both systems: a payment declined
//! (`payment_decline`), an OTP that expires (`otp_timeout`), a human's
//! mistake in the passenger form (`user_mistake`) and a login session
//! that expires (`session_timeout_s`) each end the attempt; the user starts
//! a new one after `restart_attempt_s` while patience lasts. The waiting
//! room holds a seat of their train for each user it admits while they
//! book; those who reach the front while every seat left is held wait
//! there for a hold to be released (or are told the train sold out). The
//! old CAPTCHA at every step blocks no one: a wrong answer brings another.
//!
//! **Policies (`p` key, `--policy`)**: the waiting room's admission order —
//! `fifo`, `random` (everyone who joined before 10:00 is shuffled at 10:00,
//! FIFO after) and `none` (the room opens its doors at 10:00 and lets
//! everyone through: the thundering herd). The balancing policy across
//! engines is the parameter `balancing` (`round-robin`, `least-loaded`,
//! `power-of-two`, `health-aware`, …); `SetPolicy` accepts those names too.
//!
//! **Switches**: `waiting_room`, `parallel_pipeline`, `prewarm_cache`,
//! `risk_captcha` (off = CAPTCHA at every step), `adaptive_admission`.
//!
//! **Faults**: `Kill`, `Slowdown`, `Latency`, `CapacityDrop`, `ErrorRate`,
//! `Partition`, `Blackhole` on `engine-1`…`engine-N` or `all`; `Latency` /
//! `Slowdown` / `ErrorRate` on `payment`; `Latency` / `Slowdown` on `db`;
//! `World { name: "bot-wave", strength: N }`: N times the bots while it lasts.
//!
//! The event queue is a millisecond timing wheel ([`wheel`]): users whose
//! only action is to wait sit in the waiting room's `VecDeque<u32>` and
//! cost nothing until their turn; the full 12-million rush runs headless in
//! seconds (see `benches/tatkal.rs`).

mod arrivals;
pub mod catalog;
mod model;
pub mod queue;
pub mod wheel;

use serde::{Deserialize, Serialize};

pub use arrivals::ArrivalCurve;
pub use model::{Audit, Ev, Tatkal};
pub use queue::TatkalQueue;

use crate::policy::Policy;
use crate::sim::{Command, EventLog, World};
use crate::world::ParamIssue;

/// How many booking engines there are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Capacity {
    /// A fixed fleet.
    Fixed { engines: u32 },
    /// Pre-scaled from predicted demand: enough engines, at their knee, to
    /// serve the predicted bookings (at most one per seat) within
    /// `serve_within_s`, times `headroom` (the episode's 1.3).
    PreScaled {
        /// Predicted users (default: `users`).
        #[serde(default)]
        predicted_users: Option<u64>,
        #[serde(default = "d_headroom")]
        headroom: f64,
        #[serde(default = "d_serve_within")]
        serve_within_s: f64,
    },
}

fn d_headroom() -> f64 {
    1.3
}
fn d_serve_within() -> f64 {
    300.0
}

/// How fast the waiting room admits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AdmissionRate {
    /// The engines' planned throughput at their knee: Σ knee / (engine
    /// seconds per booking), recomputed when engines go down or come back.
    Planned,
    /// A fixed number of admissions per second.
    Fixed { per_s: f64 },
    /// Starts at the planned rate, then follows the measured engine load
    /// (in flight / knee) every sample: + 2 % of the plan per second while
    /// under `target_load` with people waiting, × target / load (at least
    /// × 0.7) when over it; between 5 % and 200 % of the plan.
    Adaptive,
}

/// Where CAPTCHAs are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Captcha {
    /// The old way: before every step, for everyone (and on every refresh).
    EveryStep,
    /// Once per session by risk score: > 0.8 CAPTCHA, > 0.5 a simple
    /// verification, else nothing.
    RiskBased,
    /// No challenge at all.
    Off,
}

/// A Beta(alpha, beta) distribution of bot-risk scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskScores {
    pub alpha: f64,
    pub beta: f64,
}

/// Parameters of the Tatkal world (RON names are the CLI `--set` keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TatkalParams {
    /// Everyone who will try (humans and bots).
    #[serde(default = "d_users")]
    pub users: u64,
    /// Runs a smaller copy of the story: users, seats per train and each
    /// engine's knee, slots and backlog × `scale` (0 < scale ≤ 1), so that
    /// every ratio — and so every rate and outcome share — stays the same.
    /// `--set scale=0.01` gives a dashboard-friendly 120 000 users.
    #[serde(default = "d_scale")]
    pub scale: f64,
    /// Share of `users` that are bots.
    #[serde(default = "d_bot_share")]
    pub bot_share: f64,
    /// Simulated second at which booking opens (10:00 when the run starts at 09:45).
    #[serde(default = "d_opens")]
    pub opens_at_s: f64,
    #[serde(default)]
    pub arrivals: ArrivalCurve,
    #[serde(default = "d_trains")]
    pub trains: u32,
    /// Tatkal seats per train.
    #[serde(default = "d_seats")]
    pub seats_per_train: u32,
    /// Zipf exponent of train popularity (0 = all equally wanted).
    #[serde(default = "d_popularity")]
    pub popularity_exponent: f64,
    #[serde(default = "d_capacity")]
    pub capacity: Capacity,
    /// Concurrent requests an engine serves at full speed.
    #[serde(default = "d_knee")]
    pub engine_knee: u32,
    /// Most concurrent requests an engine works on (threads).
    #[serde(default = "d_slots")]
    pub engine_slots: u32,
    /// Requests an engine queues beyond its slots before refusing.
    #[serde(default = "d_backlog")]
    pub engine_backlog: u32,
    /// Slowdown per knee's worth of excess concurrency.
    #[serde(default = "d_thrash")]
    pub thrash: f64,
    /// Saturated (all slots busy, backlog non-empty) this long: crash
    /// (each engine's endurance is this × 0.5–1.5, drawn per life).
    #[serde(default = "d_crash_after")]
    pub crash_after_s: f64,
    /// A crashed engine restarts after this long (× 0.5–1.5).
    #[serde(default = "d_restart")]
    pub restart_s: f64,
    /// Balancing across engines (a shared policy name).
    #[serde(default = "d_balancing")]
    pub balancing: String,
    #[serde(default = "d_true")]
    pub waiting_room: bool,
    /// Admission order: `fifo`, `random` or `none`.
    #[serde(default = "d_admission")]
    pub admission: String,
    #[serde(default = "d_admission_rate")]
    pub admission_rate: AdmissionRate,
    /// Load (in flight / knee) the adaptive rate aims at.
    #[serde(default = "d_target_load")]
    pub target_load: f64,
    #[serde(default = "d_true")]
    pub parallel_pipeline: bool,
    #[serde(default = "d_captcha")]
    pub captcha: Captcha,
    #[serde(default = "d_true")]
    pub prewarm_cache: bool,
    /// Availability check cost × this with a cold cache, decaying as it warms.
    #[serde(default = "d_cold")]
    pub cold_cache_factor: f64,
    /// Time constant of the cache warming up after the opening.
    #[serde(default = "d_warmup")]
    pub cache_warmup_s: f64,
    /// How long a user waits for a page before refreshing.
    #[serde(default = "d_timeout")]
    pub timeout_s: f64,
    /// Human time between steps (reading, filling in passengers).
    #[serde(default = "d_think")]
    pub think_s: f64,
    #[serde(default = "d_bot_think")]
    pub bot_think_s: f64,
    /// Human time to solve a CAPTCHA, and the chance of getting it wrong.
    #[serde(default = "d_captcha_s")]
    pub captcha_s: f64,
    #[serde(default = "d_captcha_fail")]
    pub captcha_fail: f64,
    /// Human time for the simple verification.
    #[serde(default = "d_verify_s")]
    pub verify_s: f64,
    /// Chance a bot passes a CAPTCHA / the simple verification.
    #[serde(default = "d_bot_captcha")]
    pub bot_captcha_pass: f64,
    #[serde(default = "d_bot_verify")]
    pub bot_verify_pass: f64,
    #[serde(default = "d_human_risk")]
    pub human_risk: RiskScores,
    #[serde(default = "d_bot_risk")]
    pub bot_risk: RiskScores,
    /// Median of the time a human will spend from 10:00 (or arrival) before
    /// giving up (lognormal with `patience_sigma`).
    #[serde(default = "d_patience")]
    pub patience_median_s: f64,
    #[serde(default = "d_patience_sigma")]
    pub patience_sigma: f64,
    /// Patience × this while the wait is known (position and ETA shown):
    /// a known, finite wait is borne longer than an uncertain one.
    #[serde(default = "d_informed")]
    pub informed_patience_factor: f64,
    /// Refreshes a human makes before giving up.
    #[serde(default = "d_max_retries")]
    pub max_retries: u32,
    #[serde(default = "d_bot_retries")]
    pub bot_max_retries: u32,
    /// First retry backoff (× 1.5 per retry, up to `backoff_max_s`, ± 50 %).
    #[serde(default = "d_backoff")]
    pub backoff_s: f64,
    #[serde(default = "d_backoff_max")]
    pub backoff_max_s: f64,
    #[serde(default = "d_bot_backoff")]
    pub bot_backoff_s: f64,
    /// Chance that a payment is declined by the bank or the UPI/card
    /// network (insufficient funds, wrong PIN, the bank's technical
    /// decline): the booking attempt fails and the user starts again.
    #[serde(default = "d_payment_decline")]
    pub payment_decline: f64,
    /// Chance that the payment's one-time password arrives too late or is
    /// mistyped and the payment page expires: the attempt fails.
    #[serde(default = "d_otp_timeout")]
    pub otp_timeout: f64,
    /// Chance that a human's passenger form is rejected by their own
    /// mistake (name or age not matching the ID, berth choice, a wrong
    /// field): the attempt fails and they fill it in again.
    #[serde(default = "d_user_mistake")]
    pub user_mistake: f64,
    /// The booking session expires this long after a user logged in: an
    /// attempt still unfinished then fails and the user logs in again
    /// (a new attempt).
    #[serde(default = "d_session_timeout")]
    pub session_timeout_s: f64,
    /// Time a user takes to start again after a failed attempt (log in,
    /// fill in the form again).
    #[serde(default = "d_restart_attempt")]
    pub restart_attempt_s: f64,
    /// Seconds between samples of the rolling series.
    #[serde(default = "d_sample")]
    pub sample_every_s: f64,
}

fn d_users() -> u64 {
    12_000_000
}
fn d_scale() -> f64 {
    1.0
}
fn d_bot_share() -> f64 {
    0.1
}
fn d_opens() -> f64 {
    900.0
}
fn d_trains() -> u32 {
    2000
}
fn d_seats() -> u32 {
    600
}
fn d_popularity() -> f64 {
    1.0
}
fn d_capacity() -> Capacity {
    Capacity::PreScaled {
        predicted_users: None,
        headroom: d_headroom(),
        serve_within_s: d_serve_within(),
    }
}
fn d_knee() -> u32 {
    500
}
fn d_slots() -> u32 {
    2000
}
fn d_backlog() -> u32 {
    2000
}
fn d_thrash() -> f64 {
    3.0
}
fn d_crash_after() -> f64 {
    30.0
}
fn d_restart() -> f64 {
    90.0
}
fn d_balancing() -> String {
    "least-loaded".to_string()
}
fn d_true() -> bool {
    true
}
fn d_admission() -> String {
    "fifo".to_string()
}
fn d_admission_rate() -> AdmissionRate {
    AdmissionRate::Adaptive
}
fn d_target_load() -> f64 {
    0.9
}
fn d_captcha() -> Captcha {
    Captcha::RiskBased
}
fn d_cold() -> f64 {
    3.0
}
fn d_warmup() -> f64 {
    120.0
}
fn d_timeout() -> f64 {
    30.0
}
fn d_think() -> f64 {
    5.0
}
fn d_bot_think() -> f64 {
    0.3
}
fn d_captcha_s() -> f64 {
    12.0
}
fn d_captcha_fail() -> f64 {
    0.2
}
fn d_verify_s() -> f64 {
    4.0
}
fn d_bot_captcha() -> f64 {
    0.1
}
fn d_bot_verify() -> f64 {
    0.4
}
fn d_human_risk() -> RiskScores {
    RiskScores {
        alpha: 2.0,
        beta: 8.0,
    }
}
fn d_bot_risk() -> RiskScores {
    RiskScores {
        alpha: 8.0,
        beta: 2.0,
    }
}
fn d_patience() -> f64 {
    600.0
}
fn d_informed() -> f64 {
    2.0
}
fn d_patience_sigma() -> f64 {
    0.5
}
fn d_max_retries() -> u32 {
    10
}
fn d_bot_retries() -> u32 {
    50
}
fn d_backoff() -> f64 {
    5.0
}
fn d_backoff_max() -> f64 {
    60.0
}
fn d_bot_backoff() -> f64 {
    1.0
}
fn d_sample() -> f64 {
    1.0
}
fn d_payment_decline() -> f64 {
    0.05
}
fn d_otp_timeout() -> f64 {
    0.03
}
fn d_user_mistake() -> f64 {
    0.02
}
fn d_session_timeout() -> f64 {
    900.0
}
fn d_restart_attempt() -> f64 {
    30.0
}

impl Default for TatkalParams {
    fn default() -> Self {
        // Every field has a serde default; an empty RON struct is the default.
        ron::from_str("()").unwrap_or_else(|_| unreachable!("all fields have defaults"))
    }
}

/// Caps that keep a shared file from asking for unbounded work or memory.
pub const MAX_USERS: u64 = 50_000_000;
/// Most agents (users plus bot-wave bots) one run ever creates.
pub const MAX_AGENTS: u64 = 60_000_000;
pub const MAX_ENGINES: u32 = 10_000;
pub const MAX_TRAINS: u32 = 65_535;
pub const MAX_SEATS_PER_TRAIN: u32 = 1_000_000;
pub const MAX_SLOTS: u32 = 1_000_000;
pub const MAX_BACKLOG: u32 = 10_000_000;
/// Most requests the whole fleet may hold at once (slots + backlogs).
pub const MAX_FLEET_REQUESTS: u64 = 50_000_000;
/// Longest time parameter (one day).
pub const MAX_TIME_S: f64 = 86_400.0;

/// Admission policies (the world's `p` key), in menu order.
pub const ADMISSION_POLICIES: &[&str] = &["fifo", "random", "none"];

/// The balancing policies offered for the engines.
pub const BALANCING_POLICIES: &[Policy] = &[
    Policy::RoundRobin,
    Policy::LeastLoaded,
    Policy::PowerOfTwo,
    Policy::HealthAware,
    Policy::Random,
    Policy::WeightedRoundRobin,
    Policy::WeightedRandom,
];

impl TatkalParams {
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        let mut out = Vec::new();
        let mut issue = |field: &str, msg: String| out.push(ParamIssue::new(field, msg));
        let time_ok = |v: f64| v.is_finite() && (0.0..=MAX_TIME_S).contains(&v);
        let pos_time = |v: f64| time_ok(v) && v > 0.0;
        let p01 = |v: f64| (0.0..=1.0).contains(&v);
        if self.users > MAX_USERS {
            issue(
                "users",
                format!("users must be at most {MAX_USERS}, got {}", self.users),
            );
        }
        if !(self.scale.is_finite() && self.scale > 0.0 && self.scale <= 1.0) {
            issue(
                "scale",
                format!("scale must be > 0 and ≤ 1, got {}", self.scale),
            );
        }
        if !(0.0..1.0).contains(&self.bot_share) {
            issue(
                "bot_share",
                format!("bot_share must be ≥ 0 and < 1, got {}", self.bot_share),
            );
        }
        if !time_ok(self.opens_at_s) {
            issue(
                "opens_at_s",
                format!(
                    "opens_at_s must be between 0 and {MAX_TIME_S}, got {}",
                    self.opens_at_s
                ),
            );
        }
        let a = &self.arrivals;
        if !(p01(a.pre_open_share) && p01(a.burst_share) && a.pre_open_share + a.burst_share <= 1.0)
        {
            issue(
                "pre_open_share",
                format!(
                    "arrivals: pre_open_share and burst_share must be in 0–1 and sum to at most 1, got {} and {}",
                    a.pre_open_share, a.burst_share
                ),
            );
        }
        if !pos_time(a.burst_s) {
            issue(
                "burst_s",
                format!(
                    "arrivals: burst_s must be > 0 and ≤ {MAX_TIME_S}, got {}",
                    a.burst_s
                ),
            );
        }
        if !pos_time(a.decay_s) {
            issue(
                "decay_s",
                format!(
                    "arrivals: decay_s must be > 0 and ≤ {MAX_TIME_S}, got {}",
                    a.decay_s
                ),
            );
        }
        if self.trains == 0 || self.trains > MAX_TRAINS {
            issue(
                "trains",
                format!(
                    "trains must be between 1 and {MAX_TRAINS}, got {}",
                    self.trains
                ),
            );
        }
        if self.seats_per_train > MAX_SEATS_PER_TRAIN {
            issue(
                "seats_per_train",
                format!(
                    "seats_per_train must be at most {MAX_SEATS_PER_TRAIN}, got {}",
                    self.seats_per_train
                ),
            );
        }
        if !(self.popularity_exponent.is_finite()
            && (0.0..=5.0).contains(&self.popularity_exponent))
        {
            issue(
                "popularity_exponent",
                format!(
                    "popularity_exponent must be between 0 and 5, got {}",
                    self.popularity_exponent
                ),
            );
        }
        match &self.capacity {
            Capacity::Fixed { engines } => {
                if *engines == 0 || *engines > MAX_ENGINES {
                    issue(
                        "engines",
                        format!("engines must be between 1 and {MAX_ENGINES}, got {engines}"),
                    );
                }
            }
            Capacity::PreScaled {
                predicted_users,
                headroom,
                serve_within_s,
            } => {
                if predicted_users.is_some_and(|p| p > MAX_USERS) {
                    issue(
                        "predicted_users",
                        format!("predicted_users must be at most {MAX_USERS}"),
                    );
                }
                if !(headroom.is_finite() && (0.1..=10.0).contains(headroom)) {
                    issue(
                        "headroom",
                        format!("headroom must be between 0.1 and 10, got {headroom}"),
                    );
                }
                if !(pos_time(*serve_within_s) && *serve_within_s >= 1.0) {
                    issue(
                        "serve_within_s",
                        format!(
                            "serve_within_s must be between 1 and {MAX_TIME_S}, got {serve_within_s}"
                        ),
                    );
                }
            }
        }
        if self.engine_knee == 0 || self.engine_knee > MAX_SLOTS {
            issue(
                "engine_knee",
                format!(
                    "engine_knee must be between 1 and {MAX_SLOTS}, got {}",
                    self.engine_knee
                ),
            );
        }
        if self.engine_slots < self.engine_knee || self.engine_slots > MAX_SLOTS {
            issue(
                "engine_slots",
                format!(
                    "engine_slots must be between engine_knee ({}) and {MAX_SLOTS}, got {}",
                    self.engine_knee, self.engine_slots
                ),
            );
        }
        if self.engine_backlog > MAX_BACKLOG {
            issue(
                "engine_backlog",
                format!(
                    "engine_backlog must be at most {MAX_BACKLOG}, got {}",
                    self.engine_backlog
                ),
            );
        }
        // Requests held by the whole fleet (in service + backlog) are
        // memory: cap their total.
        let fleet = u64::from(self.engines())
            * (u64::from(self.engine_slots) + u64::from(self.engine_backlog));
        if fleet > MAX_FLEET_REQUESTS {
            issue(
                "engine_backlog",
                format!(
                    "engines × (engine_slots + engine_backlog) must be at most {MAX_FLEET_REQUESTS}, got {fleet}"
                ),
            );
        }
        if !(self.thrash.is_finite() && (0.0..=100.0).contains(&self.thrash)) {
            issue(
                "thrash",
                format!("thrash must be between 0 and 100, got {}", self.thrash),
            );
        }
        for (field, v, positive) in [
            ("crash_after_s", self.crash_after_s, true),
            ("restart_s", self.restart_s, false),
            ("cache_warmup_s", self.cache_warmup_s, true),
            ("timeout_s", self.timeout_s, true),
            ("think_s", self.think_s, false),
            ("bot_think_s", self.bot_think_s, false),
            ("captcha_s", self.captcha_s, false),
            ("verify_s", self.verify_s, false),
            ("patience_median_s", self.patience_median_s, true),
            ("backoff_s", self.backoff_s, false),
            ("backoff_max_s", self.backoff_max_s, false),
            ("bot_backoff_s", self.bot_backoff_s, false),
            ("session_timeout_s", self.session_timeout_s, true),
            ("restart_attempt_s", self.restart_attempt_s, false),
        ] {
            if !(time_ok(v) && (!positive || v > 0.0)) {
                let bound = if positive { "> 0" } else { "≥ 0" };
                issue(
                    field,
                    format!("{field} must be {bound} and ≤ {MAX_TIME_S} s, got {v}"),
                );
            }
        }
        if self.timeout_s < 0.01 {
            issue(
                "timeout_s",
                format!("timeout_s must be at least 0.01, got {}", self.timeout_s),
            );
        }
        for (field, v) in [
            ("captcha_fail", self.captcha_fail),
            ("bot_captcha_pass", self.bot_captcha_pass),
            ("bot_verify_pass", self.bot_verify_pass),
            ("payment_decline", self.payment_decline),
            ("otp_timeout", self.otp_timeout),
            ("user_mistake", self.user_mistake),
        ] {
            if !p01(v) {
                issue(field, format!("{field} must be between 0 and 1, got {v}"));
            }
        }
        if self.captcha_fail > 0.99 {
            issue(
                "captcha_fail",
                format!(
                    "captcha_fail must be at most 0.99 (humans must pass eventually), got {}",
                    self.captcha_fail
                ),
            );
        }
        let background = self.payment_decline + self.otp_timeout + self.user_mistake;
        if background > 0.9 {
            issue(
                "payment_decline",
                format!(
                    "payment_decline + otp_timeout + user_mistake must be at most 0.9 (an attempt must be able to succeed), got {background}"
                ),
            );
        }
        for (field, r) in [
            ("human_risk", &self.human_risk),
            ("bot_risk", &self.bot_risk),
        ] {
            let ok = |v: f64| v.is_finite() && v > 0.0 && v <= 1000.0;
            if !(ok(r.alpha) && ok(r.beta)) {
                issue(
                    field,
                    format!(
                        "{field}: alpha and beta must be > 0 and ≤ 1000, got {} and {}",
                        r.alpha, r.beta
                    ),
                );
            }
        }
        if !(self.patience_sigma.is_finite() && (0.0..=3.0).contains(&self.patience_sigma)) {
            issue(
                "patience_sigma",
                format!(
                    "patience_sigma must be between 0 and 3, got {}",
                    self.patience_sigma
                ),
            );
        }
        if !(self.informed_patience_factor.is_finite()
            && (0.1..=100.0).contains(&self.informed_patience_factor))
        {
            issue(
                "informed_patience_factor",
                format!(
                    "informed_patience_factor must be between 0.1 and 100, got {}",
                    self.informed_patience_factor
                ),
            );
        }
        if self.max_retries > 200 {
            issue(
                "max_retries",
                format!("max_retries must be at most 200, got {}", self.max_retries),
            );
        }
        if self.bot_max_retries > 200 {
            issue(
                "bot_max_retries",
                format!(
                    "bot_max_retries must be at most 200, got {}",
                    self.bot_max_retries
                ),
            );
        }
        if !(self.cold_cache_factor.is_finite() && (1.0..=100.0).contains(&self.cold_cache_factor))
        {
            issue(
                "cold_cache_factor",
                format!(
                    "cold_cache_factor must be between 1 and 100, got {}",
                    self.cold_cache_factor
                ),
            );
        }
        if !(self.target_load.is_finite() && (0.05..=10.0).contains(&self.target_load)) {
            issue(
                "target_load",
                format!(
                    "target_load must be between 0.05 and 10, got {}",
                    self.target_load
                ),
            );
        }
        if let AdmissionRate::Fixed { per_s } = self.admission_rate
            && !(per_s.is_finite() && per_s > 0.0 && per_s <= 1.0e8)
        {
            issue(
                "per_s",
                format!("admission per_s must be > 0 and ≤ 1e8, got {per_s}"),
            );
        }
        if !ADMISSION_POLICIES.contains(&self.admission.as_str()) {
            issue(
                "admission",
                format!(
                    "unknown admission `{}`; expected one of: {}",
                    self.admission,
                    ADMISSION_POLICIES.join(", ")
                ),
            );
        }
        if !BALANCING_POLICIES
            .iter()
            .any(|p| p.name() == self.balancing)
        {
            issue(
                "balancing",
                format!(
                    "unknown balancing `{}`; expected one of: {}",
                    self.balancing,
                    balancing_names().join(", ")
                ),
            );
        }
        if !(self.sample_every_s.is_finite() && (0.1..=3600.0).contains(&self.sample_every_s)) {
            issue(
                "sample_every_s",
                format!(
                    "sample_every_s must be between 0.1 and 3600, got {}",
                    self.sample_every_s
                ),
            );
        }
        out
    }

    /// The parameters with `scale` applied (and set back to 1).
    #[must_use]
    pub fn scaled(&self) -> TatkalParams {
        let mut p = self.clone();
        if self.scale < 1.0 {
            let f = self.scale;
            let by = |v: u32| ((f64::from(v) * f).round() as u32).max(1);
            p.users = (self.users as f64 * f).round() as u64;
            p.seats_per_train = (f64::from(self.seats_per_train) * f).round() as u32;
            p.engine_knee = by(self.engine_knee);
            p.engine_slots = by(self.engine_slots).max(p.engine_knee);
            p.engine_backlog = (f64::from(self.engine_backlog) * f).round() as u32;
            if let Capacity::PreScaled {
                predicted_users: Some(u),
                ..
            } = &mut p.capacity
            {
                *u = (*u as f64 * f).round() as u64;
            }
            if let AdmissionRate::Fixed { per_s } = &mut p.admission_rate {
                *per_s *= f;
            }
            p.scale = 1.0;
        }
        p
    }

    /// The number of engines this capacity plan gives.
    #[must_use]
    pub fn engines(&self) -> u32 {
        match &self.capacity {
            Capacity::Fixed { engines } => (*engines).clamp(1, MAX_ENGINES),
            Capacity::PreScaled {
                predicted_users,
                headroom,
                serve_within_s,
            } => {
                let users = predicted_users.unwrap_or(self.users) as f64;
                let seats = f64::from(self.trains) * f64::from(self.seats_per_train);
                let bookings = users.min(seats);
                let per_booking = model::engine_seconds_per_booking(self.parallel_pipeline);
                let slots = bookings * per_booking * headroom / serve_within_s.max(1.0);
                let n = (slots / f64::from(self.engine_knee.max(1))).ceil();
                if n.is_finite() {
                    (n as u32).clamp(1, MAX_ENGINES)
                } else {
                    1
                }
            }
        }
    }

    /// Builds the world, seeded; `policy` (admission or balancing)
    /// overrides the parameters'.
    pub fn build(
        &self,
        seed: u64,
        policy: Option<&str>,
    ) -> Result<Box<dyn World>, crate::world::BuildError> {
        crate::world::BuildError::check(self.validate())?;
        let mut w = Tatkal::runtime(self, seed);
        if let Some(p) = policy {
            let mut log = EventLog::default();
            World::apply(&mut w, &Command::SetPolicy(p.to_string()), &mut log)?;
        }
        Ok(Box::new(w))
    }
}

fn balancing_names() -> Vec<&'static str> {
    BALANCING_POLICIES.iter().map(|p| p.name()).collect()
}

impl crate::world::WorldParams for TatkalParams {
    fn validate(&self) -> Vec<crate::world::ParamIssue> {
        TatkalParams::validate(self)
    }
    fn catalog(&self) -> crate::sim::Catalog {
        catalog::catalog(self)
    }
    fn build(
        &self,
        seed: u64,
        policy: Option<&str>,
    ) -> Result<Box<dyn crate::sim::World>, crate::world::BuildError> {
        TatkalParams::build(self, seed, policy)
    }

    /// Per user: 8 events and 32 B with the waiting room (measured 1.5–5.8
    /// events, 29 B), 32 events and 80 B without (measured 18–21: bots retry
    /// up to 200 times; 76 B).
    fn work(&self, _duration_s: f64) -> crate::work::Work {
        let users = self.users as f64 * self.scale.max(0.0);
        let (events, bytes) = if self.waiting_room {
            (8.0, 32.0)
        } else {
            (32.0, 80.0)
        };
        crate::work::Work {
            events: events * users,
            bytes: 8.0 * crate::work::MB + bytes * users,
        }
    }
}
