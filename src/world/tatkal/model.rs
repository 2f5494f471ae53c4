//! The Tatkal world's state and event handling (see the parent module for
//! the model). This file holds the state, its construction and the
//! [`Model`] face the run-time drives; each part of the story has its own
//! file: the booking [`pipeline`], the [`users`], the booking [`engines`],
//! the [`events`], [`arrivals`], the waiting [`room`], booking
//! [`sessions`], [`faults`], the [`toggles`], [`checks`] and what the
//! world shows ([`observe`]).

use std::collections::{BTreeSet, VecDeque};

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution, StandardNormal};

use super::queue::{Arrivals, TatkalQueue, ms_of};
use super::{
    ADMISSION_POLICIES, AdmissionRate, BALANCING_POLICIES, Captcha, MAX_AGENTS, MAX_USERS,
    TatkalParams,
};
use crate::fault::{Effect, Fault, FaultBook, FaultKind, Target};
use crate::policy::{Backend, Policy};
use crate::sim::blocks::fleet::Fleet;
use crate::sim::blocks::resilience::token_bucket::TokenBucket;
use crate::sim::blocks::servers::{ServiceDist, ServiceTime};
use crate::sim::blocks::station::engine::{Load, Sent};
use crate::sim::blocks::station::{ServiceModel, Station};
use crate::sim::metrics::{Latency, Metrics, TimeAverage};
use crate::sim::rng::{SimRng, stream};
use crate::sim::world::{AnalyticRow, ChartView, GaugeView, SeriesView, UnitState, UnitView};
use crate::sim::{
    Catalog, Command, CommandError, Context, EventQueue, History, Model, Probe, Runtime, Sampling,
    SimTime, Snapshot,
};

mod arrivals;
mod checks;
mod engines;
mod events;
mod faults;
mod observe;
mod pipeline;
mod room;
mod sessions;
mod toggles;
mod users;

#[cfg(test)]
mod tests;

use engines::{DB, Engine, PAYMENT, Req, added_latency_s};
pub use events::Ev;
use events::{ADMIT_EVERY_MS, HISTORY, PREFETCH_AHEAD};

/// The series the dashboard draws (see [`Tatkal::sampling`](Model::sampling)).
mod series {
    use crate::sim::SeriesId;
    pub const ARRIVALS: SeriesId = SeriesId(0);
    pub const ADMITTED: SeriesId = SeriesId(1);
    pub const BOOKED: SeriesId = SeriesId(2);
    pub const P95_RESPONSE: SeriesId = SeriesId(3);
    /// In the waiting room when it is on, else in the system.
    pub const INSIDE: SeriesId = SeriesId(4);
}
pub(super) use pipeline::engine_seconds_per_booking;
use pipeline::{PREPARE_PAYMENT_S, Step, VERIFY_S, pipeline};
pub use users::Audit;
use users::{
    ABANDONED, AWAITING, BLOCKED, BOOKED, FLAG_ADMITTED, FLAG_ATTEMPT, FLAG_BOT, FLAG_CHALLENGED,
    FLAG_HELD, FLAG_PARALLEL, FOREVER, PENDING, QUEUED, SOLD_OUT, THINKING, Users,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admission {
    Fifo,
    Random,
    None,
}

impl Admission {
    fn name(self) -> &'static str {
        match self {
            Admission::Fifo => "fifo",
            Admission::Random => "random",
            Admission::None => "none",
        }
    }

    fn from_name(s: &str) -> Option<Admission> {
        match s {
            "fifo" => Some(Admission::Fifo),
            "random" => Some(Admission::Random),
            "none" => Some(Admission::None),
            _ => None,
        }
    }
}

/// Running counters (reset by `reset_statistics`, except the levels).
#[derive(Clone, Debug, Default)]
struct Counts {
    arrived: u64,
    humans: u64,
    bots: u64,
    booked: u64,
    humans_booked: u64,
    bots_booked: u64,
    sold_out: u64,
    abandoned: u64,
    humans_abandoned: u64,
    abandoned_on_eta: u64,
    abandoned_in_queue: u64,
    blocked: u64,
    retries: u64,
    duplicates: u64,
    refused: u64,
    timeouts: u64,
    admitted: u64,
    told_sold_out_in_room: u64,
    queue_departures: u64,
    requests: u64,
    crashes: u64,
    bots_challenged: u64,
    humans_challenged: u64,
    /// Humans' booking attempts begun while their train had seats.
    attempts: u64,
    /// … of which ended with a ticket, found the train sold out on the
    /// way, were given up, or failed in the background (below).
    attempts_booked: u64,
    attempts_sold_out: u64,
    attempts_abandoned: u64,
    attempts_failed: u64,
    /// Background failures (every user's, bots' included), by cause.
    payment_declines: u64,
    otp_timeouts: u64,
    user_mistakes: u64,
    session_expiries: u64,
}

/// The Tatkal world.
pub struct Tatkal {
    p: TatkalParams,
    /// Events until the next batch of user records is touched.
    touch_countdown: usize,
    open_ms: u64,
    opened: bool,
    // arrivals
    agents_cap_logged: bool,
    population_rng: SimRng,
    wave_rng: SimRng,
    reaction_rng: SimRng,
    risk_rng: SimRng,
    captcha_rng: SimRng,
    think_rng: SimRng,
    service_rng: SimRng,
    retry_rng: SimRng,
    error_rng: SimRng,
    shuffle_rng: SimRng,
    engines_rng: SimRng,
    background_rng: SimRng,
    popularity_cdf: Vec<f64>,
    human_risk: Option<Beta<f64>>,
    bot_risk: Option<Beta<f64>>,
    // users and seats
    users: Users,
    seats: Vec<u32>,
    seats_total: u64,
    seats_left: u64,
    trains_left: u32,
    /// When nine seats in ten, and when the last seat, had sold (ms).
    sold_90_ms: Option<u64>,
    sold_out_ms: Option<u64>,
    // switches
    waiting_room: bool,
    parallel: bool,
    prewarm: bool,
    captcha: Captcha,
    adaptive: bool,
    admission: Admission,
    fixed_rate: Option<f64>,
    bot_wave: f64,
    // waiting room
    queue: VecDeque<u32>,
    /// Per train: seats held for admitted users still booking, those who
    /// reached the front while every seat left was held (they wait for a
    /// hold to be released), and whether a hold was released since the
    /// last admission tick.
    held: Vec<u32>,
    standby: Vec<VecDeque<u32>>,
    released: Vec<u16>,
    /// Admissions the room may still make: a tick's worth drips in every
    /// [`ADMIT_EVERY_MS`] at the admission rate, unbounded while users wait.
    admit_budget: TokenBucket,
    admission_rate: f64,
    // engines: what Tatkal keeps of each, and their stations behind the
    // balancer (router stream `tatkal/balancer`)
    engines: Vec<Engine>,
    fleet: Fleet<Req>,
    /// Faults in force on the engines (`all`, `engine-K`), bot waves included.
    engine_faults: FaultBook,
    /// Faults in force on the payment gateway and the database.
    dependency_faults: FaultBook,
    /// Ids of the faults in force.
    fault_ids: BTreeSet<u64>,
    payment: Effect,
    db: Effect,
    // levels
    pending: u64,
    queued: u64,
    booking: u64,
    in_system_at_reset: u64,
    // statistics
    c: Counts,
    stats_since_us: u64,
    time_to_book: Latency,
    eta_error: Latency,
    /// The same for those who joined after 10:00 (ETA from the measured rate).
    eta_error_after_open: Latency,
    eta_shown: Latency,
    /// Σ time in the room of those who left it, s (Little's W × departures).
    queue_wait_sum_s: f64,
    room_count: Vec<u32>,
    /// Σ over trains of min(waiting for it, its seats left): how many of
    /// those waiting can still be admitted to a seat.
    room_effective: u64,
    room_join_sum_ms: Vec<f64>,
    admitted_wait: Latency,
    response: Latency,
    queue_len: TimeAverage,
    booking_level: TimeAverage,
    /// Σ over samples after 10:00 of busy / slots (whole fleet, down = idle).
    util_sum: f64,
    /// Σ of busy / knee over the engines that are up.
    load_sum: f64,
    util_samples: u64,
    queue_peak: u64,
    /// Responses since the last sample (the recent p95).
    window: Latency,
    /// What the world offers (from its parameters, at build).
    catalog: Catalog,
}

/// A handler's view of the run-time.
type Cx<'a> = Context<'a, Ev, TatkalQueue>;

/// The current millisecond (rounded up: the wheel's clock).
#[inline]
fn now_ms(cx: &Cx<'_>) -> u64 {
    cx.now().micros().div_ceil(1000)
}

/// Schedules `ev` at millisecond `at_ms` (straight into the wheel).
#[inline]
fn schedule(cx: &mut Cx<'_>, at_ms: u64, ev: Ev) {
    cx.queue_mut().schedule_ms(at_ms, ev);
}

/// A uniform factor in [0.5, 1.5): the spread of human and service times.
fn spread(rng: &mut SimRng) -> f64 {
    0.5 + rng.random::<f64>()
}

fn fmt_count(n: f64) -> String {
    if n >= 1.0e6 {
        format!("{:.2} M", n / 1.0e6)
    } else if n >= 1.0e4 {
        format!("{:.0} k", n / 1.0e3)
    } else {
        format!("{n:.0}")
    }
}

impl Tatkal {
    /// The world built from `p`, seeded, with its queue: ready to run.
    #[must_use]
    pub fn runtime(p: &TatkalParams, seed: u64) -> Runtime<Tatkal> {
        let catalog = super::catalog::catalog(p);
        let p = p.scaled();
        let users = p.users.min(MAX_USERS);
        let open_ms = ms_of(p.opens_at_s);
        let n_engines = p.engines() as usize;
        let engines: Vec<Engine> = (0..n_engines).map(|_| Engine::new()).collect();
        let policy = Policy::from_name(&p.balancing).unwrap_or(Policy::LeastLoaded);
        let stations = (0..n_engines)
            .map(|i| engines::station(&p, seed, i))
            .collect();
        let fleet = Fleet::new(stations, policy, seed, "tatkal")
            .with_router_rng(stream(seed, "tatkal/balancer"));
        let mut cdf = Vec::with_capacity(p.trains as usize);
        let mut acc = 0.0;
        for k in 0..p.trains {
            acc += 1.0 / f64::from(k + 1).powf(p.popularity_exponent);
            cdf.push(acc);
        }
        for c in &mut cdf {
            *c /= acc;
        }
        let seats = vec![p.seats_per_train; p.trains as usize];
        let seats_total = u64::from(p.trains) * u64::from(p.seats_per_train);
        let fixed_rate = match p.admission_rate {
            AdmissionRate::Fixed { per_s } => Some(per_s),
            _ => None,
        };
        let arrivals = Arrivals::new(
            users,
            p.arrivals.clone(),
            p.opens_at_s,
            stream(seed, "tatkal/arrivals"),
        );
        let mut queue = TatkalQueue::new(arrivals);
        let mut w = Tatkal {
            touch_countdown: 0,
            open_ms,
            opened: false,
            agents_cap_logged: false,
            population_rng: stream(seed, "tatkal/population"),
            wave_rng: stream(seed, "tatkal/bot-wave"),
            reaction_rng: stream(seed, "tatkal/reaction"),
            risk_rng: stream(seed, "tatkal/risk"),
            captcha_rng: stream(seed, "tatkal/captcha"),
            think_rng: stream(seed, "tatkal/think"),
            service_rng: stream(seed, "tatkal/service"),
            retry_rng: stream(seed, "tatkal/retry"),
            error_rng: stream(seed, "tatkal/errors"),
            shuffle_rng: stream(seed, "tatkal/shuffle"),
            engines_rng: stream(seed, "tatkal/engines"),
            background_rng: stream(seed, "tatkal/background"),
            popularity_cdf: cdf,
            human_risk: Beta::new(p.human_risk.alpha, p.human_risk.beta).ok(),
            bot_risk: Beta::new(p.bot_risk.alpha, p.bot_risk.beta).ok(),
            users: Users::with_capacity(users as usize),
            seats,
            seats_total,
            seats_left: seats_total,
            trains_left: if p.seats_per_train > 0 { p.trains } else { 0 },
            sold_90_ms: None,
            sold_out_ms: None,
            waiting_room: p.waiting_room,
            parallel: p.parallel_pipeline,
            prewarm: p.prewarm_cache,
            captcha: p.captcha,
            adaptive: matches!(p.admission_rate, AdmissionRate::Adaptive),
            admission: Admission::from_name(&p.admission).unwrap_or(Admission::Fifo),
            fixed_rate,
            bot_wave: 1.0,
            queue: VecDeque::new(),
            held: vec![0; p.trains as usize],
            standby: (0..p.trains).map(|_| VecDeque::new()).collect(),
            released: Vec::new(),
            admit_budget: TokenBucket::empty(0.0, f64::INFINITY, SimTime::ZERO),
            admission_rate: 0.0,
            engines,
            fleet,
            engine_faults: FaultBook::new(),
            dependency_faults: FaultBook::new(),
            fault_ids: BTreeSet::new(),
            payment: Effect::NONE,
            db: Effect::NONE,
            pending: 0,
            queued: 0,
            booking: 0,
            in_system_at_reset: 0,
            c: Counts::default(),
            stats_since_us: 0,
            time_to_book: Latency::new(),
            eta_error: Latency::new(),
            eta_error_after_open: Latency::new(),
            eta_shown: Latency::new(),
            queue_wait_sum_s: 0.0,
            room_count: vec![0; p.trains as usize],
            room_effective: 0,
            room_join_sum_ms: vec![0.0; p.trains as usize],
            admitted_wait: Latency::new(),
            response: Latency::new(),
            queue_len: TimeAverage::new(SimTime::ZERO, 0.0),
            booking_level: TimeAverage::new(SimTime::ZERO, 0.0),
            util_sum: 0.0,
            load_sum: 0.0,
            util_samples: 0,
            queue_peak: 0,
            window: Latency::new(),
            catalog,
            p,
        };
        for e in 0..w.engines.len() {
            w.engines[e].endurance_ms = ms_of(w.p.crash_after_s * spread(&mut w.engines_rng));
            w.sync_backend(e);
        }
        w.admission_rate = w.base_rate();
        queue.schedule(SimTime(open_ms * 1000), Ev::Open);
        queue.schedule(SimTime::ZERO, Ev::Admit);
        queue.schedule(SimTime(ms_of(w.p.sample_every_s) * 1000), Ev::Sample);
        Runtime::new(w, queue)
    }

    // ------------------------------------------------------------ helpers

    /// The moment a user's booking clock starts: arrival, or 10:00 for the early.
    fn start_ms(&self, u: u32) -> u64 {
        u64::from(self.users.v[u as usize].arrived_ms).max(self.open_ms)
    }

    /// Patience runs from the start of booking — or, for those admitted
    /// from the waiting room, from their admission (they waited for it
    /// knowingly, and `informed_patience_factor` governed that wait).
    fn out_of_patience(&self, cx: &Cx<'_>, u: u32) -> bool {
        let user = &self.users.v[u as usize];
        let p = user.patience_s;
        if p == FOREVER {
            return false;
        }
        let (from, limit_s) = if user.state == QUEUED {
            (
                self.start_ms(u),
                f64::from(p) * self.p.informed_patience_factor,
            )
        } else if user.flags & FLAG_ADMITTED != 0 {
            (u64::from(self.users.eta_ms[u as usize]), f64::from(p))
        } else {
            (self.start_ms(u), f64::from(p))
        };
        now_ms(cx).saturating_sub(from) as f64 > limit_s * 1000.0
    }

    /// Users live in the waiting room (those of sold-out trains were told).
    fn room_len(&self) -> u64 {
        self.queued
    }

    /// Those waiting for train `t` who can still get one of its seats.
    fn effective(&self, t: usize) -> u64 {
        u64::from(self.room_count[t].min(self.seats[t]))
    }

    /// Re-adds train `t`'s share of `room_effective` after a change
    /// (`before` = its share before).
    fn refresh_effective(&mut self, t: usize, before: u64) {
        self.room_effective = self.room_effective - before + self.effective(t);
    }

    /// A train's last seat went: everyone waiting for it is told at once.
    /// They stay in the deque as ghosts, skipped at their turn.
    fn train_sold_out(&mut self, cx: &mut Cx<'_>, train: usize) {
        let before = self.effective(train);
        let n = std::mem::take(&mut self.room_count[train]);
        self.refresh_effective(train, before);
        let sum_join = std::mem::take(&mut self.room_join_sum_ms[train]);
        if n == 0 {
            return;
        }
        let now = now_ms(cx) as f64;
        self.queue_wait_sum_s += (f64::from(n) * now - sum_join) / 1000.0;
        self.c.queue_departures += u64::from(n);
        self.c.sold_out += u64::from(n);
        self.c.told_sold_out_in_room += u64::from(n);
        self.queued -= u64::from(n);
        self.set_level(cx);
    }

    /// Refreshes the balancer's view of engine `e`: up and reachable, in
    /// flight (in service and waiting), weighed by its knee, its EWMAs.
    fn sync_backend(&mut self, e: usize) {
        let st = self.fleet.station(e);
        let view = Backend {
            available: st.accepting(),
            in_flight: st.in_system() as u32,
            weight: f64::from(self.engines[e].slots(self.p.engine_knee)),
            success_rate: st.success_rate(),
            response_s: st.latency_s(),
            ..Backend::default()
        };
        self.fleet.set_view(e, view);
    }

    /// Engine `e`'s station.
    fn station(&self, e: usize) -> &Station<Req> {
        self.fleet.station(e)
    }

    /// Whether engine `e` is up (not crashed).
    fn up(&self, e: usize) -> bool {
        !self.fleet.station(e).is_down()
    }

    /// Hands engine `e`'s station the faults on it (its crash state kept)
    /// and the knee they leave it.
    fn sync_station(&mut self, e: usize) {
        let en = &self.engines[e];
        let knee = en.slots(self.p.engine_knee);
        let model = engines::thrashing(&self.p, knee);
        let st = self.fleet.station_mut(e);
        st.set_effect(Effect {
            down: st.is_down(),
            ..en.fault
        });
        st.set_service(model);
    }

    /// Σ knee of the engines that are up, over engine seconds per booking.
    fn planned_rate(&self) -> f64 {
        let knees: f64 = self
            .engines
            .iter()
            .zip(self.fleet.stations())
            .filter(|(_, st)| st.accepting())
            .map(|(e, _)| f64::from(e.slots(self.p.engine_knee)))
            .sum();
        knees / engine_seconds_per_booking(self.parallel)
    }

    /// The rate when not adapting: the fixed one, or the planned one.
    fn base_rate(&self) -> f64 {
        self.fixed_rate.unwrap_or_else(|| self.planned_rate())
    }

    fn set_level(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        self.queue_len.set(now, self.room_len() as f64);
        self.booking_level.set(now, self.booking as f64);
    }

    fn in_system(&self) -> u64 {
        self.pending + self.queued + self.booking
    }
}

impl Model for Tatkal {
    type Event = Ev;
    type Queue = TatkalQueue;

    #[inline]
    fn handle(&mut self, cx: &mut Cx<'_>, ev: Ev) {
        if !matches!(ev, Ev::Arrival) {
            // Every PREFETCH_AHEAD events, read the records of the users
            // of the next PREFETCH_AHEAD events together: their cache
            // misses overlap instead of stalling one event at a time.
            if self.touch_countdown == 0 {
                self.touch_countdown = PREFETCH_AHEAD;
                let mut acc = 0u8;
                for k in 0..PREFETCH_AHEAD {
                    if let Some(u) = cx.queue().ahead(k).and_then(Ev::user) {
                        acc ^= self.users.v.get(u as usize).map_or(0, |x| x.state);
                    }
                }
                std::hint::black_box(acc);
            }
            self.touch_countdown -= 1;
        }
        self.dispatch(cx, ev);
    }

    fn apply(&mut self, cx: &mut Cx<'_>, cmd: &Command) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => {
                if let Some(a) = Admission::from_name(name) {
                    self.admission = a;
                    if a == Admission::None && self.opened && self.waiting_room {
                        self.release_all(cx);
                    }
                    Ok(format!("admission: {name}"))
                } else if let Some(p) = Policy::from_name(name)
                    && BALANCING_POLICIES.contains(&p)
                {
                    self.fleet.set_policy(p);
                    Ok(format!("balancing: {name}"))
                } else {
                    Err(CommandError::UnknownPolicy {
                        name: name.clone(),
                        expected: ADMISSION_POLICIES.join(", "),
                    })
                }
            }
            Command::ScaleArrivals(f) => {
                let rem = cx.queue().arrivals().remaining() as f64 * f;
                let room = MAX_USERS.saturating_sub(self.users.len() as u64) as f64;
                if !(f.is_finite() && *f >= 0.0) || rem > room {
                    return Err(CommandError::Invalid(format!(
                        "arrivals ×{f} is out of range (at most {MAX_USERS} users)"
                    )));
                }
                cx.queue_mut()
                    .arrivals_mut()
                    .set_remaining(rem.round() as u64);
                Ok(format!(
                    "arrivals ×{f}: {} still to come",
                    fmt_count(rem.round())
                ))
            }
            Command::InjectFault { id, fault } => self.inject(cx, *id, fault),
            Command::ClearFault(id) => {
                self.clear_fault(cx, *id);
                Ok(String::new())
            }
            Command::ClearFaults => {
                let ids: Vec<u64> = self.fault_ids.iter().copied().collect();
                for id in ids {
                    self.clear_fault(cx, id);
                }
                Ok("faults cleared".to_string())
            }
            Command::Toggle { name, on } => self.toggle(cx, name, *on),
        }
    }

    fn snapshot(&self, now: SimTime, history: &History) -> Snapshot {
        self.view(now, history)
    }

    fn sampling(&self) -> Sampling {
        let every = SimTime(ms_of(self.p.sample_every_s) * 1000);
        let zero = crate::sim::Start::Zero;
        Sampling::new(every, HISTORY)
            .counter(series::ARRIVALS, "arrivals", 1.0, zero)
            .counter(series::ADMITTED, "admitted", 1.0, zero)
            .counter(series::BOOKED, "bookings", 1.0, zero)
            .level(series::P95_RESPONSE, "p95 response")
            .level(series::INSIDE, "users in the waiting room or the system")
    }

    #[inline]
    fn is_sample(ev: &Ev) -> bool {
        matches!(ev, Ev::Sample)
    }

    fn on_sample(&mut self, cx: &mut Cx<'_>) {
        self.handle_sample(cx);
    }

    fn observe(&mut self, _now: SimTime, probe: &mut Probe<'_>) {
        self.record_series(probe);
    }

    fn metrics(&self, now: SimTime) -> Metrics {
        self.measure(now)
    }

    fn analytic(&self, now: SimTime) -> crate::sim::ClosedForms {
        self.closed_forms(now)
    }
    fn ledger(&self, _now: SimTime) -> crate::sim::world::Ledger {
        Tatkal::ledger(self)
    }

    fn reset_statistics(&mut self, now: SimTime) {
        self.in_system_at_reset = self.in_system();
        self.c = Counts::default();
        self.stats_since_us = now.micros();
        self.time_to_book.reset();
        self.eta_error.reset();
        self.eta_error_after_open.reset();
        self.eta_shown.reset();
        self.queue_wait_sum_s = 0.0;
        self.admitted_wait.reset();
        self.response.reset();
        self.queue_len.reset(now);
        self.booking_level.reset(now);
        self.util_sum = 0.0;
        self.load_sum = 0.0;
        self.util_samples = 0;
        self.queue_peak = self.room_len();
    }

    fn policy(&self) -> String {
        self.admission.name().to_string()
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}
