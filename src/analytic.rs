//! Closed forms from queueing theory, shown beside the simulated values and
//! used as test oracles: M/M/1, M/M/1/K (the episode's P(K)), M/M/c
//! (Erlang C), M/M/c/K, Erlang B and the loss system M/G/c/c, M/G/1
//! (Pollaczek–Khinchine), trains with ample seats, and Little's law. Rates are per second,
//! times in seconds.

pub mod road;

/// Steady-state figures of a queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueueFigures {
    /// Offered load per server, ρ = λ / (c μ).
    pub rho: f64,
    /// Probability an arrival is turned away (0 for infinite queues).
    pub blocking_probability: f64,
    /// L: mean number in system.
    pub mean_in_system: f64,
    /// Lq: mean number waiting.
    pub mean_in_queue: f64,
    /// W: mean time in system of admitted customers.
    pub mean_response_s: f64,
    /// Wq: mean wait of admitted customers.
    pub mean_wait_s: f64,
    /// Admitted rate λ (1 − P_block).
    pub throughput_per_s: f64,
    /// Mean busy fraction of a server.
    pub utilisation: f64,
}

/// Little's law: L = λ W.
#[must_use]
pub fn little_l(lambda: f64, w: f64) -> f64 {
    lambda * w
}

/// M/M/1; `None` when unstable (λ ≥ μ).
#[must_use]
pub fn mm1(lambda: f64, mu: f64) -> Option<QueueFigures> {
    mmc(lambda, mu, 1)
}

/// M/M/1/K with K the system capacity (including the one in service).
/// Blocking is the episode's P(K) = (1−ρ) ρ^K / (1 − ρ^(K+1)).
#[must_use]
pub fn mm1k(lambda: f64, mu: f64, k: u32) -> QueueFigures {
    mmck(lambda, mu, 1, k)
}

/// Erlang B: blocking probability of c servers with no waiting room at
/// offered load `a` = λ/μ (stable recursion, no factorials).
#[must_use]
pub fn erlang_b(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        let k = f64::from(k);
        b = a * b / (k + a * b);
    }
    b
}

/// Erlang C: probability an arrival waits in M/M/c at offered load `a`
/// (`None` when a ≥ c).
#[must_use]
pub fn erlang_c(c: u32, a: f64) -> Option<f64> {
    let cf = f64::from(c);
    if a >= cf || c == 0 {
        return None;
    }
    let b = erlang_b(c, a);
    Some(cf * b / (cf - a * (1.0 - b)))
}

/// M/M/c with an infinite queue; `None` when unstable.
#[must_use]
pub fn mmc(lambda: f64, mu: f64, c: u32) -> Option<QueueFigures> {
    let a = lambda / mu;
    let cf = f64::from(c);
    let pw = erlang_c(c, a)?;
    let lq = pw * a / (cf - a);
    let wq = lq / lambda;
    let w = wq + 1.0 / mu;
    Some(QueueFigures {
        rho: a / cf,
        blocking_probability: 0.0,
        mean_in_system: lq + a,
        mean_in_queue: lq,
        mean_response_s: w,
        mean_wait_s: wq,
        throughput_per_s: lambda,
        utilisation: a / cf,
    })
}

/// M/G/1 with an infinite queue (Pollaczek–Khinchine): service time mean
/// 1/μ with squared coefficient of variation `scv` (1 exponential, 0
/// deterministic, 1/k Erlang-k). `None` when unstable.
#[must_use]
pub fn mg1(lambda: f64, mu: f64, scv: f64) -> Option<QueueFigures> {
    let rho = lambda / mu;
    if rho.is_nan() || rho >= 1.0 || lambda < 0.0 || scv < 0.0 {
        return None;
    }
    let wq = rho * (1.0 + scv) / (2.0 * mu * (1.0 - rho));
    let w = wq + 1.0 / mu;
    Some(QueueFigures {
        rho,
        blocking_probability: 0.0,
        mean_in_system: lambda * w,
        mean_in_queue: lambda * wq,
        mean_response_s: w,
        mean_wait_s: wq,
        throughput_per_s: lambda,
        utilisation: rho,
    })
}

/// M/M/c/K (K ≥ c the system capacity), by the stationary distribution
/// computed in log space so that K in the thousands stays finite.
#[must_use]
pub fn mmck(lambda: f64, mu: f64, c: u32, k: u32) -> QueueFigures {
    let cf = f64::from(c.max(1));
    let k = k.max(c);
    let a = lambda / mu;
    // log p_n (unnormalised): n ≤ c: a^n / n!; n > c: a^n / (c! c^(n−c))
    let mut logs = Vec::with_capacity(k as usize + 1);
    let mut lp = 0.0f64;
    logs.push(0.0);
    for n in 1..=k {
        let nf = f64::from(n);
        lp += a.ln() - if nf <= cf { nf.ln() } else { cf.ln() };
        logs.push(lp);
    }
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let l: f64 = p.iter().enumerate().map(|(n, pn)| n as f64 * pn).sum();
    let lq: f64 = p
        .iter()
        .enumerate()
        .map(|(n, pn)| (n as f64 - cf).max(0.0) * pn)
        .sum();
    let pk = p[k as usize];
    let lambda_eff = lambda * (1.0 - pk);
    let busy = l - lq;
    let (w, wq) = if lambda_eff > 0.0 {
        (l / lambda_eff, lq / lambda_eff)
    } else {
        (1.0 / mu, 0.0)
    };
    QueueFigures {
        rho: a / cf,
        blocking_probability: pk,
        mean_in_system: l,
        mean_in_queue: lq,
        mean_response_s: w,
        mean_wait_s: wq,
        throughput_per_s: lambda_eff,
        utilisation: busy / cf,
    }
}

/// M/G/c/c, the loss system: c servers and no room to wait. Its blocking
/// is Erlang B whatever the service law beyond its mean (insensitivity),
/// so every figure here holds for any service distribution with mean 1/μ.
#[must_use]
pub fn mgcc(lambda: f64, mu: f64, c: u32) -> QueueFigures {
    let cf = f64::from(c.max(1));
    let a = lambda / mu;
    let b = erlang_b(c.max(1), a);
    let lambda_eff = lambda * (1.0 - b);
    QueueFigures {
        rho: a / cf,
        blocking_probability: b,
        mean_in_system: a * (1.0 - b),
        mean_in_queue: 0.0,
        mean_response_s: 1.0 / mu,
        mean_wait_s: 0.0,
        throughput_per_s: lambda_eff,
        utilisation: a * (1.0 - b) / cf,
    }
}

/// Trains with ample seats: Poisson arrivals at λ onto a platform that
/// holds `k`, and a train every `headway_s` that takes everyone on it
/// (its seats are at least `k`). Between two trains N ~ Poisson(λh)
/// arrive and the first min(N, k) get on the platform; given N = n their
/// arrival instants are uniform order statistics, so the i-th waits
/// h (1 − i/(n+1)) on average. Without blocking the mean wait is h/2.
/// `seats` is the train's capacity (for the share of seats filled).
#[must_use]
pub fn trains_ample(lambda: f64, headway_s: f64, k: u32, seats: u32) -> QueueFigures {
    let m = lambda * headway_s;
    let kf = f64::from(k);
    // Poisson(m) in log space, summed far enough into the tail that what
    // is left is below 1e-15 of the total (12 standard deviations).
    let n_max = (m + 12.0 * m.sqrt() + 20.0).ceil() as u64;
    let (mut admitted, mut turned_away, mut wait_sum) = (0.0, 0.0, 0.0);
    let mut log_p = -m;
    for n in 0..=n_max {
        if n > 0 {
            log_p += m.ln() - (n as f64).ln();
        }
        let p = log_p.exp();
        let nf = n as f64;
        let got = nf.min(kf);
        admitted += p * got;
        turned_away += p * (nf - got);
        // Σ_{i ≤ got} h (1 − i/(n+1))
        wait_sum += p * headway_s * (got - got * (got + 1.0) / (2.0 * (nf + 1.0)));
    }
    let throughput = admitted / headway_s;
    let w = if admitted > 0.0 {
        wait_sum / admitted
    } else {
        headway_s / 2.0
    };
    QueueFigures {
        rho: m / f64::from(seats.max(1)),
        blocking_probability: if m > 0.0 { turned_away / m } else { 0.0 },
        mean_in_system: wait_sum / headway_s,
        mean_in_queue: wait_sum / headway_s,
        mean_response_s: w,
        mean_wait_s: w,
        throughput_per_s: throughput,
        utilisation: admitted / f64::from(seats.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn mm1k_matches_the_episode_formula() {
        let (lambda, mu, k) = (0.9, 1.0, 10);
        let rho: f64 = lambda / mu;
        let pk = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
        let f = mm1k(lambda, mu, k as u32);
        assert!(close(f.blocking_probability, pk, 1e-12), "{f:?} vs {pk}");
        // L for M/M/1/K: ρ/(1−ρ) − (K+1)ρ^(K+1)/(1−ρ^(K+1))
        let l = rho / (1.0 - rho) - f64::from(k + 1) * rho.powi(k + 1) / (1.0 - rho.powi(k + 1));
        assert!(close(f.mean_in_system, l, 1e-12));
    }

    #[test]
    fn mm1_textbook_and_the_platform_example() {
        // Episode: λ = 200/min, μ = 250/min → W = 1/(μ−λ) = 0.02 min = 1.2 s.
        let f = mm1(200.0 / 60.0, 250.0 / 60.0).expect("stable");
        assert!(close(f.mean_response_s, 1.2, 1e-12));
        assert!(close(f.rho, 0.8, 1e-12));
        assert!(close(f.mean_in_system, 4.0, 1e-12));
        assert!(mm1(1.0, 1.0).is_none());
    }

    #[test]
    fn erlang_b_known_value_and_limit() {
        // Standard table: B(10, 8) ≈ 0.12166
        assert!((erlang_b(10, 8.0) - 0.121_661).abs() < 1e-5);
        // M/M/c/c equals Erlang B
        let f = mmck(8.0, 1.0, 10, 10);
        assert!(close(f.blocking_probability, erlang_b(10, 8.0), 1e-12));
    }

    #[test]
    fn mmck_with_large_k_approaches_mmc() {
        let inf = mmc(3.6, 1.0, 4).expect("stable");
        let big = mmck(3.6, 1.0, 4, 2000);
        assert!(close(big.mean_in_system, inf.mean_in_system, 1e-9));
        assert!(close(big.mean_response_s, inf.mean_response_s, 1e-9));
        // Little's law holds inside the closed form itself.
        let f = mmck(3.6, 1.0, 4, 20);
        assert!(close(
            f.mean_in_system,
            little_l(f.throughput_per_s, f.mean_response_s),
            1e-12
        ));
    }

    #[test]
    fn pollaczek_khinchine_reduces_to_mm1_and_halves_for_md1() {
        let m = mm1(0.8, 1.0).expect("stable");
        let g = mg1(0.8, 1.0, 1.0).expect("stable");
        assert!(close(g.mean_in_system, m.mean_in_system, 1e-12));
        let d = mg1(0.8, 1.0, 0.0).expect("stable");
        assert!(close(d.mean_wait_s, m.mean_wait_s / 2.0, 1e-12));
        assert!(mg1(1.0, 1.0, 0.5).is_none());
    }

    #[test]
    fn platform_capacity_500_does_not_overflow_numerically() {
        let f = mmck(200.0 / 60.0, 250.0 / 60.0, 1, 500);
        assert!(f.blocking_probability.is_finite() && f.blocking_probability < 1e-40);
        let over = mmck(400.0 / 60.0, 250.0 / 60.0, 1, 500);
        assert!(close(over.blocking_probability, 1.0 - 250.0 / 400.0, 1e-6));
    }

    #[test]
    fn the_loss_system_is_erlang_b_and_obeys_little() {
        let f = mgcc(8.0, 1.0, 10);
        assert!(close(f.blocking_probability, erlang_b(10, 8.0), 1e-12));
        assert!(close(
            f.mean_in_system,
            f.throughput_per_s * f.mean_response_s,
            1e-12
        ));
        let m = mmck(8.0, 1.0, 10, 10);
        assert!(close(f.mean_in_system, m.mean_in_system, 1e-9));
        assert!(close(f.utilisation, m.utilisation, 1e-9));
    }

    #[test]
    fn trains_with_ample_seats_wait_half_a_headway_and_cap_at_k() {
        // A platform too big to fill: everyone waits h/2 on average.
        let f = trains_ample(200.0 / 60.0, 180.0, 5000, 5000);
        assert!(f.blocking_probability < 1e-12);
        assert!(close(f.mean_wait_s, 90.0, 1e-9), "{f:?}");
        assert!(close(f.throughput_per_s, 200.0 / 60.0, 1e-9));
        // L = λ h / 2 by Little's law.
        assert!(close(f.mean_in_system, 200.0 / 60.0 * 90.0, 1e-9));
        // 600 arrive per headway and the platform holds 500: the trains
        // fill about 500 of their 700 seats, and those admitted are the
        // first to arrive, so they wait longer than h/2.
        let g = trains_ample(200.0 / 60.0, 180.0, 500, 700);
        assert!((g.utilisation - 500.0 / 700.0).abs() < 0.01, "{g:?}");
        assert!(g.blocking_probability > 0.15 && g.blocking_probability < 0.18);
        assert!(g.mean_wait_s > 90.0);
        assert!(close(
            g.mean_in_system,
            g.throughput_per_s * g.mean_response_s,
            1e-12
        ));
    }
}
