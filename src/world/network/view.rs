//! How the network shows itself: the snapshot (gauges, sparklines, the
//! chart of requests inside, a row per node, the closed forms where they
//! apply, the map), the headless metrics, and the closed forms: the
//! traffic equations λᵢ = γᵢ + Σⱼ λⱼ Pⱼᵢ and, where every station is an
//! M/M/c that cannot block, Jackson's product form per node and for the
//! network (Little's law); a station fed only by Poisson sources is
//! M/M/c/K exactly, blocking and all.

use super::model::{Body, Network, NodeState, series};
use super::params::{Kind, Node};
use crate::analytic;
use crate::policy::Policy;
use crate::sim::blocks::servers::ServiceDist;
use crate::sim::blocks::stats::{BlockStats, Reject};
use crate::sim::fault::Effect;
use crate::sim::metrics::Metrics;
use crate::sim::world::{
    AnalyticRow, ChartView, EdgeKind, GaugeView, MapEdge, MapNode, NetworkMap, SeriesView,
    UnitState, UnitView,
};
use crate::sim::{History, SimTime, Snapshot};

/// A node's closed form, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum ClosedForm {
    /// The model's name and its figures at this node.
    Applies {
        model: String,
        figures: analytic::QueueFigures,
    },
    None(String),
}

/// Blocking probabilities below this count as "cannot block".
const NO_BLOCKING: f64 = 1e-6;

impl Network {
    /// The traffic equations' solution: λ per node (arrivals per second),
    /// by fixed-point iteration (`None`: no convergence).
    fn traffic(&self, now: SimTime) -> Option<Vec<f64>> {
        let n = self.nodes.len();
        let mut gamma = vec![0.0; n];
        // Internal edges (from, to, share).
        let mut edges: Vec<(usize, usize, f64)> = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            match &node.body {
                Body::Source {
                    source, routing, ..
                } => {
                    let rate = source.rate_at(now);
                    let mut prev = 0.0;
                    for &(c, to) in &routing.edges {
                        gamma[to] += rate * (c - prev);
                        prev = c;
                    }
                }
                Body::Station { routing, .. } => {
                    let mut prev = 0.0;
                    for &(c, to) in &routing.edges {
                        edges.push((i, to, c - prev));
                        prev = c;
                    }
                }
                Body::Router { balancer, .. } => {
                    if let Node::Router { to, weights, .. } = &self.p.nodes[i] {
                        let w: Vec<f64> =
                            if weights.is_empty() || balancer.policy() == Policy::Random {
                                vec![1.0; to.len()]
                            } else {
                                weights.clone()
                            };
                        let total: f64 = w.iter().sum();
                        if total > 0.0 {
                            for (t, wi) in to.iter().zip(&w) {
                                if let Some(j) = self.nodes.iter().position(|x| &x.name == t) {
                                    edges.push((i, j, wi / total));
                                }
                            }
                        }
                    }
                }
                Body::Sink => {}
            }
        }
        let mut lambda = gamma.clone();
        for _ in 0..100_000 {
            let mut next = gamma.clone();
            for &(i, j, p) in &edges {
                next[j] += lambda[i] * p;
            }
            let diff = next
                .iter()
                .zip(&lambda)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            let scale = next.iter().copied().fold(1e-12, f64::max);
            lambda = next;
            if diff <= 1e-13 * scale {
                return Some(lambda);
            }
            if !lambda.iter().all(|x| x.is_finite()) {
                return None;
            }
        }
        None
    }

    /// Each node's closed form (stations; other nodes have none of their own).
    #[must_use]
    pub fn closed_forms_per_node(&self, now: SimTime) -> Vec<ClosedForm> {
        let none = |why: &str| ClosedForm::None(why.to_string());
        let n = self.nodes.len();
        let global = self.global_obstacle();
        let Some(lambda) = self.traffic(now) else {
            return vec![none("the traffic equations do not converge"); n];
        };
        // Which stations can block, and who is downstream of them.
        let mut out = Vec::with_capacity(n);
        let mut blocks = vec![false; n];
        let mut figures = Vec::with_capacity(n);
        for (i, node) in self.nodes.iter().enumerate() {
            let Node::Station {
                servers,
                capacity,
                service_rate_per_s,
                ..
            } = &self.p.nodes[i]
            else {
                figures.push(None);
                continue;
            };
            let f = analytic::mmck(lambda[i], *service_rate_per_s, *servers, *capacity);
            blocks[i] = f.blocking_probability > NO_BLOCKING;
            figures.push(Some(f));
            let _ = node;
        }
        let downstream = self.downstream_of(&blocks);
        let fed_by_sources_only = self.fed_by_sources_only();
        for (i, node) in self.nodes.iter().enumerate() {
            let Node::Station {
                name,
                servers,
                capacity,
                service_rate_per_s,
                service,
                ..
            } = &self.p.nodes[i]
            else {
                out.push(none(match node.kind {
                    Kind::Router => "a router holds nobody",
                    Kind::Sink => "a sink holds nobody",
                    _ => "a source holds nobody",
                }));
                continue;
            };
            let (c, mu) = (*servers, *service_rate_per_s);
            let rho = lambda[i] / (f64::from(c) * mu);
            let cf = if let Some(g) = &global {
                none(g)
            } else if !matches!(service, ServiceDist::Exponential) {
                none("service is not exponential")
            } else if node.own != Effect::NONE || node.state != NodeState::Up {
                none("a fault is in force")
            } else if node.gate.is_some() {
                none("traffic is being restored in stages")
            } else if let Some(up) = downstream[i] {
                ClosedForm::None(format!("upstream `{}` can block", self.nodes[up].name))
            } else if let (true, true, Some(f)) = (blocks[i], fed_by_sources_only[i], figures[i]) {
                ClosedForm::Applies {
                    model: format!("M/M/{c}/{capacity} at {name}"),
                    figures: f,
                }
            } else if rho >= 1.0 {
                ClosedForm::None(format!("overloaded (ρ = {rho:.2})"))
            } else if let (true, Some(f)) = (blocks[i], figures[i]) {
                ClosedForm::None(format!(
                    "K = {capacity} can block (P ≈ {:.2e})",
                    f.blocking_probability
                ))
            } else {
                match analytic::mmc(lambda[i], mu, c) {
                    Some(f) => ClosedForm::Applies {
                        model: format!("Jackson product form, M/M/{c} at {name}"),
                        figures: f,
                    },
                    None => ClosedForm::None(format!("overloaded (ρ = {rho:.2})")),
                }
            };
            out.push(cf);
        }
        out
    }

    /// A reason no node of this network has a closed form, if there is one.
    fn global_obstacle(&self) -> Option<String> {
        for n in &self.p.nodes {
            match n {
                Node::Source {
                    schedule,
                    spikes,
                    name,
                    ..
                } if !schedule.is_empty() || !spikes.is_empty() => {
                    return Some(format!("the arrivals at `{name}` vary in time"));
                }
                Node::Source { .. } | Node::Station { .. } if n.client().is_some() => {
                    return Some("callers wait for answers (timeouts, retries)".into());
                }
                Node::Station { call: Some(_), .. } => {
                    return Some("synchronous calls hold slots".into());
                }
                _ => {}
            }
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if let Body::Router { balancer, .. } = &n.body
                && !matches!(balancer.policy(), Policy::Random | Policy::WeightedRandom)
            {
                let _ = i;
                return Some(format!(
                    "router `{}` balances by {} (not a random split)",
                    n.name,
                    balancer.policy().name()
                ));
            }
            if n.kind != Kind::Station && (n.own != Effect::NONE || !n.reachable()) {
                return Some(format!("a fault is in force at `{}`", n.name));
            }
        }
        None
    }

    /// For each node, a blocking station it can be reached from (itself excluded).
    fn downstream_of(&self, blocks: &[bool]) -> Vec<Option<usize>> {
        let n = self.nodes.len();
        let idx = super::params::index(&self.p);
        let mut out = vec![None; n];
        for (b, _) in blocks.iter().enumerate().filter(|(_, x)| **x) {
            let mut stack: Vec<usize> = super::params::successors(&self.p, &idx, b)
                .into_iter()
                .flatten()
                .collect();
            let mut seen = vec![false; n];
            while let Some(v) = stack.pop() {
                if std::mem::replace(&mut seen[v], true) {
                    continue;
                }
                if v != b && out[v].is_none() {
                    out[v] = Some(b);
                }
                stack.extend(
                    super::params::successors(&self.p, &idx, v)
                        .into_iter()
                        .flatten(),
                );
            }
        }
        out
    }

    /// Stations whose every arrival comes straight from a source.
    fn fed_by_sources_only(&self) -> Vec<bool> {
        let n = self.nodes.len();
        let idx = super::params::index(&self.p);
        let mut fed = vec![true; n];
        for i in 0..n {
            if self.p.nodes[i].kind() == Kind::Source {
                continue;
            }
            for j in super::params::successors(&self.p, &idx, i)
                .into_iter()
                .flatten()
            {
                fed[j] = false;
            }
        }
        fed
    }

    /// Closed forms for the metrics' keys, where they apply.
    pub(super) fn closed_forms(&self, now: SimTime) -> crate::sim::ClosedForms {
        let mut m = crate::sim::ClosedForms::new();
        let forms = self.closed_forms_per_node(now);
        let mut all = true;
        let mut blocking = false;
        let mut l_net = 0.0;
        for (node, cf) in self.nodes.iter().zip(&forms) {
            if node.kind != Kind::Station {
                continue;
            }
            match cf {
                ClosedForm::Applies { model, figures: f } => {
                    let k = |s: &str| format!("{}.{s}", node.name);
                    m.insert(k("mean_in_system"), model, f.mean_in_system);
                    m.insert(k("mean_response_s"), model, f.mean_response_s);
                    m.insert(k("mean_wait_s"), model, f.mean_wait_s);
                    m.insert(k("utilisation"), model, f.utilisation);
                    m.insert(k("throughput_per_s"), model, f.throughput_per_s);
                    m.insert(k("blocking_probability"), model, f.blocking_probability);
                    blocking |= f.blocking_probability > NO_BLOCKING;
                    l_net += f.mean_in_system;
                }
                ClosedForm::None(why) => {
                    all = false;
                    m.not_applicable(format!("{}: {why}", node.name));
                }
            }
        }
        let gamma: f64 = self
            .nodes
            .iter()
            .filter_map(|n| match &n.body {
                Body::Source { source, .. } => Some(source.rate_at(now)),
                _ => None,
            })
            .sum();
        if all && gamma > 0.0 && !blocking {
            let model = "Jackson product form; Little's law over the network";
            m.insert("mean_in_network", model, l_net);
            m.insert("mean_time_in_network_s", model, l_net / gamma);
            m.insert("goodput_per_s", model, gamma);
        }
        m
    }

    /// Every metric, by name (keys in the [module docs](super)).
    pub(super) fn observe(&self, now: SimTime) -> Metrics {
        let mut m = Metrics::new();
        let net = &self.net;
        put_counts(&mut m, "", net);
        let span = (now - SimTime::ZERO).as_secs_f64();
        let _ = span;
        m.insert("goodput_per_s".into(), net.throughput_per_s(now));
        m.insert(
            "in_network".into(),
            (self.plain_inside + self.client_calls) as f64,
        );
        m.insert("mean_in_network".into(), net.mean_in_system(now));
        m.insert("mean_time_in_network_s".into(), self.time_in().mean_s());
        m.insert(
            "p95_time_in_network_s".into(),
            self.time_in().quantile_s(0.95),
        );
        m.insert("attempts".into(), self.books.attempts as f64);
        m.insert("retries".into(), self.books.retries as f64);
        m.insert("timeouts".into(), self.books.timeouts as f64);
        m.insert("duplicates".into(), self.books.duplicates as f64);
        m.insert(
            "refused_by_breaker".into(),
            self.books.refused_by_breaker as f64,
        );
        let logical = net.arrivals().max(1) as f64;
        m.insert(
            "retries_per_request".into(),
            self.books.retries as f64 / logical,
        );
        for n in &self.nodes {
            let k = |s: &str| format!("{}.{s}", n.name);
            if n.kind == Kind::Source {
                let c = &n.counts;
                let span = (now - c.since).as_secs_f64();
                m.insert(k("arrivals"), c.arrivals as f64);
                m.insert(k("completed"), c.completed as f64);
                m.insert(k("rejected"), c.rejected_total() as f64);
                m.insert(
                    k("throughput_per_s"),
                    if span > 0.0 {
                        c.completed as f64 / span
                    } else {
                        0.0
                    },
                );
                continue;
            }
            let st = &n.stats;
            m.insert(k("arrivals"), st.arrivals() as f64);
            m.insert(k("completed"), st.completed() as f64);
            m.insert(k("rejected"), st.rejected_total() as f64);
            m.insert(k("mean_in_system"), st.mean_in_system(now));
            m.insert(k("throughput_per_s"), st.throughput_per_s(now));
            if let Body::Station { st: s, .. } = &n.body {
                m.insert(k("mean_response_s"), n.response.mean_s());
                m.insert(k("p95_response_s"), n.response.quantile_s(0.95));
                m.insert(k("utilisation"), s.utilisation(now));
                m.insert(k("in_system"), s.in_system() as f64);
                m.insert(k("mean_wait_s"), n.wait.mean_s());
                m.insert(k("blocking_probability"), st.blocking_probability());
            }
        }
        m
    }

    fn state_words(&self, i: usize) -> String {
        let n = &self.nodes[i];
        match n.state {
            NodeState::Up => "up".into(),
            NodeState::Degraded => "degraded".into(),
            NodeState::Down => "DOWN".into(),
            NodeState::Unreachable { cause } => {
                format!("unreachable: depends on {}", self.nodes[cause].name)
            }
            NodeState::Restarting => "restarting".into(),
        }
    }

    fn unit_state(&self, i: usize) -> UnitState {
        match self.nodes[i].state {
            NodeState::Up => UnitState::Up,
            NodeState::Degraded => UnitState::Degraded,
            NodeState::Down | NodeState::Unreachable { .. } | NodeState::Restarting => {
                UnitState::Down
            }
        }
    }

    /// The dashboard's network map: nodes by layer (hops from a source).
    fn map(&self, now: SimTime) -> NetworkMap {
        let n = self.nodes.len();
        let idx = super::params::index(&self.p);
        let mut layer = vec![usize::MAX; n];
        let frontier: Vec<usize> = (0..n)
            .filter(|&i| self.nodes[i].kind == Kind::Source)
            .collect();
        for &i in &frontier {
            layer[i] = 0;
        }
        let mut edges = Vec::new();
        for (i, node) in self.p.nodes.iter().enumerate() {
            let edge = |to: usize, kind: EdgeKind, p: Option<f64>| MapEdge {
                from: i,
                to,
                kind,
                p,
            };
            match node {
                Node::Router { to, .. } => {
                    for t in to {
                        if let Some(&j) = idx.get(t.as_str()) {
                            edges.push(edge(j, EdgeKind::Route, None));
                        }
                    }
                }
                Node::Source { .. } | Node::Station { .. } => {
                    for r in node.routes().iter().filter(|r| r.p > 0.0) {
                        if let Some(&j) = idx.get(r.to.as_str()) {
                            edges.push(edge(j, EdgeKind::Route, Some(r.p)));
                        }
                    }
                }
                Node::Sink { .. } => {}
            }
            if let Node::Station { call: Some(c), .. } = node
                && let Some(&j) = idx.get(c.as_str())
            {
                edges.push(edge(j, EdgeKind::Call, None));
            }
            for d in node.depends_on() {
                if let Some(&j) = idx.get(d.as_str()) {
                    edges.push(edge(j, EdgeKind::Depends, None));
                }
            }
        }
        // Columns: the longest path from a source along routes and calls,
        // feedback edges left out, so that a line reads left to right.
        let flows: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                edges
                    .iter()
                    .filter(|e| e.from == i && e.kind != EdgeKind::Depends)
                    .map(|e| e.to)
                    .collect()
            })
            .collect();
        // Depth-first from the sources: an edge back onto the path is feedback.
        let (mut seen, mut on_path) = (vec![false; n], vec![false; n]);
        let mut back = std::collections::BTreeSet::new();
        for &s in &frontier {
            if seen[s] {
                continue;
            }
            seen[s] = true;
            on_path[s] = true;
            let mut stack = vec![(s, 0)];
            while let Some(top) = stack.last_mut() {
                let u = top.0;
                if let Some(&v) = flows[u].get(top.1) {
                    top.1 += 1;
                    if on_path[v] {
                        back.insert((u, v));
                    } else if !seen[v] {
                        seen[v] = true;
                        on_path[v] = true;
                        stack.push((v, 0));
                    }
                } else {
                    on_path[u] = false;
                    stack.pop();
                }
            }
        }
        // Longest paths over what is left (acyclic), in topological order.
        let mut indegree = vec![0usize; n];
        for u in (0..n).filter(|&u| seen[u]) {
            for &v in &flows[u] {
                if !back.contains(&(u, v)) {
                    indegree[v] += 1;
                }
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&u| seen[u] && indegree[u] == 0).collect();
        while let Some(u) = ready.pop() {
            for &v in &flows[u] {
                if back.contains(&(u, v)) {
                    continue;
                }
                let l = if layer[u] == usize::MAX {
                    0
                } else {
                    layer[u] + 1
                };
                if layer[v] == usize::MAX || layer[v] < l {
                    layer[v] = l;
                }
                indegree[v] -= 1;
                if indegree[v] == 0 {
                    ready.push(v);
                }
            }
        }
        // A node no traffic reaches (BGP, DNS) goes right of the nodes
        // that depend on it, else right of what it depends on, else next
        // to the sources.
        for _ in 0..n {
            let mut moved = false;
            for e in edges.iter().filter(|e| e.kind == EdgeKind::Depends) {
                if layer[e.to] == usize::MAX && layer[e.from] != usize::MAX {
                    layer[e.to] = layer[e.from] + 1;
                    moved = true;
                }
            }
            for e in edges.iter().filter(|e| e.kind == EdgeKind::Depends) {
                if layer[e.from] == usize::MAX && layer[e.to] != usize::MAX {
                    layer[e.from] = layer[e.to] + 1;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        for (i, l) in layer.iter_mut().enumerate() {
            if *l == usize::MAX && self.nodes[i].kind != Kind::Sink {
                *l = 1;
            }
        }
        let deepest = (0..n)
            .filter(|&i| self.nodes[i].kind != Kind::Sink)
            .map(|i| layer[i])
            .max()
            .unwrap_or(0);
        let nodes = (0..n)
            .map(|i| {
                let node = &self.nodes[i];
                let (queue, room, util) = match &node.body {
                    Body::Station { st, .. } => (
                        st.in_system(),
                        st.effective_capacity() as u64,
                        st.utilisation(now),
                    ),
                    _ => (0, 0, 0.0),
                };
                let l = if node.kind == Kind::Sink {
                    deepest + 1
                } else {
                    layer[i]
                };
                MapNode {
                    name: node.name.clone(),
                    kind: match node.kind {
                        Kind::Source => "source",
                        Kind::Station => "station",
                        Kind::Router => "router",
                        Kind::Sink => "sink",
                    }
                    .into(),
                    layer: l,
                    state: self.unit_state(i),
                    words: self.state_words(i),
                    in_system: queue,
                    capacity: room,
                    utilisation: util,
                }
            })
            .collect();
        NetworkMap { nodes, edges }
    }

    /// What the dashboard draws at `now`.
    pub(super) fn view(&self, now: SimTime, h: &History) -> Snapshot {
        let m = self.observe(now);
        let forms = self.closed_forms_per_node(now);
        let inside = (self.plain_inside + self.client_calls) as f64;
        let done = self.net.completed() as f64;
        let failed = self.net.rejected_total() as f64;
        let total = (done + failed).max(1.0);
        let down = self.nodes.iter().filter(|n| !n.reachable()).count();
        let gauges = vec![
            GaugeView {
                label: "answered".into(),
                ratio: done / total,
                text: format!("{:.1} %", 100.0 * done / total),
                alarm: failed / total > 0.05,
            },
            GaugeView {
                label: "nodes down".into(),
                ratio: down as f64 / self.nodes.len().max(1) as f64,
                text: format!("{down}/{}", self.nodes.len()),
                alarm: down > 0,
            },
            GaugeView {
                label: "retries/request".into(),
                ratio: m
                    .get("retries_per_request")
                    .copied()
                    .unwrap_or(0.0)
                    .min(1.0),
                text: format!(
                    "{:.2}",
                    m.get("retries_per_request").copied().unwrap_or(0.0)
                ),
                alarm: m.get("retries_per_request").copied().unwrap_or(0.0) > 0.5,
            },
        ];
        let mut rows = Vec::new();
        for (i, (node, cf)) in self.nodes.iter().zip(&forms).enumerate() {
            if node.kind != Kind::Station {
                continue;
            }
            let k = |s: &str| m.get(&format!("{}.{s}", node.name)).copied().unwrap_or(0.0);
            match cf {
                ClosedForm::Applies { model, figures } => {
                    rows.push(AnalyticRow {
                        label: format!("L ({model})"),
                        closed_form: Some(figures.mean_in_system),
                        simulated: k("mean_in_system"),
                        unit: String::new(),
                    });
                    rows.push(AnalyticRow {
                        label: format!("W ({model})"),
                        closed_form: Some(figures.mean_response_s),
                        simulated: k("mean_response_s"),
                        unit: "s".into(),
                    });
                    rows.push(AnalyticRow {
                        label: format!("ρ ({model})"),
                        closed_form: Some(figures.utilisation),
                        simulated: k("utilisation"),
                        unit: String::new(),
                    });
                }
                ClosedForm::None(why) => rows.push(AnalyticRow {
                    label: format!("{}: no closed form: {why}", node.name),
                    closed_form: None,
                    simulated: k("mean_in_system"),
                    unit: String::new(),
                }),
            }
            let _ = i;
        }
        let an = self.closed_forms(now);
        rows.push(AnalyticRow {
            label: "time in network (Little: ΣL / γ)".into(),
            closed_form: an.get("mean_time_in_network_s"),
            simulated: m.get("mean_time_in_network_s").copied().unwrap_or(0.0),
            unit: "s".into(),
        });
        let units = (0..self.nodes.len().min(64))
            .map(|i| {
                let n = &self.nodes[i];
                let (in_flight, lat, extra) = match &n.body {
                    Body::Station { st, .. } => (
                        st.in_system() as f64,
                        st.latency_s(),
                        format!(
                            "{} · {}/{} · {:.0} %",
                            self.state_words(i),
                            st.in_system(),
                            st.effective_capacity(),
                            st.utilisation(now) * 100.0
                        ),
                    ),
                    _ => (0.0, 0.0, self.state_words(i)),
                };
                UnitView {
                    name: n.name.clone(),
                    state: self.unit_state(i),
                    in_flight,
                    ewma_latency_s: lat,
                    share: if n.kind == Kind::Source {
                        n.counts.arrivals
                    } else {
                        n.stats.arrivals()
                    } as f64
                        / self.net.arrivals().max(1) as f64,
                    extra,
                }
            })
            .collect();
        let mut toggles = Vec::new();
        for t in &self.catalog.toggles {
            let on = match t.name.as_str() {
                "retry_budget" => self.retry_budget_on,
                "staged_restoration" => self.staged_on,
                _ => false,
            };
            toggles.push((t.name.clone(), on));
        }
        Snapshot {
            now,
            policy: self.policy.clone(),
            gauges,
            sparklines: vec![
                SeriesView::of("arrivals", "/s", h.series(series::ARRIVALS)),
                SeriesView::of("answered", "/s", h.series(series::ANSWERED)),
                SeriesView::of("failed", "/s", h.series(series::FAILED)),
            ],
            chart: ChartView {
                label: "requests in the network".into(),
                points: h.points(series::INSIDE),
                reference: an
                    .get("mean_in_network")
                    .map(|l| ("L (Jackson product form)".to_string(), l)),
                unit: "requests".into(),
            },
            units_title: "nodes".into(),
            units_extra_header: "state · inside/room · busy".into(),
            units,
            analytic: rows,
            status_line: Some(format!(
                "{} nodes · goodput {:.1}/s · {inside:.0} inside · {} retries · {} timeouts",
                self.nodes.len(),
                m.get("goodput_per_s").copied().unwrap_or(0.0),
                self.books.retries,
                self.books.timeouts
            )),
            toggles,
            active_faults: self.fault_names.values().cloned().collect(),
            network: Some(self.map(now)),
            ..Snapshot::default()
        }
    }
}

/// The network-wide counters, by reason.
fn put_counts(m: &mut Metrics, prefix: &str, s: &BlockStats) {
    m.insert(format!("{prefix}arrivals"), s.arrivals() as f64);
    m.insert(format!("{prefix}completed"), s.completed() as f64);
    m.insert(format!("{prefix}rejected"), s.rejected_total() as f64);
    for r in Reject::ALL {
        m.insert(
            format!("{prefix}rejected_{}", r.key()),
            s.rejected(r) as f64,
        );
    }
    m.insert(
        format!("{prefix}in_system_at_reset"),
        s.in_system_at_reset() as f64,
    );
}
