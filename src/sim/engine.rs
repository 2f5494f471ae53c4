//! Event queues: events ordered by (time, insertion order), so that events
//! at the same instant run in the order they were scheduled, on every
//! machine, every time. [`EventQueue`] is what the run-time
//! ([`super::runtime`]) needs of a queue; [`Engine`], a binary heap, is the
//! one most worlds use (Tatkal brings a timing wheel of its own).

use super::time::SimTime;

/// A deterministic event queue with its own clock: what
/// [`Runtime`](super::runtime::Runtime) drives a model with.
pub trait EventQueue<E> {
    /// The current simulated instant (the time of the last event taken).
    fn now(&self) -> SimTime;
    /// Schedules `event` at `at`; an instant in the past runs now.
    fn schedule(&mut self, at: SimTime, event: E);
    /// The time of the next event, if any.
    fn peek_time(&self) -> Option<SimTime>;
    /// Takes the next event due at or before `limit`, moving the clock to
    /// its time; `None` (clock unchanged) when none is due.
    fn pop_until(&mut self, limit: SimTime) -> Option<E>;
    /// Moves the clock forward to `t` once every event up to `t` is handled.
    fn advance_clock(&mut self, t: SimTime);
    /// Events taken so far.
    fn processed(&self) -> u64;
    /// Pending events.
    fn pending(&self) -> usize;
}

impl<E> EventQueue<E> for Engine<E> {
    #[inline]
    fn now(&self) -> SimTime {
        Engine::now(self)
    }
    #[inline]
    fn schedule(&mut self, at: SimTime, event: E) {
        Engine::schedule(self, at, event);
    }
    #[inline]
    fn peek_time(&self) -> Option<SimTime> {
        Engine::peek_time(self)
    }
    #[inline]
    fn pop_until(&mut self, limit: SimTime) -> Option<E> {
        Engine::pop_until(self, limit)
    }
    fn advance_clock(&mut self, t: SimTime) {
        Engine::advance_clock(self, t);
    }
    fn processed(&self) -> u64 {
        Engine::processed(self)
    }
    fn pending(&self) -> usize {
        self.len()
    }
}

/// A pending event. The key packs (time, insertion number) into one
/// `u128`, so ordering is a single comparison and ties go to the earlier
/// insertion.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn at(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

/// A deterministic discrete-event queue with its own clock.
pub struct Engine<E> {
    now: SimTime,
    seq: u64,
    /// A binary min-heap on `key` (hand-written: the std max-heap needs a
    /// reversed `Ord` with two comparisons per step).
    heap: Vec<Entry<E>>,
    processed: u64,
}

impl<E> Default for Engine<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Engine<E> {
    #[must_use]
    pub fn new() -> Self {
        Engine {
            now: SimTime::ZERO,
            seq: 0,
            heap: Vec::new(),
            processed: 0,
        }
    }

    /// The current simulated instant.
    #[must_use]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events handed out by [`Engine::pop_until`] so far.
    #[must_use]
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Pending events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Schedules `event` at `at`; an instant in the past runs now.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let at = at.max(self.now);
        self.seq += 1;
        let key = (u128::from(at.0) << 64) | u128::from(self.seq);
        self.heap.push(Entry { key, event });
        // Sift up.
        let mut i = self.heap.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[parent].key <= key {
                break;
            }
            self.heap.swap(parent, i);
            i = parent;
        }
    }

    /// Schedules `event` after `delay`.
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule(self.now + delay, event);
    }

    /// The time of the next event, if any.
    #[must_use]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(Entry::at)
    }

    /// Takes the next event if it is due at or before `limit`, moving the
    /// clock to its time. Returns `None` (clock unchanged) otherwise.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<E> {
        if self.heap.first()?.at() > limit {
            return None;
        }
        let last = self.heap.pop()?;
        let entry = if self.heap.is_empty() {
            last
        } else {
            let top = std::mem::replace(&mut self.heap[0], last);
            self.sift_down();
            top
        };
        self.now = entry.at();
        self.processed += 1;
        Some(entry.event)
    }

    #[inline]
    fn sift_down(&mut self) {
        let n = self.heap.len();
        let mut i = 0;
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            let r = l + 1;
            let c = if r < n && self.heap[r].key < self.heap[l].key {
                r
            } else {
                l
            };
            if self.heap[i].key <= self.heap[c].key {
                break;
            }
            self.heap.swap(i, c);
            i = c;
        }
    }

    /// Moves the clock forward to `t` (never backwards) once every event up
    /// to `t` has been handled.
    pub fn advance_clock(&mut self, t: SimTime) {
        debug_assert!(self.peek_time().is_none_or(|p| p > t));
        if t > self.now {
            self.now = t;
        }
    }

    /// Drops every pending event (used by worlds that rebuild themselves).
    pub fn clear(&mut self) {
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_instant_runs_in_insertion_order() {
        let mut e = Engine::new();
        e.schedule(SimTime(10), 'b');
        e.schedule(SimTime(5), 'a');
        e.schedule(SimTime(10), 'c');
        e.schedule(SimTime(10), 'd');
        let mut out = String::new();
        while let Some(ev) = e.pop_until(SimTime::MAX) {
            out.push(ev);
        }
        assert_eq!(out, "abcd");
        assert_eq!(e.now(), SimTime(10));
        assert_eq!(e.processed(), 4);
    }

    #[test]
    fn heap_order_matches_a_sort_on_time_then_insertion() {
        let mut e = Engine::new();
        let mut x: u64 = 12345;
        let mut expect = Vec::new();
        for i in 0..2000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let t = (x >> 33) % 50;
            e.schedule(SimTime(t), i);
            expect.push((t, i));
        }
        expect.sort_unstable();
        let got: Vec<(u64, u64)> =
            std::iter::from_fn(|| e.pop_until(SimTime::MAX).map(|i| (e.now().0, i))).collect();
        assert_eq!(got, expect);
    }

    #[test]
    fn pop_until_respects_the_limit_and_past_events_run_now() {
        let mut e = Engine::new();
        e.schedule(SimTime(10), 1);
        e.schedule(SimTime(20), 2);
        assert_eq!(e.pop_until(SimTime(15)), Some(1));
        assert_eq!(e.pop_until(SimTime(15)), None);
        e.advance_clock(SimTime(15));
        e.schedule(SimTime(3), 3);
        assert_eq!(e.peek_time(), Some(SimTime(15)));
    }
}
