//! What the world shows: the dashboard's snapshot, the headless metrics and the closed forms.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::numbers::{count, rate};
use crate::sim::world::Ledger;
use serde::Serialize;

/// Declares the world's metrics once: the typed struct (one `f64` per
/// key, serialisable) and its conversion to [`Metrics`] under the same keys.
macro_rules! metrics {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        /// The Tatkal world's headless metrics (see the parent module for
        /// their meaning), by name.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct TatkalMetrics {
            $($(#[$doc])* pub $name: f64,)+
        }

        impl TatkalMetrics {
            /// The same values keyed by field name.
            #[must_use]
            pub fn to_metrics(&self) -> Metrics {
                let mut m = Metrics::new();
                $(m.insert(stringify!($name).to_string(), self.$name);)+
                m
            }
        }
    };
}

metrics! {
    users,
    humans,
    bots,
    booked,
    humans_booked,
    bots_booked,
    sold_out,
    abandoned,
    humans_abandoned,
    abandoned_on_eta,
    abandoned_in_queue,
    bots_blocked,
    in_system,
    in_system_at_reset,
    waiting_room,
    waiting_room_peak,
    humans_tried,
    /// The episode's success rate: humans' booking attempts that ended
    /// with a ticket, among those begun while their train had seats.
    success_rate,
    attempts,
    attempts_booked,
    attempts_sold_out,
    attempts_abandoned,
    attempts_failed,
    payment_declines,
    otp_timeouts,
    user_mistakes,
    session_expiries,
    /// Humans booked / humans who booked or gave up (a "sold out" answer
    /// not counted as a failure): the rate reported before `success_rate`.
    humans_booked_of_tried,
    /// Bots' share of the seats sold.
    bots_share_of_booked,
    /// From the opening until nine seats in ten, and the last seat, had sold.
    seats_90_sold_after_s,
    sold_out_after_s,
    median_time_to_book_s,
    p95_time_to_book_s,
    mean_time_to_book_s,
    median_eta_error_s,
    p95_eta_error_s,
    median_eta_error_after_open_s,
    median_eta_shown_s,
    median_room_wait_s,
    retries,
    duplicates,
    timeouts,
    refused,
    requests,
    admitted,
    told_sold_out_in_room,
    seats_total,
    seats_left,
    engines,
    engine_crashes,
    humans_challenged,
    bots_challenged,
    engine_utilisation,
    engine_load_vs_knee,
    admission_rate_per_s,
    planned_rate_per_s,
    mean_waiting_room,
    p95_response_s,
}

impl Tatkal {
    /// What the dashboard draws at `now`.
    /// One point of each series (the runtime's sampler turns the
    /// counters into rates).
    pub(super) fn record_series(&mut self, probe: &mut Probe<'_>) {
        probe.counter(series::ARRIVALS, self.c.arrived);
        probe.counter(series::ADMITTED, self.c.admitted);
        probe.counter(series::BOOKED, self.c.booked);
        let p95 = self.window.quantile_s(0.95);
        probe.level(series::P95_RESPONSE, if p95.is_nan() { 0.0 } else { p95 });
        self.window.reset();
        let inside = if self.waiting_room {
            self.room_len()
        } else {
            self.in_system()
        };
        probe.level(series::INSIDE, inside as f64);
    }

    pub(super) fn view(&self, now: SimTime, h: &History) -> Snapshot {
        let m = self.observation(now);
        let waiting = self.room_len() as f64;
        let peak = (self.queue_peak as f64).max(1.0);
        let success = m.success_rate;
        let seats_ratio = if self.seats_total > 0 {
            self.seats_left as f64 / self.seats_total as f64
        } else {
            0.0
        };
        let (mut busy, mut knee) = (0.0, 0.0);
        let stations = self.fleet.stations();
        for (en, st) in self.engines.iter().zip(stations) {
            if !st.is_down() {
                busy += f64::from(st.busy());
                knee += f64::from(en.slots(self.p.engine_knee));
            }
        }
        let load = if knee > 0.0 { busy / knee } else { 0.0 };
        let down = stations.iter().filter(|st| st.is_down()).count();
        // The gauges' numbers are padded to the widest they can be (every
        // user, every seat, every engine), so the panel keeps its width.
        let users_w = count(self.p.users.max(self.queue_peak) as f64)
            .chars()
            .count();
        let seats_w = count(self.seats_total as f64).chars().count();
        let engines_w = self.engines.len().to_string().len();
        let units = self
            .engines
            .iter()
            .zip(stations)
            .enumerate()
            .map(|(i, (en, st))| UnitView {
                name: format!("engine-{}", i + 1),
                state: if !st.accepting() {
                    UnitState::Down
                } else if en.degraded() || st.busy() > en.slots(self.p.engine_knee) {
                    UnitState::Degraded
                } else {
                    UnitState::Up
                },
                in_flight: st.in_system() as f64,
                ewma_latency_s: st.latency_s(),
                share: en.share,
                extra: format!(
                    "{} queued · {} crashes",
                    count(st.backlog_len() as f64),
                    en.crashes
                ),
            })
            .collect();
        let little_l = self.queue_len.mean(now);
        let span = (now.micros() - self.stats_since_us) as f64 / 1e6;
        let lambda = if span > 0.0 {
            self.c.queue_departures as f64 / span
        } else {
            0.0
        };
        let w = if self.c.queue_departures > 0 {
            self.queue_wait_sum_s / self.c.queue_departures as f64
        } else {
            f64::NAN
        };
        Snapshot {
            now,
            policy: self.policy(),
            gauges: vec![
                GaugeView {
                    label: "waiting room".into(),
                    // The bar is the share of the peak so far, and says so.
                    ratio: (waiting / peak).clamp(0.0, 1.0),
                    text: format!(
                        "{:>users_w$} · {:>3.0} % of peak {:>users_w$}",
                        count(waiting),
                        (waiting / peak).clamp(0.0, 1.0) * 100.0,
                        count(self.queue_peak as f64)
                    ),
                    alarm: false,
                },
                GaugeView {
                    label: "success (humans)".into(),
                    ratio: if success.is_nan() {
                        0.0
                    } else {
                        success.clamp(0.0, 1.0)
                    },
                    text: if success.is_nan() {
                        "no outcome yet".into()
                    } else {
                        format!("{:.1} %", success * 100.0)
                    },
                    alarm: success < 0.5,
                },
                GaugeView {
                    label: "seats left".into(),
                    ratio: seats_ratio.clamp(0.0, 1.0),
                    text: format!(
                        "{:>seats_w$} of {}",
                        count(self.seats_left as f64),
                        count(self.seats_total as f64)
                    ),
                    alarm: self.seats_left == 0,
                },
                GaugeView {
                    label: "engine load".into(),
                    // Full at the knee; past it the text says how far.
                    ratio: load.clamp(0.0, 1.0),
                    text: format!("{:>3.0} % of knee · {down:>engines_w$} down", load * 100.0),
                    alarm: load > 1.0 || down > 0,
                },
            ],
            sparklines: vec![
                SeriesView::of("arrivals", "/s", h.series(series::ARRIVALS)),
                SeriesView::of("admitted", "/s", h.series(series::ADMITTED)),
                SeriesView::of("bookings", "/s", h.series(series::BOOKED)),
                SeriesView::of("p95 response", "s", h.series(series::P95_RESPONSE)),
            ],
            chart: ChartView {
                label: if self.waiting_room {
                    "users in the waiting room".into()
                } else {
                    "users in the system".into()
                },
                points: h.points(series::INSIDE),
                reference: None,
                unit: "users".into(),
            },
            units_title: "booking engines".into(),
            units_extra_header: "backlog".into(),
            units,
            analytic: vec![
                AnalyticRow {
                    label: "room λW vs L (Little)".into(),
                    closed_form: Some(lambda * if w.is_nan() { 0.0 } else { w }),
                    simulated: little_l,
                    unit: String::new(),
                },
                AnalyticRow {
                    label: "median ETA vs wait".into(),
                    closed_form: Some(self.eta_shown.quantile_s(0.5)),
                    simulated: self.admitted_wait.quantile_s(0.5),
                    unit: "s".into(),
                },
                AnalyticRow {
                    label: "ETA |error| median".into(),
                    closed_form: None,
                    simulated: m.median_eta_error_s,
                    unit: "s".into(),
                },
                AnalyticRow {
                    label: "admission plan vs real".into(),
                    closed_form: Some(self.planned_rate()),
                    simulated: self.admission_rate,
                    unit: "/s".into(),
                },
            ],
            closed_form_model: "Little's law; the ETA the room shows; the admission plan".into(),
            status_line: Some(format!(
                "{} · {} waiting · room lets in up to {}/s · {} booked · {} seats left",
                self.clock(now),
                count(waiting),
                rate(if self.waiting_room {
                    self.admission_rate
                } else {
                    0.0
                }),
                count(self.c.booked as f64),
                count(self.seats_left as f64)
            )),
            toggles: self.toggles(),
            ..Snapshot::default()
        }
    }

    /// The metrics at `now`, typed: `metrics()` and the snapshot read these.
    pub(super) fn observation(&self, now: SimTime) -> TatkalMetrics {
        let c = &self.c;
        let tried = c.humans_booked + c.humans_abandoned;
        let attempts_done =
            c.attempts_booked + c.attempts_sold_out + c.attempts_abandoned + c.attempts_failed;
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { f64::NAN };
        let since_open = |at: Option<u64>| {
            at.map_or(f64::NAN, |ms| {
                ms.saturating_sub(self.open_ms) as f64 / 1000.0
            })
        };
        let per_sample = |x: f64| {
            if self.util_samples > 0 {
                x / self.util_samples as f64
            } else {
                0.0
            }
        };
        TatkalMetrics {
            users: c.arrived as f64,
            humans: c.humans as f64,
            bots: c.bots as f64,
            booked: c.booked as f64,
            humans_booked: c.humans_booked as f64,
            bots_booked: c.bots_booked as f64,
            sold_out: c.sold_out as f64,
            abandoned: c.abandoned as f64,
            humans_abandoned: c.humans_abandoned as f64,
            abandoned_on_eta: c.abandoned_on_eta as f64,
            abandoned_in_queue: c.abandoned_in_queue as f64,
            bots_blocked: c.blocked as f64,
            in_system: self.in_system() as f64,
            in_system_at_reset: self.in_system_at_reset as f64,
            waiting_room: self.room_len() as f64,
            waiting_room_peak: self.queue_peak as f64,
            humans_tried: tried as f64,
            success_rate: ratio(c.attempts_booked, attempts_done),
            attempts: c.attempts as f64,
            attempts_booked: c.attempts_booked as f64,
            attempts_sold_out: c.attempts_sold_out as f64,
            attempts_abandoned: c.attempts_abandoned as f64,
            attempts_failed: c.attempts_failed as f64,
            payment_declines: c.payment_declines as f64,
            otp_timeouts: c.otp_timeouts as f64,
            user_mistakes: c.user_mistakes as f64,
            session_expiries: c.session_expiries as f64,
            humans_booked_of_tried: ratio(c.humans_booked, tried),
            bots_share_of_booked: ratio(c.bots_booked, c.booked),
            seats_90_sold_after_s: since_open(self.sold_90_ms),
            sold_out_after_s: since_open(self.sold_out_ms),
            median_time_to_book_s: self.time_to_book.quantile_s(0.5),
            p95_time_to_book_s: self.time_to_book.quantile_s(0.95),
            mean_time_to_book_s: self.time_to_book.mean_s(),
            median_eta_error_s: self.eta_error.quantile_s(0.5),
            p95_eta_error_s: self.eta_error.quantile_s(0.95),
            median_eta_error_after_open_s: self.eta_error_after_open.quantile_s(0.5),
            median_eta_shown_s: self.eta_shown.quantile_s(0.5),
            median_room_wait_s: self.admitted_wait.quantile_s(0.5),
            retries: c.retries as f64,
            duplicates: c.duplicates as f64,
            timeouts: c.timeouts as f64,
            refused: c.refused as f64,
            requests: c.requests as f64,
            admitted: c.admitted as f64,
            told_sold_out_in_room: c.told_sold_out_in_room as f64,
            seats_total: self.seats_total as f64,
            seats_left: self.seats_left as f64,
            engines: self.engines.len() as f64,
            engine_crashes: c.crashes as f64,
            humans_challenged: c.humans_challenged as f64,
            bots_challenged: c.bots_challenged as f64,
            // Busy slots / all slots since 10:00 (down engines count as idle).
            engine_utilisation: per_sample(self.util_sum),
            // Busy / knee of the engines that are up: above 1 they thrash.
            engine_load_vs_knee: per_sample(self.load_sum),
            admission_rate_per_s: self.admission_rate,
            planned_rate_per_s: self.planned_rate(),
            mean_waiting_room: self.queue_len.mean(now),
            p95_response_s: self.response.quantile_s(0.95),
        }
    }

    /// Headless metrics at `now`.
    pub(super) fn measure(&self, now: SimTime) -> Metrics {
        self.observation(now).to_metrics()
    }

    /// Closed forms at `now`: Little's law for the waiting room and the
    /// engines' capacity at the knee.
    pub(super) fn closed_forms(&self, now: SimTime) -> crate::sim::ClosedForms {
        let mut m = crate::sim::ClosedForms::new();
        let span = (now.micros() - self.stats_since_us) as f64 / 1e6;
        let w = if self.c.queue_departures > 0 {
            self.queue_wait_sum_s / self.c.queue_departures as f64
        } else {
            f64::NAN
        };
        if span > 0.0 && !w.is_nan() {
            // Little's law for the waiting room: L = λW.
            m.insert(
                "mean_waiting_room",
                "Little's law (L = λW from the room's measured departures and wait)",
                self.c.queue_departures as f64 / span * w,
            );
        }
        m.insert(
            "planned_rate_per_s",
            "capacity at the knee (engine slots ÷ engine-seconds per booking)",
            self.planned_rate(),
        );
        m
    }
}

impl Tatkal {
    /// Users for the conservation law, from the world's own counters:
    /// booked, told sold out, gone (abandoned), blocked as bots, or inside.
    pub(super) fn ledger(&self) -> Ledger {
        let c = &self.c;
        Ledger {
            entity: "users",
            arrived: c.arrived,
            in_system_at_reset: self.in_system_at_reset,
            completed: c.booked,
            left: vec![
                ("sold out", c.sold_out),
                ("abandoned", c.abandoned),
                ("blocked as bots", c.blocked),
            ],
            in_system: self.in_system(),
        }
    }
}
