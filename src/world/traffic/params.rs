//! Parameters of the BKC traffic world: roads, the demand schedule, live
//! information, the monsoon table; their defaults (the episode's numbers)
//! and validation.

use serde::{Deserialize, Serialize};

use crate::analytic::road::Bpr;
use crate::world::ParamIssue;

/// Longest instant a schedule point or weather period may name, seconds:
/// 30 days, far past any morning's schedule (the scenario's own horizon is
/// longer; kept here so that the world does not depend on the scenario
/// layer).
pub const MAX_DURATION_S: f64 = 30.0 * 86_400.0;
/// Most roads a scenario may declare.
pub const MAX_ROADS: usize = 16;
/// Largest demand (cars per hour), also after `ScaleArrivals`.
pub const MAX_DEMAND_PER_H: f64 = 50_000.0;
/// Largest road capacity (cars per hour).
pub const MAX_CAPACITY_PER_H: f64 = 100_000.0;
/// Most points in a demand schedule.
pub const MAX_SCHEDULE_POINTS: usize = 1_000;
/// Most weather states in the monsoon table.
pub const MAX_WEATHER_STATES: usize = 16;
/// Most cars on the roads at once; cars beyond it are turned away (and
/// counted), so a closed road cannot make memory grow without bound.
pub const MAX_CARS_IN_SYSTEM: u64 = 2_000_000;

/// One road into BKC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadParams {
    /// Short lowercase name: the fault target and the metric suffix
    /// (`weh` → `flow_per_h_weh`).
    pub name: String,
    /// Travel time with the road empty, minutes (t₀).
    pub free_flow_min: f64,
    /// Cars per hour the road's bottleneck lets through (c).
    pub capacity_per_h: f64,
    /// BPR α: the travel time at capacity is t₀ (1 + α).
    #[serde(default = "d_alpha")]
    pub alpha: f64,
    /// BPR β: how sharply the travel time rises near capacity.
    #[serde(default = "d_beta")]
    pub beta: f64,
    /// Weight for `weighted-random` (default: capacity / 100, so 10/8/6).
    #[serde(default)]
    pub weight: Option<f64>,
}

impl RoadParams {
    #[must_use]
    pub fn bpr(&self) -> Bpr {
        Bpr {
            free_flow_min: self.free_flow_min,
            capacity_per_h: self.capacity_per_h,
            alpha: self.alpha,
            beta: self.beta,
        }
    }

    /// The `weighted-random` weight.
    #[must_use]
    pub fn weight(&self) -> f64 {
        self.weight.unwrap_or(self.capacity_per_h / 100.0)
    }
}

/// A point of the demand schedule: `per_h` cars per hour want to leave at
/// `at_s` simulated seconds. The rate is linear between points and flat
/// before the first and after the last.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandPoint {
    pub at_s: f64,
    pub per_h: f64,
}

/// One state of the monsoon table: with probability `probability`, travel
/// times grow by the fraction `delay` (0.3 = +30 %).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeatherState {
    pub name: String,
    pub probability: f64,
    pub delay: f64,
}

/// Parameters of the BKC traffic world (RON names are the `--set` keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficParams {
    /// The roads, in menu order (default WEH, EEH, LBS).
    #[serde(default = "d_roads")]
    pub roads: Vec<RoadParams>,
    /// Cars per hour wanting to leave, over simulated time (piecewise linear).
    #[serde(default = "d_schedule")]
    pub schedule: Vec<DemandPoint>,
    /// When set, a constant demand that replaces the schedule
    /// (`--set demand_per_h=2000`).
    #[serde(default)]
    pub demand_per_h: Option<f64>,
    /// How old the live information `least-time` and `marginal-cost` see
    /// is, in seconds (0: live).
    #[serde(default)]
    pub info_delay_s: f64,
    /// The window over which a road's flow x is measured, in seconds.
    #[serde(default = "d_window")]
    pub flow_window_s: f64,
    /// The monsoon table (default: the episode's light rain / heavy rain /
    /// flooding).
    #[serde(default = "d_weather")]
    pub weather: Vec<WeatherState>,
    /// While a monsoon is active, draw a new weather state every this many
    /// seconds (default: one draw per monsoon).
    #[serde(default)]
    pub weather_period_s: Option<f64>,
    /// Seconds between samples of the rolling series.
    #[serde(default = "d_sample")]
    pub sample_every_s: f64,
}

fn d_alpha() -> f64 {
    0.15
}
fn d_beta() -> f64 {
    4.0
}
fn d_window() -> f64 {
    600.0
}
fn d_sample() -> f64 {
    60.0
}

fn road(name: &str, free_flow_min: f64, capacity_per_h: f64) -> RoadParams {
    RoadParams {
        name: name.to_string(),
        free_flow_min,
        capacity_per_h,
        alpha: d_alpha(),
        beta: d_beta(),
        weight: None,
    }
}

/// WEH is the shortest road and the widest; EEH and LBS are a minute or
/// two slower when empty. The spread is small on purpose: with BPR's
/// α = 0.15 a road is only 15 % slower at capacity, so a larger spread
/// would leave LBS unused below capacity.
fn d_roads() -> Vec<RoadParams> {
    vec![
        road("weh", 30.0, 1000.0),
        road("eeh", 31.0, 800.0),
        road("lbs", 32.0, 600.0),
    ]
}

/// From 08:00 (simulated 0): 600 cars/h rising to 1 000 by 08:55, 3 000 at
/// 09:00, held for an hour, back to 1 000 by 10:05 and 300 by 10:30.
/// Sending it all down WEH (1 000 cars/h) queues about 2 170 cars: the
/// last of them waits a little over two hours.
fn d_schedule() -> Vec<DemandPoint> {
    [
        (0.0, 600.0),
        (3300.0, 1000.0),
        (3600.0, 3000.0),
        (7200.0, 3000.0),
        (7500.0, 1000.0),
        (9000.0, 300.0),
    ]
    .into_iter()
    .map(|(at_s, per_h)| DemandPoint { at_s, per_h })
    .collect()
}

/// The episode's monsoon table (section 1.4).
fn d_weather() -> Vec<WeatherState> {
    [
        ("light rain", 0.7, 0.05),
        ("heavy rain", 0.2, 0.30),
        ("flooding", 0.1, 0.80),
    ]
    .into_iter()
    .map(|(name, probability, delay)| WeatherState {
        name: name.to_string(),
        probability,
        delay,
    })
    .collect()
}

impl Default for TrafficParams {
    fn default() -> Self {
        TrafficParams {
            roads: d_roads(),
            schedule: d_schedule(),
            demand_per_h: None,
            info_delay_s: 0.0,
            flow_window_s: d_window(),
            weather: d_weather(),
            weather_period_s: None,
            sample_every_s: d_sample(),
        }
    }
}

fn within(v: f64, lo: f64, hi: f64) -> bool {
    v.is_finite() && v >= lo && v <= hi
}

impl TrafficParams {
    /// The scheduled demand at `t_s` (before any `ScaleArrivals`), cars/h.
    #[must_use]
    pub fn demand_at(&self, t_s: f64) -> f64 {
        if let Some(d) = self.demand_per_h {
            return d;
        }
        let pts = &self.schedule;
        let Some(first) = pts.first() else {
            return 0.0;
        };
        if t_s <= first.at_s {
            return first.per_h;
        }
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if t_s <= b.at_s {
                let span = b.at_s - a.at_s;
                if span <= 0.0 {
                    return b.per_h;
                }
                return a.per_h + (b.per_h - a.per_h) * (t_s - a.at_s) / span;
            }
        }
        pts.last().map_or(0.0, |p| p.per_h)
    }

    /// The largest demand the schedule (or the constant) asks for.
    #[must_use]
    pub fn peak_demand(&self) -> f64 {
        self.demand_per_h
            .unwrap_or_else(|| self.schedule.iter().map(|p| p.per_h).fold(0.0, f64::max))
    }

    /// Σ pᵢ × delayᵢ of the weather table.
    #[must_use]
    pub fn monsoon_expected_delay(&self) -> f64 {
        let table: Vec<(f64, f64)> = self
            .weather
            .iter()
            .map(|w| (w.probability, w.delay))
            .collect();
        crate::analytic::road::expected_delay(&table)
    }

    #[must_use]
    pub fn validate(&self) -> Vec<ParamIssue> {
        let mut out = Vec::new();
        let mut push = |field: &str, msg: String| out.push(ParamIssue::new(field, msg));
        if self.roads.is_empty() || self.roads.len() > MAX_ROADS {
            push(
                "roads",
                format!(
                    "roads must list between 1 and {MAX_ROADS} roads, got {}",
                    self.roads.len()
                ),
            );
        }
        for (i, r) in self.roads.iter().enumerate() {
            let ok_name = !r.name.is_empty()
                && r.name.len() <= 16
                && r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !ok_name || r.name == "all" {
                push(
                    "name",
                    format!(
                        "road name `{}` must be 1–16 characters of a–z, 0–9, `-` or `_`, and not `all`",
                        r.name
                    ),
                );
            } else if self.roads[..i].iter().any(|o| o.name == r.name) {
                push("name", format!("road name `{}` is used twice", r.name));
            }
            if !(within(r.free_flow_min, 0.0, 600.0) && r.free_flow_min > 0.0) {
                push(
                    "free_flow_min",
                    format!(
                        "{}: free_flow_min must be > 0 and ≤ 600 minutes, got {}",
                        r.name, r.free_flow_min
                    ),
                );
            }
            if !(within(r.capacity_per_h, 1.0, MAX_CAPACITY_PER_H)) {
                push(
                    "capacity_per_h",
                    format!(
                        "{}: capacity_per_h must be between 1 and {MAX_CAPACITY_PER_H}, got {}",
                        r.name, r.capacity_per_h
                    ),
                );
            }
            if !within(r.alpha, 0.0, 10.0) {
                push(
                    "alpha",
                    format!(
                        "{}: alpha must be between 0 and 10, got {}",
                        r.name, r.alpha
                    ),
                );
            }
            if !within(r.beta, 1.0, 10.0) {
                push(
                    "beta",
                    format!("{}: beta must be between 1 and 10, got {}", r.name, r.beta),
                );
            }
            if let Some(w) = r.weight
                && !within(w, 0.0, 1.0e6)
            {
                push(
                    "weight",
                    format!("{}: weight must be between 0 and 1e6, got {w}", r.name),
                );
            }
        }
        if !self.roads.is_empty() && self.roads.iter().all(|r| r.weight() <= 0.0) {
            push(
                "weight",
                "at least one road needs a weight > 0 for weighted-random".to_string(),
            );
        }
        if self.schedule.is_empty() || self.schedule.len() > MAX_SCHEDULE_POINTS {
            push(
                "schedule",
                format!(
                    "schedule must have between 1 and {MAX_SCHEDULE_POINTS} points, got {}",
                    self.schedule.len()
                ),
            );
        }
        let mut last = 0.0;
        for p in &self.schedule {
            if !within(p.at_s, 0.0, MAX_DURATION_S) {
                push(
                    "at_s",
                    format!(
                        "a schedule point's at_s must be between 0 and 30 days, got {}",
                        p.at_s
                    ),
                );
            } else if p.at_s < last {
                push(
                    "at_s",
                    format!(
                        "schedule points must be in time order: {} comes after {last}",
                        p.at_s
                    ),
                );
            } else {
                last = p.at_s;
            }
            if !within(p.per_h, 0.0, MAX_DEMAND_PER_H) {
                push(
                    "per_h",
                    format!(
                        "a schedule point's per_h must be between 0 and {MAX_DEMAND_PER_H} cars/h, got {}",
                        p.per_h
                    ),
                );
            }
        }
        if let Some(d) = self.demand_per_h
            && !within(d, 0.0, MAX_DEMAND_PER_H)
        {
            push(
                "demand_per_h",
                format!("demand_per_h must be between 0 and {MAX_DEMAND_PER_H} cars/h, got {d}"),
            );
        }
        if !within(self.info_delay_s, 0.0, 3600.0) {
            push(
                "info_delay_s",
                format!(
                    "info_delay_s must be between 0 and 3600 seconds, got {}",
                    self.info_delay_s
                ),
            );
        }
        if !within(self.flow_window_s, 10.0, 3600.0) {
            push(
                "flow_window_s",
                format!(
                    "flow_window_s must be between 10 and 3600 seconds, got {}",
                    self.flow_window_s
                ),
            );
        }
        if self.weather.len() > MAX_WEATHER_STATES {
            push(
                "weather",
                format!(
                    "weather may list at most {MAX_WEATHER_STATES} states, got {}",
                    self.weather.len()
                ),
            );
        }
        for w in &self.weather {
            if w.name.is_empty() || w.name.len() > 32 {
                push(
                    "weather",
                    format!(
                        "a weather state's name must be 1–32 characters, got `{}`",
                        w.name
                    ),
                );
            }
            if !within(w.probability, 0.0, 1.0) {
                push(
                    "probability",
                    format!(
                        "{}: probability must be between 0 and 1, got {}",
                        w.name, w.probability
                    ),
                );
            }
            if !within(w.delay, 0.0, 10.0) {
                push(
                    "delay",
                    format!(
                        "{}: delay must be between 0 and 10 (a fraction: 0.3 = +30 %), got {}",
                        w.name, w.delay
                    ),
                );
            }
        }
        let total_p: f64 = self.weather.iter().map(|w| w.probability).sum();
        if !self.weather.is_empty() && (total_p - 1.0).abs() > 1e-6 {
            push(
                "probability",
                format!("the weather probabilities must add up to 1, got {total_p}"),
            );
        }
        if let Some(p) = self.weather_period_s
            && !within(p, 60.0, MAX_DURATION_S)
        {
            push(
                "weather_period_s",
                format!("weather_period_s must be between 60 s and 30 days, got {p}"),
            );
        }
        if !within(self.sample_every_s, 1.0, 86_400.0) {
            push(
                "sample_every_s",
                format!(
                    "sample_every_s must be between 1 and 86400 seconds, got {}",
                    self.sample_every_s
                ),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_follow_the_episode() {
        let p = TrafficParams::default();
        assert!(p.validate().is_empty(), "{:?}", p.validate());
        let w: Vec<f64> = p.roads.iter().map(RoadParams::weight).collect();
        assert_eq!(w, vec![10.0, 8.0, 6.0]);
        assert_eq!(p.peak_demand(), 3000.0);
        assert!((p.monsoon_expected_delay() - 0.175).abs() < 1e-12);
    }

    #[test]
    fn schedule_is_piecewise_linear_and_flat_at_the_ends() {
        let p = TrafficParams::default();
        assert_eq!(p.demand_at(0.0), 600.0);
        assert_eq!(p.demand_at(3450.0), 2000.0);
        assert_eq!(p.demand_at(5000.0), 3000.0);
        assert_eq!(p.demand_at(50_000.0), 300.0);
        let c = TrafficParams {
            demand_per_h: Some(1800.0),
            ..TrafficParams::default()
        };
        assert_eq!(c.demand_at(3600.0), 1800.0);
    }

    #[test]
    fn validation_names_the_field() {
        let mut p = TrafficParams::default();
        p.roads[1].name = "weh".into();
        p.roads[2].capacity_per_h = -5.0;
        p.weather[0].probability = 0.5;
        p.demand_per_h = Some(1e9);
        p.schedule.swap(0, 1);
        let fields: Vec<String> = p.validate().into_iter().map(|i| i.field).collect();
        for f in [
            "name",
            "capacity_per_h",
            "probability",
            "demand_per_h",
            "at_s",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
        let many = TrafficParams {
            roads: (0..17)
                .map(|i| road(&format!("r{i}"), 10.0, 100.0))
                .collect(),
            ..TrafficParams::default()
        };
        assert!(many.validate().iter().any(|i| i.field == "roads"));
    }
}
