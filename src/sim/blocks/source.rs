//! Arrival sources: Poisson processes whose rate is piecewise constant or
//! piecewise linear in time (a schedule of steps, or of points the rate
//! ramps between, with spikes on top whose overlaps multiply or, as a
//! crowd reacting to a match does, take the largest), scaled live, in
//! batches, of several entity classes; and [`Merged`], several sources'
//! arrivals in time order.
//!
//! Non-homogeneous arrivals are drawn by piecewise inversion of the
//! cumulative intensity Λ(t): one Exp(1) draw E per arrival, and the next
//! arrival is the first T with Λ(now, T) = E. Over a constant segment that
//! is E / rate; over a linear one (rate r₀ + s·x) it is the root of
//! r₀x + s x²/2 = E, taken as 2E / (r₀ + √(r₀² + 2sE)), which is exact for
//! rising and falling ramps alike and never cancels. That is exact (no
//! thinning rejects), uses one draw per arrival, and makes re-scaling exact too:
//! when the rate changes at `now` the unused part of E carries over
//! (memorylessness), so the arrival stream stays the same stream (common
//! random numbers) whatever a policy or fault does elsewhere.
//!
//! Inter-arrival times use the stream `NAME/times`; classes and batch sizes
//! use `NAME/marks`, so adding classes never shifts the arrival times.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::super::SimTime;
use super::super::rng::{SimRng, stream};
use super::{BlockError, exp1, secs, uniform};

/// Largest batch a geometric batch size draws (keeps memory bounded).
pub const MAX_BATCH: u32 = 1_000_000;

/// A spike: the rate × `multiplier` over [`from`, `until`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    pub from: SimTime,
    pub until: SimTime,
    pub multiplier: f64,
}

/// How the multipliers of spikes in force at the same instant combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// They multiply: two ×2 spikes give ×4 (independent causes, each
    /// scaling what the other left).
    Multiply,
    /// The largest applies: a ×2 and a ×2.5 spike give ×2.5 (one crowd
    /// reacting to several events: a wicket during a boundary's rush does
    /// not bring the same people twice).
    Largest,
}

/// A piecewise-constant or piecewise-linear rate (per second) over
/// simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct RateProfile {
    /// (start, rate per second at the start), sorted, first start 0; the
    /// last segment lasts for ever.
    segs: Vec<(SimTime, f64)>,
    /// Each segment's slope, rate per second per second (0: constant);
    /// empty when every segment is constant. The last is always 0.
    slopes: Vec<f64>,
}

impl RateProfile {
    /// The same rate for ever.
    #[must_use]
    pub fn constant(rate_per_s: f64) -> Self {
        RateProfile {
            segs: vec![(SimTime::ZERO, rate_per_s.max(0.0))],
            slopes: Vec::new(),
        }
    }

    /// Steps `(at_s, rate_per_s)`: the rate is 0 before the first step,
    /// then each step's rate until the next one. Steps must be sorted by
    /// time, with finite non-negative numbers.
    pub fn steps(steps: &[(f64, f64)]) -> Result<Self, BlockError> {
        let mut segs = vec![(SimTime::ZERO, 0.0)];
        let mut last = 0.0;
        for &(at, rate) in steps {
            if !(at.is_finite() && at >= 0.0 && rate.is_finite() && rate >= 0.0) {
                return Err(BlockError::RatePoint {
                    what: "steps",
                    at,
                    rate,
                });
            }
            if at < last {
                return Err(BlockError::Unsorted {
                    what: "steps",
                    at,
                    last,
                });
            }
            last = at;
            let t = secs(at);
            match segs.last_mut() {
                Some(s) if s.0 == t => s.1 = rate,
                _ => segs.push((t, rate)),
            }
        }
        Ok(RateProfile {
            segs,
            slopes: Vec::new(),
        })
    }

    /// Points `(at_s, rate_per_s)` the rate ramps linearly between: 0
    /// before the first point, the last point's rate after it. Points must
    /// be sorted by time, with finite non-negative numbers; two points at
    /// the same time make a jump.
    pub fn linear(points: &[(f64, f64)]) -> Result<Self, BlockError> {
        let mut last = 0.0;
        for &(at, rate) in points {
            if !(at.is_finite() && at >= 0.0 && rate.is_finite() && rate >= 0.0) {
                return Err(BlockError::RatePoint {
                    what: "points",
                    at,
                    rate,
                });
            }
            if at < last {
                return Err(BlockError::Unsorted {
                    what: "points",
                    at,
                    last,
                });
            }
            last = at;
        }
        let mut segs = vec![(SimTime::ZERO, 0.0)];
        let mut slopes = vec![0.0];
        for (k, &(at, rate)) in points.iter().enumerate() {
            let t = secs(at);
            let slope = match points.get(k + 1) {
                Some(&(at2, rate2)) if secs(at2) > t => {
                    (rate2 - rate) / (secs(at2) - t).as_secs_f64()
                }
                _ => 0.0,
            };
            if let Some(s) = segs.last_mut().filter(|s| s.0 == t) {
                s.1 = rate;
                if let Some(sl) = slopes.last_mut() {
                    *sl = slope;
                }
            } else {
                segs.push((t, rate));
                slopes.push(slope);
            }
        }
        Ok(RateProfile { segs, slopes })
    }

    /// Segment `i`'s slope (0 for constant profiles).
    #[inline]
    fn slope(&self, i: usize) -> f64 {
        self.slopes.get(i).copied().unwrap_or(0.0)
    }

    /// The rate at `t` within segment `i`.
    #[inline]
    fn rate_in(&self, i: usize, t: SimTime) -> f64 {
        let (start, rate) = self.segs[i];
        let slope = self.slope(i);
        if slope == 0.0 {
            rate
        } else {
            (rate + slope * (t - start).as_secs_f64()).max(0.0)
        }
    }

    /// Multiplies the rate by `multiplier` during [at_s, at_s + duration_s).
    #[must_use]
    pub fn with_spike(self, at_s: f64, duration_s: f64, multiplier: f64) -> Self {
        let from = secs(at_s);
        self.with_spikes(
            &[Spike {
                from,
                until: from + secs(duration_s),
                multiplier,
            }],
            Overlap::Multiply,
        )
    }

    /// Multiplies the rate by each spike's multiplier while it lasts;
    /// where spikes overlap, `overlap` says how their multipliers combine.
    /// Spikes that last no time, or whose multiplier is not a finite
    /// number ≥ 0, change nothing. Linear segments stay linear (their
    /// slope is multiplied too).
    #[must_use]
    pub fn with_spikes(mut self, spikes: &[Spike], overlap: Overlap) -> Self {
        let mut live: Vec<Spike> = spikes
            .iter()
            .copied()
            .filter(|s| s.until > s.from && s.multiplier.is_finite() && s.multiplier >= 0.0)
            .collect();
        if live.is_empty() {
            return self;
        }
        let mut cuts: Vec<SimTime> = live.iter().flat_map(|s| [s.from, s.until]).collect();
        cuts.sort_unstable();
        cuts.dedup();
        self.split_at_all(&cuts);
        live.sort_by_key(|s| s.from);
        // Sweep the segments in time order with the spikes in force.
        let mut next = 0;
        let mut active: Vec<Spike> = Vec::new();
        for (i, seg) in self.segs.iter_mut().enumerate() {
            let t = seg.0;
            while let Some(s) = live.get(next).filter(|s| s.from <= t) {
                active.push(*s);
                next += 1;
            }
            active.retain(|s| s.until > t);
            let m = match overlap {
                Overlap::Multiply => {
                    if active.is_empty() {
                        continue;
                    }
                    active.iter().fold(1.0, |m, s| m * s.multiplier)
                }
                Overlap::Largest => match active.iter().map(|s| s.multiplier).reduce(f64::max) {
                    Some(m) => m,
                    None => continue,
                },
            };
            seg.1 *= m;
            if let Some(sl) = self.slopes.get_mut(i) {
                *sl *= m;
            }
        }
        self
    }

    /// Starts a segment at each of `cuts` (sorted, distinct) that does not
    /// start one yet, with the rate and slope the profile has there.
    fn split_at_all(&mut self, cuts: &[SimTime]) {
        let linear = !self.slopes.is_empty();
        let mut segs = Vec::with_capacity(self.segs.len() + cuts.len());
        let mut slopes = Vec::with_capacity(if linear { segs.capacity() } else { 0 });
        let mut c = cuts.iter().peekable();
        for i in 0..self.segs.len() {
            let (start, rate) = self.segs[i];
            segs.push((start, rate));
            if linear {
                slopes.push(self.slope(i));
            }
            let end = self.segs.get(i + 1).map(|s| s.0);
            while let Some(&&t) = c.peek() {
                if end.is_some_and(|e| t >= e) {
                    break;
                }
                c.next();
                if t > start {
                    segs.push((t, self.rate_in(i, t)));
                    if linear {
                        slopes.push(self.slope(i));
                    }
                }
            }
        }
        self.segs = segs;
        self.slopes = slopes;
    }

    /// The segment holding `t`.
    fn index(&self, t: SimTime) -> usize {
        self.segs.partition_point(|s| s.0 <= t).saturating_sub(1)
    }

    /// The rate per second at `t`.
    #[must_use]
    pub fn rate_at(&self, t: SimTime) -> f64 {
        self.rate_in(self.index(t), t)
    }

    /// ∫ rate over [a, b).
    #[must_use]
    pub fn integral(&self, a: SimTime, b: SimTime) -> f64 {
        if b <= a {
            return 0.0;
        }
        let mut i = self.index(a);
        let mut t = a;
        let mut acc = 0.0;
        while t < b {
            let end = self.segs.get(i + 1).map_or(b, |s| s.0.min(b));
            let slope = self.slope(i);
            let d = (end - t).as_secs_f64();
            if slope == 0.0 {
                acc += self.segs[i].1 * d;
            } else {
                acc += self.rate_in(i, t) * d + 0.5 * slope * d * d;
            }
            t = end;
            i += 1;
        }
        acc
    }

    /// The first T ≥ `from` with scale·∫[from, T) rate = `mass`, or `None`
    /// when the rate stays 0 for ever after: with `mass` an Exp(1) draw,
    /// the next arrival of the Poisson process this profile × `scale`
    /// drives (for a world that draws its own masses; [`Source`] does it
    /// for the others).
    #[must_use]
    pub fn invert(&self, from: SimTime, mass: f64, scale: f64) -> Option<SimTime> {
        if let [(_, rate)] = self.segs.as_slice() {
            let r = rate * scale;
            return (r > 0.0).then(|| from + secs(mass / r));
        }
        let mut i = self.index(from);
        let mut t = from;
        let mut left = mass;
        loop {
            let slope = self.slope(i) * scale;
            if slope != 0.0 {
                // Not the last segment: that one is always constant.
                let end = self.segs.get(i + 1).map_or(t, |s| s.0);
                let r0 = self.rate_in(i, t) * scale;
                let span = (end - t).as_secs_f64();
                let over = r0 * span + 0.5 * slope * span * span;
                if over > 0.0 && left <= over {
                    let disc = (r0 * r0 + 2.0 * slope * left).max(0.0);
                    let x = 2.0 * left / (r0 + disc.sqrt());
                    return Some(t + secs(x.clamp(0.0, span)));
                }
                left -= over.max(0.0);
                t = end;
                i += 1;
                continue;
            }
            let r = self.segs[i].1 * scale;
            match self.segs.get(i + 1) {
                None => return (r > 0.0).then(|| t + secs(left / r)),
                Some(&(end, _)) => {
                    let span = (end - t).as_secs_f64();
                    if r > 0.0 && left <= r * span {
                        return Some(t + secs(left / r));
                    }
                    left -= r * span;
                    t = end;
                    i += 1;
                }
            }
        }
    }
}

/// How many entities one arrival brings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Batch {
    /// One at a time.
    One,
    /// Always `n`.
    Fixed(u32),
    /// Geometric on {1, 2, …} with the given mean (≥ 1).
    Geometric { mean: f64 },
}

/// One arrival: its class (index into the class weights) and batch size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub class: usize,
    pub count: u32,
}

/// A Poisson source (see the module docs).
///
/// Use: `start(now)` gives the first arrival time; schedule it tagged with
/// [`Source::epoch`]; when it fires (and its epoch is current) call
/// [`Source::arrive`], which returns the arrival and the next time.
/// After [`Source::set_scale`], schedule the returned time under the new
/// epoch and ignore events of older epochs.
#[derive(Clone, Debug)]
pub struct Source {
    profile: RateProfile,
    scale: f64,
    /// Cumulative class weights, normalised (empty: a single class).
    classes: Vec<f64>,
    batch: Batch,
    times: SimRng,
    marks: SimRng,
    pending: Option<SimTime>,
    /// When the pending arrival's Exp(1) mass was placed, and the mass:
    /// re-scaling uses these, not the rounded pending time, so it is exact.
    drawn: Option<(SimTime, f64)>,
    epoch: u32,
}

impl Source {
    /// A source called `name` (its random streams are `name/times` and
    /// `name/marks` of `seed`).
    #[must_use]
    pub fn new(profile: RateProfile, seed: u64, name: &str) -> Self {
        Source {
            profile,
            scale: 1.0,
            classes: Vec::new(),
            batch: Batch::One,
            times: stream(seed, &format!("{name}/times")),
            marks: stream(seed, &format!("{name}/marks")),
            pending: None,
            drawn: None,
            epoch: 0,
        }
    }

    /// Entity classes drawn with probability proportional to `weights`
    /// (e.g. premium / normal / background). Non-positive totals give one class.
    #[must_use]
    pub fn with_classes(mut self, weights: &[f64]) -> Self {
        let total: f64 = weights.iter().map(|w| w.max(0.0)).sum();
        self.classes.clear();
        if weights.len() > 1 && total > 0.0 && total.is_finite() {
            let mut acc = 0.0;
            for w in weights {
                acc += w.max(0.0) / total;
                self.classes.push(acc);
            }
        }
        self
    }

    #[must_use]
    pub fn with_batch(mut self, batch: Batch) -> Self {
        self.batch = batch;
        self
    }

    /// The epoch scheduled arrivals must carry to be current.
    #[must_use]
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The time of the pending arrival.
    #[must_use]
    pub fn pending(&self) -> Option<SimTime> {
        self.pending
    }

    /// The current rate per second (arrival events, not entities).
    #[must_use]
    pub fn rate_at(&self, now: SimTime) -> f64 {
        self.profile.rate_at(now) * self.scale
    }

    #[must_use]
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Draws the first arrival after `now`.
    pub fn start(&mut self, now: SimTime) -> Option<SimTime> {
        let e = exp1(&mut self.times);
        self.place(now, e)
    }

    #[inline]
    fn place(&mut self, now: SimTime, mass: f64) -> Option<SimTime> {
        self.drawn = Some((now, mass));
        self.pending = if self.scale > 0.0 {
            self.profile.invert(now, mass, self.scale)
        } else {
            None
        };
        self.pending
    }

    /// The pending arrival happens at `now`: its class and batch size, and
    /// the time of the next one. Always inlined: every world's arrival
    /// handler calls it, and out of line its pair comes back through memory.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn arrive(&mut self, now: SimTime) -> (Arrival, Option<SimTime>) {
        let class = if self.classes.is_empty() {
            0
        } else {
            let u = uniform(&mut self.marks);
            self.classes
                .iter()
                .position(|&c| u < c)
                .unwrap_or(self.classes.len() - 1)
        };
        let count = match self.batch {
            Batch::One => 1,
            Batch::Fixed(n) => n.max(1),
            Batch::Geometric { mean } => geometric(&mut self.marks, mean),
        };
        let e = exp1(&mut self.times);
        let next = self.place(now, e);
        (Arrival { class, count }, next)
    }

    /// Multiplies the rate by `factor` from `now` on (a new epoch). Returns
    /// the re-timed pending arrival: the unused part of its Exp(1) draw is
    /// carried over, so no random number is wasted or added.
    pub fn set_scale(&mut self, now: SimTime, factor: f64) -> Option<SimTime> {
        let factor = if factor.is_finite() {
            factor.max(0.0)
        } else {
            0.0
        };
        let Some((from, mass)) = self.drawn else {
            self.scale = factor;
            return None;
        };
        let left = if from == now {
            mass
        } else {
            (mass - self.scale * self.profile.integral(from, now)).max(0.0)
        };
        self.scale = factor;
        self.epoch = self.epoch.wrapping_add(1);
        self.place(now, left)
    }
}

/// Several independent sources' arrivals merged in time order, lazily: a
/// binary heap holds each source's pending arrival keyed by (time, source
/// index), so equal times come out lowest index first. Yields (time,
/// source index, arrival); a source whose rate stays 0 drops out.
#[derive(Clone, Debug)]
pub struct Merged {
    sources: Vec<Source>,
    heap: BinaryHeap<Reverse<(SimTime, usize)>>,
}

impl Merged {
    /// Starts every source at `now`.
    #[must_use]
    pub fn new(mut sources: Vec<Source>, now: SimTime) -> Self {
        let heap = sources
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| s.start(now).map(|t| Reverse((t, i))))
            .collect();
        Merged { sources, heap }
    }

    /// The time of the next merged arrival.
    #[must_use]
    pub fn peek(&self) -> Option<SimTime> {
        self.heap.peek().map(|r| r.0.0)
    }

    #[must_use]
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }
}

impl Iterator for Merged {
    type Item = (SimTime, usize, Arrival);

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((t, i)) = self.heap.pop()?;
        let (arrival, next) = self.sources[i].arrive(t);
        if let Some(n) = next {
            self.heap.push(Reverse((n, i)));
        }
        Some((t, i, arrival))
    }
}

fn geometric(rng: &mut SimRng, mean: f64) -> u32 {
    if mean.is_nan() || mean <= 1.0 {
        return 1;
    }
    let p = 1.0 / mean;
    let u = 1.0 - uniform(rng); // (0, 1]
    let k = 1.0 + (u.ln() / (1.0 - p).ln()).floor();
    if k >= f64::from(MAX_BATCH) {
        MAX_BATCH
    } else {
        k as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_until(src: &mut Source, horizon: SimTime) -> (u64, Vec<usize>) {
        let mut n = 0;
        let mut classes = vec![0; 3];
        let mut t = src.start(SimTime::ZERO);
        while let Some(now) = t.filter(|&x| x < horizon) {
            let (a, next) = src.arrive(now);
            n += u64::from(a.count);
            if a.class < 3 {
                classes[a.class] += 1;
            }
            t = next;
        }
        (n, classes)
    }

    #[test]
    fn poisson_count_matches_rate() {
        let mut s = Source::new(RateProfile::constant(10.0), 1, "t");
        let (n, _) = count_until(&mut s, SimTime::from_secs(10_000));
        // mean 100 000, sd ≈ 316
        assert!((n as f64 - 100_000.0).abs() < 1500.0, "{n}");
    }

    #[test]
    fn piecewise_rates_and_spikes_integrate() {
        let p = RateProfile::steps(&[(0.0, 1.0), (100.0, 5.0), (200.0, 0.0)])
            .expect("valid")
            .with_spike(150.0, 10.0, 3.0);
        assert_eq!(p.rate_at(SimTime::from_secs(50)), 1.0);
        assert_eq!(p.rate_at(SimTime::from_secs(155)), 15.0);
        assert_eq!(p.rate_at(SimTime::from_secs(165)), 5.0);
        assert_eq!(p.rate_at(SimTime::from_secs(500)), 0.0);
        let total = p.integral(SimTime::ZERO, SimTime::from_secs(1000));
        assert!((total - (100.0 + 500.0 + 100.0)).abs() < 1e-6, "{total}");
        // Expected count over many replications ≈ Λ = 700; arrivals stop at 200 s.
        let mut sum = 0;
        for seed in 0..40 {
            let mut s = Source::new(p.clone(), seed, "t");
            let (n, _) = count_until(&mut s, SimTime::from_secs(10_000));
            sum += n;
        }
        let mean = sum as f64 / 40.0;
        assert!((mean - 700.0).abs() < 20.0, "{mean}");
        assert!(RateProfile::steps(&[(5.0, 1.0), (1.0, 1.0)]).is_err());
        assert!(RateProfile::steps(&[(0.0, -1.0)]).is_err());
    }

    #[test]
    fn classes_batches_and_rescaling_keep_the_stream() {
        let mk = || {
            Source::new(RateProfile::constant(2.0), 9, "t")
                .with_classes(&[5.0, 3.0, 1.0])
                .with_batch(Batch::Fixed(2))
        };
        let (n, classes) = count_until(&mut mk(), SimTime::from_secs(9_000));
        let events: usize = classes.iter().sum();
        assert_eq!(n, 2 * events as u64);
        let share = classes[0] as f64 / events as f64;
        assert!((share - 5.0 / 9.0).abs() < 0.02, "{classes:?}");

        // Scaling by 2 then back by 1 at the same instant changes nothing.
        let mut a = mk();
        let mut b = mk();
        let ta = a.start(SimTime::ZERO);
        b.start(SimTime::ZERO);
        b.set_scale(SimTime::ZERO, 2.0);
        let tb = b.set_scale(SimTime::ZERO, 1.0);
        assert_eq!(ta, tb);
        assert_eq!(b.epoch(), 2);
        // Scaling to 0 freezes the draw; back to 1 restores the same time.
        let mut c = mk();
        let t0 = c.start(SimTime::ZERO).expect("rate > 0");
        assert_eq!(c.set_scale(SimTime::ZERO, 0.0), None);
        assert_eq!(c.set_scale(SimTime::ZERO, 1.0), Some(t0));
        // Doubling halves the remaining gap.
        let mut d = mk();
        let t0 = d.start(SimTime::ZERO).expect("rate > 0");
        let t1 = d.set_scale(SimTime::ZERO, 2.0).expect("rate > 0");
        assert!((t1.as_secs_f64() - t0.as_secs_f64() / 2.0).abs() < 2e-6);
    }

    #[test]
    fn linear_ramps_integrate_and_invert_exactly() {
        // 0 → 10/s over [0, 100), 10 → 2/s over [100, 200), then 2/s.
        let p = RateProfile::linear(&[(0.0, 0.0), (100.0, 10.0), (200.0, 2.0)]).expect("valid");
        assert!((p.rate_at(SimTime::from_secs(50)) - 5.0).abs() < 1e-12);
        assert!((p.rate_at(SimTime::from_secs(150)) - 6.0).abs() < 1e-12);
        assert_eq!(p.rate_at(SimTime::from_secs(900)), 2.0);
        let full = p.integral(SimTime::ZERO, SimTime::from_secs(300));
        assert!((full - (500.0 + 600.0 + 200.0)).abs() < 1e-9, "{full}");
        let part = p.integral(SimTime::from_secs(50), SimTime::from_secs(150));
        assert!((part - (375.0 + 400.0)).abs() < 1e-9, "{part}");
        // Inversion lands where the integral equals the mass, on either ramp.
        for (from, mass) in [(0.0, 1.0), (10.0, 300.0), (120.0, 50.0), (0.0, 1200.0)] {
            let from = SimTime::from_secs_f64(from);
            let t = p.invert(from, mass, 1.0).expect("rate > 0");
            let got = p.integral(from, t);
            assert!((got - mass).abs() < 1e-4, "{from:?} {mass}: {got}");
        }
        // Mean count over replications ≈ Λ(0, 300) = 1300.
        let mut sum = 0;
        for seed in 0..30 {
            let mut s = Source::new(p.clone(), seed, "lin");
            sum += count_until(&mut s, SimTime::from_secs(300)).0;
        }
        let mean = sum as f64 / 30.0;
        assert!((mean - 1300.0).abs() < 25.0, "{mean}");
        assert!(RateProfile::linear(&[(5.0, 1.0), (1.0, 1.0)]).is_err());
        assert!(RateProfile::linear(&[(0.0, f64::NAN)]).is_err());
    }

    #[test]
    fn spikes_multiply_ramps_and_flat_points_equal_steps() {
        let p = RateProfile::linear(&[(0.0, 0.0), (100.0, 10.0)])
            .expect("valid")
            .with_spike(40.0, 20.0, 3.0);
        assert!((p.rate_at(SimTime::from_secs(50)) - 15.0).abs() < 1e-12);
        assert!((p.rate_at(SimTime::from_secs(70)) - 7.0).abs() < 1e-12);
        let total = p.integral(SimTime::ZERO, SimTime::from_secs(100));
        // 500 plus twice the ramp's 100 over [40, 60).
        assert!((total - 700.0).abs() < 1e-9, "{total}");
        // A jump (two points at one time) and flat runs draw exactly as steps.
        let lin = RateProfile::linear(&[(0.0, 1.0), (100.0, 1.0), (100.0, 5.0)]).expect("valid");
        let steps = RateProfile::steps(&[(0.0, 1.0), (100.0, 5.0)]).expect("valid");
        let draws = |p: &RateProfile| {
            let mut s = Source::new(p.clone(), 4, "x");
            let mut t = s.start(SimTime::ZERO);
            let mut out = Vec::new();
            while let Some(now) = t.filter(|&x| x < SimTime::from_secs(400)) {
                out.push(now);
                t = s.arrive(now).1;
            }
            out
        };
        assert_eq!(draws(&lin), draws(&steps));
    }

    #[test]
    fn overlapping_spikes_multiply_or_take_the_largest() {
        let t = SimTime::from_secs;
        let spikes = [
            Spike {
                from: t(10),
                until: t(40),
                multiplier: 2.0,
            },
            Spike {
                from: t(20),
                until: t(30),
                multiplier: 3.0,
            },
            // A lull alone applies; inside a larger spike it does not.
            Spike {
                from: t(35),
                until: t(60),
                multiplier: 0.5,
            },
        ];
        let base = RateProfile::linear(&[(0.0, 1.0), (100.0, 1.0), (100.0, 4.0)]).expect("valid");
        let big = base.clone().with_spikes(&spikes, Overlap::Largest);
        let prod = base.clone().with_spikes(&spikes, Overlap::Multiply);
        for (at, largest, product) in [
            (5, 1.0, 1.0),
            (15, 2.0, 2.0),
            (25, 3.0, 6.0),
            (32, 2.0, 2.0),
            (37, 2.0, 1.0),
            (45, 0.5, 0.5),
            (70, 1.0, 1.0),
            (150, 4.0, 4.0),
        ] {
            assert_eq!(big.rate_at(t(at)), largest, "largest at {at}");
            assert_eq!(prod.rate_at(t(at)), product, "product at {at}");
        }
        let total = big.integral(SimTime::ZERO, t(100));
        let expected = 100.0 + 20.0 * 1.0 + 10.0 * 2.0 - 20.0 * 0.5;
        assert!((total - expected).abs() < 1e-9, "{total}");
        // Multiplying one spike at a time is `Multiply`.
        let one_by_one = spikes.iter().fold(base.clone(), |p, s| {
            p.with_spike(
                s.from.as_secs_f64(),
                (s.until - s.from).as_secs_f64(),
                s.multiplier,
            )
        });
        assert_eq!(one_by_one, prod);
        // A ramp under a spike stays a ramp, steeper by the multiplier.
        let ramp = RateProfile::linear(&[(0.0, 0.0), (100.0, 10.0)])
            .expect("valid")
            .with_spikes(&spikes[..2], Overlap::Largest);
        assert!((ramp.rate_at(t(25)) - 7.5).abs() < 1e-12);
        assert!((ramp.rate_at(t(35)) - 7.0).abs() < 1e-12);
        assert!((ramp.rate_at(t(50)) - 5.0).abs() < 1e-12);
        // Spikes that last no time, or with no valid multiplier, change nothing.
        let none = base.clone().with_spikes(
            &[
                Spike {
                    from: t(5),
                    until: t(5),
                    multiplier: 9.0,
                },
                Spike {
                    from: t(5),
                    until: t(9),
                    multiplier: f64::NAN,
                },
            ],
            Overlap::Largest,
        );
        assert_eq!(none, base);
    }

    #[test]
    fn merged_arrivals_equal_sorting_them() {
        let mk = || {
            vec![
                Source::new(RateProfile::constant(2.0), 5, "a"),
                Source::new(
                    RateProfile::linear(&[(0.0, 0.0), (50.0, 4.0)]).expect("valid"),
                    5,
                    "b",
                ),
                Source::new(RateProfile::constant(0.0), 5, "c"),
                Source::new(RateProfile::constant(0.5), 5, "d").with_batch(Batch::Fixed(3)),
            ]
        };
        let horizon = SimTime::from_secs(200);
        let mut sorted = Vec::new();
        for (i, mut s) in mk().into_iter().enumerate() {
            let mut t = s.start(SimTime::ZERO);
            while let Some(now) = t.filter(|&x| x < horizon) {
                let (a, next) = s.arrive(now);
                sorted.push((now, i, a));
                t = next;
            }
        }
        sorted.sort_by_key(|&(t, i, _)| (t, i));
        let merged: Vec<_> = Merged::new(mk(), SimTime::ZERO)
            .take_while(|&(t, _, _)| t < horizon)
            .collect();
        assert!(sorted.len() > 500);
        assert_eq!(merged, sorted);
    }

    #[test]
    fn geometric_batches_have_the_mean() {
        let mut s = Source::new(RateProfile::constant(1.0), 3, "g")
            .with_batch(Batch::Geometric { mean: 4.0 });
        let mut t = s.start(SimTime::ZERO);
        let (mut n, mut k) = (0u64, 0u64);
        while let Some(now) = t.filter(|&x| x < SimTime::from_secs(20_000)) {
            let (a, next) = s.arrive(now);
            n += u64::from(a.count);
            k += 1;
            t = next;
        }
        let mean = n as f64 / k as f64;
        assert!((mean - 4.0).abs() < 0.15, "{mean}");
    }
}
