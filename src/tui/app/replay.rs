//! `chaoswala replay FILE`: the dashboard plays a recorded session. The
//! world runs the scenario as it was started (its own timeline and every
//! caption); the session's commands are applied by the dashboard at the
//! instants they were recorded, through the same code as the keys, so the
//! event log, the notes and the status line read as they did live.
//!
//! Speed, pause, step, help, focus, scrolling, enlarging and screenshots
//! work as in a live session. A key that would change the simulation
//! (policy, faults, clear, switches, rates, restarts, another world) asks
//! first: `y` drops the commands not yet played and hands the session over
//! (then the key does what it says), anything else goes on replaying. At
//! the recording's end the dashboard pauses and says so; from there on it
//! is a live session.

use super::{App, Budget, Fault, Launch, SimTime, Theme};
use crate::scenario::recording;
use crate::scenario::{Loaded, TimelineEntry};
use crate::sim::Command;
use crate::tui::keymap::Action;
use std::collections::VecDeque;
use std::time::Instant;

/// The header's mark while a replay plays.
pub const MARK: &str = "REPLAY";
/// The header's mark once the recording is over.
pub const ENDED: &str = "replay ended";
/// The question a key that would change the simulation asks.
pub const QUESTION: &str = "leave the replay and take over from here? (y/n)";

/// A recorded session being played.
#[derive(Clone, Debug)]
pub struct Replay {
    /// Commands not yet applied, in order, with their instants.
    pending: VecDeque<(SimTime, TimelineEntry)>,
    /// The instant the recorded session ended.
    ends_at: Option<SimTime>,
    /// The world's title without the mark.
    title: String,
    /// A key that asked to take over, waiting for `y`.
    asking: Option<Action>,
    ended: bool,
    /// Commands applied so far.
    pub played: usize,
}

impl Replay {
    /// The question is on screen (time stands still until it is answered).
    #[must_use]
    pub fn asking(&self) -> bool {
        self.asking.is_some()
    }

    /// The recording's end was reached.
    #[must_use]
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Commands still to play.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.pending.len()
    }

    /// The instant the recorded session ended, if the recording says.
    #[must_use]
    pub fn ends_at(&self) -> Option<SimTime> {
        self.ends_at
    }

    /// The next instant the replay acts at (a command, or the end).
    fn next_stop(&self) -> Option<SimTime> {
        if self.ended {
            return None;
        }
        let cmd = self.pending.front().map(|(t, _)| *t);
        match (cmd, self.ends_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Whether `action` would change the simulation (and so asks first).
fn changes_the_simulation(action: Action) -> bool {
    matches!(
        action,
        Action::NextPolicy
            | Action::PrevPolicy
            | Action::OpenFaultMenu
            | Action::ClearFaults
            | Action::ArrivalsDown
            | Action::ArrivalsUp
            | Action::OpenToggles
            | Action::Restart
            | Action::RestartKeep
            | Action::Picker
            | Action::SwitchWorld(_)
    )
}

impl App {
    /// The dashboard playing the recorded session `loaded`; refuses a
    /// scenario that is not a recording.
    pub fn replay(loaded: &Loaded, theme: Theme) -> Result<App, String> {
        let split = recording::split(&loaded.origin, &loaded.text, &loaded.scenario)
            .map_err(|e| e.to_string())?;
        let title = split.scenario.title.clone();
        let mut launch = Launch::from_scenario(&loaded.origin, split.scenario, None, None);
        launch.meta.title = format!("{MARK} · {title}");
        let mut app = App::with_launch(launch, theme)?;
        let pending = split
            .commands
            .into_iter()
            .map(|e| (SimTime::from_secs_f64(e.at_s()), e))
            .collect();
        app.replay = Some(Replay {
            pending,
            ends_at: split.ends_at_s.map(SimTime::from_secs_f64),
            title,
            asking: None,
            ended: false,
            played: 0,
        });
        let n = app.replay.as_ref().map_or(0, Replay::remaining);
        app.say(format!(
            "replaying {}: {n} recorded command{}; space pauses, +/- speed",
            loaded.origin,
            if n == 1 { "" } else { "s" }
        ));
        Ok(app)
    }

    /// Runs towards `target` within `budget`, applying the recorded
    /// commands due on the way (each once the clock stands at its instant,
    /// as the keys were); stops at the recording's end. Returns the events
    /// handled and whether the clock reached where it was going.
    pub(super) fn run_to(&mut self, target: SimTime, budget: Budget) -> (u64, bool) {
        let began = Instant::now();
        let mut done = 0u64;
        loop {
            let next = self.replay.as_ref().and_then(Replay::next_stop);
            let stop = match next {
                Some(t) if t <= target => t,
                _ => target,
            };
            let left = Budget {
                max_events: budget.max_events.saturating_sub(done),
                max_wall: budget.max_wall.saturating_sub(began.elapsed()),
            };
            let Some(s) = &mut self.session else {
                return (done, true);
            };
            let (n, reached) = crate::tui::compare::run(&mut self.compare, &mut s.sim, stop, left);
            done += n;
            if !reached {
                return (done, false);
            }
            if next.is_none_or(|t| t > target) {
                return (done, true);
            }
            self.play_due();
            if self.replay.as_ref().is_some_and(Replay::ended) {
                return (done, true);
            }
        }
    }

    /// Applies every recorded command due by now; at the recording's end,
    /// pauses and says so.
    fn play_due(&mut self) {
        let now = self.now();
        loop {
            let Some(r) = &mut self.replay else { return };
            match r.pending.front() {
                Some((t, _)) if *t <= now => {}
                _ => break,
            }
            let Some((_, entry)) = r.pending.pop_front() else {
                break;
            };
            r.played += 1;
            self.play(&entry);
        }
        let Some(r) = &mut self.replay else { return };
        if r.ends_at.is_some_and(|end| end <= now) && !r.ended {
            r.ended = true;
            let title = format!("{ENDED} · {}", r.title);
            let played = r.played;
            if let Some(s) = &mut self.session {
                s.launch.meta.title = title;
            }
            self.paused = true;
            self.say(format!(
                "replay ended at {}: {played} recorded command{} played; \
                 space goes on live",
                self.clock(now),
                if played == 1 { "" } else { "s" }
            ));
        }
    }

    /// One recorded command, applied as its key applied it live.
    fn play(&mut self, entry: &TimelineEntry) {
        match entry {
            TimelineEntry::Policy { name, .. } => {
                let current = self
                    .session
                    .as_ref()
                    .map(|s| s.sim.world().policy())
                    .unwrap_or_default();
                self.command(
                    Command::SetPolicy(name.clone()),
                    format!("policy {current} → {name}"),
                );
            }
            TimelineEntry::Toggle { name, on, .. } => {
                let word = if *on { "on" } else { "off" };
                self.command(
                    Command::Toggle {
                        name: name.clone(),
                        on: *on,
                    },
                    format!("{name} switched {word}"),
                );
            }
            TimelineEntry::ScaleArrivals { factor, .. } => {
                let f = *factor;
                if (f - 1.1).abs() < 1e-12 || (f - 1.0 / 1.1).abs() < 1e-12 {
                    self.scale_arrivals(f);
                } else {
                    self.command(
                        Command::ScaleArrivals(f),
                        format!("arrival rate × {}", super::trim_factor(f)),
                    );
                }
            }
            TimelineEntry::Clear { fault: None, .. } => {
                let n = self
                    .session
                    .as_ref()
                    .map_or(0, |s| s.sim.active_faults().len());
                self.command(
                    Command::ClearFaults,
                    format!("cleared {n} fault{}", if n == 1 { "" } else { "s" }),
                );
                self.restore_speed_after_faults();
            }
            TimelineEntry::Clear {
                fault: Some(id), ..
            } => {
                self.command(Command::ClearFault(*id), format!("fault #{id} cleared"));
                self.restore_speed_after_faults();
            }
            TimelineEntry::Fault { fault, .. } => {
                let label = self.menu_label(fault);
                self.inject_labelled(fault.clone(), &label);
            }
            // Captions stay with the world's timeline (see `recording::split`).
            TimelineEntry::Caption { .. } => {}
        }
    }

    /// The fault menu's name for `fault`: the entry of its kind that can
    /// aim at its target.
    fn menu_label(&self, fault: &Fault) -> String {
        let Some(s) = &self.session else {
            return fault.to_string();
        };
        let kind = std::mem::discriminant(&fault.kind);
        s.fault_menu
            .iter()
            .find(|t| std::mem::discriminant(&t.kind) == kind && t.targets.contains(&fault.target))
            .or_else(|| {
                s.fault_menu
                    .iter()
                    .find(|t| std::mem::discriminant(&t.kind) == kind)
            })
            .map_or_else(|| fault.to_string(), |t| t.label.clone())
    }

    /// While a replay plays, a key that would change the simulation asks
    /// first, and the answer is handled here; `true` when `action` was
    /// taken care of.
    pub(super) fn replay_intercepts(&mut self, action: Action) -> bool {
        let Some(r) = &mut self.replay else {
            return false;
        };
        if r.ended {
            return false;
        }
        if let Some(asked) = r.asking.take() {
            if action == Action::Yes {
                self.take_over();
                self.update(asked);
            } else {
                self.say("still replaying");
            }
            return true;
        }
        if self.overlay.is_some() || !changes_the_simulation(action) {
            return false;
        }
        r.asking = Some(action);
        self.say(QUESTION);
        true
    }

    /// Ends the replay here: the commands not yet played are dropped (the
    /// captions stay: they belong to the story, not to the session), and
    /// the session is live from now on.
    pub fn take_over(&mut self) {
        let Some(r) = self.replay.take() else { return };
        let dropped = r.pending.len();
        let at = self.clock(self.now());
        if let Some(s) = &mut self.session {
            s.launch.meta.title = r.title;
            s.note(format!(
                "took the replay over at {at}: {dropped} recorded command{} dropped",
                if dropped == 1 { "" } else { "s" }
            ));
        }
        self.log_scroll = 0;
        self.say(format!("live from {at}"));
    }
}
