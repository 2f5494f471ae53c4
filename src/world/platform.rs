//! Andheri platform 1, fast train: passengers arrive (Poisson, λ per
//! minute), board at μ per minute per server, and the platform holds at
//! most `capacity` people, those boarding included (M/M/c/K).
//!
//! Built from blocks: a [`Source`], the platform's [`FiniteQueue`], a
//! [`ServerPool`] (or [`Trains`] in train mode), the station entrance as a
//! second [`FiniteQueue`], a [`FaultBook`] and [`BlockStats`].
//!
//! ## Parameters (RON names = `--set` keys)
//!
//! ```ron
//! world: Platform((
//!     arrival_rate_per_min: 200,   // λ
//!     service_rate_per_min: 250,   // μ per server (not used by Trains)
//!     servers: 1,                  // c (in train mode: tracks)
//!     capacity: 500,               // K, everyone on the platform incl. boarding
//!     service: Exponential,        // | Deterministic | Erlang(k: 3) | Lognormal(cv: 0.5)
//!                                  // | Trains(headway_s: 180, train_capacity: 600)
//!     entrance_capacity: 2000,     // the waiting area at the station entrance
//!     sample_every_s: 1,           // rolling series for the dashboard
//! ))
//! ```
//!
//! `Trains(headway_s: H, train_capacity: N)`: each of the `servers` tracks
//! has a train every H seconds (tracks staggered evenly) that takes up to N
//! passengers off the platform at once (batch service; boarding is
//! instant, so a passenger's response time is their wait). While a train
//! has seats left, people from the entrance walk up and board it too.
//!
//! ## Policies (the dashboard's `p` key): where turned-away passengers go
//!
//! - `leave` (default): a full platform turns newcomers away: they leave
//!   (`rejected_full`). This is M/M/c/K, and the closed forms apply.
//! - `entrance`: they wait at the station entrance (FIFO, at most
//!   `entrance_capacity`; beyond that they leave) and walk onto the
//!   platform as space frees, in order. Nobody jumps the entrance line.
//!
//! ## Faults (targets: `all`, `server-N` or `track-N`)
//!
//! - `Kill`: a server stops boarding (its passenger steps back to the head
//!   of the platform queue; nobody is lost) / a track's trains are
//!   cancelled; back after `restart_after_s`.
//! - `Slowdown`: boarding rate × factor / trains run every H ÷ factor.
//! - `Latency`: each boarding takes `ms ± jitter` longer / each train is late by it.
//! - `CapacityDrop` (target `all`): platform capacity × (1 − fraction)
//!   (e.g. a crowd-control barrier); nobody is pushed off, newcomers wait.
//! - `ErrorRate`: a boarding passenger gives up with probability p and
//!   leaves (`rejected_error`).
//! - `Partition`: on `all`, the platform's entry is closed (newcomers go to
//!   the entrance or leave, `rejected_unavailable`) and nobody boards; on
//!   one server/track, that one stops.
//! - `Blackhole` has no meaning on a platform and is refused.
//!
//! ## Metrics
//!
//! Station-wide: `arrivals`, `completed` (boarded and left), `rejected`
//! (= `rejected_full` + `rejected_error` + `rejected_unavailable`),
//! `in_system` (platform + entrance), `in_system_at_reset`,
//! `blocking_probability`, `mean_in_system` (L), `mean_wait_s` (Wq),
//! `mean_response_s` (W), p50/p95/p99 of both, `throughput_per_s`,
//! `utilisation` (busy servers / c; trains: seats filled / offered);
//! and `on_platform`, `mean_on_platform`, `in_entrance`,
//! `mean_in_entrance`, `capacity_effective`. Conservation at every instant:
//! `arrivals + in_system_at_reset = completed + rejected + in_system`.

use serde::{Deserialize, Serialize};

use crate::analytic;
use crate::fault::{FaultKind, FaultTemplate};
use crate::sim::blocks::queue::{Discipline, FiniteQueue};
use crate::sim::blocks::servers::{Outcome, ServerPool, ServiceDist, ServiceTime, Start, Trains};
use crate::sim::blocks::source::{RateProfile, Source};
use crate::sim::blocks::stats::{BlockStats, Reject, StatsSeries};
use crate::sim::blocks::uniform;
use crate::sim::engine::drive;
use crate::sim::fault::{Effect, FaultBook, Target};
use crate::sim::metrics::{Metrics, Rolling, TimeAverage, WindowLatency};
use crate::sim::rng::{SimRng, stream};
use crate::sim::world::{
    AnalyticRow, ChartView, GaugeView, LogEntry, SeriesView, UnitState, UnitView,
};
use crate::sim::{Command, CommandError, Engine, SimTime, Snapshot, World};
use crate::world::ParamIssue;

/// How passengers leave the platform (the mean boarding time is 1/μ).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Service {
    /// Exponential boarding times: the textbook M/M/c/K.
    #[default]
    Exponential,
    /// Always exactly 1/μ.
    Deterministic,
    /// Erlang-k: sum of k exponential phases (less variable as k grows).
    Erlang { k: u32 },
    /// Lognormal with coefficient of variation `cv`.
    Lognormal { cv: f64 },
    /// A train every `headway_s` per track, carrying up to `train_capacity`.
    Trains { headway_s: f64, train_capacity: u32 },
}

/// Parameters of the platform world (RON names are the CLI `--set` keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformParams {
    /// λ: passengers arriving per minute.
    #[serde(default = "d_lambda")]
    pub arrival_rate_per_min: f64,
    /// μ: passengers one server boards per minute.
    #[serde(default = "d_mu")]
    pub service_rate_per_min: f64,
    /// c: parallel servers (tracks in train mode).
    #[serde(default = "d_servers")]
    pub servers: u32,
    /// K: most people on the platform, including those boarding.
    #[serde(default = "d_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub service: Service,
    /// Most people waiting at the station entrance (policy `entrance`).
    #[serde(default = "d_entrance")]
    pub entrance_capacity: u32,
    /// Seconds between samples of the rolling series.
    #[serde(default = "d_sample")]
    pub sample_every_s: f64,
}

fn d_lambda() -> f64 {
    200.0
}
fn d_mu() -> f64 {
    250.0
}
fn d_servers() -> u32 {
    1
}
fn d_capacity() -> u32 {
    500
}
fn d_entrance() -> u32 {
    2000
}
fn d_sample() -> f64 {
    1.0
}

impl Default for PlatformParams {
    fn default() -> Self {
        PlatformParams {
            arrival_rate_per_min: d_lambda(),
            service_rate_per_min: d_mu(),
            servers: d_servers(),
            capacity: d_capacity(),
            service: Service::default(),
            entrance_capacity: d_entrance(),
            sample_every_s: d_sample(),
        }
    }
}

/// Caps that keep a shared file from asking for unbounded work or memory.
pub const MAX_RATE_PER_MIN: f64 = 1.0e8;
pub const MAX_SERVERS: u32 = 10_000;
pub const MAX_CAPACITY: u32 = 10_000_000;
/// Longest train headway (a day).
pub const MAX_HEADWAY_S: f64 = 86_400.0;

impl PlatformParams {
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        let mut out = Vec::new();
        let rate_ok = |v: f64| v.is_finite() && (0.0..=MAX_RATE_PER_MIN).contains(&v);
        if !rate_ok(self.arrival_rate_per_min) {
            out.push(ParamIssue::new(
                "arrival_rate_per_min",
                format!(
                    "arrival_rate_per_min must be between 0 and {MAX_RATE_PER_MIN}, got {}",
                    self.arrival_rate_per_min
                ),
            ));
        }
        if !(rate_ok(self.service_rate_per_min) && self.service_rate_per_min > 0.0) {
            out.push(ParamIssue::new(
                "service_rate_per_min",
                format!(
                    "service_rate_per_min must be > 0 and ≤ {MAX_RATE_PER_MIN}, got {}",
                    self.service_rate_per_min
                ),
            ));
        }
        if self.servers == 0 || self.servers > MAX_SERVERS {
            out.push(ParamIssue::new(
                "servers",
                format!(
                    "servers must be between 1 and {MAX_SERVERS}, got {}",
                    self.servers
                ),
            ));
        }
        if self.capacity > MAX_CAPACITY {
            out.push(ParamIssue::new(
                "capacity",
                format!("capacity must be ≤ {MAX_CAPACITY}, got {}", self.capacity),
            ));
        } else if self.capacity < self.servers {
            out.push(ParamIssue::new(
                "capacity",
                format!(
                    "capacity ({}) must be ≥ servers ({}): K counts those being served",
                    self.capacity, self.servers
                ),
            ));
        }
        if self.entrance_capacity > MAX_CAPACITY {
            out.push(ParamIssue::new(
                "entrance_capacity",
                format!(
                    "entrance_capacity must be ≤ {MAX_CAPACITY}, got {}",
                    self.entrance_capacity
                ),
            ));
        }
        match self.service {
            Service::Erlang { k } if k == 0 || k > 1000 => out.push(ParamIssue::new(
                "service",
                format!("Erlang k must be between 1 and 1000, got {k}"),
            )),
            Service::Lognormal { cv } if !(cv.is_finite() && cv > 0.0 && cv <= 100.0) => {
                out.push(ParamIssue::new(
                    "service",
                    format!("Lognormal cv must be > 0 and ≤ 100, got {cv}"),
                ));
            }
            Service::Trains {
                headway_s,
                train_capacity,
            } => {
                if !(headway_s.is_finite() && (1.0..=MAX_HEADWAY_S).contains(&headway_s)) {
                    out.push(ParamIssue::new(
                        "headway_s",
                        format!(
                            "headway_s must be between 1 and {MAX_HEADWAY_S} seconds, got {headway_s}"
                        ),
                    ));
                }
                if train_capacity == 0 || train_capacity > MAX_CAPACITY {
                    out.push(ParamIssue::new(
                        "train_capacity",
                        format!(
                            "train_capacity must be between 1 and {MAX_CAPACITY}, got {train_capacity}"
                        ),
                    ));
                }
            }
            _ => {}
        }
        if !(self.sample_every_s.is_finite() && (0.001..=86_400.0).contains(&self.sample_every_s)) {
            out.push(ParamIssue::new(
                "sample_every_s",
                format!(
                    "sample_every_s must be between 0.001 and 86400, got {}",
                    self.sample_every_s
                ),
            ));
        }
        out
    }

    pub fn build(&self, seed: u64, policy: Option<&str>) -> Result<Box<dyn World>, String> {
        let mut w = Platform::new(self.clone(), seed)?;
        if let Some(p) = policy {
            crate::world::legacy::LegacyWorld::apply(&mut w, &Command::SetPolicy(p.to_string()))
                .map_err(|e| e.to_string())?;
        }
        Ok(Box::new(crate::world::legacy::Legacy::new(w)))
    }
}

/// Where turned-away passengers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    Leave,
    Entrance,
}

const POLICIES: [(&str, Overflow); 2] =
    [("leave", Overflow::Leave), ("entrance", Overflow::Entrance)];
const HISTORY: usize = 240;
/// Log lines kept between two drains.
const LOG_BUFFER: usize = 256;
/// Unit names offered as fault targets in the menu (all are accepted).
const MENU_TARGETS: usize = 16;

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival {
        epoch: u32,
    },
    Done {
        server: u32,
        token: u32,
    },
    TrainDue {
        track: u32,
    },
    TrainLeaves {
        track: u32,
    },
    /// A kill's restart time: recompute the fault effects.
    Refresh,
    Sample,
}

// One per world, never moved around: the size difference costs nothing,
// and a box would add an indirection on the hot path.
#[allow(clippy::large_enum_variant)]
enum Mode {
    Servers(ServerPool<SimTime>),
    Trains {
        trains: Trains,
        effects: Vec<Effect>,
        seats_offered: u64,
        seats_filled: u64,
    },
}

/// The platform world (see the module docs).
pub struct Platform {
    p: PlatformParams,
    engine: Engine<Event>,
    source: Source,
    mode: Mode,
    /// Waiting on the platform (not boarding); items are station arrival times.
    waiting: FiniteQueue<SimTime>,
    entrance: FiniteQueue<SimTime>,
    overflow: Overflow,
    faults: FaultBook,
    faults_rng: SimRng,
    unit_names: Vec<String>,
    k_effective: u64,
    closed: bool,
    stats: BlockStats,
    entrance_avg: TimeAverage,
    log: Vec<LogEntry>,
    // rolling series
    series: StatsSeries,
    p95: Rolling,
    window: WindowLatency,
    chart: Rolling,
}

impl Platform {
    /// Handles one event (the world's event loop is `engine::drive`).
    fn handle(&mut self, ev: Event) {
        match ev {
            Event::Arrival { epoch } => {
                if epoch == self.source.epoch() {
                    self.on_arrival();
                }
            }
            Event::Done { server, token } => self.on_done(server as usize, token),
            Event::TrainDue { track } => self.on_train_due(track as usize),
            Event::TrainLeaves { track } => self.on_train_leaves(track as usize),
            Event::Refresh => self.refresh(),
            Event::Sample => self.on_sample(),
        }
    }

    /// Builds the world; the parameters must pass [`PlatformParams::validate`].
    pub fn new(p: PlatformParams, seed: u64) -> Result<Self, String> {
        if let Some(issue) = p.validate().into_iter().next() {
            return Err(issue.message);
        }
        let mut engine = Engine::new();
        let c = p.servers as usize;
        let (mode, unit) = match p.service {
            Service::Trains {
                headway_s,
                train_capacity,
            } => {
                for track in 0..p.servers {
                    let first = headway_s * f64::from(track + 1) / f64::from(p.servers);
                    engine.schedule(SimTime::from_secs_f64(first), Event::TrainDue { track });
                }
                (
                    Mode::Trains {
                        trains: Trains::new(headway_s, train_capacity, seed, "platform"),
                        effects: vec![Effect::NONE; c],
                        seats_offered: 0,
                        seats_filled: 0,
                    },
                    "track",
                )
            }
            ref s => {
                let dist = match *s {
                    Service::Deterministic => ServiceDist::Deterministic,
                    Service::Erlang { k } => ServiceDist::Erlang { k },
                    Service::Lognormal { cv } => ServiceDist::Lognormal { cv },
                    _ => ServiceDist::Exponential,
                };
                let service = ServiceTime::new(dist, 60.0 / p.service_rate_per_min)?;
                (
                    Mode::Servers(ServerPool::new(c, service, seed, "platform")),
                    "server",
                )
            }
        };
        let mut source = Source::new(
            RateProfile::constant(p.arrival_rate_per_min / 60.0),
            seed,
            "platform/arrivals",
        );
        if let Some(t) = source.start(SimTime::ZERO) {
            engine.schedule(t, Event::Arrival { epoch: 0 });
        }
        engine.schedule(SimTime::from_secs_f64(p.sample_every_s), Event::Sample);
        Ok(Platform {
            engine,
            source,
            mode,
            waiting: FiniteQueue::new(p.capacity as usize, Discipline::Fifo),
            entrance: FiniteQueue::new(p.entrance_capacity as usize, Discipline::Fifo),
            overflow: Overflow::Leave,
            faults: FaultBook::new(),
            faults_rng: stream(seed, "platform/give-up"),
            unit_names: (1..=c).map(|i| format!("{unit}-{i}")).collect(),
            k_effective: u64::from(p.capacity),
            closed: false,
            stats: BlockStats::new(SimTime::ZERO),
            entrance_avg: TimeAverage::new(SimTime::ZERO, 0.0),
            log: Vec::new(),
            series: StatsSeries::new(HISTORY),
            p95: Rolling::new(HISTORY),
            window: WindowLatency::new(),
            chart: Rolling::new(HISTORY),
            p,
        })
    }

    /// The overflow policy in force.
    #[must_use]
    pub fn overflow(&self) -> Overflow {
        self.overflow
    }

    fn mu_per_s(&self) -> f64 {
        self.p.service_rate_per_min / 60.0
    }

    fn lambda_per_s(&self) -> f64 {
        self.p.arrival_rate_per_min / 60.0 * self.source.scale()
    }

    fn busy(&self) -> u64 {
        match &self.mode {
            Mode::Servers(pool) => u64::from(pool.busy()),
            Mode::Trains { .. } => 0,
        }
    }

    /// People on the platform, those boarding included.
    fn on_platform(&self) -> u64 {
        self.busy() + self.waiting.len() as u64
    }

    fn log_line(&mut self, text: String) {
        if self.log.len() >= LOG_BUFFER {
            self.log.remove(0);
        }
        self.log.push(LogEntry {
            at: self.engine.now(),
            text,
        });
    }

    fn record_entrance(&mut self) {
        let now = self.engine.now();
        self.entrance_avg.set(now, self.entrance.len() as f64);
    }

    #[inline]
    fn platform_has_room(&self) -> bool {
        !self.closed && self.on_platform() < self.k_effective
    }

    /// A passenger who arrived at `arrived` steps onto the platform.
    #[inline]
    fn enter_platform(&mut self, arrived: SimTime) {
        if let Mode::Servers(pool) = &mut self.mode
            && self.waiting.is_empty()
            && pool.has_free()
        {
            self.board(arrived);
        } else {
            // Room was checked against K; the queue's own capacity is K.
            self.waiting.push_front_or_back(arrived);
        }
    }

    /// Starts boarding the passenger who arrived at `arrived` (server mode).
    #[inline]
    fn board(&mut self, arrived: SimTime) {
        let now = self.engine.now();
        let Mode::Servers(pool) = &mut self.mode else {
            return;
        };
        match pool.start(now, arrived) {
            Start::Started(s) => {
                self.stats.record_wait(now - arrived);
                self.engine.schedule(
                    s.at,
                    Event::Done {
                        server: s.server as u32,
                        token: s.token,
                    },
                );
            }
            Start::Hang(a) | Start::Refused(a) => self.waiting.push_front(a, 0),
        }
    }

    /// Fills free servers from the platform queue, then the platform from
    /// the entrance.
    fn flow(&mut self) {
        if let Mode::Servers(_) = self.mode {
            while matches!(&self.mode, Mode::Servers(pool) if pool.has_free()) {
                let Some((a, _)) = self.waiting.pop() else {
                    break;
                };
                self.board(a);
            }
        }
        let mut moved = false;
        while !self.entrance.is_empty() && self.platform_has_room() {
            let Some((a, _)) = self.entrance.pop() else {
                break;
            };
            moved = true;
            self.enter_platform(a);
        }
        if moved {
            self.record_entrance();
        }
    }

    fn on_arrival(&mut self) {
        let now = self.engine.now();
        let (arrival, next) = self.source.arrive(now);
        if let Some(t) = next {
            let epoch = self.source.epoch();
            self.engine.schedule(t, Event::Arrival { epoch });
        }
        for _ in 0..arrival.count {
            if self.entrance.is_empty() && self.platform_has_room() {
                self.stats.arrive(now, 1);
                self.enter_platform(now);
            } else if self.overflow == Overflow::Entrance && self.entrance.push(now, 0).is_ok() {
                self.stats.arrive(now, 1);
                self.record_entrance();
            } else {
                let why = if self.closed {
                    Reject::Unavailable
                } else {
                    Reject::Full
                };
                self.stats.reject_arrival(1, why);
            }
        }
    }

    fn on_done(&mut self, server: usize, token: u32) {
        let now = self.engine.now();
        let Mode::Servers(pool) = &mut self.mode else {
            return;
        };
        let Some((arrived, outcome)) = pool.finish(now, server, token) else {
            return; // lost in a crash and already requeued
        };
        match outcome {
            Outcome::Complete => {
                let r = now - arrived;
                self.stats.complete(now, r);
                self.window.record(r);
            }
            Outcome::Error => self.stats.reject(now, Reject::Error),
        }
        self.flow();
    }

    fn on_train_due(&mut self, track: usize) {
        let Mode::Trains {
            trains, effects, ..
        } = &mut self.mode
        else {
            return;
        };
        let e = effects[track];
        let gap = trains.gap(&e);
        let delay = trains.delay(&e);
        let cancelled = trains.seats(&Effect {
            capacity_factor: 1.0,
            ..e
        }) == 0;
        self.engine.schedule_in(
            gap,
            Event::TrainDue {
                track: track as u32,
            },
        );
        if cancelled {
            let name = self.unit_names[track].clone();
            self.log_line(format!("train on {name} cancelled"));
        } else if delay == SimTime::ZERO {
            self.on_train_leaves(track);
        } else {
            self.engine.schedule_in(
                delay,
                Event::TrainLeaves {
                    track: track as u32,
                },
            );
        }
    }

    fn on_train_leaves(&mut self, track: usize) {
        let now = self.engine.now();
        let Mode::Trains {
            trains,
            effects,
            seats_offered,
            ..
        } = &mut self.mode
        else {
            return;
        };
        let e = effects[track];
        let seats = trains.seats(&Effect {
            capacity_factor: 1.0,
            ..e
        });
        *seats_offered += u64::from(seats);
        let mut boarded = 0u64;
        for _ in 0..seats {
            if self.waiting.is_empty() {
                // The train is still at the platform: people waiting at the
                // entrance walk up as space frees and board it too.
                self.flow();
            }
            let Some((arrived, _)) = self.waiting.pop() else {
                break;
            };
            let wait = now - arrived;
            self.stats.record_wait(wait);
            if e.error_p > 0.0 && uniform(&mut self.faults_rng) < e.error_p {
                self.stats.reject(now, Reject::Error); // gave up
            } else {
                self.stats.complete(now, wait);
                self.window.record(wait);
            }
            boarded += 1;
        }
        if let Mode::Trains { seats_filled, .. } = &mut self.mode {
            *seats_filled += boarded;
        }
        self.flow();
    }

    fn on_sample(&mut self) {
        let now = self.engine.now();
        self.series.sample(now, &self.stats);
        let p95 = self.window.quantile_s(0.95);
        self.p95.push(if p95.is_nan() { 0.0 } else { p95 });
        self.window.reset();
        self.chart.push(self.on_platform() as f64);
        self.engine
            .schedule_in(SimTime::from_secs_f64(self.p.sample_every_s), Event::Sample);
    }

    /// Recomputes every unit's effect, the platform's capacity and whether
    /// it is closed, from the faults in force.
    fn refresh(&mut self) {
        let now = self.engine.now();
        let whole = self.faults.effect(usize::MAX, now);
        self.k_effective =
            (f64::from(self.p.capacity) * whole.capacity_factor.clamp(0.0, 1.0)).floor() as u64;
        self.closed = whole.partitioned;
        let n = self.unit_names.len();
        let mut lost = Vec::new();
        match &mut self.mode {
            Mode::Servers(pool) => {
                for i in 0..n {
                    let e = self.faults.effect(i, now);
                    if pool.effect(i) != e
                        && let Some(a) = pool.set_effect(now, i, e)
                    {
                        lost.push(a);
                    }
                }
            }
            Mode::Trains { effects, .. } => {
                for (i, slot) in effects.iter_mut().enumerate() {
                    *slot = self.faults.effect(i, now);
                }
            }
        }
        // Passengers whose boarding was interrupted go back to the head of
        // the platform queue, in their original order.
        lost.sort_unstable();
        for a in lost.into_iter().rev() {
            self.waiting.push_front(a, 0);
        }
        self.flow();
    }

    fn inject(&mut self, id: u64, fault: &crate::fault::Fault) -> Result<String, CommandError> {
        let target = Target::resolve(&fault.target, &self.unit_names)?;
        match fault.kind {
            FaultKind::Blackhole | FaultKind::World { .. } => {
                return Err(CommandError::UnsupportedFault(
                    fault.kind.name().to_string(),
                ));
            }
            FaultKind::CapacityDrop { .. } if target != Target::All => {
                return Err(CommandError::Invalid(
                    "capacity-drop acts on the whole platform: use target `all`".to_string(),
                ));
            }
            _ => {}
        }
        let now = self.engine.now();
        if let Some(at) = self.faults.insert(id, fault.kind.clone(), target, now) {
            self.engine.schedule(at, Event::Refresh);
        }
        self.refresh();
        Ok(String::new())
    }

    fn closed_form(&self) -> analytic::QueueFigures {
        analytic::mmck(
            self.lambda_per_s(),
            self.mu_per_s(),
            self.p.servers,
            self.p.capacity,
        )
    }

    /// Whether the M/M/c/K closed form applies (exponential service, no
    /// entrance overflow, no fault in force).
    fn has_closed_form(&self) -> bool {
        matches!(self.p.service, Service::Exponential)
            && self.overflow == Overflow::Leave
            && self.faults.is_empty()
    }

    fn utilisation(&self) -> f64 {
        let now = self.engine.now();
        match &self.mode {
            Mode::Servers(pool) => pool.utilisation(now),
            Mode::Trains {
                seats_offered,
                seats_filled,
                ..
            } => {
                if *seats_offered == 0 {
                    0.0
                } else {
                    *seats_filled as f64 / *seats_offered as f64
                }
            }
        }
    }

    fn unit_views(&self) -> Vec<UnitView> {
        let now = self.engine.now();
        let n = self.unit_names.len().min(64);
        (0..n)
            .map(|i| {
                let e = match &self.mode {
                    Mode::Servers(pool) => pool.effect(i),
                    Mode::Trains { effects, .. } => effects[i],
                };
                let state = if !e.accepting() {
                    UnitState::Down
                } else if e.degraded() {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                };
                let (in_flight, extra) = match &self.mode {
                    Mode::Servers(pool) => (
                        if pool.is_busy(i) { 1.0 } else { 0.0 },
                        if pool.is_busy(i) { "boarding" } else { "idle" }.to_string(),
                    ),
                    Mode::Trains { trains, .. } => (
                        0.0,
                        format!(
                            "{} seats / {:.0} s",
                            trains.seats(&e),
                            trains.gap(&e).as_secs_f64()
                        ),
                    ),
                };
                let _ = now;
                UnitView {
                    name: self.unit_names[i].clone(),
                    state,
                    in_flight,
                    ewma_latency_s: self.p95.last().unwrap_or(0.0),
                    share: 1.0 / self.unit_names.len() as f64,
                    extra,
                }
            })
            .collect()
    }
}

/// The platform queue keeps FIFO order; this is just `push` that cannot
/// fail because room was checked against K (a crash can leave the queue
/// above a lowered capacity, which `push_front` tolerates).
trait PushAny {
    fn push_front_or_back(&mut self, a: SimTime);
}

impl PushAny for FiniteQueue<SimTime> {
    #[inline]
    fn push_front_or_back(&mut self, a: SimTime) {
        if let Err(a) = self.push(a, 0) {
            // Only reachable when K shrank under a crash's requeue; keep order.
            self.set_capacity(self.len() + 1);
            let _ = self.push(a, 0);
        }
    }
}

impl crate::world::legacy::LegacyWorld for Platform {
    fn now(&self) -> SimTime {
        self.engine.now()
    }

    fn next_event_time(&self) -> Option<SimTime> {
        self.engine.peek_time()
    }

    fn advance(&mut self, until: SimTime, max_events: u64) -> u64 {
        drive(self, |w| &mut w.engine, Self::handle, until, max_events)
    }

    fn apply(&mut self, cmd: &Command) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => {
                let Some(&(_, o)) = POLICIES.iter().find(|(n, _)| n == name) else {
                    return Err(CommandError::UnknownPolicy {
                        name: name.clone(),
                        expected: self.policies().join(", "),
                    });
                };
                self.overflow = o;
                Ok(match o {
                    Overflow::Leave => "policy: leave (a full platform turns people away)",
                    Overflow::Entrance => {
                        "policy: entrance (overflow waits at the station entrance)"
                    }
                }
                .to_string())
            }
            Command::ScaleArrivals(f) => {
                let new = self.source.scale() * f;
                let rate = self.p.arrival_rate_per_min * new;
                if !(f.is_finite() && *f >= 0.0 && rate <= MAX_RATE_PER_MIN) {
                    return Err(CommandError::Invalid(format!(
                        "arrival rate ×{f} is out of range (at most {MAX_RATE_PER_MIN}/min)"
                    )));
                }
                let now = self.engine.now();
                if let Some(t) = self.source.set_scale(now, new) {
                    let epoch = self.source.epoch();
                    self.engine.schedule(t, Event::Arrival { epoch });
                }
                Ok(format!("arrival rate → {rate:.1}/min"))
            }
            Command::InjectFault { id, fault } => self.inject(*id, fault),
            Command::ClearFault(id) => {
                if self.faults.remove(*id) {
                    self.refresh();
                    Ok(String::new())
                } else {
                    Ok(String::new())
                }
            }
            Command::ClearFaults => {
                let had = !self.faults.is_empty();
                self.faults.clear();
                self.refresh();
                Ok(if had {
                    "all faults cleared".to_string()
                } else {
                    String::new()
                })
            }
            Command::Toggle { name, .. } => Err(CommandError::UnknownToggle {
                name: name.clone(),
                expected: "(none: switch the overflow policy with `p`)".to_string(),
            }),
        }
    }

    fn snapshot(&self) -> Snapshot {
        let now = self.engine.now();
        let m = self.metrics();
        let cf = self.closed_form();
        let closed_form = self.has_closed_form();
        let n = self.on_platform() as f64;
        let k = self.k_effective.max(1) as f64;
        let util = m["utilisation"];
        let block = m["blocking_probability"];
        let mut gauges = vec![
            GaugeView {
                label: "platform".into(),
                ratio: (n / k).min(1.0),
                text: format!("{n:.0}/{k:.0}{}", if self.closed { " CLOSED" } else { "" }),
                alarm: n >= k || self.closed,
            },
            GaugeView {
                label: "utilisation".into(),
                ratio: util.clamp(0.0, 1.0),
                text: format!("{:.1} %", util * 100.0),
                alarm: util > 0.95,
            },
            GaugeView {
                label: "turned away".into(),
                ratio: block.clamp(0.0, 1.0),
                text: format!("{:.2} %", block * 100.0),
                alarm: block > 0.01,
            },
        ];
        if self.overflow == Overflow::Entrance || !self.entrance.is_empty() {
            let e = self.entrance.len() as f64;
            let cap = f64::from(self.p.entrance_capacity.max(1));
            gauges.push(GaugeView {
                label: "entrance".into(),
                ratio: (e / cap).min(1.0),
                text: format!("{e:.0}/{cap:.0}"),
                alarm: e >= cap,
            });
        }
        let mut analytic_rows = vec![
            AnalyticRow {
                label: "P(block)".into(),
                closed_form: closed_form.then_some(cf.blocking_probability),
                simulated: block,
                unit: String::new(),
            },
            AnalyticRow {
                label: "L".into(),
                closed_form: closed_form.then_some(cf.mean_in_system),
                simulated: m["mean_in_system"],
                unit: String::new(),
            },
            AnalyticRow {
                label: "W".into(),
                closed_form: closed_form.then_some(cf.mean_response_s),
                simulated: m["mean_response_s"],
                unit: "s".into(),
            },
            AnalyticRow {
                label: "λW (Little)".into(),
                closed_form: Some(m["throughput_per_s"] * m["mean_response_s"]),
                simulated: m["mean_in_system"],
                unit: String::new(),
            },
        ];
        if let Mode::Servers(_) = self.mode {
            analytic_rows.push(AnalyticRow {
                label: "ρ".into(),
                closed_form: closed_form.then_some(cf.utilisation),
                simulated: util,
                unit: String::new(),
            });
        }
        Snapshot {
            now,
            policy: self.policy(),
            gauges,
            sparklines: vec![
                SeriesView::of("arrivals", "/s", &self.series.arrivals_per_s),
                SeriesView::of("boarded", "/s", &self.series.completed_per_s),
                SeriesView::of("turned away", "/s", &self.series.rejected_per_s),
                SeriesView::of("p95 wait", "s", &self.p95),
            ],
            chart: ChartView {
                label: "people on the platform".into(),
                points: ChartView::points_of(&self.series.at_s, &self.chart),
                reference: closed_form.then(|| ("L (M/M/c/K)".to_string(), cf.mean_in_system)),
            },
            units_title: if matches!(self.mode, Mode::Trains { .. }) {
                "tracks".into()
            } else {
                "servers".into()
            },
            units_extra_header: "doing".into(),
            units: self.unit_views(),
            analytic: analytic_rows,
            status_line: Some(format!(
                "λ {:.0}/min · {} · policy {}",
                self.lambda_per_s() * 60.0,
                match self.p.service {
                    Service::Trains {
                        headway_s,
                        train_capacity,
                    } => format!("a train every {headway_s} s × {train_capacity}"),
                    _ => format!(
                        "μ {:.0}/min × {}",
                        self.p.service_rate_per_min, self.p.servers
                    ),
                },
                self.policy()
            )),
            events_processed: self.engine.processed(),
            ..Snapshot::default()
        }
    }

    fn metrics(&self) -> Metrics {
        let now = self.engine.now();
        let mut m = Metrics::new();
        self.stats.write(now, "", &mut m);
        for r in [
            Reject::Shed,
            Reject::Throttled,
            Reject::Timeout,
            Reject::Crashed,
        ] {
            m.remove(&format!("rejected_{}", r.key()));
        }
        m.insert("utilisation".into(), self.utilisation());
        m.insert("on_platform".into(), self.on_platform() as f64);
        // Everyone in the system is on the platform or at the entrance.
        m.insert(
            "mean_on_platform".into(),
            self.stats.mean_in_system(now) - self.entrance_avg.mean(now),
        );
        m.insert("in_entrance".into(), self.entrance.len() as f64);
        m.insert("mean_in_entrance".into(), self.entrance_avg.mean(now));
        m.insert("capacity_effective".into(), self.k_effective as f64);
        m
    }

    fn analytic(&self) -> Metrics {
        let mut m = Metrics::new();
        if let Service::Trains {
            headway_s,
            train_capacity,
        } = self.p.service
        {
            // No product-form closed form for bulk service; the offered load is exact.
            let cap = f64::from(self.p.servers) * f64::from(train_capacity) / headway_s;
            m.insert("utilisation".into(), (self.lambda_per_s() / cap).min(1.0));
            return m;
        }
        let f = match self.p.service {
            Service::Exponential => self.closed_form(),
            // One server, a platform too big to ever fill: M/G/1 (P–K).
            Service::Deterministic | Service::Erlang { .. } | Service::Lognormal { .. }
                if self.p.servers == 1 && self.closed_form().blocking_probability < 1e-9 =>
            {
                let scv = match &self.mode {
                    Mode::Servers(pool) => pool.service().scv(),
                    Mode::Trains { .. } => return m,
                };
                match analytic::mg1(self.lambda_per_s(), self.mu_per_s(), scv) {
                    Some(f) => f,
                    None => return m,
                }
            }
            _ => return m,
        };
        m.insert("blocking_probability".into(), f.blocking_probability);
        m.insert("mean_in_system".into(), f.mean_in_system);
        m.insert("mean_wait_s".into(), f.mean_wait_s);
        m.insert("mean_response_s".into(), f.mean_response_s);
        m.insert("utilisation".into(), f.utilisation);
        m.insert("throughput_per_s".into(), f.throughput_per_s);
        m
    }

    fn reset_statistics(&mut self) {
        let now = self.engine.now();
        self.stats.reset(now);
        self.entrance_avg.reset(now);
        match &mut self.mode {
            Mode::Servers(pool) => pool.reset_statistics(now),
            Mode::Trains {
                seats_offered,
                seats_filled,
                ..
            } => {
                *seats_offered = 0;
                *seats_filled = 0;
            }
        }
    }

    fn policies(&self) -> Vec<String> {
        POLICIES.iter().map(|(n, _)| (*n).to_string()).collect()
    }

    fn policy(&self) -> String {
        POLICIES
            .iter()
            .find(|(_, o)| *o == self.overflow)
            .map_or("leave", |(n, _)| n)
            .to_string()
    }

    fn fault_menu(&self) -> Vec<FaultTemplate> {
        let targets: Vec<String> = std::iter::once("all".to_string())
            .chain(self.unit_names.iter().take(MENU_TARGETS).cloned())
            .collect();
        let trains = matches!(self.p.service, Service::Trains { .. });
        vec![
            FaultTemplate::new(
                if trains {
                    "cancel trains"
                } else {
                    "stop boarding"
                },
                FaultKind::Kill {
                    restart_after_s: Some(120.0),
                },
                targets.clone(),
            )
            .strength("back after s", 10.0, 1800.0, 10.0),
            FaultTemplate::new(
                "slow trains",
                FaultKind::Slowdown { factor: 0.5 },
                targets.clone(),
            )
            .strength("rate ×", 0.1, 1.0, 0.1)
            .lasting(300.0),
            FaultTemplate::new(
                "trains late",
                FaultKind::Latency {
                    ms: 60_000.0,
                    jitter_ms: 15_000.0,
                },
                targets.clone(),
            )
            .strength("ms late", 1000.0, 600_000.0, 5000.0)
            .lasting(300.0),
            FaultTemplate::new(
                "close part of the platform",
                FaultKind::CapacityDrop { fraction: 0.5 },
                ["all"],
            )
            .strength("fraction", 0.1, 0.9, 0.1)
            .lasting(300.0),
            FaultTemplate::new(
                "passengers give up",
                FaultKind::ErrorRate { p: 0.1 },
                targets.clone(),
            )
            .strength("p", 0.05, 1.0, 0.05)
            .lasting(300.0),
            FaultTemplate {
                label: "close the footbridge".into(),
                kind: FaultKind::Partition,
                targets,
                strength: None,
                duration_s: Some(120.0),
            },
        ]
    }

    fn events_processed(&self) -> u64 {
        self.engine.processed()
    }

    fn drain_log(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.log)
    }
}

impl crate::world::WorldParams for PlatformParams {
    fn validate(&self) -> Vec<crate::world::ParamIssue> {
        PlatformParams::validate(self)
    }
    fn catalog(&self) -> crate::sim::Catalog {
        // Transitional: read from a built world.
        PlatformParams::build(self, 0, None)
            .map(|w| w.catalog().clone())
            .unwrap_or_default()
    }
    fn build(
        &self,
        seed: u64,
        policy: Option<&str>,
    ) -> Result<Box<dyn crate::sim::World>, crate::world::BuildError> {
        Ok(PlatformParams::build(self, seed, policy)?)
    }
}
