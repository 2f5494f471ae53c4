//! Andheri platform 1, fast train: passengers arrive (Poisson, λ per
//! minute), are carried off at μ per minute per server, and the platform
//! holds at most `capacity` people (M/M/c/K). Those turned away leave.

use std::collections::VecDeque;

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal};
use serde::{Deserialize, Serialize};

use crate::analytic;
use crate::fault::{FaultKind, FaultTemplate, StrengthSpec};
use crate::scenario::ParamIssue;
use crate::sim::metrics::{Latency, Metrics, Rolling, TimeAverage};
use crate::sim::rng::{SimRng, stream};
use crate::sim::world::{AnalyticRow, ChartView, GaugeView, SeriesView, UnitState, UnitView};
use crate::sim::{Command, CommandError, Engine, SimTime, Snapshot, World};

/// How long service takes (the mean is always 1/μ).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Service {
    /// Exponential: the textbook M/M/c/K.
    #[default]
    Exponential,
    /// Always exactly 1/μ.
    Deterministic,
    /// Erlang-k: sum of k exponential phases (less variable as k grows).
    Erlang { k: u32 },
    /// Lognormal with coefficient of variation `cv`.
    Lognormal { cv: f64 },
}

/// Parameters of the platform world (RON names are the CLI `--set` keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformParams {
    /// λ: passengers arriving per minute.
    #[serde(default = "d_lambda")]
    pub arrival_rate_per_min: f64,
    /// μ: passengers one server carries away per minute.
    #[serde(default = "d_mu")]
    pub service_rate_per_min: f64,
    /// c: parallel servers.
    #[serde(default = "d_servers")]
    pub servers: u32,
    /// K: most people on the platform, including those being served.
    #[serde(default = "d_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub service: Service,
    /// Seconds between samples of the rolling series.
    #[serde(default = "d_sample")]
    pub sample_every_s: f64,
}

fn d_lambda() -> f64 {
    200.0
}
fn d_mu() -> f64 {
    250.0
}
fn d_servers() -> u32 {
    1
}
fn d_capacity() -> u32 {
    500
}
fn d_sample() -> f64 {
    1.0
}

impl Default for PlatformParams {
    fn default() -> Self {
        PlatformParams {
            arrival_rate_per_min: d_lambda(),
            service_rate_per_min: d_mu(),
            servers: d_servers(),
            capacity: d_capacity(),
            service: Service::default(),
            sample_every_s: d_sample(),
        }
    }
}

/// Caps that keep a shared file from asking for unbounded work or memory.
pub const MAX_RATE_PER_MIN: f64 = 1.0e8;
pub const MAX_SERVERS: u32 = 10_000;
pub const MAX_CAPACITY: u32 = 10_000_000;

impl PlatformParams {
    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        let mut out = Vec::new();
        let rate_ok = |v: f64| v.is_finite() && (0.0..=MAX_RATE_PER_MIN).contains(&v);
        if !rate_ok(self.arrival_rate_per_min) {
            out.push(ParamIssue::new(
                "arrival_rate_per_min",
                format!(
                    "arrival_rate_per_min must be between 0 and {MAX_RATE_PER_MIN}, got {}",
                    self.arrival_rate_per_min
                ),
            ));
        }
        if !(rate_ok(self.service_rate_per_min) && self.service_rate_per_min > 0.0) {
            out.push(ParamIssue::new(
                "service_rate_per_min",
                format!(
                    "service_rate_per_min must be > 0 and ≤ {MAX_RATE_PER_MIN}, got {}",
                    self.service_rate_per_min
                ),
            ));
        }
        if self.servers == 0 || self.servers > MAX_SERVERS {
            out.push(ParamIssue::new(
                "servers",
                format!(
                    "servers must be between 1 and {MAX_SERVERS}, got {}",
                    self.servers
                ),
            ));
        }
        if self.capacity > MAX_CAPACITY {
            out.push(ParamIssue::new(
                "capacity",
                format!("capacity must be ≤ {MAX_CAPACITY}, got {}", self.capacity),
            ));
        } else if self.capacity < self.servers {
            out.push(ParamIssue::new(
                "capacity",
                format!(
                    "capacity ({}) must be ≥ servers ({}): K counts those in service",
                    self.capacity, self.servers
                ),
            ));
        }
        match self.service {
            Service::Erlang { k } if k == 0 || k > 1000 => out.push(ParamIssue::new(
                "service",
                format!("Erlang k must be between 1 and 1000, got {k}"),
            )),
            Service::Lognormal { cv } if !(cv.is_finite() && cv > 0.0 && cv <= 100.0) => {
                out.push(ParamIssue::new(
                    "service",
                    format!("Lognormal cv must be > 0 and ≤ 100, got {cv}"),
                ));
            }
            _ => {}
        }
        if !(self.sample_every_s.is_finite() && self.sample_every_s >= 0.001) {
            out.push(ParamIssue::new(
                "sample_every_s",
                format!(
                    "sample_every_s must be ≥ 0.001, got {}",
                    self.sample_every_s
                ),
            ));
        }
        out
    }

    pub fn build(&self, seed: u64, policy: Option<&str>) -> Result<Box<dyn World>, String> {
        if let Some(issue) = self.validate().into_iter().next() {
            return Err(issue.message);
        }
        let mut w = Platform::new(self.clone(), seed);
        if let Some(p) = policy {
            w.apply(&Command::SetPolicy(p.to_string()))
                .map_err(|e| e.to_string())?;
        }
        Ok(Box::new(w))
    }
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival,
    Departure { arrived: SimTime },
    Sample,
}

const POLICIES: &[&str] = &["fifo"];
const HISTORY: usize = 240;

/// The platform world.
pub struct Platform {
    p: PlatformParams,
    engine: Engine<Event>,
    arrivals_rng: SimRng,
    service_rng: SimRng,
    lambda_per_s: f64,
    busy: u32,
    queue: VecDeque<SimTime>,
    // statistics
    arrivals: u64,
    completed: u64,
    rejected_full: u64,
    in_system_at_reset: u64,
    stats_since: SimTime,
    in_system: TimeAverage,
    busy_avg: TimeAverage,
    wait: Latency,
    response: Latency,
    // rolling series
    last_sample: (u64, u64, u64),
    arrival_rate: Rolling,
    throughput: Rolling,
    rejections: Rolling,
    p95: Rolling,
    window: Latency,
    chart: Rolling,
    chart_t: Rolling,
}

impl Platform {
    #[must_use]
    pub fn new(p: PlatformParams, seed: u64) -> Self {
        let mut engine = Engine::new();
        let lambda_per_s = p.arrival_rate_per_min / 60.0;
        let mut arrivals_rng = stream(seed, "platform/arrivals");
        if lambda_per_s > 0.0 {
            let first = exp_sample(&mut arrivals_rng, lambda_per_s);
            engine.schedule(first, Event::Arrival);
        }
        engine.schedule(SimTime::from_secs_f64(p.sample_every_s), Event::Sample);
        Platform {
            engine,
            arrivals_rng,
            service_rng: stream(seed, "platform/service"),
            lambda_per_s,
            busy: 0,
            queue: VecDeque::new(),
            arrivals: 0,
            completed: 0,
            rejected_full: 0,
            in_system_at_reset: 0,
            stats_since: SimTime::ZERO,
            in_system: TimeAverage::new(SimTime::ZERO, 0.0),
            busy_avg: TimeAverage::new(SimTime::ZERO, 0.0),
            wait: Latency::new(),
            response: Latency::new(),
            last_sample: (0, 0, 0),
            arrival_rate: Rolling::new(HISTORY),
            throughput: Rolling::new(HISTORY),
            rejections: Rolling::new(HISTORY),
            p95: Rolling::new(HISTORY),
            window: Latency::new(),
            chart: Rolling::new(HISTORY),
            chart_t: Rolling::new(HISTORY),
            p,
        }
    }

    fn mu_per_s(&self) -> f64 {
        self.p.service_rate_per_min / 60.0
    }

    fn service_time(&mut self) -> SimTime {
        let mean = 1.0 / self.mu_per_s();
        let s = match self.p.service {
            Service::Exponential => return exp_sample(&mut self.service_rng, 1.0 / mean),
            Service::Deterministic => mean,
            Service::Erlang { k } => {
                let kf = f64::from(k);
                Gamma::new(kf, mean / kf).map_or(mean, |g| g.sample(&mut self.service_rng))
            }
            Service::Lognormal { cv } => {
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                LogNormal::new(mu, sigma2.sqrt()).map_or(mean, |d| d.sample(&mut self.service_rng))
            }
        };
        SimTime::from_secs_f64(s)
    }

    fn number_in_system(&self) -> u64 {
        u64::from(self.busy) + self.queue.len() as u64
    }

    fn record_level(&mut self) {
        let now = self.engine.now();
        self.in_system.set(now, self.number_in_system() as f64);
        self.busy_avg.set(now, f64::from(self.busy));
    }

    fn start_service(&mut self, arrived: SimTime) {
        let now = self.engine.now();
        self.busy += 1;
        self.wait.record(now - arrived);
        let s = self.service_time();
        self.engine.schedule_in(s, Event::Departure { arrived });
    }

    fn handle(&mut self, ev: Event) {
        let now = self.engine.now();
        match ev {
            Event::Arrival => {
                self.arrivals += 1;
                if self.number_in_system() >= u64::from(self.p.capacity) {
                    self.rejected_full += 1;
                } else if self.busy < self.p.servers {
                    self.start_service(now);
                } else {
                    self.queue.push_back(now);
                }
                self.record_level();
                if self.lambda_per_s > 0.0 {
                    let gap = exp_sample(&mut self.arrivals_rng, self.lambda_per_s);
                    self.engine.schedule_in(gap, Event::Arrival);
                }
            }
            Event::Departure { arrived } => {
                self.busy -= 1;
                self.completed += 1;
                let r = now - arrived;
                self.response.record(r);
                self.window.record(r);
                if let Some(next) = self.queue.pop_front() {
                    self.start_service(next);
                }
                self.record_level();
            }
            Event::Sample => {
                let dt = self.p.sample_every_s;
                let (a, c, r) = self.last_sample;
                self.arrival_rate.push((self.arrivals - a) as f64 / dt);
                self.throughput.push((self.completed - c) as f64 / dt);
                self.rejections.push((self.rejected_full - r) as f64 / dt);
                let p95 = self.window.quantile_s(0.95);
                self.p95.push(if p95.is_nan() { 0.0 } else { p95 });
                self.window.reset();
                self.chart.push(self.number_in_system() as f64);
                self.chart_t.push(now.as_secs_f64());
                self.last_sample = (self.arrivals, self.completed, self.rejected_full);
                self.engine
                    .schedule_in(SimTime::from_secs_f64(dt), Event::Sample);
            }
        }
    }

    fn closed_form(&self) -> analytic::QueueFigures {
        analytic::mmck(
            self.lambda_per_s,
            self.mu_per_s(),
            self.p.servers,
            self.p.capacity,
        )
    }

    /// Whether a closed form applies (exponential service).
    fn has_closed_form(&self) -> bool {
        matches!(self.p.service, Service::Exponential)
    }
}

fn exp_sample(rng: &mut SimRng, rate_per_s: f64) -> SimTime {
    // Inverse transform on (0, 1]: never ln(0).
    let u: f64 = 1.0 - rng.random::<f64>();
    let _ = Exp::new(1.0); // keep rand_distr's Exp available for blocks
    SimTime::from_secs_f64(-u.ln() / rate_per_s)
}

impl World for Platform {
    fn now(&self) -> SimTime {
        self.engine.now()
    }

    fn next_event_time(&self) -> Option<SimTime> {
        self.engine.peek_time()
    }

    fn advance(&mut self, until: SimTime, max_events: u64) -> u64 {
        let mut n = 0;
        while n < max_events {
            let Some(ev) = self.engine.pop_until(until) else {
                self.engine.advance_clock(until);
                return n;
            };
            self.handle(ev);
            n += 1;
        }
        if self.engine.peek_time().is_none_or(|t| t > until) {
            self.engine.advance_clock(until);
        }
        n
    }

    fn apply(&mut self, cmd: &Command) -> Result<String, CommandError> {
        match cmd {
            Command::SetPolicy(name) => {
                if POLICIES.contains(&name.as_str()) {
                    Ok(format!("policy: {name}"))
                } else {
                    Err(CommandError::UnknownPolicy {
                        name: name.clone(),
                        expected: POLICIES.join(", "),
                    })
                }
            }
            Command::ScaleArrivals(f) => {
                let new = self.lambda_per_s * f;
                if !(new.is_finite() && new >= 0.0 && new * 60.0 <= MAX_RATE_PER_MIN) {
                    return Err(CommandError::Invalid(format!(
                        "arrival rate ×{f} is out of range"
                    )));
                }
                let was_zero = self.lambda_per_s == 0.0;
                self.lambda_per_s = new;
                if was_zero && new > 0.0 {
                    let gap = exp_sample(&mut self.arrivals_rng, new);
                    self.engine.schedule_in(gap, Event::Arrival);
                }
                Ok(format!("arrival rate → {:.1}/min", new * 60.0))
            }
            Command::InjectFault { fault, .. } => Err(CommandError::UnsupportedFault(
                fault.kind.name().to_string(),
            )),
            Command::ClearFault(_) | Command::ClearFaults => Ok(String::new()),
            Command::Toggle { name, .. } => Err(CommandError::UnknownToggle {
                name: name.clone(),
                expected: "(none)".to_string(),
            }),
        }
    }

    fn snapshot(&self) -> Snapshot {
        let now = self.engine.now();
        let m = self.metrics();
        let cf = self.closed_form();
        let n = self.number_in_system() as f64;
        let k = f64::from(self.p.capacity);
        let util = m["utilisation"];
        let block = m["blocking_probability"];
        Snapshot {
            now,
            policy: self.policy(),
            gauges: vec![
                GaugeView {
                    label: "platform".into(),
                    ratio: (n / k).min(1.0),
                    text: format!("{n:.0}/{k:.0}"),
                    alarm: n >= k,
                },
                GaugeView {
                    label: "utilisation".into(),
                    ratio: util.clamp(0.0, 1.0),
                    text: format!("{:.1} %", util * 100.0),
                    alarm: util > 0.95,
                },
                GaugeView {
                    label: "blocked".into(),
                    ratio: block.clamp(0.0, 1.0),
                    text: format!("{:.2} %", block * 100.0),
                    alarm: block > 0.01,
                },
            ],
            sparklines: vec![
                series("arrivals", "/s", &self.arrival_rate),
                series("throughput", "/s", &self.throughput),
                series("rejected", "/s", &self.rejections),
                series("p95 response", "s", &self.p95),
            ],
            chart: ChartView {
                label: "people on the platform".into(),
                points: self
                    .chart_t
                    .values()
                    .into_iter()
                    .zip(self.chart.values())
                    .collect(),
                reference: self
                    .has_closed_form()
                    .then(|| ("L (M/M/c/K)".to_string(), cf.mean_in_system)),
            },
            units_extra_header: "queue".into(),
            units: vec![UnitView {
                name: "platform".into(),
                state: UnitState::Up,
                in_flight: f64::from(self.busy),
                ewma_latency_s: self.p95.last().unwrap_or(0.0),
                share: 1.0,
                extra: format!("{}", self.queue.len()),
            }],
            analytic: vec![
                AnalyticRow {
                    label: "P(block)".into(),
                    closed_form: self.has_closed_form().then_some(cf.blocking_probability),
                    simulated: block,
                    unit: String::new(),
                },
                AnalyticRow {
                    label: "L".into(),
                    closed_form: self.has_closed_form().then_some(cf.mean_in_system),
                    simulated: m["mean_in_system"],
                    unit: String::new(),
                },
                AnalyticRow {
                    label: "W".into(),
                    closed_form: self.has_closed_form().then_some(cf.mean_response_s),
                    simulated: m["mean_response_s"],
                    unit: "s".into(),
                },
                AnalyticRow {
                    label: "λW (Little)".into(),
                    closed_form: Some(m["throughput_per_s"] * m["mean_response_s"]),
                    simulated: m["mean_in_system"],
                    unit: String::new(),
                },
            ],
            events_processed: self.engine.processed(),
            ..Snapshot::default()
        }
    }

    fn metrics(&self) -> Metrics {
        let now = self.engine.now();
        let span = (now - self.stats_since).as_secs_f64();
        let per_s = |x: u64| if span > 0.0 { x as f64 / span } else { 0.0 };
        let mut m = Metrics::new();
        m.insert("arrivals".into(), self.arrivals as f64);
        m.insert("completed".into(), self.completed as f64);
        m.insert("rejected".into(), self.rejected_full as f64);
        m.insert("rejected_full".into(), self.rejected_full as f64);
        m.insert("in_system".into(), self.number_in_system() as f64);
        m.insert("in_system_at_reset".into(), self.in_system_at_reset as f64);
        m.insert(
            "blocking_probability".into(),
            if self.arrivals > 0 {
                self.rejected_full as f64 / self.arrivals as f64
            } else {
                0.0
            },
        );
        m.insert("mean_in_system".into(), self.in_system.mean(now));
        m.insert("mean_wait_s".into(), self.wait.mean_s());
        m.insert("mean_response_s".into(), self.response.mean_s());
        m.insert("p50_response_s".into(), self.response.quantile_s(0.5));
        m.insert("p95_response_s".into(), self.response.quantile_s(0.95));
        m.insert("p99_response_s".into(), self.response.quantile_s(0.99));
        m.insert("p95_wait_s".into(), self.wait.quantile_s(0.95));
        m.insert(
            "utilisation".into(),
            self.busy_avg.mean(now) / f64::from(self.p.servers),
        );
        m.insert("throughput_per_s".into(), per_s(self.completed));
        m
    }

    fn analytic(&self) -> Metrics {
        let mut m = Metrics::new();
        if !self.has_closed_form() {
            return m;
        }
        let f = self.closed_form();
        m.insert("blocking_probability".into(), f.blocking_probability);
        m.insert("mean_in_system".into(), f.mean_in_system);
        m.insert("mean_wait_s".into(), f.mean_wait_s);
        m.insert("mean_response_s".into(), f.mean_response_s);
        m.insert("utilisation".into(), f.utilisation);
        m.insert("throughput_per_s".into(), f.throughput_per_s);
        m
    }

    fn reset_statistics(&mut self) {
        let now = self.engine.now();
        self.in_system_at_reset = self.number_in_system();
        self.arrivals = 0;
        self.completed = 0;
        self.rejected_full = 0;
        self.stats_since = now;
        self.in_system.reset(now);
        self.busy_avg.reset(now);
        self.wait.reset();
        self.response.reset();
        self.last_sample = (0, 0, 0);
    }

    fn policies(&self) -> Vec<String> {
        POLICIES.iter().map(ToString::to_string).collect()
    }

    fn policy(&self) -> String {
        POLICIES[0].to_string()
    }

    fn fault_menu(&self) -> Vec<FaultTemplate> {
        vec![FaultTemplate {
            label: "slow trains".into(),
            kind: FaultKind::Slowdown { factor: 0.5 },
            targets: vec!["all".into()],
            strength: Some(StrengthSpec {
                label: "rate ×",
                min: 0.1,
                max: 1.0,
                step: 0.1,
            }),
            duration_s: Some(300.0),
        }]
    }

    fn events_processed(&self) -> u64 {
        self.engine.processed()
    }
}

fn series(label: &str, unit: &str, r: &Rolling) -> SeriesView {
    SeriesView {
        label: label.into(),
        unit: unit.into(),
        values: r.values(),
    }
}
