//! The dashboard's state and its one way to change: [`App::update`] with an
//! [`Action`], plus [`App::tick`], which moves simulated time on.
//!
//! Nothing here touches the terminal or reads the wall clock on its own:
//! the event loop says how much real time passed, so tests and benchmarks
//! can drive the app with a fake clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::fault::{Fault, FaultTemplate};
use crate::scenario::{self, BUILTINS, Scenario};
use crate::sim::{Command, LogEntry, SimTime, Simulation, Snapshot};

use super::keymap::{Action, WORLD_KEYS};
use super::theme::Theme;

/// The speeds `+` and `-` step through (simulated seconds per real second).
pub const SPEEDS: [f64; 14] = [
    0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1000.0, 3000.0, 10_000.0,
];

/// How much work one tick may do before the simulation is allowed to fall
/// behind real time (so that keys and frames are never starved).
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub max_events: u64,
    pub max_wall: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_events: 2_000_000,
            max_wall: Duration::from_millis(8),
        }
    }
}

/// Events handled between two looks at the wall clock inside a tick.
const CHUNK_EVENTS: u64 = 4096;
/// Notes of the dashboard's own kept for the log.
const NOTES_CAPACITY: usize = 200;
/// Simulated seconds `.` advances while paused.
pub const STEP_S: f64 = 1.0;
/// Most wall time one `.` may take.
const STEP_WALL: Duration = Duration::from_millis(50);

/// What a dashboard run is about, apart from the simulation itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// The built-in name or path it came from.
    pub name: String,
    pub title: String,
    /// World kind (`platform`, `tatkal`, …).
    pub kind: String,
    /// Seconds after midnight at simulated time zero, if the story has a clock.
    pub clock_origin_s: Option<u32>,
    /// Starting speed.
    pub speed: f64,
    /// The scenario's planned length, simulated seconds.
    pub duration_s: f64,
    pub seed: u64,
}

type Builder = Box<dyn Fn(u64) -> Result<Simulation, String>>;

/// A scenario ready to (re)start: its meta data and how to build it.
pub struct Launch {
    pub meta: Meta,
    build: Builder,
}

impl Launch {
    /// From a validated scenario; `seed` and `policy` override its own.
    #[must_use]
    pub fn from_scenario(
        name: &str,
        scenario: Scenario,
        seed: Option<u64>,
        policy: Option<String>,
    ) -> Launch {
        let meta = Meta {
            name: name.to_string(),
            title: scenario.title.clone(),
            kind: scenario.world.kind().to_string(),
            clock_origin_s: scenario.clock_origin_s(),
            speed: scenario.speed,
            duration_s: scenario.duration_s,
            seed: seed.unwrap_or(scenario.seed),
        };
        Launch {
            meta,
            build: Box::new(move |seed| {
                scenario
                    .simulation(Some(seed), policy.as_deref())
                    .map_err(|e| e.to_string())
            }),
        }
    }

    /// Any simulation (tests use worlds of their own).
    #[must_use]
    pub fn custom(
        meta: Meta,
        build: impl Fn(u64) -> Result<Simulation, String> + 'static,
    ) -> Launch {
        Launch {
            meta,
            build: Box::new(build),
        }
    }

    /// A built-in by name.
    pub fn builtin(name: &str) -> Result<Launch, String> {
        let b = scenario::builtin(name).ok_or_else(|| format!("no built-in `{name}`"))?;
        let s = scenario::parse(b.name, b.text).map_err(|e| e.to_string())?;
        Ok(Launch::from_scenario(b.name, s, None, None))
    }
}

/// A running scenario.
pub struct Session {
    pub launch: Launch,
    pub sim: Simulation,
    /// The view of the world, as of the last [`App::prepare_frame`] (or
    /// the last action).
    pub snapshot: Snapshot,
    /// The simulation moved since `snapshot` was taken.
    stale: bool,
    pub policies: Vec<String>,
    pub fault_menu: Vec<FaultTemplate>,
    /// The dashboard's own log lines (refusals, notes), merged with the
    /// simulation's log on screen.
    pub notes: VecDeque<LogEntry>,
}

impl Session {
    fn start(launch: Launch) -> Result<Session, String> {
        let sim = (launch.build)(launch.meta.seed)?;
        let snapshot = sim.snapshot();
        let policies = sim.world().policies();
        let fault_menu = sim.world().fault_menu();
        Ok(Session {
            launch,
            sim,
            snapshot,
            stale: false,
            policies,
            fault_menu,
            notes: VecDeque::new(),
        })
    }

    fn refresh(&mut self) {
        self.snapshot = self.sim.snapshot();
        self.stale = false;
    }

    fn note(&mut self, text: String) {
        if self.notes.len() == NOTES_CAPACITY {
            self.notes.pop_front();
        }
        self.notes.push_back(LogEntry {
            at: self.sim.now(),
            text,
        });
    }

    fn log_mark(&self) -> (usize, Option<LogEntry>) {
        (self.sim.log().len(), self.sim.log().next_back().cloned())
    }

    /// The last `n` log lines, the simulation's and the dashboard's notes
    /// merged by time (oldest first); notes are flagged `true`.
    #[must_use]
    pub fn log_tail(&self, n: usize, skip_newest: usize) -> Vec<(&LogEntry, bool)> {
        let mut sim = self.sim.log().rev().peekable();
        let mut notes = self.notes.iter().rev().peekable();
        let mut out = Vec::with_capacity(n);
        let mut skipped = 0;
        while out.len() < n {
            let pick_note = match (sim.peek(), notes.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(s), Some(t)) => t.at >= s.at,
            };
            let item = if pick_note {
                notes.next().map(|e| (e, true))
            } else {
                sim.next().map(|e| (e, false))
            };
            let Some(item) = item else { break };
            if skipped < skip_newest {
                skipped += 1;
                continue;
            }
            out.push(item);
        }
        out.reverse();
        out
    }

    /// Lines in the merged log.
    #[must_use]
    pub fn log_len(&self) -> usize {
        self.sim.log().len() + self.notes.len()
    }
}

/// A world from the built-in list, for the picker.
#[derive(Clone, Debug)]
pub struct PickerEntry {
    pub name: &'static str,
    pub title: String,
    pub kind: String,
    pub description: String,
    /// Why it cannot be opened, if it cannot.
    pub error: Option<String>,
}

fn picker_entries() -> Vec<PickerEntry> {
    let mut entries: Vec<PickerEntry> = BUILTINS
        .iter()
        .map(|b| match scenario::parse(b.name, b.text) {
            Ok(s) => PickerEntry {
                name: b.name,
                title: s.title,
                kind: s.world.kind().to_string(),
                description: s.description,
                error: None,
            },
            Err(e) => PickerEntry {
                name: b.name,
                title: b.name.to_string(),
                kind: String::new(),
                description: String::new(),
                error: Some(e.to_string()),
            },
        })
        .collect();
    // The platform world first, the rest in the built-ins' own order.
    entries.sort_by_key(|e| e.kind != "platform");
    entries
}

/// The panels focus moves between, in screen order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Gauges,
    Sparklines,
    Chart,
    Units,
    Analytic,
    World,
    Log,
}

impl Panel {
    pub const ALL: [Panel; 7] = [
        Panel::Gauges,
        Panel::Sparklines,
        Panel::Chart,
        Panel::Units,
        Panel::Analytic,
        Panel::World,
        Panel::Log,
    ];
}

/// The fault menu's fields, moved between with ↑/↓.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultField {
    Fault,
    Target,
    Strength,
}

/// The fault menu's state.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultMenu {
    pub field: FaultField,
    pub template: usize,
    pub target: usize,
    pub strength: Option<f64>,
}

/// What is drawn over the dashboard.
#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    Help,
    Faults(FaultMenu),
    /// The world's switches, with the selected row.
    Toggles(usize),
}

/// Which screen is showing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Picker,
    Dashboard,
}

/// The whole dashboard.
pub struct App {
    pub screen: Screen,
    pub picker: Vec<PickerEntry>,
    pub picker_row: usize,
    pub session: Option<Session>,
    pub overlay: Option<Overlay>,
    pub paused: bool,
    pub speed: f64,
    /// The last tick ran out of budget: simulated time lags real time × speed.
    pub behind: bool,
    /// Simulated seconds per real second actually achieved (smoothed).
    pub achieved_speed: f64,
    pub focus: Panel,
    /// Lines scrolled back from the newest in the log panel.
    pub log_scroll: usize,
    /// One line of feedback for the last action.
    pub message: Option<String>,
    pub quit: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
    pub theme: Theme,
}

impl App {
    /// The world picker.
    #[must_use]
    pub fn picker(theme: Theme) -> App {
        App {
            screen: Screen::Picker,
            picker: picker_entries(),
            picker_row: 0,
            session: None,
            overlay: None,
            paused: false,
            speed: 1.0,
            behind: false,
            achieved_speed: 0.0,
            focus: Panel::Chart,
            log_scroll: 0,
            message: None,
            quit: false,
            dirty: true,
            theme,
        }
    }

    /// The dashboard on one scenario.
    pub fn with_launch(launch: Launch, theme: Theme) -> Result<App, String> {
        let mut app = App::picker(theme);
        app.open(launch)?;
        Ok(app)
    }

    fn open(&mut self, launch: Launch) -> Result<(), String> {
        let session = Session::start(launch)?;
        self.speed = session
            .launch
            .meta
            .speed
            .clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
        self.session = Some(session);
        self.screen = Screen::Dashboard;
        self.overlay = None;
        self.behind = false;
        self.log_scroll = 0;
        self.message = None;
        if !self.panel_present(self.focus) {
            self.focus = Panel::Chart;
        }
        self.dirty = true;
        Ok(())
    }

    /// Whether a panel is on screen for the current world.
    #[must_use]
    pub fn panel_present(&self, p: Panel) -> bool {
        let Some(s) = &self.session else {
            return false;
        };
        let snap = &s.snapshot;
        match p {
            Panel::World => !snap.roads.is_empty() || snap.status_line.is_some(),
            Panel::Units => !snap.units.is_empty(),
            Panel::Sparklines => !snap.sparklines.is_empty(),
            Panel::Gauges | Panel::Chart | Panel::Analytic | Panel::Log => true,
        }
    }

    /// Simulated time now.
    #[must_use]
    pub fn now(&self) -> SimTime {
        self.session.as_ref().map_or(SimTime::ZERO, |s| s.sim.now())
    }

    /// Runs the simulation to `t` at once, without a budget (tests, demos).
    pub fn advance_to(&mut self, t: SimTime) {
        if let Some(s) = &mut self.session
            && s.sim.run_until(t).is_ok()
        {
            s.refresh();
            self.dirty = true;
        }
    }

    /// Moves simulated time on by `real_dt × speed`, doing at most the
    /// budget's work; returns the events handled. Paused: does nothing.
    pub fn tick(&mut self, real_dt: Duration, budget: Budget) -> u64 {
        if self.paused || self.screen != Screen::Dashboard {
            return 0;
        }
        let Some(s) = &mut self.session else { return 0 };
        let start = s.sim.now();
        let target = start + SimTime::from_secs_f64(real_dt.as_secs_f64() * self.speed);
        if target == start {
            return 0;
        }
        let (done, reached) = run_budgeted(&mut s.sim, target, budget);
        let behind = !reached;
        self.behind = behind;
        let achieved = (s.sim.now() - start).as_secs_f64() / real_dt.as_secs_f64().max(1e-9);
        self.achieved_speed = if self.achieved_speed == 0.0 {
            achieved
        } else {
            0.8 * self.achieved_speed + 0.2 * achieved
        };
        if s.sim.now() != start || done > 0 {
            // The snapshot is taken once per frame, not once per tick.
            s.stale = true;
            self.dirty = true;
        }
        done
    }

    /// Brings the world's snapshot up to date before a frame is drawn.
    pub fn prepare_frame(&mut self) {
        if let Some(s) = &mut self.session
            && s.stale
        {
            s.refresh();
        }
    }

    fn say(&mut self, text: impl Into<String>) {
        self.message = Some(text.into());
        self.dirty = true;
    }

    /// Applies a command; when the world logged nothing, `note` is logged
    /// instead; refusals are logged and shown.
    fn command(&mut self, cmd: Command, note: impl Into<String>) {
        let Some(s) = &mut self.session else { return };
        let before = s.log_mark();
        let result = s.sim.apply(cmd);
        let msg = match result {
            Ok(()) => {
                let note = note.into();
                if s.log_mark() == before && !note.is_empty() {
                    s.note(note.clone());
                }
                note
            }
            Err(e) => {
                let line = format!("refused: {e}");
                s.note(line.clone());
                line
            }
        };
        s.refresh();
        self.log_scroll = 0;
        self.say(msg);
    }

    /// The one way the user changes anything.
    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        if action == Action::Quit {
            self.quit = true;
            return;
        }
        if self.screen == Screen::Picker {
            self.update_picker(action);
            return;
        }
        match &self.overlay {
            Some(Overlay::Help) => {
                if matches!(action, Action::Back | Action::Help | Action::Confirm) {
                    self.overlay = None;
                }
                return;
            }
            Some(Overlay::Faults(_)) => {
                self.update_fault_menu(action);
                return;
            }
            Some(Overlay::Toggles(_)) => {
                self.update_toggles(action);
                return;
            }
            None => {}
        }
        self.message = None;
        match action {
            Action::Quit | Action::Back => self.quit = true,
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::TogglePause => {
                self.paused = !self.paused;
                self.behind = false;
            }
            Action::Step => self.step(),
            Action::SpeedUp => match SPEEDS.iter().find(|&&v| v > self.speed + 1e-9) {
                Some(&v) => self.speed = v,
                None => self.say(format!("top speed: ×{}", fmt_speed(self.speed))),
            },
            Action::SpeedDown => match SPEEDS.iter().rev().find(|&&v| v < self.speed - 1e-9) {
                Some(&v) => self.speed = v,
                None => self.say(format!("slowest speed: ×{}", fmt_speed(self.speed))),
            },
            Action::NextPolicy => self.cycle_policy(1),
            Action::PrevPolicy => self.cycle_policy(-1),
            Action::OpenFaultMenu => self.open_fault_menu(),
            Action::ClearFaults => {
                let n = self
                    .session
                    .as_ref()
                    .map_or(0, |s| s.sim.active_faults().len());
                if n == 0 {
                    self.say("no faults to clear");
                } else {
                    self.command(
                        Command::ClearFaults,
                        format!("cleared {n} fault{}", if n == 1 { "" } else { "s" }),
                    );
                }
            }
            Action::ArrivalsDown => {
                self.command(Command::ScaleArrivals(1.0 / 1.1), "arrival rate −10 %");
            }
            Action::ArrivalsUp => {
                self.command(Command::ScaleArrivals(1.1), "arrival rate +10 %");
            }
            Action::OpenToggles => {
                let has = self
                    .session
                    .as_ref()
                    .is_some_and(|s| !s.snapshot.toggles.is_empty());
                if has {
                    self.overlay = Some(Overlay::Toggles(0));
                } else {
                    self.say("this world has no switches");
                }
            }
            Action::Restart => self.restart(),
            Action::FocusNext => self.move_focus(1),
            Action::FocusPrev => self.move_focus(-1),
            Action::SwitchWorld(i) => self.switch_world(i),
            Action::Up if self.focus == Panel::Log => {
                let max = self.session.as_ref().map_or(0, Session::log_len);
                self.log_scroll = (self.log_scroll + 1).min(max.saturating_sub(1));
            }
            Action::Down if self.focus == Panel::Log => {
                self.log_scroll = self.log_scroll.saturating_sub(1);
            }
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Confirm => {
                self.dirty = false;
            }
        }
    }

    fn update_picker(&mut self, action: Action) {
        let n = self.picker.len();
        match action {
            Action::Back => self.quit = true,
            Action::Up => self.picker_row = self.picker_row.saturating_sub(1),
            Action::Down => self.picker_row = (self.picker_row + 1).min(n.saturating_sub(1)),
            Action::Confirm => {
                if let Some(e) = self.picker.get(self.picker_row) {
                    let name = e.name;
                    self.open_builtin(name);
                }
            }
            Action::SwitchWorld(i) => self.switch_world(i),
            Action::Help => self.say("↑/↓ choose a world, Enter opens it, q quits"),
            _ => self.dirty = false,
        }
    }

    fn open_builtin(&mut self, name: &str) {
        match Launch::builtin(name).and_then(|l| self.open(l)) {
            Ok(()) => {}
            Err(e) => self.say(format!("cannot open {name}: {e}")),
        }
    }

    fn switch_world(&mut self, i: u8) {
        let Some(kind) = WORLD_KEYS.get(usize::from(i)) else {
            return;
        };
        let found = self.picker.iter().find(|e| e.kind == *kind).map(|e| e.name);
        match found {
            Some(name) => self.open_builtin(name),
            None => self.say(format!("no {kind} world is built in yet")),
        }
    }

    fn restart(&mut self) {
        let Some(s) = self.session.take() else { return };
        let seed = s.launch.meta.seed;
        let launch = s.launch;
        match Session::start(launch) {
            Ok(mut fresh) => {
                fresh.note(format!("restarted with seed {seed}"));
                self.session = Some(fresh);
                self.behind = false;
                self.log_scroll = 0;
                self.say(format!("restarted with seed {seed}"));
            }
            Err(e) => {
                self.say(format!("restart failed: {e}"));
            }
        }
    }

    fn step(&mut self) {
        self.paused = true;
        if let Some(s) = &mut self.session {
            let t = s.sim.now() + SimTime::from_secs_f64(STEP_S);
            let budget = Budget {
                max_wall: STEP_WALL,
                ..Budget::default()
            };
            if !run_budgeted(&mut s.sim, t, budget).1 {
                self.message = Some("step cut short to keep the keys alive; press . again".into());
            }
            s.refresh();
        }
    }

    fn move_focus(&mut self, dir: isize) {
        let n = Panel::ALL.len() as isize;
        let mut i = Panel::ALL
            .iter()
            .position(|&p| p == self.focus)
            .unwrap_or(0) as isize;
        for _ in 0..n {
            i = (i + dir).rem_euclid(n);
            if self.panel_present(Panel::ALL[i as usize]) {
                break;
            }
        }
        self.focus = Panel::ALL[i as usize];
        self.log_scroll = 0;
    }

    fn cycle_policy(&mut self, dir: isize) {
        let Some(s) = &self.session else { return };
        let list = &s.policies;
        let current = s.sim.world().policy();
        if list.len() <= 1 {
            let text = format!("only one policy in this world: {current}");
            if let Some(s) = &mut self.session {
                s.note(text.clone());
            }
            self.say(text);
            return;
        }
        let i = list.iter().position(|p| *p == current).unwrap_or(0) as isize;
        let next = list[(i + dir).rem_euclid(list.len() as isize) as usize].clone();
        self.command(
            Command::SetPolicy(next.clone()),
            format!("policy {current} → {next}"),
        );
    }

    fn open_fault_menu(&mut self) {
        let Some(s) = &self.session else { return };
        let Some(first) = s.fault_menu.first() else {
            self.say("this world has no faults to inject");
            return;
        };
        self.overlay = Some(Overlay::Faults(FaultMenu {
            field: FaultField::Fault,
            template: 0,
            target: 0,
            strength: default_strength(first),
        }));
    }

    /// The fault the menu would inject now.
    #[must_use]
    pub fn menu_fault(&self) -> Option<Fault> {
        let (Some(s), Some(Overlay::Faults(m))) = (&self.session, &self.overlay) else {
            return None;
        };
        let t = s.fault_menu.get(m.template)?;
        Some(Fault {
            kind: match m.strength {
                Some(v) if t.strength.is_some() => t.kind.with_strength(v),
                _ => t.kind.clone(),
            },
            target: t
                .targets
                .get(m.target)
                .cloned()
                .unwrap_or_else(|| "all".into()),
            duration_s: t.duration_s,
        })
    }

    fn update_fault_menu(&mut self, action: Action) {
        let Some(Overlay::Faults(mut m)) = self.overlay.clone() else {
            return;
        };
        let Some(s) = &self.session else { return };
        let templates = &s.fault_menu;
        let Some(t) = templates.get(m.template) else {
            self.overlay = None;
            return;
        };
        let fields: Vec<FaultField> = [
            Some(FaultField::Fault),
            (t.targets.len() > 1).then_some(FaultField::Target),
            t.strength.as_ref().map(|_| FaultField::Strength),
        ]
        .into_iter()
        .flatten()
        .collect();
        let fi = fields.iter().position(|f| *f == m.field).unwrap_or(0);
        let dir: isize = match action {
            Action::Left | Action::SpeedDown | Action::ArrivalsDown => -1,
            Action::Right | Action::SpeedUp | Action::ArrivalsUp => 1,
            _ => 0,
        };
        match action {
            Action::Back | Action::OpenFaultMenu => {
                self.overlay = None;
                return;
            }
            Action::Up => m.field = fields[fi.saturating_sub(1)],
            Action::Down | Action::FocusNext => m.field = fields[(fi + 1).min(fields.len() - 1)],
            Action::Confirm => {
                self.inject_from_menu();
                return;
            }
            _ if dir != 0 => match m.field {
                FaultField::Fault => {
                    let n = templates.len() as isize;
                    m.template = (m.template as isize + dir).rem_euclid(n) as usize;
                    m.target = 0;
                    m.strength = templates.get(m.template).and_then(default_strength);
                }
                FaultField::Target => {
                    let n = t.targets.len().max(1) as isize;
                    m.target = (m.target as isize + dir).rem_euclid(n) as usize;
                }
                FaultField::Strength => {
                    if let (Some(spec), Some(v)) = (&t.strength, m.strength) {
                        let stepped = v + spec.step * dir as f64;
                        m.strength =
                            Some(snap_to_step(stepped, spec.step).clamp(spec.min, spec.max));
                    }
                }
            },
            _ => {
                self.dirty = false;
                return;
            }
        }
        self.overlay = Some(Overlay::Faults(m));
    }

    fn inject_from_menu(&mut self) {
        let Some(fault) = self.menu_fault() else {
            return;
        };
        self.overlay = None;
        let Some(s) = &mut self.session else { return };
        let before = s.log_mark();
        let text = fault.to_string();
        let msg = match s.sim.inject(fault) {
            Ok(id) => {
                let line = format!("fault #{id} injected: {text}");
                if s.log_mark() == before {
                    s.note(line.clone());
                }
                line
            }
            Err(e) => {
                let line = format!("fault {text} refused: {e}");
                s.note(line.clone());
                line
            }
        };
        s.refresh();
        self.log_scroll = 0;
        self.say(msg);
    }

    fn update_toggles(&mut self, action: Action) {
        let Some(Overlay::Toggles(row)) = self.overlay else {
            return;
        };
        let toggles = self
            .session
            .as_ref()
            .map(|s| s.snapshot.toggles.clone())
            .unwrap_or_default();
        let n = toggles.len();
        match action {
            Action::Back | Action::OpenToggles => self.overlay = None,
            Action::Up => self.overlay = Some(Overlay::Toggles(row.saturating_sub(1))),
            Action::Down | Action::FocusNext => {
                self.overlay = Some(Overlay::Toggles((row + 1).min(n.saturating_sub(1))));
            }
            Action::Confirm | Action::TogglePause | Action::Left | Action::Right => {
                if let Some((name, on)) = toggles.get(row) {
                    let word = if *on { "off" } else { "on" };
                    self.command(
                        Command::Toggle {
                            name: name.clone(),
                            on: !on,
                        },
                        format!("{name} switched {word}"),
                    );
                }
            }
            _ => self.dirty = false,
        }
    }

    /// The clock as the header shows it: wall-clock style `HH:MM:SS` when the
    /// story has a clock, elapsed `H:MM:SS` otherwise.
    #[must_use]
    pub fn clock(&self, t: SimTime) -> String {
        let origin = self
            .session
            .as_ref()
            .and_then(|s| s.launch.meta.clock_origin_s);
        clock_text(origin, t)
    }
}

/// Runs `sim` towards `target` in chunks, looking at the wall clock between
/// chunks; returns the events handled and whether `target` was reached.
fn run_budgeted(sim: &mut Simulation, target: SimTime, budget: Budget) -> (u64, bool) {
    let began = Instant::now();
    let mut done = 0u64;
    loop {
        let chunk = CHUNK_EVENTS.min(budget.max_events.saturating_sub(done));
        if chunk == 0 {
            return (done, false);
        }
        // A target behind the clock counts as reached: nothing to run.
        let Ok(n) = sim.step_until(target, chunk) else {
            return (done, true);
        };
        done += n;
        if sim.now() >= target {
            return (done, true);
        }
        if n == 0 || began.elapsed() >= budget.max_wall {
            return (done, false);
        }
    }
}

/// `HH:MM:SS` from a time-of-day origin, or elapsed `H:MM:SS`.
#[must_use]
pub fn clock_text(origin_s: Option<u32>, t: SimTime) -> String {
    match origin_s {
        Some(o) => {
            let total = u64::from(o) + t.micros() / 1_000_000;
            let (days, s) = (total / 86_400, total % 86_400);
            let hms = format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
            if days == 0 {
                hms
            } else {
                format!("{hms} +{days}d")
            }
        }
        None => t.to_string(),
    }
}

/// `0.25`, `10`, `10 000`.
#[must_use]
pub fn fmt_speed(v: f64) -> String {
    if v.fract() != 0.0 {
        return format!("{v}");
    }
    let n = v as u64;
    if n >= 10_000 {
        format!("{} {:03}", n / 1000, n % 1000)
    } else {
        format!("{n}")
    }
}

/// `v` on the step's grid, rounded to the step's decimals (0.3, not
/// 0.30000000000000004).
fn snap_to_step(v: f64, step: f64) -> f64 {
    if !(step > 0.0 && step.is_finite()) {
        return v;
    }
    let on_grid = (v / step).round() * step;
    let decimals = (-step.log10()).ceil().clamp(0.0, 9.0) as i32;
    let scale = 10f64.powi(decimals);
    (on_grid * scale).round() / scale
}

fn default_strength(t: &FaultTemplate) -> Option<f64> {
    let spec = t.strength.as_ref()?;
    Some(
        t.kind
            .strength()
            .unwrap_or(spec.min)
            .clamp(spec.min, spec.max),
    )
}

impl App {
    /// Whether ticks have work to do (a dashboard, not paused).
    #[must_use]
    pub fn is_running(&self) -> bool {
        !self.paused && self.screen == Screen::Dashboard && self.session.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_like_clocks() {
        assert_eq!(
            clock_text(Some(8 * 3600), SimTime::from_secs(125)),
            "08:02:05"
        );
        assert_eq!(
            clock_text(Some(23 * 3600), SimTime::from_secs(3600 + 61)),
            "00:01:01 +1d"
        );
        assert_eq!(clock_text(None, SimTime::from_secs(3725)), "1:02:05");
    }

    #[test]
    fn speeds_read_well() {
        assert_eq!(fmt_speed(0.25), "0.25");
        assert_eq!(fmt_speed(60.0), "60");
        assert_eq!(fmt_speed(10_000.0), "10 000");
    }

    #[test]
    fn strength_steps_land_on_the_grid() {
        assert_eq!(snap_to_step(0.5 - 0.1 - 0.1, 0.1), 0.3);
        assert_eq!(snap_to_step(0.26, 0.05), 0.25);
        assert_eq!(snap_to_step(270.0, 50.0), 250.0);
    }
}
