//! The order rate: the base schedule, the match feed and its spikes, and
//! the arrival process.

use super::*;

impl Ipl {
    /// The spike multiplier in force (the largest active spike, 1 when
    /// none), as the order profile applies it.
    pub(in crate::world::ipl) fn spike_multiplier(&self, now: SimTime) -> f64 {
        self.spikes
            .iter()
            .filter(|(end, _)| *end > now)
            .map(|(_, m)| *m)
            .reduce(f64::max)
            .unwrap_or(1.0)
    }

    pub(super) fn target_rate_per_s(&self, now: SimTime) -> f64 {
        self.base_per_min / 60.0
            * self.spike_multiplier(now)
            * self.scale_arrivals
            * self.p.volume_scale
    }

    /// The live scale on the order profile: the dashboard's demand
    /// factor times `volume_scale`.
    pub(super) fn arrival_scale(&self) -> f64 {
        self.scale_arrivals * self.p.volume_scale
    }

    /// Re-places the pending arrival at `now`. Arrivals are the Poisson
    /// process of the order profile ([`order_profile`](crate::world::ipl::feed::order_profile))
    /// × the arrival scale, drawn by inverting its cumulative intensity:
    /// one Exp(1) mass per arrival, of which the part not yet used carries
    /// over, so the arrival stream depends only on the schedule, the match
    /// and the scale, never on the rest of the night. Called at every change
    /// of the rate (schedule steps, spikes starting and ending, a new
    /// scale) and at every ball.
    pub(super) fn rate_changed(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        let used = self.arr_scale * self.profile.integral(self.arr_last, now);
        self.arr_mass = (self.arr_mass - used).max(0.0);
        self.arr_last = now;
        self.arr_scale = self.arrival_scale();
        self.rate_per_s = self.profile.rate_at(now) * self.arr_scale;
        self.arr_gen = self.arr_gen.wrapping_add(1);
        self.schedule_arrival(cx);
    }

    /// Schedules the arrival the pending mass reaches, if the rate ever
    /// gives it.
    pub(super) fn schedule_arrival(&mut self, cx: &mut Cx<'_>) {
        if let Some(at) = self
            .profile
            .invert(self.arr_last, self.arr_mass, self.arr_scale)
        {
            cx.schedule(
                at,
                Ev::Arrival {
                    generation: self.arr_gen,
                },
            );
        }
    }

    pub(super) fn on_rate_step(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        while let Some(pt) = self.p.demand_schedule.get(self.schedule_next) {
            if secs(pt.at_s) > now {
                break;
            }
            self.base_per_min = pt.orders_per_min;
            self.schedule_next += 1;
        }
        if let Some(pt) = self.p.demand_schedule.get(self.schedule_next) {
            cx.schedule(secs(pt.at_s), Ev::RateStep);
        }
        self.rate_changed(cx);
    }

    pub(super) fn on_feed(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now();
        while let Some(item) = self.feed.get(self.feed_next) {
            if item.at > now {
                break;
            }
            let item = item.clone();
            self.last_feed = Some(self.feed_next);
            self.feed_next += 1;
            let spike = self.p.spikes.for_kind(item.kind);
            if let Some(s) = spike
                && s.duration_s > 0.0
            {
                let end = now + secs(s.duration_s);
                self.spikes.retain(|(e, _)| *e > now);
                self.spikes.push((end, s.multiplier));
                cx.schedule(end, Ev::SpikeEnd);
            }
            if !matches!(item.kind, FeedKind::Dot | FeedKind::Runs(_)) {
                let line = self.scoreboard_for(&item);
                cx.log(line);
            }
            if self.autoscaling == Autoscaling::CricketAware
                && matches!(item.kind, FeedKind::Four | FeedKind::Six | FeedKind::Wicket)
            {
                self.warm_start_for_spike(cx);
            }
        }
        if let Some(next) = self.feed.get(self.feed_next) {
            cx.schedule(next.at, Ev::Feed);
        }
        self.rate_changed(cx);
    }

    /// The scoreboard line for one feed event.
    pub(in crate::world::ipl) fn scoreboard_for(&self, item: &FeedItem) -> String {
        let (a, b) = self.p.match_feed.teams();
        let team = if item.innings == 0 { a } else { b };
        let mut s = format!(
            "{team} {}/{} ({})",
            item.runs,
            item.wickets,
            overs_text(item.balls)
        );
        if let Some(t) = item.target
            && item.kind != FeedKind::MatchEnd
        {
            let _ = write!(s, " · need {}", t.saturating_sub(item.runs));
        }
        let _ = write!(s, " · last ball: {}", item.kind.label());
        if let Some(sp) = self.p.spikes.for_kind(item.kind)
            && sp.duration_s > 0.0
        {
            let _ = write!(
                s,
                " · spike ×{} for {}",
                sp.multiplier,
                duration_text(sp.duration_s)
            );
        }
        s
    }
}
