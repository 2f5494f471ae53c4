//! A timing wheel: the Tatkal world's event queue.
//!
//! Millions of users each keep a timer or two (a think time, a request
//! timeout, a retry backoff). A binary heap of that size spends its time in
//! cache misses; a wheel of 16-millisecond buckets makes scheduling O(1)
//! and keeps its bucket table small enough to stay in cache. Times are
//! whole milliseconds; a bucket is sorted (stably, by millisecond) when the
//! clock reaches it, so events run in (time, scheduling order), exactly as
//! with a heap. Events further ahead than the wheel's span (about 131 s)
//! wait in an overflow heap and move into their bucket, in scheduling
//! order, as soon as it comes within the span.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// log2 of a bucket's width in ms.
const WIDTH_BITS: u32 = 4;
/// log2 of the number of buckets: 2^13 × 16 ms ≈ 131 s ahead.
const BITS: u32 = 13;
const BUCKETS: u64 = 1 << BITS;
const MASK: u64 = BUCKETS - 1;
/// A drained bucket that grew past this many events gives its memory back.
const KEEP_CAPACITY: usize = 4096;

/// The event queue, with `E` small and `Copy`.
pub struct Wheel<E> {
    buckets: Vec<Vec<(u32, E)>>,
    /// One bit per bucket: non-empty.
    occupied: Vec<u64>,
    /// The current instant (ms); no pending event is earlier.
    now: u64,
    /// The bucket holding `now`; every event in the wheel is in
    /// `[bucket, bucket + BUCKETS)`.
    bucket: u64,
    /// The current bucket is sorted from `read` on.
    sorted: bool,
    /// Read position inside the current bucket.
    read: usize,
    /// Events too far ahead: (ms, seq, event).
    overflow: BinaryHeap<Reverse<(u64, u64, Slot<E>)>>,
    seq: u64,
    len: usize,
}

/// Wrapper so that the overflow heap orders by (ms, seq) only.
#[derive(Clone, Copy)]
struct Slot<E>(E);

impl<E> PartialEq for Slot<E> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<E> Eq for Slot<E> {}
impl<E> PartialOrd for Slot<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Slot<E> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<E: Copy> Default for Wheel<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> Wheel<E> {
    #[must_use]
    pub fn new() -> Self {
        Wheel {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: vec![0; (BUCKETS / 64) as usize],
            now: 0,
            bucket: 0,
            sorted: false,
            read: 0,
            overflow: BinaryHeap::new(),
            seq: 0,
            len: 0,
        }
    }

    /// Pending events.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn mark(&mut self, i: usize) {
        self.occupied[i / 64] |= 1 << (i % 64);
    }

    fn unmark(&mut self, i: usize) {
        self.occupied[i / 64] &= !(1 << (i % 64));
    }

    /// Schedules `ev` at millisecond `at` (a past instant means now).
    pub fn schedule(&mut self, at: u64, ev: E) {
        let at = at.max(self.now).min(u64::from(u32::MAX));
        self.len += 1;
        let b = at >> WIDTH_BITS;
        if b - self.bucket >= BUCKETS {
            self.seq += 1;
            self.overflow.push(Reverse((at, self.seq, Slot(ev))));
            return;
        }
        let i = (b & MASK) as usize;
        let entry = (at as u32, ev);
        if b == self.bucket && self.sorted {
            // Into the sorted, partly read bucket: after every event due at
            // or before `at`.
            let v = &mut self.buckets[i];
            let pos = self.read + v[self.read..].partition_point(|(t, _)| u64::from(*t) <= at);
            v.insert(pos, entry);
        } else {
            self.buckets[i].push(entry);
        }
        self.mark(i);
    }

    /// The first occupied bucket at or after the current one (absolute).
    fn next_bucket(&self) -> Option<u64> {
        let start = (self.bucket & MASK) as usize;
        if self.buckets[start].len() > self.read {
            return Some(self.bucket);
        }
        let first = start + 1;
        let mut idx = first;
        let mut remaining = BUCKETS as usize - 1;
        while remaining > 0 {
            let pos = idx % BUCKETS as usize;
            let bit = pos % 64;
            let word = self.occupied[pos / 64] >> bit;
            let span = (64 - bit).min(remaining);
            if word != 0 {
                let tz = word.trailing_zeros() as usize;
                if tz < span {
                    return Some(self.bucket + (idx - first + tz + 1) as u64);
                }
            }
            idx += span;
            remaining -= span;
        }
        None
    }

    /// The earliest ms in the wheel (scans an unsorted bucket).
    fn next_in_wheel(&self) -> Option<u64> {
        let b = self.next_bucket()?;
        let v = &self.buckets[(b & MASK) as usize];
        if b == self.bucket && self.sorted {
            return v.get(self.read).map(|(t, _)| u64::from(*t));
        }
        let from = if b == self.bucket { self.read } else { 0 };
        v[from..].iter().map(|(t, _)| u64::from(*t)).min()
    }

    /// The time of the next event, if any.
    #[inline]
    #[must_use]
    pub fn peek(&self) -> Option<u64> {
        // Fast path: the bucket being read is sorted and not used up. Its
        // next event comes first: every other bucket, and the overflow
        // (beyond the span), is later.
        if self.sorted
            && let Some((t, _)) = self.buckets[(self.bucket & MASK) as usize].get(self.read)
        {
            return Some(u64::from(*t));
        }
        self.peek_slow()
    }

    /// [`Wheel::peek`] off the fast path: finds the next bucket.
    #[inline(never)]
    fn peek_slow(&self) -> Option<u64> {
        let w = self.next_in_wheel();
        let o = self.overflow.peek().map(|Reverse((t, _, _))| *t);
        match (w, o) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Releases the current bucket once it is fully read.
    fn retire_current(&mut self) {
        let i = (self.bucket & MASK) as usize;
        if self.read > 0 && self.read >= self.buckets[i].len() {
            if self.buckets[i].capacity() > KEEP_CAPACITY {
                self.buckets[i] = Vec::new();
            } else {
                self.buckets[i].clear();
            }
            self.unmark(i);
            self.read = 0;
            self.sorted = false;
        }
    }

    /// Moves the clock to `t` (never backwards); only valid when no event
    /// is due before `t`.
    pub fn advance_to(&mut self, t: u64) {
        if t <= self.now {
            return;
        }
        self.now = t;
        let b = t >> WIDTH_BITS;
        if b != self.bucket {
            self.retire_current();
            debug_assert!(self.read == 0);
            self.bucket = b;
            self.sorted = false;
            self.read = 0;
            self.migrate();
        }
    }

    /// Moves overflow events that now fall inside the span into the wheel.
    fn migrate(&mut self) {
        while let Some(Reverse((t, _, _))) = self.overflow.peek() {
            if (*t >> WIDTH_BITS) - self.bucket >= BUCKETS {
                break;
            }
            if let Some(Reverse((t, _, Slot(ev)))) = self.overflow.pop() {
                let i = ((t >> WIDTH_BITS) & MASK) as usize;
                self.buckets[i].push((t as u32, ev));
                self.mark(i);
            }
        }
    }

    /// The event `k` places after the next one in the bucket being read,
    /// if it is already known (a hint for touching memory early).
    #[must_use]
    pub fn ahead(&self, k: usize) -> Option<E> {
        if !self.sorted {
            return None;
        }
        self.buckets[(self.bucket & MASK) as usize]
            .get(self.read + k)
            .map(|(_, e)| *e)
    }

    /// Takes the next event due at or before `limit`, with its time.
    #[inline]
    pub fn pop_until(&mut self, limit: u64) -> Option<(u64, E)> {
        let next = self.peek()?;
        if next > limit {
            return None;
        }
        Some(self.pop_next(next))
    }

    /// Takes the next event, due at `next` (what [`Wheel::peek`] just
    /// said: one look at the wheel serves for both), with its time.
    #[inline]
    pub fn pop_next(&mut self, next: u64) -> (u64, E) {
        debug_assert_eq!(self.peek(), Some(next));
        self.advance_to(next);
        let i = (self.bucket & MASK) as usize;
        if !self.sorted {
            let read = self.read;
            self.buckets[i][read..].sort_by_key(|(t, _)| *t);
            self.sorted = true;
        }
        let (t, ev) = self.buckets[i][self.read];
        debug_assert_eq!(u64::from(t), next);
        self.read += 1;
        self.len -= 1;
        self.retire_current();
        (u64::from(t), ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAN: u64 = BUCKETS << WIDTH_BITS;

    #[test]
    fn orders_by_time_then_insertion_and_handles_overflow() {
        let mut w = Wheel::new();
        w.schedule(5, 'b');
        w.schedule(3, 'a');
        w.schedule(5, 'c');
        w.schedule(SPAN * 3 + 7, 'z');
        w.schedule(SPAN + 10, 'x');
        w.schedule(SPAN + 10, 'y');
        let mut out = String::new();
        let mut times = Vec::new();
        while let Some((t, e)) = w.pop_until(u64::MAX) {
            out.push(e);
            times.push(t);
            if e == 'a' {
                // Scheduled "now" runs after what is already due now.
                w.schedule(0, 'n');
                w.schedule(4, 'm');
            }
            if e == 'x' {
                w.schedule(SPAN + 10, 'w');
            }
        }
        assert_eq!(out, "anmbcxywz");
        assert_eq!(times[0], 3);
        assert_eq!(times[1], 3);
        assert_eq!(times[2], 4);
        assert_eq!(*times.last().expect("nine"), SPAN * 3 + 7);
        assert!(w.is_empty());
    }

    #[test]
    fn limit_and_advance() {
        let mut w = Wheel::new();
        w.schedule(100, 1u32);
        assert_eq!(w.pop_until(50), None);
        w.advance_to(50);
        assert_eq!(w.peek(), Some(100));
        w.schedule(60, 2);
        w.schedule(99, 3);
        assert_eq!(w.pop_until(200), Some((60, 2)));
        assert_eq!(w.pop_until(200), Some((99, 3)));
        assert_eq!(w.pop_until(200), Some((100, 1)));
        assert_eq!(w.peek(), None);
    }

    #[test]
    fn matches_a_heap_on_random_schedules() {
        use rand::Rng;
        let mut rng = crate::sim::rng::stream(3, "wheel");
        let mut w = Wheel::new();
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        for _ in 0..2000 {
            let at = rng.random_range(0..400_000u64);
            seq += 1;
            w.schedule(at, seq);
            heap.push(Reverse((at, seq)));
        }
        let mut popped = 0;
        while let Some((t, s)) = w.pop_until(u64::MAX) {
            let Reverse((ht, hs)) = heap.pop().expect("same length");
            assert_eq!((t, s), (ht, hs));
            popped += 1;
            if popped % 3 == 0 && popped < 3000 {
                let at = t + rng.random_range(0..200_000u64);
                seq += 1;
                w.schedule(at, seq);
                heap.push(Reverse((at, seq)));
            }
        }
        assert!(heap.is_empty());
    }
}
