//! The Tatkal world's event queue: the millisecond [`Wheel`] merged with
//! the stream of sorted arrivals (`SortedArrivals`), so that 12 million
//! arrivals never sit in the queue at once: only the next one is known,
//! and it surfaces as [`Ev::Arrival`] when it is due before every event in
//! the wheel.
//!
//! Ordering: events run in (millisecond, scheduling order); an arrival and
//! a wheel event at the same millisecond run arrival first. The clock
//! (`now`) is in microseconds, as everywhere, while the wheel counts whole
//! milliseconds: taking an event at millisecond `t` moves the clock to
//! `t × 1000 µs`, and an instant scheduled between two milliseconds runs
//! at the later one.

use super::arrivals::{ArrivalCurve, SortedArrivals};
use super::model::Ev;
use super::wheel::Wheel;
use crate::sim::rng::SimRng;
use crate::sim::{EventQueue, SimTime};

/// The millisecond (rounded up) of `s` seconds.
pub(super) fn ms_of(s: f64) -> u64 {
    SimTime::from_secs_f64(s).micros().div_ceil(1000)
}

/// Who arrives next: the sorted arrival instants of everyone still to
/// come, drawn one at a time from the rush curve.
pub struct Arrivals {
    source: SortedArrivals,
    rng: SimRng,
    curve: ArrivalCurve,
    opens_at_s: f64,
    /// The next arrival's millisecond (`None`: everyone has arrived).
    next_ms: Option<u64>,
}

impl Arrivals {
    /// `users` arrivals on `curve` (opening at `opens_at_s`), drawn from `rng`.
    #[must_use]
    pub fn new(users: u64, curve: ArrivalCurve, opens_at_s: f64, rng: SimRng) -> Self {
        let mut a = Arrivals {
            source: SortedArrivals::new(users),
            rng,
            curve,
            opens_at_s,
            next_ms: None,
        };
        a.pull();
        a
    }

    /// Draws the next arrival instant.
    fn pull(&mut self) {
        self.next_ms = self.source.next_share(&mut self.rng).map(|u| {
            let t = self.curve.inverse(self.opens_at_s, u);
            ms_of(t)
        });
    }

    /// Arrivals still to come after the next one.
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.source.remaining()
    }

    /// Changes how many are still to come after the next one (spread over
    /// the rest of the curve); draws the next one if none was pending.
    pub fn set_remaining(&mut self, n: u64) {
        self.source.set_remaining(n);
        if self.next_ms.is_none() {
            self.pull();
        }
    }
}

/// The wheel and the arrivals, behind [`EventQueue`].
pub struct TatkalQueue {
    wheel: Wheel<Ev>,
    arrivals: Arrivals,
    now_us: u64,
    processed: u64,
}

impl TatkalQueue {
    #[must_use]
    pub fn new(arrivals: Arrivals) -> Self {
        TatkalQueue {
            wheel: Wheel::new(),
            arrivals,
            now_us: 0,
            processed: 0,
        }
    }

    /// The event `k` places after the next one in the wheel's current
    /// bucket, if already known (a hint for touching memory early).
    #[inline]
    #[must_use]
    pub fn ahead(&self, k: usize) -> Option<Ev> {
        self.wheel.ahead(k)
    }

    /// Schedules `event` at millisecond `at_ms` (the wheel's own unit:
    /// what [`EventQueue::schedule`] does for `at_ms × 1000 µs`, without
    /// the round trip).
    #[inline]
    pub fn schedule_ms(&mut self, at_ms: u64, event: Ev) {
        self.wheel.schedule(at_ms, event);
    }

    #[must_use]
    pub fn arrivals(&self) -> &Arrivals {
        &self.arrivals
    }

    pub fn arrivals_mut(&mut self) -> &mut Arrivals {
        &mut self.arrivals
    }
}

impl TatkalQueue {
    /// The next arrival, due at millisecond `a`, surfaces.
    #[inline(never)]
    fn take_arrival(&mut self, a: u64) -> Ev {
        self.wheel.advance_to(a);
        self.now_us = self.now_us.max(a * 1000);
        self.arrivals.pull();
        self.processed += 1;
        Ev::Arrival
    }
}

impl EventQueue<Ev> for TatkalQueue {
    #[inline]
    fn now(&self) -> SimTime {
        SimTime(self.now_us)
    }

    #[inline]
    fn schedule(&mut self, at: SimTime, event: Ev) {
        self.wheel.schedule(at.micros().div_ceil(1000), event);
    }

    #[inline]
    fn peek_time(&self) -> Option<SimTime> {
        let t = match (self.wheel.peek(), self.arrivals.next_ms) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        t.map(|ms| SimTime(ms * 1000))
    }

    #[inline]
    fn pop_until(&mut self, limit: SimTime) -> Option<Ev> {
        let limit_ms = limit.micros() / 1000;
        // One look at the wheel decides between it and the next arrival,
        // and is what the wheel then takes from.
        let next = self.wheel.peek();
        if let Some(a) = self.arrivals.next_ms
            && next.is_none_or(|w| a <= w)
        {
            if a > limit_ms {
                return None;
            }
            return Some(self.take_arrival(a));
        }
        let w = next.filter(|w| *w <= limit_ms)?;
        let (t, ev) = self.wheel.pop_next(w);
        self.now_us = self.now_us.max(t * 1000);
        self.processed += 1;
        Some(ev)
    }

    fn advance_clock(&mut self, t: SimTime) {
        self.now_us = self.now_us.max(t.micros());
        self.wheel.advance_to(t.micros() / 1000);
    }

    fn processed(&self) -> u64 {
        self.processed
    }

    fn pending(&self) -> usize {
        self.wheel.len() + usize::from(self.arrivals.next_ms.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    #[test]
    fn an_arrival_runs_before_a_wheel_event_at_the_same_millisecond() {
        let arrivals = Arrivals::new(1, ArrivalCurve::default(), 0.0, stream(1, "t"));
        let a = arrivals.next_ms.expect("one arrival");
        let mut q = TatkalQueue::new(arrivals);
        q.schedule(SimTime(a * 1000), Ev::Sample);
        assert_eq!(q.peek_time(), Some(SimTime(a * 1000)));
        assert!(matches!(q.pop_until(SimTime::MAX), Some(Ev::Arrival)));
        assert!(matches!(q.pop_until(SimTime::MAX), Some(Ev::Sample)));
        assert_eq!(q.now(), SimTime(a * 1000));
        assert_eq!(q.processed(), 2);
        assert!(q.pop_until(SimTime::MAX).is_none());
        // Between two milliseconds: the later one; the clock stays in µs.
        q.advance_clock(SimTime(a * 1000 + 10_500));
        assert_eq!(q.now(), SimTime(a * 1000 + 10_500));
        q.schedule(SimTime(a * 1000 + 10_500), Ev::Open);
        assert_eq!(q.peek_time(), Some(SimTime((a + 11) * 1000)));
    }
}
