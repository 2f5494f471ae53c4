//! Checks and read-outs: the per-user audit and a few figures for tests.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Tatkal {
    /// Scans every user's state (O(users)): the outcome counts from the
    /// per-user record, to check against the running counters.
    #[must_use]
    pub fn audit(&self) -> Audit {
        let mut a = Audit {
            users: self.users.len() as u64,
            ..Audit::default()
        };
        for user in &self.users.v {
            let s = if user.state == QUEUED && self.seats[user.train as usize] == 0 {
                SOLD_OUT // told when the train sold out; still a ghost in the deque
            } else {
                user.state
            };
            match s {
                BOOKED => a.booked += 1,
                SOLD_OUT => a.sold_out += 1,
                ABANDONED => a.abandoned += 1,
                BLOCKED => a.blocked += 1,
                _ => a.in_system += 1,
            }
        }
        a
    }

    /// Users in the waiting room now.
    #[must_use]
    pub fn waiting(&self) -> u64 {
        self.room_len()
    }

    /// The admission rate now (per second).
    #[must_use]
    pub fn admission_rate(&self) -> f64 {
        self.admission_rate
    }

    /// Booking engines in the fleet.
    #[must_use]
    pub fn engine_count(&self) -> usize {
        self.engines.len()
    }

    pub(super) fn clock(&self, now: SimTime) -> String {
        // 10:00:00 at the opening.
        let open_s = 10 * 3600;
        let rel = now.micros() as i64 / 1_000_000 - (self.open_ms / 1000) as i64;
        let s = (open_s + rel).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}
