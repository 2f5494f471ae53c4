//! Booking sessions: challenges, requests to the engines, timeouts, retries, outcomes, crashes and the periodic sample.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Most tries a bot makes at one CAPTCHA shown at every step before its
/// script gives up on the user id (the old CAPTCHA did not block anyone).
const BOT_CAPTCHA_TRIES: u32 = 100;

/// Why an attempt failed in the background.
#[derive(Clone, Copy, Debug)]
pub(super) enum Background {
    PaymentDeclined,
    OtpTimeout,
    UserMistake,
    SessionExpired,
}

/// A millisecond instant as whole seconds in a `u16` (saturating: runs
/// are at most a day, 86 400 s; past 65 535 s session ages read as 0).
#[inline]
pub(super) fn secs_u16(ms: u64) -> u16 {
    (ms / 1000).min(u64::from(u16::MAX)) as u16
}

/// What an engine's service time depends on besides the request and the
/// engine's load (see [`Conditions::service_s`]).
#[derive(Clone, Copy, Debug)]
struct Conditions {
    /// Since booking opened (ms); `None` when the cache was pre-warmed.
    since_open_ms: Option<u64>,
    cold_cache_factor: f64,
    cache_warmup_s: f64,
    db: Effect,
    pay: Effect,
    /// The faults on the engine.
    fault: Effect,
}

impl Conditions {
    /// The service time (s) for `req` starting under `load`: the step's
    /// own time — cold cache, database and payment gateway behind it —
    /// thrashing past the knee (`load.factor`), slowed and delayed by
    /// faults on the engine. Draws from `rng` in that order.
    fn service_s(&self, rng: &mut SimRng, users: &Users, req: &Req, load: Load) -> f64 {
        let cold = match self.since_open_ms {
            None => 1.0,
            Some(ms) => {
                let since_open = ms as f64 / 1000.0;
                1.0 + (self.cold_cache_factor - 1.0) * (-since_open / self.cache_warmup_s).exp()
            }
        };
        let parallel = users.v[req.user as usize].flags & FLAG_PARALLEL != 0;
        let (step, base) = pipeline(parallel)
            .get(req.step as usize)
            .copied()
            .unwrap_or((Step::Confirm, 1.0));
        let (db, pay, dep) = (&self.db, &self.pay, added_latency_s);
        let work = match step {
            Step::Availability => base * cold * spread(rng) / db.slowdown + dep(db, rng),
            Step::Verify | Step::Confirm => base * spread(rng) / db.slowdown + dep(db, rng),
            Step::Payment => base * spread(rng) / pay.slowdown + dep(pay, rng),
            Step::Parallel => {
                let avail = base * cold * spread(rng) / db.slowdown + dep(db, rng);
                let verify = VERIFY_S * spread(rng) / db.slowdown + dep(db, rng);
                let prepare = PREPARE_PAYMENT_S * spread(rng) / pay.slowdown + dep(pay, rng);
                avail.max(verify).max(prepare)
            }
        };
        let extra = added_latency_s(&self.fault, rng);
        work * load.factor / self.fault.slowdown + extra
    }
}

impl Tatkal {
    /// Challenge before a request; `Err(())` when a bot is stopped.
    /// Returns the human seconds it costs. The old CAPTCHA at every step
    /// (`every_step`) knows nothing of who answers: a wrong answer only
    /// brings another one, for bots as for humans. A risk-based challenge
    /// is shown to those who already look like bots: a bot that fails it
    /// is blocked.
    pub(super) fn challenge(&mut self, u: u32, level: u8, every_step: bool) -> Result<f64, ()> {
        // level 2 = CAPTCHA, 1 = simple verification
        let bot = self.users.is_bot(u);
        let i = u as usize;
        self.users.v[i].flags |= FLAG_CHALLENGED;
        if bot {
            let pass = if level == 2 {
                self.p.bot_captcha_pass
            } else {
                self.p.bot_verify_pass
            };
            let tries = if every_step { BOT_CAPTCHA_TRIES } else { 1 };
            let mut t = 0.0;
            for _ in 0..tries {
                t += self.p.bot_think_s * 3.0;
                if self.captcha_rng.random::<f64>() < pass {
                    return Ok(t);
                }
            }
            Err(())
        } else if level == 2 {
            // Geometric number of tries until one is right.
            let mut t = 0.0;
            loop {
                t += self.p.captcha_s * spread(&mut self.captcha_rng);
                if self.captcha_rng.random::<f64>() >= self.p.captcha_fail {
                    break;
                }
            }
            Ok(t)
        } else {
            Ok(self.p.verify_s * spread(&mut self.captcha_rng))
        }
    }

    /// A new booking attempt (a login session) begins now: a human's
    /// counts in the success rate when their train still has seats.
    pub(super) fn new_attempt(&mut self, cx: &Cx<'_>, u: u32) {
        let i = u as usize;
        let train = self.users.v[i].train as usize;
        let user = &mut self.users.v[i];
        user.step = 0;
        user.retries = 0;
        user.begun_s = secs_u16(now_ms(cx));
        user.flags &= !FLAG_ATTEMPT;
        if user.flags & FLAG_BOT == 0 && self.seats[train] > 0 {
            user.flags |= FLAG_ATTEMPT;
            self.c.attempts += 1;
        }
    }

    /// An attempt fails in the background (`why`): the user starts again
    /// after `restart_attempt_s`, or gives up when out of patience.
    pub(super) fn fail_attempt(&mut self, cx: &mut Cx<'_>, u: u32, why: Background) {
        match why {
            Background::PaymentDeclined => self.c.payment_declines += 1,
            Background::OtpTimeout => self.c.otp_timeouts += 1,
            Background::UserMistake => self.c.user_mistakes += 1,
            Background::SessionExpired => self.c.session_expiries += 1,
        }
        let i = u as usize;
        if self.users.v[i].flags & FLAG_ATTEMPT != 0 {
            self.users.v[i].flags &= !FLAG_ATTEMPT;
            self.c.attempts_failed += 1;
        }
        if self.out_of_patience(cx, u) {
            self.finish(cx, u, ABANDONED);
            return;
        }
        if self.trains_left == 0 {
            self.finish(cx, u, SOLD_OUT);
            return;
        }
        self.new_attempt(cx, u);
        let delay = if self.users.is_bot(u) {
            self.p.bot_think_s
        } else {
            self.p.restart_attempt_s
        } * spread(&mut self.think_rng);
        self.schedule_send(cx, u, delay);
    }

    pub(super) fn begin_session(&mut self, cx: &mut Cx<'_>, u: u32) {
        // The caller has counted the user in `booking`.
        let i = u as usize;
        self.users.v[i].state = THINKING;
        if self.trains_left == 0 {
            self.finish(cx, u, SOLD_OUT);
            return;
        }
        self.new_attempt(cx, u);
        if self.parallel {
            self.users.v[i].flags |= FLAG_PARALLEL;
        } else {
            self.users.v[i].flags &= !FLAG_PARALLEL;
        }
        let mut delay = 0.0;
        if self.captcha == Captcha::RiskBased {
            let bot = self.users.is_bot(u);
            let dist = if bot {
                self.bot_risk.as_ref()
            } else {
                self.human_risk.as_ref()
            };
            let score = dist.map_or(0.0, |d| d.sample(&mut self.risk_rng));
            let level = if score > 0.8 {
                2
            } else {
                u8::from(score > 0.5)
            };
            if level > 0 {
                if bot {
                    self.c.bots_challenged += 1;
                } else {
                    self.c.humans_challenged += 1;
                }
                let Ok(t) = self.challenge(u, level, false) else {
                    self.finish(cx, u, BLOCKED);
                    return;
                };
                delay += t;
            }
        }
        self.schedule_send(cx, u, delay);
    }

    /// Schedules the user's next request after `delay_s` (plus a CAPTCHA
    /// when every step has one).
    pub(super) fn schedule_send(&mut self, cx: &mut Cx<'_>, u: u32, mut delay_s: f64) {
        let i = u as usize;
        if self.captcha == Captcha::EveryStep {
            let Ok(t) = self.challenge(u, 2, true) else {
                self.finish(cx, u, BLOCKED);
                return;
            };
            delay_s += t;
        }
        self.users.v[i].state = THINKING;
        let attempt = self.users.v[i].attempt;
        if delay_s <= 0.0 {
            self.send(cx, u);
        } else {
            let at = now_ms(cx) + ms_of(delay_s);
            schedule(cx, at, Ev::Send { user: u, attempt });
        }
    }

    /// What an engine's service depends on besides the request: the
    /// clock, the cache, the dependencies' and the engine's faults.
    fn conditions(&self, cx: &Cx<'_>, e: usize) -> Conditions {
        Conditions {
            since_open_ms: if self.prewarm {
                None
            } else {
                Some(now_ms(cx).saturating_sub(self.open_ms))
            },
            cold_cache_factor: self.p.cold_cache_factor,
            cache_warmup_s: self.p.cache_warmup_s,
            db: self.db,
            pay: self.payment,
            fault: self.engines[e].fault,
        }
    }

    pub(super) fn send(&mut self, cx: &mut Cx<'_>, u: u32) {
        let i = u as usize;
        if self.out_of_patience(cx, u) {
            self.finish(cx, u, ABANDONED);
            return;
        }
        let begun = u64::from(self.users.v[i].begun_s);
        if u64::from(secs_u16(now_ms(cx))).saturating_sub(begun) as f64 > self.p.session_timeout_s {
            self.fail_attempt(cx, u, Background::SessionExpired);
            return;
        }
        self.users.v[i].attempt = self.users.v[i].attempt.wrapping_add(1);
        let attempt = self.users.v[i].attempt;
        self.users.v[i].state = AWAITING;
        self.c.requests += 1;
        let now = now_ms(cx);
        let step = self.users.v[i].step;
        let Some(e) = self.fleet.choose_held() else {
            // Nothing is up: an error page at once.
            self.c.refused += 1;
            self.retry(cx, u);
            return;
        };
        let en = &mut self.engines[e];
        en.dispatched += 1;
        let fault = en.fault;
        let limit = en.slots(self.p.engine_slots);
        if fault.error_p > 0.0 && self.error_rng.random::<f64>() < fault.error_p {
            self.fleet.station_mut(e).record_failure();
            self.c.refused += 1;
            self.sync_backend(e);
            self.retry(cx, u);
            return;
        }
        let timeout_at = now + ms_of(self.p.timeout_s);
        let timeout = Ev::Timeout {
            user: u,
            attempt,
            engine: e as u16,
        };
        if fault.blackholed {
            schedule(cx, timeout_at, timeout);
            return;
        }
        let req = Req {
            user: u,
            attempt,
            step,
            sent_ms: now as u32,
        };
        let at = SimTime(now * 1000);
        let cond = self.conditions(cx, e);
        let (rng, users) = (&mut self.service_rng, &self.users);
        let sent = self
            .fleet
            .station_mut(e)
            .arrive_timed(at, at, req, limit, |r, load| {
                Some(cond.service_s(rng, users, r, load))
            });
        match sent {
            Sent::Started(t) => {
                Self::schedule_done(cx, e, t.life, req, t.service_s);
                if t.service_s >= self.p.timeout_s {
                    schedule(cx, timeout_at, timeout);
                }
            }
            Sent::Queued => schedule(cx, timeout_at, timeout),
            Sent::Refused(_) | Sent::Hung(_) => {
                self.fleet.station_mut(e).record_failure();
                self.c.refused += 1;
                self.sync_backend(e);
                self.retry(cx, u);
                return;
            }
        }
        self.sync_backend(e);
    }

    /// Schedules the end of `req`'s service on engine `e`, begun in the
    /// station's life `life`, after `service_s` (at least a millisecond).
    fn schedule_done(cx: &mut Cx<'_>, e: usize, life: u16, req: Req, service_s: f64) {
        let at = now_ms(cx) + ms_of(service_s).max(1);
        schedule(
            cx,
            at,
            Ev::Done {
                engine: e as u16,
                life,
                user: req.user,
                attempt: req.attempt,
                step: req.step,
                sent_ms: req.sent_ms,
            },
        );
    }

    /// Starts the next request waiting at engine `e` if it has a slot for
    /// it; whether one started.
    pub(super) fn pull_request(&mut self, cx: &mut Cx<'_>, e: usize) -> bool {
        if self.station(e).backlog_len() == 0 {
            return false;
        }
        let limit = self.engines[e].slots(self.p.engine_slots);
        let at = SimTime(now_ms(cx) * 1000);
        let cond = self.conditions(cx, e);
        let (rng, users) = (&mut self.service_rng, &self.users);
        let mut started = None;
        let pulled = self.fleet.station_mut(e).pull_timed(at, limit, |r, load| {
            started = Some(*r);
            Some(cond.service_s(rng, users, r, load))
        });
        match (pulled, started) {
            (Some(Sent::Started(t)), Some(req)) => {
                Self::schedule_done(cx, e, t.life, req, t.service_s);
                true
            }
            _ => false,
        }
    }

    /// A request failed or timed out: refresh after a backoff, or give up.
    pub(super) fn retry(&mut self, cx: &mut Cx<'_>, u: u32) {
        let i = u as usize;
        let bot = self.users.is_bot(u);
        let r = self.users.v[i].retries.saturating_add(1);
        self.users.v[i].retries = r;
        let limit = if bot {
            self.p.bot_max_retries
        } else {
            self.p.max_retries
        };
        if u32::from(r) > limit || self.out_of_patience(cx, u) {
            self.finish(cx, u, ABANDONED);
            return;
        }
        self.c.retries += 1;
        let backoff = if bot {
            self.p.bot_backoff_s * spread(&mut self.retry_rng)
        } else {
            let b = self.p.backoff_s * 1.5f64.powi(i32::from(r) - 1);
            b.min(self.p.backoff_max_s) * spread(&mut self.retry_rng)
        };
        self.users.v[i].state = THINKING;
        self.schedule_send(cx, u, backoff);
    }

    pub(super) fn handle_done(&mut self, cx: &mut Cx<'_>, engine: u16, life: u16, req: Req) {
        let e = engine as usize;
        let now = now_ms(cx);
        let u = req.user;
        let i = u as usize;
        let at = SimTime(now * 1000);
        let sent = SimTime(u64::from(req.sent_ms) * 1000);
        let timeout_s = self.p.timeout_s;
        let Some(d) = self
            .fleet
            .station_mut(e)
            .finish_timed(at, life, sent, timeout_s)
        else {
            // The engine crashed while serving this: the answer never comes.
            if self.users.v[i].state == AWAITING && self.users.v[i].attempt == req.attempt {
                let at = u64::from(req.sent_ms) + ms_of(self.p.timeout_s);
                schedule(
                    cx,
                    at,
                    Ev::Timeout {
                        user: u,
                        attempt: req.attempt,
                        engine,
                    },
                );
            }
            return;
        };
        self.response.record(d);
        self.window.record(d);
        // Next from the backlog.
        self.pull_request(cx, e);
        self.sync_backend(e);
        if self.users.v[i].state != AWAITING || self.users.v[i].attempt != req.attempt {
            // Served after the user had given up on it: wasted work.
            self.c.duplicates += 1;
            return;
        }
        self.step_done(cx, u, req.step);
    }

    pub(super) fn step_done(&mut self, cx: &mut Cx<'_>, u: u32, step_idx: u8) {
        let i = u as usize;
        let parallel = self.users.v[i].flags & FLAG_PARALLEL != 0;
        let pipe = pipeline(parallel);
        let step = pipe
            .get(step_idx as usize)
            .map_or(Step::Confirm, |(s, _)| *s);
        let train = self.users.v[i].train as usize;
        match step {
            Step::Availability | Step::Parallel if self.seats[train] == 0 => {
                self.finish(cx, u, SOLD_OUT);
                return;
            }
            Step::Payment
                if self.payment.error_p > 0.0
                    && self.error_rng.random::<f64>() < self.payment.error_p =>
            {
                self.retry(cx, u);
                return;
            }
            Step::Payment => {
                let (decline, otp) = (self.p.payment_decline, self.p.otp_timeout);
                if decline + otp > 0.0 {
                    let x = self.background_rng.random::<f64>();
                    if x < decline {
                        self.fail_attempt(cx, u, Background::PaymentDeclined);
                        return;
                    } else if x < decline + otp {
                        self.fail_attempt(cx, u, Background::OtpTimeout);
                        return;
                    }
                }
            }
            Step::Availability | Step::Parallel
                if self.p.user_mistake > 0.0
                    && !self.users.is_bot(u)
                    && self.background_rng.random::<f64>() < self.p.user_mistake =>
            {
                self.fail_attempt(cx, u, Background::UserMistake);
                return;
            }
            _ => {}
        }
        if step_idx as usize + 1 >= pipe.len() {
            if self.seats[train] == 0 {
                self.finish(cx, u, SOLD_OUT);
            } else {
                let before = self.effective(train);
                self.seats[train] -= 1;
                self.refresh_effective(train, before);
                self.seats_left -= 1;
                if self.sold_90_ms.is_none() && self.seats_left * 10 <= self.seats_total {
                    self.sold_90_ms = Some(now_ms(cx));
                }
                if self.seats[train] == 0 {
                    self.train_sold_out(cx, train);
                    self.trains_left -= 1;
                    if self.trains_left == 0 {
                        self.all_sold_out(cx);
                    }
                }
                self.finish(cx, u, BOOKED);
            }
            return;
        }
        self.users.v[i].step = step_idx + 1;
        self.users.v[i].retries = 0;
        let think = if self.users.is_bot(u) {
            self.p.bot_think_s
        } else {
            self.p.think_s
        } * spread(&mut self.think_rng);
        self.schedule_send(cx, u, think);
    }

    pub(super) fn all_sold_out(&mut self, cx: &mut Cx<'_>) {
        cx.log("every Tatkal seat is sold".to_string());
        self.sold_out_ms.get_or_insert(now_ms(cx));
        // Everyone waiting was told as their train sold out: drop the ghosts.
        for t in 0..self.standby.len() {
            while let Some(u) = self.standby[t].pop_front() {
                self.queue.push_back(u);
            }
        }
        while let Some(u) = self.queue.pop_front() {
            let user = &mut self.users.v[u as usize];
            if user.state == QUEUED {
                user.state = SOLD_OUT;
            }
        }
        self.set_level(cx);
    }

    /// Ends a user's story. The user must be counted in `booking` (callers
    /// move them there first) — or in `pending` for arrivals turned away.
    pub(super) fn finish(&mut self, cx: &mut Cx<'_>, u: u32, outcome: u8) {
        let i = u as usize;
        let was = self.users.v[i].state;
        debug_assert!(was < BOOKED, "user {u} finished twice");
        if was == PENDING {
            self.pending -= 1;
        } else {
            self.booking -= 1;
        }
        self.users.v[i].state = outcome;
        if self.users.v[i].flags & FLAG_HELD != 0 {
            self.users.v[i].flags &= !FLAG_HELD;
            self.release_hold(self.users.v[i].train as usize);
        }
        if self.users.v[i].flags & FLAG_ATTEMPT != 0 {
            self.users.v[i].flags &= !FLAG_ATTEMPT;
            match outcome {
                BOOKED => self.c.attempts_booked += 1,
                SOLD_OUT => self.c.attempts_sold_out += 1,
                _ => self.c.attempts_abandoned += 1,
            }
        }
        let bot = self.users.is_bot(u);
        match outcome {
            BOOKED => {
                self.c.booked += 1;
                if bot {
                    self.c.bots_booked += 1;
                } else {
                    self.c.humans_booked += 1;
                    let t = now_ms(cx).saturating_sub(self.start_ms(u));
                    self.time_to_book.record(SimTime(t * 1000));
                }
            }
            SOLD_OUT => self.c.sold_out += 1,
            ABANDONED => {
                self.c.abandoned += 1;
                if !bot {
                    self.c.humans_abandoned += 1;
                }
            }
            _ => self.c.blocked += 1,
        }
    }

    pub(super) fn handle_timeout(&mut self, cx: &mut Cx<'_>, u: u32, attempt: u16, engine: u16) {
        let i = u as usize;
        if self.users.v[i].state != AWAITING || self.users.v[i].attempt != attempt {
            return;
        }
        self.c.timeouts += 1;
        let e = engine as usize;
        if e < self.engines.len() {
            self.fleet.station_mut(e).record_failure();
            self.sync_backend(e);
        }
        self.retry(cx, u);
    }

    pub(super) fn handle_send(&mut self, cx: &mut Cx<'_>, u: u32, attempt: u16) {
        let i = u as usize;
        if self.users.v[i].state == THINKING && self.users.v[i].attempt == attempt {
            self.send(cx, u);
        }
    }

    pub(super) fn handle_start(&mut self, cx: &mut Cx<'_>, u: u32) {
        let i = u as usize;
        if self.users.v[i].state != PENDING {
            return;
        }
        self.pending -= 1;
        if self.waiting_room && self.admission != Admission::None {
            // The room was switched on meanwhile: join it.
            self.pending += 1;
            self.join_queue(cx, u);
            return;
        }
        self.booking += 1;
        self.begin_session(cx, u);
    }

    pub(super) fn crash(&mut self, cx: &mut Cx<'_>, e: usize, why: &str) {
        if !self.up(e) {
            return;
        }
        let held = self.fleet.station_mut(e).crash(cx.now());
        let en = &mut self.engines[e];
        en.epoch = en.epoch.wrapping_add(1);
        en.saturated_since = None;
        en.crashes += 1;
        self.c.crashes += 1;
        self.sync_backend(e);
        cx.log(format!(
            "engine-{} crashed ({why}); {} requests lost",
            e + 1,
            fmt_count(held as f64)
        ));
        self.on_capacity_change();
    }

    pub(super) fn restart(&mut self, cx: &mut Cx<'_>, e: usize) {
        if self.up(e) {
            return;
        }
        self.fleet.station_mut(e).recover();
        let en = &mut self.engines[e];
        en.killed_by = None;
        en.kill_id = None;
        en.saturated_since = None;
        en.endurance_ms = ms_of(self.p.crash_after_s * spread(&mut self.engines_rng));
        self.sync_backend(e);
        cx.log(format!("engine-{} restarted", e + 1));
        self.on_capacity_change();
    }

    pub(super) fn on_capacity_change(&mut self) {
        if !self.adaptive {
            self.admission_rate = self.base_rate();
        }
    }

    pub(super) fn handle_sample(&mut self, cx: &mut Cx<'_>) {
        let now = now_ms(cx);
        let dt = self.p.sample_every_s;
        // Crash check: saturated with a backlog for too long.
        for e in 0..self.engines.len() {
            let st = self.fleet.station(e);
            if st.is_down() {
                continue;
            }
            let (busy, waiting) = (st.busy(), st.backlog_len());
            let en = &mut self.engines[e];
            let saturated = busy >= en.slots(self.p.engine_slots) && waiting > 0;
            if saturated {
                let since = *en.saturated_since.get_or_insert(now);
                if now - since >= en.endurance_ms {
                    let why = format!("saturated for {:.0} s", (now - since) as f64 / 1000.0);
                    self.crash(cx, e, &why);
                    let epoch = self.engines[e].epoch;
                    let delay = self.p.restart_s * spread(&mut self.engines_rng);
                    schedule(
                        cx,
                        now + ms_of(delay),
                        Ev::Restart {
                            engine: e as u16,
                            epoch,
                        },
                    );
                }
            } else {
                en.saturated_since = None;
            }
        }
        // Utilisation (busy / knee over engines that are up) and shares.
        let mut busy = 0.0;
        let mut knee = 0.0;
        let mut in_flight = 0.0;
        let mut slots = 0.0;
        let total_disp: u64 = self
            .engines
            .iter()
            .map(|e| e.dispatched - e.dispatched_last)
            .sum();
        for (en, st) in self.engines.iter_mut().zip(self.fleet.stations()) {
            slots += f64::from(en.slots(self.p.engine_slots));
            let d = en.dispatched - en.dispatched_last;
            en.dispatched_last = en.dispatched;
            en.share = if total_disp > 0 {
                d as f64 / total_disp as f64
            } else {
                0.0
            };
            if !st.is_down() {
                busy += f64::from(st.busy());
                in_flight += st.in_system() as f64;
                knee += f64::from(en.slots(self.p.engine_knee));
            }
        }
        if self.opened {
            self.util_sum += if slots > 0.0 { busy / slots } else { 0.0 };
            self.load_sum += if knee > 0.0 { busy / knee } else { 0.0 };
            self.util_samples += 1;
        }
        // Admission rate: additive increase, multiplicative decrease on the
        // measured engine load (in flight / knee), like TCP: admitted users
        // reach the engines only after a CAPTCHA or a think time, so the
        // rate creeps up and backs off fast.
        if self.adaptive {
            let planned = self.planned_rate();
            let load = if knee > 0.0 { in_flight / knee } else { 0.0 };
            let rate = if !self.opened || self.admission_rate <= 0.0 {
                planned
            } else if load > self.p.target_load {
                self.admission_rate * (self.p.target_load / load).max(0.7)
            } else if self.queued > 0 {
                self.admission_rate + 0.02 * planned * dt
            } else {
                // No one is held back: nothing to learn from.
                self.admission_rate
            };
            self.admission_rate = rate.clamp(0.05 * planned, (2.0 * planned).max(1.0));
        }
    }

    pub(super) fn dispatch(&mut self, cx: &mut Cx<'_>, ev: Ev) {
        match ev {
            Ev::Arrival => self.handle_arrival(cx),
            Ev::Done {
                engine,
                life,
                user,
                attempt,
                step,
                sent_ms,
            } => self.handle_done(
                cx,
                engine,
                life,
                Req {
                    user,
                    attempt,
                    step,
                    sent_ms,
                },
            ),
            Ev::Timeout {
                user,
                attempt,
                engine,
            } => self.handle_timeout(cx, user, attempt, engine),
            Ev::Send { user, attempt } => self.handle_send(cx, user, attempt),
            Ev::Start { user } => self.handle_start(cx, user),
            Ev::Restart { engine, epoch } => {
                let e = engine as usize;
                if self.engines[e].epoch == epoch && self.engines[e].killed_by.is_none() {
                    self.restart(cx, e);
                }
            }
            Ev::Open => self.handle_open(cx),
            Ev::Admit => self.handle_admit(cx),
            // The runtime's sample tick (`on_sample`, `observe`).
            Ev::Sample => {}
        }
    }
}
