//! The match feed: a ball-by-ball list of cricket events, either written
//! out in the scenario (`Script`) or generated from a seed (`Generated`),
//! and the spike each event puts on top of the base order rate; and the
//! night's order rate, [`order_profile`], a shared
//! [`RateProfile`]: the base schedule's steps with every event's spike on
//! top. Where spikes overlap the largest applies ([`Overlap::Largest`]):
//! a wicket during a boundary's rush lifts the rate to ×2.5, not ×5, since
//! it is the same crowd of viewers reacting.
//!
//! The episode's shapes are the defaults: a boundary (four or six) is a
//! 30-second spike ×2, a wicket 45 s ×2.5, a strategic timeout a 2-minute
//! flood, the innings break 15 minutes of sustained load and the last over
//! ×4 for as long as it lasts.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::RatePoint;
use crate::sim::SimTime;
use crate::sim::blocks::source::{Overlap, RateProfile, Spike};
use crate::sim::rng::SimRng;
use crate::world::ParamIssue;

/// Most events a feed may hold (a T20 match has about 260).
pub const MAX_FEED_EVENTS: usize = 5_000;

/// What happened on one ball, or between balls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedKind {
    Dot,
    Runs(u8),
    Four,
    Six,
    Wicket,
    /// A strategic timeout begins.
    Timeout,
    /// The innings break begins.
    InningsBreak,
    /// The last over of the match begins.
    LastOver,
    /// The match is over.
    MatchEnd,
}

impl FeedKind {
    /// How the scoreboard names it.
    #[must_use]
    pub fn label(self) -> String {
        match self {
            FeedKind::Dot => "dot".into(),
            FeedKind::Runs(n) => format!("{n} run{}", if n == 1 { "" } else { "s" }),
            FeedKind::Four => "FOUR".into(),
            FeedKind::Six => "SIX".into(),
            FeedKind::Wicket => "WICKET".into(),
            FeedKind::Timeout => "strategic timeout".into(),
            FeedKind::InningsBreak => "innings break".into(),
            FeedKind::LastOver => "last over".into(),
            FeedKind::MatchEnd => "match over".into(),
        }
    }

    /// Whether a ball was bowled.
    fn is_ball(self) -> bool {
        matches!(
            self,
            FeedKind::Dot | FeedKind::Runs(_) | FeedKind::Four | FeedKind::Six | FeedKind::Wicket
        )
    }

    fn runs(self) -> u32 {
        match self {
            FeedKind::Runs(n) => u32::from(n),
            FeedKind::Four => 4,
            FeedKind::Six => 6,
            _ => 0,
        }
    }
}

/// A spike: the order rate × `multiplier` for `duration_s` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeShape {
    pub multiplier: f64,
    pub duration_s: f64,
}

/// The spike each kind of event causes (the episode's numbers by default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Spikes {
    pub boundary: SpikeShape,
    pub wicket: SpikeShape,
    pub timeout: SpikeShape,
    pub innings_break: SpikeShape,
    pub last_over: SpikeShape,
}

impl Default for Spikes {
    fn default() -> Self {
        Spikes {
            boundary: SpikeShape {
                multiplier: 2.0,
                duration_s: 30.0,
            },
            wicket: SpikeShape {
                multiplier: 2.5,
                duration_s: 45.0,
            },
            timeout: SpikeShape {
                multiplier: 3.0,
                duration_s: 120.0,
            },
            innings_break: SpikeShape {
                multiplier: 1.8,
                duration_s: 900.0,
            },
            last_over: SpikeShape {
                multiplier: 4.0,
                duration_s: 240.0,
            },
        }
    }
}

impl Spikes {
    /// The spike an event causes, if any.
    #[must_use]
    pub fn for_kind(&self, k: FeedKind) -> Option<SpikeShape> {
        match k {
            FeedKind::Four | FeedKind::Six => Some(self.boundary),
            FeedKind::Wicket => Some(self.wicket),
            FeedKind::Timeout => Some(self.timeout),
            FeedKind::InningsBreak => Some(self.innings_break),
            FeedKind::LastOver => Some(self.last_over),
            _ => None,
        }
    }

    fn validate(&self, out: &mut Vec<ParamIssue>) {
        for (name, s) in [
            ("boundary", self.boundary),
            ("wicket", self.wicket),
            ("timeout", self.timeout),
            ("innings_break", self.innings_break),
            ("last_over", self.last_over),
        ] {
            if !(s.multiplier.is_finite() && (0.0..=100.0).contains(&s.multiplier)) {
                out.push(ParamIssue::new(
                    "multiplier",
                    format!(
                        "spikes.{name}.multiplier must be between 0 and 100, got {}",
                        s.multiplier
                    ),
                ));
            }
            if !(s.duration_s.is_finite() && (0.0..=86_400.0).contains(&s.duration_s)) {
                out.push(ParamIssue::new(
                    "duration_s",
                    format!(
                        "spikes.{name}.duration_s must be between 0 and 86400, got {}",
                        s.duration_s
                    ),
                ));
            }
        }
    }
}

/// A seeded T20 match: ball outcomes drawn per ball, overs timed
/// realistically, two strategic timeouts per innings, an innings break and
/// the chase's last over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchGen {
    /// Simulated second of the first ball.
    pub start_s: f64,
    pub overs: u32,
    /// Seconds between balls.
    pub ball_s: f64,
    /// Seconds between overs (field change).
    pub over_change_s: f64,
    pub p_four: f64,
    pub p_six: f64,
    pub p_wicket: f64,
    /// Overs after which a strategic timeout is taken (each innings).
    pub timeouts_after_overs: Vec<u32>,
    pub timeout_s: f64,
    pub innings_break_s: f64,
    pub batting_first: String,
    pub batting_second: String,
}

impl Default for MatchGen {
    fn default() -> Self {
        MatchGen {
            start_s: 1800.0,
            overs: 20,
            ball_s: 33.0,
            over_change_s: 45.0,
            p_four: 0.11,
            p_six: 0.055,
            p_wicket: 0.045,
            timeouts_after_overs: vec![8, 15],
            timeout_s: 150.0,
            innings_break_s: 900.0,
            batting_first: "GT".into(),
            batting_second: "CSK".into(),
        }
    }
}

/// One scripted event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptEvent {
    pub at_s: f64,
    pub event: FeedKind,
}

/// Where the match comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MatchFeed {
    /// No cricket: the base schedule alone.
    Off,
    /// A seeded match (stream `ipl/match`).
    Generated(MatchGen),
    /// A ball-by-ball list, in time order.
    Script(Vec<ScriptEvent>),
}

impl Default for MatchFeed {
    fn default() -> Self {
        MatchFeed::Generated(MatchGen::default())
    }
}

/// One event of the feed with the score after it.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedItem {
    pub at: SimTime,
    pub kind: FeedKind,
    /// 0 or 1.
    pub innings: u8,
    pub runs: u32,
    pub wickets: u32,
    /// Legal balls bowled in this innings.
    pub balls: u32,
    /// Runs to win (second innings), if known.
    pub target: Option<u32>,
}

impl MatchFeed {
    pub(super) fn validate(&self, spikes: &Spikes, out: &mut Vec<ParamIssue>) {
        spikes.validate(out);
        let secs = |v: f64| v.is_finite() && (0.0..=86_400.0).contains(&v);
        let p01 = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        match self {
            MatchFeed::Off => {}
            MatchFeed::Generated(g) => {
                for (field, v) in [
                    ("start_s", g.start_s),
                    ("ball_s", g.ball_s),
                    ("over_change_s", g.over_change_s),
                    ("timeout_s", g.timeout_s),
                    ("innings_break_s", g.innings_break_s),
                ] {
                    if !secs(v) {
                        out.push(ParamIssue::new(
                            field,
                            format!("{field} must be between 0 and 86400 seconds, got {v}"),
                        ));
                    }
                }
                if !(g.ball_s.is_finite() && g.ball_s >= 1.0) {
                    out.push(ParamIssue::new(
                        "ball_s",
                        format!("ball_s must be at least 1 second, got {}", g.ball_s),
                    ));
                }
                if g.overs == 0 || g.overs > 50 {
                    out.push(ParamIssue::new(
                        "overs",
                        format!("overs must be between 1 and 50, got {}", g.overs),
                    ));
                }
                for (field, v) in [
                    ("p_four", g.p_four),
                    ("p_six", g.p_six),
                    ("p_wicket", g.p_wicket),
                ] {
                    if !p01(v) {
                        out.push(ParamIssue::new(
                            field,
                            format!("{field} must be between 0 and 1, got {v}"),
                        ));
                    }
                }
                if g.p_four + g.p_six + g.p_wicket > 1.0 {
                    out.push(ParamIssue::new(
                        "p_four",
                        "p_four + p_six + p_wicket must not exceed 1",
                    ));
                }
                if g.timeouts_after_overs.len() > 10 {
                    out.push(ParamIssue::new(
                        "timeouts_after_overs",
                        "at most 10 strategic timeouts per innings",
                    ));
                }
            }
            MatchFeed::Script(events) => {
                if events.len() > MAX_FEED_EVENTS {
                    out.push(ParamIssue::new(
                        "match_feed",
                        format!(
                            "the scripted feed has {} events; at most {MAX_FEED_EVENTS}",
                            events.len()
                        ),
                    ));
                }
                let mut last = 0.0;
                for e in events {
                    if !(e.at_s.is_finite() && e.at_s >= last && e.at_s <= 30.0 * 86_400.0) {
                        out.push(ParamIssue::new(
                            "at_s",
                            format!(
                                "scripted feed times must be ≥ 0 and in order, got {} after {last}",
                                e.at_s
                            ),
                        ));
                        break;
                    }
                    last = e.at_s;
                }
            }
        }
    }

    /// The match as a list of events in time order.
    pub(super) fn events(&self, rng: &mut SimRng) -> Vec<FeedItem> {
        match self {
            MatchFeed::Off => Vec::new(),
            MatchFeed::Generated(g) => generate(g, rng),
            MatchFeed::Script(list) => {
                let mut out = Vec::with_capacity(list.len());
                let (mut innings, mut runs, mut wickets, mut balls) = (0u8, 0u32, 0u32, 0u32);
                let mut target = None;
                for e in list.iter().take(MAX_FEED_EVENTS) {
                    if e.event == FeedKind::InningsBreak && innings == 0 {
                        out.push(item(e.at_s, e.event, innings, runs, wickets, balls, None));
                        target = Some(runs + 1);
                        innings = 1;
                        (runs, wickets, balls) = (0, 0, 0);
                        continue;
                    }
                    if e.event.is_ball() {
                        balls += 1;
                        runs += e.event.runs();
                        if e.event == FeedKind::Wicket {
                            wickets += 1;
                        }
                    }
                    out.push(item(e.at_s, e.event, innings, runs, wickets, balls, target));
                }
                out
            }
        }
    }

    /// Team names (batting first, second).
    #[must_use]
    pub fn teams(&self) -> (String, String) {
        match self {
            MatchFeed::Generated(g) => (g.batting_first.clone(), g.batting_second.clone()),
            _ => ("GT".into(), "CSK".into()),
        }
    }
}

fn item(
    at_s: f64,
    kind: FeedKind,
    innings: u8,
    runs: u32,
    wickets: u32,
    balls: u32,
    target: Option<u32>,
) -> FeedItem {
    FeedItem {
        at: SimTime::from_secs_f64(at_s),
        kind,
        innings,
        runs,
        wickets,
        balls,
        target,
    }
}

fn draw_ball(g: &MatchGen, rng: &mut SimRng) -> FeedKind {
    let u: f64 = rng.random();
    if u < g.p_wicket {
        return FeedKind::Wicket;
    }
    if u < g.p_wicket + g.p_four {
        return FeedKind::Four;
    }
    if u < g.p_wicket + g.p_four + g.p_six {
        return FeedKind::Six;
    }
    // The rest: dots and running, in the proportions of a T20 innings.
    let v: f64 = rng.random();
    if v < 0.38 {
        FeedKind::Dot
    } else if v < 0.83 {
        FeedKind::Runs(1)
    } else if v < 0.97 {
        FeedKind::Runs(2)
    } else {
        FeedKind::Runs(3)
    }
}

fn generate(g: &MatchGen, rng: &mut SimRng) -> Vec<FeedItem> {
    let mut out = Vec::new();
    let mut t = g.start_s;
    let mut target: Option<u32> = None;
    for innings in 0..2u8 {
        let (mut runs, mut wickets, mut balls) = (0u32, 0u32, 0u32);
        let mut done = false;
        for over in 0..g.overs {
            if innings == 1 && over + 1 == g.overs {
                out.push(item(
                    t,
                    FeedKind::LastOver,
                    innings,
                    runs,
                    wickets,
                    balls,
                    target,
                ));
            }
            for _ in 0..6 {
                t += g.ball_s;
                let k = draw_ball(g, rng);
                balls += 1;
                runs += k.runs();
                if k == FeedKind::Wicket {
                    wickets += 1;
                }
                out.push(item(t, k, innings, runs, wickets, balls, target));
                if wickets >= 10 || target.is_some_and(|tg| runs >= tg) {
                    done = true;
                    break;
                }
            }
            if done {
                break;
            }
            t += g.over_change_s;
            if g.timeouts_after_overs.contains(&(over + 1)) && over + 1 < g.overs {
                out.push(item(
                    t,
                    FeedKind::Timeout,
                    innings,
                    runs,
                    wickets,
                    balls,
                    target,
                ));
                t += g.timeout_s;
            }
        }
        if innings == 0 {
            out.push(item(
                t,
                FeedKind::InningsBreak,
                innings,
                runs,
                wickets,
                balls,
                None,
            ));
            target = Some(runs + 1);
            t += g.innings_break_s;
        } else {
            out.push(item(
                t,
                FeedKind::MatchEnd,
                innings,
                runs,
                wickets,
                balls,
                target,
            ));
        }
    }
    out
}

/// The order rate per second over the night, before the live scale and
/// `volume_scale`: the base schedule's steps (0 before the first), times
/// the spikes of the feed's events (each from the event's instant for
/// its shape's duration; the largest of those in force applies).
///
/// # Errors
/// When the schedule is not sorted or holds a negative or non-finite rate
/// (validated parameters never are).
pub fn order_profile(
    schedule: &[RatePoint],
    feed: &[FeedItem],
    spikes: &Spikes,
) -> Result<RateProfile, crate::sim::blocks::BlockError> {
    let steps: Vec<(f64, f64)> = schedule
        .iter()
        .map(|p| (p.at_s, p.orders_per_min / 60.0))
        .collect();
    let spikes: Vec<Spike> = feed
        .iter()
        .filter_map(|item| {
            let s = spikes.for_kind(item.kind)?;
            (s.duration_s > 0.0).then(|| Spike {
                from: item.at,
                until: item.at + SimTime::from_secs_f64(s.duration_s),
                multiplier: s.multiplier,
            })
        })
        .collect();
    Ok(RateProfile::steps(&steps)?.with_spikes(&spikes, Overlap::Largest))
}

/// Overs as cricket writes them: 16.3 = 16 overs and 3 balls.
#[must_use]
pub fn overs_text(balls: u32) -> String {
    format!("{}.{}", balls / 6, balls % 6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    #[test]
    fn a_generated_match_has_two_innings_timeouts_and_a_break() {
        let g = MatchGen::default();
        let ev = MatchFeed::Generated(g).events(&mut stream(42, "ipl/match"));
        assert!(ev.iter().any(|e| e.kind == FeedKind::InningsBreak));
        assert!(ev.iter().filter(|e| e.kind == FeedKind::Timeout).count() >= 2);
        assert!(ev.iter().any(|e| e.kind == FeedKind::MatchEnd));
        assert!(ev.windows(2).all(|w| w[0].at <= w[1].at));
        let boundaries = ev
            .iter()
            .filter(|e| matches!(e.kind, FeedKind::Four | FeedKind::Six))
            .count();
        assert!(boundaries > 10, "{boundaries}");
        // A T20 match lasts a little over three hours.
        let end = ev.last().map_or(0.0, |e| e.at.as_secs_f64());
        assert!(
            (2.5 * 3600.0..4.0 * 3600.0).contains(&(end - 1800.0)),
            "{end}"
        );
    }

    #[test]
    fn the_order_rate_is_the_schedule_times_the_largest_spike_in_force() {
        let at = |s: f64| (s, SimTime::from_secs_f64(s));
        let script = MatchFeed::Script(vec![
            ScriptEvent {
                at_s: 100.0,
                event: FeedKind::Four,
            },
            ScriptEvent {
                at_s: 110.0,
                event: FeedKind::Wicket,
            },
            ScriptEvent {
                at_s: 200.0,
                event: FeedKind::Dot,
            },
            ScriptEvent {
                at_s: 290.0,
                event: FeedKind::Six,
            },
        ]);
        let feed = script.events(&mut stream(1, "ipl/match"));
        let schedule = [
            RatePoint {
                at_s: 0.0,
                orders_per_min: 600.0,
            },
            RatePoint {
                at_s: 300.0,
                orders_per_min: 1200.0,
            },
        ];
        let p = order_profile(&schedule, &feed, &Spikes::default()).expect("sorted");
        let rate = |s: f64| p.rate_at(at(s).1) * 60.0;
        assert_eq!(rate(50.0), 600.0);
        // The boundary ×2 from 100 s for 30 s; the wicket ×2.5 from 110 s
        // for 45 s: the larger while both last, not their product.
        assert_eq!(rate(105.0), 1200.0);
        assert_eq!(rate(120.0), 1500.0);
        assert_eq!(rate(150.0), 1500.0);
        assert_eq!(rate(155.0), 600.0);
        // A dot ball is no spike; a six across a schedule step doubles
        // both sides of it.
        assert_eq!(rate(200.0), 600.0);
        assert_eq!(rate(295.0), 1200.0);
        assert_eq!(rate(305.0), 2400.0);
        assert_eq!(rate(320.0), 1200.0);
        // Orders over the first 400 s: the schedule plus each spike's extra.
        let total = p.integral(SimTime::ZERO, at(400.0).1) * 60.0;
        let expected = 600.0 * 300.0
            + 1200.0 * 100.0
            + 600.0 * (10.0 * 1.0 + 45.0 * 1.5)
            + 600.0 * 10.0
            + 1200.0 * 20.0;
        assert!((total - expected).abs() < 1e-6, "{total} vs {expected}");
    }
}
