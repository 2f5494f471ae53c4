//! A station: `k` slots (servers) in front of a finite backlog (a
//! [`FiniteQueue`]), a service model, the fault [`Effect`] in force on the
//! station as a whole and on each slot, and the EWMAs of latency and
//! success a router reads through [`Station::backend`].
//!
//! Capacity K counts everyone in the station, those in service included
//! (M/M/c/K): a job is admitted while `busy + backlog < ⌊K × capacity
//! factor⌋` and the station accepts work. A job goes straight to a free
//! slot when the backlog is empty, else it waits; every finish starts the
//! backlog's next job on the slot it frees.
//!
//! Effects are cached, never recomputed here: the caller reads them from
//! its [`FaultBook`](crate::sim::fault::FaultBook) when faults change and
//! hands them over. The station's own effect governs admission (down or
//! partitioned: refused as [`Reject::Unavailable`]) and room (the capacity
//! factor); each slot's effect governs its service exactly as in
//! [`ServerPool`](super::servers::ServerPool): slowdown divides the
//! service time, latency ± jitter is added, an error probability fails the
//! job fast, a blackholed slot swallows it, and a slot going down loses its
//! job, which goes back to the head of the backlog in arrival order.
//!
//! Service models: any [`ServiceTime`] distribution, or one whose rate
//! degrades past a knee of concurrency (the way Tatkal's booking engines
//! thrash): with `n` jobs in service once this one starts, the service
//! time drawn is scaled by `1 + slope · max(0, n − knee) / knee`, so up to
//! the knee nothing changes and every job past it adds `slope / knee` to
//! the mean.
//!
//! Every start returns a token; the caller schedules the finish carrying
//! (slot, token) and [`Station::finish`] ignores stale tokens, so a job
//! lost in a crash never finishes twice. Random streams: `NAME/service`
//! for service times, `NAME/faults` for jitter and errors (as a server
//! pool's), so a station draws exactly what a pool and a queue of the same
//! name would.

pub mod engine;

use super::super::SimTime;
use super::super::metrics::{Ewma, TimeAverage};
use super::super::rng::{SimRng, stream};
use super::queue::{Discipline, FiniteQueue};
use super::servers::{Outcome, ServiceTime};
use super::stats::Reject;
use super::{BlockError, secs};
use crate::policy::Backend;
use crate::sim::fault::Effect;

/// How long a job takes in a slot (before faults).
#[derive(Clone, Copy, Debug)]
pub enum ServiceModel {
    /// Independent draws from one distribution.
    Fixed(ServiceTime),
    /// Draws from `base`, scaled by `1 + slope · max(0, n − knee) / knee`
    /// with `n` the jobs in service once this one starts.
    Degrading {
        base: ServiceTime,
        knee: u32,
        slope: f64,
    },
}

impl ServiceModel {
    /// A service whose rate degrades past `knee` concurrent jobs.
    pub fn degrading(base: ServiceTime, knee: u32, slope: f64) -> Result<Self, BlockError> {
        if knee == 0 {
            return Err(BlockError::Knee);
        }
        if !(slope.is_finite() && slope >= 0.0) {
            return Err(BlockError::Slope(slope));
        }
        Ok(ServiceModel::Degrading { base, knee, slope })
    }

    /// The distribution drawn from.
    #[must_use]
    pub fn base(&self) -> &ServiceTime {
        match self {
            ServiceModel::Fixed(s) | ServiceModel::Degrading { base: s, .. } => s,
        }
    }

    /// The factor on the mean with `n` jobs in service (1 up to the knee).
    #[must_use]
    pub fn factor(&self, n: u32) -> f64 {
        match *self {
            ServiceModel::Fixed(_) => 1.0,
            ServiceModel::Degrading { knee, slope, .. } => {
                1.0 + slope * f64::from(n.saturating_sub(knee)) / f64::from(knee)
            }
        }
    }

    /// The mean service time with `n` jobs in service, seconds.
    #[must_use]
    pub fn mean_s(&self, n: u32) -> f64 {
        self.base().mean_s() * self.factor(n)
    }

    #[inline]
    fn sample(&self, rng: &mut SimRng, n: u32) -> f64 {
        match self {
            ServiceModel::Fixed(s) => s.sample(rng),
            ServiceModel::Degrading { base, .. } => base.sample(rng) * self.factor(n),
        }
    }
}

/// A job in the station: the caller's item and the instant it counts from
/// (its arrival, which may precede its entry into this station).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Job<T> {
    since: SimTime,
    item: T,
}

/// A job started on a slot: schedule its finish at `at` carrying `slot`
/// and `token`; it waited `waited` since it counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Begun {
    pub slot: usize,
    pub at: SimTime,
    pub token: u32,
    pub waited: SimTime,
}

/// What became of a job handed to a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pulled<T> {
    Started(Begun),
    /// A blackholed slot swallowed it: no answer will ever come (the
    /// caller keeps it until its client gives up).
    Hung(T),
}

/// What [`Station::arrive`] did with a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrive<T> {
    /// Straight into service.
    Admitted(Begun),
    /// Waiting in the backlog.
    Queued,
    /// Swallowed by a blackholed slot (see [`Pulled::Hung`]).
    Hung(T),
    /// Not let in: the station is full or not accepting work.
    Rejected(T, Reject),
}

/// A job finished (its finish event fired).
#[derive(Debug, PartialEq, Eq)]
pub struct Finished<T> {
    pub item: T,
    pub outcome: Outcome,
    /// Since it counted from to now.
    pub response: SimTime,
    /// The backlog's next job, started on the freed slot.
    pub next: Option<Pulled<T>>,
}

#[derive(Clone, Debug)]
struct Slot<T> {
    job: Option<Job<T>>,
    outcome: Outcome,
    token: u32,
    effect: Effect,
    /// `effect != Effect::NONE`, kept so the hot path tests one flag.
    faulty: bool,
    /// Taken out of rotation: finishes its job, takes no new one.
    drained: bool,
}

impl<T> Slot<T> {
    fn accepting(&self) -> bool {
        self.effect.accepting() && !self.drained
    }
}

/// A station (see the module docs).
#[derive(Clone, Debug)]
pub struct Station<T> {
    slots: Vec<Slot<T>>,
    /// The number of slots (`slots.len()`, or the count of a station run
    /// by its caller, which keeps no slot records: see [`engine`]).
    k: u32,
    /// Run by its caller (see [`engine`]): slots are a count.
    counted: bool,
    /// Some slot accepts work (kept for [`Station::backend`]).
    slots_open: bool,
    /// Crashes so far (wrapping): a caller-timed finish names the life it
    /// began in (see [`engine`]).
    life: u16,
    /// Idle slots accepting work; the last is used next.
    free: Vec<u32>,
    backlog: FiniteQueue<Job<T>>,
    service: ServiceModel,
    rng: SimRng,
    faults_rng: SimRng,
    capacity: usize,
    effective: usize,
    effect: Effect,
    /// `effect.accepting()` and `effective`, kept for the admission test.
    open: bool,
    room: u64,
    busy: u32,
    busy_avg: TimeAverage,
    started: u64,
    /// Whether finishes feed the EWMAs (off for an owner no router reads).
    track: bool,
    latency: Ewma,
    success: Ewma,
}

impl<T> Station<T> {
    /// `k` slots and room for `capacity` in all (random streams
    /// `NAME/service`, `NAME/faults`); EWMAs weigh each new value by 0.1.
    #[must_use]
    pub fn new(
        k: usize,
        capacity: usize,
        discipline: Discipline,
        service: ServiceModel,
        seed: u64,
        name: &str,
    ) -> Self {
        Station {
            slots: (0..k)
                .map(|_| Slot {
                    job: None,
                    outcome: Outcome::Complete,
                    token: 0,
                    effect: Effect::NONE,
                    faulty: false,
                    drained: false,
                })
                .collect(),
            free: (0..k as u32).rev().collect(),
            k: k as u32,
            counted: false,
            slots_open: k > 0,
            life: 0,
            backlog: FiniteQueue::new(capacity, discipline),
            service,
            rng: stream(seed, &format!("{name}/service")),
            faults_rng: stream(seed, &format!("{name}/faults")),
            capacity,
            effective: capacity,
            effect: Effect::NONE,
            open: true,
            room: capacity as u64,
            busy: 0,
            busy_avg: TimeAverage::new(SimTime::ZERO, 0.0),
            started: 0,
            track: true,
            latency: Ewma::new(0.1),
            success: Ewma::new(0.1),
        }
    }

    /// Weighs each new latency and success by `alpha` instead.
    #[must_use]
    pub fn with_ewma(mut self, alpha: f64) -> Self {
        self.latency = Ewma::new(alpha);
        self.success = Ewma::new(alpha);
        self
    }

    /// Keeps no EWMAs (a station no router reads: a world's only one):
    /// finishing skips them, and [`Station::backend`] reports the values
    /// they have before any job (latency 0, success 1).
    #[must_use]
    pub fn without_ewma(mut self) -> Self {
        self.track = false;
        self
    }

    /// Slots.
    #[must_use]
    pub fn len(&self) -> usize {
        self.k as usize
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.k == 0
    }

    /// Slots holding a job.
    #[must_use]
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Jobs waiting in the backlog.
    #[must_use]
    pub fn backlog_len(&self) -> usize {
        self.backlog.len()
    }

    /// Everyone in the station: in service and waiting.
    #[must_use]
    pub fn in_system(&self) -> u64 {
        u64::from(self.busy) + self.backlog.len() as u64
    }

    /// K as built.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// K under the station's capacity factor.
    #[must_use]
    pub fn effective_capacity(&self) -> usize {
        self.effective
    }

    /// Whether the station takes new work (its own effect).
    #[must_use]
    pub fn accepting(&self) -> bool {
        self.open
    }

    /// Whether a job arriving now would be let in.
    #[inline]
    #[must_use]
    pub fn has_room(&self) -> bool {
        self.open && self.in_system() < self.room
    }

    /// Why a job arriving now would be turned away.
    #[must_use]
    pub fn refusal(&self) -> Reject {
        if self.open {
            Reject::Full
        } else {
            Reject::Unavailable
        }
    }

    /// Whether some slot could start a job now.
    #[must_use]
    pub fn has_free(&self) -> bool {
        !self.free.is_empty()
    }

    #[must_use]
    pub fn service(&self) -> &ServiceModel {
        &self.service
    }

    /// Jobs started since the beginning.
    #[must_use]
    pub fn started(&self) -> u64 {
        self.started
    }

    /// The station's own effect.
    #[must_use]
    pub fn effect(&self) -> Effect {
        self.effect
    }

    #[must_use]
    pub fn slot_effect(&self, slot: usize) -> Effect {
        self.slots[slot].effect
    }

    #[must_use]
    pub fn is_busy(&self, slot: usize) -> bool {
        self.slots[slot].job.is_some()
    }

    /// How the job in service on `slot` will end, if `token` is its
    /// current one (`None`: no such job, e.g. lost in a crash). A caller
    /// that keeps the slot after the service (a synchronous call) asks
    /// this when the finish event fires and calls [`Station::finish`]
    /// only when the answer comes.
    #[must_use]
    pub fn slot_outcome(&self, slot: usize, token: u32) -> Option<Outcome> {
        let s = self.slots.get(slot)?;
        (s.token == token && s.job.is_some()).then_some(s.outcome)
    }

    /// Mean busy slots / k since the last reset.
    #[must_use]
    pub fn utilisation(&self, now: SimTime) -> f64 {
        self.busy_avg.mean(now) / f64::from(self.k.max(1))
    }

    pub fn reset_statistics(&mut self, now: SimTime) {
        self.busy_avg.reset(now);
    }

    /// EWMA of the response time of completed jobs, seconds (0 before any).
    #[must_use]
    pub fn latency_s(&self) -> f64 {
        self.latency.value_or(0.0)
    }

    /// EWMA of success (1) and failure (0) of finished jobs (1 before any).
    #[must_use]
    pub fn success_rate(&self) -> f64 {
        self.success.value_or(1.0)
    }

    /// What a router knows of the station: available when it accepts work
    /// and some slot does; in flight is everyone in it; weighed by its slots.
    #[must_use]
    pub fn backend(&self) -> Backend {
        Backend {
            available: self.effect.accepting() && self.slots_open,
            in_flight: u32::try_from(self.in_system()).unwrap_or(u32::MAX),
            weight: f64::from(self.k),
            success_rate: self.success_rate(),
            response_s: self.latency_s(),
            ..Backend::default()
        }
    }

    /// A job arriving now.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn arrive(&mut self, now: SimTime, item: T, class: usize) -> Arrive<T> {
        self.arrive_since(now, now, item, class)
    }

    /// A job arriving now that counts from `since` (e.g. it waited at an
    /// entrance first): admitted to a free slot when the backlog is empty,
    /// queued when there is room, else rejected.
    // Always inlined: an item larger than two words (a network's job)
    // goes to an out-of-line call through memory and is read back from
    // there into its slot or the backlog, a stall on every arrival; and
    // what it returns, read at once, would come back through memory too.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn arrive_since(
        &mut self,
        now: SimTime,
        since: SimTime,
        item: T,
        class: usize,
    ) -> Arrive<T> {
        if !self.has_room() {
            let why = self.refusal();
            return Arrive::Rejected(item, why);
        }
        let job = Job { since, item };
        if self.backlog.is_empty()
            && let Some(i) = self.free.pop()
        {
            return match self.start_on_slot(now, i as usize, job) {
                Pulled::Started(b) => Arrive::Admitted(b),
                Pulled::Hung(item) => Arrive::Hung(item),
            };
        }
        if let Err(job) = self.backlog.push(job, class) {
            // Only when lost jobs requeued past a lowered K: keep order.
            self.backlog.set_capacity(self.backlog.len() + 1);
            let _ = self.backlog.push(job, class);
        }
        Arrive::Queued
    }

    /// Starts the backlog's next job on a free slot, if both exist.
    #[inline]
    pub fn pull(&mut self, now: SimTime) -> Option<Pulled<T>> {
        if self.free.is_empty() {
            return None;
        }
        let (job, _) = self.backlog.pop()?;
        let i = self.free.pop()?;
        Some(self.start_on_slot(now, i as usize, job))
    }

    /// Takes the backlog's next job without serving it (batch service,
    /// e.g. a train): the item and since when it counts.
    pub fn take(&mut self) -> Option<(T, SimTime)> {
        self.backlog.pop().map(|(j, _)| (j.item, j.since))
    }

    #[inline]
    fn start_on_slot(&mut self, now: SimTime, i: usize, job: Job<T>) -> Pulled<T> {
        let base = self.service.sample(&mut self.rng, self.busy + 1);
        let (t, outcome) = if self.slots[i].faulty {
            let e = self.slots[i].effect;
            if e.blackholed {
                self.free.push(i as u32);
                return Pulled::Hung(job.item);
            }
            self.faulted(&e, base)
        } else {
            (base, Outcome::Complete)
        };
        let waited = now - job.since;
        let slot = &mut self.slots[i];
        slot.job = Some(job);
        slot.outcome = outcome;
        slot.token = slot.token.wrapping_add(1);
        self.busy += 1;
        self.started += 1;
        self.busy_avg.set(now, f64::from(self.busy));
        Pulled::Started(Begun {
            slot: i,
            at: now + secs(t),
            token: slot.token,
            waited,
        })
    }

    /// A service of `base` seconds on a slot under `e` (not blackholed),
    /// as [`Effect::serve`] makes it. Out of line: the fault-free start
    /// stays small.
    #[cold]
    #[inline(never)]
    fn faulted(&mut self, e: &Effect, base: f64) -> (f64, Outcome) {
        match e.serve(base, &mut self.faults_rng) {
            (t, false) => (t, Outcome::Complete),
            (t, true) => (t, Outcome::Error),
        }
    }

    /// The job on `slot` ends (its finish event fired), and the backlog's
    /// next job starts on the freed slot. `None` when the token is stale
    /// (the job was lost in a crash and requeued).
    // Always inlined, as `arrive_since` is (see there).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn finish(&mut self, now: SimTime, slot: usize, token: u32) -> Option<Finished<T>> {
        let s = self.slots.get_mut(slot)?;
        if s.token != token {
            return None;
        }
        let job = s.job.take()?;
        let outcome = s.outcome;
        let accepting = s.accepting();
        let response = now - job.since;
        if self.track {
            match outcome {
                Outcome::Complete => {
                    self.latency.observe(response.as_secs_f64());
                    self.success.observe(1.0);
                }
                Outcome::Error => self.success.observe(0.0),
            }
        }
        let next = if accepting {
            // The freed slot would be the last free one, the one `pull`
            // takes: start the backlog's next job on it directly. The busy
            // count goes down and up again at the same instant, which adds
            // nothing to its time average.
            self.busy -= 1;
            if let Some((next, _)) = self.backlog.pop() {
                Some(self.start_on_slot(now, slot, next))
            } else {
                self.busy_avg.set(now, f64::from(self.busy));
                self.free.push(slot as u32);
                None
            }
        } else {
            self.busy -= 1;
            self.busy_avg.set(now, f64::from(self.busy));
            self.pull(now)
        };
        Some(Finished {
            item: job.item,
            outcome,
            response,
            next,
        })
    }

    /// Sets the station's own effect (admission and room; see the module
    /// docs). Jobs already in beyond a lowered K stay.
    pub fn set_effect(&mut self, effect: Effect) {
        self.effect = effect;
        self.effective =
            (self.capacity as f64 * effect.capacity_factor.clamp(0.0, 1.0)).floor() as usize;
        self.open = effect.accepting();
        self.room = self.effective as u64;
    }

    fn rebuild_free(&mut self) {
        if self.counted {
            return;
        }
        self.slots_open = self.slots.iter().any(Slot::accepting);
        self.free = (0..self.slots.len() as u32)
            .rev()
            .filter(|&i| {
                let s = &self.slots[i as usize];
                s.job.is_none() && s.accepting()
            })
            .collect();
    }

    /// Sets the effect on each slot whose effect changed (`effect(i)` for
    /// slot `i`). Jobs lost on slots going down go back to the head of the
    /// backlog in the order they count from; returns how many. Start the
    /// backlog again with [`Station::pull`].
    pub fn set_slot_effects(&mut self, now: SimTime, effect: impl Fn(usize) -> Effect) -> usize {
        let mut lost = Vec::new();
        let mut changed = false;
        for i in 0..self.slots.len() {
            let e = effect(i);
            let slot = &mut self.slots[i];
            if slot.effect == e {
                continue;
            }
            changed = true;
            slot.effect = e;
            slot.faulty = e != Effect::NONE;
            if e.down
                && let Some(j) = slot.job.take()
            {
                slot.token = slot.token.wrapping_add(1);
                self.busy -= 1;
                self.busy_avg.set(now, f64::from(self.busy));
                lost.push(j);
            }
        }
        if changed {
            self.rebuild_free();
        }
        let n = lost.len();
        lost.sort_by_key(|j| j.since);
        for j in lost.into_iter().rev() {
            self.backlog.push_front(j, 0);
        }
        n
    }

    /// Keeps only the first `n` slots in rotation (capacity drop); the
    /// others finish their job and then idle.
    pub fn set_active(&mut self, n: usize) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            s.drained = i >= n;
        }
        self.rebuild_free();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::blocks::exp1;
    use crate::sim::blocks::servers::ServiceDist;
    use crate::sim::blocks::servers::{ServerPool, Start};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    fn det(mean_s: f64) -> ServiceModel {
        ServiceModel::Fixed(ServiceTime::new(ServiceDist::Deterministic, mean_s).expect("valid"))
    }

    fn station(k: usize, cap: usize) -> Station<u32> {
        Station::new(k, cap, Discipline::Fifo, det(1.0), 1, "s")
    }

    fn started(a: Arrive<u32>) -> Begun {
        match a {
            Arrive::Admitted(b) => b,
            other => panic!("not admitted: {other:?}"),
        }
    }

    #[test]
    fn admits_queues_rejects_and_finishing_starts_the_next() {
        let mut s = station(2, 3);
        let t0 = SimTime::ZERO;
        let a = started(s.arrive(t0, 1, 0));
        let b = started(s.arrive(t0, 2, 0));
        assert_ne!(a.slot, b.slot);
        assert_eq!(a.at, SimTime::from_secs(1));
        assert_eq!(s.arrive(t0, 3, 0), Arrive::Queued);
        assert_eq!(s.arrive(t0, 4, 0), Arrive::Rejected(4, Reject::Full));
        assert_eq!(s.in_system(), 3);
        let f = s.finish(a.at, a.slot, a.token).expect("current");
        assert_eq!((f.item, f.outcome), (1, Outcome::Complete));
        assert_eq!(f.response, SimTime::from_secs(1));
        let Some(Pulled::Started(n)) = f.next else {
            panic!("the backlog's job starts")
        };
        assert_eq!((n.slot, n.waited), (a.slot, SimTime::from_secs(1)));
        assert!(s.finish(a.at, a.slot, a.token).is_none(), "stale token");
        assert_eq!(s.backlog_len(), 0);
        assert!((s.latency_s() - 1.0).abs() < 1e-12);
        assert_eq!(s.success_rate(), 1.0);
        // busy 2 over [0, 1] of 2 slots
        assert!((s.utilisation(a.at) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_stations_effect_closes_it_and_shrinks_its_room() {
        let mut s = station(1, 4);
        let t0 = SimTime::ZERO;
        s.set_effect(Effect {
            capacity_factor: 0.5,
            ..Effect::NONE
        });
        assert_eq!(s.effective_capacity(), 2);
        started(s.arrive(t0, 1, 0));
        assert_eq!(s.arrive(t0, 2, 0), Arrive::Queued);
        assert_eq!(s.arrive(t0, 3, 0), Arrive::Rejected(3, Reject::Full));
        s.set_effect(Effect {
            partitioned: true,
            ..Effect::NONE
        });
        assert!(!s.has_room() && !s.backend().available);
        assert_eq!(s.arrive(t0, 4, 0), Arrive::Rejected(4, Reject::Unavailable));
        s.set_effect(Effect::NONE);
        assert_eq!(s.arrive(t0, 5, 0), Arrive::Queued);
        let b = s.backend();
        assert_eq!((b.in_flight, b.weight, b.available), (3, 1.0, true));
    }

    #[test]
    fn slot_faults_slow_fail_swallow_and_crashes_requeue_in_order() {
        let mut s = station(1, 10);
        let t0 = SimTime::ZERO;
        let slow = Effect {
            slowdown: 0.5,
            latency_s: 0.25,
            ..Effect::NONE
        };
        s.set_slot_effects(t0, |_| slow);
        let a = started(s.arrive_since(t0, t0, 1, 0));
        assert_eq!(a.at, SimTime::from_secs_f64(2.25));
        let later = SimTime::from_secs(1);
        assert_eq!(s.arrive_since(later, later, 2, 0), Arrive::Queued);
        let down = Effect { down: true, ..slow };
        assert_eq!(s.set_slot_effects(later, |_| down), 1);
        assert!(
            s.finish(a.at, 0, a.token).is_none(),
            "lost job never finishes"
        );
        assert_eq!((s.busy(), s.backlog_len()), (0, 2));
        assert!(!s.backend().available, "no slot accepts work");
        s.set_slot_effects(later, |_| Effect::NONE);
        let Some(Pulled::Started(b)) = s.pull(later) else {
            panic!("a free slot")
        };
        assert_eq!(
            b.waited,
            SimTime::from_secs(1),
            "the crashed job goes first"
        );
        let err = Effect {
            error_p: 1.0,
            ..Effect::NONE
        };
        let f = s.finish(b.at, b.slot, b.token).expect("current");
        assert_eq!(f.item, 1);
        let Some(Pulled::Started(c)) = f.next else {
            panic!("next")
        };
        s.set_slot_effects(c.at, |_| err);
        let f = s.finish(c.at, c.slot, c.token).expect("current");
        assert_eq!(f.item, 2);
        let d = started(s.arrive(c.at, 3, 0));
        assert_eq!(d.at, c.at, "fails fast");
        let f = s.finish(d.at, d.slot, d.token).expect("current");
        assert_eq!(f.outcome, Outcome::Error);
        assert!(s.success_rate() < 1.0);
        s.set_slot_effects(d.at, |_| Effect {
            blackholed: true,
            ..Effect::NONE
        });
        assert_eq!(s.arrive(d.at, 4, 0), Arrive::Hung(4));
        s.set_slot_effects(d.at, |_| Effect::NONE);
        s.set_active(0);
        assert_eq!(s.arrive(d.at, 5, 0), Arrive::Queued);
        assert!(s.pull(d.at).is_none());
    }

    #[test]
    fn degrading_service_is_flat_to_the_knee_then_grows_linearly() {
        let base = ServiceTime::new(ServiceDist::Deterministic, 2.0).expect("valid");
        let m = ServiceModel::degrading(base, 4, 0.5).expect("valid");
        assert_eq!(m.factor(1), 1.0);
        assert_eq!(m.factor(4), 1.0);
        assert!((m.factor(8) - 1.5).abs() < 1e-12);
        assert!((m.mean_s(12) - 4.0).abs() < 1e-12);
        assert!(ServiceModel::degrading(base, 0, 1.0).is_err());
        assert!(ServiceModel::degrading(base, 1, -1.0).is_err());
        let mut s: Station<u32> = Station::new(6, 6, Discipline::Fifo, m, 1, "d");
        let ends: Vec<f64> = (0..6)
            .map(|i| started(s.arrive(SimTime::ZERO, i, 0)).at.as_secs_f64())
            .collect();
        // n = 1..6 in service: factors 1, 1, 1, 1, 1.125, 1.25
        assert_eq!(ends, vec![2.0, 2.0, 2.0, 2.0, 2.25, 2.5]);
    }

    /// The same jobs through a pool and a queue of the same name: the
    /// station draws and decides exactly as they do.
    #[test]
    fn matches_a_server_pool_and_queue_draw_for_draw() {
        let svc = ServiceTime::new(ServiceDist::Exponential, 1.0).expect("valid");
        let mut s: Station<u32> =
            Station::new(3, 6, Discipline::Fifo, ServiceModel::Fixed(svc), 7, "m");
        let mut pool: ServerPool<u32> = ServerPool::new(3, svc, 7, "m");
        let mut q: FiniteQueue<u32> = FiniteQueue::new(6, Discipline::Fifo);
        let mut rng = stream(7, "arrivals");
        let mut heap = BinaryHeap::new();
        let (mut t, mut seq) = (0.0, 0u32);
        for n in 0..5000u32 {
            t += exp1(&mut rng) / 2.5;
            let now = secs(t);
            while let Some(&Reverse((at, sl, tok, _))) = heap.peek() {
                if at > now {
                    break;
                }
                heap.pop();
                let f = s.finish(at, sl, tok).expect("current");
                let (item, _) = pool.finish(at, sl, tok).expect("current");
                assert_eq!(f.item, item);
                match (f.next, q.pop()) {
                    (Some(Pulled::Started(b)), Some((x, _))) => {
                        let Start::Started(p) = pool.start(at, x) else {
                            panic!("free")
                        };
                        assert_eq!((b.slot, b.at, b.token), (p.server, p.at, p.token));
                        seq += 1;
                        heap.push(Reverse((b.at, b.slot, b.token, seq)));
                    }
                    (None, None) => {}
                    other => panic!("diverged: {other:?}"),
                }
            }
            let room = u64::from(pool.busy()) + (q.len() as u64) < 6;
            match s.arrive(now, n, 0) {
                Arrive::Admitted(b) => {
                    assert!(room && q.is_empty());
                    let Start::Started(p) = pool.start(now, n) else {
                        panic!("free")
                    };
                    assert_eq!((b.slot, b.at, b.token), (p.server, p.at, p.token));
                    seq += 1;
                    heap.push(Reverse((b.at, b.slot, b.token, seq)));
                }
                Arrive::Queued => q.push(n, 0).expect("room"),
                Arrive::Rejected(_, why) => assert!(!room && why == Reject::Full),
                Arrive::Hung(_) => panic!("no blackhole"),
            }
        }
    }

    /// Oracle: M/M/c/K blocking probability, p_K of the birth-death chain.
    #[test]
    fn blocking_matches_the_mmck_closed_form() {
        let (lambda, mu, c, k) = (3.6, 1.0, 4usize, 10usize);
        let a: f64 = lambda / mu;
        let mut p = vec![1.0f64; k + 1];
        for n in 1..=k {
            p[n] = p[n - 1] * a / (n.min(c) as f64);
        }
        let total: f64 = p.iter().sum();
        let pk = p[k] / total;
        let svc = ServiceTime::new(ServiceDist::Exponential, 1.0 / mu).expect("valid");
        let mut s: Station<()> =
            Station::new(c, k, Discipline::Fifo, ServiceModel::Fixed(svc), 3, "o");
        let mut rng = stream(3, "arrivals");
        let mut heap = BinaryHeap::new();
        let (mut t, mut arrived, mut blocked) = (0.0, 0u64, 0u64);
        while arrived < 400_000 {
            t += exp1(&mut rng) / lambda;
            let now = secs(t);
            while let Some(&Reverse((at, sl, tok))) = heap.peek() {
                if at > now {
                    break;
                }
                heap.pop();
                if let Some(Finished {
                    next: Some(Pulled::Started(b)),
                    ..
                }) = s.finish(at, sl, tok)
                {
                    heap.push(Reverse((b.at, b.slot, b.token)));
                }
            }
            arrived += 1;
            match s.arrive(now, (), 0) {
                Arrive::Admitted(b) => heap.push(Reverse((b.at, b.slot, b.token))),
                Arrive::Rejected(..) => blocked += 1,
                Arrive::Queued | Arrive::Hung(()) => {}
            }
        }
        let sim = blocked as f64 / arrived as f64;
        assert!(
            (sim - pk).abs() < 0.1 * pk,
            "simulated {sim}, M/M/4/10 {pk}"
        );
    }
}
