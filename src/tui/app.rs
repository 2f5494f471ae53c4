//! The dashboard's state and its one way to change: [`App::update`] with an
//! [`Action`], plus [`App::tick`], which moves simulated time on.
//!
//! Nothing here touches the terminal or reads the wall clock on its own:
//! the event loop says how much real time passed, so tests and benchmarks
//! can drive the app with a fake clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::fault::{Fault, FaultTemplate};
use crate::scenario::recording::{RecordError, Recorder};
use crate::scenario::{self, BUILTINS, Scenario};
use std::path::{Path, PathBuf};

/// What a recording gets: a command or a fault, as applied.
#[derive(Clone, Copy)]
enum Recorded<'a> {
    Command(&'a Command),
    Fault(&'a Fault),
}
use crate::sim::{Command, LogEntry, SimTime, Simulation, Snapshot};

use super::keymap::Action;
use super::theme::Theme;

mod replay;
pub use replay::Replay;

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
    /// `--set` overrides it was opened with (the picker's light variants).
    pub sets: Vec<String>,
}

type Builder = Box<dyn Fn(u64) -> Result<Simulation, String>>;

/// A scenario ready to (re)start: its meta data and how to build it.
pub struct Launch {
    pub meta: Meta,
    build: Builder,
    /// The scenario, with its overrides, when it came from one (what a
    /// recording embeds).
    scenario: Option<(Scenario, Option<String>)>,
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
            sets: Vec::new(),
        };
        let kept = (scenario.clone(), policy.clone());
        Launch {
            meta,
            build: Box::new(move |seed| {
                scenario
                    .simulation(Some(seed), policy.as_deref())
                    .map_err(|e| e.to_string())
            }),
            scenario: Some(kept),
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
            scenario: None,
        }
    }

    /// The same world on `seed` with `policy` instead (compare's other side).
    pub fn build_with_policy(&self, seed: u64, policy: &str) -> Result<Simulation, String> {
        if let Some((s, _)) = &self.scenario {
            return s
                .simulation(Some(seed), Some(policy))
                .map_err(|e| e.to_string());
        }
        let mut sim = (self.build)(seed)?;
        sim.apply(Command::SetPolicy(policy.to_string()))
            .map_err(|e| e.to_string())?;
        Ok(sim)
    }

    /// A built-in by name.
    pub fn builtin(name: &str) -> Result<Launch, String> {
        let b = scenario::builtin(name).ok_or_else(|| format!("no built-in `{name}`"))?;
        let s = scenario::parse(b.name, b.text).map_err(|e| e.to_string())?;
        Ok(Launch::from_scenario(b.name, s, None, None))
    }
}

/// What the user changed live, so that a restart can keep it.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The policy chosen with `p`, if any.
    pub policy: Option<String>,
    /// Product of every `[`/`]` (1 = the scenario's rate).
    pub arrival_scale: f64,
    /// Switches flipped with `t`, last state of each.
    pub toggles: Vec<(String, bool)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            policy: None,
            arrival_scale: 1.0,
            toggles: Vec::new(),
        }
    }
}

impl Settings {
    fn record(&mut self, cmd: &Command) {
        match cmd {
            Command::SetPolicy(p) => self.policy = Some(p.clone()),
            Command::ScaleArrivals(f) => self.arrival_scale *= f,
            Command::Toggle { name, on } => {
                self.toggles.retain(|(n, _)| n != name);
                self.toggles.push((name.clone(), *on));
            }
            _ => {}
        }
    }

    /// The commands that bring a fresh run to these settings.
    fn commands(&self) -> Vec<Command> {
        let mut out = Vec::new();
        if let Some(p) = &self.policy {
            out.push(Command::SetPolicy(p.clone()));
        }
        for (name, on) in &self.toggles {
            out.push(Command::Toggle {
                name: name.clone(),
                on: *on,
            });
        }
        if (self.arrival_scale - 1.0).abs() > 1e-12 {
            out.push(Command::ScaleArrivals(self.arrival_scale));
        }
        out
    }
}

/// Which lines the event log shows (`/` cycles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFilter {
    #[default]
    All,
    Faults,
    Captions,
    /// The world's own lines (neither faults nor captions).
    World,
    /// The dashboard's notes (refusals, restarts, choices).
    Dashboard,
}

impl LogFilter {
    pub const ALL: [LogFilter; 5] = [
        LogFilter::All,
        LogFilter::Faults,
        LogFilter::Captions,
        LogFilter::World,
        LogFilter::Dashboard,
    ];

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            LogFilter::All => "all",
            LogFilter::Faults => "faults",
            LogFilter::Captions => "captions",
            LogFilter::World => "world",
            LogFilter::Dashboard => "dashboard notes",
        }
    }

    #[must_use]
    pub fn next(self) -> LogFilter {
        let i = Self::ALL.iter().position(|f| *f == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    fn keeps(self, e: &LogEntry, note: bool) -> bool {
        let fault = e.text.contains("fault") || e.text.contains("cleared");
        let caption = e.text.starts_with('»');
        match self {
            LogFilter::All => true,
            LogFilter::Faults => fault,
            LogFilter::Captions => caption,
            LogFilter::World => !note && !fault && !caption,
            LogFilter::Dashboard => note,
        }
    }
}

/// One line of the event log as drawn: identical consecutive lines are
/// folded into one with their count.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine<'a> {
    /// The newest of the folded lines.
    pub entry: &'a LogEntry,
    /// A line of the dashboard's own (not the simulation's).
    pub note: bool,
    /// How many identical lines in a row it stands for.
    pub count: usize,
    /// Time of the oldest of them.
    pub first_at: SimTime,
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
    /// simulation's log on screen; each with the number of simulation log
    /// lines written before it, so that the two interleave as they happened.
    pub notes: VecDeque<(u64, LogEntry)>,
    /// What was changed live (kept by `R`).
    pub settings: Settings,
    /// Faults injected from the menu: (id, the name chosen, when).
    pub injected: Vec<(u64, String, SimTime)>,
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
            settings: Settings::default(),
            injected: Vec::new(),
        })
    }

    fn refresh(&mut self) {
        self.snapshot = self.sim.snapshot();
        self.stale = false;
    }

    /// Simulation log lines written so far (dropped ones included).
    fn sim_log_total(&self) -> u64 {
        self.sim.log().len() as u64 + self.sim.log_dropped()
    }

    fn note(&mut self, text: String) {
        if self.notes.len() == NOTES_CAPACITY {
            self.notes.pop_front();
        }
        let seq = self.sim_log_total();
        self.notes.push_back((
            seq,
            LogEntry {
                at: self.sim.now(),
                text,
            },
        ));
    }

    fn log_mark(&self) -> (usize, Option<LogEntry>) {
        (self.sim.log().len(), self.sim.log().next_back().cloned())
    }

    /// The merged log, newest first; notes are flagged `true`.
    pub fn log_rev(&self) -> impl Iterator<Item = (&LogEntry, bool)> {
        let total = self.sim_log_total();
        let mut sim = self
            .sim
            .log()
            .rev()
            .enumerate()
            .map(move |(k, e)| (total - 1 - k as u64, e))
            .peekable();
        let mut notes = self.notes.iter().rev().peekable();
        std::iter::from_fn(move || {
            let pick_note = match (sim.peek(), notes.peek()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((i, _)), Some((seq, _))) => seq > i,
            };
            if pick_note {
                notes.next().map(|(_, e)| (e, true))
            } else {
                sim.next().map(|(_, e)| (e, false))
            }
        })
    }

    /// The log as drawn, newest first: filtered, repeats folded.
    pub fn log_folded(&self, filter: LogFilter) -> impl Iterator<Item = LogLine<'_>> {
        let mut it = self
            .log_rev()
            .filter(move |(e, note)| filter.keeps(e, *note))
            .peekable();
        std::iter::from_fn(move || {
            let (entry, note) = it.next()?;
            let mut line = LogLine {
                entry,
                note,
                count: 1,
                first_at: entry.at,
            };
            while let Some((e, n)) = it.peek() {
                if *n == note && e.text == entry.text {
                    line.count += 1;
                    line.first_at = e.at;
                    it.next();
                } else {
                    break;
                }
            }
            Some(line)
        })
    }

    /// The last `n` lines as drawn (oldest first), `skip_newest` back.
    #[must_use]
    pub fn log_tail(&self, filter: LogFilter, n: usize, skip_newest: usize) -> Vec<LogLine<'_>> {
        let mut out: Vec<LogLine> = self.log_folded(filter).skip(skip_newest).take(n).collect();
        out.reverse();
        out
    }

    /// Lines in the log as drawn (filtered, repeats folded).
    #[must_use]
    pub fn log_len(&self, filter: LogFilter) -> usize {
        self.log_folded(filter).count()
    }
}

/// A world from the built-in list, for the picker.
#[derive(Clone, Debug, PartialEq)]
pub struct PickerEntry {
    pub name: &'static str,
    pub title: String,
    pub kind: String,
    pub description: String,
    /// `--set` overrides this entry applies (a light variant of a heavy
    /// built-in); empty for the built-in as it is.
    pub sets: Vec<String>,
    /// Why it cannot be opened, if it cannot.
    pub error: Option<String>,
}

impl PickerEntry {
    /// The name as the picker lists it: `tatkal`, `tatkal · scale=0.01`.
    #[must_use]
    pub fn label(&self) -> String {
        if self.sets.is_empty() {
            self.name.to_string()
        } else {
            format!("{} · {}", self.name, self.sets.join(" "))
        }
    }

    /// The launch this entry opens.
    pub fn launch(&self) -> Result<Launch, String> {
        let b =
            scenario::builtin(self.name).ok_or_else(|| format!("no built-in `{}`", self.name))?;
        let mut s = scenario::parse(b.name, b.text).map_err(|e| e.to_string())?;
        if !self.sets.is_empty() {
            s.apply_sets(&self.sets).map_err(|e| e.to_string())?;
        }
        Ok(Launch::from_scenario(b.name, s, None, None))
    }
}

/// A description's advice `For a light dashboard: --set KEY=VALUE.`, split
/// off: (the description without it, the override).
fn light_variant(description: &str) -> (String, Option<String>) {
    const ADVICE: &str = "For a light dashboard: --set ";
    let Some(at) = description.find(ADVICE) else {
        return (description.to_string(), None);
    };
    let rest = &description[at + ADVICE.len()..];
    let set: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect::<String>()
        .trim_end_matches('.')
        .to_string();
    let tail = rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..].trim();
    let head = description[..at].trim_end();
    let text = if tail.is_empty() {
        head.to_string()
    } else {
        format!("{head} {tail}")
    };
    if set.contains('=') {
        (text, Some(set))
    } else {
        (description.to_string(), None)
    }
}

fn picker_entries() -> Vec<PickerEntry> {
    let mut entries: Vec<PickerEntry> = Vec::new();
    for b in BUILTINS {
        match scenario::parse(b.name, b.text) {
            Ok(s) => {
                let (description, light) = light_variant(&s.description);
                let kind = s.world.kind().to_string();
                entries.push(PickerEntry {
                    name: b.name,
                    title: s.title.clone(),
                    kind: kind.clone(),
                    description,
                    sets: Vec::new(),
                    error: None,
                });
                if let Some(set) = light {
                    // Offered only when the override is accepted.
                    let mut probe = s.clone();
                    let error = probe
                        .apply_sets(std::slice::from_ref(&set))
                        .err()
                        .map(|e| e.to_string());
                    entries.push(PickerEntry {
                        name: b.name,
                        title: format!("{} (light: {set})", s.title),
                        kind,
                        description: "The same story at a smaller scale, for a light dashboard."
                            .to_string(),
                        sets: vec![set],
                        error,
                    });
                }
            }
            Err(e) => entries.push(PickerEntry {
                name: b.name,
                title: b.name.to_string(),
                kind: String::new(),
                description: String::new(),
                sets: Vec::new(),
                error: Some(e.to_string()),
            }),
        }
    }
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
    /// Slow the speed down while the fault is in force.
    SlowDown,
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
    /// `q` was pressed: quit? (`q` or `y` quits, anything else stays).
    ConfirmQuit,
}

/// Which screen is showing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Picker,
    Dashboard,
}

/// The columns the units table sorts by (`s` cycles; `None` is the world's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    None,
    Name,
    State,
    InFlight,
    Latency,
    Share,
}

impl SortBy {
    const CYCLE: [SortBy; 6] = [
        SortBy::None,
        SortBy::State,
        SortBy::InFlight,
        SortBy::Latency,
        SortBy::Share,
        SortBy::Name,
    ];

    #[must_use]
    pub fn next(self) -> SortBy {
        let i = Self::CYCLE.iter().position(|x| *x == self).unwrap_or(0);
        Self::CYCLE[(i + 1) % Self::CYCLE.len()]
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            SortBy::None => "as listed",
            SortBy::Name => "name",
            SortBy::State => "state",
            SortBy::InFlight => "in flight ↓",
            SortBy::Latency => "latency ↓",
            SortBy::Share => "share ↓",
        }
    }
}

/// How long a line of feedback stays on the status line (real time).
pub const MESSAGE_TTL: Duration = Duration::from_secs(6);
/// With the slow-down setting on, a fault lasts at least this long on screen.
pub const FAULT_SCREEN_S: f64 = 10.0;

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
    /// Which lines the log shows.
    pub log_filter: LogFilter,
    /// First row of the units table shown.
    pub table_scroll: usize,
    pub table_sort: SortBy,
    /// The focused panel fills the body.
    pub enlarged: bool,
    /// Rows the table and the log showed in the last frame (page size).
    pub page_rows: std::cell::Cell<(usize, usize)>,
    /// Widest the gauges wanted so far in this session (kept, so the
    /// panel does not change width between frames).
    pub gauge_width: std::cell::Cell<u16>,
    /// Widest each column of the table wanted so far in this session.
    pub table_widths: std::cell::Cell<[u16; 6]>,
    /// One line of feedback for the last action.
    pub message: Option<String>,
    /// Real time the message has been up.
    message_age: Duration,
    /// Setting: slow down while a fault is in force, so an audience sees it.
    pub slow_during_faults: bool,
    /// The speed to go back to when the faults that slowed it are over.
    speed_before_fault: Option<f64>,
    /// The terminal is too small to draw the dashboard: time stands still.
    pub too_small: bool,
    pub quit: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
    pub theme: Theme,
    /// `--record FILE`: where the session is written, and the writer of
    /// the session in progress.
    record_to: Option<PathBuf>,
    recorder: Option<Recorder>,
    /// `chaoswala replay FILE`: the recorded commands still to play.
    pub replay: Option<Replay>,
    /// The terminal's size (what `s` pictures); the event loop keeps it.
    pub screen_size: (u16, u16),
    /// Compare (`v`): the other policy's copy of the world.
    pub compare: super::compare::State,
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
            log_filter: LogFilter::All,
            table_scroll: 0,
            table_sort: SortBy::None,
            enlarged: false,
            page_rows: std::cell::Cell::new((5, 5)),
            gauge_width: std::cell::Cell::new(0),
            table_widths: std::cell::Cell::new([0; 6]),
            message: None,
            message_age: Duration::ZERO,
            slow_during_faults: false,
            speed_before_fault: None,
            too_small: false,
            quit: false,
            dirty: true,
            theme,
            record_to: None,
            recorder: None,
            replay: None,
            screen_size: (120, 40),
            compare: super::compare::State::default(),
        }
    }

    /// Records the session to `path` from now on (refused if the file
    /// exists, unless `force`). A restart or another world starts the
    /// recording again: the file holds the session since its last start.
    pub fn record_to(&mut self, path: &Path, force: bool) -> Result<(), RecordError> {
        if !force && path.exists() {
            return Err(RecordError::Exists(path.to_path_buf()));
        }
        self.record_to = Some(path.to_path_buf());
        self.begin_recording();
        match self.recorder {
            Some(_) => Ok(()),
            None => Err(RecordError::Io {
                path: path.to_path_buf(),
                error: std::io::Error::other("this world has no scenario to record"),
            }),
        }
    }

    /// The file the session is being recorded to, if any.
    #[must_use]
    pub fn recording(&self) -> Option<&Path> {
        self.recorder.as_ref().map(Recorder::path)
    }

    /// (Re)starts the recording for the session now open: the scenario as
    /// started, then what was kept live at a restart.
    fn begin_recording(&mut self) {
        let Some(path) = self.record_to.clone() else {
            return;
        };
        self.recorder = None;
        let Some(s) = &self.session else { return };
        let Some((scenario, policy)) = &s.launch.scenario else {
            return;
        };
        let mut started = scenario.clone();
        started.seed = s.launch.meta.seed;
        started.policy = policy.clone().or(started.policy);
        let result = Recorder::create(&path, &started, true).and_then(|mut r| {
            for cmd in s.settings.commands() {
                r.command(s.sim.now(), &cmd)?;
            }
            Ok(r)
        });
        match result {
            Ok(r) => self.recorder = Some(r),
            Err(e) => self.say(format!("not recording: {e}")),
        }
    }

    /// Writes `cmd`, just applied, to the recording.
    fn record(&mut self, at: SimTime, entry: Recorded<'_>) {
        let Some(r) = &mut self.recorder else { return };
        let written = match entry {
            Recorded::Command(cmd) => r.command(at, cmd),
            Recorded::Fault(f) => r.fault(at, f),
        };
        if let Err(e) = written {
            self.recorder = None;
            self.say(format!("recording stopped: {e}"));
        }
    }

    /// Closes the recording at the instant the session ended.
    pub fn finish_recording(&mut self) -> Result<(), RecordError> {
        let now = self.session.as_ref().map_or(SimTime::ZERO, |s| s.sim.now());
        match &mut self.recorder {
            Some(r) => r.finish(now),
            None => Ok(()),
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
        self.replay = None;
        self.speed = session
            .launch
            .meta
            .speed
            .clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
        self.session = Some(session);
        self.compare = super::compare::State::default();
        self.begin_recording();
        self.screen = Screen::Dashboard;
        self.overlay = None;
        self.behind = false;
        self.message = None;
        self.speed_before_fault = None;
        self.reset_views();
        if !self.panel_present(self.focus) {
            self.focus = Panel::Chart;
        }
        self.dirty = true;
        Ok(())
    }

    fn reset_views(&mut self) {
        self.gauge_width.set(0);
        self.table_widths.set([0; 6]);
        self.log_scroll = 0;
        self.table_scroll = 0;
        self.enlarged = false;
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
        let unbounded = Budget {
            max_events: u64::MAX,
            max_wall: Duration::MAX,
        };
        if self.now() <= t && self.run_to(t, unbounded).1 {
            if let Some(s) = &mut self.session {
                s.refresh();
                self.compare.advance_to(t, &s.sim);
            }
            self.dirty = true;
        }
        self.restore_speed_after_faults();
    }

    /// Moves simulated time on by `real_dt × speed`, doing at most the
    /// budget's work; returns the events handled. Paused: does nothing.
    pub fn tick(&mut self, real_dt: Duration, budget: Budget) -> u64 {
        self.age_message(real_dt);
        if !self.is_running() {
            return 0;
        }
        let start = self.now();
        let target = start + SimTime::from_secs_f64(real_dt.as_secs_f64() * self.speed);
        if target == start {
            return 0;
        }
        // A replay applies its recorded commands on the way.
        let (done, reached) = self.run_to(target, budget);
        let Some(s) = &mut self.session else {
            return done;
        };
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
        self.restore_speed_after_faults();
        done
    }

    /// Lets the status message age by `real_dt`; it goes after [`MESSAGE_TTL`].
    pub fn age_message(&mut self, real_dt: Duration) {
        if self.message.is_none() || self.replay.as_ref().is_some_and(Replay::asking) {
            return;
        }
        self.message_age += real_dt;
        if self.message_age >= MESSAGE_TTL {
            self.message = None;
            self.dirty = true;
        }
    }

    /// Says whether the terminal is too small to draw on; while it is,
    /// simulated time stands still.
    pub fn set_too_small(&mut self, small: bool) {
        if small != self.too_small {
            self.too_small = small;
            self.dirty = true;
        }
    }

    /// Brings the world's snapshot up to date before a frame is drawn.
    pub fn prepare_frame(&mut self) {
        if let Some(s) = &mut self.session
            && s.stale
        {
            s.refresh();
        }
        if let Some(s) = &self.session {
            self.compare.prepare(&s.sim);
        }
    }

    pub(crate) fn say(&mut self, text: impl Into<String>) {
        self.message = Some(text.into());
        self.message_age = Duration::ZERO;
        self.dirty = true;
    }

    /// Applies a command; when the world logged nothing, `note` is logged
    /// instead; refusals are logged and shown.
    #[allow(clippy::needless_pass_by_value)] // commands are values handed over
    fn command(&mut self, cmd: Command, note: impl Into<String>) {
        let Some(s) = &mut self.session else { return };
        let before = s.log_mark();
        let result = s.sim.apply(cmd.clone());
        let applied = result.is_ok().then(|| s.sim.now());
        let msg = match result {
            Ok(()) => {
                s.settings.record(&cmd);
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
        if let Some(at) = applied {
            self.record(at, Recorded::Command(&cmd));
            if let Some(s) = &self.session {
                let m = super::compare::Mirror::Command(cmd.clone());
                self.compare.record(at, m, &s.sim);
            }
        }
    }

    /// The one way the user changes anything.
    pub fn update(&mut self, action: Action) {
        self.dirty = true;
        if action == Action::ForceQuit {
            self.quit = true;
            return;
        }
        if self.screen == Screen::Picker {
            self.update_picker(action);
            return;
        }
        if self.replay_intercepts(action) {
            return;
        }
        match &self.overlay {
            Some(Overlay::ConfirmQuit) => {
                if matches!(action, Action::Quit | Action::Yes) {
                    self.quit = true;
                } else {
                    self.overlay = None;
                    self.say("still here (q then y quits)");
                }
                return;
            }
            _ if action == Action::Quit => {
                self.overlay = Some(Overlay::ConfirmQuit);
                return;
            }
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
        match action {
            Action::Quit | Action::ForceQuit => {}
            Action::Back => {
                if self.enlarged {
                    self.enlarged = false;
                } else {
                    self.say("Esc closes menus; q quits (it asks first)");
                }
            }
            Action::Yes | Action::No => self.dirty = false,
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::TogglePause => {
                self.paused = !self.paused;
                self.behind = false;
            }
            Action::Step => self.step(),
            Action::SpeedUp => match SPEEDS.iter().find(|&&v| v > self.speed + 1e-9) {
                Some(&v) => self.set_speed(v),
                None => self.say(format!("top speed: ×{}", fmt_speed(self.speed))),
            },
            Action::SpeedDown => match SPEEDS.iter().rev().find(|&&v| v < self.speed - 1e-9) {
                Some(&v) => self.set_speed(v),
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
                    self.restore_speed_after_faults();
                }
            }
            Action::ArrivalsDown => self.scale_arrivals(1.0 / 1.1),
            Action::ArrivalsUp => self.scale_arrivals(1.1),
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
            Action::Compare => self.toggle_compare(),
            Action::Restart => self.restart(false),
            Action::RestartKeep => self.restart(true),
            Action::Picker => self.show_picker(),
            Action::FocusNext => self.move_focus(1),
            Action::FocusPrev => self.move_focus(-1),
            Action::SwitchWorld(i) => self.open_entry(usize::from(i)),
            Action::Enlarge => self.enlarged = !self.enlarged,
            Action::Filter => {
                self.focus = Panel::Log;
                self.log_filter = self.log_filter.next();
                self.log_scroll = 0;
                self.say(format!("event log shows: {}", self.log_filter.label()));
            }
            Action::Screenshot => self.screenshot(),
            Action::Sort => {
                if self.panel_present(Panel::Units) {
                    self.focus = Panel::Units;
                    self.table_sort = self.table_sort.next();
                    self.table_scroll = 0;
                    self.say(format!("table sorted by {}", self.table_sort.label()));
                } else {
                    self.say("this world has no table to sort");
                }
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Home
            | Action::End => {
                self.scroll(action);
            }
            Action::Left | Action::Right | Action::Confirm => {
                self.dirty = false;
            }
        }
    }

    /// `s`: the screen as it is now, as `.svg` and `.txt` in the working
    /// directory; the status line says where.
    fn screenshot(&mut self) {
        self.prepare_frame();
        let msg = match super::screenshot::save_app(self, Path::new(".")) {
            Ok((svg, txt)) => format!("saved {} and {}", svg.display(), txt.display()),
            Err(e) => format!("screenshot not saved: {e}"),
        };
        self.say(msg);
    }

    fn set_speed(&mut self, v: f64) {
        self.speed = v;
        // A speed chosen by hand is kept when the fault is over.
        self.speed_before_fault = None;
    }

    fn scale_arrivals(&mut self, f: f64) {
        let total = self
            .session
            .as_ref()
            .map_or(1.0, |s| s.settings.arrival_scale)
            * f;
        let word = if f > 1.0 { "× 1.1" } else { "÷ 1.1" };
        self.command(
            Command::ScaleArrivals(f),
            format!(
                "arrival rate {word}: now × {} of the scenario's",
                trim_factor(total)
            ),
        );
    }

    /// Scrolls the focused table or log.
    fn scroll(&mut self, action: Action) {
        let (table_page, log_page) = self.page_rows.get();
        match self.focus {
            Panel::Log => {
                let max = self
                    .session
                    .as_ref()
                    .map_or(0, |s| s.log_len(self.log_filter))
                    .saturating_sub(log_page.max(1));
                let page = log_page.max(1);
                self.log_scroll = match action {
                    Action::Up => self.log_scroll + 1,
                    Action::Down => self.log_scroll.saturating_sub(1),
                    Action::PageUp => self.log_scroll + page,
                    Action::PageDown => self.log_scroll.saturating_sub(page),
                    Action::Home => max,
                    _ => 0,
                }
                .min(max);
            }
            Panel::Units => {
                let n = self.session.as_ref().map_or(0, |s| s.snapshot.units.len());
                let page = table_page.max(1);
                let max = n.saturating_sub(page);
                self.table_scroll = match action {
                    Action::Up => self.table_scroll.saturating_sub(1),
                    Action::Down => self.table_scroll + 1,
                    Action::PageUp => self.table_scroll.saturating_sub(page),
                    Action::PageDown => self.table_scroll + page,
                    Action::Home => 0,
                    _ => max,
                }
                .min(max);
            }
            _ => self.dirty = false,
        }
    }

    fn update_picker(&mut self, action: Action) {
        let n = self.picker.len();
        match action {
            Action::Quit => self.quit = true,
            Action::Back | Action::Picker => {
                if self.session.is_some() {
                    self.screen = Screen::Dashboard;
                } else {
                    self.say("q quits");
                }
            }
            Action::Up => self.picker_row = self.picker_row.saturating_sub(1),
            Action::Down => self.picker_row = (self.picker_row + 1).min(n.saturating_sub(1)),
            Action::Home | Action::PageUp => self.picker_row = 0,
            Action::End | Action::PageDown => self.picker_row = n.saturating_sub(1),
            Action::Confirm => self.open_entry(self.picker_row),
            Action::SwitchWorld(i) => self.open_entry(usize::from(i)),
            Action::Help => self.say("↑/↓ choose a world, Enter opens it, q quits"),
            _ => self.dirty = false,
        }
    }

    fn show_picker(&mut self) {
        self.screen = Screen::Picker;
        self.overlay = None;
        self.message = None;
        if let Some(s) = &self.session
            && let Some(i) = self
                .picker
                .iter()
                .position(|e| e.name == s.launch.meta.name && e.sets == s.launch.meta.sets)
        {
            self.picker_row = i;
        }
    }

    /// Opens the picker's entry `i` (0-based, as numbered there).
    fn open_entry(&mut self, i: usize) {
        let Some(e) = self.picker.get(i) else {
            self.say(format!(
                "no world number {}: the picker lists {}",
                i + 1,
                self.picker.len()
            ));
            return;
        };
        let label = e.label();
        let launched = e.launch().map(|mut l| {
            l.meta.sets.clone_from(&e.sets);
            l
        });
        self.picker_row = i;
        match launched.and_then(|l| self.open(l)) {
            Ok(()) => {}
            Err(err) => self.say(format!("cannot open {label}: {err}")),
        }
    }

    fn restart(&mut self, keep: bool) {
        let Some(s) = self.session.take() else { return };
        let seed = s.launch.meta.seed;
        let settings = s.settings.clone();
        let launch = s.launch;
        match Session::start(launch) {
            Ok(mut fresh) => {
                let mut kept = Vec::new();
                if keep {
                    for cmd in settings.commands() {
                        let what = describe_setting(&cmd);
                        match fresh.sim.apply(cmd.clone()) {
                            Ok(()) => {
                                fresh.settings.record(&cmd);
                                kept.push(what);
                            }
                            Err(e) => fresh.note(format!("not kept: {what}: {e}")),
                        }
                    }
                }
                let text = if !keep {
                    format!("restarted as the scenario says, seed {seed}")
                } else if kept.is_empty() {
                    format!("restarted with seed {seed}; nothing had been changed")
                } else {
                    format!("restarted with seed {seed}, keeping {}", kept.join(", "))
                };
                fresh.note(text.clone());
                fresh.refresh();
                let right = self.compare.side.as_ref().and_then(|c| {
                    fresh
                        .launch
                        .build_with_policy(seed, &c.policy)
                        .map_err(|e| fresh.note(format!("compare closed: {e}")))
                        .ok()
                });
                self.compare.restarted(&fresh.settings.commands(), right);
                self.compare.prepare(&fresh.sim);
                self.session = Some(fresh);
                self.begin_recording();
                self.behind = false;
                self.speed_before_fault = None;
                self.reset_views();
                self.say(text);
            }
            Err(e) => {
                self.say(format!("restart failed: {e}"));
            }
        }
    }

    fn step(&mut self) {
        self.paused = true;
        let mut cut = false;
        if self.session.is_some() {
            let t = self.now() + SimTime::from_secs_f64(STEP_S);
            let budget = Budget {
                max_wall: STEP_WALL,
                ..Budget::default()
            };
            cut = !self.run_to(t, budget).1;
            if let Some(s) = &mut self.session {
                s.refresh();
            }
        }
        if cut {
            self.say("step cut short to keep the keys alive; press . again");
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

    /// The speed a fault lasting `d` simulated seconds is shown at with the
    /// slow-down setting: the fastest of [`SPEEDS`] at which it lasts
    /// [`FAULT_SCREEN_S`] on screen, never faster than now.
    #[must_use]
    pub fn fault_speed(&self, d: f64) -> f64 {
        let fits = SPEEDS
            .iter()
            .rev()
            .find(|&&v| d / v >= FAULT_SCREEN_S)
            .copied()
            .unwrap_or(SPEEDS[0]);
        fits.min(self.speed)
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
            Some(FaultField::SlowDown),
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
                FaultField::SlowDown => self.slow_during_faults = !self.slow_during_faults,
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
        let label = match (&self.session, &self.overlay) {
            (Some(s), Some(Overlay::Faults(m))) => s
                .fault_menu
                .get(m.template)
                .map(|t| t.label.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        self.overlay = None;
        self.inject_labelled(fault, &label);
    }

    /// Injects `fault` as the menu does, under the menu's name `label`.
    fn inject_labelled(&mut self, fault: Fault, label: &str) {
        let lasts = fault_lasts_s(&fault);
        let slow_to = match lasts {
            Some(d) if self.slow_during_faults => Some(self.fault_speed(d)),
            _ => None,
        };
        let Some(s) = &mut self.session else { return };
        let before = s.log_mark();
        let text = fault.to_string();
        // The name chosen goes in the log first, then what it does.
        s.note(format!("fault menu: {label}"));
        let kept = fault.clone();
        let mut applied = None;
        let msg = match s.sim.inject(fault) {
            Ok(id) => {
                applied = Some(s.sim.now());
                let line = format!("fault #{id} injected: {text}");
                if s.log_mark() == before {
                    s.note(line.clone());
                }
                s.injected.push((id, label.to_string(), s.sim.now()));
                format!("{label} — {line}")
            }
            Err(e) => {
                let line = format!("fault {label} ({text}) refused: {e}");
                s.note(line.clone());
                line
            }
        };
        s.refresh();
        self.log_scroll = 0;
        let mut msg = msg;
        if let Some(v) = slow_to
            && v < self.speed
        {
            if self.speed_before_fault.is_none() {
                self.speed_before_fault = Some(self.speed);
            }
            self.speed = v;
            msg = format!("{msg} · slowed to ×{} while it lasts", fmt_speed(v));
        }
        self.say(msg);
        if let Some(at) = applied {
            self.record(at, Recorded::Fault(&kept));
            if let Some(s) = &self.session {
                let m = super::compare::Mirror::Fault(kept.clone());
                self.compare.record(at, m, &s.sim);
            }
        }
    }

    /// With the faults that slowed it over, the speed goes back.
    fn restore_speed_after_faults(&mut self) {
        let Some(v) = self.speed_before_fault else {
            return;
        };
        if self
            .session
            .as_ref()
            .is_none_or(|s| s.sim.active_faults().is_empty())
        {
            self.speed = v;
            self.speed_before_fault = None;
            self.say(format!("faults over: back to ×{}", fmt_speed(v)));
        }
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

    /// What the footer needs to know to choose its keys.
    #[must_use]
    pub fn key_context(&self) -> super::keymap::Context {
        let Some(s) = &self.session else {
            return super::keymap::Context::default();
        };
        super::keymap::Context {
            policies: s.policies.len() > 1,
            faults: !s.fault_menu.is_empty(),
            active_faults: !s.snapshot.active_faults.is_empty(),
            toggles: !s.snapshot.toggles.is_empty(),
            table: self.focus == Panel::Units && self.panel_present(Panel::Units),
            log: self.focus == Panel::Log,
        }
    }

    /// The clock as the header shows it: wall-clock style `HH:MM:SS` when the
    /// story has a clock, elapsed `HH:MM:SS` otherwise.
    #[must_use]
    pub fn clock(&self, t: SimTime) -> String {
        let origin = self
            .session
            .as_ref()
            .and_then(|s| s.launch.meta.clock_origin_s);
        clock_text(origin, t)
    }

    /// What to print on the normal screen after the dashboard closes: the
    /// world, the simulated span, the headline numbers and the faults.
    #[must_use]
    pub fn summary(&self) -> Option<String> {
        use std::fmt::Write as _;
        let s = self.session.as_ref()?;
        let meta = &s.launch.meta;
        let now = s.sim.now();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "chaoswala ran {}: {} (seed {})",
            meta.name, meta.title, meta.seed
        );
        let _ = writeln!(
            out,
            "  simulated {} → {} ({}), policy {}",
            self.clock(SimTime::ZERO),
            self.clock(now),
            super::view::fmt_duration_s(now.as_secs_f64()),
            s.sim.world().policy()
        );
        let label_w = s
            .snapshot
            .gauges
            .iter()
            .map(|g| g.label.chars().count())
            .max()
            .unwrap_or(0);
        for g in &s.snapshot.gauges {
            // Gauge texts are padded to a fixed width for the dashboard.
            let text: Vec<&str> = g.text.split(' ').filter(|w| !w.is_empty()).collect();
            let _ = writeln!(out, "  {:<label_w$}  {}", g.label, text.join(" "));
        }
        let injected: Vec<&str> = s
            .sim
            .log()
            .filter(|e| e.text.starts_with("fault #") && e.text.contains(" injected: "))
            .map(|e| e.text.as_str())
            .collect();
        if injected.is_empty() {
            let _ = writeln!(out, "  faults injected: none");
        } else {
            let _ = writeln!(out, "  faults injected: {}", injected.len());
            for line in injected {
                let chosen = s
                    .injected
                    .iter()
                    .find(|(id, _, _)| line.starts_with(&format!("fault #{id} ")));
                match chosen {
                    Some((_, label, at)) => {
                        let _ = writeln!(out, "    {} {label}: {line}", self.clock(*at));
                    }
                    None => {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
        }
        Some(out)
    }
}

/// How long a fault stays in force, simulated seconds (a crash with a
/// restart lasts until the restart); `None` until cleared.
#[must_use]
pub fn fault_lasts_s(f: &Fault) -> Option<f64> {
    match (&f.kind, f.duration_s) {
        (crate::fault::FaultKind::Kill { restart_after_s }, None) => *restart_after_s,
        (_, d) => d,
    }
}

/// `1.1`, `1.21`, `0.909`: a factor with three significant digits.
fn trim_factor(f: f64) -> String {
    let s = format!("{f:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A kept setting in words, for the restart note.
fn describe_setting(cmd: &Command) -> String {
    match cmd {
        Command::SetPolicy(p) => format!("policy {p}"),
        Command::ScaleArrivals(f) => format!("arrivals × {}", trim_factor(*f)),
        Command::Toggle { name, on } => format!("{name} {}", if *on { "on" } else { "off" }),
        other => format!("{other:?}"),
    }
}

/// Runs `sim` towards `target` in chunks, looking at the wall clock between
/// chunks; returns the events handled and whether `target` was reached.
pub(crate) fn run_budgeted(sim: &mut Simulation, target: SimTime, budget: Budget) -> (u64, bool) {
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

/// `HH:MM:SS` from a time-of-day origin, or elapsed `HH:MM:SS`.
#[must_use]
pub fn clock_text(origin_s: Option<u32>, t: SimTime) -> String {
    if let Some(o) = origin_s {
        let total = u64::from(o) + t.micros() / 1_000_000;
        let (days, s) = (total / 86_400, total % 86_400);
        let hms = format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
        if days == 0 {
            hms
        } else {
            format!("{hms} +{days}d")
        }
    } else {
        let s = t.micros() / 1_000_000;
        format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
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
        !self.paused
            && !self.too_small
            && !self.replay.as_ref().is_some_and(Replay::asking)
            && self.screen == Screen::Dashboard
            && self.session.is_some()
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
        assert_eq!(clock_text(None, SimTime::from_secs(3725)), "01:02:05");
        assert_eq!(clock_text(None, SimTime::from_secs(299)), "00:04:59");
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
