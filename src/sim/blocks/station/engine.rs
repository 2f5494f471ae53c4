//! Stations run by their caller, the way a booking engine is: the caller
//! times each service itself and says how many jobs may be in service.
//!
//! A world whose service time depends on more than the station (a
//! booking step's own time, a cold cache, the database or payment
//! gateway behind it, its own random streams drawn in a fixed order)
//! starts jobs with a `draw` closure, called at the very moment a slot
//! takes the job with the [`Load`] it starts under (the jobs in service
//! with it, and the service model's factor for that many: a
//! [`ServiceModel::Degrading`] knee thrashes here as everywhere). The
//! closure returns the service time in seconds, or `None` when the job is
//! swallowed (it hangs, and the slot stays free).
//!
//! Such a station keeps its slots as a count, not as records: the job in
//! service travels with the finish event the caller schedules (e.g. in
//! whole milliseconds), together with the station's *life* it began in
//! ([`Timed::life`]). A crash starts a new life, so a finish from an older
//! one is stale and [`Station::finish_timed`] ignores it: a job lost in a
//! crash never finishes. (Lives wrap at 65 536; a finish could be taken
//! for the current life only if the station crashed that many times
//! during one service.) With thousands of slots per station and finishes
//! in random order, this keeps the finish from touching a slot's memory.
//!
//! Room: the concurrency limit is the caller's (`limit`, e.g. the slots
//! left under a capacity fault, at most the station's `k`: jobs already
//! in service beyond a lowered limit finish, and no new one starts until
//! the count is under it); the backlog has its own room, fixed at build
//! (K counts only those waiting). A job goes straight into service while
//! the backlog is empty and fewer than `limit` are in service, else it
//! waits if there is room, else it is refused. A station that does not
//! accept work (down or partitioned) refuses everything.
//!
//! A whole-station crash ([`Station::crash`]) loses every job, in service
//! and waiting, and takes the station down until [`Station::recover`];
//! [`Station::crash_waiting`] hands the waiting ones back in order, for a
//! caller that answers each (a kitchen failing its queued orders).
//! The EWMAs are fed by [`Station::finish_timed`] (latency, and success
//! when the answer came within the caller's deadline) and
//! [`Station::record_failure`] (a job refused or given up on). A job that
//! leaves without an answer a router should learn from (it failed, or no
//! router reads the station) frees its slot with
//! [`Station::release_timed`], which feeds neither.
//!
//! The caller may hold a slot across several steps of its own (an app
//! server's worker through CPU, the wait for a database connection, the
//! query and the payment): the station only counts the slot as busy from
//! the start to the finish or release the caller decides on.
//!
//! A station run this way is driven only through these methods (faults
//! reach it as the station's effect, never per slot); the station's own
//! service stream is not drawn from.

use super::{Job, ServiceModel, Station};
use crate::sim::SimTime;
use crate::sim::blocks::queue::Discipline;
use crate::sim::fault::Effect;

/// What a job starts under.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    /// Jobs in service once this one starts (it included).
    pub in_service: u32,
    /// The service model's factor on the mean for that many (1 up to a
    /// degrading model's knee).
    pub factor: f64,
}

/// A job the caller timed, started in the station's life `life`: finish
/// it with [`Station::finish_timed`] after `service_s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timed {
    /// The station's life it began in (see the module docs).
    pub life: u16,
    /// The service time the caller drew, seconds.
    pub service_s: f64,
    /// Since the job counted from until it started.
    pub waited: SimTime,
}

/// What became of a job handed to a station run by its caller.
#[derive(Debug, PartialEq)]
pub enum Sent<T> {
    /// Into service.
    Started(Timed),
    /// Waiting in the backlog.
    Queued,
    /// Swallowed: the caller's `draw` said no answer will ever come.
    Hung(T),
    /// Not let in: the backlog is full, or the station takes no work.
    Refused(T),
}

impl<T> Station<T> {
    /// A station of `k` slots and room for `backlog` waiting, run by its
    /// caller (see the module docs); EWMAs weigh each new value by `alpha`.
    #[must_use]
    pub fn engine(
        k: usize,
        backlog: usize,
        service: ServiceModel,
        alpha: f64,
        seed: u64,
        name: &str,
    ) -> Self {
        let mut s =
            Station::new(0, k + backlog, Discipline::Fifo, service, seed, name).with_ewma(alpha);
        s.backlog.set_capacity(backlog);
        s.k = u32::try_from(k).unwrap_or(u32::MAX);
        s.counted = true;
        s.slots_open = true;
        s
    }

    /// Replaces the service model (e.g. a knee that moves with the slots
    /// left under a capacity fault).
    pub fn set_service(&mut self, service: ServiceModel) {
        self.service = service;
    }

    /// Room for this many waiting.
    #[must_use]
    pub fn backlog_room(&self) -> usize {
        self.backlog.capacity()
    }

    /// The station's current life (see the module docs).
    #[must_use]
    pub fn life(&self) -> u16 {
        self.life
    }

    /// A job arriving now that counts from `since`: into service when the
    /// backlog is empty and fewer than `limit` are in service (its time
    /// drawn by `draw` at that moment), else queued while there is room,
    /// else refused.
    #[inline]
    pub fn arrive_timed(
        &mut self,
        now: SimTime,
        since: SimTime,
        item: T,
        limit: u32,
        draw: impl FnOnce(&T, Load) -> Option<f64>,
    ) -> Sent<T> {
        if !self.effect.accepting() {
            return Sent::Refused(item);
        }
        let job = Job { since, item };
        if self.backlog.is_empty() && self.busy < limit.min(self.k) {
            return self.start_timed(now, job, draw);
        }
        match self.backlog.push(job, 0) {
            Ok(()) => Sent::Queued,
            Err(job) => Sent::Refused(job.item),
        }
    }

    /// Starts the backlog's next job if fewer than `limit` are in service
    /// (its time drawn by `draw`): `Started` or `Hung`, `None` when
    /// nothing starts. Jobs already admitted are served even while the
    /// station takes no new work (partitioned).
    #[inline]
    pub fn pull_timed(
        &mut self,
        now: SimTime,
        limit: u32,
        draw: impl FnOnce(&T, Load) -> Option<f64>,
    ) -> Option<Sent<T>> {
        if self.busy >= limit.min(self.k) {
            return None;
        }
        let (job, _) = self.backlog.pop()?;
        Some(self.start_timed(now, job, draw))
    }

    #[inline]
    fn start_timed(
        &mut self,
        now: SimTime,
        job: Job<T>,
        draw: impl FnOnce(&T, Load) -> Option<f64>,
    ) -> Sent<T> {
        let n = self.busy + 1;
        let load = Load {
            in_service: n,
            factor: self.service.factor(n),
        };
        let Some(t) = draw(&job.item, load) else {
            return Sent::Hung(job.item);
        };
        self.busy = n;
        self.started += 1;
        self.busy_avg.set(now, f64::from(n));
        Sent::Started(Timed {
            life: self.life,
            service_s: t,
            waited: now - job.since,
        })
    }

    /// A job begun in `life` that counted from `since` ends now: its
    /// response time (since it counted from), or `None` when it began in
    /// an earlier life (it was lost in a crash). Its latency feeds the
    /// latency EWMA, and success counts it when the response came within
    /// `late_after_s`. Start the backlog again with
    /// [`Station::pull_timed`].
    #[inline]
    pub fn finish_timed(
        &mut self,
        now: SimTime,
        life: u16,
        since: SimTime,
        late_after_s: f64,
    ) -> Option<SimTime> {
        if !self.release_timed(now, life) {
            return None;
        }
        let response = now - since;
        let response_s = response.as_secs_f64();
        self.latency.observe(response_s);
        self.success
            .observe(if response_s <= late_after_s { 1.0 } else { 0.0 });
        Some(response)
    }

    /// A job begun in `life` leaves its slot without an answer for the
    /// EWMAs (it failed, and the caller counts that with
    /// [`Station::record_failure`] if it wants, or no router reads this
    /// station): whether it held one, false when it began in an earlier
    /// life (it was lost in a crash). Start the backlog again with
    /// [`Station::pull_timed`].
    #[inline]
    pub fn release_timed(&mut self, now: SimTime, life: u16) -> bool {
        if life != self.life || self.busy == 0 {
            return false;
        }
        self.busy -= 1;
        self.busy_avg.set(now, f64::from(self.busy));
        true
    }

    /// A job refused, failed or given up on: success counts a failure.
    pub fn record_failure(&mut self) {
        self.success.observe(0.0);
    }

    /// The whole station crashes: every job, in service and waiting, is
    /// lost, and it takes no work until [`Station::recover`]; a new life
    /// begins. Returns how many were lost.
    pub fn crash(&mut self, now: SimTime) -> u64 {
        let lost = self.in_system();
        for s in &mut self.slots {
            if s.job.take().is_some() {
                s.token = s.token.wrapping_add(1);
            }
        }
        while self.backlog.pop().is_some() {}
        self.busy = 0;
        self.busy_avg.set(now, 0.0);
        self.life = self.life.wrapping_add(1);
        // Through `set_effect`, which keeps the admission test's cache.
        self.set_effect(Effect {
            down: true,
            ..self.effect
        });
        self.rebuild_free();
        lost
    }

    /// As [`Station::crash`], handing back the jobs that were waiting, in
    /// the order they would have started, for a caller that answers each
    /// one (e.g. fails it at once); the jobs in service are lost as in a
    /// crash (their finishes are stale).
    pub fn crash_waiting(&mut self, now: SimTime) -> Vec<T> {
        let mut waiting = Vec::with_capacity(self.backlog.len());
        while let Some((job, _)) = self.backlog.pop() {
            waiting.push(job.item);
        }
        self.crash(now);
        waiting
    }

    /// Back up after a crash (its other effects unchanged).
    pub fn recover(&mut self) {
        self.set_effect(Effect {
            down: false,
            ..self.effect
        });
    }

    /// Whether it is down (crashed, not yet recovered, or a fault says so).
    #[must_use]
    pub fn is_down(&self) -> bool {
        self.effect.down
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::blocks::servers::{ServiceDist, ServiceTime};
    use crate::sim::fault::Effect;

    fn engine(k: usize, backlog: usize) -> Station<u32> {
        let base = ServiceTime::new(ServiceDist::Deterministic, 1.0).expect("valid");
        let m = ServiceModel::degrading(base, 2, 1.0).expect("valid");
        Station::engine(k, backlog, m, 0.5, 1, "e")
    }

    fn started(s: Sent<u32>) -> Timed {
        match s {
            Sent::Started(t) => t,
            other => panic!("not started: {other:?}"),
        }
    }

    #[test]
    fn the_caller_times_each_start_under_its_load_and_its_limit() {
        let mut s = engine(4, 2);
        assert_eq!((s.len(), s.backend().weight), (4, 4.0));
        let t0 = SimTime::ZERO;
        let mut loads = Vec::new();
        let mut begun = Vec::new();
        for job in 0..3 {
            let t = started(s.arrive_timed(t0, t0, job, 3, |&j, load| {
                loads.push((j, load));
                Some(0.5 + f64::from(j))
            }));
            assert_eq!(t.service_s, 0.5 + f64::from(job));
            assert_eq!(t.life, 0);
            begun.push(t);
        }
        // knee 2, slope 1: the third job in service runs at 1.5×
        let factors: Vec<f64> = loads.iter().map(|(_, l)| l.factor).collect();
        assert_eq!(factors, vec![1.0, 1.0, 1.5]);
        assert_eq!(loads[2].1.in_service, 3);
        // limit 3 reached: the fourth waits though a slot is free
        let never = |_: &u32, _: Load| -> Option<f64> { panic!("not drawn") };
        assert_eq!(s.arrive_timed(t0, t0, 3, 3, never), Sent::Queued);
        assert_eq!(s.arrive_timed(t0, t0, 4, 3, never), Sent::Queued);
        assert_eq!(s.arrive_timed(t0, t0, 5, 3, never), Sent::Refused(5));
        assert_eq!((s.busy(), s.backlog_len(), s.in_system()), (3, 2, 5));
        assert_eq!(s.backlog_room(), 2);
        // a lowered limit: the finish frees a slot, nothing starts
        let t1 = SimTime::from_secs(2);
        assert!(s.finish_timed(t1, 1, t0, 10.0).is_none(), "another life");
        let response = s.finish_timed(t1, begun[0].life, t0, 10.0);
        assert_eq!(response, Some(t1));
        assert_eq!(s.busy(), 2);
        assert!(s.pull_timed(t1, 2, never).is_none());
        let Some(Sent::Started(t)) = s.pull_timed(t1, 3, |&j, l| {
            assert_eq!((j, l.in_service), (3, 3));
            Some(0.25)
        }) else {
            panic!("the backlog's head starts")
        };
        assert_eq!(t.waited, t1);
        assert!((s.latency_s() - 2.0).abs() < 1e-12);
        assert_eq!(s.success_rate(), 1.0);
        // a late answer is a failure for the router
        assert_eq!(s.finish_timed(t1, 0, t0, 1.0), Some(t1));
        assert!((s.success_rate() - 0.5).abs() < 1e-12);
        s.record_failure();
        assert!((s.success_rate() - 0.25).abs() < 1e-12);
        assert_eq!(s.started(), 4);
    }

    #[test]
    fn never_more_in_service_than_slots() {
        let mut s = engine(2, 1);
        let t0 = SimTime::ZERO;
        started(s.arrive_timed(t0, t0, 1, 9, |_, _| Some(1.0)));
        started(s.arrive_timed(t0, t0, 2, 9, |_, _| Some(1.0)));
        assert_eq!(s.arrive_timed(t0, t0, 3, 9, |_, _| Some(1.0)), Sent::Queued);
        assert!(s.pull_timed(t0, 9, |_, _| Some(1.0)).is_none());
        assert_eq!(s.busy(), 2);
    }

    #[test]
    fn a_swallowed_job_leaves_its_slot_free() {
        let mut s = engine(1, 1);
        let t0 = SimTime::ZERO;
        assert_eq!(s.arrive_timed(t0, t0, 7, 1, |_, _| None), Sent::Hung(7));
        assert_eq!((s.busy(), s.in_system()), (0, 0));
        started(s.arrive_timed(t0, t0, 8, 1, |_, _| Some(1.0)));
    }

    #[test]
    fn a_crash_loses_everything_until_recovery() {
        let mut s = engine(2, 3);
        let t0 = SimTime::ZERO;
        let a = started(s.arrive_timed(t0, t0, 1, 2, |_, _| Some(1.0)));
        started(s.arrive_timed(t0, t0, 2, 2, |_, _| Some(1.0)));
        assert_eq!(s.arrive_timed(t0, t0, 3, 2, |_, _| Some(1.0)), Sent::Queued);
        assert_eq!(s.crash(t0), 3);
        assert!(s.is_down() && !s.accepting() && !s.backend().available);
        assert_eq!((s.busy(), s.backlog_len(), s.life()), (0, 0, 1));
        assert!(
            s.finish_timed(t0, a.life, t0, 10.0).is_none(),
            "a lost job never finishes"
        );
        assert_eq!(
            s.arrive_timed(t0, t0, 4, 2, |_, _| Some(1.0)),
            Sent::Refused(4)
        );
        s.recover();
        assert!(!s.is_down() && s.backend().available);
        let b = started(s.arrive_timed(t0, t0, 5, 2, |_, _| Some(1.0)));
        assert_eq!(b.life, 1);
        assert!(s.finish_timed(t0, a.life, t0, 10.0).is_none());
        assert_eq!(s.finish_timed(t0, b.life, t0, 10.0), Some(SimTime::ZERO));
        // a partition refuses work and keeps the crash state apart
        s.set_effect(Effect {
            partitioned: true,
            ..Effect::NONE
        });
        assert!(!s.is_down());
        assert_eq!(
            s.arrive_timed(t0, t0, 6, 2, |_, _| Some(1.0)),
            Sent::Refused(6)
        );
    }

    #[test]
    fn a_release_frees_the_slot_and_teaches_the_ewmas_nothing() {
        let mut s = engine(1, 2);
        let t0 = SimTime::ZERO;
        let a = started(s.arrive_timed(t0, t0, 1, 1, |_, _| Some(1.0)));
        assert_eq!(s.arrive_timed(t0, t0, 2, 1, |_, _| Some(1.0)), Sent::Queued);
        let t1 = SimTime::from_secs(3);
        assert!(s.release_timed(t1, a.life));
        assert_eq!((s.busy(), s.latency_s(), s.success_rate()), (0, 0.0, 1.0));
        assert!(!s.release_timed(t1, a.life), "no job left in service");
        let Some(Sent::Started(b)) = s.pull_timed(t1, 1, |&j, _| {
            assert_eq!(j, 2);
            Some(1.0)
        }) else {
            panic!("the freed slot takes the backlog's head")
        };
        assert_eq!(b.waited, t1);
        s.crash(t1);
        s.recover();
        assert!(!s.release_timed(t1, b.life), "begun before the crash");
        assert_eq!(s.busy(), 0);
        // a finish is a release that feeds the EWMAs
        let c = started(s.arrive_timed(t1, t1, 3, 1, |_, _| Some(1.0)));
        let t2 = SimTime::from_secs(5);
        assert_eq!(s.finish_timed(t2, c.life, t1, 10.0), Some(t2 - t1));
        assert!((s.latency_s() - 2.0).abs() < 1e-12);
        assert_eq!(s.busy(), 0);
    }

    #[test]
    fn a_crash_can_hand_back_the_waiting_jobs_in_order() {
        let mut s = engine(1, 5);
        let t0 = SimTime::ZERO;
        let a = started(s.arrive_timed(t0, t0, 1, 1, |_, _| Some(1.0)));
        for j in 2..5 {
            assert_eq!(s.arrive_timed(t0, t0, j, 1, |_, _| Some(1.0)), Sent::Queued);
        }
        assert_eq!(
            s.crash_waiting(t0),
            vec![2, 3, 4],
            "the one in service is lost"
        );
        assert!(s.is_down() && !s.accepting());
        assert_eq!((s.busy(), s.backlog_len(), s.life()), (0, 0, 1));
        assert!(s.finish_timed(t0, a.life, t0, 10.0).is_none());
        assert!(s.crash_waiting(t0).is_empty(), "nothing left to hand back");
        s.recover();
        let b = started(s.arrive_timed(t0, t0, 5, 1, |_, _| Some(1.0)));
        assert_eq!(b.life, 2);
    }

    #[test]
    fn a_new_knee_changes_the_load_factor() {
        let mut s = engine(3, 0);
        let base = ServiceTime::new(ServiceDist::Deterministic, 1.0).expect("valid");
        s.set_service(ServiceModel::degrading(base, 1, 2.0).expect("valid"));
        let t0 = SimTime::ZERO;
        let mut f = Vec::new();
        for j in 0..3 {
            started(s.arrive_timed(t0, t0, j, 3, |_, l| {
                f.push(l.factor);
                Some(1.0)
            }));
        }
        assert_eq!(f, vec![1.0, 3.0, 5.0]);
        assert_eq!(
            s.arrive_timed(t0, t0, 9, 3, |_, _| Some(1.0)),
            Sent::Refused(9)
        );
    }
}
