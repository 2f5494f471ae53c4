//! The network's state and how it reacts to its events and to commands.
//!
//! Every node is a block: a source is a [`Source`], a station a
//! [`Station`] (k slots + finite backlog + service model + cached fault
//! effect), a router a [`Balancer`] over its stations' [`Backend`] views;
//! callers keep their [`RetryPolicy`], [`CircuitBreaker`] and
//! [`Bulkhead`]. Jobs move between nodes instantly; only stations hold
//! them. A job is either *plain* (a Jackson customer: it leaves when a
//! route sends it out or it reaches a sink) or an *attempt* of a call:
//! then leaving answers the call, and failing anywhere fails the attempt.

use std::collections::BTreeMap;

use super::params::{Client, Kind, NetworkParams, Node, Restoration, index};
use super::times::{MeanTime, Times};
use crate::fault::{Effect, Fault, FaultBook, Target};
use crate::policy::{Backend, Balancer, Policy};
use crate::sim::blocks::queue::Discipline;
use crate::sim::blocks::resilience::breaker::{Admit, CircuitBreaker};
use crate::sim::blocks::resilience::bulkhead::{Acquire, Bulkhead};
use crate::sim::blocks::resilience::retry::RetryPolicy;
use crate::sim::blocks::servers::{Outcome, ServiceTime};
use crate::sim::blocks::source::{RateProfile, Source};
use crate::sim::blocks::station::{Arrive, Pulled, ServiceModel, Station};
use crate::sim::blocks::stats::{BlockStats, Reject};
use crate::sim::blocks::{secs, uniform};
use crate::sim::rng::{SimRng, stream};
use crate::sim::runtime::{Context, Model};
use crate::sim::world::Ledger;
use crate::sim::{
    Catalog, Command, CommandError, Engine, History, Metrics, Probe, Sampling, SimTime, Snapshot,
};
use crate::world::BuildError;

pub type Queue = Engine<Event>;
pub(super) type Cx<'a> = Context<'a, Event, Queue>;

/// The network's events.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    Arrival { node: u32, epoch: u32 },
    Done { node: u32, slot: u32, token: u32 },
    Timeout { call: u32, stamp: u32 },
    Retry { call: u32, stamp: u32 },
    Refresh,
    Stage { generation: u32 },
    Sample,
}

const NO_CALL: u32 = u32::MAX;

/// The series the dashboard draws (see `Network::sampling`).
pub(super) mod series {
    use crate::sim::SeriesId;
    pub const ARRIVALS: SeriesId = SeriesId(0);
    pub const ANSWERED: SeriesId = SeriesId(1);
    pub const FAILED: SeriesId = SeriesId(2);
    pub const INSIDE: SeriesId = SeriesId(3);
}

/// A job inside the network (kept in `Jobs`; a station holds its index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// When it entered the network (plain) or was sent (attempt).
    born: SimTime,
    /// The call it is an attempt of (`NO_CALL`: plain).
    call: u32,
    stamp: u32,
    /// The source it came from (plain jobs).
    source: u32,
    class: u32,
}

/// A job's index in [`Jobs`]: what stations hold.
type JobId = u32;

/// The jobs inside the network, each kept here from the moment it enters
/// (or an attempt is sent) until it leaves, fails or is swallowed, while
/// stations hold only its index. With the instant it counts from, a
/// station's item then fits in two registers: handing it to a slot or the
/// backlog moves two words, where four written to memory and read back at
/// once by an out-of-line call stall on every arrival. Freed indices are
/// reused, the last freed first, so the few in use stay in cache.
#[derive(Clone, Debug, Default)]
struct Jobs {
    all: Vec<Job>,
    free: Vec<JobId>,
}

impl Jobs {
    /// Keeps `job`; returns its index.
    #[inline]
    fn add(&mut self, job: Job) -> JobId {
        if let Some(k) = self.free.pop() {
            self.all[k as usize] = job;
            k
        } else {
            self.all.push(job);
            (self.all.len() - 1) as JobId
        }
    }

    #[inline]
    fn get(&self, k: JobId) -> &Job {
        &self.all[k as usize]
    }

    /// Job `k` is gone (left, failed or swallowed): its index is free.
    #[inline]
    fn remove(&mut self, k: JobId) -> Job {
        self.free.push(k);
        self.all[k as usize]
    }
}

/// Probabilistic edges out of a node: cumulative shares.
#[derive(Clone, Debug)]
pub(super) struct Routing {
    pub(super) edges: Vec<(f64, usize)>,
    /// Decided once when built, so the common cases take one branch.
    way: Way,
}

/// How a node's routing decides (see [`Routing::next`]).
#[derive(Clone, Copy, Debug)]
enum Way {
    /// No edges: everything leaves the network, no draw.
    Out,
    /// One edge taking everything: no draw.
    Certain(usize),
    /// A uniform draw against the cumulative shares.
    Draw,
}

impl Routing {
    fn new(routes: &[(usize, f64)]) -> Self {
        let mut acc = 0.0;
        let edges = routes
            .iter()
            .map(|&(to, p)| {
                acc += p;
                (acc, to)
            })
            .collect();
        let way = match routes {
            [] => Way::Out,
            [(to, p)] if *p >= 1.0 => Way::Certain(*to),
            _ => Way::Draw,
        };
        Routing { edges, way }
    }

    #[inline]
    fn next(&self, rng: &mut SimRng) -> Option<usize> {
        match self.way {
            Way::Out => None,
            Way::Certain(t) => Some(t),
            Way::Draw => {
                let u = uniform(rng);
                self.edges.iter().find(|(c, _)| u < *c).map(|(_, t)| *t)
            }
        }
    }
}

/// A caller's client: timeout, retries, budget, breaker, pool.
#[derive(Clone, Debug)]
pub(super) struct ClientRt {
    pub(super) timeout: SimTime,
    retry: RetryPolicy,
    pub(super) budget: Option<f64>,
    pub(super) tokens: f64,
    pub(super) breaker: Option<CircuitBreaker>,
    pub(super) pool: Option<Bulkhead<(u32, u32)>>,
    rng: SimRng,
}

impl ClientRt {
    fn new(c: &Client, seed: u64, name: &str) -> Self {
        ClientRt {
            timeout: secs(c.timeout_s),
            retry: RetryPolicy {
                max_retries: c.retries,
                base_s: c.backoff_s,
                multiplier: c.backoff_multiplier,
                cap_s: c.backoff_cap_s,
                jitter: c.jitter,
            },
            budget: c.retry_budget,
            tokens: 0.0,
            breaker: c
                .breaker
                .as_ref()
                .map(|b| CircuitBreaker::new(b.failures, secs(b.open_s), b.trials)),
            pool: c
                .pool
                .as_ref()
                .map(|p| Bulkhead::new(p.size, p.max_waiting as usize, secs(c.timeout_s))),
            rng: stream(seed, &format!("{name}/retry")),
        }
    }
}

#[allow(clippy::large_enum_variant)] // one per node, built once; stations are most nodes
pub(super) enum Body {
    Source {
        source: Source,
        routing: Routing,
        client: Option<ClientRt>,
        /// Requests from here not yet answered (plain jobs or calls).
        outstanding: u64,
    },
    Station {
        st: Station<JobId>,
        routing: Routing,
        call: Option<(usize, ClientRt)>,
    },
    Router {
        balancer: Balancer,
        to: Vec<usize>,
        weights: Vec<f64>,
        views: Vec<Backend>,
    },
    Sink,
}

/// A source's books: plain counters (what leaves through it is timed by
/// the network's own books, so a source keeps no averages).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counts {
    pub(super) arrivals: u64,
    pub(super) completed: u64,
    pub(super) rejected: [u64; Reject::ALL.len()],
    pub(super) at_reset: u64,
    pub(super) since: SimTime,
}

impl Counts {
    pub(super) fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }
}

/// Why a node is not serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    Up,
    Degraded,
    Down,
    /// A dependency is down or unreachable.
    Unreachable {
        cause: usize,
    },
    /// Back from a dependency's outage, restarting until `until`.
    Restarting,
}

pub(super) struct NodeRt {
    pub(super) name: String,
    pub(super) kind: Kind,
    pub(super) body: Body,
    /// Counts and the mean number inside (its times are kept apart:
    /// `wait`, `response`).
    pub(super) stats: BlockStats,
    /// A station's waits (only their mean is reported).
    pub(super) wait: MeanTime,
    /// A station's response times.
    pub(super) response: Times,
    /// A source's books (other nodes keep `stats`).
    pub(super) counts: Counts,
    pub(super) deps: Vec<usize>,
    restart: SimTime,
    repair: Option<(SimTime, Option<usize>, SimTime)>,
    pub(super) own: Effect,
    pub(super) state: NodeState,
    waiting_deps: bool,
    restart_at: Option<SimTime>,
    repair_at: Option<SimTime>,
    /// When it last came back up after being down or unreachable.
    pub(super) recovered_at: Option<SimTime>,
    /// Jobs a blackholed slot swallowed: they stay here, counted.
    pub(super) swallowed: u64,
    rng: SimRng,
    /// Staged restoration: the share admitted now (`None`: all).
    pub(super) gate: Option<f64>,
    credit: f64,
}

impl NodeRt {
    pub(super) fn reachable(&self) -> bool {
        matches!(self.state, NodeState::Up | NodeState::Degraded)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Source,
    Slot { slot: u32, token: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CallState {
    InFlight,
    WaitingPermit,
    Backoff,
}

#[derive(Clone, Copy, Debug)]
struct Call {
    owner: u32,
    caller: Caller,
    started: SimTime,
    stamp: u32,
    retries: u32,
    state: CallState,
    permit: bool,
    trial: bool,
    class: u32,
    source: u32,
    live: bool,
}

/// Network-wide books of calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallBooks {
    pub attempts: u64,
    pub retries: u64,
    pub timeouts: u64,
    pub duplicates: u64,
    pub refused_by_breaker: u64,
}

/// The network world (see the [module docs](super)).
pub struct Network {
    pub(super) p: NetworkParams,
    pub(super) nodes: Vec<NodeRt>,
    /// Dependencies first.
    order: Vec<usize>,
    pub(super) faults: FaultBook,
    pub(super) fault_names: BTreeMap<u64, String>,
    calls: Vec<Call>,
    free_calls: Vec<u32>,
    next_stamp: u32,
    jobs: Jobs,
    /// Logical requests: plain jobs and callers' requests from sources
    /// (counts and the mean number inside; their times: `time_in`).
    pub(super) net: BlockStats,
    /// Each logical request's time through the network (kept only when
    /// `time_in_at` is `None`; read it through [`Network::time_in`]).
    time_in: Times,
    /// The station whose response times are the requests' times through
    /// the network, when the network is one station fed by its sources
    /// (see [`sole_station`]): its book is read, none is kept twice.
    time_in_at: Option<usize>,
    /// Plain jobs anywhere, counted apart from `net` (conservation).
    pub(super) plain_inside: u64,
    pub(super) client_calls: u64,
    pub(super) books: CallBooks,
    pub(super) retry_budget_on: bool,
    pub(super) staged_on: bool,
    restoration: Option<(usize, Restoration)>,
    stage: usize,
    generation: u32,
    pub(super) policy: String,
    pub(super) catalog: Catalog,
    sample: SimTime,
}

impl Network {
    /// Builds the network from valid parameters, with its first events.
    pub fn new(p: &NetworkParams, seed: u64) -> Result<(Self, Queue), BuildError> {
        BuildError::check(p.validate())?;
        let idx = index(p);
        let look = |s: &str| idx.get(s).copied().unwrap_or(0);
        let mut nodes = Vec::with_capacity(p.nodes.len());
        let mut queue = Queue::new();
        let mut first_policy = None;
        for (i, n) in p.nodes.iter().enumerate() {
            let name = n.name().to_string();
            let routes: Vec<(usize, f64)> = n.routes().iter().map(|r| (look(&r.to), r.p)).collect();
            let body = match n {
                Node::Source {
                    rate_per_s,
                    schedule,
                    ramp,
                    spikes,
                    classes,
                    client,
                    ..
                } => {
                    let mut profile = if schedule.is_empty() {
                        RateProfile::constant(*rate_per_s)
                    } else {
                        let mut pts = vec![(0.0, *rate_per_s)];
                        pts.extend(schedule.iter().copied());
                        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                        if *ramp {
                            RateProfile::linear(&pts)?
                        } else {
                            RateProfile::steps(&pts)?
                        }
                    };
                    for s in spikes {
                        profile = profile.with_spike(s.at_s, s.duration_s, s.multiplier);
                    }
                    let mut source = Source::new(profile, seed, &name).with_classes(classes);
                    if let Some(t) = source.start(SimTime::ZERO) {
                        queue.schedule(
                            t,
                            Event::Arrival {
                                node: i as u32,
                                epoch: source.epoch(),
                            },
                        );
                    }
                    Body::Source {
                        source,
                        routing: Routing::new(&routes),
                        client: client.as_ref().map(|c| ClientRt::new(c, seed, &name)),
                        outstanding: 0,
                    }
                }
                Node::Station {
                    servers,
                    capacity,
                    service_rate_per_s,
                    service,
                    priority,
                    call,
                    client,
                    ..
                } => {
                    let svc = ServiceTime::new(*service, 1.0 / service_rate_per_s)?;
                    let discipline = if *priority {
                        Discipline::Priority { classes: 16 }
                    } else {
                        Discipline::Fifo
                    };
                    let st = Station::new(
                        *servers as usize,
                        *capacity as usize,
                        discipline,
                        ServiceModel::Fixed(svc),
                        seed,
                        &name,
                    );
                    let call = call.as_ref().map(|c| {
                        let spec = client.clone().unwrap_or(Client {
                            timeout_s: 30.0,
                            retries: 0,
                            backoff_s: 0.1,
                            backoff_multiplier: 2.0,
                            backoff_cap_s: 10.0,
                            jitter: crate::sim::blocks::resilience::retry::Jitter::Full,
                            retry_budget: None,
                            breaker: None,
                            pool: None,
                        });
                        (look(c), ClientRt::new(&spec, seed, &name))
                    });
                    Body::Station {
                        st,
                        routing: Routing::new(&routes),
                        call,
                    }
                }
                Node::Router {
                    policy,
                    to,
                    weights,
                    ..
                } => {
                    let pol = Policy::from_name(policy).unwrap_or(Policy::RoundRobin);
                    first_policy.get_or_insert_with(|| pol.name().to_string());
                    Body::Router {
                        balancer: Balancer::new(pol),
                        to: to.iter().map(|t| look(t)).collect(),
                        weights: weights.clone(),
                        views: Vec::with_capacity(to.len()),
                    }
                }
                Node::Sink { .. } => Body::Sink,
            };
            let repair = n.repair().map(|r| {
                (
                    secs(r.by_hand_s),
                    r.access_via.as_deref().map(look),
                    secs(r.without_access_s),
                )
            });
            nodes.push(NodeRt {
                rng: stream(seed, &format!("{name}/routing")),
                name,
                kind: n.kind(),
                body,
                stats: BlockStats::new(SimTime::ZERO),
                wait: MeanTime::default(),
                response: Times::default(),
                counts: Counts::default(),
                deps: n.depends_on().iter().map(|d| look(d)).collect(),
                restart: secs(n.restart_s()),
                repair,
                own: Effect::NONE,
                state: NodeState::Up,
                waiting_deps: false,
                restart_at: None,
                repair_at: None,
                recovered_at: None,
                swallowed: 0,
                gate: None,
                credit: 0.0,
            });
        }
        // Dependencies first (the graph is acyclic: validated).
        let mut order = Vec::with_capacity(nodes.len());
        let mut placed = vec![false; nodes.len()];
        while order.len() < nodes.len() {
            let before = order.len();
            for i in 0..nodes.len() {
                if !placed[i] && nodes[i].deps.iter().all(|&d| placed[d]) {
                    placed[i] = true;
                    order.push(i);
                }
            }
            if order.len() == before {
                return Err(BuildError::DependencyCycle);
            }
        }
        let sample = secs(p.sample_every_s);
        queue.schedule(sample, Event::Sample);
        let restoration = p.restoration.as_ref().map(|r| (look(&r.at), r.clone()));
        let time_in_at = sole_station(&nodes);
        Ok((
            Network {
                p: p.clone(),
                nodes,
                order,
                faults: FaultBook::new(),
                fault_names: BTreeMap::new(),
                calls: Vec::new(),
                free_calls: Vec::new(),
                next_stamp: 0,
                jobs: Jobs::default(),
                net: BlockStats::new(SimTime::ZERO),
                time_in: Times::default(),
                time_in_at,
                plain_inside: 0,
                client_calls: 0,
                books: CallBooks::default(),
                retry_budget_on: p.retry_budget_on,
                staged_on: p.staged_restoration_on,
                restoration,
                stage: 0,
                generation: 0,
                policy: first_policy.unwrap_or_else(|| "round-robin".to_string()),
                catalog: super::params::catalog(p),
                sample,
            },
            queue,
        ))
    }

    /// Switches every router's policy; returns the log line.
    pub fn set_policy(&mut self, name: &str) -> Result<String, CommandError> {
        let Some(pol) = Policy::from_name(name) else {
            return Err(CommandError::UnknownPolicy {
                name: name.to_string(),
                expected: self.catalog.policies.join(", "),
            });
        };
        for n in &mut self.nodes {
            if let Body::Router { balancer, .. } = &mut n.body {
                balancer.set_policy(pol);
            }
        }
        self.policy = pol.name().to_string();
        Ok(format!("routers balance by {}", pol.name()))
    }

    /// Per-node conservation: (node, arrived, completed, left, inside now
    /// by its own count of what it holds).
    #[must_use]
    pub fn node_ledgers(&self) -> Vec<Ledger> {
        self.nodes
            .iter()
            .map(|n| {
                let inside = match &n.body {
                    Body::Station { st, .. } => st.in_system() + n.swallowed,
                    Body::Source { outstanding, .. } => *outstanding,
                    Body::Router { .. } | Body::Sink => n.swallowed,
                };
                if n.kind == Kind::Source {
                    let c = &n.counts;
                    return Ledger {
                        entity: "requests",
                        arrived: c.arrivals,
                        in_system_at_reset: c.at_reset,
                        completed: c.completed,
                        left: Reject::ALL
                            .iter()
                            .map(|r| (r.key(), c.rejected[*r as usize]))
                            .collect(),
                        in_system: inside,
                    };
                }
                Ledger {
                    entity: "jobs",
                    arrived: n.stats.arrivals(),
                    in_system_at_reset: n.stats.in_system_at_reset(),
                    completed: n.stats.completed(),
                    left: Reject::ALL
                        .iter()
                        .map(|r| (r.key(), n.stats.rejected(*r)))
                        .collect(),
                    in_system: inside,
                }
            })
            .collect()
    }

    /// Node names, in the file's order.
    #[must_use]
    pub fn node_names(&self) -> Vec<&str> {
        self.nodes.iter().map(|n| n.name.as_str()).collect()
    }

    /// The state of node `i` (why it does not serve, if it does not).
    #[must_use]
    pub fn node_state(&self, i: usize) -> NodeState {
        self.nodes[i].state
    }

    /// When node `i` last came back (from down, unreachable or restarting).
    #[must_use]
    pub fn recovered_at(&self, i: usize) -> Option<SimTime> {
        self.nodes[i].recovered_at
    }

    /// Each logical request's time through the network.
    pub(super) fn time_in(&self) -> &Times {
        match self.time_in_at {
            Some(s) => &self.nodes[s].response,
            None => &self.time_in,
        }
    }

    // ---- jobs moving ----------------------------------------------------

    fn on_arrival(&mut self, cx: &mut Cx<'_>, i: usize, epoch: u32) {
        let now = cx.now();
        let node = &mut self.nodes[i];
        let reachable = node.reachable();
        let Body::Source {
            source,
            routing,
            client,
            outstanding,
        } = &mut node.body
        else {
            return;
        };
        if epoch != source.epoch() {
            return;
        }
        let (arrival, next) = source.arrive(now);
        if let Some(t) = next {
            cx.schedule(
                t,
                Event::Arrival {
                    node: i as u32,
                    epoch: source.epoch(),
                },
            );
        }
        let class = arrival.class as u32;
        if arrival.count == 1 && reachable && client.is_none() {
            // The common case, one plain job: what the loop below does
            // for it, with the node borrowed once.
            self.net.arrive(now, 1);
            node.counts.arrivals += 1;
            *outstanding += 1;
            self.plain_inside += 1;
            let to = routing.next(&mut node.rng);
            let job = self.jobs.add(Job {
                born: now,
                call: NO_CALL,
                stamp: 0,
                source: i as u32,
                class,
            });
            match to {
                Some(j) => self.deliver(cx, j, job),
                None => self.exit_job(cx, job),
            }
            return;
        }
        let has_client = client.is_some();
        self.arrive_each(cx, i, arrival.count, class, has_client, reachable);
    }

    /// The jobs of one arrival at source `i`, one by one.
    fn arrive_each(
        &mut self,
        cx: &mut Cx<'_>,
        i: usize,
        count: u32,
        class: u32,
        has_client: bool,
        reachable: bool,
    ) {
        let now = cx.now();
        for _ in 0..count {
            self.net.arrive(now, 1);
            if !reachable {
                let c = &mut self.nodes[i].counts;
                c.arrivals += 1;
                c.rejected[Reject::Unavailable as usize] += 1;
                self.net.reject(now, Reject::Unavailable);
                continue;
            }
            self.nodes[i].counts.arrivals += 1;
            if let Body::Source { outstanding, .. } = &mut self.nodes[i].body {
                *outstanding += 1;
            }
            if has_client {
                self.client_calls += 1;
                self.start_call(cx, i, Caller::Source, class, i as u32);
            } else {
                self.plain_inside += 1;
                let job = self.jobs.add(Job {
                    born: now,
                    call: NO_CALL,
                    stamp: 0,
                    source: i as u32,
                    class,
                });
                let node = &mut self.nodes[i];
                let to = match &node.body {
                    Body::Source { routing, .. } => routing.next(&mut node.rng),
                    _ => None,
                };
                match to {
                    Some(j) => self.deliver(cx, j, job),
                    None => self.exit_job(cx, job),
                }
            }
        }
    }

    /// `job` arrives at node `i`.
    #[inline]
    fn deliver(&mut self, cx: &mut Cx<'_>, i: usize, job: JobId) {
        let node = &self.nodes[i];
        // The common case, an ungated station, skips the gate and the
        // dispatch by kind.
        if node.gate.is_none() && matches!(node.body, Body::Station { .. }) {
            self.station_arrive(cx, i, job);
        } else {
            self.deliver_gated(cx, i, job);
        }
    }

    /// `job` arrives at station `i` (past its gate).
    // The arrival and finish handlers are the hot path: measured.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn station_arrive(&mut self, cx: &mut Cx<'_>, i: usize, job: JobId) {
        let now = cx.now();
        let class = self.jobs.get(job).class as usize;
        let node = &mut self.nodes[i];
        let Body::Station { st, .. } = &mut node.body else {
            return;
        };
        match st.arrive(now, job, class) {
            Arrive::Admitted(b) => {
                node.stats.arrive(now, 1);
                node.wait.record(SimTime::ZERO);
                cx.schedule(
                    b.at,
                    Event::Done {
                        node: i as u32,
                        slot: b.slot as u32,
                        token: b.token,
                    },
                );
            }
            Arrive::Queued => node.stats.arrive(now, 1),
            Arrive::Hung(job) => {
                node.stats.arrive(now, 1);
                node.swallowed += 1;
                self.jobs.remove(job);
            }
            Arrive::Rejected(job, why) => self.turned_away(cx, i, job, why),
        }
    }

    /// `job` is not let into node `i` (out of line: the arrival inlined
    /// everywhere stays small).
    #[cold]
    #[inline(never)]
    fn turned_away(&mut self, cx: &mut Cx<'_>, i: usize, job: JobId, why: Reject) {
        self.nodes[i].stats.reject_arrival(1, why);
        self.fail_job(cx, job, why);
    }

    /// `job` arrives at node `i`: through its restoration gate, if any,
    /// then by the node's kind (out of line, as for `turned_away`).
    #[inline(never)]
    fn deliver_gated(&mut self, cx: &mut Cx<'_>, i: usize, job: JobId) {
        let now = cx.now();
        let node = &mut self.nodes[i];
        if let Some(share) = node.gate {
            node.credit += share;
            if node.credit >= 1.0 {
                node.credit -= 1.0;
            } else {
                node.stats.reject_arrival(1, Reject::Shed);
                self.fail_job(cx, job, Reject::Shed);
                return;
            }
        }
        match node.kind {
            Kind::Station => self.station_arrive(cx, i, job),
            Kind::Router => {
                if !node.reachable() {
                    node.stats.reject_arrival(1, Reject::Unavailable);
                    self.fail_job(cx, job, Reject::Unavailable);
                    return;
                }
                if node.own.blackholed {
                    node.stats.arrive(now, 1);
                    node.swallowed += 1;
                    self.jobs.remove(job);
                    return;
                }
                if node.own.error_p > 0.0 && uniform(&mut node.rng) < node.own.error_p {
                    node.stats.reject_arrival(1, Reject::Error);
                    self.fail_job(cx, job, Reject::Error);
                    return;
                }
                if let Some(t) = self.choose(i) {
                    let node = &mut self.nodes[i];
                    node.stats.arrive(now, 1);
                    node.stats.complete_untimed(now);
                    self.deliver(cx, t, job);
                } else {
                    self.nodes[i].stats.reject_arrival(1, Reject::Unavailable);
                    self.fail_job(cx, job, Reject::Unavailable);
                }
            }
            Kind::Sink => {
                node.stats.arrive(now, 1);
                node.stats.complete_untimed(now);
                self.exit_job(cx, job);
            }
            Kind::Source => {
                // Validation keeps routes off sources.
                node.stats.reject_arrival(1, Reject::Unavailable);
                self.fail_job(cx, job, Reject::Unavailable);
            }
        }
    }

    /// The station router `i` sends the next job to, by its policy over
    /// its stations' views (`None`: none available).
    fn choose(&mut self, i: usize) -> Option<usize> {
        let mut views = match &mut self.nodes[i].body {
            Body::Router { views, .. } => std::mem::take(views),
            _ => return None,
        };
        views.clear();
        if let Body::Router { to, weights, .. } = &self.nodes[i].body {
            for (k, &t) in to.iter().enumerate() {
                let target = &self.nodes[t];
                let mut b = match &target.body {
                    Body::Station { st, .. } => st.backend(),
                    _ => Backend::default(),
                };
                b.available &= target.reachable();
                if let Some(w) = weights.get(k) {
                    b.weight = *w;
                }
                views.push(b);
            }
        }
        let node = &mut self.nodes[i];
        let Body::Router {
            balancer,
            to,
            views: keep,
            ..
        } = &mut node.body
        else {
            return None;
        };
        let chosen = balancer.choose(&views, &mut node.rng).map(|k| to[k]);
        *keep = views;
        chosen
    }

    fn on_done(&mut self, cx: &mut Cx<'_>, i: usize, slot: usize, token: u32) {
        let Body::Station { st, call, .. } = &self.nodes[i].body else {
            return;
        };
        if call.is_none() {
            // `finish` ignores a job lost in a crash (a stale token).
            self.finish(cx, i, slot, token, Ok(()));
            return;
        }
        let Some(outcome) = st.slot_outcome(slot, token) else {
            return; // lost in a crash and requeued
        };
        if outcome == Outcome::Complete {
            let class = 0;
            self.start_call(
                cx,
                i,
                Caller::Slot {
                    slot: slot as u32,
                    token,
                },
                class,
                NO_CALL,
            );
        } else {
            self.finish_at(cx, i, slot, token, Ok(()));
        }
    }

    /// The job on `slot` of station `i` is done: its own outcome, or
    /// `result` of the call it held the slot for.
    fn finish_at(
        &mut self,
        cx: &mut Cx<'_>,
        i: usize,
        slot: usize,
        token: u32,
        result: Result<(), Reject>,
    ) {
        self.finish(cx, i, slot, token, result);
    }

    /// [`Network::finish_at`], inlined into the finish event's handler.
    // The arrival and finish handlers are the hot path: measured.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn finish(
        &mut self,
        cx: &mut Cx<'_>,
        i: usize,
        slot: usize,
        token: u32,
        result: Result<(), Reject>,
    ) {
        let now = cx.now();
        let node = &mut self.nodes[i];
        let Body::Station { st, routing, .. } = &mut node.body else {
            return;
        };
        let Some(f) = st.finish(now, slot, token) else {
            return;
        };
        let verdict = match (f.outcome, result) {
            (Outcome::Complete, Ok(())) => Ok(()),
            (Outcome::Error, _) => Err(Reject::Error),
            (_, Err(r)) => Err(r),
        };
        // Where the job goes (`Ok(None)`: out of the network).
        let to = match verdict {
            Ok(()) => {
                node.stats.complete_untimed(now);
                node.response.record(f.response);
                Ok(routing.next(&mut node.rng))
            }
            Err(r) => {
                node.stats.reject(now, r);
                Err(r)
            }
        };
        if let Some(p) = f.next {
            Self::started(node, &mut self.jobs, cx, i, p);
        }
        match to {
            Ok(Some(j)) => self.deliver(cx, j, f.item),
            Ok(None) => self.exit_job(cx, f.item),
            Err(r) => self.fail_job(cx, f.item, r),
        }
    }

    fn start_pulled(&mut self, cx: &mut Cx<'_>, i: usize, p: Pulled<JobId>) {
        Self::started(&mut self.nodes[i], &mut self.jobs, cx, i, p);
    }

    /// Books the job station `node` (node `i`) took from its backlog.
    // The arrival and finish handlers are the hot path: measured.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn started(node: &mut NodeRt, jobs: &mut Jobs, cx: &mut Cx<'_>, i: usize, p: Pulled<JobId>) {
        match p {
            Pulled::Started(b) => {
                node.wait.record(b.waited);
                cx.schedule(
                    b.at,
                    Event::Done {
                        node: i as u32,
                        slot: b.slot as u32,
                        token: b.token,
                    },
                );
            }
            Pulled::Hung(job) => {
                node.swallowed += 1;
                jobs.remove(job);
            }
        }
    }

    /// Starts whatever station `i`'s free slots can take from its backlog.
    fn pull_all(&mut self, cx: &mut Cx<'_>, i: usize) {
        loop {
            let now = cx.now();
            let Body::Station { st, .. } = &mut self.nodes[i].body else {
                return;
            };
            let Some(p) = st.pull(now) else {
                return;
            };
            self.start_pulled(cx, i, p);
        }
    }

    /// A job leaves the network (or answers its call).
    #[inline]
    fn exit_job(&mut self, cx: &mut Cx<'_>, job: JobId) {
        let now = cx.now();
        let job = self.jobs.remove(job);
        if job.call == NO_CALL {
            self.plain_inside -= 1;
            self.net.complete_untimed(now);
            if self.time_in_at.is_none() {
                self.time_in.record(now - job.born);
            }
            self.source_done(job.source as usize, true, now, Reject::Error);
        } else {
            self.attempt_done(cx, job.call, job.stamp, Ok(()));
        }
    }

    /// A job fails (turned away, failed, shed).
    fn fail_job(&mut self, cx: &mut Cx<'_>, job: JobId, why: Reject) {
        let now = cx.now();
        let job = self.jobs.remove(job);
        if job.call == NO_CALL {
            self.plain_inside -= 1;
            self.net.reject(now, why);
            self.source_done(job.source as usize, false, now, why);
        } else {
            self.attempt_done(cx, job.call, job.stamp, Err(why));
        }
    }

    #[inline]
    fn source_done(&mut self, s: usize, ok: bool, now: SimTime, why: Reject) {
        let Some(node) = self.nodes.get_mut(s) else {
            return;
        };
        if let Body::Source { outstanding, .. } = &mut node.body {
            *outstanding -= 1;
            if ok {
                node.counts.completed += 1;
            } else {
                node.counts.rejected[why as usize] += 1;
            }
        }
        let _ = now;
    }

    // ---- calls ------------------------------------------------------------

    fn client_mut(&mut self, owner: usize) -> Option<&mut ClientRt> {
        match &mut self.nodes[owner].body {
            Body::Source { client, .. } => client.as_mut(),
            Body::Station { call, .. } => call.as_mut().map(|(_, c)| c),
            _ => None,
        }
    }

    fn start_call(
        &mut self,
        cx: &mut Cx<'_>,
        owner: usize,
        caller: Caller,
        class: u32,
        source: u32,
    ) {
        let c = Call {
            owner: owner as u32,
            caller,
            started: cx.now(),
            stamp: 0,
            retries: 0,
            state: CallState::InFlight,
            permit: false,
            trial: false,
            class,
            source,
            live: true,
        };
        let id = if let Some(id) = self.free_calls.pop() {
            self.calls[id as usize] = c;
            id
        } else {
            self.calls.push(c);
            (self.calls.len() - 1) as u32
        };
        let budget_on = self.retry_budget_on;
        if let Some(cl) = self.client_mut(owner)
            && let Some(ratio) = cl.budget
            && budget_on
        {
            cl.tokens = (cl.tokens + ratio).min(10.0_f64.max(ratio * 10.0));
        }
        self.send_attempt(cx, id);
    }

    /// Whether the caller of `id` still waits (a crash takes its slot).
    fn caller_alive(&self, id: u32) -> bool {
        let c = &self.calls[id as usize];
        match c.caller {
            Caller::Source => true,
            Caller::Slot { slot, token } => match &self.nodes[c.owner as usize].body {
                Body::Station { st, .. } => st.slot_outcome(slot as usize, token).is_some(),
                _ => false,
            },
        }
    }

    fn send_attempt(&mut self, cx: &mut Cx<'_>, id: u32) {
        let now = cx.now();
        let owner = self.calls[id as usize].owner as usize;
        self.next_stamp = self.next_stamp.wrapping_add(1);
        let stamp = self.next_stamp;
        let mut refused = false;
        let mut trial = false;
        let mut transition = None;
        let Some(cl) = self.client_mut(owner) else {
            return;
        };
        if let Some(b) = &mut cl.breaker {
            let (admit, tr) = b.admit(now);
            transition = tr;
            match admit {
                Admit::No => refused = true,
                Admit::Trial => trial = true,
                Admit::Yes => {}
            }
        }
        let timeout = cl.timeout;
        if let Some(t) = transition {
            let l = format!("{}: breaker {t:?}", self.nodes[owner].name);
            cx.log(l);
        }
        if refused {
            self.books.refused_by_breaker += 1;
            self.call_failed(cx, id, Reject::Unavailable);
            return;
        }
        self.books.attempts += 1;
        {
            let c = &mut self.calls[id as usize];
            c.stamp = stamp;
            c.trial = trial;
            c.state = CallState::InFlight;
            c.permit = false;
        }
        cx.schedule(now + timeout, Event::Timeout { call: id, stamp });
        let acquired = self
            .client_mut(owner)
            .and_then(|cl| cl.pool.as_mut())
            .map(|pool| pool.acquire(now, (id, stamp)));
        match acquired {
            None => {}
            Some(Acquire::Granted(_)) => self.calls[id as usize].permit = true,
            Some(Acquire::Waiting { .. }) => {
                self.calls[id as usize].state = CallState::WaitingPermit;
                return;
            }
            Some(Acquire::Rejected(_)) => {
                self.attempt_failed(cx, id, Reject::Full);
                return;
            }
        }
        self.dispatch(cx, id);
    }

    /// Sends the current attempt of call `id` to its target.
    fn dispatch(&mut self, cx: &mut Cx<'_>, id: u32) {
        let c = self.calls[id as usize];
        let owner = c.owner as usize;
        let node = &mut self.nodes[owner];
        let to = match &mut node.body {
            Body::Source { routing, .. } => routing.next(&mut node.rng),
            Body::Station {
                call: Some((t, _)), ..
            } => Some(*t),
            _ => None,
        };
        match to {
            Some(t) => {
                let job = self.jobs.add(Job {
                    born: cx.now(),
                    call: id,
                    stamp: c.stamp,
                    source: c.source,
                    class: c.class,
                });
                self.deliver(cx, t, job);
            }
            None => self.attempt_done(cx, id, c.stamp, Ok(())),
        }
    }

    /// Gives back call `id`'s permit and hands free permits on.
    fn release_permit(&mut self, cx: &mut Cx<'_>, id: u32) {
        let c = &mut self.calls[id as usize];
        if !std::mem::replace(&mut c.permit, false) {
            return;
        }
        let owner = c.owner as usize;
        if let Some(pool) = self.client_mut(owner).and_then(|cl| cl.pool.as_mut()) {
            pool.give_back();
        }
        loop {
            let Some((gid, stamp)) = self
                .client_mut(owner)
                .and_then(|cl| cl.pool.as_mut())
                .and_then(Bulkhead::grant_next)
            else {
                return;
            };
            let g = &mut self.calls[gid as usize];
            if g.live && g.stamp == stamp && g.state == CallState::WaitingPermit {
                g.permit = true;
                g.state = CallState::InFlight;
                self.dispatch(cx, gid);
            } else if let Some(pool) = self.client_mut(owner).and_then(|cl| cl.pool.as_mut()) {
                pool.give_back();
            }
        }
    }

    /// An attempt answered (`Ok`) or failed.
    fn attempt_done(&mut self, cx: &mut Cx<'_>, id: u32, stamp: u32, result: Result<(), Reject>) {
        let c = self.calls[id as usize];
        if !c.live || c.stamp != stamp || c.state != CallState::InFlight {
            if result.is_ok() {
                self.books.duplicates += 1;
            }
            return;
        }
        if !self.caller_alive(id) {
            self.abandon(cx, id);
            return;
        }
        self.release_permit(cx, id);
        let now = cx.now();
        let owner = c.owner as usize;
        let mut transition = None;
        if let Some(cl) = self.client_mut(owner)
            && let Some(b) = &mut cl.breaker
        {
            transition = if result.is_ok() {
                b.on_success(c.trial)
            } else {
                b.on_failure(c.trial, now)
            };
        }
        if let Some(t) = transition {
            let l = format!("{}: breaker {t:?}", self.nodes[owner].name);
            cx.log(l);
        }
        match result {
            Ok(()) => self.call_succeeded(cx, id),
            Err(why) => self.retry_or_fail(cx, id, why),
        }
    }

    /// The current attempt failed before reaching its target (pool full).
    fn attempt_failed(&mut self, cx: &mut Cx<'_>, id: u32, why: Reject) {
        self.retry_or_fail(cx, id, why);
    }

    fn on_timeout(&mut self, cx: &mut Cx<'_>, id: u32, stamp: u32) {
        let c = self.calls[id as usize];
        if !c.live || c.stamp != stamp || c.state == CallState::Backoff {
            return;
        }
        if !self.caller_alive(id) {
            self.abandon(cx, id);
            return;
        }
        self.books.timeouts += 1;
        let now = cx.now();
        let owner = c.owner as usize;
        if c.state == CallState::WaitingPermit {
            if let Some(cl) = self.client_mut(owner)
                && let Some(pool) = &mut cl.pool
            {
                let _ = pool.expire_waiter(now, |x| *x == (id, stamp));
            }
        } else {
            self.release_permit(cx, id);
        }
        if let Some(cl) = self.client_mut(owner)
            && let Some(b) = &mut cl.breaker
        {
            let _ = b.on_failure(c.trial, now);
        }
        self.calls[id as usize].state = CallState::Backoff;
        self.retry_or_fail(cx, id, Reject::Timeout);
    }

    fn retry_or_fail(&mut self, cx: &mut Cx<'_>, id: u32, why: Reject) {
        let c = self.calls[id as usize];
        let owner = c.owner as usize;
        let n = c.retries + 1;
        let budget_on = self.retry_budget_on;
        let Some(cl) = self.client_mut(owner) else {
            return;
        };
        let mut allowed = cl.retry.allows(n);
        if allowed && budget_on && cl.budget.is_some() {
            if cl.tokens >= 1.0 {
                cl.tokens -= 1.0;
            } else {
                allowed = false;
            }
        }
        if !allowed {
            self.call_failed(cx, id, why);
            return;
        }
        let delay = cl.retry.delay(n, &mut cl.rng).unwrap_or(SimTime::ZERO);
        self.books.retries += 1;
        let c = &mut self.calls[id as usize];
        c.retries = n;
        c.state = CallState::Backoff;
        let stamp = c.stamp;
        cx.schedule(cx.now() + delay, Event::Retry { call: id, stamp });
    }

    fn on_retry(&mut self, cx: &mut Cx<'_>, id: u32, stamp: u32) {
        let c = self.calls[id as usize];
        if !c.live || c.stamp != stamp || c.state != CallState::Backoff {
            return;
        }
        if !self.caller_alive(id) {
            self.abandon(cx, id);
            return;
        }
        self.send_attempt(cx, id);
    }

    fn free_call(&mut self, id: u32) {
        self.calls[id as usize].live = false;
        self.free_calls.push(id);
    }

    /// The caller is gone (its slot crashed): forget the call.
    fn abandon(&mut self, cx: &mut Cx<'_>, id: u32) {
        self.release_permit(cx, id);
        self.free_call(id);
    }

    fn call_succeeded(&mut self, cx: &mut Cx<'_>, id: u32) {
        let c = self.calls[id as usize];
        self.free_call(id);
        let now = cx.now();
        match c.caller {
            Caller::Source => {
                self.client_calls -= 1;
                self.net.complete_untimed(now);
                self.time_in.record(now - c.started);
                self.source_done(c.owner as usize, true, now, Reject::Error);
            }
            Caller::Slot { slot, token } => {
                self.finish_at(cx, c.owner as usize, slot as usize, token, Ok(()));
            }
        }
    }

    fn call_failed(&mut self, cx: &mut Cx<'_>, id: u32, why: Reject) {
        let c = self.calls[id as usize];
        if c.permit {
            self.release_permit(cx, id);
        }
        self.free_call(id);
        let now = cx.now();
        match c.caller {
            Caller::Source => {
                self.client_calls -= 1;
                self.net.reject(now, why);
                self.source_done(c.owner as usize, false, now, why);
            }
            Caller::Slot { slot, token } => {
                self.finish_at(cx, c.owner as usize, slot as usize, token, Err(why));
            }
        }
    }

    // ---- faults, dependencies, restoration --------------------------------

    /// Recomputes every node's state from the faults in force and its
    /// dependencies, dependencies first, and hands stations their effects.
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        let mut went_down = Vec::new();
        for k in 0..self.order.len() {
            let i = self.order[k];
            let mut own = self.faults.effect(i, now);
            let was_reachable = self.nodes[i].reachable();
            if own.down {
                if self.nodes[i].own.down || self.nodes[i].repair_at.is_some() {
                    if self.nodes[i].repair_at.is_some_and(|t| now >= t) {
                        own.down = false; // repaired by hand
                    }
                } else if self.nodes[i].repair.is_some() {
                    went_down.push(i);
                }
            } else {
                self.nodes[i].repair_at = None;
            }
            let cause = self.nodes[i]
                .deps
                .iter()
                .copied()
                .find(|&d| !self.nodes[d].reachable());
            let cause_name = cause.map(|d| self.nodes[d].name.clone());
            let n = &mut self.nodes[i];
            n.own = own;
            n.state = if !own.accepting() {
                NodeState::Down
            } else if let Some(d) = cause {
                n.waiting_deps = true;
                NodeState::Unreachable { cause: d }
            } else {
                if std::mem::replace(&mut n.waiting_deps, false) {
                    let at = now + n.restart;
                    n.restart_at = Some(at);
                    if at > now {
                        cx.schedule(at, Event::Refresh);
                    }
                }
                if n.restart_at.is_some_and(|t| now < t) {
                    NodeState::Restarting
                } else if own.degraded() {
                    NodeState::Degraded
                } else {
                    NodeState::Up
                }
            };
            if n.reachable() && !was_reachable {
                n.recovered_at = Some(now);
                let msg = format!("{} is back", n.name);
                cx.log(msg);
            } else if !n.reachable() && was_reachable {
                let msg = match (&n.state, cause_name) {
                    (NodeState::Unreachable { .. }, Some(c)) => {
                        format!("{}: unreachable, depends on {c}", n.name)
                    }
                    _ => format!("{} is down", n.name),
                };
                cx.log(msg);
            }
            self.apply_effect(cx, i);
        }
        for i in went_down {
            let Some((by_hand, via, without)) = self.nodes[i].repair else {
                continue;
            };
            let access = via.is_none_or(|v| self.nodes[v].reachable());
            let at = now + if access { by_hand } else { without };
            self.nodes[i].repair_at = Some(at);
            cx.schedule(at, Event::Refresh);
            let msg = format!(
                "{}: engineers on their way, repair in {:.0} min{}",
                self.nodes[i].name,
                (at - now).as_secs_f64() / 60.0,
                if access {
                    ""
                } else {
                    " (badges do not work: no access)"
                }
            );
            cx.log(msg);
        }
    }

    /// Hands station `i` the effect of its state.
    fn apply_effect(&mut self, cx: &mut Cx<'_>, i: usize) {
        let now = cx.now();
        let n = &mut self.nodes[i];
        let mut e = n.own;
        if !matches!(
            n.state,
            NodeState::Up | NodeState::Degraded | NodeState::Down
        ) {
            e.partitioned = true;
        }
        if let Body::Station { st, .. } = &mut n.body {
            st.set_effect(e);
            let slot = Effect {
                capacity_factor: 1.0,
                ..e
            };
            st.set_slot_effects(now, |_| slot);
            self.pull_all(cx, i);
        }
    }

    fn inject(&mut self, cx: &mut Cx<'_>, id: u64, fault: &Fault) -> Result<String, CommandError> {
        self.catalog.check(&Command::InjectFault {
            id,
            fault: fault.clone(),
        })?;
        let names: Vec<String> = self.nodes.iter().map(|n| n.name.clone()).collect();
        let target = Target::resolve(&fault.target, &names)?;
        if let Some(at) = self.faults.insert(id, fault.kind.clone(), target, cx.now()) {
            cx.schedule(at, Event::Refresh);
        }
        self.fault_names.insert(id, fault.to_string());
        self.refresh(cx);
        Ok(String::new())
    }

    /// A fault cleared: staged restoration begins, if on.
    fn restore(&mut self, cx: &mut Cx<'_>) {
        let Some((at, r)) = &self.restoration else {
            return;
        };
        if !self.staged_on {
            return;
        }
        let at = *at;
        let share = r.stages.first().copied().unwrap_or(1.0);
        let stage_s = r.stage_s;
        self.stage = 0;
        self.generation = self.generation.wrapping_add(1);
        self.nodes[at].gate = Some(share);
        self.nodes[at].credit = 0.0;
        let generation = self.generation;
        cx.schedule_in(secs(stage_s), Event::Stage { generation });
        let msg = format!(
            "restoration: {} lets {:.0} % of traffic in",
            self.nodes[at].name,
            share * 100.0
        );
        cx.log(msg);
    }

    fn on_stage(&mut self, cx: &mut Cx<'_>, generation: u32) {
        if generation != self.generation {
            return;
        }
        let Some((at, r)) = &self.restoration else {
            return;
        };
        let at = *at;
        self.stage += 1;
        let share = r.stages.get(self.stage).copied();
        let stage_s = r.stage_s;
        match share {
            Some(s) if s < 1.0 => {
                self.nodes[at].gate = Some(s);
                cx.schedule_in(secs(stage_s), Event::Stage { generation });
                let msg = format!("restoration: {:.0} % of traffic", s * 100.0);
                cx.log(msg);
            }
            _ => {
                self.nodes[at].gate = None;
                cx.log("restoration: all traffic back");
            }
        }
    }

    fn scale_arrivals(&mut self, cx: &mut Cx<'_>, f: f64) -> Result<String, CommandError> {
        if !(f.is_finite() && f >= 0.0) {
            return Err(CommandError::Invalid(format!(
                "arrival rate ×{f} is out of range"
            )));
        }
        for n in &self.nodes {
            if let Body::Source { source, .. } = &n.body
                && source.rate_at(cx.now()) * f > super::params::MAX_RATE_PER_S
            {
                return Err(CommandError::Invalid(format!(
                    "arrival rate ×{f} is out of range (at most {} per second at a source)",
                    super::params::MAX_RATE_PER_S
                )));
            }
        }
        for i in 0..self.nodes.len() {
            if let Body::Source { source, .. } = &mut self.nodes[i].body {
                let new = source.scale() * f;
                if let Some(t) = source.set_scale(cx.now(), new) {
                    let epoch = source.epoch();
                    cx.schedule(
                        t,
                        Event::Arrival {
                            node: i as u32,
                            epoch,
                        },
                    );
                }
            }
        }
        Ok(format!("arrivals × {f}"))
    }

    fn toggle(&mut self, cx: &mut Cx<'_>, name: &str, on: bool) -> Result<String, CommandError> {
        match name {
            "retry_budget" => {
                self.retry_budget_on = on;
                Ok(format!("retry budget {}", if on { "on" } else { "off" }))
            }
            "staged_restoration" => {
                self.staged_on = on;
                if !on {
                    self.generation = self.generation.wrapping_add(1);
                    if let Some((at, _)) = &self.restoration {
                        self.nodes[*at].gate = None;
                    }
                }
                let _ = cx;
                Ok(format!(
                    "staged restoration {}",
                    if on { "on" } else { "off" }
                ))
            }
            other => Err(CommandError::UnknownToggle {
                name: other.to_string(),
                expected: self
                    .catalog
                    .toggles
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

/// The one station of a network whose jobs all come straight from its
/// sources and leave it straight out of the network, if this one is such:
/// one station, no routers or sinks, every source without a client sending
/// everything to it, the station routing nothing on and making no calls.
/// Then each job enters the station at the instant it enters the network
/// (both times count from that instant, a requeue after a crash included)
/// and leaves the network only when it leaves the station done, so the
/// station's response times and the requests' times through the network
/// are the same values recorded in the same order: one book serves both.
/// Commands change none of this (faults, gates and rates only turn jobs
/// away, swallow or delay them).
fn sole_station(nodes: &[NodeRt]) -> Option<usize> {
    let mut station = None;
    for (i, n) in nodes.iter().enumerate() {
        match &n.body {
            Body::Station { routing, call, .. } => {
                if station.is_some() || call.is_some() || !matches!(routing.way, Way::Out) {
                    return None;
                }
                station = Some(i);
            }
            Body::Source { client: None, .. } => {}
            Body::Source { .. } | Body::Router { .. } | Body::Sink => return None,
        }
    }
    let s = station?;
    nodes
        .iter()
        .all(|n| match &n.body {
            Body::Source { routing, .. } => matches!(routing.way, Way::Certain(t) if t == s),
            _ => true,
        })
        .then_some(s)
}

impl Model for Network {
    type Event = Event;
    type Queue = Queue;

    #[inline]
    fn handle(&mut self, cx: &mut Cx<'_>, event: Event) {
        match event {
            Event::Arrival { node, epoch } => self.on_arrival(cx, node as usize, epoch),
            Event::Done { node, slot, token } => {
                self.on_done(cx, node as usize, slot as usize, token);
            }
            Event::Timeout { call, stamp } => self.on_timeout(cx, call, stamp),
            Event::Retry { call, stamp } => self.on_retry(cx, call, stamp),
            Event::Refresh => self.refresh(cx),
            Event::Stage { generation } => self.on_stage(cx, generation),
            // The runtime's sample tick (see `observe`).
            Event::Sample => {}
        }
    }

    fn apply(&mut self, cx: &mut Cx<'_>, cmd: &Command) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => self.set_policy(name),
            Command::ScaleArrivals(f) => self.scale_arrivals(cx, *f),
            Command::InjectFault { id, fault } => self.inject(cx, *id, fault),
            Command::ClearFault(id) => {
                if self.faults.remove(*id) {
                    self.fault_names.remove(id);
                    self.refresh(cx);
                    self.restore(cx);
                }
                Ok(String::new())
            }
            Command::ClearFaults => {
                let had = !self.faults.is_empty();
                self.faults.clear();
                self.fault_names.clear();
                self.refresh(cx);
                if had {
                    self.restore(cx);
                }
                Ok(if had {
                    "all faults cleared".to_string()
                } else {
                    String::new()
                })
            }
            Command::Toggle { name, on } => self.toggle(cx, name, *on),
        }
    }

    fn snapshot(&self, now: SimTime, history: &History) -> Snapshot {
        self.view(now, history)
    }

    fn sampling(&self) -> Sampling {
        let after_first = crate::sim::Start::FirstSample;
        Sampling::new(self.sample, 600)
            .counter(series::ARRIVALS, "arrivals", 1.0, after_first)
            .counter(series::ANSWERED, "answered", 1.0, after_first)
            .counter(series::FAILED, "failed", 1.0, after_first)
            .level(series::INSIDE, "requests in the network")
    }

    #[inline]
    fn is_sample(event: &Event) -> bool {
        matches!(event, Event::Sample)
    }

    fn observe(&mut self, _now: SimTime, probe: &mut Probe<'_>) {
        probe.counter(series::ARRIVALS, self.net.arrivals());
        probe.counter(series::ANSWERED, self.net.completed());
        probe.counter(series::FAILED, self.net.rejected_total());
        probe.level(series::INSIDE, self.net.in_system() as f64);
    }

    fn metrics(&self, now: SimTime) -> Metrics {
        self.observe(now)
    }

    fn analytic(&self, now: SimTime) -> crate::sim::ClosedForms {
        self.closed_forms(now)
    }

    fn ledger(&self, _now: SimTime) -> Ledger {
        Ledger {
            entity: "requests",
            arrived: self.net.arrivals(),
            in_system_at_reset: self.net.in_system_at_reset(),
            completed: self.net.completed(),
            left: Reject::ALL
                .iter()
                .map(|r| (r.key(), self.net.rejected(*r)))
                .collect(),
            in_system: self.plain_inside + self.client_calls,
        }
    }

    fn reset_statistics(&mut self, now: SimTime) {
        self.net.reset(now);
        self.time_in.reset();
        self.books = CallBooks::default();
        for n in &mut self.nodes {
            n.stats.reset(now);
            n.wait.reset();
            n.response.reset();
            if let Body::Source { outstanding, .. } = &n.body {
                n.counts = Counts {
                    at_reset: *outstanding,
                    since: now,
                    ..Counts::default()
                };
            }
            if let Body::Station { st, .. } = &mut n.body {
                st.reset_statistics(now);
            }
        }
    }

    fn policy(&self) -> String {
        self.policy.clone()
    }

    fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::FaultKind;
    use crate::sim::{EventLog, Runtime, World};
    use crate::world::WorldSpec;

    fn params(nodes: &str) -> NetworkParams {
        let text = format!(
            "Scenario(name: \"t\", title: \"t\", duration_s: 1000, world: Network((nodes: [{nodes}], \
             staged_restoration_on: true, \
             restoration: Some((at: \"s\", stages: [0.25, 0.5], stage_s: 30)))))"
        );
        match crate::scenario::parse("t", &text).expect("valid").world {
            WorldSpec::Network(p) => p,
            _ => panic!("a network"),
        }
    }

    fn sole(nodes: &str) -> Option<usize> {
        let (n, _) = Network::new(&params(nodes), 1).expect("builds");
        n.time_in_at
    }

    const ONE: &str = "Source(name: \"in\", rate_per_s: 3.6, to: [(to: \"s\")]), \
         Source(name: \"in2\", rate_per_s: 0.5, to: [(to: \"s\", p: 1.0)]), \
         Station(name: \"s\", servers: 4, capacity: 20, service_rate_per_s: 1.0)";

    #[test]
    fn only_a_station_fed_straight_by_its_sources_and_left_straight_stands_for_the_network() {
        assert_eq!(sole(ONE), Some(2));
        let s = "Station(name: \"s\", servers: 1, capacity: 5, service_rate_per_s: 1.0";
        let into = "Source(name: \"in\", rate_per_s: 0.5, to: [(to: \"s\")])";
        for other in [
            // Routed on, in part or in all.
            format!("{into}, {s}, routes: [(to: \"s\", p: 0.2)])"),
            format!(
                "{into}, {s}, routes: [(to: \"t\", p: 1.0)]), {s2})",
                s2 = s.replace("\"s\"", "\"t\"")
            ),
            // A second station, a split, a router, a sink.
            format!(
                "Source(name: \"in\", rate_per_s: 0.5, to: [(to: \"s\", p: 0.5), (to: \"t\", p: 0.5)]), {s}), {})",
                s.replace("\"s\"", "\"t\"")
            ),
            format!(
                "Source(name: \"in\", rate_per_s: 0.5, to: [(to: \"lb\")]), Router(name: \"lb\", policy: \"random\", to: [\"s\"]), {s})"
            ),
            format!("{into}, {s}), Sink(name: \"out\")"),
        ] {
            assert_eq!(sole(&other), None, "{other}");
        }
    }

    /// Jobs held by the network's table: those its stations hold, no
    /// more (none leaks when one is swallowed, turned away, fails or
    /// times out) and no fewer.
    fn held(n: &Network) -> (usize, u64) {
        let live = n.jobs.all.len() - n.jobs.free.len();
        let inside = n
            .nodes
            .iter()
            .map(|node| match &node.body {
                Body::Station { st, .. } => st.in_system(),
                _ => 0,
            })
            .sum();
        (live, inside)
    }

    #[test]
    fn the_jobs_table_holds_exactly_what_the_stations_hold() {
        let p = params(
            "Source(name: \"in\", rate_per_s: 6.0, to: [(to: \"lb\", p: 0.8), (to: \"s\", p: 0.2)]), \
             Source(name: \"users\", rate_per_s: 2.0, to: [(to: \"api\")], \
               client: Some((timeout_s: 1.5, retries: 2, backoff_s: 0.2, pool: Some((size: 3, max_waiting: 2))))), \
             Router(name: \"lb\", policy: \"least-loaded\", to: [\"s\", \"api\"]), \
             Station(name: \"s\", servers: 2, capacity: 8, service_rate_per_s: 4.0, routes: [(to: \"api\", p: 0.3), (to: \"out\", p: 0.3)]), \
             Station(name: \"api\", servers: 3, capacity: 10, service_rate_per_s: 5.0, call: Some(\"db\"), \
               client: Some((timeout_s: 0.5, retries: 1))), \
             Station(name: \"db\", servers: 1, capacity: 4, service_rate_per_s: 6.0), \
             Sink(name: \"out\")",
        );
        let (m, q) = Network::new(&p, 3).expect("builds");
        let mut w = Runtime::new(m, q);
        let mut log = EventLog::default();
        let faults = [
            ("blackhole", "lb"),
            ("blackhole", "db"),
            ("kill", "api"),
            ("error-rate", "s"),
            ("partition", "db"),
            ("latency", "db"),
            ("blackhole", "api"),
            ("kill", "s"),
        ];
        for (id, (kind, target)) in faults.iter().enumerate() {
            for _ in 0..3000 {
                w.advance(SimTime::MAX, 1, &mut log);
                let (live, inside) = held(w.model());
                assert_eq!(live as u64, inside, "{kind} at {target}: {:?}", w.now());
            }
            let cmd = inject(id, kind, target);
            if w.catalog().check(&cmd).is_ok() {
                w.apply(&cmd, &mut log).expect("applies");
            }
            if id % 2 == 1 {
                w.apply(&Command::ClearFaults, &mut log).expect("clears");
            }
        }
        let (live, inside) = held(w.model());
        assert_eq!(live as u64, inside);
        assert!(
            w.model().nodes.iter().any(|n| n.swallowed > 0),
            "something was swallowed"
        );
    }

    /// Fault `id` of `kind` at `target`, for as long as it is not cleared.
    fn inject(id: usize, kind: &str, target: &str) -> Command {
        Command::InjectFault {
            id: id as u64,
            fault: Fault {
                kind: FaultKind::named(kind),
                target: target.to_string(),
                duration_s: None,
            },
        }
    }

    /// The same one-station network run twice on the same seed through
    /// faults at the station and at a source, a staged restoration and a
    /// reset: once reading the station's book for the times through the
    /// network, once keeping them apart. Every metric is the same, bit
    /// for bit.
    #[test]
    fn the_stations_book_reads_as_the_networks_own_would() {
        let p = params(ONE);
        let run = |apart: bool| {
            let (mut m, q) = Network::new(&p, 7).expect("builds");
            assert_eq!(m.time_in_at, Some(2));
            if apart {
                m.time_in_at = None;
            }
            let mut w = Runtime::new(m, q);
            let mut log = EventLog::default();
            let mut at = 0.0;
            let faults = [
                ("kill", "s"),
                ("error-rate", "s"),
                ("blackhole", "s"),
                ("slowdown", "s"),
                ("capacity-drop", "s"),
                ("partition", "s"),
                ("latency", "s"),
                ("kill", "in"),
                ("partition", "in2"),
            ];
            for (id, (kind, target)) in faults.iter().enumerate() {
                at += 400.0;
                w.advance(SimTime::from_secs_f64(at), u64::MAX, &mut log);
                let cmd = inject(id, kind, target);
                if w.catalog().check(&cmd).is_ok() {
                    w.apply(&cmd, &mut log).expect("applies");
                }
                w.advance(SimTime::from_secs_f64(at + 150.0), u64::MAX, &mut log);
                w.apply(&Command::ClearFault(id as u64), &mut log)
                    .expect("clears");
                if id == 4 {
                    w.reset_statistics();
                }
            }
            w.advance(SimTime::from_secs_f64(at + 1000.0), u64::MAX, &mut log);
            w.metrics()
        };
        let (read, kept) = (run(false), run(true));
        assert!(read["mean_time_in_network_s"] > 0.0);
        assert_eq!(read.len(), kept.len());
        for ((k, a), (l, b)) in read.iter().zip(&kept) {
            assert_eq!(k, l);
            assert_eq!(a.to_bits(), b.to_bits(), "{k}: {a} read, {b} kept");
        }
    }
}
