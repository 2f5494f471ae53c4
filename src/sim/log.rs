//! The event log: one bounded buffer owned by the [`Simulation`](super::Simulation).
//! Worlds write to it through their [`Context`](super::runtime::Context);
//! captions, faults and commands are logged by the simulation itself. When
//! it is full the oldest line goes, and the count of dropped lines says so.

use std::collections::VecDeque;

use super::time::SimTime;

/// How many lines the event log keeps.
pub const LOG_CAPACITY: usize = 500;

/// A line for the event log, stamped with simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub at: SimTime,
    pub text: String,
}

/// A bounded log, oldest line first.
#[derive(Clone, Debug)]
pub struct EventLog {
    lines: VecDeque<LogEntry>,
    capacity: usize,
    dropped: u64,
}

impl Default for EventLog {
    fn default() -> Self {
        Self::new(LOG_CAPACITY)
    }
}

impl EventLog {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        EventLog {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }

    /// Adds a line at `at`, dropping the oldest when full.
    pub fn push(&mut self, at: SimTime, text: impl Into<String>) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(LogEntry {
            at,
            text: text.into(),
        });
    }

    #[must_use]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.lines.iter()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Lines dropped because the log was full.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_lines_and_counts_the_dropped() {
        let mut log = EventLog::new(3);
        for i in 0..5 {
            log.push(SimTime::from_secs(i), format!("line {i}"));
        }
        let texts: Vec<&str> = log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["line 2", "line 3", "line 4"]);
        assert_eq!(log.dropped(), 2);
    }
}
