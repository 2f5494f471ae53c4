//! The network world's parameters (a scenario's `world: Network((…))`),
//! their validation (every problem points at the node and field it is
//! about), and the [`catalog`] a network built from them offers, known
//! without building it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::model::Network;
use crate::fault::{FaultCatalog, FaultKind, FaultTemplate, TargetSpec};
use crate::policy::Policy;
use crate::sim::blocks::resilience::retry::Jitter;
use crate::sim::blocks::servers::ServiceDist;
use crate::sim::world::ToggleSpec;
use crate::sim::{Catalog, Runtime, World};
use crate::world::{BuildError, ParamIssue, WorldParams};

/// One routing edge: send a share `p` of what leaves a node to `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub to: String,
    #[serde(default = "one")]
    pub p: f64,
}

/// A burst on a source: its rate × `multiplier` from `at_s` for `duration_s`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spike {
    pub at_s: f64,
    pub duration_s: f64,
    pub multiplier: f64,
}

/// A circuit breaker on a client: opens after `failures` consecutive
/// failures, refuses every call for `open_s`, then lets `trials` through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    #[serde(default = "d_failures")]
    pub failures: u32,
    #[serde(default = "d_open")]
    pub open_s: f64,
    #[serde(default = "d_trials")]
    pub trials: u32,
}

/// A connection pool (bulkhead) in front of a client's calls: at most
/// `size` attempts in flight; others wait (at most `max_waiting`) inside
/// their own timeout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub size: u32,
    #[serde(default = "d_waiting")]
    pub max_waiting: u32,
}

/// How a caller waits for an answer: a timeout per attempt, retries with
/// exponential backoff and jitter, an optional retry budget (retries
/// allowed per new request), breaker and pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub timeout_s: f64,
    #[serde(default)]
    pub retries: u32,
    #[serde(default = "d_backoff")]
    pub backoff_s: f64,
    #[serde(default = "d_multiplier")]
    pub backoff_multiplier: f64,
    #[serde(default = "d_cap")]
    pub backoff_cap_s: f64,
    #[serde(default = "d_jitter")]
    pub jitter: Jitter,
    /// Retries earned per new request (0.1: one retry per ten requests).
    #[serde(default)]
    pub retry_budget: Option<f64>,
    #[serde(default)]
    pub breaker: Option<BreakerSpec>,
    #[serde(default)]
    pub pool: Option<PoolSpec>,
}

/// Who repairs a node that went down with no restart of its own (a kill
/// with no `restart_after_s`): people, after `by_hand_s` when `access_via`
/// (the badge readers) is up when it fails, else after `without_access_s`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repair {
    pub by_hand_s: f64,
    #[serde(default)]
    pub access_via: Option<String>,
    #[serde(default)]
    pub without_access_s: f64,
}

/// Traffic let back in stages after a fault clears: at node `at`, only
/// the share `stages[i]` of arrivals is admitted (the rest is shed, fast)
/// for `stage_s` each, then everything.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restoration {
    pub at: String,
    pub stages: Vec<f64>,
    pub stage_s: f64,
}

/// A node of the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Node {
    /// Poisson arrivals at `rate_per_s` (times `schedule` steps, spikes).
    Source {
        name: String,
        rate_per_s: f64,
        /// `(at_s, rate_per_s)` steps (a ramp between points with `ramp`).
        #[serde(default)]
        schedule: Vec<(f64, f64)>,
        #[serde(default)]
        ramp: bool,
        #[serde(default)]
        spikes: Vec<Spike>,
        /// Entity classes by weight (class 0 first under `Priority`).
        #[serde(default)]
        classes: Vec<f64>,
        to: Vec<Route>,
        /// Requests wait for their answer (timeouts, retries).
        #[serde(default)]
        client: Option<Client>,
        #[serde(default)]
        depends_on: Vec<String>,
    },
    /// `servers` slots, room for `capacity` in all (M/M/c/K).
    Station {
        name: String,
        servers: u32,
        capacity: u32,
        service_rate_per_s: f64,
        #[serde(default)]
        service: ServiceDist,
        /// Serve class 0 first (else first come, first served).
        #[serde(default)]
        priority: bool,
        /// Where a finished job goes; the rest leaves the network.
        #[serde(default)]
        routes: Vec<Route>,
        /// After its service, a job calls this node and holds its slot
        /// until the answer (or the client gives up).
        #[serde(default)]
        call: Option<String>,
        #[serde(default)]
        client: Option<Client>,
        #[serde(default)]
        depends_on: Vec<String>,
        /// Seconds to come back once every dependency is back.
        #[serde(default)]
        restart_s: f64,
        #[serde(default)]
        repair: Option<Repair>,
    },
    /// Sends each job to one of `to` (stations) by a balancing policy.
    Router {
        name: String,
        #[serde(default = "d_policy")]
        policy: String,
        to: Vec<String>,
        #[serde(default)]
        weights: Vec<f64>,
        #[serde(default)]
        depends_on: Vec<String>,
        #[serde(default)]
        restart_s: f64,
        #[serde(default)]
        repair: Option<Repair>,
    },
    /// Where jobs leave, counted.
    Sink { name: String },
}

/// What kind of node it is, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Source,
    Station,
    Router,
    Sink,
}

impl Node {
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Node::Source { name, .. }
            | Node::Station { name, .. }
            | Node::Router { name, .. }
            | Node::Sink { name } => name,
        }
    }

    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Node::Source { .. } => Kind::Source,
            Node::Station { .. } => Kind::Station,
            Node::Router { .. } => Kind::Router,
            Node::Sink { .. } => Kind::Sink,
        }
    }

    #[must_use]
    pub fn depends_on(&self) -> &[String] {
        match self {
            Node::Source { depends_on, .. }
            | Node::Station { depends_on, .. }
            | Node::Router { depends_on, .. } => depends_on,
            Node::Sink { .. } => &[],
        }
    }

    #[must_use]
    pub fn restart_s(&self) -> f64 {
        match self {
            Node::Station { restart_s, .. } | Node::Router { restart_s, .. } => *restart_s,
            Node::Source { .. } | Node::Sink { .. } => 0.0,
        }
    }

    #[must_use]
    pub fn repair(&self) -> Option<&Repair> {
        match self {
            Node::Station { repair, .. } | Node::Router { repair, .. } => repair.as_ref(),
            Node::Source { .. } | Node::Sink { .. } => None,
        }
    }

    /// Probabilistic edges out (sources and stations).
    #[must_use]
    pub fn routes(&self) -> &[Route] {
        match self {
            Node::Source { to, .. } => to,
            Node::Station { routes, .. } => routes,
            Node::Router { .. } | Node::Sink { .. } => &[],
        }
    }

    #[must_use]
    pub fn client(&self) -> Option<&Client> {
        match self {
            Node::Source { client, .. } | Node::Station { client, .. } => client.as_ref(),
            Node::Router { .. } | Node::Sink { .. } => None,
        }
    }
}

/// Parameters of the network world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkParams {
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub restoration: Option<Restoration>,
    /// Whether clients keep their retry budgets (switch `retry_budget`).
    #[serde(default = "yes")]
    pub retry_budget_on: bool,
    /// Whether restoration is staged (switch `staged_restoration`).
    #[serde(default = "yes")]
    pub staged_restoration_on: bool,
    #[serde(default = "d_sample")]
    pub sample_every_s: f64,
}

fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}
fn d_sample() -> f64 {
    1.0
}
fn d_failures() -> u32 {
    5
}
fn d_open() -> f64 {
    30.0
}
fn d_trials() -> u32 {
    3
}
fn d_waiting() -> u32 {
    1000
}
fn d_backoff() -> f64 {
    0.1
}
fn d_multiplier() -> f64 {
    2.0
}
fn d_cap() -> f64 {
    10.0
}
fn d_jitter() -> Jitter {
    Jitter::Full
}
fn d_policy() -> String {
    "round-robin".to_string()
}

/// Caps that keep a shared file from asking for unbounded work or memory.
pub const MAX_NODES: usize = 500;
pub const MAX_EDGES: usize = 500;
pub const MAX_SERVERS: u32 = 10_000;
pub const MAX_CAPACITY: u32 = 1_000_000;
/// Room summed over every station.
pub const MAX_TOTAL_CAPACITY: u64 = 10_000_000;
pub const MAX_RATE_PER_S: f64 = 1.0e6;
pub const MAX_RETRIES: u32 = 100;
pub const MAX_TIME_S: f64 = 86_400.0;
pub const MAX_NAME: usize = 40;

/// The node index by name (first of a name).
pub(super) fn index(p: &NetworkParams) -> BTreeMap<&str, usize> {
    let mut m = BTreeMap::new();
    for (i, n) in p.nodes.iter().enumerate() {
        m.entry(n.name()).or_insert(i);
    }
    m
}

/// The field path of `field` in node `name` (see `locate_path`).
fn at(name: &str, field: &str) -> String {
    if field.is_empty() {
        format!("nodes/name=\"{name}\"")
    } else {
        format!("nodes/name=\"{name}\"/{field}")
    }
}

/// "unknown node `x` …; nodes: a, b (did you mean `b`?)"
fn unknown_node(what: &str, found: &str, names: &[&str]) -> String {
    // Names as the user wrote them may be long or many: clip both.
    let shown: Vec<String> = names
        .iter()
        .take(40)
        .map(|n| crate::scenario::error::clip(n, 40))
        .collect();
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    let more = if names.len() > 40 { ", …" } else { "" };
    let mut m = format!(
        "{what}: unknown node `{}`; nodes: {}{more}",
        crate::scenario::error::clip(found, 40),
        crate::fault::catalog::summarise(&shown)
    );
    if let Some(e) = crate::fault::catalog::closest(found, names) {
        let _ = write!(m, " (did you mean `{e}`?)");
    }
    m
}

fn time_ok(v: f64) -> bool {
    v.is_finite() && (0.0..=MAX_TIME_S).contains(&v)
}

impl NetworkParams {
    /// Every problem found, in the order of the file.
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        let mut out = Vec::new();
        let mut push = |field: String, message: String| {
            out.push(ParamIssue { field, message });
        };
        if self.nodes.len() > MAX_NODES {
            push(
                "nodes".into(),
                format!(
                    "the network has {} nodes; at most {MAX_NODES} are allowed",
                    self.nodes.len()
                ),
            );
            return out;
        }
        if !self.nodes.iter().any(|n| n.kind() == Kind::Source) {
            push(
                "nodes".into(),
                "the network has no Source node: nothing would ever arrive".into(),
            );
        }
        let idx = index(self);
        let names: Vec<&str> = self.nodes.iter().map(Node::name).collect();
        let mut seen = BTreeMap::new();
        let mut total_capacity = 0u64;
        for (i, n) in self.nodes.iter().enumerate() {
            let name = n.name();
            let ok_name = !name.is_empty()
                && name.chars().count() <= MAX_NAME
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && name != "all";
            if !ok_name {
                push(
                    at(name, ""),
                    format!(
                        "node name `{}` must be 1 to {MAX_NAME} letters, digits, `-` or `_` (and not `all`)",
                        crate::scenario::error::clip(name, 40)
                    ),
                );
                continue;
            }
            if seen.insert(name, i).is_some() {
                push(
                    format!("nodes/name=\"{name}\"/name=\"{name}\""),
                    format!("node `{name}` is declared twice; names must be unique"),
                );
                continue;
            }
            let check_ref = |field: &str, target: &str, out: &mut Vec<(String, String)>| {
                if !idx.contains_key(target) {
                    out.push((
                        format!("{}/\"{target}\"", at(name, field)),
                        unknown_node(&format!("`{name}`"), target, &names),
                    ));
                }
            };
            let mut refs = Vec::new();
            let routes = n.routes();
            if routes.len() > MAX_EDGES || n.depends_on().len() > MAX_EDGES {
                push(
                    at(name, ""),
                    format!("`{name}` has more than {MAX_EDGES} edges"),
                );
                continue;
            }
            let mut sum = 0.0;
            for r in routes {
                check_ref(
                    if n.kind() == Kind::Source {
                        "to"
                    } else {
                        "routes"
                    },
                    &r.to,
                    &mut refs,
                );
                if !(r.p.is_finite() && (0.0..=1.0).contains(&r.p)) {
                    refs.push((
                        format!("{}/\"{}\"", at(name, "routes"), r.to),
                        format!(
                            "`{name}` → `{}`: p must be between 0 and 1, got {}",
                            r.to, r.p
                        ),
                    ));
                }
                sum += r.p;
                if let Some(&j) = idx.get(r.to.as_str())
                    && self.nodes[j].kind() == Kind::Source
                {
                    refs.push((
                        format!(
                            "{}/\"{}\"",
                            at(
                                name,
                                if n.kind() == Kind::Source {
                                    "to"
                                } else {
                                    "routes"
                                }
                            ),
                            r.to
                        ),
                        format!(
                            "`{name}` routes to `{}`, a Source: nothing can be sent to a source",
                            r.to
                        ),
                    ));
                }
            }
            for d in n.depends_on() {
                check_ref("depends_on", d, &mut refs);
            }
            for (f, m) in refs {
                push(f, m);
            }
            match n {
                Node::Source {
                    rate_per_s,
                    schedule,
                    spikes,
                    classes,
                    to,
                    ..
                } => {
                    if !(rate_per_s.is_finite() && (0.0..=MAX_RATE_PER_S).contains(rate_per_s)) {
                        push(
                            at(name, "rate_per_s"),
                            format!(
                                "rate_per_s must be between 0 and {MAX_RATE_PER_S}, got {rate_per_s}"
                            ),
                        );
                    }
                    if schedule.len() > MAX_EDGES
                        || schedule.iter().any(|(t, r)| {
                            !(time_ok(*t / 30.0)
                                && r.is_finite()
                                && (0.0..=MAX_RATE_PER_S).contains(r))
                        })
                    {
                        push(
                            at(name, "schedule"),
                            format!(
                                "schedule steps must be (at_s ≥ 0, rate_per_s between 0 and {MAX_RATE_PER_S}), at most {MAX_EDGES}"
                            ),
                        );
                    }
                    if spikes.len() > MAX_EDGES
                        || spikes.iter().any(|s| {
                            !(time_ok(s.at_s / 30.0)
                                && time_ok(s.duration_s)
                                && s.multiplier.is_finite()
                                && (0.0..=1000.0).contains(&s.multiplier))
                        })
                    {
                        push(
                            at(name, "spikes"),
                            "spikes need at_s ≥ 0, duration_s ≥ 0 and a multiplier between 0 and 1000".to_string(),
                        );
                    }
                    if classes.len() > 16 || classes.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
                        push(
                            at(name, "classes"),
                            "classes are at most 16 weights ≥ 0".to_string(),
                        );
                    }
                    if to.is_empty() {
                        push(
                            at(name, "to"),
                            format!(
                                "source `{name}` sends nowhere: give it `to: [(to: \"…\", p: 1.0)]`"
                            ),
                        );
                    } else if (sum - 1.0).abs() > 1e-9 {
                        push(
                            at(name, "to"),
                            format!(
                                "the routes out of source `{name}` sum to {sum}; they must sum to 1"
                            ),
                        );
                    }
                }
                Node::Station {
                    servers,
                    capacity,
                    service_rate_per_s,
                    service,
                    call,
                    client,
                    restart_s,
                    ..
                } => {
                    if *servers == 0 || *servers > MAX_SERVERS {
                        push(
                            at(name, "servers"),
                            format!("servers must be between 1 and {MAX_SERVERS}, got {servers}"),
                        );
                    }
                    if *capacity > MAX_CAPACITY {
                        push(
                            at(name, "capacity"),
                            format!(
                                "capacity must be ≤ {MAX_CAPACITY} (a finite room), got {capacity}"
                            ),
                        );
                    } else if capacity < servers {
                        push(
                            at(name, "capacity"),
                            format!(
                                "capacity ({capacity}) must be ≥ servers ({servers}): K counts those being served"
                            ),
                        );
                    }
                    total_capacity += u64::from(*capacity);
                    if !(service_rate_per_s.is_finite()
                        && *service_rate_per_s > 0.0
                        && *service_rate_per_s <= MAX_RATE_PER_S)
                    {
                        push(
                            at(name, "service_rate_per_s"),
                            format!(
                                "service_rate_per_s must be > 0 and ≤ {MAX_RATE_PER_S}, got {service_rate_per_s}"
                            ),
                        );
                    }
                    match service {
                        ServiceDist::Erlang { k } if *k == 0 || *k > 1000 => push(
                            at(name, "service"),
                            format!("Erlang k must be between 1 and 1000, got {k}"),
                        ),
                        ServiceDist::Lognormal { cv }
                            if !(cv.is_finite() && *cv > 0.0 && *cv <= 100.0) =>
                        {
                            push(
                                at(name, "service"),
                                format!("Lognormal cv must be > 0 and ≤ 100, got {cv}"),
                            );
                        }
                        _ => {}
                    }
                    if sum > 1.0 + 1e-9 {
                        push(
                            at(name, "routes"),
                            format!(
                                "the routes out of `{name}` sum to {sum}, above 1 (what is left over leaves the network)"
                            ),
                        );
                    }
                    match (call, client) {
                        (Some(c), _) => {
                            if !idx.contains_key(c.as_str()) {
                                push(
                                    format!("{}/\"{c}\"", at(name, "call")),
                                    unknown_node(&format!("`{name}` calls"), c, &names),
                                );
                            } else if c == name {
                                push(at(name, "call"), format!("`{name}` cannot call itself"));
                            } else if let Some(&j) = idx.get(c.as_str())
                                && !matches!(self.nodes[j].kind(), Kind::Station | Kind::Router)
                            {
                                push(
                                    at(name, "call"),
                                    format!(
                                        "`{name}` calls `{c}`, which is not a Station or Router"
                                    ),
                                );
                            }
                        }
                        (None, Some(_)) => push(
                            at(name, "client"),
                            format!("`{name}` has a client but no `call`: name the node it calls"),
                        ),
                        (None, None) => {}
                    }
                    if !time_ok(*restart_s) {
                        push(
                            at(name, "restart_s"),
                            format!(
                                "restart_s must be between 0 and {MAX_TIME_S}, got {restart_s}"
                            ),
                        );
                    }
                }
                Node::Router {
                    policy,
                    to,
                    weights,
                    restart_s,
                    ..
                } => {
                    if Policy::from_name(policy).is_none() {
                        push(
                            at(name, "policy"),
                            format!(
                                "unknown policy `{}`; expected one of: {}",
                                crate::scenario::error::clip(policy, 40),
                                Policy::ALL.map(Policy::name).join(", ")
                            ),
                        );
                    }
                    if to.is_empty() || to.len() > MAX_EDGES {
                        push(
                            at(name, "to"),
                            format!("router `{name}` needs 1 to {MAX_EDGES} stations in `to`"),
                        );
                    }
                    for t in to {
                        match idx.get(t.as_str()) {
                            None => push(
                                format!("{}/\"{t}\"", at(name, "to")),
                                unknown_node(&format!("`{name}`"), t, &names),
                            ),
                            Some(&j) if self.nodes[j].kind() != Kind::Station => push(
                                format!("{}/\"{t}\"", at(name, "to")),
                                format!("router `{name}` sends to `{t}`, which is not a Station"),
                            ),
                            Some(_) => {}
                        }
                    }
                    if !weights.is_empty()
                        && (weights.len() != to.len()
                            || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)))
                    {
                        push(
                            at(name, "weights"),
                            format!(
                                "router `{name}` needs one weight ≥ 0 per station in `to` ({})",
                                to.len()
                            ),
                        );
                    }
                    if !time_ok(*restart_s) {
                        push(
                            at(name, "restart_s"),
                            format!(
                                "restart_s must be between 0 and {MAX_TIME_S}, got {restart_s}"
                            ),
                        );
                    }
                }
                Node::Sink { .. } => {}
            }
            if let Some(c) = n.client() {
                for m in client_issues(c) {
                    push(at(name, "client"), format!("`{name}`'s client: {m}"));
                }
            }
            if let Some(r) = n.repair() {
                if !time_ok(r.by_hand_s) || !time_ok(r.without_access_s) {
                    push(
                        at(name, "repair"),
                        format!("repair times must be between 0 and {MAX_TIME_S}"),
                    );
                }
                if let Some(v) = &r.access_via
                    && !idx.contains_key(v.as_str())
                {
                    push(
                        format!("{}/\"{v}\"", at(name, "repair")),
                        unknown_node(&format!("`{name}`'s repair"), v, &names),
                    );
                }
            }
        }
        if total_capacity > MAX_TOTAL_CAPACITY {
            push(
                "nodes".into(),
                format!(
                    "the stations' capacities sum to {total_capacity}; at most {MAX_TOTAL_CAPACITY} are allowed"
                ),
            );
        }
        if let Some(r) = &self.restoration {
            match idx.get(r.at.as_str()) {
                None => push(
                    "restoration/at".into(),
                    unknown_node("restoration", &r.at, &names),
                ),
                Some(&j) if !matches!(self.nodes[j].kind(), Kind::Station | Kind::Router) => push(
                    "restoration/at".into(),
                    format!(
                        "restoration at `{}`: traffic is gated at a Station or Router",
                        r.at
                    ),
                ),
                Some(_) => {}
            }
            if r.stages.is_empty()
                || r.stages.len() > 100
                || r.stages
                    .iter()
                    .any(|s| !(s.is_finite() && *s > 0.0 && *s <= 1.0))
            {
                push(
                    "restoration/stages".into(),
                    "restoration stages are 1 to 100 shares, each > 0 and ≤ 1 (e.g. [0.25, 0.5, 1.0])".into(),
                );
            }
            if !(time_ok(r.stage_s) && r.stage_s > 0.0) {
                push(
                    "restoration/stage_s".into(),
                    format!("stage_s must be > 0 and ≤ {MAX_TIME_S}, got {}", r.stage_s),
                );
            }
        }
        if !(self.sample_every_s.is_finite() && (0.001..=86_400.0).contains(&self.sample_every_s)) {
            push(
                "sample_every_s".into(),
                format!(
                    "sample_every_s must be between 0.001 and 86400, got {}",
                    self.sample_every_s
                ),
            );
        }
        if out.is_empty() {
            if let Some(m) = dependency_cycle(self, &idx) {
                out.push(m);
            } else if let Some(m) = no_way_out(self, &idx) {
                out.push(m);
            }
        }
        out
    }
}

fn client_issues(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    if !(time_ok(c.timeout_s) && c.timeout_s > 0.0) {
        out.push(format!(
            "timeout_s must be > 0 and ≤ {MAX_TIME_S}, got {}",
            c.timeout_s
        ));
    }
    if c.retries > MAX_RETRIES {
        out.push(format!(
            "retries must be ≤ {MAX_RETRIES}, got {}",
            c.retries
        ));
    }
    if !(time_ok(c.backoff_s)
        && time_ok(c.backoff_cap_s)
        && c.backoff_multiplier.is_finite()
        && (1.0..=100.0).contains(&c.backoff_multiplier))
    {
        out.push("backoff_s and backoff_cap_s must be between 0 and 86400, backoff_multiplier between 1 and 100".into());
    }
    if let Some(b) = c.retry_budget
        && !(b.is_finite() && (0.0..=100.0).contains(&b))
    {
        out.push(format!(
            "retry_budget must be between 0 and 100 retries per request, got {b}"
        ));
    }
    if let Some(b) = &c.breaker
        && (b.failures == 0 || b.trials == 0 || !(time_ok(b.open_s) && b.open_s > 0.0))
    {
        out.push("a breaker needs failures ≥ 1, trials ≥ 1 and 0 < open_s ≤ 86400".into());
    }
    if let Some(p) = &c.pool
        && (p.size == 0 || p.size > MAX_CAPACITY || p.max_waiting > MAX_CAPACITY)
    {
        out.push(format!(
            "a pool needs 1 ≤ size ≤ {MAX_CAPACITY} and max_waiting ≤ {MAX_CAPACITY}"
        ));
    }
    out
}

/// The first dependency cycle, as `a → b → a`.
fn dependency_cycle(p: &NetworkParams, idx: &BTreeMap<&str, usize>) -> Option<ParamIssue> {
    // 0 unvisited, 1 on the path, 2 done.
    let n = p.nodes.len();
    let mut state = vec![0u8; n];
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        // Iterative DFS: (node, next dependency to look at).
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (v, ref mut k)) = path.last_mut() {
            let deps = p.nodes[v].depends_on();
            if *k < deps.len() {
                let d = &deps[*k];
                *k += 1;
                let Some(&w) = idx.get(d.as_str()) else {
                    continue;
                };
                if state[w] == 1 {
                    let from = path.iter().position(|(x, _)| *x == w).unwrap_or(0);
                    let mut names: Vec<&str> = path[from..]
                        .iter()
                        .map(|(x, _)| p.nodes[*x].name())
                        .collect();
                    names.push(p.nodes[w].name());
                    let me = p.nodes[v].name();
                    return Some(ParamIssue {
                        field: format!("{}/\"{d}\"", at(me, "depends_on")),
                        message: format!("dependency cycle: {}", names.join(" → ")),
                    });
                }
                if state[w] == 0 {
                    state[w] = 1;
                    path.push((w, 0));
                }
            } else {
                state[v] = 2;
                path.pop();
            }
        }
    }
    None
}

/// Where jobs go from each node (`None`: out of the network).
pub(super) fn successors(
    p: &NetworkParams,
    idx: &BTreeMap<&str, usize>,
    i: usize,
) -> Vec<Option<usize>> {
    let n = &p.nodes[i];
    let mut out: Vec<Option<usize>> = match n {
        Node::Router { to, .. } => to
            .iter()
            .filter_map(|t| idx.get(t.as_str()).copied())
            .map(Some)
            .collect(),
        Node::Sink { .. } => vec![None],
        Node::Source { .. } | Node::Station { .. } => n
            .routes()
            .iter()
            .filter(|r| r.p > 0.0)
            .filter_map(|r| idx.get(r.to.as_str()).copied())
            .map(Some)
            .collect(),
    };
    if let Node::Station { routes, .. } = n {
        let sum: f64 = routes.iter().map(|r| r.p).sum();
        if sum < 1.0 - 1e-12 {
            out.push(None);
        }
    }
    out
}

/// A node entities can reach but never leave from.
fn no_way_out(p: &NetworkParams, idx: &BTreeMap<&str, usize>) -> Option<ParamIssue> {
    let n = p.nodes.len();
    let succ: Vec<Vec<Option<usize>>> = (0..n).map(|i| successors(p, idx, i)).collect();
    // Nodes that can reach the outside.
    let mut leaves = vec![false; n];
    for (i, s) in succ.iter().enumerate() {
        leaves[i] = s.contains(&None);
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            if !leaves[i] && succ[i].iter().flatten().any(|&j| leaves[j]) {
                leaves[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Nodes entities can reach: from the sources and every call target.
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = (0..n)
        .filter(|&i| p.nodes[i].kind() == Kind::Source)
        .collect();
    for node in &p.nodes {
        if let Node::Station { call: Some(c), .. } = node
            && let Some(&j) = idx.get(c.as_str())
        {
            stack.push(j);
        }
    }
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        stack.extend(succ[i].iter().flatten());
    }
    // Name where entities get stuck: the first such node that is not a source.
    let trapped: Vec<usize> = (0..n).filter(|&i| seen[i] && !leaves[i]).collect();
    let i = trapped
        .iter()
        .copied()
        .find(|&i| p.nodes[i].kind() != Kind::Source)
        .or_else(|| trapped.first().copied())?;
    let name = p.nodes[i].name();
    Some(ParamIssue {
        field: at(name, ""),
        message: format!(
            "no way out from `{name}`: every path from it loops back; route some share out of the network or to a Sink"
        ),
    })
}

/// Shared fault kinds every node but a sink takes.
pub(super) const NODE_FAULTS: [&str; 7] = [
    "kill",
    "slowdown",
    "latency",
    "capacity-drop",
    "error-rate",
    "partition",
    "blackhole",
];

/// The routers' policies, in the `p` key's cycle.
pub(super) fn policies() -> Vec<String> {
    Policy::ALL.iter().map(|p| p.name().to_string()).collect()
}

/// Switches a network built from `p` offers.
pub(super) fn toggles(p: &NetworkParams) -> Vec<ToggleSpec> {
    let mut t = Vec::new();
    if p.nodes
        .iter()
        .any(|n| n.client().is_some_and(|c| c.retry_budget.is_some()))
    {
        t.push(ToggleSpec::new(
            "retry_budget",
            "clients retry only within their retry budget",
        ));
    }
    if p.restoration.is_some() {
        t.push(ToggleSpec::new(
            "staged_restoration",
            "after a fault clears, traffic is let back in stages",
        ));
    }
    t
}

/// The shared fault kinds a node of `kind` gives a meaning to: a station
/// every one; a router can be killed, cut off, made to fail or to swallow
/// what it is sent (it holds nothing, so it has no speed or room to
/// lose); a source can be killed or cut off (its arrivals are refused).
#[must_use]
pub fn kinds_for(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Station => &NODE_FAULTS,
        Kind::Router => &["kill", "error-rate", "partition", "blackhole"],
        Kind::Source => &["kill", "partition"],
        Kind::Sink => &[],
    }
}

/// What a network built from `p` offers: the balancing policies (for its
/// routers), its switches, and every node but the sinks as a fault target
/// of the kinds it gives a meaning to ([`kinds_for`]); `all` takes every
/// kind and each node takes its part of it.
#[must_use]
pub fn catalog(p: &NetworkParams) -> Catalog {
    let targets: Vec<(&str, Kind)> = p
        .nodes
        .iter()
        .filter(|n| n.kind() != Kind::Sink)
        .map(|n| (n.name(), n.kind()))
        .collect();
    let menu_for = |kind: &str| -> Vec<String> {
        let mut t: Vec<String> = targets
            .iter()
            .filter(|(_, k)| kinds_for(*k).contains(&kind))
            .take(32)
            .map(|(n, _)| (*n).to_string())
            .collect();
        t.push("all".into());
        t
    };
    let menu = vec![
        FaultTemplate::new(
            "kill node",
            FaultKind::Kill {
                restart_after_s: Some(60.0),
            },
            menu_for("kill"),
        )
        .strength("back after s", 10.0, 3600.0, 10.0),
        FaultTemplate::new(
            "slow node",
            FaultKind::Slowdown { factor: 0.5 },
            menu_for("slowdown"),
        )
        .strength("rate ×", 0.1, 1.0, 0.1)
        .lasting(120.0),
        FaultTemplate::new(
            "add latency",
            FaultKind::Latency {
                ms: 500.0,
                jitter_ms: 100.0,
            },
            menu_for("latency"),
        )
        .strength("ms", 10.0, 60_000.0, 50.0)
        .lasting(120.0),
        FaultTemplate::new(
            "shrink room",
            FaultKind::CapacityDrop { fraction: 0.5 },
            menu_for("capacity-drop"),
        )
        .strength("fraction", 0.1, 0.9, 0.1)
        .lasting(120.0),
        FaultTemplate::new(
            "fail requests",
            FaultKind::ErrorRate { p: 0.2 },
            menu_for("error-rate"),
        )
        .strength("p", 0.05, 1.0, 0.05)
        .lasting(120.0),
        FaultTemplate::new(
            "partition node",
            FaultKind::Partition,
            menu_for("partition"),
        )
        .lasting(60.0),
        FaultTemplate::new(
            "blackhole node",
            FaultKind::Blackhole,
            menu_for("blackhole"),
        )
        .lasting(60.0),
    ];
    let mut specs: Vec<TargetSpec> = targets
        .iter()
        .map(|(t, k)| TargetSpec {
            name: (*t).to_string(),
            kinds: kinds_for(*k).iter().map(ToString::to_string).collect(),
        })
        .collect();
    specs.push(TargetSpec {
        name: "all".into(),
        kinds: NODE_FAULTS.iter().map(ToString::to_string).collect(),
    });
    Catalog {
        policies: policies(),
        other_policies: Vec::new(),
        toggles: toggles(p),
        faults: FaultCatalog {
            targets: specs,
            menu,
        },
    }
}

impl WorldParams for NetworkParams {
    fn validate(&self) -> Vec<ParamIssue> {
        NetworkParams::validate(self)
    }

    fn catalog(&self) -> Catalog {
        catalog(self)
    }

    fn build(&self, seed: u64, policy: Option<&str>) -> Result<Box<dyn World>, BuildError> {
        let (mut model, queue) = Network::new(self, seed)?;
        if let Some(name) = policy {
            model.set_policy(name)?;
        }
        Ok(Box::new(Runtime::new(model, queue)))
    }

    /// Per job from the sources (at their highest rate, spikes included):
    /// three events at each node of the network, times one more attempt
    /// for each retry its client may make; 64 B per place in a station
    /// (K) and 8 MB besides.
    fn work(&self, duration_s: f64) -> crate::work::Work {
        let t = duration_s.max(0.0);
        let mut rate = 0.0;
        let mut retries = 0u32;
        let mut places = 0.0;
        for n in &self.nodes {
            match n {
                Node::Source {
                    rate_per_s,
                    schedule,
                    spikes,
                    ..
                } => {
                    let top = schedule.iter().map(|(_, r)| *r).fold(*rate_per_s, f64::max);
                    let spike = spikes.iter().map(|s| s.multiplier).fold(1.0, f64::max);
                    rate += top.max(0.0) * spike;
                }
                Node::Station { capacity, .. } => places += f64::from(*capacity),
                Node::Router { .. } | Node::Sink { .. } => {}
            }
            if let Some(c) = n.client() {
                retries = retries.max(c.retries);
            }
        }
        let nodes = self.nodes.len() as f64;
        crate::work::Work {
            events: rate * t * 3.0 * nodes * f64::from(retries + 1)
                + t / self.sample_every_s.max(1e-3),
            bytes: 8.0 * crate::work::MB + 64.0 * places,
        }
    }
}
