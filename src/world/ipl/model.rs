//! The IPL world's state and event handling (see the module docs of
//! [`super`] for the model).

mod app;
mod capacity;
mod commands;
mod customers;
mod database;
mod demand;
mod faults;
mod kitchens;
mod partners;

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

use rand::Rng;

use super::feed::{FeedItem, FeedKind, overs_text};
use super::{Autoscaling, IplParams};
use crate::fault::Effect;
use crate::policy::Policy;
use crate::sim::SimTime;
use crate::sim::blocks::fleet::Fleet;
use crate::sim::blocks::resilience::breaker::CircuitBreaker;
use crate::sim::blocks::resilience::bulkhead::Bulkhead;
use crate::sim::blocks::resilience::retry::{RetryCounter, RetryPolicy};
use crate::sim::blocks::resilience::shedder::LoadShedder;
use crate::sim::blocks::source::RateProfile;
use crate::sim::blocks::station::Station;
use crate::sim::metrics::{Ewma, Latency, TimeAverage};
use crate::sim::rng::{SimRng, stream};
use crate::sim::{Catalog, Context, Engine, Probe};
pub(super) use faults::POWER_LOSS;
use faults::{FaultEffects, Faults};

/// The world's event queue.
pub type Queue = Engine<Ev>;
/// What a handler sees of the run-time.
pub(super) type Cx<'a> = Context<'a, Ev, Queue>;

/// Samples kept for sparklines and the chart (4 h at 10 s).
pub(super) const HISTORY: usize = 1440;

/// The series the dashboard draws (see `Ipl::sampling`).
pub(super) mod series {
    use crate::sim::SeriesId;
    pub const UNIQUE: SeriesId = SeriesId(0);
    pub const DUPLICATES: SeriesId = SeriesId(1);
    pub const DELIVERED: SeriesId = SeriesId(2);
    pub const RETRIES: SeriesId = SeriesId(3);
    pub const DECLINED: SeriesId = SeriesId(4);
    pub const P95_DELIVERY: SeriesId = SeriesId(5);
    pub const BACKLOG: SeriesId = SeriesId(6);
}
/// Seconds between partner decisions (log off / come back).
const PARTNER_TICK_S: u64 = 60;
/// Seconds a warm server needs to take traffic.
const WARM_START_S: u64 = 10;

/// An order (or a customer) by slot and serial: the serial tells a live
/// slot from a reused one, so stale events are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ref {
    pub i: u32,
    pub s: u32,
}

/// The world's events.
#[derive(Clone, Copy, Debug)]
pub enum Ev {
    Arrival { generation: u32 },
    RateStep,
    Feed,
    SpikeEnd,
    Patience { c: Ref, attempt: u8 },
    Retry { c: Ref },
    CpuDone(Ref),
    AcquireTimeout(Ref),
    QueryDone(Ref),
    PaymentDone(Ref),
    Accepted(Ref),
    Cooked(Ref),
    Drop(Ref),
    PartnerBack,
    ServerUp { server: u16 },
    Sample,
    ScaleTick,
    PartnerTick,
    KillExpires { id: u64 },
    RestoreStage { stage: u8, generation: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    AppQueue,
    Cpu,
    PoolWait,
    Query,
    Payment,
    Accept,
    KitchenQueue,
    Cooking,
    AwaitPartner,
    OnTrip,
}

#[derive(Clone, Debug)]
pub(super) struct Order {
    serial: u32,
    cust: Ref,
    created: SimTime,
    confirmed: bool,
    stage: Stage,
    server: u16,
    /// The life of its server's station it took a worker in (a crash
    /// starts a new one: see [`Station::life`]); 0 until then.
    server_life: u16,
    cluster: u16,
    /// The life of its kitchen cluster's station it was queued or began
    /// cooking in.
    cluster_life: u16,
    trial: bool,
    app_at: SimTime,
}

#[derive(Clone, Debug)]
pub(super) struct Customer {
    serial: u32,
    first_at: SimTime,
    distance_km: f64,
    attempts: u8,
    unconfirmed: u16,
    live: u16,
    confirmed: bool,
    delivered: bool,
    gave_up: bool,
    lost: bool,
    retry_pending: bool,
}

/// Why an attempt left without being delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Decline {
    ShedEta,
    ShedDistance,
    SystemFull,
    NoServer,
    AppQueueFull,
    ServerCrash,
    PoolTimeout,
    BreakerOpen,
    DbDown,
    Payment,
    AppError,
    KitchenDown,
}

/// What the world keeps beside an app server's station (its workers,
/// queue, life and EWMAs are the station's, in the world's `fleet`).
#[derive(Clone, Debug)]
pub(super) struct Server {
    /// Still starting: takes no traffic yet.
    pub provisioning: bool,
    /// A kill or a partition holds it down: its station crashed and has
    /// not recovered.
    pub down: bool,
    /// Orders it answered since the statistics were reset.
    pub served: u64,
    /// What the faults in force do to it.
    pub fx: Effect,
}

impl Server {
    fn new(provisioning: bool) -> Self {
        Server {
            provisioning,
            down: false,
            served: 0,
            fx: Effect::NONE,
        }
    }

    pub(super) fn available(&self) -> bool {
        !self.provisioning && !self.down
    }
}

/// Counters that `reset_statistics` clears.
#[derive(Clone, Debug, Default)]
pub(super) struct Counts {
    /// Customers (`logical`), taps (`attempts`), `retries`, duplicate
    /// orders (`duplicates`) and customers who gave up (`gave_up`).
    pub retry: RetryCounter,
    pub merged: u64,
    pub delivered: u64,
    pub delivered_unique: u64,
    pub duplicates_delivered: u64,
    pub cancelled: u64,
    pub declined: BTreeMap<Decline, u64>,
    pub customers_lost: u64,
    pub revenue_delivered: f64,
    pub revenue_lost: f64,
    pub exits: u64,
    pub sojourn_s: f64,
}

impl Counts {
    pub(super) fn declined_total(&self) -> u64 {
        self.declined.values().sum()
    }
}

/// The IPL final world.
pub struct Ipl {
    pub(super) p: IplParams,
    rng_arrivals: SimRng,
    rng_customers: SimRng,
    rng_app: SimRng,
    rng_db: SimRng,
    rng_pay: SimRng,
    rng_kitchen: SimRng,
    rng_partner: SimRng,
    // demand
    pub(super) feed: Vec<FeedItem>,
    feed_next: usize,
    pub(super) last_feed: Option<usize>,
    pub(super) spikes: Vec<(SimTime, f64)>,
    schedule_next: usize,
    pub(super) base_per_min: f64,
    pub(super) scale_arrivals: f64,
    /// The night's order rate before any scale (see [`super::feed::order_profile`]).
    profile: RateProfile,
    /// The order rate now (profile × scale), for the dashboard.
    pub(super) rate_per_s: f64,
    /// The pending arrival's Exp(1) mass not used by `arr_last`, and the
    /// scale in force since then.
    arr_mass: f64,
    arr_last: SimTime,
    arr_scale: f64,
    arr_gen: u32,
    // entities
    orders: Vec<Option<Order>>,
    free_orders: Vec<u32>,
    customers: Vec<Option<Customer>>,
    free_customers: Vec<u32>,
    next_serial: u32,
    pub(super) in_system: u64,
    /// Confirmed orders not yet delivered: the pending-orders table.
    pub(super) pending_confirmed: u64,
    pub(super) customers_live: u64,
    // app tier
    /// The app servers' stations behind the shared balancer, which draws
    /// from the world's own `ipl/balancer` stream.
    pub(super) fleet: Fleet<Ref>,
    pub(super) servers: Vec<Server>,
    pub(super) autoscaling: Autoscaling,
    pub(super) workers: u32,
    // database
    /// The connection pool: `effective_pool()` permits, FIFO waiters
    /// with the acquire timeout.
    pool: Bulkhead<Ref>,
    pub(super) pool_size: u32,
    pub(super) parallelism: u32,
    pub(super) breaker: CircuitBreaker,
    pub(super) query_ewma: Ewma,
    // restaurants
    /// The kitchen clusters, each a station run by the world: its slots
    /// are `slots_per_cluster`, its backlog the orders waiting to cook.
    pub(super) clusters: Vec<Station<Ref>>,
    pub(super) kitchen_slots: u32,
    pub(super) in_kitchen: u64,
    // partners
    pub(super) awaiting: VecDeque<Ref>,
    pub(super) online: u64,
    pub(super) busy_partners: u64,
    pub(super) offline: u64,
    leaving: u64,
    pub(super) striking: u64,
    partner_acc: f64,
    pub(super) partners_min: u64,
    partners_logged: u64,
    // toggles
    pub(super) idempotency: bool,
    /// Up to `max_attempts` taps; after an error, a retry `retry_delay_s` later.
    retry: RetryPolicy,
    pub(super) shedding: bool,
    /// Shedding's triage: decline when the promised ETA is over `shed_eta_min`.
    pub(super) eta_shedder: LoadShedder,
    pub(super) eta_messages: bool,
    pub(super) incentives: bool,
    pub(super) batching: bool,
    pub(super) breaker_on: bool,
    // faults
    faults: Faults,
    pub(super) catalog: Catalog,
    pub(super) fx: FaultEffects,
    pub(super) region: f64,
    restore_gen: u32,
    // statistics
    pub(super) c: Counts,
    pub(super) in_system_at_reset: u64,
    pub(super) stats_since: SimTime,
    /// Orders in the system (L), time-weighted.
    pub(super) backlog: TimeAverage,
    /// Orders waiting in a queue (app, pool, kitchen, for a rider), sampled.
    pub(super) queued_peak: u64,
    /// Where the backlog stood at its sampled peak, and the minute of the
    /// most taps (first taps and retries, over the last ten minutes).
    pub(super) peaks: Peaks,
    pub(super) delivery: Latency,
    pub(super) confirm: Latency,
    pub(super) confirm_ewma: Ewma,
    window_delivery: Latency,
    pub(super) servers_peak: usize,
    /// The run's seed, for the stations of servers added later.
    seed: u64,
}

fn exp_s(rng: &mut SimRng, mean_s: f64) -> f64 {
    if mean_s <= 0.0 {
        return 0.0;
    }
    let u: f64 = 1.0 - rng.random::<f64>();
    -u.ln() * mean_s
}

/// Order `o` among `orders`, if it is still the one that slot holds.
fn order_in(orders: &[Option<Order>], o: Ref) -> Option<&Order> {
    orders
        .get(o.i as usize)
        .and_then(Option::as_ref)
        .filter(|x| x.serial == o.s)
}

/// Customer `c` among `customers`, if it is still the one that slot holds.
fn cust_in(customers: &[Option<Customer>], c: Ref) -> Option<&Customer> {
    customers
        .get(c.i as usize)
        .and_then(Option::as_ref)
        .filter(|x| x.serial == c.s)
}

fn secs(s: f64) -> SimTime {
    SimTime::from_secs_f64(s)
}

fn scaled(v: u32, scale: f64) -> u64 {
    ((f64::from(v) * scale).round() as u64).max(1)
}

impl Ipl {
    /// The world at 7 PM and its queue holding the first events.
    #[must_use]
    pub fn new(p: IplParams, seed: u64) -> (Self, Queue) {
        let scale = p.volume_scale;
        let mut rng_match = stream(seed, "ipl/match");
        let feed = p.match_feed.events(&mut rng_match);
        // Validated parameters always make a profile; others get no orders.
        let profile = super::feed::order_profile(&p.demand_schedule, &feed, &p.spikes)
            .unwrap_or_else(|_| RateProfile::constant(0.0));
        let workers = scaled(p.workers_per_server, scale) as u32;
        let pool_size = scaled(p.db_pool_size, scale) as u32;
        let parallelism = scaled(p.db_parallelism, scale) as u32;
        let kitchen_slots = scaled(p.kitchen_slots, scale) as u32;
        let online = (f64::from(p.partners_online) * scale).round() as u64;
        let offline = (f64::from(p.partners_offline) * scale).round() as u64;
        let policy = Policy::from_name(&p.balancing).unwrap_or(Policy::LeastLoaded);
        let stations = (0..p.app_servers as usize)
            .map(|k| app::station(&p, workers, seed, k))
            .collect();
        let fleet = Fleet::new(stations, policy, seed, "ipl/app")
            .with_router_rng(stream(seed, "ipl/balancer"));
        let servers: Vec<Server> = (0..p.app_servers).map(|_| Server::new(false)).collect();
        let clusters = (0..p.kitchen_clusters as usize)
            .map(|k| kitchens::station(&p, kitchen_slots, seed, k))
            .collect();
        let breaker = CircuitBreaker::new(
            p.breaker_failure_threshold,
            secs(p.breaker_open_s),
            p.breaker_half_open_successes,
        );
        let mut w = Ipl {
            rng_arrivals: stream(seed, "ipl/arrivals"),
            rng_customers: stream(seed, "ipl/customers"),
            rng_app: stream(seed, "ipl/app"),
            rng_db: stream(seed, "ipl/db"),
            rng_pay: stream(seed, "ipl/payment"),
            rng_kitchen: stream(seed, "ipl/kitchen"),
            rng_partner: stream(seed, "ipl/partners"),
            feed,
            feed_next: 0,
            last_feed: None,
            spikes: Vec::new(),
            schedule_next: 0,
            base_per_min: 0.0,
            scale_arrivals: 1.0,
            profile,
            rate_per_s: 0.0,
            arr_mass: 0.0,
            arr_last: SimTime::ZERO,
            arr_scale: 1.0,
            arr_gen: 0,
            orders: Vec::new(),
            free_orders: Vec::new(),
            customers: Vec::new(),
            free_customers: Vec::new(),
            next_serial: 0,
            in_system: 0,
            pending_confirmed: 0,
            customers_live: 0,
            fleet,
            servers,
            autoscaling: p.autoscaling,
            workers,
            pool: Bulkhead::new(pool_size, usize::MAX, secs(p.db_acquire_timeout_s)),
            pool_size,
            parallelism,
            breaker,
            query_ewma: Ewma::new(0.05),
            clusters,
            kitchen_slots,
            in_kitchen: 0,
            awaiting: VecDeque::new(),
            online,
            busy_partners: 0,
            offline,
            leaving: 0,
            striking: 0,
            partner_acc: 0.0,
            partners_min: online,
            partners_logged: online,
            idempotency: p.idempotency,
            retry: RetryPolicy::fixed(p.max_attempts.saturating_sub(1), p.retry_delay_s),
            shedding: p.shedding,
            eta_shedder: LoadShedder::with_factor(p.shed_eta_min * 60.0, 1.0),
            eta_messages: p.eta_messages,
            incentives: p.incentives,
            batching: p.batching,
            breaker_on: p.breaker,
            faults: Faults::default(),
            catalog: super::catalog::catalog(&p),
            fx: FaultEffects::default(),
            region: 1.0,
            restore_gen: 0,
            c: Counts::default(),
            in_system_at_reset: 0,
            stats_since: SimTime::ZERO,
            backlog: TimeAverage::new(SimTime::ZERO, 0.0),
            queued_peak: 0,
            peaks: Peaks::default(),
            delivery: Latency::new(),
            confirm: Latency::new(),
            confirm_ewma: Ewma::new(0.05),
            window_delivery: Latency::new(),
            servers_peak: p.app_servers as usize,
            seed,
            p,
        };
        w.servers_peak = w.servers.len();
        for k in 0..w.servers.len() {
            w.sync_view(k);
        }
        w.arr_mass = exp_s(&mut w.rng_arrivals, 1.0);
        let mut queue = Queue::new();
        queue.schedule(SimTime::ZERO, Ev::RateStep);
        if let Some(f) = w.feed.first() {
            queue.schedule(f.at, Ev::Feed);
        }
        queue.schedule(secs(w.p.sample_every_s), Ev::Sample);
        queue.schedule(secs(w.p.scale_check_s), Ev::ScaleTick);
        queue.schedule(SimTime::from_secs(PARTNER_TICK_S), Ev::PartnerTick);
        (w, queue)
    }

    fn serial(&mut self) -> u32 {
        self.next_serial = self.next_serial.wrapping_add(1);
        self.next_serial
    }

    // ------------------------------------------------------------ sampling

    /// One point of each series (the runtime's sampler turns the
    /// counters into rates per minute).
    pub(super) fn record_series(&mut self, probe: &mut Probe<'_>) {
        let c = &self.c;
        probe.counter(series::UNIQUE, c.retry.logical);
        probe.counter(series::DUPLICATES, c.retry.duplicates);
        probe.counter(series::DELIVERED, c.delivered);
        probe.counter(series::RETRIES, c.retry.retries);
        probe.counter(series::DECLINED, c.declined_total());
        let p95 = self.window_delivery.quantile_s(0.95);
        probe.level(
            series::P95_DELIVERY,
            if p95.is_nan() { 0.0 } else { p95 / 60.0 },
        );
        self.window_delivery.reset();
        probe.level(series::BACKLOG, self.queued() as f64);
    }

    /// The sampled peaks (backlog and taps) at a sample tick.
    pub(super) fn track_peaks(&mut self, now: SimTime) {
        let q = self.queued();
        if q > self.queued_peak {
            let app: usize = self.fleet.stations().iter().map(Station::backlog_len).sum();
            let kitchen: usize = self.clusters.iter().map(Station::backlog_len).sum();
            self.peaks.backlog_at_s = now.as_secs_f64();
            self.peaks.app = app as u64;
            self.peaks.pool = u64::from(self.pool_waiting());
            self.peaks.kitchen = kitchen as u64;
            self.peaks.rider = self.awaiting.len() as u64;
        }
        self.queued_peak = self.queued_peak.max(q);
        let taps = self.c.retry.attempts;
        self.peaks.taps.push_back((now.as_secs_f64(), taps));
        while self
            .peaks
            .taps
            .front()
            .is_some_and(|(t, _)| now.as_secs_f64() - t > TAPS_WINDOW_S + 1e-9)
        {
            self.peaks.taps.pop_front();
        }
        if let Some(&(t0, a0)) = self.peaks.taps.front() {
            let span = now.as_secs_f64() - t0;
            if span >= TAPS_WINDOW_S - 1.0 {
                let per_min = (taps - a0) as f64 * 60.0 / span;
                if per_min > self.peaks.taps_per_min {
                    self.peaks.taps_per_min = per_min;
                    self.peaks.taps_at_s = now.as_secs_f64();
                }
            }
        }
    }

    // ------------------------------------------------------------ events

    pub(super) fn on_event(&mut self, cx: &mut Cx<'_>, ev: Ev) {
        match ev {
            Ev::Arrival { generation } => {
                if generation != self.arr_gen {
                    return;
                }
                self.new_customer(cx);
                self.arr_mass = exp_s(&mut self.rng_arrivals, 1.0);
                self.arr_last = cx.now();
                self.schedule_arrival(cx);
            }
            Ev::RateStep => self.on_rate_step(cx),
            Ev::Feed => self.on_feed(cx),
            Ev::SpikeEnd => {
                let now = cx.now();
                self.spikes.retain(|(e, _)| *e > now);
                self.rate_changed(cx);
            }
            Ev::Patience { c, attempt } => self.on_patience(cx, c, attempt),
            Ev::Retry { c } => self.on_retry(cx, c),
            Ev::CpuDone(o) => self.on_cpu_done(cx, o),
            Ev::AcquireTimeout(o) => self.on_acquire_timeout(cx, o),
            Ev::QueryDone(o) => self.on_query_done(cx, o),
            Ev::PaymentDone(o) => self.on_payment_done(cx, o),
            Ev::Accepted(o) => self.on_accepted(cx, o),
            Ev::Cooked(o) => self.on_cooked(cx, o),
            Ev::Drop(o) => self.on_drop(cx, o),
            Ev::PartnerBack => self.on_partner_back(cx),
            Ev::ServerUp { server } => {
                self.on_server_up(server);
                self.pump_all(cx);
            }
            // The runtime's sample tick (`track_peaks`, `record_series`).
            Ev::Sample => {}
            Ev::ScaleTick => self.on_scale_tick(cx),
            Ev::PartnerTick => self.on_partner_tick(cx),
            Ev::KillExpires { id } => {
                if let Some(target) = self.faults.remove(id) {
                    cx.log(format!("{target} restarted"));
                    self.refresh_faults(cx);
                }
            }
            Ev::RestoreStage { stage, generation } => {
                if generation == self.restore_gen {
                    self.restore_stage(cx, stage);
                }
            }
        }
    }

    fn pump_all(&mut self, cx: &mut Cx<'_>) {
        for k in 0..self.servers.len() {
            self.pump_server(cx, k);
        }
    }
}

/// "30 s", "2 min", "15 min".
pub(super) fn duration_text(s: f64) -> String {
    if s >= 60.0 && (s % 60.0).abs() < 1e-9 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{Fault, FaultKind};
    use crate::sim::{Command, EventLog, Runtime, World};

    #[test]
    fn a_server_added_later_is_under_the_faults_on_all() {
        let p = IplParams {
            volume_scale: 0.01,
            app_servers: 2,
            app_servers_max: 4,
            ..IplParams::default()
        };
        let (model, queue) = Ipl::new(p, 3);
        let mut w = Runtime::new(model, queue);
        let mut log = EventLog::default();
        let slow = |target: &str| Command::InjectFault {
            id: 1,
            fault: Fault {
                kind: FaultKind::Slowdown { factor: 0.5 },
                target: target.into(),
                duration_s: None,
            },
        };
        w.apply(&slow("all"), &mut log).expect("accepted");
        w.apply(
            &Command::InjectFault {
                id: 2,
                fault: Fault {
                    kind: FaultKind::Kill {
                        restart_after_s: None,
                    },
                    target: "app-4".into(),
                    duration_s: None,
                },
            },
            &mut log,
        )
        .expect("a server autoscaling may add");
        w.with_context(&mut log, |m, cx| {
            m.provision(cx, 2, SimTime::from_secs(5), "test");
        });
        let s = &w.model().servers;
        assert_eq!(s.len(), 4);
        assert!(s.iter().all(|s| s.fx.slowdown == 0.5));
        assert!(!s[2].down && s[3].down);
        w.apply(&Command::ClearFaults, &mut log).expect("clears");
        assert!(
            w.model()
                .servers
                .iter()
                .all(|s| !s.down && s.fx == Effect::NONE)
        );
    }
}

/// The window over which the taps' peak rate is measured: ten minutes,
/// so that the night's level shows rather than one 30-second spike.
const TAPS_WINDOW_S: f64 = 600.0;

/// Where the night peaked (see [`Ipl::peaks`](Ipl)).
#[derive(Clone, Debug, Default)]
pub(super) struct Peaks {
    pub(super) backlog_at_s: f64,
    pub(super) app: u64,
    pub(super) pool: u64,
    pub(super) kitchen: u64,
    pub(super) rider: u64,
    /// (sample instant s, taps so far) over the last minute.
    pub(super) taps: VecDeque<(f64, u64)>,
    pub(super) taps_per_min: f64,
    pub(super) taps_at_s: f64,
}
