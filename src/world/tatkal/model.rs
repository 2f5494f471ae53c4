//! The Tatkal world's state and event handling (see the parent module for
//! the model).

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
use crate::policy::{Backend, Balancer, Policy};
use crate::sim::metrics::{Ewma, Latency, Metrics, Rolling, TimeAverage};
use crate::sim::rng::{SimRng, stream};
use crate::sim::world::{AnalyticRow, ChartView, GaugeView, SeriesView, UnitState, UnitView};
use crate::sim::{
    Catalog, Command, CommandError, Context, EventQueue, Model, Runtime, SimTime, Snapshot,
};

// ---------------------------------------------------------------- pipeline

/// What one request asks an engine to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Availability,
    Verify,
    Payment,
    Confirm,
    /// availability ‖ verify ‖ prepare payment, in one request.
    Parallel,
}

/// The old pipeline, as in the episode: 2 + 1 + 3 + 1 s.
const SEQUENTIAL: [(Step, f64); 4] = [
    (Step::Availability, 2.0),
    (Step::Verify, 1.0),
    (Step::Payment, 3.0),
    (Step::Confirm, 1.0),
];
/// The new one: max(2, 1, 1) + 2 + 0.5 s.
const PARALLEL: [(Step, f64); 3] = [
    (Step::Parallel, 2.0),
    (Step::Payment, 2.0),
    (Step::Confirm, 0.5),
];
/// Parallel first step: verify user and prepare payment take 1 s each.
const VERIFY_S: f64 = 1.0;
const PREPARE_PAYMENT_S: f64 = 1.0;

fn pipeline(parallel: bool) -> &'static [(Step, f64)] {
    if parallel { &PARALLEL } else { &SEQUENTIAL }
}

/// Engine seconds one booking holds a request slot for (at full speed,
/// warm cache): what capacity planning divides by.
#[must_use]
pub(super) fn engine_seconds_per_booking(parallel: bool) -> f64 {
    pipeline(parallel).iter().map(|(_, s)| s).sum()
}

// ---------------------------------------------------------------- users

const PENDING: u8 = 0;
const QUEUED: u8 = 1;
const THINKING: u8 = 2;
const AWAITING: u8 = 3;
const BOOKED: u8 = 10;
const SOLD_OUT: u8 = 11;
const ABANDONED: u8 = 12;
const BLOCKED: u8 = 13;

const FLAG_BOT: u8 = 1;
const FLAG_PARALLEL: u8 = 2;
const FLAG_CHALLENGED: u8 = 4;
/// Admitted from the waiting room: `eta_ms` now holds the admission instant.
const FLAG_ADMITTED: u8 = 8;

/// Patience value meaning "never gives up" (bots).
const FOREVER: u16 = u16::MAX;

/// One user: 16 bytes, all of a user's hot state in one cache line
/// (events touch users in random order, so one record beats many arrays).
#[derive(Clone, Copy, Debug)]
struct User {
    arrived_ms: u32,
    train: u16,
    attempt: u16,
    patience_s: u16,
    flags: u8,
    state: u8,
    step: u8,
    retries: u8,
}

/// Every user, indexed by `u32`.
#[derive(Default)]
struct Users {
    v: Vec<User>,
    /// The ETA shown on joining the waiting room; after admission, the
    /// admission instant (ms). Apart, since only the room touches it.
    eta_ms: Vec<u32>,
}

impl Users {
    fn with_capacity(n: usize) -> Self {
        Users {
            v: Vec::with_capacity(n),
            eta_ms: Vec::with_capacity(n),
        }
    }

    fn len(&self) -> usize {
        self.v.len()
    }

    fn push(&mut self, arrived_ms: u32, train: u16, flags: u8, patience_s: u16) -> u32 {
        let id = self.v.len() as u32;
        self.eta_ms.push(0);
        self.v.push(User {
            arrived_ms,
            train,
            attempt: 0,
            patience_s,
            flags,
            state: PENDING,
            step: 0,
            retries: 0,
        });
        id
    }

    fn is_bot(&self, u: u32) -> bool {
        self.v[u as usize].flags & FLAG_BOT != 0
    }
}

/// Every user's outcome counted by scanning the per-user state: an
/// independent check of the running counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    pub users: u64,
    pub booked: u64,
    pub sold_out: u64,
    pub abandoned: u64,
    pub blocked: u64,
    pub in_system: u64,
}

// ---------------------------------------------------------------- engines

/// A request in an engine's backlog.
#[derive(Clone, Copy, Debug)]
struct Req {
    user: u32,
    attempt: u16,
    step: u8,
    sent_ms: u32,
}

struct Engine {
    up: bool,
    epoch: u16,
    busy: u32,
    queue: VecDeque<Req>,
    saturated_since: Option<u64>,
    /// How long this life of the engine survives saturation (ms): the
    /// fleet's engines differ, so they do not all fall at once.
    endurance_ms: u64,
    /// Down because of a Kill fault (its id) with no automatic restart.
    killed_by: Option<u64>,
    crashes: u32,
    /// What the faults in force do to it (kills aside: a kill crashes
    /// the engine, see `crash`).
    fault: Effect,
    // measurements
    latency: Ewma,
    success: Ewma,
    dispatched: u64,
    dispatched_last: u64,
    share: f64,
}

impl Engine {
    fn new() -> Self {
        Engine {
            up: true,
            epoch: 0,
            busy: 0,
            queue: VecDeque::new(),
            saturated_since: None,
            endurance_ms: 0,
            killed_by: None,
            crashes: 0,
            fault: Effect::NONE,
            latency: Ewma::new(0.05),
            success: Ewma::new(0.05),
            dispatched: 0,
            dispatched_last: 0,
            share: 0.0,
        }
    }

    fn slots(&self, base: u32) -> u32 {
        ((f64::from(base) * self.fault.capacity_factor).round() as u32).max(1)
    }

    fn in_flight(&self) -> u32 {
        self.busy + self.queue.len() as u32
    }

    fn degraded(&self) -> bool {
        self.fault.degraded()
    }
}

/// The payment gateway's unit in `dependency_faults`.
const PAYMENT: usize = 0;
/// The database's unit in `dependency_faults`.
const DB: usize = 1;

/// A latency fault's added seconds for one request (± its jitter).
fn added_latency_s(e: &Effect, rng: &mut SimRng) -> f64 {
    (e.latency_s + e.jitter_s * (2.0 * rng.random::<f64>() - 1.0)).max(0.0)
}

// ---------------------------------------------------------------- events

/// The world's events. Arrivals are not stored: the queue draws the next
/// one when it is due ([`TatkalQueue`]).
#[derive(Clone, Copy, Debug)]
pub enum Ev {
    /// The next user arrives.
    Arrival,
    /// An engine finished a request.
    Done {
        engine: u16,
        epoch: u16,
        user: u32,
        attempt: u16,
        step: u8,
        sent_ms: u32,
    },
    /// A user's patience with one page ran out.
    Timeout {
        user: u32,
        attempt: u16,
        engine: u16,
    },
    /// A user sends their next request (after thinking, a CAPTCHA or a backoff).
    Send { user: u32, attempt: u16 },
    /// A user who arrived early (no waiting room) hits the site at 10:00.
    Start { user: u32 },
    /// A crashed engine comes back.
    Restart { engine: u16, epoch: u16 },
    /// Booking opens (10:00).
    Open,
    /// The waiting room admits its next batch.
    Admit,
    /// Crash checks, utilisation, the adaptive rate and the series.
    Sample,
}

impl Ev {
    fn user(self) -> Option<u32> {
        match self {
            Ev::Done { user, .. }
            | Ev::Timeout { user, .. }
            | Ev::Send { user, .. }
            | Ev::Start { user } => Some(user),
            _ => None,
        }
    }
}

const PREFETCH_AHEAD: usize = 16;
const ADMIT_EVERY_MS: u64 = 100;
const HISTORY: usize = 600;

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
    balancer_rng: SimRng,
    error_rng: SimRng,
    shuffle_rng: SimRng,
    engines_rng: SimRng,
    popularity_cdf: Vec<f64>,
    human_risk: Option<Beta<f64>>,
    bot_risk: Option<Beta<f64>>,
    // users and seats
    users: Users,
    seats: Vec<u32>,
    seats_total: u64,
    seats_left: u64,
    trains_left: u32,
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
    admit_budget: f64,
    admission_rate: f64,
    // engines
    engines: Vec<Engine>,
    backends: Vec<Backend>,
    balancer: Balancer,
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
    // rolling series
    last: Counts,
    s_arrivals: Rolling,
    s_admitted: Rolling,
    s_booked: Rolling,
    s_p95: Rolling,
    window: Latency,
    chart_t: Rolling,
    chart_v: Rolling,
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

/// Schedules `ev` at millisecond `at_ms`.
#[inline]
fn schedule(cx: &mut Cx<'_>, at_ms: u64, ev: Ev) {
    cx.schedule(SimTime(at_ms.saturating_mul(1000)), ev);
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
            balancer_rng: stream(seed, "tatkal/balancer"),
            error_rng: stream(seed, "tatkal/errors"),
            shuffle_rng: stream(seed, "tatkal/shuffle"),
            engines_rng: stream(seed, "tatkal/engines"),
            popularity_cdf: cdf,
            human_risk: Beta::new(p.human_risk.alpha, p.human_risk.beta).ok(),
            bot_risk: Beta::new(p.bot_risk.alpha, p.bot_risk.beta).ok(),
            users: Users::with_capacity(users as usize),
            seats,
            seats_total,
            seats_left: seats_total,
            trains_left: if p.seats_per_train > 0 { p.trains } else { 0 },
            waiting_room: p.waiting_room,
            parallel: p.parallel_pipeline,
            prewarm: p.prewarm_cache,
            captcha: p.captcha,
            adaptive: matches!(p.admission_rate, AdmissionRate::Adaptive),
            admission: Admission::from_name(&p.admission).unwrap_or(Admission::Fifo),
            fixed_rate,
            bot_wave: 1.0,
            queue: VecDeque::new(),
            admit_budget: 0.0,
            admission_rate: 0.0,
            backends: vec![Backend::default(); n_engines],
            engines,
            balancer: Balancer::new(policy),
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
            last: Counts::default(),
            s_arrivals: Rolling::new(HISTORY),
            s_admitted: Rolling::new(HISTORY),
            s_booked: Rolling::new(HISTORY),
            s_p95: Rolling::new(HISTORY),
            window: Latency::new(),
            chart_t: Rolling::new(HISTORY),
            chart_v: Rolling::new(HISTORY),
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

    fn sync_backend(&mut self, e: usize) {
        let en = &self.engines[e];
        self.backends[e] = Backend {
            available: en.up && !en.fault.partitioned,
            in_flight: en.in_flight(),
            weight: f64::from(en.slots(self.p.engine_knee)),
            success_rate: en.success.value_or(1.0),
            response_s: en.latency.value_or(0.0),
        };
    }

    /// Σ knee of the engines that are up, over engine seconds per booking.
    fn planned_rate(&self) -> f64 {
        let knees: f64 = self
            .engines
            .iter()
            .filter(|e| e.up && !e.fault.partitioned)
            .map(|e| f64::from(e.slots(self.p.engine_knee)))
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

    // ------------------------------------------------------------ arrivals

    fn pick_train(&mut self, rng_is_wave: bool) -> u16 {
        let x: f64 = if rng_is_wave {
            self.wave_rng.random()
        } else {
            self.population_rng.random()
        };
        let i = self.popularity_cdf.partition_point(|c| *c <= x);
        i.min(self.popularity_cdf.len().saturating_sub(1)) as u16
    }

    fn handle_arrival(&mut self, cx: &mut Cx<'_>) {
        let bot = self.population_rng.random::<f64>() < self.p.bot_share;
        let train = self.pick_train(false);
        let z: f64 = self.population_rng.sample(StandardNormal);
        let patience = if bot {
            FOREVER
        } else {
            let s = self.p.patience_median_s * (self.p.patience_sigma * z).exp();
            s.round().clamp(1.0, f64::from(FOREVER - 1)) as u16
        };
        self.new_user(cx, train, bot, patience);
        if bot && self.bot_wave > 1.0 {
            let extra = self.bot_wave - 1.0;
            let mut n = extra.floor() as u64;
            if self.wave_rng.random::<f64>() < extra.fract() {
                n += 1;
            }
            for _ in 0..n {
                let t = self.pick_train(true);
                self.new_user(cx, t, true, FOREVER);
            }
        }
    }

    fn new_user(&mut self, cx: &mut Cx<'_>, train: u16, bot: bool, patience: u16) {
        if self.users.len() as u64 >= MAX_AGENTS {
            if !self.agents_cap_logged {
                self.agents_cap_logged = true;
                cx.log(format!(
                    "agent cap reached ({MAX_AGENTS}): no more arrivals are created"
                ));
            }
            return;
        }
        let now = now_ms(cx);
        let flags = if bot { FLAG_BOT } else { 0 };
        let u = self.users.push(now as u32, train, flags, patience);
        self.c.arrived += 1;
        if bot {
            self.c.bots += 1;
        } else {
            self.c.humans += 1;
        }
        self.pending += 1; // counted as pending until placed
        if self.trains_left == 0 && now >= self.open_ms {
            self.finish(cx, u, SOLD_OUT);
            return;
        }
        if self.waiting_room && !(self.opened && self.admission == Admission::None) {
            self.join_queue(cx, u);
        } else if now < self.open_ms {
            // On the page early, refreshing at 10:00 (a second or two of reaction).
            let jitter = 2.0 * self.reaction_rng.random::<f64>();
            schedule(cx, self.open_ms + ms_of(jitter), Ev::Start { user: u });
        } else {
            self.pending -= 1;
            self.booking += 1;
            self.begin_session(cx, u);
        }
    }

    // ------------------------------------------------------------ waiting room

    /// The rate an ETA divides by: the admission rate now.
    fn eta_rate(&self) -> f64 {
        self.admission_rate.max(1e-9)
    }

    fn join_queue(&mut self, cx: &mut Cx<'_>, u: u32) {
        let now = now_ms(cx);
        let train = self.users.v[u as usize].train as usize;
        if self.opened && self.seats[train] == 0 {
            // The room shows availability: nothing to wait for.
            self.finish(cx, u, SOLD_OUT);
            return;
        }
        // Little's law with inventory: of those ahead, only as many as
        // their trains have seats left will be admitted; the rest will be
        // told "sold out" without using an admission.
        let ahead = self.room_effective as f64;
        let to_open = self.open_ms.saturating_sub(now) as f64 / 1000.0;
        let position = if self.admission == Admission::Random && !self.opened {
            f64::midpoint(ahead, 1.0)
        } else if self.admission == Admission::None {
            0.0
        } else {
            ahead + 1.0
        };
        let eta_s = to_open + position / self.eta_rate();
        let shown_ms = (eta_s * 1000.0).round().min(f64::from(u32::MAX)) as u32;
        let i = u as usize;
        let patience = self.users.v[i].patience_s;
        self.pending -= 1;
        // Would wait past their (informed) patience, counted from 10:00: leave now.
        let waits_past_open = eta_s - to_open;
        if patience != FOREVER
            && waits_past_open > f64::from(patience) * self.p.informed_patience_factor
        {
            self.c.abandoned_on_eta += 1;
            self.pending += 1;
            self.finish(cx, u, ABANDONED);
            return;
        }
        self.users.eta_ms[i] = shown_ms;
        self.users.v[i].state = QUEUED;
        self.queued += 1;
        let before = self.effective(train);
        self.room_count[train] += 1;
        self.refresh_effective(train, before);
        self.room_join_sum_ms[train] += f64::from(self.users.v[i].arrived_ms);
        self.queue.push_back(u);
        self.queue_peak = self.queue_peak.max(self.queued);
        self.set_level(cx);
    }

    /// Takes the next user off the front of the room; true when one was
    /// admitted to booking (skips and those long gone cost no admission).
    fn admit_front(&mut self, cx: &mut Cx<'_>) -> Option<bool> {
        let u = self.queue.pop_front()?;
        let i = u as usize;
        let train = self.users.v[i].train as usize;
        if self.users.v[i].state != QUEUED {
            return Some(false); // moved out while waiting (room switched off)
        }
        if self.seats[train] == 0 {
            // A ghost: told "sold out" (and counted) when the train sold out.
            self.users.v[i].state = SOLD_OUT;
            return Some(false);
        }
        let now = now_ms(cx);
        let arrived = u64::from(self.users.v[i].arrived_ms);
        let waited = now.saturating_sub(arrived);
        let before = self.effective(train);
        self.room_count[train] -= 1;
        self.refresh_effective(train, before);
        self.room_join_sum_ms[train] -= arrived as f64;
        self.c.queue_departures += 1;
        self.queue_wait_sum_s += waited as f64 / 1000.0;
        // `finish` moves a user out of `booking`: count them there first.
        let gone = self.out_of_patience(cx, u);
        self.queued -= 1;
        self.booking += 1;
        self.users.v[i].state = THINKING;
        if gone {
            // Closed the tab a while ago; noticed at their turn.
            self.c.abandoned_in_queue += 1;
            self.finish(cx, u, ABANDONED);
            return Some(false);
        }
        self.c.admitted += 1;
        let eta = u64::from(self.users.eta_ms[i]);
        let error = SimTime(waited.abs_diff(eta) * 1000);
        self.eta_error.record(error);
        if arrived >= self.open_ms {
            self.eta_error_after_open.record(error);
        }
        self.eta_shown.record(SimTime(eta * 1000));
        self.admitted_wait.record(SimTime(waited * 1000));
        self.users.v[i].flags |= FLAG_ADMITTED;
        self.users.eta_ms[i] = now as u32;
        self.begin_session(cx, u);
        Some(true)
    }

    fn release_all(&mut self, cx: &mut Cx<'_>) {
        while self.admit_front(cx).is_some() {}
        self.admit_budget = 0.0;
        self.set_level(cx);
    }

    fn handle_admit(&mut self, cx: &mut Cx<'_>) {
        let now = now_ms(cx);
        schedule(cx, now + ADMIT_EVERY_MS, Ev::Admit);
        if !self.opened || !self.waiting_room {
            return;
        }
        if self.admission == Admission::None {
            self.release_all(cx);
            return;
        }
        self.admit_budget += self.admission_rate * ADMIT_EVERY_MS as f64 / 1000.0;
        while self.admit_budget >= 1.0 {
            match self.admit_front(cx) {
                Some(true) => self.admit_budget -= 1.0,
                Some(false) => {}
                None => break,
            }
        }
        if self.queued == 0 {
            self.admit_budget = self.admit_budget.min(1.0);
        }
        self.set_level(cx);
    }

    fn handle_open(&mut self, cx: &mut Cx<'_>) {
        self.opened = true;
        if self.waiting_room && self.admission == Admission::Random {
            let slice = self.queue.make_contiguous();
            slice.shuffle(&mut self.shuffle_rng);
        }
        let n = self.room_len();
        cx.log(format!(
            "10:00 — Tatkal opens; {} in the waiting room",
            fmt_count(n as f64)
        ));
        if self.waiting_room && self.admission == Admission::None {
            self.release_all(cx);
        }
    }

    // ------------------------------------------------------------ sessions

    /// Challenge before a request; `Err(())` when a bot is stopped.
    /// Returns the human seconds it costs.
    fn challenge(&mut self, u: u32, level: u8) -> Result<f64, ()> {
        // level 2 = CAPTCHA, 1 = simple verification
        let bot = self.users.is_bot(u);
        let i = u as usize;
        self.users.v[i].flags |= FLAG_CHALLENGED;
        if bot {
            let pass = if level == 2 {
                self.p.bot_captcha_pass
            } else {
                self.p.bot_verify_pass
            };
            if self.captcha_rng.random::<f64>() < pass {
                Ok(self.p.bot_think_s * 3.0)
            } else {
                Err(())
            }
        } else if level == 2 {
            // Geometric number of tries until one is right.
            let mut t = 0.0;
            loop {
                t += self.p.captcha_s * spread(&mut self.captcha_rng);
                if self.captcha_rng.random::<f64>() >= self.p.captcha_fail {
                    break;
                }
            }
            Ok(t)
        } else {
            Ok(self.p.verify_s * spread(&mut self.captcha_rng))
        }
    }

    fn begin_session(&mut self, cx: &mut Cx<'_>, u: u32) {
        // The caller has counted the user in `booking`.
        let i = u as usize;
        self.users.v[i].state = THINKING;
        if self.trains_left == 0 {
            self.finish(cx, u, SOLD_OUT);
            return;
        }
        self.users.v[i].step = 0;
        self.users.v[i].retries = 0;
        if self.parallel {
            self.users.v[i].flags |= FLAG_PARALLEL;
        } else {
            self.users.v[i].flags &= !FLAG_PARALLEL;
        }
        let mut delay = 0.0;
        if self.captcha == Captcha::RiskBased {
            let bot = self.users.is_bot(u);
            let dist = if bot {
                self.bot_risk.as_ref()
            } else {
                self.human_risk.as_ref()
            };
            let score = dist.map_or(0.0, |d| d.sample(&mut self.risk_rng));
            let level = if score > 0.8 {
                2
            } else {
                u8::from(score > 0.5)
            };
            if level > 0 {
                if bot {
                    self.c.bots_challenged += 1;
                } else {
                    self.c.humans_challenged += 1;
                }
                let Ok(t) = self.challenge(u, level) else {
                    self.finish(cx, u, BLOCKED);
                    return;
                };
                delay += t;
            }
        }
        self.schedule_send(cx, u, delay);
    }

    /// Schedules the user's next request after `delay_s` (plus a CAPTCHA
    /// when every step has one).
    fn schedule_send(&mut self, cx: &mut Cx<'_>, u: u32, mut delay_s: f64) {
        let i = u as usize;
        if self.captcha == Captcha::EveryStep {
            let Ok(t) = self.challenge(u, 2) else {
                self.finish(cx, u, BLOCKED);
                return;
            };
            delay_s += t;
        }
        self.users.v[i].state = THINKING;
        let attempt = self.users.v[i].attempt;
        if delay_s <= 0.0 {
            self.send(cx, u);
        } else {
            let at = now_ms(cx) + ms_of(delay_s);
            schedule(cx, at, Ev::Send { user: u, attempt });
        }
    }

    fn service_s(&mut self, cx: &mut Cx<'_>, e: usize, step: Step, base: f64) -> f64 {
        let cold = if self.prewarm {
            1.0
        } else {
            let since_open = now_ms(cx).saturating_sub(self.open_ms) as f64 / 1000.0;
            1.0 + (self.p.cold_cache_factor - 1.0) * (-since_open / self.p.cache_warmup_s).exp()
        };
        let rng = &mut self.service_rng;
        let db = self.db;
        let pay = self.payment;
        let dep = added_latency_s;
        let work = match step {
            Step::Availability => base * cold * spread(rng) / db.slowdown + dep(&db, rng),
            Step::Verify | Step::Confirm => base * spread(rng) / db.slowdown + dep(&db, rng),
            Step::Payment => base * spread(rng) / pay.slowdown + dep(&pay, rng),
            Step::Parallel => {
                let avail = base * cold * spread(rng) / db.slowdown + dep(&db, rng);
                let verify = VERIFY_S * spread(rng) / db.slowdown + dep(&db, rng);
                let prepare = PREPARE_PAYMENT_S * spread(rng) / pay.slowdown + dep(&pay, rng);
                avail.max(verify).max(prepare)
            }
        };
        let en = &self.engines[e];
        let knee = f64::from(en.slots(self.p.engine_knee));
        let excess = (f64::from(en.busy) - knee).max(0.0);
        let thrash = 1.0 + self.p.thrash * excess / knee;
        let extra = added_latency_s(&en.fault, rng);
        work * thrash / en.fault.slowdown + extra
    }

    fn send(&mut self, cx: &mut Cx<'_>, u: u32) {
        let i = u as usize;
        if self.out_of_patience(cx, u) {
            self.finish(cx, u, ABANDONED);
            return;
        }
        self.users.v[i].attempt = self.users.v[i].attempt.wrapping_add(1);
        let attempt = self.users.v[i].attempt;
        self.users.v[i].state = AWAITING;
        self.c.requests += 1;
        let now = now_ms(cx);
        let step = self.users.v[i].step;
        let Some(e) = self.balancer.choose(&self.backends, &mut self.balancer_rng) else {
            // Nothing is up: an error page at once.
            self.c.refused += 1;
            self.retry(cx, u);
            return;
        };
        let en = &mut self.engines[e];
        en.dispatched += 1;
        if en.fault.error_p > 0.0 && self.error_rng.random::<f64>() < en.fault.error_p {
            en.success.observe(0.0);
            self.c.refused += 1;
            self.sync_backend(e);
            self.retry(cx, u);
            return;
        }
        let timeout_at = now + ms_of(self.p.timeout_s);
        let timeout = Ev::Timeout {
            user: u,
            attempt,
            engine: e as u16,
        };
        if en.fault.blackholed {
            schedule(cx, timeout_at, timeout);
            return;
        }
        let req = Req {
            user: u,
            attempt,
            step,
            sent_ms: now as u32,
        };
        let slots = en.slots(self.p.engine_slots);
        if en.busy < slots {
            let s = self.start_request(cx, e, req);
            if s >= self.p.timeout_s {
                schedule(cx, timeout_at, timeout);
            }
        } else if (en.queue.len() as u64) < u64::from(self.p.engine_backlog) {
            en.queue.push_back(req);
            schedule(cx, timeout_at, timeout);
        } else {
            en.success.observe(0.0);
            self.c.refused += 1;
            self.sync_backend(e);
            self.retry(cx, u);
            return;
        }
        self.sync_backend(e);
    }

    /// Starts serving `req` on engine `e`; returns the service time (s).
    fn start_request(&mut self, cx: &mut Cx<'_>, e: usize, req: Req) -> f64 {
        self.engines[e].busy += 1;
        let parallel = self.users.v[req.user as usize].flags & FLAG_PARALLEL != 0;
        let (step, base) = pipeline(parallel)
            .get(req.step as usize)
            .copied()
            .unwrap_or((Step::Confirm, 1.0));
        let s = self.service_s(cx, e, step, base);
        let at = now_ms(cx) + ms_of(s).max(1);
        let en = &self.engines[e];
        schedule(
            cx,
            at,
            Ev::Done {
                engine: e as u16,
                epoch: en.epoch,
                user: req.user,
                attempt: req.attempt,
                step: req.step,
                sent_ms: req.sent_ms,
            },
        );
        s
    }

    /// A request failed or timed out: refresh after a backoff, or give up.
    fn retry(&mut self, cx: &mut Cx<'_>, u: u32) {
        let i = u as usize;
        let bot = self.users.is_bot(u);
        let r = self.users.v[i].retries.saturating_add(1);
        self.users.v[i].retries = r;
        let limit = if bot {
            self.p.bot_max_retries
        } else {
            self.p.max_retries
        };
        if u32::from(r) > limit || self.out_of_patience(cx, u) {
            self.finish(cx, u, ABANDONED);
            return;
        }
        self.c.retries += 1;
        let backoff = if bot {
            self.p.bot_backoff_s * spread(&mut self.retry_rng)
        } else {
            let b = self.p.backoff_s * 1.5f64.powi(i32::from(r) - 1);
            b.min(self.p.backoff_max_s) * spread(&mut self.retry_rng)
        };
        self.users.v[i].state = THINKING;
        self.schedule_send(cx, u, backoff);
    }

    fn handle_done(&mut self, cx: &mut Cx<'_>, engine: u16, epoch: u16, req: Req) {
        let e = engine as usize;
        let now = now_ms(cx);
        let u = req.user;
        let i = u as usize;
        if self.engines[e].epoch != epoch {
            // The engine crashed while serving this: the answer never comes.
            if self.users.v[i].state == AWAITING && self.users.v[i].attempt == req.attempt {
                let at = u64::from(req.sent_ms) + ms_of(self.p.timeout_s);
                schedule(
                    cx,
                    at,
                    Ev::Timeout {
                        user: u,
                        attempt: req.attempt,
                        engine,
                    },
                );
            }
            return;
        }
        let latency_s = now.saturating_sub(u64::from(req.sent_ms)) as f64 / 1000.0;
        {
            let en = &mut self.engines[e];
            en.busy -= 1;
            en.latency.observe(latency_s);
            en.success.observe(if latency_s <= self.p.timeout_s {
                1.0
            } else {
                0.0
            });
        }
        let d = SimTime(now.saturating_sub(u64::from(req.sent_ms)) * 1000);
        self.response.record(d);
        self.window.record(d);
        // Next from the backlog.
        let slots = self.engines[e].slots(self.p.engine_slots);
        if self.engines[e].busy < slots
            && let Some(next) = self.engines[e].queue.pop_front()
        {
            self.start_request(cx, e, next);
        }
        self.sync_backend(e);
        if self.users.v[i].state != AWAITING || self.users.v[i].attempt != req.attempt {
            // Served after the user had given up on it: wasted work.
            self.c.duplicates += 1;
            return;
        }
        self.step_done(cx, u, req.step);
    }

    fn step_done(&mut self, cx: &mut Cx<'_>, u: u32, step_idx: u8) {
        let i = u as usize;
        let parallel = self.users.v[i].flags & FLAG_PARALLEL != 0;
        let pipe = pipeline(parallel);
        let step = pipe
            .get(step_idx as usize)
            .map_or(Step::Confirm, |(s, _)| *s);
        let train = self.users.v[i].train as usize;
        match step {
            Step::Availability | Step::Parallel if self.seats[train] == 0 => {
                self.finish(cx, u, SOLD_OUT);
                return;
            }
            Step::Payment
                if self.payment.error_p > 0.0
                    && self.error_rng.random::<f64>() < self.payment.error_p =>
            {
                self.retry(cx, u);
                return;
            }
            _ => {}
        }
        if step_idx as usize + 1 >= pipe.len() {
            if self.seats[train] == 0 {
                self.finish(cx, u, SOLD_OUT);
            } else {
                let before = self.effective(train);
                self.seats[train] -= 1;
                self.refresh_effective(train, before);
                self.seats_left -= 1;
                if self.seats[train] == 0 {
                    self.train_sold_out(cx, train);
                    self.trains_left -= 1;
                    if self.trains_left == 0 {
                        self.all_sold_out(cx);
                    }
                }
                self.finish(cx, u, BOOKED);
            }
            return;
        }
        self.users.v[i].step = step_idx + 1;
        self.users.v[i].retries = 0;
        let think = if self.users.is_bot(u) {
            self.p.bot_think_s
        } else {
            self.p.think_s
        } * spread(&mut self.think_rng);
        self.schedule_send(cx, u, think);
    }

    fn all_sold_out(&mut self, cx: &mut Cx<'_>) {
        cx.log("every Tatkal seat is sold".to_string());
        // Everyone waiting was told as their train sold out: drop the ghosts.
        while let Some(u) = self.queue.pop_front() {
            let user = &mut self.users.v[u as usize];
            if user.state == QUEUED {
                user.state = SOLD_OUT;
            }
        }
        self.set_level(cx);
    }

    /// Ends a user's story. The user must be counted in `booking` (callers
    /// move them there first) — or in `pending` for arrivals turned away.
    fn finish(&mut self, cx: &mut Cx<'_>, u: u32, outcome: u8) {
        let i = u as usize;
        let was = self.users.v[i].state;
        debug_assert!(was < BOOKED, "user {u} finished twice");
        if was == PENDING {
            self.pending -= 1;
        } else {
            self.booking -= 1;
        }
        self.users.v[i].state = outcome;
        let bot = self.users.is_bot(u);
        match outcome {
            BOOKED => {
                self.c.booked += 1;
                if bot {
                    self.c.bots_booked += 1;
                } else {
                    self.c.humans_booked += 1;
                    let t = now_ms(cx).saturating_sub(self.start_ms(u));
                    self.time_to_book.record(SimTime(t * 1000));
                }
            }
            SOLD_OUT => self.c.sold_out += 1,
            ABANDONED => {
                self.c.abandoned += 1;
                if !bot {
                    self.c.humans_abandoned += 1;
                }
            }
            _ => self.c.blocked += 1,
        }
    }

    fn handle_timeout(&mut self, cx: &mut Cx<'_>, u: u32, attempt: u16, engine: u16) {
        let i = u as usize;
        if self.users.v[i].state != AWAITING || self.users.v[i].attempt != attempt {
            return;
        }
        self.c.timeouts += 1;
        if let Some(en) = self.engines.get_mut(engine as usize) {
            en.success.observe(0.0);
            let e = engine as usize;
            self.sync_backend(e);
        }
        self.retry(cx, u);
    }

    fn handle_send(&mut self, cx: &mut Cx<'_>, u: u32, attempt: u16) {
        let i = u as usize;
        if self.users.v[i].state == THINKING && self.users.v[i].attempt == attempt {
            self.send(cx, u);
        }
    }

    fn handle_start(&mut self, cx: &mut Cx<'_>, u: u32) {
        let i = u as usize;
        if self.users.v[i].state != PENDING {
            return;
        }
        self.pending -= 1;
        if self.waiting_room && self.admission != Admission::None {
            // The room was switched on meanwhile: join it.
            self.pending += 1;
            self.join_queue(cx, u);
            return;
        }
        self.booking += 1;
        self.begin_session(cx, u);
    }

    fn crash(&mut self, cx: &mut Cx<'_>, e: usize, why: &str) {
        let en = &mut self.engines[e];
        if !en.up {
            return;
        }
        let held = en.in_flight();
        en.up = false;
        en.epoch = en.epoch.wrapping_add(1);
        en.busy = 0;
        en.queue.clear();
        en.saturated_since = None;
        en.crashes += 1;
        self.c.crashes += 1;
        self.sync_backend(e);
        cx.log(format!(
            "engine-{} crashed ({why}); {} requests lost",
            e + 1,
            fmt_count(f64::from(held))
        ));
        self.on_capacity_change();
    }

    fn restart(&mut self, cx: &mut Cx<'_>, e: usize) {
        let en = &mut self.engines[e];
        if en.up {
            return;
        }
        en.up = true;
        en.killed_by = None;
        en.saturated_since = None;
        en.endurance_ms = ms_of(self.p.crash_after_s * spread(&mut self.engines_rng));
        self.sync_backend(e);
        cx.log(format!("engine-{} restarted", e + 1));
        self.on_capacity_change();
    }

    fn on_capacity_change(&mut self) {
        if !self.adaptive {
            self.admission_rate = self.base_rate();
        }
    }

    fn handle_sample(&mut self, cx: &mut Cx<'_>) {
        let now = now_ms(cx);
        let dt = self.p.sample_every_s;
        schedule(cx, now + ms_of(dt), Ev::Sample);
        // Crash check: saturated with a backlog for too long.
        for e in 0..self.engines.len() {
            let en = &mut self.engines[e];
            if !en.up {
                continue;
            }
            let saturated = en.busy >= en.slots(self.p.engine_slots) && !en.queue.is_empty();
            if saturated {
                let since = *en.saturated_since.get_or_insert(now);
                if now - since >= en.endurance_ms {
                    let why = format!("saturated for {:.0} s", (now - since) as f64 / 1000.0);
                    self.crash(cx, e, &why);
                    let epoch = self.engines[e].epoch;
                    let delay = self.p.restart_s * spread(&mut self.engines_rng);
                    schedule(
                        cx,
                        now + ms_of(delay),
                        Ev::Restart {
                            engine: e as u16,
                            epoch,
                        },
                    );
                }
            } else {
                en.saturated_since = None;
            }
        }
        // Utilisation (busy / knee over engines that are up) and shares.
        let mut busy = 0.0;
        let mut knee = 0.0;
        let mut in_flight = 0.0;
        let mut slots = 0.0;
        let total_disp: u64 = self
            .engines
            .iter()
            .map(|e| e.dispatched - e.dispatched_last)
            .sum();
        for en in &mut self.engines {
            slots += f64::from(en.slots(self.p.engine_slots));
            let d = en.dispatched - en.dispatched_last;
            en.dispatched_last = en.dispatched;
            en.share = if total_disp > 0 {
                d as f64 / total_disp as f64
            } else {
                0.0
            };
            if en.up {
                busy += f64::from(en.busy);
                in_flight += f64::from(en.in_flight());
                knee += f64::from(en.slots(self.p.engine_knee));
            }
        }
        if self.opened {
            self.util_sum += if slots > 0.0 { busy / slots } else { 0.0 };
            self.load_sum += if knee > 0.0 { busy / knee } else { 0.0 };
            self.util_samples += 1;
        }
        // Admission rate: additive increase, multiplicative decrease on the
        // measured engine load (in flight / knee), like TCP: admitted users
        // reach the engines only after a CAPTCHA or a think time, so the
        // rate creeps up and backs off fast.
        if self.adaptive {
            let planned = self.planned_rate();
            let load = if knee > 0.0 { in_flight / knee } else { 0.0 };
            let rate = if !self.opened || self.admission_rate <= 0.0 {
                planned
            } else if load > self.p.target_load {
                self.admission_rate * (self.p.target_load / load).max(0.7)
            } else if self.queued > 0 {
                self.admission_rate + 0.02 * planned * dt
            } else {
                // No one is held back: nothing to learn from.
                self.admission_rate
            };
            self.admission_rate = rate.clamp(0.05 * planned, (2.0 * planned).max(1.0));
        }
        // Series.
        let c = &self.c;
        let l = &self.last;
        let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / dt;
        self.s_arrivals.push(per(c.arrived, l.arrived));
        self.s_admitted.push(per(c.admitted, l.admitted));
        self.s_booked.push(per(c.booked, l.booked));
        let p95 = self.window.quantile_s(0.95);
        self.s_p95.push(if p95.is_nan() { 0.0 } else { p95 });
        self.window.reset();
        self.chart_t.push(cx.now().as_secs_f64());
        self.chart_v.push(if self.waiting_room {
            self.room_len() as f64
        } else {
            self.in_system() as f64
        });
        self.last = self.c.clone();
    }

    fn dispatch(&mut self, cx: &mut Cx<'_>, ev: Ev) {
        match ev {
            Ev::Arrival => self.handle_arrival(cx),
            Ev::Done {
                engine,
                epoch,
                user,
                attempt,
                step,
                sent_ms,
            } => self.handle_done(
                cx,
                engine,
                epoch,
                Req {
                    user,
                    attempt,
                    step,
                    sent_ms,
                },
            ),
            Ev::Timeout {
                user,
                attempt,
                engine,
            } => self.handle_timeout(cx, user, attempt, engine),
            Ev::Send { user, attempt } => self.handle_send(cx, user, attempt),
            Ev::Start { user } => self.handle_start(cx, user),
            Ev::Restart { engine, epoch } => {
                let e = engine as usize;
                if self.engines[e].epoch == epoch && self.engines[e].killed_by.is_none() {
                    self.restart(cx, e);
                }
            }
            Ev::Open => self.handle_open(cx),
            Ev::Admit => self.handle_admit(cx),
            Ev::Sample => self.handle_sample(cx),
        }
    }

    // ------------------------------------------------------------ faults

    /// Which engines a target names (`all`, or `engine-K`).
    fn engine_targets(&self, target: &str) -> Option<Vec<usize>> {
        if target == "all" {
            return Some((0..self.engines.len()).collect());
        }
        let k: usize = target.strip_prefix("engine-")?.parse().ok()?;
        (1..=self.engines.len()).contains(&k).then(|| vec![k - 1])
    }

    /// Whether the world accepts `fault`: the catalog's targets and
    /// kinds, and a bot wave's strength.
    fn check_fault(&self, fault: &Fault) -> Result<(), CommandError> {
        self.catalog.faults.check(fault)?;
        if let FaultKind::World { strength, .. } = &fault.kind
            && !(0.0..=1000.0).contains(strength)
        {
            return Err(CommandError::Invalid(format!(
                "bot-wave strength must be between 0 and 1000, got {strength}"
            )));
        }
        Ok(())
    }

    /// Where a fault on `target` is kept: the dependencies' book (true) or
    /// the engines', and which unit it hits.
    fn fault_unit(&self, target: &str) -> Result<(bool, Target), CommandError> {
        match target {
            "payment" => Ok((true, Target::One(PAYMENT))),
            "db" => Ok((true, Target::One(DB))),
            "all" => Ok((false, Target::All)),
            t => match self.engine_targets(t).as_deref() {
                Some([e]) => Ok((false, Target::One(*e))),
                _ => Err(CommandError::UnknownTarget {
                    name: t.to_string(),
                    expected: format!("all, payment, db, engine-1 … engine-{}", self.engines.len()),
                }),
            },
        }
    }

    /// Recomputes every continuous fault effect from the faults in force
    /// (the shared [`FaultBook`] combines them).
    fn recompute_faults(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        for (e, en) in self.engines.iter_mut().enumerate() {
            en.fault = self.engine_faults.effect(e, now);
        }
        self.payment = self.dependency_faults.effect(PAYMENT, now);
        self.db = self.dependency_faults.effect(DB, now);
        self.bot_wave = self
            .engine_faults
            .world_faults()
            .map(|(_, strength, _)| strength)
            .product();
        for e in 0..self.engines.len() {
            self.sync_backend(e);
            // Capacity may have grown back: start what waits.
            loop {
                let en = &self.engines[e];
                if !en.up || en.busy >= en.slots(self.p.engine_slots) {
                    break;
                }
                let Some(next) = self.engines[e].queue.pop_front() else {
                    break;
                };
                self.start_request(cx, e, next);
            }
            self.sync_backend(e);
        }
        self.on_capacity_change();
    }

    fn inject(&mut self, cx: &mut Cx<'_>, id: u64, fault: &Fault) -> Result<String, CommandError> {
        self.check_fault(fault)?;
        let (on_dependency, target) = self.fault_unit(&fault.target)?;
        if let FaultKind::Kill { restart_after_s } = fault.kind {
            let targets = self.engine_targets(&fault.target).unwrap_or_default();
            let now = now_ms(cx);
            for e in targets {
                self.crash(cx, e, "killed");
                let epoch = self.engines[e].epoch;
                match restart_after_s {
                    Some(s) => schedule(
                        cx,
                        now + ms_of(s),
                        Ev::Restart {
                            engine: e as u16,
                            epoch,
                        },
                    ),
                    None => self.engines[e].killed_by = Some(id),
                }
            }
        }
        let now = cx.now();
        let book = if on_dependency {
            &mut self.dependency_faults
        } else {
            &mut self.engine_faults
        };
        book.insert(id, fault.kind.clone(), target, now);
        self.fault_ids.insert(id);
        self.recompute_faults(cx);
        Ok(String::new())
    }

    fn clear_fault(&mut self, cx: &mut Cx<'_>, id: u64) {
        if !self.fault_ids.remove(&id) {
            return;
        }
        self.engine_faults.remove(id);
        self.dependency_faults.remove(id);
        for e in 0..self.engines.len() {
            if self.engines[e].killed_by == Some(id) {
                self.restart(cx, e);
            }
        }
        self.recompute_faults(cx);
    }

    // ------------------------------------------------------------ toggles

    fn toggles(&self) -> Vec<(String, bool)> {
        vec![
            ("waiting_room".into(), self.waiting_room),
            ("parallel_pipeline".into(), self.parallel),
            ("prewarm_cache".into(), self.prewarm),
            ("risk_captcha".into(), self.captcha == Captcha::RiskBased),
            ("adaptive_admission".into(), self.adaptive),
        ]
    }

    fn toggle(&mut self, cx: &mut Cx<'_>, name: &str, on: bool) -> Result<String, CommandError> {
        match name {
            "waiting_room" => {
                self.waiting_room = on;
                if !on {
                    // Everyone waiting rushes in at once.
                    let n = self.room_len();
                    if self.opened {
                        self.release_all(cx);
                    } else {
                        while let Some(u) = self.queue.pop_front() {
                            let user = self.users.v[u as usize];
                            let train = user.train as usize;
                            let before = self.effective(train);
                            self.room_count[train] -= 1;
                            self.refresh_effective(train, before);
                            self.room_join_sum_ms[train] -= f64::from(user.arrived_ms);
                            self.queue_wait_sum_s +=
                                now_ms(cx).saturating_sub(u64::from(user.arrived_ms)) as f64
                                    / 1000.0;
                            self.queued -= 1;
                            self.pending += 1;
                            self.c.queue_departures += 1;
                            self.users.v[u as usize].state = PENDING;
                            let at = self.open_ms + ms_of(2.0 * self.reaction_rng.random::<f64>());
                            schedule(cx, at, Ev::Start { user: u });
                        }
                        self.set_level(cx);
                    }
                    return Ok(format!(
                        "waiting room off: {} waiting users hit the engines",
                        fmt_count(n as f64)
                    ));
                }
            }
            "parallel_pipeline" => {
                self.parallel = on;
                self.on_capacity_change();
            }
            "prewarm_cache" => self.prewarm = on,
            "risk_captcha" => {
                self.captcha = if on {
                    Captcha::RiskBased
                } else {
                    Captcha::EveryStep
                };
            }
            "adaptive_admission" => {
                self.adaptive = on;
                if !on {
                    self.admission_rate = self.base_rate();
                }
            }
            _ => {
                return Err(CommandError::UnknownToggle {
                    name: name.to_string(),
                    expected: self
                        .toggles()
                        .into_iter()
                        .map(|(n, _)| n)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(format!("{name} {}", if on { "on" } else { "off" }))
    }

    // ------------------------------------------------------------ checks

    /// Scans every user's state (O(users)): the outcome counts from the
    /// per-user record, to check against the running counters.
    #[must_use]
    pub fn audit(&self) -> Audit {
        let mut a = Audit {
            users: self.users.len() as u64,
            ..Audit::default()
        };
        for user in &self.users.v {
            let s = if user.state == QUEUED && self.seats[user.train as usize] == 0 {
                SOLD_OUT // told when the train sold out; still a ghost in the deque
            } else {
                user.state
            };
            match s {
                BOOKED => a.booked += 1,
                SOLD_OUT => a.sold_out += 1,
                ABANDONED => a.abandoned += 1,
                BLOCKED => a.blocked += 1,
                _ => a.in_system += 1,
            }
        }
        a
    }

    /// Users in the waiting room now.
    #[must_use]
    pub fn waiting(&self) -> u64 {
        self.room_len()
    }

    /// The admission rate now (per second).
    #[must_use]
    pub fn admission_rate(&self) -> f64 {
        self.admission_rate
    }

    /// Booking engines in the fleet.
    #[must_use]
    pub fn engine_count(&self) -> usize {
        self.engines.len()
    }

    fn clock(&self, now: SimTime) -> String {
        // 10:00:00 at the opening.
        let open_s = 10 * 3600;
        let rel = now.micros() as i64 / 1_000_000 - (self.open_ms / 1000) as i64;
        let s = (open_s + rel).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
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
                    self.balancer.set_policy(p);
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

    fn snapshot(&self, now: SimTime) -> Snapshot {
        let m = self.metrics(now);
        let waiting = self.room_len() as f64;
        let peak = (self.queue_peak as f64).max(1.0);
        let success = m["success_rate"];
        let seats_ratio = if self.seats_total > 0 {
            self.seats_left as f64 / self.seats_total as f64
        } else {
            0.0
        };
        let (mut busy, mut knee) = (0.0, 0.0);
        for en in self.engines.iter().filter(|e| e.up) {
            busy += f64::from(en.busy);
            knee += f64::from(en.slots(self.p.engine_knee));
        }
        let load = if knee > 0.0 { busy / knee } else { 0.0 };
        let down = self.engines.iter().filter(|e| !e.up).count();
        let units = self
            .engines
            .iter()
            .enumerate()
            .map(|(i, en)| UnitView {
                name: format!("engine-{}", i + 1),
                state: if !en.up || en.fault.partitioned {
                    UnitState::Down
                } else if en.degraded() || en.busy > en.slots(self.p.engine_knee) {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                },
                in_flight: f64::from(en.in_flight()),
                ewma_latency_s: en.latency.value_or(0.0),
                share: en.share,
                extra: format!("{} queued · {} crashes", en.queue.len(), en.crashes),
            })
            .collect();
        let little_l = self.queue_len.mean(now);
        let span = (now.micros() - self.stats_since_us) as f64 / 1e6;
        let lambda = if span > 0.0 {
            self.c.queue_departures as f64 / span
        } else {
            0.0
        };
        let w = if self.c.queue_departures > 0 {
            self.queue_wait_sum_s / self.c.queue_departures as f64
        } else {
            f64::NAN
        };
        Snapshot {
            now,
            policy: self.policy(),
            gauges: vec![
                GaugeView {
                    label: "waiting room".into(),
                    ratio: (waiting / peak).clamp(0.0, 1.0),
                    text: format!(
                        "{} of peak {}",
                        fmt_count(waiting),
                        fmt_count(self.queue_peak as f64)
                    ),
                    alarm: false,
                },
                GaugeView {
                    label: "success (humans)".into(),
                    ratio: if success.is_nan() {
                        0.0
                    } else {
                        success.clamp(0.0, 1.0)
                    },
                    text: if success.is_nan() {
                        "no outcome yet".into()
                    } else {
                        format!("{:.1} %", success * 100.0)
                    },
                    alarm: success < 0.5,
                },
                GaugeView {
                    label: "seats left".into(),
                    ratio: seats_ratio.clamp(0.0, 1.0),
                    text: format!(
                        "{} of {}",
                        fmt_count(self.seats_left as f64),
                        fmt_count(self.seats_total as f64)
                    ),
                    alarm: self.seats_left == 0,
                },
                GaugeView {
                    label: "engine load".into(),
                    ratio: (load / 4.0).clamp(0.0, 1.0),
                    text: format!("{:.0} % of knee · {} down", load * 100.0, down),
                    alarm: load > 1.0 || down > 0,
                },
            ],
            sparklines: vec![
                SeriesView::of("arrivals", "/s", &self.s_arrivals),
                SeriesView::of("admitted", "/s", &self.s_admitted),
                SeriesView::of("bookings", "/s", &self.s_booked),
                SeriesView::of("p95 response", "s", &self.s_p95),
            ],
            chart: ChartView {
                label: if self.waiting_room {
                    "users in the waiting room".into()
                } else {
                    "users in the system".into()
                },
                points: self
                    .chart_t
                    .values()
                    .into_iter()
                    .zip(self.chart_v.values())
                    .collect(),
                reference: None,
            },
            units_title: "booking engines".into(),
            units_extra_header: "backlog".into(),
            units,
            analytic: vec![
                AnalyticRow {
                    label: "room L vs λW (Little)".into(),
                    closed_form: Some(lambda * if w.is_nan() { 0.0 } else { w }),
                    simulated: little_l,
                    unit: String::new(),
                },
                AnalyticRow {
                    label: "ETA shown vs wait (median)".into(),
                    closed_form: Some(self.eta_shown.quantile_s(0.5)),
                    simulated: self.admitted_wait.quantile_s(0.5),
                    unit: "s".into(),
                },
                AnalyticRow {
                    label: "ETA |error| median".into(),
                    closed_form: None,
                    simulated: m["median_eta_error_s"],
                    unit: "s".into(),
                },
                AnalyticRow {
                    label: "admission vs plan".into(),
                    closed_form: Some(self.planned_rate()),
                    simulated: self.admission_rate,
                    unit: "/s".into(),
                },
            ],
            status_line: Some(format!(
                "{} · {} waiting · admitting {:.0}/s · {} booked · {} seats left",
                self.clock(now),
                fmt_count(waiting),
                if self.waiting_room {
                    self.admission_rate
                } else {
                    0.0
                },
                fmt_count(self.c.booked as f64),
                fmt_count(self.seats_left as f64)
            )),
            toggles: self.toggles(),
            ..Snapshot::default()
        }
    }

    fn metrics(&self, now: SimTime) -> Metrics {
        let c = &self.c;
        let mut m = Metrics::new();
        let mut put = |k: &str, v: f64| {
            m.insert(k.to_string(), v);
        };
        let tried = c.humans_booked + c.humans_abandoned;
        put("users", c.arrived as f64);
        put("humans", c.humans as f64);
        put("bots", c.bots as f64);
        put("booked", c.booked as f64);
        put("humans_booked", c.humans_booked as f64);
        put("bots_booked", c.bots_booked as f64);
        put("sold_out", c.sold_out as f64);
        put("abandoned", c.abandoned as f64);
        put("humans_abandoned", c.humans_abandoned as f64);
        put("abandoned_on_eta", c.abandoned_on_eta as f64);
        put("abandoned_in_queue", c.abandoned_in_queue as f64);
        put("bots_blocked", c.blocked as f64);
        put("in_system", self.in_system() as f64);
        put("in_system_at_reset", self.in_system_at_reset as f64);
        put("waiting_room", self.room_len() as f64);
        put("waiting_room_peak", self.queue_peak as f64);
        put("humans_tried", tried as f64);
        put(
            "success_rate",
            if tried > 0 {
                c.humans_booked as f64 / tried as f64
            } else {
                f64::NAN
            },
        );
        put("median_time_to_book_s", self.time_to_book.quantile_s(0.5));
        put("p95_time_to_book_s", self.time_to_book.quantile_s(0.95));
        put("mean_time_to_book_s", self.time_to_book.mean_s());
        put("median_eta_error_s", self.eta_error.quantile_s(0.5));
        put("p95_eta_error_s", self.eta_error.quantile_s(0.95));
        put(
            "median_eta_error_after_open_s",
            self.eta_error_after_open.quantile_s(0.5),
        );
        put("median_eta_shown_s", self.eta_shown.quantile_s(0.5));
        put("median_room_wait_s", self.admitted_wait.quantile_s(0.5));
        put("retries", c.retries as f64);
        put("duplicates", c.duplicates as f64);
        put("timeouts", c.timeouts as f64);
        put("refused", c.refused as f64);
        put("requests", c.requests as f64);
        put("admitted", c.admitted as f64);
        put("told_sold_out_in_room", c.told_sold_out_in_room as f64);
        put("seats_total", self.seats_total as f64);
        put("seats_left", self.seats_left as f64);
        put("engines", self.engines.len() as f64);
        put("engine_crashes", c.crashes as f64);
        put("humans_challenged", c.humans_challenged as f64);
        put("bots_challenged", c.bots_challenged as f64);
        let per_sample = |x: f64| {
            if self.util_samples > 0 {
                x / self.util_samples as f64
            } else {
                0.0
            }
        };
        // Busy slots / all slots since 10:00 (down engines count as idle).
        put("engine_utilisation", per_sample(self.util_sum));
        // Busy / knee of the engines that are up: above 1 they thrash.
        put("engine_load_vs_knee", per_sample(self.load_sum));
        put("admission_rate_per_s", self.admission_rate);
        put("planned_rate_per_s", self.planned_rate());
        put("mean_waiting_room", self.queue_len.mean(now));
        put("p95_response_s", self.response.quantile_s(0.95));
        m
    }

    fn analytic(&self, now: SimTime) -> Metrics {
        let mut m = Metrics::new();
        let span = (now.micros() - self.stats_since_us) as f64 / 1e6;
        let w = if self.c.queue_departures > 0 {
            self.queue_wait_sum_s / self.c.queue_departures as f64
        } else {
            f64::NAN
        };
        if span > 0.0 && !w.is_nan() {
            // Little's law for the waiting room: L = λW.
            m.insert(
                "mean_waiting_room".into(),
                self.c.queue_departures as f64 / span * w,
            );
        }
        m.insert("planned_rate_per_s".into(), self.planned_rate());
        m
    }

    fn reset_statistics(&mut self, now: SimTime) {
        self.in_system_at_reset = self.in_system();
        self.c = Counts::default();
        self.last = Counts::default();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{EventLog, World};

    fn small() -> Runtime<Tatkal> {
        let p = TatkalParams {
            scale: 0.001,
            capacity: super::super::Capacity::Fixed { engines: 3 },
            ..TatkalParams::default()
        };
        Tatkal::runtime(&p, 1)
    }

    fn fault(kind: FaultKind, target: &str) -> Fault {
        Fault {
            kind,
            target: target.into(),
            duration_s: None,
        }
    }

    /// Every kind there is, and one no world has.
    fn every_kind() -> Vec<FaultKind> {
        vec![
            FaultKind::Kill {
                restart_after_s: Some(5.0),
            },
            FaultKind::Latency {
                ms: 100.0,
                jitter_ms: 10.0,
            },
            FaultKind::Slowdown { factor: 0.5 },
            FaultKind::CapacityDrop { fraction: 0.5 },
            FaultKind::ErrorRate { p: 0.2 },
            FaultKind::Partition,
            FaultKind::Blackhole,
            FaultKind::World {
                name: "bot-wave".into(),
                strength: 2.0,
            },
            FaultKind::World {
                name: "meteor".into(),
                strength: 1.0,
            },
        ]
    }

    #[test]
    fn the_catalog_is_what_apply_accepts() {
        let mut w = small();
        let mut log = EventLog::default();
        let catalog = w.catalog().clone();
        assert_eq!(catalog, super::super::catalog::catalog(&w.model().p));
        for tpl in &catalog.faults.menu {
            for t in &tpl.targets {
                let f = fault(tpl.kind.clone(), t);
                assert!(catalog.faults.check(&f).is_ok(), "{}: {t}", tpl.label);
            }
        }
        let mut targets: Vec<String> = catalog
            .faults
            .targets
            .iter()
            .map(|t| t.name.clone())
            .collect();
        targets.extend(["engine-4".into(), "engine-0".into(), "cache".into()]);
        let mut id = 0;
        for t in &targets {
            for kind in every_kind() {
                id += 1;
                let f = fault(kind, t);
                let by_catalog = catalog.faults.check(&f).is_ok();
                let cmd = Command::InjectFault { id, fault: f };
                let by_world = w.apply(&cmd, &mut log);
                assert_eq!(by_catalog, by_world.is_ok(), "{cmd:?}: {by_world:?}");
            }
        }
        assert_eq!(catalog.policies, ["fifo", "random", "none"]);
        assert!(catalog.other_policies.iter().any(|p| p == "least-loaded"));
        for p in catalog.all_policies() {
            assert!(w.apply(&Command::SetPolicy(p.into()), &mut log).is_ok());
        }
        for t in &catalog.toggles {
            assert!(!t.about.is_empty());
            let on = Command::Toggle {
                name: t.name.clone(),
                on: true,
            };
            assert!(w.apply(&on, &mut log).is_ok(), "{}", t.name);
        }
    }

    #[test]
    fn faults_combine_in_the_shared_book() {
        let mut w = small();
        let mut log = EventLog::default();
        let faults = [
            fault(FaultKind::ErrorRate { p: 0.5 }, "all"),
            fault(FaultKind::ErrorRate { p: 0.5 }, "engine-1"),
            fault(FaultKind::Slowdown { factor: 0.5 }, "engine-1"),
            fault(FaultKind::Slowdown { factor: 0.5 }, "all"),
            fault(
                FaultKind::Latency {
                    ms: 200.0,
                    jitter_ms: 0.0,
                },
                "payment",
            ),
            fault(
                FaultKind::Latency {
                    ms: 300.0,
                    jitter_ms: 0.0,
                },
                "payment",
            ),
            fault(FaultKind::ErrorRate { p: 0.1 }, "payment"),
        ];
        for (i, f) in faults.into_iter().enumerate() {
            let cmd = Command::InjectFault {
                id: i as u64 + 1,
                fault: f,
            };
            w.apply(&cmd, &mut log).expect("accepted");
        }
        let m = w.model();
        // Error rates combine as independent failures, slowdowns multiply.
        assert_eq!(m.engines[0].fault.error_p, 0.75);
        assert_eq!(m.engines[0].fault.slowdown, 0.25);
        assert_eq!(m.engines[1].fault.error_p, 0.5);
        assert_eq!(m.engines[1].fault.slowdown, 0.5);
        // `all` means every engine, not the payment gateway or the database.
        assert!((m.payment.latency_s - 0.5).abs() < 1e-12);
        assert!((m.payment.error_p - 0.1).abs() < 1e-12);
        assert_eq!(m.payment.slowdown, 1.0);
        assert_eq!(m.db, Effect::NONE);
        for id in [2, 3] {
            w.apply(&Command::ClearFault(id), &mut log)
                .expect("cleared");
        }
        assert_eq!(w.model().engines[0].fault, w.model().engines[1].fault);
        w.apply(&Command::ClearFaults, &mut log).expect("cleared");
        assert_eq!(w.model().engines[0].fault, Effect::NONE);
        assert_eq!(w.model().payment, Effect::NONE);
    }
}
