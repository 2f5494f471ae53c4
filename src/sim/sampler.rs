//! The rolling history behind the dashboard's sparklines and charts.
//!
//! A world declares its series once ([`Sampling`]): each is a **level**,
//! kept as read (people on the platform, a recent p95), or a **counter**,
//! which the [`Sampler`] turns into a rate since the previous sample (the
//! world hands over its running total, never a difference it worked out
//! itself). The [`Runtime`](super::Runtime) owns the sampler: at each of
//! the world's sample ticks it asks the model to
//! [`observe`](super::Model::observe) into a [`Probe`], records one point
//! of every series and the instant, and the model's
//! [`snapshot`](super::Model::snapshot) reads the [`History`] back by
//! typed [`SeriesId`], with no lookup by name.
//!
//! Every series is a ring buffer of the declared capacity, so a long run
//! keeps a bounded history. A statistics reset restarts every counter
//! from zero; a counter that goes backwards between two samples without
//! one is read the same way (its new value is what it counted since).

use super::metrics::Rolling;
use super::time::SimTime;

/// A series of one world, its position in the world's [`Sampling`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesId(pub usize);

/// Where a counter's first rate starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// The counter stood at zero when the run began: the first sample
    /// already gives a rate.
    Zero,
    /// The first sample only notes the counter: rates begin with the
    /// second.
    FirstSample,
}

/// How a series turns what the world observes into points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// The value as observed.
    Level,
    /// A running total, turned into `(now − previous) × per_s / Δt`:
    /// per second with `per_s = 1`, per minute with 60, per hour with
    /// 3600 (Δt in seconds since the previous sample).
    Counter { per_s: f64, start: Start },
}

/// One declared series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub id: SeriesId,
    pub name: &'static str,
    pub kind: Kind,
}

/// What a world samples and how often: its series in [`SeriesId`] order,
/// the interval between ticks and the points each series keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    pub every: SimTime,
    pub capacity: usize,
    pub series: Vec<Series>,
}

impl Sampling {
    /// No series at all (a model without a sample tick).
    #[must_use]
    pub fn none() -> Self {
        Sampling {
            every: SimTime::ZERO,
            capacity: 1,
            series: Vec::new(),
        }
    }

    /// Ticks every `every`, each series keeping its last `capacity` points.
    #[must_use]
    pub fn new(every: SimTime, capacity: usize) -> Self {
        Sampling {
            every,
            capacity,
            series: Vec::new(),
        }
    }

    /// Declares a level.
    ///
    /// # Panics
    /// When `id` is not the next position (series are declared in id order).
    #[must_use]
    pub fn level(self, id: SeriesId, name: &'static str) -> Self {
        self.with(id, name, Kind::Level)
    }

    /// Declares a counter read as a rate (`per_s`: 1 per second, 60 per
    /// minute, 3600 per hour).
    ///
    /// # Panics
    /// When `id` is not the next position (series are declared in id order).
    #[must_use]
    pub fn counter(self, id: SeriesId, name: &'static str, per_s: f64, start: Start) -> Self {
        self.with(id, name, Kind::Counter { per_s, start })
    }

    fn with(mut self, id: SeriesId, name: &'static str, kind: Kind) -> Self {
        assert_eq!(
            id.0,
            self.series.len(),
            "series `{name}` declared out of order"
        );
        self.series.push(Series { id, name, kind });
        self
    }
}

/// What a model writes at a sample tick: the current value of each of
/// its series (a series left unwritten gets no point this tick).
pub struct Probe<'a> {
    staged: &'a mut [Reading],
}

#[derive(Clone, Copy, Debug)]
enum Reading {
    Empty,
    Level(f64),
    Count(u64),
}

impl Probe<'_> {
    /// The current value of level `id`.
    #[inline]
    pub fn level(&mut self, id: SeriesId, value: f64) {
        self.staged[id.0] = Reading::Level(value);
    }

    /// The running total of counter `id` (since the last statistics reset).
    #[inline]
    pub fn counter(&mut self, id: SeriesId, total: u64) {
        self.staged[id.0] = Reading::Count(total);
    }
}

/// The recorded points, read by a model's snapshot.
#[derive(Clone, Debug)]
pub struct History {
    at_s: Rolling,
    series: Vec<Rolling>,
}

impl History {
    /// The points of series `id`, oldest first.
    ///
    /// # Panics
    /// When the model declared no series `id`.
    #[inline]
    #[must_use]
    pub fn series(&self, id: SeriesId) -> &Rolling {
        &self.series[id.0]
    }

    /// Simulated seconds of each sample, oldest first.
    #[must_use]
    pub fn at_s(&self) -> &Rolling {
        &self.at_s
    }

    /// Chart points of series `id`: (simulated seconds, value), oldest
    /// first, pairing the newest instants with the newest values.
    #[must_use]
    pub fn points(&self, id: SeriesId) -> Vec<(f64, f64)> {
        self.at_s
            .values()
            .into_iter()
            .zip(self.series[id.0].values())
            .collect()
    }
}

/// One world's sampler (see the module docs).
#[derive(Clone, Debug)]
pub struct Sampler {
    plan: Sampling,
    history: History,
    staged: Vec<Reading>,
    /// Each counter's total and when it was read (`None`: not yet known).
    prev: Vec<Option<(SimTime, u64)>>,
    /// The previous sample's instant (the run's start before the first).
    last_at: SimTime,
}

impl Sampler {
    /// A sampler for `plan`, the run starting at `start`.
    #[must_use]
    pub fn new(plan: Sampling, start: SimTime) -> Self {
        let n = plan.series.len();
        let capacity = plan.capacity;
        let prev = plan
            .series
            .iter()
            .map(|s| match s.kind {
                Kind::Counter {
                    start: Start::Zero, ..
                } => Some((start, 0)),
                _ => None,
            })
            .collect();
        Sampler {
            history: History {
                at_s: Rolling::new(capacity),
                series: (0..n).map(|_| Rolling::new(capacity)).collect(),
            },
            staged: vec![Reading::Empty; n],
            prev,
            last_at: start,
            plan,
        }
    }

    /// The interval between sample ticks.
    #[must_use]
    pub fn every(&self) -> SimTime {
        self.plan.every
    }

    /// What has been recorded.
    #[must_use]
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Takes one sample at `now`: `observe` writes the current values
    /// into the probe, then every written series gets its point.
    pub fn sample(&mut self, now: SimTime, observe: impl FnOnce(&mut Probe<'_>)) {
        observe(&mut Probe {
            staged: &mut self.staged,
        });
        for (i, s) in self.plan.series.iter().enumerate() {
            let reading = std::mem::replace(&mut self.staged[i], Reading::Empty);
            match (s.kind, reading) {
                (Kind::Level, Reading::Level(v)) => self.history.series[i].push(v),
                (Kind::Counter { per_s, .. }, Reading::Count(total)) => {
                    if let Some((at, prev)) = self.prev[i] {
                        let dt = (now - at).as_secs_f64();
                        if dt > 0.0 {
                            // Backwards: restarted from zero in between.
                            let d = if total >= prev { total - prev } else { total };
                            self.history.series[i].push(d as f64 * per_s / dt);
                        }
                    }
                    self.prev[i] = Some((now, total));
                }
                (_, Reading::Empty) => {}
                (kind, reading) => {
                    debug_assert!(false, "series `{}` is {kind:?}, got {reading:?}", s.name);
                }
            }
        }
        self.history.at_s.push(now.as_secs_f64());
        self.last_at = now;
    }

    /// A statistics reset: every counter starts again from zero (its next
    /// rate still covers the whole interval since its previous sample).
    pub fn restart_counters(&mut self) {
        for (p, s) in self.prev.iter_mut().zip(&self.plan.series) {
            if matches!(s.kind, Kind::Counter { .. }) {
                *p = Some((p.map_or(self.last_at, |(at, _)| at), 0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEVEL: SeriesId = SeriesId(0);
    const PER_S: SeriesId = SeriesId(1);
    const PER_MIN: SeriesId = SeriesId(2);
    const AFTER_FIRST: SeriesId = SeriesId(3);

    fn sampler(capacity: usize) -> Sampler {
        let plan = Sampling::new(SimTime::from_secs(2), capacity)
            .level(LEVEL, "level")
            .counter(PER_S, "per second", 1.0, Start::Zero)
            .counter(PER_MIN, "per minute", 60.0, Start::Zero)
            .counter(
                AFTER_FIRST,
                "after the first sample",
                1.0,
                Start::FirstSample,
            );
        Sampler::new(plan, SimTime::ZERO)
    }

    fn take(s: &mut Sampler, at: u64, level: f64, total: u64) {
        s.sample(SimTime::from_secs(at), |p| {
            p.level(LEVEL, level);
            p.counter(PER_S, total);
            p.counter(PER_MIN, total);
            p.counter(AFTER_FIRST, total);
        });
    }

    #[test]
    fn levels_are_kept_and_counters_become_rates_since_the_previous_sample() {
        let mut s = sampler(10);
        take(&mut s, 2, 5.0, 4);
        take(&mut s, 4, 7.5, 10);
        take(&mut s, 8, 1.0, 10);
        let h = s.history();
        assert_eq!(h.series(LEVEL).values(), vec![5.0, 7.5, 1.0]);
        assert_eq!(h.series(PER_S).values(), vec![2.0, 3.0, 0.0]);
        assert_eq!(h.series(PER_MIN).values(), vec![120.0, 180.0, 0.0]);
        // No rate until a second sample gives it a start.
        assert_eq!(h.series(AFTER_FIRST).values(), vec![3.0, 0.0]);
        assert_eq!(h.at_s().values(), vec![2.0, 4.0, 8.0]);
        assert_eq!(h.points(LEVEL), vec![(2.0, 5.0), (4.0, 7.5), (8.0, 1.0)]);
    }

    #[test]
    fn a_reset_or_a_counter_going_backwards_restarts_from_zero() {
        let mut s = sampler(10);
        take(&mut s, 2, 0.0, 100);
        take(&mut s, 4, 0.0, 120);
        // Reset at 5 s; 150 counted since, more than the 120 before it.
        s.restart_counters();
        take(&mut s, 6, 0.0, 150);
        assert_eq!(s.history().series(PER_S).last(), Some(75.0));
        assert_eq!(s.history().series(AFTER_FIRST).last(), Some(75.0));
        // Backwards without a reset: what it counted since.
        take(&mut s, 8, 0.0, 8);
        assert_eq!(s.history().series(PER_S).last(), Some(4.0));
        take(&mut s, 10, 0.0, 12);
        assert_eq!(s.history().series(PER_S).last(), Some(2.0));
    }

    #[test]
    fn every_series_keeps_at_most_its_capacity_and_unwritten_ones_get_no_point() {
        let mut s = sampler(3);
        for i in 1..=10 {
            take(
                &mut s,
                2 * i,
                f64::from(u32::try_from(i).unwrap_or(0)),
                6 * i,
            );
        }
        let h = s.history();
        assert_eq!(h.series(LEVEL).values(), vec![8.0, 9.0, 10.0]);
        assert_eq!(h.series(PER_S).values(), vec![3.0, 3.0, 3.0]);
        assert_eq!(h.at_s().values(), vec![16.0, 18.0, 20.0]);
        s.sample(SimTime::from_secs(22), |p| p.level(LEVEL, 11.0));
        let h = s.history();
        assert_eq!(h.series(LEVEL).values(), vec![9.0, 10.0, 11.0]);
        assert_eq!(h.series(PER_S).values(), vec![3.0, 3.0, 3.0]);
        assert_eq!(h.at_s().len(), 3);
    }

    #[test]
    #[should_panic(expected = "declared out of order")]
    fn series_are_declared_in_id_order() {
        let _ = Sampling::new(SimTime::from_secs(1), 4).level(SeriesId(1), "skips one");
    }
}
