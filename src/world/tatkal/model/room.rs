//! The virtual waiting room: joining with an ETA by Little's law, admission, the opening.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Tatkal {
    /// The rate an ETA divides by: the admission rate now.
    pub(super) fn eta_rate(&self) -> f64 {
        self.admission_rate.max(1e-9)
    }

    pub(super) fn join_queue(&mut self, cx: &mut Cx<'_>, u: u32) {
        let now = now_ms(cx);
        let train = self.users.v[u as usize].train as usize;
        if self.opened && self.seats[train] == 0 {
            // The room shows availability: nothing to wait for.
            self.finish(cx, u, SOLD_OUT);
            return;
        }
        // Little's law with inventory: of those ahead, only as many as
        // their trains have seats left will be admitted; the rest will be
        // told "sold out" without using an admission.
        let ahead = self.room_effective as f64;
        let to_open = self.open_ms.saturating_sub(now) as f64 / 1000.0;
        let position = if self.admission == Admission::Random && !self.opened {
            f64::midpoint(ahead, 1.0)
        } else if self.admission == Admission::None {
            0.0
        } else {
            ahead + 1.0
        };
        let eta_s = to_open + position / self.eta_rate();
        let shown_ms = (eta_s * 1000.0).round().min(f64::from(u32::MAX)) as u32;
        let i = u as usize;
        let patience = self.users.v[i].patience_s;
        self.pending -= 1;
        // Would wait past their (informed) patience, counted from 10:00: leave now.
        let waits_past_open = eta_s - to_open;
        if patience != FOREVER
            && waits_past_open > f64::from(patience) * self.p.informed_patience_factor
        {
            self.c.abandoned_on_eta += 1;
            self.pending += 1;
            self.finish(cx, u, ABANDONED);
            return;
        }
        self.users.eta_ms[i] = shown_ms;
        self.users.v[i].state = QUEUED;
        self.queued += 1;
        let before = self.effective(train);
        self.room_count[train] += 1;
        self.refresh_effective(train, before);
        self.room_join_sum_ms[train] += f64::from(self.users.v[i].arrived_ms);
        self.queue.push_back(u);
        self.queue_peak = self.queue_peak.max(self.queued);
        self.set_level(cx);
    }

    /// Takes the next user off the front of the room; true when one was
    /// admitted to booking (skips, those long gone and those who must wait
    /// for a held seat cost no admission).
    pub(super) fn admit_front(&mut self, cx: &mut Cx<'_>) -> Option<bool> {
        let u = self.queue.pop_front()?;
        let i = u as usize;
        let train = self.users.v[i].train as usize;
        if self.users.v[i].state != QUEUED {
            return Some(false); // moved out while waiting (room switched off)
        }
        if self.seats[train] == 0 {
            // A ghost: told "sold out" (and counted) when the train sold out.
            self.users.v[i].state = SOLD_OUT;
            return Some(false);
        }
        if self.held[train] >= self.seats[train] {
            // Every seat left is held for someone booking: wait at the
            // front for one of them to fail, or be told it sold out.
            self.standby[train].push_back(u);
            return Some(false);
        }
        Some(self.admit(cx, u))
    }

    /// Admits user `u` (in the room, their train with a seat not held):
    /// holds a seat for them and begins their session. False when they
    /// had long gone.
    pub(super) fn admit(&mut self, cx: &mut Cx<'_>, u: u32) -> bool {
        let i = u as usize;
        let train = self.users.v[i].train as usize;
        let now = now_ms(cx);
        let arrived = u64::from(self.users.v[i].arrived_ms);
        let waited = now.saturating_sub(arrived);
        let before = self.effective(train);
        self.room_count[train] -= 1;
        self.refresh_effective(train, before);
        self.room_join_sum_ms[train] -= arrived as f64;
        self.c.queue_departures += 1;
        self.queue_wait_sum_s += waited as f64 / 1000.0;
        // `finish` moves a user out of `booking`: count them there first.
        let gone = self.out_of_patience(cx, u);
        self.queued -= 1;
        self.booking += 1;
        self.users.v[i].state = THINKING;
        if gone {
            // Closed the tab a while ago; noticed at their turn.
            self.c.abandoned_in_queue += 1;
            self.finish(cx, u, ABANDONED);
            return false;
        }
        self.c.admitted += 1;
        let eta = u64::from(self.users.eta_ms[i]);
        let error = SimTime(waited.abs_diff(eta) * 1000);
        self.eta_error.record(error);
        if arrived >= self.open_ms {
            self.eta_error_after_open.record(error);
        }
        self.eta_shown.record(SimTime(eta * 1000));
        self.admitted_wait.record(SimTime(waited * 1000));
        self.users.v[i].flags |= FLAG_ADMITTED | FLAG_HELD;
        self.held[train] += 1;
        self.users.eta_ms[i] = now as u32;
        self.begin_session(cx, u);
        true
    }

    /// A held seat of `train` was released (its user booked or gave up).
    pub(super) fn release_hold(&mut self, train: usize) {
        self.held[train] -= 1;
        if !self.standby[train].is_empty() {
            self.released.push(train as u16);
        }
    }

    /// Those waiting for a held seat get the seats released since the last
    /// tick (or are dropped as ghosts once their train sold out).
    pub(super) fn admit_standby(&mut self, cx: &mut Cx<'_>) {
        let mut trains = std::mem::take(&mut self.released);
        trains.sort_unstable();
        trains.dedup();
        for &t in &trains {
            let t = usize::from(t);
            while self.held[t] < self.seats[t] || self.seats[t] == 0 {
                let Some(u) = self.standby[t].pop_front() else {
                    break;
                };
                let user = &mut self.users.v[u as usize];
                if user.state != QUEUED {
                    continue;
                }
                if self.seats[t] == 0 {
                    user.state = SOLD_OUT; // told when the train sold out
                    continue;
                }
                self.admit(cx, u);
            }
        }
        trains.clear();
        self.released = trains;
    }

    /// Everyone waiting at the front for a held seat, back in the room's
    /// line (the room is being emptied).
    fn unhold_standby(&mut self) {
        for t in 0..self.standby.len() {
            while let Some(u) = self.standby[t].pop_back() {
                self.queue.push_front(u);
            }
        }
        self.released.clear();
    }

    pub(super) fn release_all(&mut self, cx: &mut Cx<'_>) {
        self.unhold_standby();
        while let Some(u) = self.queue.pop_front() {
            let i = u as usize;
            if self.users.v[i].state != QUEUED {
                continue;
            }
            if self.seats[self.users.v[i].train as usize] == 0 {
                self.users.v[i].state = SOLD_OUT;
                continue;
            }
            self.admit(cx, u);
        }
        self.admit_budget.spill_above(0.0);
        self.set_level(cx);
    }

    pub(super) fn handle_admit(&mut self, cx: &mut Cx<'_>) {
        let now = now_ms(cx);
        schedule(cx, now + ADMIT_EVERY_MS, Ev::Admit);
        if !self.opened || !self.waiting_room {
            return;
        }
        if self.admission == Admission::None {
            self.release_all(cx);
            return;
        }
        self.admit_standby(cx);
        // One tick's worth of admissions at the rate now; skips and those
        // long gone take no token.
        let at = cx.now();
        self.admit_budget
            .tick(at, self.admission_rate, ADMIT_EVERY_MS);
        while self.admit_budget.tokens(at) >= 1.0 {
            match self.admit_front(cx) {
                Some(true) => {
                    self.admit_budget.try_take(at, 1.0);
                }
                Some(false) => {}
                None => break,
            }
        }
        if self.queued == 0 {
            // No one waits: credit does not pile up beyond one admission.
            self.admit_budget.spill_above(1.0);
        }
        self.set_level(cx);
    }

    pub(super) fn handle_open(&mut self, cx: &mut Cx<'_>) {
        self.opened = true;
        if self.waiting_room && self.admission == Admission::Random {
            let slice = self.queue.make_contiguous();
            slice.shuffle(&mut self.shuffle_rng);
        }
        let n = self.room_len();
        cx.log(format!(
            "10:00 — Tatkal opens; {} in the waiting room",
            fmt_count(n as f64)
        ));
        if self.waiting_room && self.admission == Admission::None {
            self.release_all(cx);
        }
    }
}
