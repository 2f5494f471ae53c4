//! The platform's model: passengers arrive from a [`Source`], step onto
//! the platform (a [`Station`] with room for K, those boarding included)
//! or, under the `entrance` policy, wait in a [`FiniteQueue`] at the
//! station entrance; the station's slots (the servers) board them one at
//! a time, or, with no slots, [`Trains`] take a batch from its backlog
//! every headway. The faults in force are kept in a [`FaultBook`]: each
//! unit's [`Effect`] and the platform's own (target `all`: capacity and
//! closure) are read from it, never combined here, and handed to the
//! station when they change.
//!
//! Events, in the order they are scheduled at build: each track's first
//! train (`TrainDue`), the first arrival, the first sample. A train due is
//! followed by its departure (`TrainLeaves`) after the added latency, if
//! any; a kill with a restart schedules a `Refresh` at the restart instant.

use super::params::{MAX_RATE_PER_MIN, POLICIES, PlatformParams, Service, catalog, unit_names};
use crate::fault::{Fault, FaultKind};
use crate::sim::blocks::queue::{Discipline, FiniteQueue};
use crate::sim::blocks::servers::{Outcome, ServiceDist, ServiceTime, Trains};
use crate::sim::blocks::source::{RateProfile, Source};
use crate::sim::blocks::station::{Arrive, Begun, Finished, Pulled, ServiceModel, Station};
use crate::sim::blocks::stats::{BlockStats, Reject};
use crate::sim::blocks::uniform;
use crate::sim::fault::{Effect, FaultBook, Target};
use crate::sim::metrics::{TimeAverage, WindowLatency};
use crate::sim::rng::{SimRng, stream};
use crate::sim::{
    Catalog, ClosedForms, Command, CommandError, Context, Engine, History, Metrics, Model, Probe,
    Sampling, SimTime, Snapshot,
};

/// Where turned-away passengers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    Leave,
    Entrance,
}

/// Points kept by the rolling series.
const HISTORY: usize = 240;

/// The series the dashboard draws (see [`Platform::sampling`](Model::sampling)).
pub(super) mod series {
    use crate::sim::SeriesId;
    pub const ARRIVALS: SeriesId = SeriesId(0);
    pub const BOARDED: SeriesId = SeriesId(1);
    pub const TURNED_AWAY: SeriesId = SeriesId(2);
    pub const P95_WAIT: SeriesId = SeriesId(3);
    pub const ON_PLATFORM: SeriesId = SeriesId(4);
}

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

/// How the platform is emptied: by the station's slots, or by trains
/// taking a batch from its backlog (the station then has no slots).
// One per world, never moved around: the size difference costs nothing,
// and a box would add an indirection on the trains' path.
#[allow(clippy::large_enum_variant)]
pub(super) enum Mode {
    Servers,
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
    /// The platform: its servers (slots), those waiting on it (backlog,
    /// counted from their arrival at the station) and room for K.
    pub(super) station: Station<()>,
    /// Waiting at the entrance; items are station arrival times.
    pub(super) entrance: FiniteQueue<SimTime>,
    pub(super) overflow: Overflow,
    pub(super) faults: FaultBook,
    faults_rng: SimRng,
    pub(super) unit_names: Vec<String>,
    pub(super) stats: BlockStats,
    pub(super) entrance_avg: TimeAverage,
    /// Waits since the last sample (the recent p95).
    window: WindowLatency,
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
        let (mode, slots, service) = match p.service {
            Service::Trains {
                headway_s,
                train_capacity,
            } => {
                for track in 0..p.servers {
                    let first = headway_s * f64::from(track + 1) / f64::from(p.servers);
                    queue.schedule(SimTime::from_secs_f64(first), Event::TrainDue { track });
                }
                let mode = Mode::Trains {
                    trains: Trains::new(headway_s, train_capacity, seed, "platform"),
                    effects: vec![Effect::NONE; c],
                    seats_offered: 0,
                    seats_filled: 0,
                };
                // No slots: the service model is never drawn from.
                let unused = ServiceTime::new(ServiceDist::Deterministic, headway_s)?;
                (mode, 0, unused)
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
                (Mode::Servers, c, service)
            }
        };
        // No router reads the platform: it keeps no EWMAs.
        let station = Station::new(
            slots,
            p.capacity as usize,
            Discipline::Fifo,
            ServiceModel::Fixed(service),
            seed,
            "platform",
        )
        .without_ewma();
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
            station,
            entrance: FiniteQueue::new(p.entrance_capacity as usize, Discipline::Fifo),
            overflow: Overflow::Leave,
            faults: FaultBook::new(),
            faults_rng: stream(seed, "platform/give-up"),
            unit_names: unit_names(&p),
            stats: BlockStats::new(SimTime::ZERO),
            entrance_avg: TimeAverage::new(SimTime::ZERO, 0.0),
            window: WindowLatency::new(),
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

    /// People on the platform, those boarding included.
    pub(super) fn on_platform(&self) -> u64 {
        self.station.in_system()
    }

    /// K after capacity drops.
    pub(super) fn k_effective(&self) -> u64 {
        self.station.effective_capacity() as u64
    }

    /// Whether the platform's entry is closed (`Partition` on `all`).
    pub(super) fn is_closed(&self) -> bool {
        !self.station.accepting()
    }

    fn record_entrance(&mut self, now: SimTime) {
        self.entrance_avg.set(now, self.entrance.len() as f64);
    }

    /// A passenger at the entrance who arrived at `arrived` steps onto
    /// the platform (room was checked).
    #[inline]
    fn enter_platform(&mut self, cx: &mut Cx<'_>, arrived: SimTime) {
        let a = self.station.arrive_since(cx.now(), arrived, (), 0);
        self.stepped_on(cx, a);
    }

    /// What became of a passenger (already counted) stepping onto the
    /// platform: boarding at once when nobody waits and a server is free,
    /// else waiting on it.
    // Small and on every event's path; without the hint it is called,
    // not inlined, where it is used more than once.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn stepped_on(&mut self, cx: &mut Cx<'_>, a: Arrive<()>) {
        match a {
            Arrive::Admitted(b) => self.boarding(cx, b),
            Arrive::Queued => {}
            // A blackhole is refused on the platform; were it not, the
            // passenger would still be accounted for.
            Arrive::Hung(()) => self.stats.reject(cx.now(), Reject::Error),
            // Only after a room check, which cannot fail: no one is lost.
            Arrive::Rejected((), why) => self.stats.reject(cx.now(), why),
        }
    }

    /// A passenger started boarding: record the wait, schedule the end.
    // Small and on every event's path; without the hint it is called,
    // not inlined, where it is used more than once.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn boarding(&mut self, cx: &mut Cx<'_>, b: Begun) {
        self.stats.record_wait(b.waited);
        cx.schedule(
            b.at,
            Event::Done {
                server: b.slot as u32,
                token: b.token,
            },
        );
    }

    // Small and on every event's path; without the hint it is called,
    // not inlined, where it is used more than once.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn pulled(&mut self, cx: &mut Cx<'_>, p: Pulled<()>) {
        match p {
            Pulled::Started(b) => self.boarding(cx, b),
            Pulled::Hung(()) => self.stats.reject(cx.now(), Reject::Error),
        }
    }

    /// Fills free servers from the platform queue, then the platform from
    /// the entrance.
    fn flow(&mut self, cx: &mut Cx<'_>) {
        while let Some(p) = self.station.pull(cx.now()) {
            self.pulled(cx, p);
        }
        self.walk_up(cx);
    }

    /// People at the entrance walk onto the platform while it has room.
    #[inline]
    fn walk_up(&mut self, cx: &mut Cx<'_>) {
        if !self.entrance.is_empty() {
            self.walk_up_from_entrance(cx);
        }
    }

    #[inline(never)]
    fn walk_up_from_entrance(&mut self, cx: &mut Cx<'_>) {
        let mut moved = false;
        while !self.entrance.is_empty() && self.station.has_room() {
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
            // Nobody jumps the entrance line: the platform first only when
            // no one waits there.
            if self.entrance.is_empty() {
                let a = self.station.arrive(now, (), 0);
                if !matches!(a, Arrive::Rejected(..)) {
                    self.stats.arrive(now, 1);
                    self.stepped_on(cx, a);
                    continue;
                }
            }
            if self.overflow == Overflow::Entrance && self.entrance.push(now, 0).is_ok() {
                self.stats.arrive(now, 1);
                self.record_entrance(now);
            } else {
                self.stats.reject_arrival(1, self.station.refusal());
            }
        }
    }

    fn on_done(&mut self, cx: &mut Cx<'_>, server: usize, token: u32) {
        let now = cx.now();
        let Some(Finished {
            outcome,
            response: r,
            next,
            ..
        }) = self.station.finish(now, server, token)
        else {
            return; // lost in a crash and already requeued
        };
        match outcome {
            Outcome::Complete => {
                self.stats.complete(now, r);
                self.window.record(r);
            }
            Outcome::Error => self.stats.reject(now, Reject::Error),
        }
        // The station started the platform queue's next passenger on the
        // freed server; the others stay busy.
        if let Some(p) = next {
            self.pulled(cx, p);
        }
        self.walk_up(cx);
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
            if self.station.backlog_len() == 0 {
                // The train is still at the platform: people waiting at the
                // entrance walk up as space frees and board it too.
                self.flow(cx);
            }
            let Some(((), arrived)) = self.station.take() else {
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

    /// Recomputes every unit's effect, the platform's capacity and whether
    /// it is closed, from the faults in force.
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        self.changed_at = now;
        // The platform itself: what faults on `all` do (no unit has this
        // index). Only room and closure are the platform's: a kill on
        // `all` stops the servers (or trains), not the platform.
        let whole = self.faults.effect(usize::MAX, now);
        self.station.set_effect(Effect {
            capacity_factor: whole.capacity_factor,
            partitioned: whole.partitioned,
            ..Effect::NONE
        });
        let faults = &self.faults;
        match &mut self.mode {
            // Passengers whose boarding was interrupted go back to the head
            // of the platform queue, in their original order.
            Mode::Servers => {
                self.station
                    .set_slot_effects(now, |i| faults.effect(i, now));
            }
            Mode::Trains { effects, .. } => {
                for (i, slot) in effects.iter_mut().enumerate() {
                    *slot = faults.effect(i, now);
                }
            }
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
            // The runtime's sample tick: see `observe`.
            Event::Sample => {}
        }
    }

    fn sampling(&self) -> Sampling {
        let every = SimTime::from_secs_f64(self.p.sample_every_s);
        let after_first = crate::sim::Start::FirstSample;
        Sampling::new(every, HISTORY)
            .counter(series::ARRIVALS, "arrivals", 1.0, after_first)
            .counter(series::BOARDED, "boarded", 1.0, after_first)
            .counter(series::TURNED_AWAY, "turned away", 1.0, after_first)
            .level(series::P95_WAIT, "p95 wait, recent")
            .level(series::ON_PLATFORM, "people on the platform")
    }

    #[inline]
    fn is_sample(event: &Event) -> bool {
        matches!(event, Event::Sample)
    }

    fn observe(&mut self, _now: SimTime, probe: &mut Probe<'_>) {
        probe.counter(series::ARRIVALS, self.stats.arrivals());
        probe.counter(series::BOARDED, self.stats.completed());
        probe.counter(series::TURNED_AWAY, self.stats.rejected_total());
        let p95 = self.window.quantile_s(0.95);
        probe.level(series::P95_WAIT, if p95.is_nan() { 0.0 } else { p95 });
        self.window.reset();
        probe.level(series::ON_PLATFORM, self.on_platform() as f64);
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

    fn snapshot(&self, now: SimTime, history: &History) -> Snapshot {
        self.view(now, history)
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
        self.station.reset_statistics(now);
        match &mut self.mode {
            Mode::Servers => {}
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
