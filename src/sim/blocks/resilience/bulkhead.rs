//! A bulkhead / connection pool: at most `permits` holders at once; others
//! wait (up to `max_waiting`) until a permit frees or their acquire
//! timeout passes. All waiters share one timeout, so deadlines grow with
//! arrival order and expiry only ever looks at the head of the line.
//!
//! A caller that schedules one timeout event per waiter (rather than
//! polling [`Bulkhead::expire`]) uses the step-by-step forms instead:
//! [`Bulkhead::give_back`] and [`Bulkhead::grant_next`] hand permits on
//! without expiring anyone, and [`Bulkhead::expire_waiter`] takes out the
//! one waiter whose timeout event fired. A waiter whose deadline is exactly
//! now may then still be granted before its event runs, as events at one
//! instant run in the order they were scheduled.

use std::collections::VecDeque;

use crate::sim::SimTime;

/// How much longer each holder's work takes when `holders` share a backend
/// that serves `parallelism` of them at full speed (a database behind its
/// pool): 1 up to `parallelism`, then 1 + (excess / parallelism)², so a
/// pool larger than the backend can serve makes every call slower.
#[must_use]
pub fn contention_factor(holders: u32, parallelism: u32) -> f64 {
    let par = f64::from(parallelism.max(1));
    let over = (f64::from(holders) - par).max(0.0) / par;
    1.0 + over * over
}

/// What [`Bulkhead::acquire`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acquire<T> {
    /// A permit is held: go ahead.
    Granted(T),
    /// In line; call [`Bulkhead::expire`] at `deadline`.
    Waiting { deadline: SimTime },
    /// The waiting line is full too.
    Rejected(T),
}

/// A bounded pool of permits with a bounded, timed waiting line.
#[derive(Clone, Debug)]
pub struct Bulkhead<T> {
    permits: u32,
    in_use: u32,
    max_waiting: usize,
    acquire_timeout: SimTime,
    waiting: VecDeque<(SimTime, T)>,
    /// Waiters that timed out.
    pub timed_out: u64,
    pub rejected: u64,
}

impl<T> Bulkhead<T> {
    #[must_use]
    pub fn new(permits: u32, max_waiting: usize, acquire_timeout: SimTime) -> Self {
        Bulkhead {
            permits,
            in_use: 0,
            max_waiting,
            acquire_timeout,
            waiting: VecDeque::new(),
            timed_out: 0,
            rejected: 0,
        }
    }

    #[must_use]
    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    #[must_use]
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    #[must_use]
    pub fn permits(&self) -> u32 {
        self.permits
    }

    /// Changes the pool size (e.g. a capacity-drop fault); holders keep
    /// their permits.
    pub fn set_permits(&mut self, permits: u32) {
        self.permits = permits;
    }

    pub fn acquire(&mut self, now: SimTime, item: T) -> Acquire<T> {
        if self.in_use < self.permits && self.waiting.is_empty() {
            self.in_use += 1;
            Acquire::Granted(item)
        } else if self.waiting.len() < self.max_waiting {
            let deadline = now + self.acquire_timeout;
            self.waiting.push_back((deadline, item));
            Acquire::Waiting { deadline }
        } else {
            self.rejected += 1;
            Acquire::Rejected(item)
        }
    }

    /// A holder gives its permit back; the next waiter still in time (if
    /// any) gets it and is returned. Expired waiters are handed to `expired`.
    pub fn release(&mut self, now: SimTime, expired: impl FnMut(T)) -> Option<T> {
        self.in_use = self.in_use.saturating_sub(1);
        self.expire(now, expired);
        if self.in_use < self.permits {
            let (_, next) = self.waiting.pop_front()?;
            self.in_use += 1;
            Some(next)
        } else {
            None
        }
    }

    /// A holder gives its permit back and nobody is handed it yet (follow
    /// with [`Bulkhead::grant_next`]); no waiter is expired.
    pub fn give_back(&mut self) {
        self.in_use = self.in_use.saturating_sub(1);
    }

    /// If a permit is free (e.g. after [`Bulkhead::give_back`] or a larger
    /// [`Bulkhead::set_permits`]), the head of the line takes it and is
    /// returned; no waiter is expired. Call until `None` to fill every free
    /// permit.
    pub fn grant_next(&mut self) -> Option<T> {
        if self.in_use >= self.permits {
            return None;
        }
        let (_, next) = self.waiting.pop_front()?;
        self.in_use += 1;
        Some(next)
    }

    /// Takes out of the line the first waiter matching `is` whose deadline
    /// has come by `now`, counted as timed out (one waiter per call, so a
    /// caller can act on each timeout event in turn). Deadlines grow along
    /// the line, so the search stops at the first one still in the future.
    pub fn expire_waiter(&mut self, now: SimTime, mut is: impl FnMut(&T) -> bool) -> Option<T> {
        let k = self
            .waiting
            .iter()
            .take_while(|(d, _)| *d <= now)
            .position(|(_, x)| is(x))?;
        let (_, x) = self.waiting.remove(k)?;
        self.timed_out += 1;
        Some(x)
    }

    /// Hands every waiter whose deadline has come to `out`.
    pub fn expire(&mut self, now: SimTime, mut out: impl FnMut(T)) {
        while self.waiting.front().is_some_and(|(d, _)| *d <= now) {
            if let Some((_, x)) = self.waiting.pop_front() {
                self.timed_out += 1;
                out(x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_waiting_line_and_timeouts() {
        let t = SimTime::from_secs;
        let mut b = Bulkhead::new(1, 2, t(5));
        assert_eq!(b.acquire(t(0), 'a'), Acquire::Granted('a'));
        assert_eq!(b.acquire(t(1), 'b'), Acquire::Waiting { deadline: t(6) });
        assert_eq!(b.acquire(t(2), 'c'), Acquire::Waiting { deadline: t(7) });
        assert_eq!(b.acquire(t(2), 'd'), Acquire::Rejected('d'));
        let mut gone = Vec::new();
        b.expire(t(6), |x| gone.push(x));
        assert_eq!(gone, vec!['b']);
        assert_eq!(b.release(t(6), |x| gone.push(x)), Some('c'));
        assert_eq!(b.in_use(), 1);
        assert_eq!(b.release(t(8), |x| gone.push(x)), None);
        assert_eq!(b.in_use(), 0);
        assert_eq!((b.timed_out, b.rejected), (1, 1));
    }

    #[test]
    fn contention_is_one_within_parallelism_then_quadratic() {
        assert_eq!(contention_factor(0, 10), 1.0);
        assert_eq!(contention_factor(10, 10), 1.0);
        assert_eq!(contention_factor(15, 10), 1.25);
        assert_eq!(contention_factor(30, 10), 5.0);
        // A parallelism of 0 counts as 1.
        assert_eq!(contention_factor(2, 0), 2.0);
    }

    #[test]
    fn step_by_step_hand_on_and_one_expiry_at_a_time() {
        let t = SimTime::from_secs;
        let mut b = Bulkhead::new(1, usize::MAX, t(5));
        assert_eq!(b.acquire(t(0), 'a'), Acquire::Granted('a'));
        assert_eq!(b.acquire(t(1), 'b'), Acquire::Waiting { deadline: t(6) });
        assert_eq!(b.acquire(t(1), 'c'), Acquire::Waiting { deadline: t(6) });
        assert_eq!(b.acquire(t(2), 'd'), Acquire::Waiting { deadline: t(7) });
        // No permit free: nobody is granted.
        assert_eq!(b.grant_next(), None);
        // Not yet due, or not in the line: nothing leaves.
        assert_eq!(b.expire_waiter(t(5), |x| *x == 'b'), None);
        assert_eq!(b.expire_waiter(t(9), |x| *x == 'z'), None);
        // Only the named waiter leaves, though 'c' is due at the same time.
        assert_eq!(b.expire_waiter(t(6), |x| *x == 'b'), Some('b'));
        assert_eq!((b.waiting(), b.timed_out), (2, 1));
        // Giving back expires nobody, even past their deadlines.
        b.give_back();
        assert_eq!(b.in_use(), 0);
        assert_eq!(b.waiting(), 2);
        assert_eq!(b.grant_next(), Some('c'));
        assert_eq!(b.grant_next(), None);
        // A larger pool hands on at once.
        b.set_permits(3);
        assert_eq!(b.grant_next(), Some('d'));
        assert_eq!(b.grant_next(), None);
        assert_eq!((b.in_use(), b.waiting()), (2, 0));
    }
}
