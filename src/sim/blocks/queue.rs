//! Finite queues: capacity K, and a discipline deciding who is served
//! next — FIFO, strict priority between classes, or weighted fair
//! scheduling between classes (the episode's premium : normal : background
//! = 5 : 3 : 1).
//!
//! A full queue hands the item back ([`FiniteQueue::push`] returns `Err`),
//! and the caller decides: reject it (blocking) or overflow it to another
//! block. The queue never grows past its capacity, so memory is bounded.
//!
//! Weighted fair scheduling is smooth weighted round robin over the
//! non-empty classes (as in nginx): while every class is backlogged each
//! cycle of Σw pops serves exactly w_i of class i, interleaved; an idle
//! class earns no credit, and an empty class never blocks the others
//! (work-conserving).

use std::collections::VecDeque;

/// Who is served next.
#[derive(Clone, Debug, PartialEq)]
pub enum Discipline {
    /// First in, first out, whatever the class.
    Fifo,
    /// `classes` lanes; the lowest class index always goes first.
    Priority { classes: usize },
    /// One lane per weight; served in proportion to the weights.
    WeightedFair(Vec<u32>),
}

impl Discipline {
    /// The episode's fair queue: premium 5, normal 3, background 1.
    #[must_use]
    pub fn episode_fair() -> Self {
        Discipline::WeightedFair(vec![5, 3, 1])
    }
}

/// A bounded queue of `T` (see the module docs).
#[derive(Clone, Debug)]
pub struct FiniteQueue<T> {
    capacity: usize,
    discipline: Discipline,
    lanes: Vec<VecDeque<T>>,
    credit: Vec<i64>,
    /// Optional room per lane (besides the shared capacity), so that one
    /// class cannot crowd the others out of a shared buffer.
    lane_capacity: Vec<usize>,
    len: usize,
}

impl<T> FiniteQueue<T> {
    /// A queue holding at most `capacity` items.
    #[must_use]
    pub fn new(capacity: usize, discipline: Discipline) -> Self {
        let lanes = match &discipline {
            Discipline::Fifo => 1,
            Discipline::Priority { classes } => (*classes).max(1),
            Discipline::WeightedFair(w) => w.len().max(1),
        };
        FiniteQueue {
            capacity,
            discipline,
            lanes: (0..lanes).map(|_| VecDeque::new()).collect(),
            credit: vec![0; lanes],
            lane_capacity: Vec::new(),
            len: 0,
        }
    }

    /// Caps each lane (class) at its own room too; missing entries are
    /// unlimited (only the shared capacity applies).
    #[must_use]
    pub fn with_class_capacities(mut self, caps: &[usize]) -> Self {
        self.lane_capacity = caps.to_vec();
        self
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    #[must_use]
    pub fn is_full(&self) -> bool {
        self.len >= self.capacity
    }

    /// Items waiting in `class`'s lane (FIFO has one lane, class 0).
    #[must_use]
    pub fn class_len(&self, class: usize) -> usize {
        self.lanes.get(class).map_or(0, VecDeque::len)
    }

    /// Changes the capacity. Items already queued beyond a smaller
    /// capacity stay (nobody is thrown out); new ones are refused until
    /// the queue drains below it.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
    }

    fn lane(&self, class: usize) -> usize {
        match self.discipline {
            Discipline::Fifo => 0,
            _ => class.min(self.lanes.len() - 1),
        }
    }

    /// Enqueues `item` of `class`; gives it back when the queue is full.
    #[inline]
    pub fn push(&mut self, item: T, class: usize) -> Result<(), T> {
        if self.len >= self.capacity {
            return Err(item);
        }
        let lane = self.lane(class);
        if self
            .lane_capacity
            .get(lane)
            .is_some_and(|&cap| self.lanes[lane].len() >= cap)
        {
            return Err(item);
        }
        self.lanes[lane].push_back(item);
        self.len += 1;
        Ok(())
    }

    /// Puts `item` back at the head of its lane (e.g. a job whose server
    /// crashed), even past capacity: it was already admitted.
    pub fn push_front(&mut self, item: T, class: usize) {
        let lane = self.lane(class);
        self.lanes[lane].push_front(item);
        self.len += 1;
    }

    /// The next item by the discipline, with its lane.
    #[inline]
    pub fn pop(&mut self) -> Option<(T, usize)> {
        if self.len == 0 {
            return None;
        }
        let lane = match &self.discipline {
            Discipline::Fifo => 0,
            Discipline::Priority { .. } => self.lanes.iter().position(|l| !l.is_empty())?,
            Discipline::WeightedFair(weights) => {
                let mut total = 0i64;
                let mut best: Option<usize> = None;
                for (i, lane) in self.lanes.iter().enumerate() {
                    if lane.is_empty() {
                        continue;
                    }
                    let w = i64::from(weights.get(i).copied().unwrap_or(0));
                    self.credit[i] += w;
                    total += w;
                    if best.is_none_or(|b| self.credit[i] > self.credit[b]) {
                        best = Some(i);
                    }
                }
                let b = best?;
                self.credit[b] -= total;
                b
            }
        };
        let item = self.lanes[lane].pop_front()?;
        self.len -= 1;
        Some((item, lane))
    }

    /// Removes items from the heads of the lanes while `expired` says so
    /// (e.g. clients whose timeout passed), calling `out` for each.
    /// Deadlines that grow with arrival order make this exact.
    pub fn drain_expired(&mut self, mut expired: impl FnMut(&T) -> bool, mut out: impl FnMut(T)) {
        for lane in &mut self.lanes {
            while lane.front().is_some_and(&mut expired) {
                if let Some(x) = lane.pop_front() {
                    self.len -= 1;
                    out(x);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_blocks_at_capacity() {
        let mut q = FiniteQueue::new(2, Discipline::Fifo);
        assert_eq!(q.push(1, 0), Ok(()));
        assert_eq!(q.push(2, 5), Ok(()));
        assert_eq!(q.push(3, 0), Err(3));
        assert!(q.is_full());
        assert_eq!(q.pop(), Some((1, 0)));
        assert_eq!(q.pop(), Some((2, 0)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn priority_serves_lowest_class_first() {
        let mut q = FiniteQueue::new(10, Discipline::Priority { classes: 3 });
        for (x, c) in [(1, 2), (2, 0), (3, 1), (4, 0)] {
            q.push(x, c).expect("room");
        }
        let order: Vec<i32> = std::iter::from_fn(|| q.pop().map(|p| p.0)).collect();
        assert_eq!(order, vec![2, 4, 3, 1]);
    }

    #[test]
    fn weighted_fair_is_five_three_one_and_work_conserving() {
        let mut q = FiniteQueue::new(1000, Discipline::episode_fair());
        for i in 0..300 {
            for c in 0..3 {
                q.push(i, c).expect("room");
            }
        }
        let mut served = [0; 3];
        for _ in 0..90 {
            served[q.pop().expect("backlogged").1] += 1;
        }
        assert_eq!(served, [50, 30, 10]);
        // Only background left: it gets everything.
        let mut q = FiniteQueue::new(10, Discipline::episode_fair());
        q.push(7, 2).expect("room");
        q.push(8, 2).expect("room");
        assert_eq!(q.pop(), Some((7, 2)));
        assert_eq!(q.pop(), Some((8, 2)));
    }

    #[test]
    fn class_capacities_keep_room_for_each_class() {
        let mut q = FiniteQueue::new(10, Discipline::episode_fair()).with_class_capacities(&[5, 3]);
        for i in 0..4 {
            assert_eq!(q.push(i, 1), if i < 3 { Ok(()) } else { Err(i) });
        }
        for i in 0..6 {
            let _ = q.push(i, 2); // background: only the shared cap applies
        }
        assert_eq!(q.class_len(2), 6);
        assert_eq!(q.push(99, 0), Ok(()), "premium still has room");
        assert!(q.is_full());
        assert_eq!(q.push(100, 0), Err(100));
    }

    #[test]
    fn expired_heads_are_drained_and_front_pushes_bypass_capacity() {
        let mut q = FiniteQueue::new(3, Discipline::Fifo);
        for d in [1, 2, 5] {
            q.push(d, 0).expect("room");
        }
        let mut gone = Vec::new();
        q.drain_expired(|&d| d <= 2, |d| gone.push(d));
        assert_eq!(gone, vec![1, 2]);
        assert_eq!(q.len(), 1);
        q.set_capacity(1);
        q.push_front(0, 0);
        assert_eq!(q.len(), 2);
        assert_eq!(q.push(9, 0), Err(9));
    }
}
