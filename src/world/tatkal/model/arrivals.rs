//! Arrivals: who each new user is (human or bot, train, patience) and where they go.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Tatkal {
    pub(super) fn pick_train(&mut self, rng_is_wave: bool) -> u16 {
        let x: f64 = if rng_is_wave {
            self.wave_rng.random()
        } else {
            self.population_rng.random()
        };
        let i = self.popularity_cdf.partition_point(|c| *c <= x);
        i.min(self.popularity_cdf.len().saturating_sub(1)) as u16
    }

    pub(super) fn handle_arrival(&mut self, cx: &mut Cx<'_>) {
        let bot = self.population_rng.random::<f64>() < self.p.bot_share;
        let train = self.pick_train(false);
        let z: f64 = self.population_rng.sample(StandardNormal);
        let patience = if bot {
            FOREVER
        } else {
            let s = self.p.patience_median_s * (self.p.patience_sigma * z).exp();
            s.round().clamp(1.0, f64::from(FOREVER - 1)) as u16
        };
        self.new_user(cx, train, bot, patience);
        if bot && self.bot_wave > 1.0 {
            let extra = self.bot_wave - 1.0;
            let mut n = extra.floor() as u64;
            if self.wave_rng.random::<f64>() < extra.fract() {
                n += 1;
            }
            for _ in 0..n {
                let t = self.pick_train(true);
                self.new_user(cx, t, true, FOREVER);
            }
        }
    }

    pub(super) fn new_user(&mut self, cx: &mut Cx<'_>, train: u16, bot: bool, patience: u16) {
        if self.users.len() as u64 >= MAX_AGENTS {
            if !self.agents_cap_logged {
                self.agents_cap_logged = true;
                cx.log(format!(
                    "agent cap reached ({MAX_AGENTS}): no more arrivals are created"
                ));
            }
            return;
        }
        let now = now_ms(cx);
        let flags = if bot { FLAG_BOT } else { 0 };
        let u = self.users.push(now as u32, train, flags, patience);
        self.c.arrived += 1;
        if bot {
            self.c.bots += 1;
        } else {
            self.c.humans += 1;
        }
        self.pending += 1; // counted as pending until placed
        if self.trains_left == 0 && now >= self.open_ms {
            self.finish(cx, u, SOLD_OUT);
            return;
        }
        if self.waiting_room && !(self.opened && self.admission == Admission::None) {
            self.join_queue(cx, u);
        } else if now < self.open_ms {
            // On the page early, refreshing at 10:00 (a second or two of reaction).
            let jitter = 2.0 * self.reaction_rng.random::<f64>();
            schedule(cx, self.open_ms + ms_of(jitter), Ev::Start { user: u });
        } else {
            self.pending -= 1;
            self.booking += 1;
            self.begin_session(cx, u);
        }
    }
}
