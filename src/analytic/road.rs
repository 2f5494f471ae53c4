//! Roads whose travel time grows with flow, and how traffic splits over
//! them (the episode's "traffic police algorithm", section 1.5).
//!
//! - **BPR** (US Bureau of Public Roads): t(x) = t₀ (1 + α (x/c)^β), with
//!   x the flow and c the capacity in cars per hour, t₀ the free-flow time.
//! - **Marginal cost** of one more car: d(x t(x))/dx = t₀ (1 + α (β+1) (x/c)^β):
//!   its own time plus the delay it adds to everyone else.
//! - **Wardrop's user equilibrium** (every driver picks the fastest road):
//!   every used road has the same travel time, no unused road is faster.
//! - **System optimum** (a controller minimises Σ xᵢ tᵢ(xᵢ) subject to
//!   Σ xᵢ = demand; Lagrange multipliers): every used road has the same
//!   marginal cost.
//! - **Price of anarchy**: total travel time at the user equilibrium over
//!   that at the system optimum (≥ 1).
//!
//! Both assignments are found by bisection on the common level (time or
//! marginal cost): each road's flow at a given level has a closed form and
//! grows with the level, so the total is monotone. No external solver.
//!
//! The monsoon table of section 1.4 gives the expected delay
//! Σ pᵢ × delayᵢ (0.7 × 5 % + 0.2 × 30 % + 0.1 × 80 % = 17.5 %).

/// One road's BPR travel-time function. Times in minutes, flows in cars/h.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bpr {
    pub free_flow_min: f64,
    pub capacity_per_h: f64,
    pub alpha: f64,
    pub beta: f64,
}

impl Bpr {
    /// The standard BPR curve (α = 0.15, β = 4).
    #[must_use]
    pub fn standard(free_flow_min: f64, capacity_per_h: f64) -> Self {
        Bpr {
            free_flow_min,
            capacity_per_h,
            alpha: 0.15,
            beta: 4.0,
        }
    }

    fn ratio_pow(&self, flow_per_h: f64) -> f64 {
        if self.capacity_per_h <= 0.0 {
            return if flow_per_h > 0.0 { f64::INFINITY } else { 0.0 };
        }
        (flow_per_h.max(0.0) / self.capacity_per_h).powf(self.beta)
    }

    /// t(x) in minutes.
    #[must_use]
    pub fn travel_time_min(&self, flow_per_h: f64) -> f64 {
        self.free_flow_min * (1.0 + self.alpha * self.ratio_pow(flow_per_h))
    }

    /// d(x t(x))/dx in minutes: the time one more car costs everyone.
    #[must_use]
    pub fn marginal_cost_min(&self, flow_per_h: f64) -> f64 {
        self.free_flow_min * (1.0 + self.alpha * (self.beta + 1.0) * self.ratio_pow(flow_per_h))
    }

    /// The flow at which t(x) = `level` (0 below free flow): the inverse of
    /// `1 + k (x/c)^β` at `level / t₀`.
    fn flow_at(&self, level_min: f64, k: f64) -> f64 {
        if self.capacity_per_h <= 0.0 || self.free_flow_min <= 0.0 || k <= 0.0 {
            return 0.0;
        }
        let excess = level_min / self.free_flow_min - 1.0;
        if excess <= 0.0 {
            0.0
        } else {
            self.capacity_per_h * (excess / k).powf(1.0 / self.beta)
        }
    }

    /// The flow at which this road's travel time is `t_min`.
    #[must_use]
    pub fn flow_at_time(&self, t_min: f64) -> f64 {
        self.flow_at(t_min, self.alpha)
    }

    /// The flow at which this road's marginal cost is `m_min`.
    #[must_use]
    pub fn flow_at_marginal_cost(&self, m_min: f64) -> f64 {
        self.flow_at(m_min, self.alpha * (self.beta + 1.0))
    }

    /// Whether the curve is usable by the solvers.
    fn is_valid(&self) -> bool {
        self.free_flow_min.is_finite()
            && self.free_flow_min > 0.0
            && self.capacity_per_h.is_finite()
            && self.capacity_per_h > 0.0
            && self.alpha.is_finite()
            && self.alpha > 0.0
            && self.beta.is_finite()
            && self.beta >= 1.0
    }
}

/// A split of demand over roads.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub flows_per_h: Vec<f64>,
    /// Each road's travel time at its flow (free-flow time when unused).
    pub travel_times_min: Vec<f64>,
    /// The common level: travel time (equilibrium) or marginal cost (optimum).
    pub level_min: f64,
    /// Σ xᵢ tᵢ(xᵢ): vehicle-hours spent per hour of demand.
    pub total_vehicle_hours_per_h: f64,
    /// Mean travel time of a car, minutes (total / demand).
    pub mean_travel_min: f64,
}

/// Σ xᵢ tᵢ(xᵢ) in vehicle-hours per hour.
#[must_use]
pub fn total_vehicle_hours_per_h(roads: &[Bpr], flows_per_h: &[f64]) -> f64 {
    roads
        .iter()
        .zip(flows_per_h)
        .map(|(r, x)| {
            if *x > 0.0 {
                x * r.travel_time_min(*x) / 60.0
            } else {
                0.0
            }
        })
        .sum()
}

/// Bisection on the common level so that Σ flowᵢ(level) = demand.
fn solve(
    roads: &[Bpr],
    demand_per_h: f64,
    flow_at: impl Fn(&Bpr, f64) -> f64,
) -> Option<Assignment> {
    if roads.is_empty() || !roads.iter().all(Bpr::is_valid) {
        return None;
    }
    if !(demand_per_h.is_finite() && demand_per_h >= 0.0) {
        return None;
    }
    let total = |level: f64| roads.iter().map(|r| flow_at(r, level)).sum::<f64>();
    let mut lo = roads
        .iter()
        .map(|r| r.free_flow_min)
        .fold(f64::INFINITY, f64::min);
    let mut hi = lo * 2.0;
    let mut grow = 0;
    while total(hi) < demand_per_h {
        hi *= 2.0;
        grow += 1;
        if grow > 200 || !hi.is_finite() {
            return None;
        }
    }
    if demand_per_h > 0.0 {
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if total(mid) < demand_per_h {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= 1e-13 * hi {
                break;
            }
        }
    } else {
        hi = lo;
    }
    let level = hi;
    let mut flows: Vec<f64> = roads.iter().map(|r| flow_at(r, level)).collect();
    // Scale away the bisection's last rounding so that flows sum to demand.
    let sum: f64 = flows.iter().sum();
    if sum > 0.0 {
        for f in &mut flows {
            *f *= demand_per_h / sum;
        }
    }
    let times: Vec<f64> = roads
        .iter()
        .zip(&flows)
        .map(|(r, x)| r.travel_time_min(*x))
        .collect();
    let total_vh = total_vehicle_hours_per_h(roads, &flows);
    let mean = if demand_per_h > 0.0 {
        total_vh * 60.0 / demand_per_h
    } else {
        roads
            .iter()
            .map(|r| r.free_flow_min)
            .fold(f64::INFINITY, f64::min)
    };
    Some(Assignment {
        flows_per_h: flows,
        travel_times_min: times,
        level_min: level,
        total_vehicle_hours_per_h: total_vh,
        mean_travel_min: mean,
    })
}

/// Wardrop's user equilibrium; `None` for invalid roads or demand.
#[must_use]
pub fn user_equilibrium(roads: &[Bpr], demand_per_h: f64) -> Option<Assignment> {
    solve(roads, demand_per_h, Bpr::flow_at_time)
}

/// The system optimum (equal marginal costs); `None` for invalid input.
#[must_use]
pub fn system_optimum(roads: &[Bpr], demand_per_h: f64) -> Option<Assignment> {
    solve(roads, demand_per_h, Bpr::flow_at_marginal_cost)
}

/// Total travel time at the user equilibrium over that at the system
/// optimum (1 when demand is zero).
#[must_use]
pub fn price_of_anarchy(roads: &[Bpr], demand_per_h: f64) -> Option<f64> {
    let ue = user_equilibrium(roads, demand_per_h)?;
    let so = system_optimum(roads, demand_per_h)?;
    if so.total_vehicle_hours_per_h > 0.0 {
        Some(ue.total_vehicle_hours_per_h / so.total_vehicle_hours_per_h)
    } else {
        Some(1.0)
    }
}

/// Expected delay fraction of a weather table: Σ pᵢ × delayᵢ, for
/// `(probability, delay fraction)` pairs.
#[must_use]
pub fn expected_delay(table: &[(f64, f64)]) -> f64 {
    table.iter().map(|(p, d)| p * d).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bkc() -> Vec<Bpr> {
        vec![
            Bpr::standard(30.0, 1000.0),
            Bpr::standard(31.0, 800.0),
            Bpr::standard(32.0, 600.0),
        ]
    }

    #[test]
    fn bpr_curve_and_marginal_cost() {
        let r = Bpr::standard(30.0, 1000.0);
        assert_eq!(r.travel_time_min(0.0), 30.0);
        assert!((r.travel_time_min(1000.0) - 34.5).abs() < 1e-12);
        // d(x t)/dx = t0 (1 + α (β+1) (x/c)^β); at capacity 30 × 1.75.
        assert!((r.marginal_cost_min(1000.0) - 52.5).abs() < 1e-12);
        // Numerical derivative agrees.
        let h = 1e-3;
        let f = |x: f64| x * r.travel_time_min(x);
        let num = (f(800.0 + h) - f(800.0 - h)) / (2.0 * h);
        assert!((num - r.marginal_cost_min(800.0)).abs() < 1e-6);
        // Inverses.
        assert!((r.flow_at_time(r.travel_time_min(700.0)) - 700.0).abs() < 1e-9);
        assert!((r.flow_at_marginal_cost(r.marginal_cost_min(700.0)) - 700.0).abs() < 1e-9);
        assert_eq!(r.flow_at_time(29.0), 0.0);
    }

    #[test]
    fn user_equilibrium_equalises_used_roads() {
        for demand in [300.0, 1200.0, 1800.0, 2400.0, 3000.0] {
            let roads = bkc();
            let ue = user_equilibrium(&roads, demand).expect("solvable");
            assert!((ue.flows_per_h.iter().sum::<f64>() - demand).abs() < 1e-6);
            for (r, (x, t)) in roads
                .iter()
                .zip(ue.flows_per_h.iter().zip(&ue.travel_times_min))
            {
                if *x > 1e-9 {
                    assert!(
                        (t - ue.level_min).abs() < 1e-6,
                        "used road at {t} vs {}",
                        ue.level_min
                    );
                } else {
                    // An unused road is no faster than the used ones.
                    assert!(r.free_flow_min >= ue.level_min - 1e-6);
                }
            }
        }
    }

    #[test]
    fn system_optimum_equalises_marginal_costs_and_beats_the_equilibrium() {
        for demand in [300.0, 1200.0, 1800.0, 2400.0, 3000.0] {
            let roads = bkc();
            let so = system_optimum(&roads, demand).expect("solvable");
            let ue = user_equilibrium(&roads, demand).expect("solvable");
            for (r, x) in roads.iter().zip(&so.flows_per_h) {
                if *x > 1e-9 {
                    assert!((r.marginal_cost_min(*x) - so.level_min).abs() < 1e-6);
                }
            }
            assert!(so.total_vehicle_hours_per_h <= ue.total_vehicle_hours_per_h + 1e-9);
            let poa = price_of_anarchy(&roads, demand).expect("solvable");
            assert!(poa >= 1.0 - 1e-12);
            // No other split does better than the optimum.
            let even = vec![demand / 3.0; 3];
            assert!(
                so.total_vehicle_hours_per_h <= total_vehicle_hours_per_h(&roads, &even) + 1e-9
            );
        }
    }

    #[test]
    fn linear_roads_have_the_textbook_closed_form() {
        // β = 1: t = a + b x with a = t0, b = t0 α / c.
        // Two roads: UE where a1 + b1 x1 = a2 + b2 (D − x1).
        let r1 = Bpr {
            free_flow_min: 10.0,
            capacity_per_h: 100.0,
            alpha: 1.0,
            beta: 1.0,
        }; // 10 + 0.1 x
        let r2 = Bpr {
            free_flow_min: 20.0,
            capacity_per_h: 400.0,
            alpha: 1.0,
            beta: 1.0,
        }; // 20 + 0.05 x
        let d = 300.0;
        let ue = user_equilibrium(&[r1, r2], d).expect("solvable");
        let x1 = (20.0 - 10.0 + 0.05 * d) / (0.1 + 0.05);
        assert!((ue.flows_per_h[0] - x1).abs() < 1e-6, "{ue:?}");
        // SO where a1 + 2 b1 x1 = a2 + 2 b2 (D − x1).
        let so = system_optimum(&[r1, r2], d).expect("solvable");
        let x1 = (20.0 - 10.0 + 0.1 * d) / (0.2 + 0.1);
        assert!((so.flows_per_h[0] - x1).abs() < 1e-6, "{so:?}");
    }

    #[test]
    fn one_road_takes_everything() {
        let r = Bpr::standard(30.0, 1000.0);
        let ue = user_equilibrium(&[r], 1500.0).expect("solvable");
        assert!((ue.flows_per_h[0] - 1500.0).abs() < 1e-9);
        assert!((ue.travel_times_min[0] - r.travel_time_min(1500.0)).abs() < 1e-9);
        assert!((price_of_anarchy(&[r], 1500.0).expect("solvable") - 1.0).abs() < 1e-12);
        let zero = user_equilibrium(&[r], 0.0).expect("solvable");
        assert_eq!(zero.flows_per_h, vec![0.0]);
        assert!(user_equilibrium(&[], 10.0).is_none());
        assert!(user_equilibrium(&[Bpr::standard(30.0, 0.0)], 10.0).is_none());
    }

    #[test]
    fn pigou_price_of_anarchy_tends_to_four_thirds() {
        // Pigou: t1 = 1 (constant-ish: tiny α), t2 = x (β = 1): PoA → 4/3.
        let fast = Bpr {
            free_flow_min: 1.0,
            capacity_per_h: 1.0,
            alpha: 1e-6,
            beta: 1.0,
        };
        let slow = Bpr {
            free_flow_min: 1e-9,
            capacity_per_h: 1e-9,
            alpha: 1.0,
            beta: 1.0,
        }; // ≈ x
        let poa = price_of_anarchy(&[fast, slow], 1.0).expect("solvable");
        assert!((poa - 4.0 / 3.0).abs() < 1e-3, "{poa}");
    }

    #[test]
    fn monsoon_expected_delay_is_seventeen_and_a_half_percent() {
        let table = [(0.7, 0.05), (0.2, 0.30), (0.1, 0.80)];
        assert!((expected_delay(&table) - 0.175).abs() < 1e-12);
    }
}
