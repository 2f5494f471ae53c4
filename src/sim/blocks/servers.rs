//! Server pools: c servers drawing service times from one distribution
//! (exponential, deterministic, Erlang-k, lognormal), each with its own
//! fault [`Effect`] (down, slowdown, added latency ± jitter, fail-fast
//! error probability, partition, blackhole); and [`Trains`], batch
//! service: a departure every H seconds carrying up to N.
//!
//! The pool holds the job in service on each server. Every start returns a
//! token; the world schedules the completion event carrying (server,
//! token), and [`ServerPool::finish`] ignores stale tokens, so a job lost
//! in a crash can never complete twice.
//!
//! Random streams: service times from `NAME/service`, fault draws (jitter,
//! errors) from `NAME/faults`, so a fault never shifts the service stream.

use rand_distr::{Distribution, Gamma, LogNormal};
use serde::{Deserialize, Serialize};

use super::super::SimTime;
use super::super::metrics::TimeAverage;
use super::super::rng::{SimRng, stream};
use super::{BlockError, exp1, secs, uniform};
use crate::sim::fault::Effect;

/// The shape of a service-time distribution (its mean is given apart).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum ServiceDist {
    /// Exponential (coefficient of variation 1): the M in M/M/c.
    #[default]
    Exponential,
    /// Always exactly the mean.
    Deterministic,
    /// Erlang-k: k exponential phases (cv = 1/√k).
    Erlang { k: u32 },
    /// Lognormal with coefficient of variation `cv`.
    Lognormal { cv: f64 },
}

#[derive(Clone, Copy, Debug)]
enum Sampler {
    Exp,
    Det,
    Gamma(Gamma<f64>),
    LogNormal(LogNormal<f64>),
}

/// Service times with a given mean.
#[derive(Clone, Copy, Debug)]
pub struct ServiceTime {
    dist: ServiceDist,
    mean_s: f64,
    sampler: Sampler,
}

impl ServiceTime {
    pub fn new(dist: ServiceDist, mean_s: f64) -> Result<Self, BlockError> {
        if !(mean_s.is_finite() && mean_s > 0.0) {
            return Err(BlockError::MeanService(mean_s));
        }
        let sampler = match dist {
            ServiceDist::Exponential => Sampler::Exp,
            ServiceDist::Deterministic => Sampler::Det,
            ServiceDist::Erlang { k } => {
                if k == 0 {
                    return Err(BlockError::ErlangK);
                }
                let kf = f64::from(k);
                Sampler::Gamma(
                    Gamma::new(kf, mean_s / kf)
                        .map_err(|e| BlockError::Distribution(e.to_string()))?,
                )
            }
            ServiceDist::Lognormal { cv } => {
                if !(cv.is_finite() && cv > 0.0) {
                    return Err(BlockError::LognormalCv(cv));
                }
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean_s.ln() - sigma2 / 2.0;
                Sampler::LogNormal(
                    LogNormal::new(mu, sigma2.sqrt())
                        .map_err(|e| BlockError::Distribution(e.to_string()))?,
                )
            }
        };
        Ok(ServiceTime {
            dist,
            mean_s,
            sampler,
        })
    }

    #[must_use]
    pub fn mean_s(&self) -> f64 {
        self.mean_s
    }

    #[must_use]
    pub fn dist(&self) -> ServiceDist {
        self.dist
    }

    /// Squared coefficient of variation.
    #[must_use]
    pub fn scv(&self) -> f64 {
        match self.dist {
            ServiceDist::Exponential => 1.0,
            ServiceDist::Deterministic => 0.0,
            ServiceDist::Erlang { k } => 1.0 / f64::from(k.max(1)),
            ServiceDist::Lognormal { cv } => cv * cv,
        }
    }

    /// One service time, seconds.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> f64 {
        match &self.sampler {
            Sampler::Exp => exp1(rng) * self.mean_s,
            Sampler::Det => self.mean_s,
            _ => self.sample_shaped(rng),
        }
    }

    /// Erlang and lognormal draws, kept out of line so that the common
    /// exponential and deterministic draws stay small enough to inline
    /// into a start.
    #[inline(never)]
    fn sample_shaped(&self, rng: &mut SimRng) -> f64 {
        match &self.sampler {
            Sampler::Gamma(g) => g.sample(rng),
            Sampler::LogNormal(l) => l.sample(rng),
            Sampler::Exp => exp1(rng) * self.mean_s,
            Sampler::Det => self.mean_s,
        }
    }
}

/// How a job on a server ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    /// Failed fast (error-rate fault).
    Error,
}

/// A job was started: schedule the completion at `at` with `server` and `token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Started {
    pub server: usize,
    pub at: SimTime,
    pub token: u32,
}

/// What [`ServerPool::start`] did with a job.
#[derive(Debug, PartialEq, Eq)]
pub enum Start<T> {
    Started(Started),
    /// A blackholed server swallowed it: no answer will ever come (the
    /// caller keeps it until its client times out).
    Hang(T),
    /// No free server accepts work (all busy, down or partitioned).
    Refused(T),
}

#[derive(Clone, Debug)]
struct Slot<T> {
    job: Option<T>,
    outcome: Outcome,
    token: u32,
    effect: Effect,
    /// `effect != Effect::NONE`, kept so the hot path tests one flag.
    faulty: bool,
    /// Taken out of rotation (capacity drop): finishes its job, takes no new one.
    drained: bool,
}

impl<T> Slot<T> {
    fn accepting(&self) -> bool {
        self.effect.accepting() && !self.drained
    }
}

/// `c` servers (see the module docs).
#[derive(Clone, Debug)]
pub struct ServerPool<T> {
    slots: Vec<Slot<T>>,
    /// Idle servers accepting work; the last is used next.
    free: Vec<u32>,
    service: ServiceTime,
    rng: SimRng,
    faults_rng: SimRng,
    busy: u32,
    busy_avg: TimeAverage,
    started: u64,
}

impl<T> ServerPool<T> {
    /// `c` servers called `NAME` (random streams `NAME/service`, `NAME/faults`).
    #[must_use]
    pub fn new(c: usize, service: ServiceTime, seed: u64, name: &str) -> Self {
        ServerPool {
            slots: (0..c)
                .map(|_| Slot {
                    job: None,
                    outcome: Outcome::Complete,
                    token: 0,
                    effect: Effect::NONE,
                    faulty: false,
                    drained: false,
                })
                .collect(),
            free: (0..c as u32).rev().collect(),
            service,
            rng: stream(seed, &format!("{name}/service")),
            faults_rng: stream(seed, &format!("{name}/faults")),
            busy: 0,
            busy_avg: TimeAverage::new(SimTime::ZERO, 0.0),
            started: 0,
        }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Servers holding a job.
    #[must_use]
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Whether some server could start a job now.
    #[must_use]
    pub fn has_free(&self) -> bool {
        !self.free.is_empty()
    }

    #[must_use]
    pub fn service(&self) -> &ServiceTime {
        &self.service
    }

    /// Jobs started since the beginning.
    #[must_use]
    pub fn started(&self) -> u64 {
        self.started
    }

    #[must_use]
    pub fn effect(&self, server: usize) -> Effect {
        self.slots[server].effect
    }

    #[must_use]
    pub fn is_busy(&self, server: usize) -> bool {
        self.slots[server].job.is_some()
    }

    /// Mean busy servers / c since the last reset.
    #[must_use]
    pub fn utilisation(&self, now: SimTime) -> f64 {
        self.busy_avg.mean(now) / self.slots.len().max(1) as f64
    }

    pub fn reset_statistics(&mut self, now: SimTime) {
        self.busy_avg.reset(now);
    }

    fn rebuild_free(&mut self) {
        self.free = (0..self.slots.len() as u32)
            .rev()
            .filter(|&i| {
                let s = &self.slots[i as usize];
                s.job.is_none() && s.accepting()
            })
            .collect();
    }

    /// Starts `job` on a free server.
    #[inline]
    pub fn start(&mut self, now: SimTime, job: T) -> Start<T> {
        match self.free.pop() {
            Some(i) => self.start_on_slot(now, i as usize, job),
            None => Start::Refused(job),
        }
    }

    /// Starts `job` on `server` (a router's choice); refused when it is
    /// busy or not accepting.
    pub fn start_on(&mut self, now: SimTime, server: usize, job: T) -> Start<T> {
        match self.free.iter().position(|&i| i as usize == server) {
            Some(pos) => {
                self.free.remove(pos);
                self.start_on_slot(now, server, job)
            }
            None => Start::Refused(job),
        }
    }

    #[inline]
    fn start_on_slot(&mut self, now: SimTime, i: usize, job: T) -> Start<T> {
        let base = self.service.sample(&mut self.rng);
        let slot = &self.slots[i];
        let e = slot.effect;
        let faulty = slot.faulty;
        if faulty && e.blackholed {
            self.free.push(i as u32);
            return Start::Hang(job);
        }
        let (t, outcome) = if faulty {
            match e.serve(base, &mut self.faults_rng) {
                (t, false) => (t, Outcome::Complete),
                (t, true) => (t, Outcome::Error),
            }
        } else {
            (base, Outcome::Complete)
        };
        let slot = &mut self.slots[i];
        slot.job = Some(job);
        slot.outcome = outcome;
        slot.token = slot.token.wrapping_add(1);
        self.busy += 1;
        self.started += 1;
        self.busy_avg.set(now, f64::from(self.busy));
        Start::Started(Started {
            server: i,
            at: now + secs(t),
            token: slot.token,
        })
    }

    /// The job on `server` ends (its completion event fired). `None` when
    /// the token is stale (the job was lost in a crash).
    #[inline]
    pub fn finish(&mut self, now: SimTime, server: usize, token: u32) -> Option<(T, Outcome)> {
        let slot = self.slots.get_mut(server)?;
        if slot.token != token {
            return None;
        }
        let job = slot.job.take()?;
        let outcome = slot.outcome;
        let accepting = slot.accepting();
        self.busy -= 1;
        self.busy_avg.set(now, f64::from(self.busy));
        if accepting {
            self.free.push(server as u32);
        }
        Some((job, outcome))
    }

    /// Sets a server's fault effect. A server going down loses its job,
    /// which is returned for the caller to requeue or reject.
    pub fn set_effect(&mut self, now: SimTime, server: usize, effect: Effect) -> Option<T> {
        let slot = &mut self.slots[server];
        slot.effect = effect;
        slot.faulty = effect != Effect::NONE;
        let lost = if effect.down {
            let j = slot.job.take();
            if j.is_some() {
                slot.token = slot.token.wrapping_add(1);
                self.busy -= 1;
                self.busy_avg.set(now, f64::from(self.busy));
            }
            j
        } else {
            None
        };
        self.rebuild_free();
        lost
    }

    /// Keeps only the first `n` servers in rotation (capacity drop); the
    /// others finish their job and then idle.
    pub fn set_active(&mut self, n: usize) {
        for (i, s) in self.slots.iter_mut().enumerate() {
            s.drained = i >= n;
        }
        self.rebuild_free();
    }
}

/// Batch service on a timetable: a departure every `headway_s` (divided
/// by the slowdown), each carrying up to `capacity` (times the capacity
/// factor), late by the added latency ± jitter; a down or partitioned
/// unit's departures are cancelled. The jitter stream is `NAME/trains`.
#[derive(Clone, Debug)]
pub struct Trains {
    headway_s: f64,
    capacity: u32,
    rng: SimRng,
}

impl Trains {
    #[must_use]
    pub fn new(headway_s: f64, capacity: u32, seed: u64, name: &str) -> Self {
        Trains {
            headway_s,
            capacity,
            rng: stream(seed, &format!("{name}/trains")),
        }
    }

    #[must_use]
    pub fn headway_s(&self) -> f64 {
        self.headway_s
    }

    #[must_use]
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Most a "slowdown" factor may speed trains up: a timetable must
    /// always move simulated time forward.
    pub const MAX_SPEEDUP: f64 = 100.0;

    /// The gap to the next timetable slot under `e` (never below
    /// headway / [`Trains::MAX_SPEEDUP`], so trains cannot run infinitely often).
    #[must_use]
    pub fn gap(&self, e: &Effect) -> SimTime {
        secs(self.headway_s / e.slowdown.clamp(1e-6, Self::MAX_SPEEDUP)).max(SimTime(1))
    }

    /// How late this slot's train leaves under `e` (0 without latency).
    pub fn delay(&mut self, e: &Effect) -> SimTime {
        if e.latency_s <= 0.0 && e.jitter_s <= 0.0 {
            return SimTime::ZERO;
        }
        let j = e.jitter_s * (2.0 * uniform(&mut self.rng) - 1.0);
        secs((e.latency_s + j).max(0.0))
    }

    /// Seats on a departing train under `e` (0 when cancelled).
    #[must_use]
    pub fn seats(&self, e: &Effect) -> u32 {
        if e.accepting() {
            (f64::from(self.capacity) * e.capacity_factor.clamp(0.0, 1.0)).floor() as u32
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_scv(dist: ServiceDist) -> (f64, f64) {
        let s = ServiceTime::new(dist, 2.0).expect("valid");
        let mut rng = stream(1, "s");
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / f64::from(n);
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / f64::from(n - 1);
        (m, v / (m * m))
    }

    #[test]
    fn service_distributions_have_their_mean_and_variability() {
        for (d, scv) in [
            (ServiceDist::Exponential, 1.0),
            (ServiceDist::Deterministic, 0.0),
            (ServiceDist::Erlang { k: 4 }, 0.25),
            (ServiceDist::Lognormal { cv: 0.5 }, 0.25),
        ] {
            let (m, c) = mean_and_scv(d);
            assert!((m - 2.0).abs() < 0.02, "{d:?} mean {m}");
            assert!((c - scv).abs() < 0.03, "{d:?} scv {c}");
            assert_eq!(ServiceTime::new(d, 2.0).expect("valid").scv(), scv);
        }
        assert!(ServiceTime::new(ServiceDist::Erlang { k: 0 }, 1.0).is_err());
        assert!(ServiceTime::new(ServiceDist::Exponential, 0.0).is_err());
    }

    fn pool(c: usize) -> ServerPool<u32> {
        ServerPool::new(
            c,
            ServiceTime::new(ServiceDist::Deterministic, 1.0).expect("valid"),
            1,
            "p",
        )
    }

    #[test]
    fn pool_starts_finishes_and_refuses_when_full() {
        let mut p = pool(2);
        let t0 = SimTime::ZERO;
        let Start::Started(a) = p.start(t0, 10) else {
            panic!("free")
        };
        let Start::Started(b) = p.start(t0, 11) else {
            panic!("free")
        };
        assert_eq!(a.at, SimTime::from_secs(1));
        assert_ne!(a.server, b.server);
        assert_eq!(p.start(t0, 12), Start::Refused(12));
        assert_eq!(
            p.finish(a.at, a.server, a.token),
            Some((10, Outcome::Complete))
        );
        assert_eq!(p.finish(a.at, a.server, a.token), None);
        assert_eq!(p.busy(), 1);
        // busy: 2 for 1 s (of 2 servers) → utilisation 1 over [0, 1]
        assert!((p.utilisation(a.at) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn faults_change_service_and_crashes_lose_the_job_once() {
        let mut p = pool(1);
        let t0 = SimTime::ZERO;
        let slow = Effect {
            slowdown: 0.5,
            latency_s: 0.25,
            ..Effect::NONE
        };
        p.set_effect(t0, 0, slow);
        let Start::Started(s) = p.start(t0, 1) else {
            panic!("free")
        };
        assert_eq!(s.at, SimTime::from_secs_f64(2.25));
        let lost = p.set_effect(t0, 0, Effect { down: true, ..slow });
        assert_eq!(lost, Some(1));
        assert_eq!(p.finish(s.at, 0, s.token), None, "stale completion ignored");
        assert_eq!(p.start(t0, 2), Start::Refused(2));
        p.set_effect(t0, 0, Effect::NONE);
        let err = Effect {
            error_p: 1.0,
            ..Effect::NONE
        };
        p.set_effect(t0, 0, err);
        let Start::Started(s) = p.start(t0, 3) else {
            panic!("free")
        };
        assert_eq!(s.at, t0, "fails fast");
        assert_eq!(p.finish(t0, 0, s.token), Some((3, Outcome::Error)));
        p.set_effect(
            t0,
            0,
            Effect {
                blackholed: true,
                ..Effect::NONE
            },
        );
        assert_eq!(p.start(t0, 4), Start::Hang(4));
        p.set_effect(t0, 0, Effect::NONE);
        p.set_active(0);
        assert_eq!(p.start(t0, 5), Start::Refused(5));
    }

    #[test]
    fn trains_follow_the_timetable_under_faults() {
        let mut t = Trains::new(180.0, 600, 1, "t");
        let e = Effect::NONE;
        assert_eq!(t.gap(&e), SimTime::from_secs(180));
        assert_eq!(t.delay(&e), SimTime::ZERO);
        assert_eq!(t.seats(&e), 600);
        let bad = Effect {
            slowdown: 0.5,
            capacity_factor: 0.5,
            latency_s: 60.0,
            jitter_s: 10.0,
            ..Effect::NONE
        };
        assert_eq!(t.gap(&bad), SimTime::from_secs(360));
        let fast = Effect {
            slowdown: 1e300,
            ..Effect::NONE
        };
        assert_eq!(t.gap(&fast), SimTime::from_secs_f64(1.8));
        assert_eq!(t.seats(&bad), 300);
        let d = t.delay(&bad).as_secs_f64();
        assert!((50.0..=70.0).contains(&d), "{d}");
        assert_eq!(t.seats(&Effect { down: true, ..e }), 0);
    }
}
