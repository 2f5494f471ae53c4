//! The event queue every world runs on: events ordered by (time, insertion
//! order), so that events at the same instant run in the order they were
//! scheduled, on every machine, every time.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .at
            .cmp(&self.at)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A deterministic discrete-event queue with its own clock.
pub struct Engine<E> {
    now: SimTime,
    seq: u64,
    heap: BinaryHeap<Entry<E>>,
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
            heap: BinaryHeap::new(),
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
    pub fn schedule(&mut self, at: SimTime, event: E) {
        let at = at.max(self.now);
        self.seq += 1;
        self.heap.push(Entry {
            at,
            seq: self.seq,
            event,
        });
    }

    /// Schedules `event` after `delay`.
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule(self.now + delay, event);
    }

    /// The time of the next event, if any.
    #[must_use]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.at)
    }

    /// Takes the next event if it is due at or before `limit`, moving the
    /// clock to its time. Returns `None` (clock unchanged) otherwise.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<E> {
        if self.heap.peek()?.at > limit {
            return None;
        }
        let entry = self.heap.pop()?;
        self.now = entry.at;
        self.processed += 1;
        Some(entry.event)
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
