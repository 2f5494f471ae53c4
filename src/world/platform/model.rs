//! The platform's model: passengers arrive from a [`Source`], step onto
//! the platform (a [`FiniteQueue`] capped at K, those boarding included)
//! or, under the `entrance` policy, wait in a second queue at the station
//! entrance; a [`ServerPool`] boards them one at a time, or [`Trains`]
//! take a batch every headway. The faults in force are kept in a
//! [`FaultBook`]: each unit's [`Effect`] and the platform's own (target
//! `all`: capacity and closure) are read from it, never combined here.
//!
//! Events, in the order they are scheduled at build: each track's first
//! train (`TrainDue`), the first arrival, the first sample. A train due is
//! followed by its departure (`TrainLeaves`) after the added latency, if
//! any; a kill with a restart schedules a `Refresh` at the restart instant.

use super::params::{MAX_RATE_PER_MIN, POLICIES, PlatformParams, Service, catalog, unit_names};
use crate::fault::{Fault, FaultKind};
use crate::sim::blocks::queue::{Discipline, FiniteQueue};
use crate::sim::blocks::servers::{Outcome, ServerPool, ServiceDist, ServiceTime, Start, Trains};
use crate::sim::blocks::source::{RateProfile, Source};
use crate::sim::blocks::stats::{BlockStats, Reject, StatsSeries};
use crate::sim::blocks::uniform;
use crate::sim::fault::{Effect, FaultBook, Target};
use crate::sim::metrics::{Rolling, TimeAverage, WindowLatency};
use crate::sim::rng::{SimRng, stream};
use crate::sim::{
    Catalog, ClosedForms, Command, CommandError, Context, Engine, Metrics, Model, SimTime, Snapshot,
};

/// Where turned-away passengers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    Leave,
    Entrance,
}

/// Points kept by the rolling series.
const HISTORY: usize = 240;

/// The platform's event queue: a binary heap.
pub type Queue = Engine<Event>;

/// What a handler sees of the run-time.
type Cx<'a> = Context<'a, Event, Queue>;

/// The platform's events.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A passenger (or a batch) arrives; stale once the source's rate
    /// changed (`epoch` behind the source's).
    Arrival { epoch: u32 },
    /// Server `server` finishes boarding job `token`.
    Done { server: u32, token: u32 },
    /// Track `track`'s train is due at the platform.
    TrainDue { track: u32 },
    /// Track `track`'s (late) train boards and leaves.
    TrainLeaves { track: u32 },
    /// A kill's restart time: recompute the fault effects.
    Refresh,
    /// Sample the rolling series.
    Sample,
}

// One per world, never moved around: the size difference costs nothing,
// and a box would add an indirection on the hot path.
#[allow(clippy::large_enum_variant)]
pub(super) enum Mode {
    Servers(ServerPool<SimTime>),
    Trains {
        trains: Trains,
        effects: Vec<Effect>,
        seats_offered: u64,
        seats_filled: u64,
    },
}

/// The platform world (see the module docs), run as
/// [`Runtime<Platform>`](crate::sim::Runtime).
pub struct Platform {
    pub(super) p: PlatformParams,
    pub(super) source: Source,
    pub(super) mode: Mode,
    /// Waiting on the platform (not boarding); items are station arrival times.
    pub(super) waiting: FiniteQueue<SimTime>,
    pub(super) entrance: FiniteQueue<SimTime>,
    pub(super) overflow: Overflow,
    pub(super) faults: FaultBook,
    faults_rng: SimRng,
    pub(super) unit_names: Vec<String>,
    pub(super) k_effective: u64,
    pub(super) closed: bool,
    pub(super) stats: BlockStats,
    pub(super) entrance_avg: TimeAverage,
    // rolling series
    pub(super) series: StatsSeries,
    pub(super) p95: Rolling,
    window: WindowLatency,
    pub(super) chart: Rolling,
    catalog: Catalog,
    /// The last instant a fault, a restart, the policy or the rate
    /// changed (closed forms need none inside the measured window).
    pub(super) changed_at: SimTime,
}

impl Platform {
    /// The model and its queue holding the first events; the parameters
    /// must pass [`PlatformParams::validate`].
    pub fn new(p: PlatformParams, seed: u64) -> Result<(Self, Queue), crate::world::BuildError> {
        crate::world::BuildError::check(p.validate())?;
        let mut queue = Queue::new();
        let c = p.servers as usize;
        let mode = match p.service {
            Service::Trains {
                headway_s,
                train_capacity,
            } => {
                for track in 0..p.servers {
                    let first = headway_s * f64::from(track + 1) / f64::from(p.servers);
                    queue.schedule(SimTime::from_secs_f64(first), Event::TrainDue { track });
                }
                Mode::Trains {
                    trains: Trains::new(headway_s, train_capacity, seed, "platform"),
                    effects: vec![Effect::NONE; c],
                    seats_offered: 0,
                    seats_filled: 0,
                }
            }
            Service::Exponential
            | Service::Deterministic
            | Service::Erlang { .. }
            | Service::Lognormal { .. } => {
                let dist = match p.service {
                    Service::Deterministic => ServiceDist::Deterministic,
                    Service::Erlang { k } => ServiceDist::Erlang { k },
                    Service::Lognormal { cv } => ServiceDist::Lognormal { cv },
                    Service::Exponential | Service::Trains { .. } => ServiceDist::Exponential,
                };
                let service = ServiceTime::new(dist, 60.0 / p.service_rate_per_min)?;
                Mode::Servers(ServerPool::new(c, service, seed, "platform"))
            }
        };
        let mut source = Source::new(
            RateProfile::constant(p.arrival_rate_per_min / 60.0),
            seed,
            "platform/arrivals",
        );
        if let Some(t) = source.start(SimTime::ZERO) {
            queue.schedule(t, Event::Arrival { epoch: 0 });
        }
        queue.schedule(SimTime::from_secs_f64(p.sample_every_s), Event::Sample);
        let model = Platform {
            source,
            mode,
            waiting: FiniteQueue::new(p.capacity as usize, Discipline::Fifo),
            entrance: FiniteQueue::new(p.entrance_capacity as usize, Discipline::Fifo),
            overflow: Overflow::Leave,
            faults: FaultBook::new(),
            faults_rng: stream(seed, "platform/give-up"),
            unit_names: unit_names(&p),
            k_effective: u64::from(p.capacity),
            closed: false,
            stats: BlockStats::new(SimTime::ZERO),
            entrance_avg: TimeAverage::new(SimTime::ZERO, 0.0),
            series: StatsSeries::new(HISTORY),
            p95: Rolling::new(HISTORY),
            window: WindowLatency::new(),
            chart: Rolling::new(HISTORY),
            catalog: catalog(&p),
            changed_at: SimTime::ZERO,
            p,
        };
        Ok((model, queue))
    }

    /// The overflow policy in force.
    #[must_use]
    pub fn overflow(&self) -> Overflow {
        self.overflow
    }

    /// Switches the overflow policy by name; returns the log line.
    pub fn set_policy(&mut self, name: &str) -> Result<&'static str, CommandError> {
        let Some(&(_, o)) = POLICIES.iter().find(|(n, _)| *n == name) else {
            return Err(CommandError::UnknownPolicy {
                name: name.to_string(),
                expected: self.catalog.policies.join(", "),
            });
        };
        self.overflow = o;
        Ok(match o {
            Overflow::Leave => "policy: leave (a full platform turns people away)",
            Overflow::Entrance => "policy: entrance (overflow waits at the station entrance)",
        })
    }

    /// The name of the overflow policy in force.
    pub(super) fn policy_name(&self) -> &'static str {
        POLICIES
            .iter()
            .find(|(_, o)| *o == self.overflow)
            .map_or("leave", |(n, _)| n)
    }

    pub(super) fn mu_per_s(&self) -> f64 {
        self.p.service_rate_per_min / 60.0
    }

    pub(super) fn lambda_per_s(&self) -> f64 {
        self.p.arrival_rate_per_min / 60.0 * self.source.scale()
    }

    fn busy(&self) -> u64 {
        match &self.mode {
            Mode::Servers(pool) => u64::from(pool.busy()),
            Mode::Trains { .. } => 0,
        }
    }

    /// People on the platform, those boarding included.
    pub(super) fn on_platform(&self) -> u64 {
        self.busy() + self.waiting.len() as u64
    }

    fn record_entrance(&mut self, now: SimTime) {
        self.entrance_avg.set(now, self.entrance.len() as f64);
    }

    #[inline]
    fn platform_has_room(&self) -> bool {
        !self.closed && self.on_platform() < self.k_effective
    }

    /// A passenger who arrived at `arrived` steps onto the platform.
    #[inline]
    fn enter_platform(&mut self, cx: &mut Cx<'_>, arrived: SimTime) {
        if let Mode::Servers(pool) = &mut self.mode
            && self.waiting.is_empty()
            && pool.has_free()
        {
            self.board(cx, arrived);
        } else {
            // Room was checked against K; the queue's own capacity is K.
            self.waiting.push_front_or_back(arrived);
        }
    }

    /// Starts boarding the passenger who arrived at `arrived` (server mode).
    #[inline]
    fn board(&mut self, cx: &mut Cx<'_>, arrived: SimTime) {
        let now = cx.now();
        let Mode::Servers(pool) = &mut self.mode else {
            return;
        };
        match pool.start(now, arrived) {
            Start::Started(s) => {
                self.stats.record_wait(now - arrived);
                cx.schedule(
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
    fn flow(&mut self, cx: &mut Cx<'_>) {
        if let Mode::Servers(_) = self.mode {
            while matches!(&self.mode, Mode::Servers(pool) if pool.has_free()) {
                let Some((a, _)) = self.waiting.pop() else {
                    break;
                };
                self.board(cx, a);
            }
        }
        let mut moved = false;
        while !self.entrance.is_empty() && self.platform_has_room() {
            let Some((a, _)) = self.entrance.pop() else {
                break;
            };
            moved = true;
            self.enter_platform(cx, a);
        }
        if moved {
            self.record_entrance(cx.now());
        }
    }

    fn on_arrival(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        let (arrival, next) = self.source.arrive(now);
        if let Some(t) = next {
            let epoch = self.source.epoch();
            cx.schedule(t, Event::Arrival { epoch });
        }
        for _ in 0..arrival.count {
            if self.entrance.is_empty() && self.platform_has_room() {
                self.stats.arrive(now, 1);
                self.enter_platform(cx, now);
            } else if self.overflow == Overflow::Entrance && self.entrance.push(now, 0).is_ok() {
                self.stats.arrive(now, 1);
                self.record_entrance(now);
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

    fn on_done(&mut self, cx: &mut Cx<'_>, server: usize, token: u32) {
        let now = cx.now();
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
        self.flow(cx);
    }

    fn on_train_due(&mut self, cx: &mut Cx<'_>, track: usize) {
        let Mode::Trains {
            trains, effects, ..
        } = &mut self.mode
        else {
            return;
        };
        let e = effects[track];
        let gap = trains.gap(&e);
        let delay = trains.delay(&e);
        // A capacity drop is the platform's, not the train's.
        let cancelled = trains.seats(&Effect {
            capacity_factor: 1.0,
            ..e
        }) == 0;
        cx.schedule_in(
            gap,
            Event::TrainDue {
                track: track as u32,
            },
        );
        if cancelled {
            cx.log(format!("train on {} cancelled", self.unit_names[track]));
        } else if delay == SimTime::ZERO {
            self.on_train_leaves(cx, track);
        } else {
            cx.schedule_in(
                delay,
                Event::TrainLeaves {
                    track: track as u32,
                },
            );
        }
    }

    fn on_train_leaves(&mut self, cx: &mut Cx<'_>, track: usize) {
        let now = cx.now();
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
                self.flow(cx);
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
        self.flow(cx);
    }

    fn on_sample(&mut self, cx: &mut Cx<'_>) {
        self.series.sample(cx.now(), &self.stats);
        let p95 = self.window.quantile_s(0.95);
        self.p95.push(if p95.is_nan() { 0.0 } else { p95 });
        self.window.reset();
        self.chart.push(self.on_platform() as f64);
        cx.schedule_in(SimTime::from_secs_f64(self.p.sample_every_s), Event::Sample);
    }

    /// Recomputes every unit's effect, the platform's capacity and whether
    /// it is closed, from the faults in force.
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        self.changed_at = now;
        // The platform itself: what faults on `all` do (no unit has this index).
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
        self.flow(cx);
    }

    /// Whether the platform gives `kind` a meaning on `target`: every
    /// shared kind is named here, accepted or refused.
    fn accepts(kind: &FaultKind, target: Target) -> Result<(), CommandError> {
        match (kind, target) {
            (
                FaultKind::Kill { .. }
                | FaultKind::Latency { .. }
                | FaultKind::Slowdown { .. }
                | FaultKind::ErrorRate { .. }
                | FaultKind::Partition,
                Target::All | Target::One(_),
            )
            | (FaultKind::CapacityDrop { .. }, Target::All) => Ok(()),
            (FaultKind::CapacityDrop { .. }, Target::One(_)) => Err(CommandError::Invalid(
                "capacity-drop acts on the whole platform: use target `all`".to_string(),
            )),
            (FaultKind::Blackhole | FaultKind::World { .. }, Target::All | Target::One(_)) => {
                Err(CommandError::UnsupportedFault(kind.name().to_string()))
            }
        }
    }

    fn inject(&mut self, cx: &mut Cx<'_>, id: u64, fault: &Fault) -> Result<String, CommandError> {
        let target = Target::resolve(&fault.target, &self.unit_names)?;
        Self::accepts(&fault.kind, target)?;
        if let Some(at) = self.faults.insert(id, fault.kind.clone(), target, cx.now()) {
            cx.schedule(at, Event::Refresh);
        }
        self.refresh(cx);
        Ok(String::new())
    }

    fn scale_arrivals(&mut self, cx: &mut Cx<'_>, f: f64) -> Result<String, CommandError> {
        let new = self.source.scale() * f;
        let rate = self.p.arrival_rate_per_min * new;
        if !(f.is_finite() && f >= 0.0 && rate <= MAX_RATE_PER_MIN) {
            return Err(CommandError::Invalid(format!(
                "arrival rate ×{f} is out of range (at most {MAX_RATE_PER_MIN}/min)"
            )));
        }
        self.changed_at = cx.now();
        if let Some(t) = self.source.set_scale(cx.now(), new) {
            let epoch = self.source.epoch();
            cx.schedule(t, Event::Arrival { epoch });
        }
        Ok(format!("arrival rate → {rate:.1}/min"))
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

impl Model for Platform {
    type Event = Event;
    type Queue = Queue;

    #[inline]
    fn handle(&mut self, cx: &mut Cx<'_>, event: Event) {
        match event {
            Event::Arrival { epoch } => {
                if epoch == self.source.epoch() {
                    self.on_arrival(cx);
                }
            }
            Event::Done { server, token } => self.on_done(cx, server as usize, token),
            Event::TrainDue { track } => self.on_train_due(cx, track as usize),
            Event::TrainLeaves { track } => self.on_train_leaves(cx, track as usize),
            Event::Refresh => self.refresh(cx),
            Event::Sample => self.on_sample(cx),
        }
    }

    fn apply(&mut self, cx: &mut Cx<'_>, cmd: &Command) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => {
                let line = self.set_policy(name)?;
                self.changed_at = cx.now();
                Ok(line.to_string())
            }
            Command::ScaleArrivals(f) => self.scale_arrivals(cx, *f),
            Command::InjectFault { id, fault } => self.inject(cx, *id, fault),
            Command::ClearFault(id) => {
                // An unknown id (already cleared) changes nothing.
                if self.faults.remove(*id) {
                    self.refresh(cx);
                }
                Ok(String::new())
            }
            Command::ClearFaults => {
                let had = !self.faults.is_empty();
                self.faults.clear();
                self.refresh(cx);
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

    fn snapshot(&self, now: SimTime) -> Snapshot {
        self.view(now)
    }

    fn metrics(&self, now: SimTime) -> Metrics {
        self.observe(now).to_metrics()
    }

    fn analytic(&self, _now: SimTime) -> ClosedForms {
        self.closed_forms()
    }
    fn ledger(&self, now: SimTime) -> crate::sim::world::Ledger {
        self.observe(now).ledger()
    }

    fn reset_statistics(&mut self, now: SimTime) {
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

    fn policy(&self) -> String {
        self.policy_name().to_string()
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}
