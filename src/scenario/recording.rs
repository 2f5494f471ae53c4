//! A recorded session is a scenario: the scenario as it was started (its
//! `--set` overrides applied, its seed and policy fixed), whose timeline
//! goes on with every command of the session at the simulated instant it
//! took effect, and a closing `recording` field with the instant the
//! session ended. So `chaoswala check` validates a recording, `chaoswala
//! run` replays it headless (to its end instant), and a trainer can edit
//! it as text.
//!
//! The file is written as the session goes: a header line naming the
//! format, the scenario up to its timeline, then one line per command,
//! flushed at once. A session that is killed leaves a file without its
//! closing lines; reading repairs it (the commands written so far are all
//! there), so a crash loses at most the command being written.
//!
//! Replaying gives the live session's metrics byte for byte because a
//! timeline action at an instant runs after the events of that instant,
//! exactly as a command from the keyboard does once the dashboard has
//! advanced the clock to it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Scenario, ScenarioError, TimelineEntry};
use crate::fault::Fault;
use crate::sim::{Command, SimTime};

/// The recording format this build writes and reads.
pub const FORMAT: u32 = 1;

/// The first line of every recording.
const HEADER: &str = "// chaoswala recording, format ";

/// The comment line between the scenario's own timeline and the
/// session's commands: `chaoswala replay` plays what follows it and
/// leaves the scenario's own entries (and any caption) to the world.
pub const COMMANDS_MARK: &str = "// the session's commands, as they were applied:";

/// Whether `text` is a recorded session (its first line says so).
#[must_use]
pub fn is_recording(text: &str) -> bool {
    text.starts_with(HEADER)
}

/// A recording split for `chaoswala replay`: the scenario as started,
/// with its own timeline and every caption, and the session's commands
/// (never captions) in the order they were applied.
#[derive(Clone, Debug)]
pub struct Split {
    pub scenario: Scenario,
    pub commands: Vec<TimelineEntry>,
    /// The simulated instant the session ended, when the recording says.
    pub ends_at_s: Option<f64>,
}

/// Splits a recording (see [`Split`]). Without the [`COMMANDS_MARK`] line
/// (an edited file), every entry but a caption counts as a command.
pub fn split(origin: &str, text: &str, scenario: &Scenario) -> Result<Split, ScenarioError> {
    if !is_recording(text) {
        return Err(ScenarioError::new(
            origin,
            "not a recorded session (its first line is not `// chaoswala recording, format N`); \
             record one with `chaoswala tui SCENARIO --record FILE`, or open a scenario with \
             `chaoswala tui FILE`"
                .to_string(),
        ));
    }
    // The scenario's own entries are the ones before the mark: the text up
    // to it, closed, is the scenario as started.
    let own = match text.find(COMMANDS_MARK) {
        Some(at) => {
            let head = format!("{}\n    ],\n)\n", text[..at].trim_end());
            super::parse(origin, &head).map_or(0, |s| s.timeline.len())
        }
        None => 0,
    };
    let mut started = scenario.clone();
    let ends_at_s = started.recording.take().map(|r| r.ends_at_s);
    let mut commands = Vec::new();
    let mut kept = Vec::new();
    for (i, e) in std::mem::take(&mut started.timeline)
        .into_iter()
        .enumerate()
    {
        if i < own || matches!(e, TimelineEntry::Caption { .. }) {
            kept.push(e);
        } else {
            commands.push(e);
        }
    }
    started.timeline = kept;
    Ok(Split {
        scenario: started,
        commands,
        ends_at_s,
    })
}

/// Where the recorded session ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingEnd {
    pub format: u32,
    /// The simulated instant the session ended.
    pub ends_at_s: f64,
}

/// Why a recording could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{0} exists; pass --force to replace it")]
    Exists(PathBuf),
    #[error("cannot write the recording {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write the scenario into the recording: {0}")]
    Ron(#[from] ron::Error),
}

/// Refuses a recording of a newer format with a clear message (before
/// serde meets fields it does not know).
pub(super) fn check_format(origin: &str, text: &str) -> Result<(), ScenarioError> {
    let Some(rest) = text.strip_prefix(HEADER) else {
        return Ok(());
    };
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    match n.parse::<u32>() {
        Ok(v) if v <= FORMAT => Ok(()),
        Ok(v) => Err(ScenarioError::new(
            origin,
            format!(
                "this recording is in format {v}, made by a newer chaoswala; this one reads \
                 format {FORMAT} and older"
            ),
        )),
        Err(_) => Err(ScenarioError::new(
            origin,
            "the recording's first line does not say its format".to_string(),
        )),
    }
}

/// A recording cut short (the session was killed) gets its closing
/// lines; anything else is returned as it is.
pub(super) fn repair(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(HEADER) && !text.trim_end().ends_with(')') {
        let mut t = text.trim_end().to_string();
        // A last line cut in the middle is dropped.
        if !t.ends_with(',')
            && !t.ends_with('[')
            && let Some(i) = t.rfind('\n')
        {
            t.truncate(i);
        }
        t.push_str("\n    ],\n)\n");
        std::borrow::Cow::Owned(t)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Writes a session as it goes (see the module docs).
pub struct Recorder {
    path: PathBuf,
    file: std::fs::File,
    finished: bool,
}

/// Opens a new file for writing: refused (`AlreadyExists`) if `path`
/// exists, unless `force`, which replaces it.
pub fn create_file(path: &Path, force: bool) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    opts.open(path)
}

impl Recorder {
    /// Starts a recording of `scenario` (already with its overrides, its
    /// seed and its starting policy) at `path`; refuses an existing file
    /// unless `force`.
    pub fn create(path: &Path, scenario: &Scenario, force: bool) -> Result<Self, RecordError> {
        let io = |error| RecordError::Io {
            path: path.to_path_buf(),
            error,
        };
        let mut file = create_file(path, force).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                RecordError::Exists(path.to_path_buf())
            } else {
                io(e)
            }
        })?;
        let mut s = scenario.clone();
        s.recording = None;
        // The live session measures from zero: so does its replay.
        s.warmup_s = 0.0;
        let text =
            ron::ser::to_string_pretty(&s, ron::ser::PrettyConfig::default().struct_names(true))?;
        // The timeline is the last field written: cut its closing bracket
        // so that commands can follow.
        let Some(cut) = text.rfind(']') else {
            return Err(RecordError::Ron(ron::Error::Message(
                "no timeline in the serialised scenario".to_string(),
            )));
        };
        let mut head = text[..cut].trim_end().to_string();
        if !head.ends_with('[') && !head.ends_with(',') {
            head.push(',');
        }
        writeln!(
            file,
            "{HEADER}{FORMAT}: the scenario as started, then every command at the \
             simulated instant it took effect."
        )
        .and_then(|()| writeln!(file, "{head}"))
        .and_then(|()| writeln!(file, "        {COMMANDS_MARK}"))
        .and_then(|()| file.flush())
        .map_err(io)?;
        Ok(Recorder {
            path: path.to_path_buf(),
            file,
            finished: false,
        })
    }

    /// Where the recording is written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `cmd`, applied at `at`.
    pub fn command(&mut self, at: SimTime, cmd: &Command) -> Result<(), RecordError> {
        let at_s = at.as_secs_f64();
        let entry = match cmd {
            Command::SetPolicy(name) => TimelineEntry::Policy {
                at_s,
                name: name.clone(),
            },
            Command::Toggle { name, on } => TimelineEntry::Toggle {
                at_s,
                name: name.clone(),
                on: *on,
            },
            Command::ScaleArrivals(factor) => TimelineEntry::ScaleArrivals {
                at_s,
                factor: *factor,
            },
            Command::ClearFault(id) => TimelineEntry::Clear {
                at_s,
                fault: Some(*id),
            },
            Command::ClearFaults => TimelineEntry::Clear { at_s, fault: None },
            Command::InjectFault { fault, .. } => TimelineEntry::Fault {
                at_s,
                fault: fault.clone(),
            },
        };
        self.entry(&entry)
    }

    /// Records a fault injected at `at` (it is numbered by the order of
    /// injection on replay, as it was live).
    pub fn fault(&mut self, at: SimTime, fault: &Fault) -> Result<(), RecordError> {
        self.entry(&TimelineEntry::Fault {
            at_s: at.as_secs_f64(),
            fault: fault.clone(),
        })
    }

    fn entry(&mut self, e: &TimelineEntry) -> Result<(), RecordError> {
        let line = ron::ser::to_string(e)?;
        writeln!(self.file, "        {line},")
            .and_then(|()| self.file.flush())
            .map_err(|error| RecordError::Io {
                path: self.path.clone(),
                error,
            })
    }

    /// Closes the recording: the session ended at `at`.
    pub fn finish(&mut self, at: SimTime) -> Result<(), RecordError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        let end = ron::ser::to_string(&RecordingEnd {
            format: FORMAT,
            ends_at_s: at.as_secs_f64(),
        })?;
        writeln!(self.file, "    ],\n    recording: Some({end}),\n)")
            .and_then(|()| self.file.flush())
            .map_err(|error| RecordError::Io {
                path: self.path.clone(),
                error,
            })
    }
}
