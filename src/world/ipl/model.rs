//! The IPL world's state and event handling (see the module docs of
//! [`super`] for the model).

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;

use rand::Rng;

use super::breaker::{Admit, Breaker};
use super::feed::{FeedItem, FeedKind, overs_text};
use super::{Autoscaling, IplParams};
use crate::fault::{Fault, FaultKind};
use crate::policy::{Backend, Balancer, Policy};
use crate::sim::metrics::{Ewma, Latency, Rolling, TimeAverage};
use crate::sim::rng::{SimRng, stream};
use crate::sim::{Command, CommandError, Engine};
use crate::sim::{LogEntry, SimTime};

/// Samples kept for sparklines and the chart (4 h at 10 s).
pub(super) const HISTORY: usize = 1440;
/// Log lines kept between two drains.
const LOG_CAP: usize = 200;
/// Seconds between partner decisions (log off / come back).
const PARTNER_TICK_S: u64 = 60;
/// Seconds a warm server needs to take traffic.
const WARM_START_S: u64 = 10;

/// An order (or a customer) by slot and serial: the serial tells a live
/// slot from a reused one, so stale events are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ref {
    pub i: u32,
    pub s: u32,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Ev {
    Arrival { generation: u32 },
    RateStep,
    Feed,
    SpikeEnd,
    Patience { c: Ref, attempt: u8 },
    Retry { c: Ref },
    CpuDone(Ref),
    AcquireTimeout { o: Ref, ticket: u32 },
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
    epoch: u32,
    cluster: u16,
    cluster_epoch: u32,
    ticket: u32,
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

impl Decline {
    pub(super) const ALL: [Decline; 12] = [
        Decline::ShedEta,
        Decline::ShedDistance,
        Decline::SystemFull,
        Decline::NoServer,
        Decline::AppQueueFull,
        Decline::ServerCrash,
        Decline::PoolTimeout,
        Decline::BreakerOpen,
        Decline::DbDown,
        Decline::Payment,
        Decline::AppError,
        Decline::KitchenDown,
    ];

    pub(super) fn key(self) -> &'static str {
        match self {
            Decline::ShedEta => "declined_shed_eta",
            Decline::ShedDistance => "declined_shed_distance",
            Decline::SystemFull => "declined_system_full",
            Decline::NoServer => "declined_no_server",
            Decline::AppQueueFull => "declined_app_queue_full",
            Decline::ServerCrash => "declined_server_crash",
            Decline::PoolTimeout => "declined_pool_timeout",
            Decline::BreakerOpen => "declined_breaker_open",
            Decline::DbDown => "declined_db_down",
            Decline::Payment => "declined_payment",
            Decline::AppError => "declined_app_error",
            Decline::KitchenDown => "declined_kitchen_down",
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct Server {
    pub provisioning: bool,
    pub down: bool,
    pub epoch: u32,
    pub busy: u32,
    pub queue: VecDeque<Ref>,
    pub latency: Ewma,
    pub success: Ewma,
    pub served: u64,
    pub slow: f64,
    pub extra_ms: f64,
    pub error_p: f64,
}

impl Server {
    fn new(provisioning: bool) -> Self {
        Server {
            provisioning,
            down: false,
            epoch: 0,
            busy: 0,
            queue: VecDeque::new(),
            latency: Ewma::new(0.1),
            success: Ewma::new(0.1),
            served: 0,
            slow: 1.0,
            extra_ms: 0.0,
            error_p: 0.0,
        }
    }

    pub(super) fn available(&self) -> bool {
        !self.provisioning && !self.down
    }
}

#[derive(Clone, Debug)]
pub(super) struct Cluster {
    pub down: bool,
    pub epoch: u32,
    pub busy: u32,
    pub queue: VecDeque<Ref>,
}

/// What the active faults do, recomputed whenever one comes or goes.
#[derive(Clone, Debug, Default)]
pub(super) struct FaultEffects {
    pub db_down: bool,
    pub db_extra_ms: f64,
    pub db_slow: f64,
    pub db_drop: f64,
    pub pay_error: f64,
    pub pay_extra_ms: f64,
    pub kitchen_slow: f64,
    pub kitchen_drop: f64,
    pub strike: f64,
    pub power_loss: Option<f64>,
}

/// Counters that `reset_statistics` clears.
#[derive(Clone, Debug, Default)]
pub(super) struct Counts {
    pub attempts: u64,
    pub unique: u64,
    pub duplicate: u64,
    pub merged: u64,
    pub retries: u64,
    pub delivered: u64,
    pub delivered_unique: u64,
    pub duplicates_delivered: u64,
    pub cancelled: u64,
    pub declined: BTreeMap<Decline, u64>,
    pub customers_lost: u64,
    pub customers_gave_up: u64,
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
    pub(super) engine: Engine<Ev>,
    rng_arrivals: SimRng,
    rng_customers: SimRng,
    rng_app: SimRng,
    rng_balance: SimRng,
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
    pub(super) rate_per_s: f64,
    arr_mass: f64,
    arr_last: SimTime,
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
    pub(super) servers: Vec<Server>,
    pub(super) balancer: Balancer,
    backend_buf: Vec<Backend>,
    pub(super) autoscaling: Autoscaling,
    pub(super) workers: u32,
    // database
    pub(super) pool_in_use: u32,
    pool_queue: VecDeque<(Ref, u32)>,
    pub(super) pool_waiting: u32,
    next_ticket: u32,
    pub(super) pool_size: u32,
    pub(super) parallelism: u32,
    pub(super) breaker: Breaker,
    pub(super) query_ewma: Ewma,
    // restaurants
    pub(super) clusters: Vec<Cluster>,
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
    pub(super) shedding: bool,
    pub(super) eta_messages: bool,
    pub(super) incentives: bool,
    pub(super) batching: bool,
    pub(super) breaker_on: bool,
    // faults
    faults: BTreeMap<u64, Fault>,
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
    pub(super) delivery: Latency,
    pub(super) confirm: Latency,
    pub(super) confirm_ewma: Ewma,
    window_delivery: Latency,
    last: Counts,
    pub(super) s_unique: Rolling,
    pub(super) s_dup: Rolling,
    pub(super) s_delivered: Rolling,
    pub(super) s_p95: Rolling,
    pub(super) s_retries: Rolling,
    pub(super) s_declined: Rolling,
    pub(super) chart: Rolling,
    pub(super) chart_t: Rolling,
    pub(super) servers_peak: usize,
    log: Vec<LogEntry>,
}

fn exp_s(rng: &mut SimRng, mean_s: f64) -> f64 {
    if mean_s <= 0.0 {
        return 0.0;
    }
    let u: f64 = 1.0 - rng.random::<f64>();
    -u.ln() * mean_s
}

fn secs(s: f64) -> SimTime {
    SimTime::from_secs_f64(s)
}

fn scaled(v: u32, scale: f64) -> u64 {
    ((f64::from(v) * scale).round() as u64).max(1)
}

impl Ipl {
    #[must_use]
    pub fn new(p: IplParams, seed: u64) -> Self {
        let scale = p.volume_scale;
        let mut rng_match = stream(seed, "ipl/match");
        let feed = p.match_feed.events(&mut rng_match);
        let workers = scaled(p.workers_per_server, scale) as u32;
        let pool_size = scaled(p.db_pool_size, scale) as u32;
        let parallelism = scaled(p.db_parallelism, scale) as u32;
        let kitchen_slots = scaled(p.kitchen_slots, scale) as u32;
        let online = (f64::from(p.partners_online) * scale).round() as u64;
        let offline = (f64::from(p.partners_offline) * scale).round() as u64;
        let balancer =
            Balancer::new(Policy::from_name(&p.balancing).unwrap_or(Policy::LeastLoaded));
        let breaker = Breaker::new(
            p.breaker_failure_threshold,
            secs(p.breaker_open_s),
            p.breaker_half_open_successes,
        );
        let mut w = Ipl {
            engine: Engine::new(),
            rng_arrivals: stream(seed, "ipl/arrivals"),
            rng_customers: stream(seed, "ipl/customers"),
            rng_app: stream(seed, "ipl/app"),
            rng_balance: stream(seed, "ipl/balancer"),
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
            rate_per_s: 0.0,
            arr_mass: 0.0,
            arr_last: SimTime::ZERO,
            arr_gen: 0,
            orders: Vec::new(),
            free_orders: Vec::new(),
            customers: Vec::new(),
            free_customers: Vec::new(),
            next_serial: 0,
            in_system: 0,
            pending_confirmed: 0,
            customers_live: 0,
            servers: (0..p.app_servers).map(|_| Server::new(false)).collect(),
            balancer,
            backend_buf: Vec::new(),
            autoscaling: p.autoscaling,
            workers,
            pool_in_use: 0,
            pool_queue: VecDeque::new(),
            pool_waiting: 0,
            next_ticket: 0,
            pool_size,
            parallelism,
            breaker,
            query_ewma: Ewma::new(0.05),
            clusters: (0..p.kitchen_clusters)
                .map(|_| Cluster {
                    down: false,
                    epoch: 0,
                    busy: 0,
                    queue: VecDeque::new(),
                })
                .collect(),
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
            shedding: p.shedding,
            eta_messages: p.eta_messages,
            incentives: p.incentives,
            batching: p.batching,
            breaker_on: p.breaker,
            faults: BTreeMap::new(),
            fx: FaultEffects {
                db_slow: 1.0,
                kitchen_slow: 1.0,
                ..FaultEffects::default()
            },
            region: 1.0,
            restore_gen: 0,
            c: Counts::default(),
            in_system_at_reset: 0,
            stats_since: SimTime::ZERO,
            backlog: TimeAverage::new(SimTime::ZERO, 0.0),
            queued_peak: 0,
            delivery: Latency::new(),
            confirm: Latency::new(),
            confirm_ewma: Ewma::new(0.05),
            window_delivery: Latency::new(),
            last: Counts::default(),
            s_unique: Rolling::new(HISTORY),
            s_dup: Rolling::new(HISTORY),
            s_delivered: Rolling::new(HISTORY),
            s_p95: Rolling::new(HISTORY),
            s_retries: Rolling::new(HISTORY),
            s_declined: Rolling::new(HISTORY),
            chart: Rolling::new(HISTORY),
            chart_t: Rolling::new(HISTORY),
            servers_peak: p.app_servers as usize,
            log: Vec::new(),
            p,
        };
        w.servers_peak = w.servers.len();
        w.arr_mass = exp_s(&mut w.rng_arrivals, 1.0);
        w.engine.schedule(SimTime::ZERO, Ev::RateStep);
        if let Some(f) = w.feed.first() {
            w.engine.schedule(f.at, Ev::Feed);
        }
        w.engine.schedule(secs(w.p.sample_every_s), Ev::Sample);
        w.engine.schedule(secs(w.p.scale_check_s), Ev::ScaleTick);
        w.engine
            .schedule(SimTime::from_secs(PARTNER_TICK_S), Ev::PartnerTick);
        w
    }

    pub(super) fn now(&self) -> SimTime {
        self.engine.now()
    }

    pub(super) fn say(&mut self, text: String) {
        if self.log.len() >= LOG_CAP {
            self.log.remove(0);
        }
        self.log.push(LogEntry {
            at: self.now(),
            text,
        });
    }

    pub(super) fn take_log(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.log)
    }

    fn serial(&mut self) -> u32 {
        self.next_serial = self.next_serial.wrapping_add(1);
        self.next_serial
    }

    // ------------------------------------------------------------ demand

    /// The spike multiplier in force (the largest active spike).
    pub(super) fn spike_multiplier(&self) -> f64 {
        let now = self.now();
        self.spikes
            .iter()
            .filter(|(end, _)| *end > now)
            .map(|(_, m)| *m)
            .fold(1.0, f64::max)
    }

    fn target_rate_per_s(&self) -> f64 {
        self.base_per_min / 60.0
            * self.spike_multiplier()
            * self.scale_arrivals
            * self.p.volume_scale
    }

    /// Re-plans the next arrival after a rate change. Arrivals are a
    /// Poisson process with a piecewise-constant rate, drawn by inverting
    /// its cumulative intensity: one exponential per arrival, whatever the
    /// rate changes in between (so the arrival stream never depends on
    /// anything but the schedule and the match).
    fn rate_changed(&mut self) {
        let now = self.now();
        let used = self.rate_per_s * (now - self.arr_last).as_secs_f64();
        self.arr_mass = (self.arr_mass - used).max(0.0);
        self.arr_last = now;
        self.rate_per_s = self.target_rate_per_s();
        self.arr_gen = self.arr_gen.wrapping_add(1);
        if self.rate_per_s > 0.0 {
            let at = now + secs(self.arr_mass / self.rate_per_s);
            self.engine.schedule(
                at,
                Ev::Arrival {
                    generation: self.arr_gen,
                },
            );
        }
    }

    fn on_rate_step(&mut self) {
        let now = self.now();
        while let Some(pt) = self.p.demand_schedule.get(self.schedule_next) {
            if secs(pt.at_s) > now {
                break;
            }
            self.base_per_min = pt.orders_per_min;
            self.schedule_next += 1;
        }
        if let Some(pt) = self.p.demand_schedule.get(self.schedule_next) {
            self.engine.schedule(secs(pt.at_s), Ev::RateStep);
        }
        self.rate_changed();
    }

    fn on_feed(&mut self) {
        let now = self.now();
        while let Some(item) = self.feed.get(self.feed_next) {
            if item.at > now {
                break;
            }
            let item = item.clone();
            self.last_feed = Some(self.feed_next);
            self.feed_next += 1;
            let spike = self.p.spikes.for_kind(item.kind);
            if let Some(s) = spike
                && s.duration_s > 0.0
            {
                let end = now + secs(s.duration_s);
                self.spikes.retain(|(e, _)| *e > now);
                self.spikes.push((end, s.multiplier));
                self.engine.schedule(end, Ev::SpikeEnd);
            }
            if !matches!(item.kind, FeedKind::Dot | FeedKind::Runs(_)) {
                let line = self.scoreboard_for(&item);
                self.say(line);
            }
            if self.autoscaling == Autoscaling::CricketAware
                && matches!(item.kind, FeedKind::Four | FeedKind::Six | FeedKind::Wicket)
            {
                self.warm_start_for_spike();
            }
        }
        if let Some(next) = self.feed.get(self.feed_next) {
            self.engine.schedule(next.at, Ev::Feed);
        }
        self.rate_changed();
    }

    /// The scoreboard line for one feed event.
    pub(super) fn scoreboard_for(&self, item: &FeedItem) -> String {
        let (a, b) = self.p.match_feed.teams();
        let team = if item.innings == 0 { a } else { b };
        let mut s = format!(
            "{team} {}/{} ({})",
            item.runs,
            item.wickets,
            overs_text(item.balls)
        );
        if let Some(t) = item.target
            && item.kind != FeedKind::MatchEnd
        {
            let _ = write!(s, " · need {}", t.saturating_sub(item.runs));
        }
        let _ = write!(s, " · last ball: {}", item.kind.label());
        if let Some(sp) = self.p.spikes.for_kind(item.kind)
            && sp.duration_s > 0.0
        {
            let _ = write!(
                s,
                " · spike ×{} for {}",
                sp.multiplier,
                duration_text(sp.duration_s)
            );
        }
        s
    }

    // ------------------------------------------------------------ customers

    fn cust(&self, c: Ref) -> Option<&Customer> {
        self.customers
            .get(c.i as usize)
            .and_then(Option::as_ref)
            .filter(|x| x.serial == c.s)
    }

    fn cust_mut(&mut self, c: Ref) -> Option<&mut Customer> {
        self.customers
            .get_mut(c.i as usize)
            .and_then(Option::as_mut)
            .filter(|x| x.serial == c.s)
    }

    fn new_customer(&mut self) {
        let serial = self.serial();
        let distance_km = exp_s(&mut self.rng_customers, self.p.distance_mean_km);
        let cu = Customer {
            serial,
            first_at: self.now(),
            distance_km,
            attempts: 0,
            unconfirmed: 0,
            live: 0,
            confirmed: false,
            delivered: false,
            gave_up: false,
            lost: false,
            retry_pending: false,
        };
        let i = if let Some(i) = self.free_customers.pop() {
            self.customers[i as usize] = Some(cu);
            i
        } else {
            self.customers.push(Some(cu));
            (self.customers.len() - 1) as u32
        };
        self.customers_live += 1;
        self.c.unique += 1;
        self.attempt(Ref { i, s: serial });
    }

    fn patience(&mut self) -> SimTime {
        let extra = exp_s(&mut self.rng_customers, self.p.patience_extra_mean_s);
        secs(self.p.patience_min_s + extra)
    }

    /// One tap on "order".
    fn attempt(&mut self, c: Ref) {
        let idem = self.idempotency;
        let Some(cu) = self.cust_mut(c) else { return };
        cu.attempts = cu.attempts.saturating_add(1);
        let attempt_no = cu.attempts;
        let duplicate = cu.unconfirmed > 0;
        let distance = cu.distance_km;
        self.c.attempts += 1;
        if attempt_no > 1 {
            self.c.retries += 1;
        }
        let wait = self.patience();
        if duplicate {
            self.c.duplicate += 1;
            if idem {
                // The idempotency key finds the first order: nothing new enters.
                self.c.merged += 1;
                self.engine.schedule_in(
                    wait,
                    Ev::Patience {
                        c,
                        attempt: attempt_no,
                    },
                );
                return;
            }
        }
        if self.shedding {
            if distance > self.p.shed_distance_km {
                self.decline_at_door(c, Decline::ShedDistance);
                return;
            }
            if self.eta_estimate_min() > self.p.shed_eta_min {
                self.decline_at_door(c, Decline::ShedEta);
                return;
            }
        }
        if self.in_system >= u64::from(self.p.max_in_system) {
            self.decline_at_door(c, Decline::SystemFull);
            return;
        }
        let now = self.now();
        let serial = self.serial();
        let o = Order {
            serial,
            cust: c,
            created: now,
            confirmed: false,
            stage: Stage::AppQueue,
            server: 0,
            epoch: 0,
            cluster: 0,
            cluster_epoch: 0,
            ticket: 0,
            trial: false,
            app_at: now,
        };
        let i = if let Some(i) = self.free_orders.pop() {
            self.orders[i as usize] = Some(o);
            i
        } else {
            self.orders.push(Some(o));
            (self.orders.len() - 1) as u32
        };
        self.in_system += 1;
        self.backlog.set(now, self.in_system as f64);
        if let Some(cu) = self.cust_mut(c) {
            cu.live += 1;
            cu.unconfirmed += 1;
        }
        self.engine.schedule_in(
            wait,
            Ev::Patience {
                c,
                attempt: attempt_no,
            },
        );
        self.send_to_app(Ref { i, s: serial });
    }

    fn decline_at_door(&mut self, c: Ref, why: Decline) {
        *self.c.declined.entry(why).or_insert(0) += 1;
        if let Some(cu) = self.cust(c)
            && cu.live == 0
            && !cu.retry_pending
        {
            self.lose(c);
        }
        self.maybe_free(c);
    }

    fn on_patience(&mut self, c: Ref, attempt: u8) {
        let Some(cu) = self.cust(c) else { return };
        if cu.confirmed
            || cu.gave_up
            || cu.lost
            || cu.attempts != attempt
            || cu.unconfirmed == 0
            || cu.retry_pending
        {
            return;
        }
        let can_retry = u32::from(cu.attempts) < self.p.max_attempts;
        let u: f64 = self.rng_customers.random();
        if self.eta_messages {
            // "Delayed due to high demand. New ETA: … Cancel if needed."
            if u < self.p.retry_probability_with_eta && can_retry {
                self.attempt(c);
            } else if u < self.p.retry_probability_with_eta + self.p.cancel_probability_with_eta {
                self.give_up(c);
            } else {
                let wait = self.patience();
                self.engine.schedule_in(wait, Ev::Patience { c, attempt });
            }
        } else if u < self.p.retry_probability && can_retry {
            self.attempt(c);
        } else {
            self.give_up(c);
        }
    }

    fn give_up(&mut self, c: Ref) {
        if let Some(cu) = self.cust_mut(c) {
            cu.gave_up = true;
            self.c.customers_gave_up += 1;
        }
        self.lose(c);
        self.maybe_free(c);
    }

    fn lose(&mut self, c: Ref) {
        let aov = self.p.average_order_value_inr;
        if let Some(cu) = self.cust_mut(c)
            && !cu.lost
            && !cu.delivered
        {
            cu.lost = true;
            self.c.customers_lost += 1;
            self.c.revenue_lost += aov;
        }
    }

    fn maybe_free(&mut self, c: Ref) {
        let done = self
            .cust(c)
            .is_some_and(|cu| cu.live == 0 && !cu.retry_pending && (cu.delivered || cu.lost));
        if done {
            self.customers[c.i as usize] = None;
            self.free_customers.push(c.i);
            self.customers_live -= 1;
        }
    }

    fn on_retry(&mut self, c: Ref) {
        let Some(cu) = self.cust_mut(c) else { return };
        cu.retry_pending = false;
        if cu.gave_up || cu.lost || cu.confirmed {
            self.maybe_free(c);
            return;
        }
        self.attempt(c);
    }

    // ------------------------------------------------------------ orders

    fn order(&self, o: Ref) -> Option<&Order> {
        self.orders
            .get(o.i as usize)
            .and_then(Option::as_ref)
            .filter(|x| x.serial == o.s)
    }

    fn order_mut(&mut self, o: Ref) -> Option<&mut Order> {
        self.orders
            .get_mut(o.i as usize)
            .and_then(Option::as_mut)
            .filter(|x| x.serial == o.s)
    }

    fn remove(&mut self, o: Ref) -> Option<Order> {
        let slot = self.orders.get_mut(o.i as usize)?;
        if slot.as_ref().is_none_or(|x| x.serial != o.s) {
            return None;
        }
        let ord = slot.take();
        self.free_orders.push(o.i);
        let now = self.now();
        self.in_system -= 1;
        self.backlog.set(now, self.in_system as f64);
        if let Some(x) = &ord {
            if x.confirmed {
                self.pending_confirmed -= 1;
            }
            self.c.exits += 1;
            self.c.sojourn_s += (now - x.created).as_secs_f64();
        }
        ord
    }

    /// Releases what the order holds at its stage (worker, slot).
    fn release_holdings(&mut self, ord: &Order) {
        match ord.stage {
            Stage::Cpu | Stage::PoolWait | Stage::Query | Stage::Payment => {
                self.release_worker(ord.server, ord.epoch);
            }
            _ => {}
        }
        if ord.stage == Stage::PoolWait {
            self.pool_waiting = self.pool_waiting.saturating_sub(1);
        }
    }

    /// The order fails (an error the customer sees).
    fn fail(&mut self, o: Ref, why: Decline) {
        let Some(ord) = self.remove(o) else { return };
        self.release_holdings(&ord);
        *self.c.declined.entry(why).or_insert(0) += 1;
        let c = ord.cust;
        let retry_p = self.p.retry_after_error_probability;
        let max = self.p.max_attempts;
        let delay = secs(self.p.retry_delay_s);
        let Some(cu) = self.cust_mut(c) else { return };
        cu.live -= 1;
        if !ord.confirmed {
            cu.unconfirmed -= 1;
        }
        let waiting = !cu.confirmed && !cu.gave_up && !cu.lost && !cu.retry_pending;
        let nothing_live = cu.unconfirmed == 0;
        let can_retry = u32::from(cu.attempts) < max;
        let confirmed_and_empty = cu.confirmed && cu.live == 0 && !cu.delivered;
        if waiting && nothing_live {
            let u: f64 = self.rng_customers.random();
            if u < retry_p && can_retry {
                if let Some(cu) = self.cust_mut(c) {
                    cu.retry_pending = true;
                }
                self.engine.schedule_in(delay, Ev::Retry { c });
            } else {
                self.lose(c);
            }
        } else if confirmed_and_empty {
            self.lose(c);
        }
        self.maybe_free(c);
    }

    fn cancel(&mut self, o: Ref) {
        let Some(ord) = self.remove(o) else { return };
        self.release_holdings(&ord);
        self.c.cancelled += 1;
        let c = ord.cust;
        if let Some(cu) = self.cust_mut(c) {
            cu.live -= 1;
            if !ord.confirmed {
                cu.unconfirmed -= 1;
            }
        }
        self.maybe_free(c);
    }

    fn customer_gave_up(&self, o: Ref) -> bool {
        self.order(o)
            .and_then(|x| self.cust(x.cust))
            .is_some_and(|c| c.gave_up)
    }

    // ------------------------------------------------------------ app tier

    /// What the balancer sees of each server, written into a reused buffer.
    fn fill_backends(&mut self) {
        self.backend_buf.clear();
        self.backend_buf
            .extend(self.servers.iter().map(|s| Backend {
                available: s.available(),
                in_flight: s.busy + s.queue.len() as u32,
                weight: 1.0,
                success_rate: s.success.value_or(1.0),
                response_s: s.latency.value_or(0.0),
            }));
    }

    /// Worker threads per server under the current regional capacity.
    pub(super) fn effective_workers(&self) -> u32 {
        ((f64::from(self.workers) * self.region).ceil() as u32).max(1)
    }

    fn send_to_app(&mut self, o: Ref) {
        self.fill_backends();
        let Some(k) = self
            .balancer
            .choose(&self.backend_buf, &mut self.rng_balance)
        else {
            self.fail(o, Decline::NoServer);
            return;
        };
        let workers = self.effective_workers();
        let cap = scaled(self.p.app_queue_cap, self.p.volume_scale) as usize;
        let s = &self.servers[k];
        if s.busy < workers {
            self.start_cpu(o, k);
        } else if s.queue.len() >= cap {
            self.fail(o, Decline::AppQueueFull);
        } else {
            self.servers[k].queue.push_back(o);
            let now = self.now();
            if let Some(ord) = self.order_mut(o) {
                ord.stage = Stage::AppQueue;
                ord.server = k as u16;
                ord.app_at = now;
            }
        }
    }

    fn start_cpu(&mut self, o: Ref, k: usize) {
        let now = self.now();
        let s = &mut self.servers[k];
        s.busy += 1;
        let epoch = s.epoch;
        let mean = self.p.app_cpu_ms / 1000.0 / s.slow;
        let extra = s.extra_ms / 1000.0;
        let queued_at = self.order(o).map_or(now, |x| {
            if x.stage == Stage::AppQueue {
                x.app_at
            } else {
                now
            }
        });
        if let Some(ord) = self.order_mut(o) {
            ord.stage = Stage::Cpu;
            ord.server = k as u16;
            ord.epoch = epoch;
            ord.app_at = queued_at;
        }
        let t = exp_s(&mut self.rng_app, mean) + extra;
        self.engine.schedule_in(secs(t), Ev::CpuDone(o));
    }

    fn release_worker(&mut self, k: u16, epoch: u32) {
        let k = k as usize;
        let Some(s) = self.servers.get_mut(k) else {
            return;
        };
        if s.epoch != epoch {
            return;
        }
        s.busy = s.busy.saturating_sub(1);
        self.pump_server(k);
    }

    fn pump_server(&mut self, k: usize) {
        let workers = self.effective_workers();
        while self.servers[k].available() && self.servers[k].busy < workers {
            let Some(o) = self.servers[k].queue.pop_front() else {
                break;
            };
            if self.order(o).is_none() {
                continue;
            }
            if self.customer_gave_up(o) {
                self.cancel(o);
                continue;
            }
            self.start_cpu(o, k);
        }
    }

    /// The order's server crashed or restarted since it started.
    fn server_lost(&self, ord: &Order) -> bool {
        self.servers
            .get(ord.server as usize)
            .is_none_or(|s| s.epoch != ord.epoch || s.down)
    }

    fn on_cpu_done(&mut self, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        if self.server_lost(&ord) {
            self.fail(o, Decline::ServerCrash);
            return;
        }
        let p_err = self.servers[ord.server as usize].error_p;
        if p_err > 0.0 && self.rng_app.random::<f64>() < p_err {
            self.note_server(ord.server, false, 0.0);
            self.fail(o, Decline::AppError);
            return;
        }
        self.db_request(o);
    }

    fn note_server(&mut self, k: u16, ok: bool, latency_s: f64) {
        if let Some(s) = self.servers.get_mut(k as usize) {
            s.success.observe(if ok { 1.0 } else { 0.0 });
            if ok {
                s.latency.observe(latency_s);
                s.served += 1;
            }
        }
    }

    // ------------------------------------------------------------ database

    pub(super) fn effective_pool(&self) -> u32 {
        let f = self.region * (1.0 - self.fx.db_drop);
        ((f64::from(self.pool_size) * f).ceil() as u32).max(1)
    }

    pub(super) fn effective_parallelism(&self) -> u32 {
        ((f64::from(self.parallelism) * self.region).ceil() as u32).max(1)
    }

    /// Mean query time now, seconds: contention beyond the database's
    /// parallelism, and a table that grows with the orders pending.
    pub(super) fn query_mean_s(&self, active: u32) -> f64 {
        let par = f64::from(self.effective_parallelism());
        let over = (f64::from(active) - par).max(0.0) / par;
        let contention = 1.0 + over * over;
        let knee = (self.p.db_backlog_knee * self.p.volume_scale).max(1.0);
        let table = 1.0 + self.unassigned() as f64 / knee;
        self.p.db_query_ms / 1000.0 * contention * table / self.fx.db_slow
    }

    fn db_request(&mut self, o: Ref) {
        let mut trial = false;
        if self.breaker_on {
            let now = self.now();
            let mut lines = Vec::new();
            let admit = self.breaker.admit(now, &mut lines);
            for l in lines {
                self.say(l);
            }
            match admit {
                Admit::No => {
                    self.fail(o, Decline::BreakerOpen);
                    return;
                }
                Admit::Trial => trial = true,
                Admit::Yes => {}
            }
        }
        if let Some(ord) = self.order_mut(o) {
            ord.trial = trial;
        }
        if self.fx.db_down {
            self.breaker_result(false, trial);
            self.fail(o, Decline::DbDown);
            return;
        }
        if self.pool_in_use < self.effective_pool() {
            self.start_query(o);
        } else {
            self.next_ticket = self.next_ticket.wrapping_add(1).max(1);
            let ticket = self.next_ticket;
            if let Some(ord) = self.order_mut(o) {
                ord.stage = Stage::PoolWait;
                ord.ticket = ticket;
            }
            self.pool_waiting += 1;
            self.pool_queue.push_back((o, ticket));
            self.engine.schedule_in(
                secs(self.p.db_acquire_timeout_s),
                Ev::AcquireTimeout { o, ticket },
            );
            self.compact_pool_queue();
        }
    }

    fn compact_pool_queue(&mut self) {
        if self.pool_queue.len() > 2 * self.pool_waiting as usize + 1024 {
            let orders = &self.orders;
            self.pool_queue.retain(|(o, t)| {
                orders
                    .get(o.i as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|x| {
                        x.serial == o.s && x.stage == Stage::PoolWait && x.ticket == *t
                    })
            });
        }
    }

    fn start_query(&mut self, o: Ref) {
        self.pool_in_use += 1;
        let mean = self.query_mean_s(self.pool_in_use);
        let t = exp_s(&mut self.rng_db, mean) + self.fx.db_extra_ms / 1000.0;
        self.query_ewma.observe(mean + self.fx.db_extra_ms / 1000.0);
        if let Some(ord) = self.order_mut(o) {
            ord.stage = Stage::Query;
        }
        self.engine.schedule_in(secs(t), Ev::QueryDone(o));
    }

    fn breaker_result(&mut self, ok: bool, trial: bool) {
        if !self.breaker_on {
            return;
        }
        let now = self.now();
        let mut lines = Vec::new();
        if ok {
            self.breaker.on_success(trial, &mut lines);
        } else {
            self.breaker.on_failure(trial, now, &mut lines);
        }
        for l in lines {
            self.say(l);
        }
    }

    fn release_connection(&mut self) {
        self.pool_in_use = self.pool_in_use.saturating_sub(1);
        while self.pool_in_use < self.effective_pool() {
            let Some((o, ticket)) = self.pool_queue.pop_front() else {
                break;
            };
            let Some(ord) = self.order(o).cloned() else {
                continue;
            };
            if ord.stage != Stage::PoolWait || ord.ticket != ticket {
                continue;
            }
            self.pool_waiting = self.pool_waiting.saturating_sub(1);
            if let Some(x) = self.order_mut(o) {
                x.ticket = 0;
                x.stage = Stage::Cpu; // holds a worker, not yet a connection
            }
            if self.server_lost(&ord) {
                self.fail(o, Decline::ServerCrash);
                continue;
            }
            self.start_query(o);
        }
    }

    fn on_acquire_timeout(&mut self, o: Ref, ticket: u32) {
        let Some(ord) = self.order(o) else { return };
        if ord.stage != Stage::PoolWait || ord.ticket != ticket {
            return;
        }
        let trial = ord.trial;
        self.breaker_result(false, trial);
        self.fail(o, Decline::PoolTimeout);
    }

    fn on_query_done(&mut self, o: Ref) {
        self.release_connection();
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        self.breaker_result(true, ord.trial);
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::Payment;
        }
        if self.server_lost(&ord) {
            self.fail(o, Decline::ServerCrash);
            return;
        }
        let t =
            exp_s(&mut self.rng_pay, self.p.payment_ms / 1000.0) + self.fx.pay_extra_ms / 1000.0;
        self.engine.schedule_in(secs(t), Ev::PaymentDone(o));
    }

    fn on_payment_done(&mut self, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        if self.server_lost(&ord) {
            self.fail(o, Decline::ServerCrash);
            return;
        }
        let now = self.now();
        if self.fx.pay_error > 0.0 && self.rng_pay.random::<f64>() < self.fx.pay_error {
            self.note_server(ord.server, false, 0.0);
            self.fail(o, Decline::Payment);
            return;
        }
        self.note_server(ord.server, true, (now - ord.app_at).as_secs_f64());
        self.release_worker(ord.server, ord.epoch);
        let k = self.rng_kitchen.random_range(0..self.clusters.len());
        let cluster_epoch = self.clusters[k].epoch;
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::Accept;
            x.cluster = k as u16;
            x.cluster_epoch = cluster_epoch;
        }
        let t = exp_s(&mut self.rng_kitchen, self.p.accept_mean_s);
        self.engine.schedule_in(secs(t), Ev::Accepted(o));
    }

    // ------------------------------------------------------------ kitchens

    pub(super) fn slots_per_cluster(&self) -> u32 {
        let per = f64::from(self.kitchen_slots) / self.clusters.len() as f64;
        ((per * (1.0 - self.fx.kitchen_drop)).round() as u32).max(1)
    }

    fn on_accepted(&mut self, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        if self.customer_gave_up(o) {
            self.cancel(o);
            return;
        }
        let k = ord.cluster as usize;
        if self.clusters[k].down {
            self.fail(o, Decline::KitchenDown);
            return;
        }
        let now = self.now();
        let c = ord.cust;
        if let Some(x) = self.order_mut(o) {
            x.confirmed = true;
            x.stage = Stage::KitchenQueue;
            x.cluster_epoch = 0;
        }
        let mut first_confirm = None;
        if let Some(cu) = self.cust_mut(c) {
            cu.unconfirmed -= 1;
            if !cu.confirmed {
                cu.confirmed = true;
                first_confirm = Some(now - cu.first_at);
            }
        }
        if let Some(d) = first_confirm {
            self.confirm.record(d);
            self.confirm_ewma.observe(d.as_secs_f64());
        }
        self.in_kitchen += 1;
        self.pending_confirmed += 1;
        let epoch = self.clusters[k].epoch;
        if let Some(x) = self.order_mut(o) {
            x.cluster_epoch = epoch;
        }
        if self.clusters[k].busy < self.slots_per_cluster() {
            self.start_cooking(o, k);
        } else {
            self.clusters[k].queue.push_back(o);
        }
    }

    fn start_cooking(&mut self, o: Ref, k: usize) {
        self.clusters[k].busy += 1;
        let epoch = self.clusters[k].epoch;
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::Cooking;
            x.cluster_epoch = epoch;
        }
        let t = (self.p.prep_min_s + exp_s(&mut self.rng_kitchen, self.p.prep_extra_mean_s))
            / self.fx.kitchen_slow;
        self.engine.schedule_in(secs(t), Ev::Cooked(o));
    }

    fn pump_cluster(&mut self, k: usize) {
        while !self.clusters[k].down && self.clusters[k].busy < self.slots_per_cluster() {
            let Some(o) = self.clusters[k].queue.pop_front() else {
                break;
            };
            if self
                .order(o)
                .is_some_and(|x| x.stage == Stage::KitchenQueue)
            {
                self.start_cooking(o, k);
            }
        }
    }

    fn on_cooked(&mut self, o: Ref) {
        let Some(ord) = self.order(o).cloned() else {
            return;
        };
        let k = ord.cluster as usize;
        if self.clusters[k].epoch != ord.cluster_epoch {
            self.in_kitchen -= 1;
            self.fail(o, Decline::KitchenDown);
            return;
        }
        self.clusters[k].busy = self.clusters[k].busy.saturating_sub(1);
        self.in_kitchen -= 1;
        self.pump_cluster(k);
        if let Some(x) = self.order_mut(o) {
            x.stage = Stage::AwaitPartner;
        }
        self.awaiting.push_back(o);
        self.dispatch();
    }

    /// A kitchen cluster goes down: orders queued there fail now, those
    /// cooking fail when their time comes (the epoch tells them).
    fn kill_cluster(&mut self, k: usize) {
        let cl = &mut self.clusters[k];
        if cl.down {
            return;
        }
        cl.down = true;
        cl.epoch = cl.epoch.wrapping_add(1);
        cl.busy = 0;
        let queued: Vec<Ref> = cl.queue.drain(..).collect();
        for o in queued {
            if self
                .order(o)
                .is_some_and(|x| x.stage == Stage::KitchenQueue)
            {
                self.in_kitchen -= 1;
                self.fail(o, Decline::KitchenDown);
            }
        }
        self.say(format!("kitchen-cluster-{} DOWN", k + 1));
    }

    // ------------------------------------------------------------ partners

    /// Confirmed orders no rider has picked up yet: cooking queues and
    /// orders waiting at the restaurant. The restaurant query's ETA
    /// computation scans them.
    pub(super) fn unassigned(&self) -> u64 {
        let queued: usize = self.clusters.iter().map(|c| c.queue.len()).sum();
        (self.awaiting.len() + queued) as u64
    }

    /// The backlog: orders waiting in a queue rather than being worked on
    /// (app-server queues, the connection pool, kitchen queues, orders
    /// ready with no rider).
    pub(super) fn queued(&self) -> u64 {
        let app: usize = self.servers.iter().map(|s| s.queue.len()).sum();
        let kitchen: usize = self.clusters.iter().map(|c| c.queue.len()).sum();
        (app + kitchen + self.awaiting.len()) as u64 + u64::from(self.pool_waiting)
    }

    pub(super) fn idle_partners(&self) -> u64 {
        self.online.saturating_sub(self.busy_partners)
    }

    fn dispatch(&mut self) {
        let per_trip = if self.batching {
            self.p.batch_size as usize
        } else {
            1
        };
        while self.idle_partners() > 0 && !self.awaiting.is_empty() {
            let mut batch = Vec::with_capacity(per_trip);
            while batch.len() < per_trip {
                let Some(o) = self.awaiting.pop_front() else {
                    break;
                };
                if self
                    .order(o)
                    .is_some_and(|x| x.stage == Stage::AwaitPartner)
                {
                    batch.push(o);
                }
            }
            if batch.is_empty() {
                break;
            }
            self.busy_partners += 1;
            let ride = self.p.ride_min_s + exp_s(&mut self.rng_partner, self.p.ride_extra_mean_s);
            let n = batch.len();
            for (j, o) in batch.into_iter().enumerate() {
                if let Some(x) = self.order_mut(o) {
                    x.stage = Stage::OnTrip;
                }
                let at = ride + j as f64 * self.p.batch_extra_s;
                self.engine.schedule_in(secs(at), Ev::Drop(o));
            }
            let back = ride + (n - 1) as f64 * self.p.batch_extra_s + self.p.return_s;
            self.engine.schedule_in(secs(back), Ev::PartnerBack);
        }
    }

    fn on_partner_back(&mut self) {
        self.busy_partners = self.busy_partners.saturating_sub(1);
        if self.leaving > 0 {
            self.leaving -= 1;
            self.online = self.online.saturating_sub(1);
            self.offline += 1;
        }
        self.note_partners();
        self.dispatch();
    }

    fn note_partners(&mut self) {
        let eff = self.online.saturating_sub(self.leaving);
        if eff < self.partners_min {
            self.partners_min = eff;
        }
    }

    fn on_drop(&mut self, o: Ref) {
        let Some(ord) = self.remove(o) else { return };
        let now = self.now();
        self.c.delivered += 1;
        let c = ord.cust;
        let aov = self.p.average_order_value_inr;
        let mut first = None;
        if let Some(cu) = self.cust_mut(c) {
            cu.live -= 1;
            if cu.delivered {
                first = None;
            } else {
                cu.delivered = true;
                first = Some(now - cu.first_at);
            }
        }
        match first {
            Some(d) => {
                self.c.delivered_unique += 1;
                self.c.revenue_delivered += aov;
                self.delivery.record(d);
                self.window_delivery.record(d);
            }
            None => self.c.duplicates_delivered += 1,
        }
        self.maybe_free(c);
    }

    /// Partners decide once a minute: log off when overloaded, come back
    /// slowly, or quickly with incentives.
    fn on_partner_tick(&mut self) {
        let load = self.partner_load();
        let per_min = PARTNER_TICK_S as f64 / 60.0;
        let before = self.online.saturating_sub(self.leaving);
        if self.incentives {
            self.partner_acc += self.offline as f64 * self.p.incentive_return_per_min * per_min;
        } else if load > self.p.partner_overload_threshold {
            self.partner_acc -= before as f64 * self.p.partner_churn_per_min * per_min;
        } else {
            self.partner_acc += self.offline as f64 * self.p.partner_return_per_min * per_min;
        }
        let whole = self.partner_acc.trunc();
        self.partner_acc -= whole;
        if whole > 0.0 {
            self.partners_online_add(whole as u64);
        } else if whole < 0.0 {
            self.partners_offline_add((-whole) as u64);
        }
        let after = self.online.saturating_sub(self.leaving);
        let pool = (self.online + self.offline + self.striking).max(1);
        // One line per 5 % of the pool that changed, not one per minute.
        if after.abs_diff(self.partners_logged) * 20 >= pool {
            let from = self.partners_logged;
            self.partners_logged = after;
            let verb = if after < from {
                "logging off (overloaded)"
            } else if self.incentives {
                "back online (2× incentives)"
            } else {
                "back online"
            };
            self.say(format!(
                "delivery partners {verb}: {from} → {after} online, {load:.2} orders waiting per partner"
            ));
        }
        self.note_partners();
        self.dispatch();
        self.engine
            .schedule_in(SimTime::from_secs(PARTNER_TICK_S), Ev::PartnerTick);
    }

    /// Orders waiting for pickup per online partner.
    pub(super) fn partner_load(&self) -> f64 {
        let on = self.online.saturating_sub(self.leaving).max(1);
        self.awaiting.len() as f64 / on as f64
    }

    fn partners_online_add(&mut self, n: u64) {
        // Those about to leave change their minds first.
        let stay = n.min(self.leaving);
        self.leaving -= stay;
        let back = (n - stay).min(self.offline);
        self.offline -= back;
        self.online += back;
    }

    fn partners_offline_add(&mut self, n: u64) {
        let idle = self.idle_partners();
        let now_off = n.min(idle);
        self.online -= now_off;
        self.offline += now_off;
        let later = (n - now_off).min(self.busy_partners.saturating_sub(self.leaving));
        self.leaving += later;
    }

    // ------------------------------------------------------------ estimates

    /// Delivery time the app would promise now, minutes.
    pub(super) fn eta_estimate_min(&self) -> f64 {
        let confirm_s = self.confirm_ewma.value_or(self.p.accept_mean_s);
        let prep_s = self.p.prep_min_s + self.p.prep_extra_mean_s / self.fx.kitchen_slow.max(1e-9);
        let ride_s = self.p.ride_min_s + self.p.ride_extra_mean_s;
        let trip_s = ride_s + self.p.return_s;
        let per_trip = if self.batching {
            f64::from(self.p.batch_size)
        } else {
            1.0
        };
        let on = self.online.saturating_sub(self.leaving).max(1) as f64;
        let pickups_per_s = on * per_trip / trip_s.max(1.0);
        let ahead = (self.awaiting.len() as u64 + self.in_kitchen) as f64;
        let partner_wait_s = (ahead / pickups_per_s - prep_s).max(0.0);
        (confirm_s + prep_s + partner_wait_s + ride_s) / 60.0
    }

    /// Orders per minute the slowest stage can take now.
    pub(super) fn capacity_per_min(&self) -> f64 {
        let per_order_s = (self.p.app_cpu_ms + self.p.db_query_ms + self.p.payment_ms) / 1000.0;
        let up = self.servers.iter().filter(|s| s.available()).count() as f64;
        let app = up * f64::from(self.effective_workers()) / per_order_s.max(1e-9) * 60.0;
        let db = f64::from(self.effective_pool().min(self.effective_parallelism()))
            / (self.p.db_query_ms / 1000.0 / self.fx.db_slow).max(1e-9)
            * 60.0;
        let per_trip = if self.batching {
            f64::from(self.p.batch_size)
        } else {
            1.0
        };
        let trip_s = self.p.ride_min_s + self.p.ride_extra_mean_s + self.p.return_s;
        let on = self.online.saturating_sub(self.leaving) as f64;
        let partners = on * per_trip / trip_s.max(1.0) * 60.0;
        app.min(db).min(partners)
    }

    // ------------------------------------------------------------ autoscaling

    fn provision(&mut self, n: usize, delay: SimTime, why: &str) {
        let room = (self.p.app_servers_max as usize).saturating_sub(self.servers.len());
        let n = n.min(room);
        if n == 0 {
            return;
        }
        for _ in 0..n {
            let k = self.servers.len() as u16;
            self.servers.push(Server::new(true));
            self.engine.schedule_in(delay, Ev::ServerUp { server: k });
        }
        self.servers_peak = self.servers_peak.max(self.servers.len());
        self.say(format!(
            "autoscaling ({why}): +{n} app servers, ready in {:.0} s ({} total)",
            delay.as_secs_f64(),
            self.servers.len()
        ));
    }

    fn servers_for_rate(&self, orders_per_s: f64) -> usize {
        let per_order_s = (self.p.app_cpu_ms + self.p.db_query_ms + self.p.payment_ms) / 1000.0;
        let per_server = f64::from(self.effective_workers()) * 0.7 / per_order_s.max(1e-9);
        (orders_per_s / per_server.max(1e-9)).ceil() as usize
    }

    /// The largest order rate the schedule and the known match events
    /// (timeouts, innings break, last over) predict for `[now, now + ahead]`.
    fn predicted_rate_per_s(&self, ahead: SimTime) -> f64 {
        let now = self.now();
        let to = now + ahead;
        let mut base = self.base_per_min;
        for pt in &self.p.demand_schedule[self.schedule_next..] {
            if secs(pt.at_s) > to {
                break;
            }
            base = base.max(pt.orders_per_min);
        }
        let mut mult = self.spike_multiplier();
        // While the match is in play a boundary can come on any ball: keep
        // room for its spike.
        if self.feed.get(self.feed_next).is_some_and(|f| f.at <= to) {
            mult = mult.max(self.p.spikes.boundary.multiplier);
        }
        for item in &self.feed[self.feed_next..] {
            if item.at > to {
                break;
            }
            if matches!(
                item.kind,
                FeedKind::Timeout | FeedKind::InningsBreak | FeedKind::LastOver
            ) && let Some(s) = self.p.spikes.for_kind(item.kind)
            {
                mult = mult.max(s.multiplier);
            }
        }
        base / 60.0 * mult * self.scale_arrivals * self.p.volume_scale
    }

    fn warm_start_for_spike(&mut self) {
        let want = self.servers_for_rate(self.target_rate_per_s());
        let have = self.servers.len();
        if want > have {
            let n = (want - have).min(self.p.warm_pool as usize);
            self.provision(
                n,
                SimTime::from_secs(WARM_START_S),
                "cricket-aware, warm pool",
            );
        }
    }

    fn on_scale_tick(&mut self) {
        let up: Vec<&Server> = self.servers.iter().filter(|s| s.available()).collect();
        let cap = up.len() as f64 * f64::from(self.effective_workers());
        let load: f64 = up
            .iter()
            .map(|s| f64::from(s.busy) + s.queue.len() as f64)
            .sum();
        let util = if cap > 0.0 { load / cap } else { 1.0 };
        let active = up.len();
        let total = self.servers.len();
        let delay = secs(self.p.provisioning_delay_s);
        match self.autoscaling {
            Autoscaling::Fixed => {}
            Autoscaling::Reactive => {
                if util > self.p.scale_up_utilisation && total == active {
                    let n = active.div_ceil(4).max(1);
                    self.provision(n, delay, "reactive: utilisation high");
                }
            }
            Autoscaling::CricketAware => {
                let ahead = delay + secs(self.p.scale_check_s * 2.0);
                let want = self.servers_for_rate(self.predicted_rate_per_s(ahead));
                if want > total {
                    self.provision(want - total, delay, "cricket-aware: predicted");
                } else if util > self.p.scale_up_utilisation && total == active {
                    let n = active.div_ceil(4).max(1);
                    self.provision(n, delay, "cricket-aware: utilisation high");
                }
            }
        }
        self.engine
            .schedule_in(secs(self.p.scale_check_s), Ev::ScaleTick);
    }

    fn on_server_up(&mut self, k: u16) {
        if let Some(s) = self.servers.get_mut(k as usize) {
            s.provisioning = false;
        }
    }

    // ------------------------------------------------------------ sampling

    fn on_sample(&mut self) {
        let dt = self.p.sample_every_s;
        let per_min = 60.0 / dt;
        let now = self.now();
        let c = &self.c;
        let l = &self.last;
        self.s_unique.push((c.unique - l.unique) as f64 * per_min);
        self.s_dup
            .push((c.duplicate - l.duplicate) as f64 * per_min);
        self.s_delivered
            .push((c.delivered - l.delivered) as f64 * per_min);
        self.s_retries
            .push((c.retries - l.retries) as f64 * per_min);
        self.s_declined
            .push((c.declined_total() - l.declined_total()) as f64 * per_min);
        let p95 = self.window_delivery.quantile_s(0.95);
        self.s_p95.push(if p95.is_nan() { 0.0 } else { p95 / 60.0 });
        self.window_delivery.reset();
        let q = self.queued();
        self.queued_peak = self.queued_peak.max(q);
        self.chart.push(q as f64);
        self.chart_t.push(now.as_secs_f64());
        self.last = self.c.clone();
        self.engine.schedule_in(secs(dt), Ev::Sample);
    }

    // ------------------------------------------------------------ events

    pub(super) fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Arrival { generation } => {
                if generation != self.arr_gen {
                    return;
                }
                self.new_customer();
                self.arr_mass = exp_s(&mut self.rng_arrivals, 1.0);
                self.arr_last = self.now();
                if self.rate_per_s > 0.0 {
                    let at = self.now() + secs(self.arr_mass / self.rate_per_s);
                    self.engine.schedule(at, Ev::Arrival { generation });
                }
            }
            Ev::RateStep => self.on_rate_step(),
            Ev::Feed => self.on_feed(),
            Ev::SpikeEnd => {
                let now = self.now();
                self.spikes.retain(|(e, _)| *e > now);
                self.rate_changed();
            }
            Ev::Patience { c, attempt } => self.on_patience(c, attempt),
            Ev::Retry { c } => self.on_retry(c),
            Ev::CpuDone(o) => self.on_cpu_done(o),
            Ev::AcquireTimeout { o, ticket } => self.on_acquire_timeout(o, ticket),
            Ev::QueryDone(o) => self.on_query_done(o),
            Ev::PaymentDone(o) => self.on_payment_done(o),
            Ev::Accepted(o) => self.on_accepted(o),
            Ev::Cooked(o) => self.on_cooked(o),
            Ev::Drop(o) => self.on_drop(o),
            Ev::PartnerBack => self.on_partner_back(),
            Ev::ServerUp { server } => {
                self.on_server_up(server);
                self.pump_all();
            }
            Ev::Sample => self.on_sample(),
            Ev::ScaleTick => self.on_scale_tick(),
            Ev::PartnerTick => self.on_partner_tick(),
            Ev::KillExpires { id } => {
                if let Some(f) = self.faults.remove(&id) {
                    self.say(format!("{} restarted", f.target));
                    self.refresh_faults();
                }
            }
            Ev::RestoreStage { stage, generation } => {
                if generation == self.restore_gen {
                    self.restore_stage(stage);
                }
            }
        }
    }

    fn pump_all(&mut self) {
        for k in 0..self.servers.len() {
            self.pump_server(k);
        }
    }

    // ------------------------------------------------------------ commands

    pub(super) fn toggle_names() -> [&'static str; 6] {
        [
            "idempotency",
            "shedding",
            "eta_messages",
            "incentives",
            "batching",
            "breaker",
        ]
    }

    pub(super) fn toggles(&self) -> Vec<(String, bool)> {
        let v = [
            self.idempotency,
            self.shedding,
            self.eta_messages,
            self.incentives,
            self.batching,
            self.breaker_on,
        ];
        Self::toggle_names()
            .iter()
            .zip(v)
            .map(|(n, on)| ((*n).to_string(), on))
            .collect()
    }

    pub(super) fn command(&mut self, cmd: &Command) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => {
                if let Some(a) = Autoscaling::from_name(name) {
                    self.autoscaling = a;
                    return Ok(format!("autoscaling: {name}"));
                }
                if let Some(p) = Policy::from_name(name) {
                    self.balancer.set_policy(p);
                    return Ok(format!("balancing: {name}"));
                }
                let mut names: Vec<&str> = Autoscaling::ALL.iter().map(|a| a.name()).collect();
                names.extend(Policy::ALL.iter().map(|p| p.name()));
                Err(CommandError::UnknownPolicy {
                    name: name.clone(),
                    expected: names.join(", "),
                })
            }
            Command::ScaleArrivals(f) => {
                let new = self.scale_arrivals * f;
                let per_min = self.base_per_min * new;
                if !(f.is_finite() && *f >= 0.0 && per_min <= super::MAX_RATE_PER_MIN) {
                    return Err(CommandError::Invalid(format!(
                        "order rate ×{f} is out of range"
                    )));
                }
                self.scale_arrivals = new;
                self.rate_changed();
                Ok(format!("order demand ×{new:.2} of the schedule"))
            }
            Command::Toggle { name, on } => {
                let on = *on;
                let slot = match name.as_str() {
                    "idempotency" => &mut self.idempotency,
                    "shedding" => &mut self.shedding,
                    "eta_messages" => &mut self.eta_messages,
                    "incentives" => &mut self.incentives,
                    "batching" => &mut self.batching,
                    "breaker" => &mut self.breaker_on,
                    _ => {
                        return Err(CommandError::UnknownToggle {
                            name: name.clone(),
                            expected: Self::toggle_names().join(", "),
                        });
                    }
                };
                *slot = on;
                if name == "breaker" {
                    self.breaker.reset();
                }
                if name == "batching" {
                    self.dispatch();
                }
                Ok(format!("{name}: {}", if on { "on" } else { "off" }))
            }
            Command::InjectFault { id, fault } => self.inject(*id, fault),
            Command::ClearFault(id) => {
                let Some(f) = self.faults.remove(id) else {
                    return Ok(String::new());
                };
                self.refresh_faults();
                Ok(format!("cleared: {f}"))
            }
            Command::ClearFaults => {
                if self.faults.is_empty() {
                    return Ok(String::new());
                }
                self.faults.clear();
                self.refresh_faults();
                Ok("all faults cleared".into())
            }
        }
    }

    pub(super) fn server_names(&self) -> Vec<String> {
        (1..=self.servers.len())
            .map(|i| format!("app-{i}"))
            .collect()
    }

    fn targets_for(&self, kind: &FaultKind) -> Vec<String> {
        let mut t = Vec::new();
        match kind {
            FaultKind::Kill { .. } | FaultKind::Partition => {
                t.push("all".into());
                t.extend(self.server_names());
                t.push("kitchens".into());
                t.extend((1..=self.clusters.len()).map(|k| format!("kitchen-cluster-{k}")));
                t.push("db".into());
            }
            FaultKind::Latency { .. } => {
                t.push("db".into());
                t.push("payment".into());
                t.push("all".into());
                t.extend(self.server_names());
            }
            FaultKind::Slowdown { .. } => {
                t.push("db".into());
                t.push("kitchens".into());
                t.push("all".into());
                t.extend(self.server_names());
            }
            FaultKind::CapacityDrop { .. } => {
                t.push("partners".into());
                t.push("kitchens".into());
                t.push("db".into());
            }
            FaultKind::ErrorRate { .. } => {
                t.push("payment".into());
                t.push("all".into());
                t.extend(self.server_names());
            }
            FaultKind::World { name, .. } if name == "power-loss" => {
                t.push("region".into());
                t.push("all".into());
            }
            FaultKind::Blackhole | FaultKind::World { .. } => {}
        }
        t
    }

    fn inject(&mut self, id: u64, fault: &Fault) -> Result<String, CommandError> {
        fault.kind.validate().map_err(CommandError::Invalid)?;
        let targets = self.targets_for(&fault.kind);
        if targets.is_empty() {
            return Err(CommandError::UnsupportedFault(
                fault.kind.name().to_string(),
            ));
        }
        if !targets.contains(&fault.target) {
            return Err(CommandError::UnknownTarget {
                name: fault.target.clone(),
                expected: targets.join(", "),
            });
        }
        self.faults.insert(id, fault.clone());
        if let FaultKind::Kill {
            restart_after_s: Some(s),
        } = fault.kind
        {
            self.engine.schedule_in(secs(s), Ev::KillExpires { id });
        }
        self.refresh_faults();
        Ok(format!("fault: {fault}"))
    }

    /// Recomputes every effect from the active faults and applies the
    /// changes (servers and kitchens going down or coming back, strikes,
    /// power loss and the staged restoration after it).
    fn refresh_faults(&mut self) {
        let n = self.servers.len();
        let ncl = self.clusters.len();
        let mut down = vec![false; n];
        let mut slow = vec![1.0; n];
        let mut extra = vec![0.0; n];
        let mut err = vec![0.0; n];
        let mut cl_down = vec![false; ncl];
        let mut fx = FaultEffects {
            db_slow: 1.0,
            kitchen_slow: 1.0,
            ..FaultEffects::default()
        };
        let server_idx = |t: &str| -> Vec<usize> {
            if t == "all" {
                (0..n).collect()
            } else {
                t.strip_prefix("app-")
                    .and_then(|x| x.parse::<usize>().ok())
                    .filter(|k| (1..=n).contains(k))
                    .map(|k| vec![k - 1])
                    .unwrap_or_default()
            }
        };
        for f in self.faults.values() {
            let t = f.target.as_str();
            match &f.kind {
                FaultKind::Kill { .. } | FaultKind::Partition => {
                    if t == "db" {
                        fx.db_down = true;
                    } else if t == "kitchens" {
                        cl_down.fill(true);
                    } else if let Some(k) = t
                        .strip_prefix("kitchen-cluster-")
                        .and_then(|x| x.parse::<usize>().ok())
                        .filter(|k| (1..=ncl).contains(k))
                    {
                        cl_down[k - 1] = true;
                    } else {
                        for k in server_idx(t) {
                            down[k] = true;
                        }
                    }
                }
                FaultKind::Latency { ms, .. } => match t {
                    "db" => fx.db_extra_ms += ms,
                    "payment" => fx.pay_extra_ms += ms,
                    _ => server_idx(t).into_iter().for_each(|k| extra[k] += ms),
                },
                FaultKind::Slowdown { factor } => match t {
                    "db" => fx.db_slow *= factor,
                    "kitchens" => fx.kitchen_slow *= factor,
                    _ => server_idx(t).into_iter().for_each(|k| slow[k] *= factor),
                },
                FaultKind::CapacityDrop { fraction } => match t {
                    "partners" => fx.strike = fx.strike.max(*fraction),
                    "kitchens" => fx.kitchen_drop = fx.kitchen_drop.max(*fraction),
                    "db" => fx.db_drop = fx.db_drop.max(*fraction),
                    _ => {}
                },
                FaultKind::ErrorRate { p } => match t {
                    "payment" => fx.pay_error = fx.pay_error.max(*p),
                    _ => server_idx(t)
                        .into_iter()
                        .for_each(|k| err[k] = f64::max(err[k], *p)),
                },
                FaultKind::World { name, strength } if name == "power-loss" => {
                    fx.power_loss = Some(fx.power_loss.unwrap_or(0.0).max(strength.min(1.0)));
                }
                _ => {}
            }
        }
        // servers
        for k in 0..n {
            let s = &mut self.servers[k];
            s.slow = slow[k];
            s.extra_ms = extra[k];
            s.error_p = err[k];
            if down[k] && !s.down {
                s.down = true;
                s.epoch = s.epoch.wrapping_add(1);
                s.busy = 0;
                let queued: Vec<Ref> = s.queue.drain(..).collect();
                self.say(format!("app-{} DOWN", k + 1));
                for o in queued {
                    self.fail(o, Decline::ServerCrash);
                }
            } else if !down[k] && s.down {
                s.down = false;
                self.say(format!("app-{} back up", k + 1));
            }
        }
        // kitchens
        for (k, d) in cl_down.into_iter().enumerate() {
            if d {
                self.kill_cluster(k);
            } else if self.clusters[k].down {
                self.clusters[k].down = false;
                self.say(format!("kitchen-cluster-{} back up", k + 1));
            }
        }
        // partners on strike
        let total = self.online + self.offline + self.striking;
        let want_striking = (total as f64 * fx.strike).round() as u64;
        if want_striking > self.striking {
            let from_online = (want_striking - self.striking).min(self.idle_partners());
            self.online -= from_online;
            let rest = want_striking - self.striking - from_online;
            let from_off = rest.min(self.offline);
            self.offline -= from_off;
            self.striking += from_online + from_off;
        } else if want_striking < self.striking {
            let back = self.striking - want_striking;
            self.striking -= back;
            self.online += back;
        }
        // power loss
        let was = self.fx.power_loss;
        self.fx = fx;
        match (was, self.fx.power_loss) {
            (None, Some(s)) => {
                self.restore_gen = self.restore_gen.wrapping_add(1);
                self.region = (1.0 - s).max(self.p.backup_capacity);
                self.say(format!(
                    "POWER LOSS in the primary region: failing over to backup at {:.0} % capacity",
                    self.region * 100.0
                ));
            }
            (Some(_), None) => {
                self.restore_gen = self.restore_gen.wrapping_add(1);
                self.restore_stage(0);
            }
            _ => {}
        }
        self.note_partners();
        self.pump_all();
        for k in 0..self.clusters.len() {
            self.pump_cluster(k);
        }
        self.release_connection_slots();
        self.dispatch();
    }

    /// Staged restoration after a power loss: 25 %, 50 %, 100 %.
    fn restore_stage(&mut self, stage: u8) {
        const STAGES: [f64; 3] = [0.25, 0.5, 1.0];
        let Some(&f) = STAGES.get(stage as usize) else {
            return;
        };
        self.region = f.max(self.region.min(1.0));
        if stage == 2 {
            self.region = 1.0;
        }
        self.say(format!(
            "power restored, stage {}: {:.0} % capacity",
            stage + 1,
            self.region * 100.0
        ));
        if (stage as usize) + 1 < STAGES.len() {
            self.engine.schedule_in(
                secs(self.p.restore_stage_s),
                Ev::RestoreStage {
                    stage: stage + 1,
                    generation: self.restore_gen,
                },
            );
        }
        self.pump_all();
        self.release_connection_slots();
    }

    /// Hands out connections that a larger pool now allows.
    fn release_connection_slots(&mut self) {
        if self.pool_in_use < self.effective_pool() && !self.pool_queue.is_empty() {
            self.pool_in_use += 1;
            self.release_connection();
        }
    }

    pub(super) fn reset_counts(&mut self) {
        let now = self.now();
        self.in_system_at_reset = self.in_system;
        self.c = Counts::default();
        self.last = Counts::default();
        self.stats_since = now;
        self.backlog.reset(now);
        self.queued_peak = self.queued();
        self.delivery.reset();
        self.confirm.reset();
        self.partners_min = self.online.saturating_sub(self.leaving);
        self.servers_peak = self.servers.len();
        for s in &mut self.servers {
            s.served = 0;
        }
    }

    pub(super) fn opens(&self) -> u64 {
        self.breaker.opens()
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
