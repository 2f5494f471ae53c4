//! Scenario files: RON, parsed with serde (`deny_unknown_fields`), then
//! validated. Errors point at `FILE:LINE:COL`. The shipped scenarios are
//! embedded in the binary so that it runs from any directory.
//!
//! ```ron
//! Scenario(
//!     name: "platform",
//!     title: "Andheri platform 1, fast train",
//!     duration_s: 3600,
//!     world: Platform((arrival_rate_per_min: 200, service_rate_per_min: 250)),
//!     timeline: [Caption(at_s: 0, text: "08:00, the rush begins")],
//! )
//! ```

pub mod error;
mod overrides;
pub mod recording;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::fault::Fault;
use crate::fault::catalog::summarise;
use crate::sim::{Catalog, Simulation};
pub use crate::world::{BUILTINS, BuildError, Builtin, DEFAULT_SCENARIO, ParamIssue, WorldSpec};
pub use error::{Pos, ScenarioError, field_positions, locate_field, locate_field_from};

/// Longest simulated horizon a scenario may ask for: 100 years, a guard
/// on the clock's range only. What a run may cost is bounded by its work
/// (events and memory, [`crate::work`]), not by its span: a light model
/// over a year is cheap.
pub const MAX_DURATION_S: f64 = 100.0 * 365.0 * 86_400.0;
/// Most timeline entries a scenario may hold.
pub const MAX_TIMELINE: usize = 10_000;
/// Largest scenario file read.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Deepest nesting of `(`, `[` and `{` in a scenario file or a `--set`
/// value, checked before parsing (the shipped scenarios need 6).
pub const MAX_NESTING: usize = 64;

/// A scenario: one world, its parameters, and a timeline that tells its story.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name used on the command line (`chaoswala run NAME`).
    pub name: String,
    /// What the dashboard's header shows.
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated seconds a headless run covers.
    pub duration_s: f64,
    /// Simulated seconds whose statistics are discarded.
    #[serde(default)]
    pub warmup_s: f64,
    /// Wall-clock time of day at simulated time 0, `HH:MM:SS` (e.g. `09:45:00`).
    #[serde(default)]
    pub clock_start: Option<String>,
    /// The dashboard's starting speed (simulated seconds per real second).
    #[serde(default = "default_speed")]
    pub speed: f64,
    /// Starting policy (the world's default when absent).
    #[serde(default)]
    pub policy: Option<String>,
    pub world: WorldSpec,
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// Present when the file is a recorded session (see [`recording`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<recording::RecordingEnd>,
}

fn default_seed() -> u64 {
    42
}

fn default_speed() -> f64 {
    1.0
}

/// Something that happens at a simulated time in a scenario's story.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TimelineEntry {
    /// Narration shown when the clock passes `at_s`.
    Caption { at_s: f64, text: String },
    /// A fault injected at `at_s` (cleared after its `duration_s`, if any).
    Fault { at_s: f64, fault: Fault },
    /// Switch policy at `at_s`.
    Policy { at_s: f64, name: String },
    /// Turn a world switch on or off at `at_s`.
    Toggle { at_s: f64, name: String, on: bool },
    /// Multiply the main arrival rate at `at_s`.
    ScaleArrivals { at_s: f64, factor: f64 },
    /// Clear fault number `fault` (faults are numbered from 1 in the order
    /// they are injected), or every fault in force when `None`.
    Clear {
        at_s: f64,
        #[serde(default)]
        fault: Option<u64>,
    },
}

impl TimelineEntry {
    #[must_use]
    pub fn at_s(&self) -> f64 {
        match self {
            TimelineEntry::Caption { at_s, .. }
            | TimelineEntry::Fault { at_s, .. }
            | TimelineEntry::Policy { at_s, .. }
            | TimelineEntry::Toggle { at_s, .. }
            | TimelineEntry::ScaleArrivals { at_s, .. }
            | TimelineEntry::Clear { at_s, .. } => *at_s,
        }
    }
}

/// A scenario with where it came from and the text it was read from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub origin: String,
    pub text: String,
    pub scenario: Scenario,
}

/// Parses and validates scenario text. `origin` names it in errors.
pub fn parse(origin: &str, text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::new(
            origin,
            format!(
                "file is {} bytes; at most {MAX_FILE_BYTES} are read",
                text.len()
            ),
        ));
    }
    if let Some(pos) = too_deep(text) {
        return Err(ScenarioError::at(
            origin,
            text,
            pos,
            format!(
                "nested deeper than {MAX_NESTING} levels of brackets; at most {MAX_NESTING} are allowed"
            ),
        ));
    }
    recording::check_format(origin, text)?;
    let repaired = recording::repair(text);
    let text: &str = &repaired;
    let scenario: Scenario = ron::Options::default().from_str(text).map_err(|e| {
        let pos = error_pos(text, &e);
        ScenarioError::at(origin, text, pos, describe_ron_error(&e.code, text, pos))
    })?;
    validate(origin, text, &scenario)?;
    Ok(scenario)
}

/// Where `text` opens its bracket number `MAX_NESTING + 1` (counting
/// `(`, `[`, `{` not yet closed, outside strings, chars and comments), if
/// it does: one pass, no recursion, so any input is cheap to refuse.
pub(crate) fn too_deep(text: &str) -> Option<Pos> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Str,
        RawStr,
        Char,
        LineComment,
        BlockComment(usize),
    }
    let mut state = In::Code;
    let mut depth = 0usize;
    let (mut line, mut col) = (1usize, 0usize);
    let mut chars = text.chars().peekable();
    let mut prev = '\0';
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += 1;
        }
        match state {
            In::Code => match c {
                '(' | '[' | '{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some(Pos { line, col });
                    }
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                '"' if prev == 'r' || prev == '#' => {
                    // r"…" or r#"…"#: count the hashes written before.
                    state = In::RawStr;
                }
                '"' => state = In::Str,
                '\'' => state = In::Char,
                '/' if chars.peek() == Some(&'/') => state = In::LineComment,
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    col += 1;
                    state = In::BlockComment(1);
                }
                _ => {}
            },
            In::Str => match c {
                '\\' => {
                    if chars.next() == Some('\n') {
                        line += 1;
                        col = 0;
                    } else {
                        col += 1;
                    }
                }
                '"' => state = In::Code,
                _ => {}
            },
            In::RawStr => {
                if c == '"' {
                    state = In::Code;
                }
            }
            In::Char => match c {
                '\\' => {
                    chars.next();
                    col += 1;
                }
                '\'' | '\n' => state = In::Code,
                _ => {}
            },
            In::LineComment => {
                if c == '\n' {
                    state = In::Code;
                }
            }
            In::BlockComment(n) => {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    col += 1;
                    state = if n == 1 {
                        In::Code
                    } else {
                        In::BlockComment(n - 1)
                    };
                } else if c == '/' && chars.peek() == Some(&'*') {
                    chars.next();
                    col += 1;
                    state = In::BlockComment(n + 1);
                }
            }
        }
        prev = c;
    }
    None
}

/// Where a RON error points. `span.start` is right for identifier errors
/// (unknown field or variant, duplicate field: it is the name's first
/// character) and for syntax errors (the unexpected token); for a value of
/// the wrong type it is where the value's parse began, before the blanks
/// after the colon, so blanks and comments are skipped to reach the
/// token. An out-of-range integer points after its minus sign: step back
/// onto it. End of file points at the end of the text.
fn error_pos(text: &str, e: &ron::error::SpannedError) -> Pos {
    let start = Pos {
        line: e.span.start.line.max(1),
        col: e.span.start.col.max(1),
    };
    if matches!(e.code, ron::Error::Eof) {
        return start;
    }
    let pos = skip_blanks(text, start);
    if matches!(e.code, ron::Error::IntegerOutOfBounds) && pos.col > 1 {
        let line = text.lines().nth(pos.line - 1).unwrap_or("");
        if line.chars().nth(pos.col - 2) == Some('-') {
            return Pos {
                line: pos.line,
                col: pos.col - 1,
            };
        }
    }
    pos
}

/// The value written after the field name at `field` (`name: VALUE`):
/// the token a validation error is about.
fn value_pos(text: &str, field: Pos) -> Pos {
    let Some(line) = text.lines().nth(field.line - 1) else {
        return field;
    };
    let colon = line
        .chars()
        .enumerate()
        .skip(field.col - 1)
        .find(|(_, c)| *c == ':')
        .map(|(i, _)| i);
    match colon {
        Some(i) => skip_blanks(
            text,
            Pos {
                line: field.line,
                col: i + 2,
            },
        ),
        None => field,
    }
}

/// The first position at or after `p` that is not blank or in a `//` comment.
fn skip_blanks(text: &str, p: Pos) -> Pos {
    let mut col = p.col;
    for (line_no, line) in (p.line..).zip(text.lines().skip(p.line - 1)) {
        let chars: Vec<char> = line.chars().collect();
        let mut i = col - 1;
        while i < chars.len() {
            if chars[i] == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if !chars[i].is_whitespace() {
                return Pos {
                    line: line_no,
                    col: i + 1,
                };
            }
            i += 1;
        }
        col = 1;
    }
    p
}

/// The token at `pos` (up to a delimiter), for "found …" in messages.
fn token_at(text: &str, pos: Pos) -> Option<String> {
    let line = text.lines().nth(pos.line.checked_sub(1)?)?;
    let rest: String = line.chars().skip(pos.col - 1).collect();
    let tok = if let Some(inner) = rest.strip_prefix('"') {
        let end = inner.find('"').map_or(rest.len(), |i| i + 2);
        rest[..end].to_string()
    } else {
        rest.split([',', ')', ']', ' ', '\t']).next()?.to_string()
    };
    (!tok.is_empty()).then(|| error::clip(&tok, 60))
}

/// "unknown field `x` in `Outer`; expected one of: a, b (did you mean `b`?)"
fn unknown_name(what: &str, found: &str, outer: Option<&str>, expected: &[&str]) -> String {
    let mut m = format!("unknown {what} `{}`", error::clip(found, 60));
    if let Some(o) = outer {
        let _ = write!(m, " in `{o}`");
    }
    if expected.is_empty() {
        let _ = write!(m, "; `{}` takes none", outer.unwrap_or("it"));
    } else {
        let _ = write!(m, "; expected one of: {}", summarise(expected));
    }
    if let Some(e) = crate::fault::catalog::closest(found, expected) {
        let _ = write!(m, " (did you mean `{e}`?)");
    }
    m
}

/// RON's message, reworded where it is terse, with what was found.
fn describe_ron_error(code: &ron::Error, text: &str, pos: Pos) -> String {
    let found = || {
        token_at(text, pos)
            .map(|t| format!(", found `{t}`"))
            .unwrap_or_default()
    };
    match code {
        ron::Error::Eof => {
            "unexpected end of file: the scenario is truncated (a `)` or `]` is missing?)"
                .to_string()
        }
        ron::Error::ExpectedInteger => format!("expected a whole number (e.g. `4`){}", found()),
        ron::Error::ExpectedFloat => format!("expected a number (e.g. `200` or `0.5`){}", found()),
        ron::Error::ExpectedString => format!("expected a string in double quotes{}", found()),
        ron::Error::ExpectedBoolean => format!("expected `true` or `false`{}", found()),
        ron::Error::ExpectedOption => format!("expected `Some(…)` or `None`{}", found()),
        ron::Error::ExpectedComma => format!("expected a comma `,` between items{}", found()),
        ron::Error::IntegerOutOfBounds => format!(
            "number out of range for this field (a whole number ≥ 0 is expected){}",
            found()
        ),
        ron::Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => unknown_name("field", found, outer.as_deref(), expected),
        ron::Error::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => unknown_name("variant", found, outer.as_deref(), expected),
        ron::Error::DuplicateStructField { field, outer } => format!(
            "field `{field}` is given twice{}",
            outer
                .as_deref()
                .map(|o| format!(" in `{o}`"))
                .unwrap_or_default()
        ),
        ron::Error::MissingStructField { field, outer } => match outer {
            Some(o) => format!("missing field `{field}` in `{o}`"),
            None => format!("missing field `{field}`"),
        },
        other => other.to_string(),
    }
}

fn finite_nonneg(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

/// Checks what serde cannot: ranges, cross-field rules, size caps.
pub fn validate(origin: &str, text: &str, s: &Scenario) -> Result<(), ScenarioError> {
    let err = |field: &str, msg: String| {
        let pos = error::locate_path(text, field)
            .map(|(p, is_field)| if is_field { value_pos(text, p) } else { p });
        match pos {
            Some(p) => ScenarioError::at(origin, text, p, msg),
            None => ScenarioError::new(origin, msg),
        }
    };
    if !(s.duration_s.is_finite() && s.duration_s > 0.0 && s.duration_s <= MAX_DURATION_S) {
        return Err(err(
            "duration_s",
            format!(
                "duration_s must be > 0 and ≤ {MAX_DURATION_S} (100 years), got {}",
                s.duration_s
            ),
        ));
    }
    if !(finite_nonneg(s.warmup_s) && s.warmup_s < s.duration_s) {
        return Err(err(
            "warmup_s",
            format!(
                "warmup_s must be ≥ 0 and shorter than duration_s ({}), got {}",
                s.duration_s, s.warmup_s
            ),
        ));
    }
    if !(s.speed.is_finite() && s.speed > 0.0) {
        return Err(err("speed", format!("speed must be > 0, got {}", s.speed)));
    }
    if let Some(c) = &s.clock_start
        && parse_clock(c).is_none()
    {
        return Err(err(
            "clock_start",
            format!(
                "clock_start must be HH:MM or HH:MM:SS, got `{}`",
                error::clip(c, 40)
            ),
        ));
    }
    if s.timeline.len() > MAX_TIMELINE {
        return Err(err(
            "timeline",
            format!(
                "the timeline has {} entries; at most {MAX_TIMELINE} are allowed",
                s.timeline.len()
            ),
        ));
    }
    // Each timeline entry has one `at_s:`; errors in entry i point at its
    // own fields, not at the first entry's. A world's own schedules (the
    // IPL demand steps) have `at_s` too: only those from the timeline on count.
    let timeline_at = locate_field(text, "timeline").unwrap_or(Pos { line: 1, col: 1 });
    let anchors: Vec<Pos> = field_positions(text, "at_s")
        .into_iter()
        .filter(|p| (p.line, p.col) > (timeline_at.line, timeline_at.col))
        .collect();
    for (i, entry) in s.timeline.iter().enumerate() {
        let err_in = |field: &str, msg: String| {
            entry_error(origin, text, anchors.get(i).copied(), field, msg)
        };
        let at = entry.at_s();
        if !(finite_nonneg(at) && at <= MAX_DURATION_S) {
            return Err(err_in(
                "at_s",
                format!("at_s must be between 0 and 100 years, got {at}"),
            ));
        }
        if let TimelineEntry::Fault { fault, .. } = entry {
            if let Err(m) = fault.kind.validate() {
                return Err(err_in("kind", m.to_string()));
            }
            if let Some(d) = fault.duration_s
                && !finite_nonneg(d)
            {
                return Err(err_in(
                    "duration_s",
                    format!("a fault's duration_s must be ≥ 0, got {d}"),
                ));
            }
        }
        if let TimelineEntry::ScaleArrivals { factor, .. } = entry
            && !(factor.is_finite() && *factor >= 0.0 && *factor <= 1000.0)
        {
            return Err(err_in(
                "factor",
                format!("factor must be between 0 and 1000, got {factor}"),
            ));
        }
    }
    if let Some(issue) = s.world.validate().into_iter().next() {
        return Err(err(&issue.field, issue.message));
    }
    // What the timeline asks of the world, checked against what the world
    // offers (its catalog, known without building it): a target, fault
    // kind, policy or switch the run would refuse is refused here first.
    let catalog = s.world.catalog();
    for (i, entry) in s.timeline.iter().enumerate() {
        let err_in = |field: &str, msg: String| {
            entry_error(origin, text, anchors.get(i).copied(), field, msg)
        };
        check_entry(&catalog, entry).map_err(|(field, msg)| err_in(field, msg))?;
    }
    if let Some(p) = &s.policy
        && !catalog.accepts_policy(p)
    {
        return Err(err(
            "policy",
            unknown_name("policy", p, None, &catalog.all_policies()),
        ));
    }
    Ok(())
}

/// An error in the timeline entry whose `at_s` is at `anchor`: at its own
/// `field` when it has one, else at the entry.
fn entry_error(
    origin: &str,
    text: &str,
    anchor: Option<Pos>,
    field: &str,
    msg: String,
) -> ScenarioError {
    let pos = anchor
        .and_then(|a| locate_field_from(text, field, a))
        .map(|p| value_pos(text, p));
    match pos.or(anchor) {
        Some(p) => ScenarioError::at(origin, text, p, msg),
        None => ScenarioError::new(origin, msg),
    }
}

/// One timeline entry against the world's catalog: the field to point at
/// and what is wrong.
fn check_entry(catalog: &Catalog, entry: &TimelineEntry) -> Result<(), (&'static str, String)> {
    match entry {
        TimelineEntry::Fault { fault, .. } => {
            let targets: Vec<&str> = catalog
                .faults
                .targets
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            let kinds = catalog.faults.kinds();
            let kind = fault.kind.name();
            if !kinds.contains(&kind) {
                return Err((
                    "kind",
                    format!(
                        "this world has no fault `{kind}`; its faults: {}",
                        kinds.join(", ")
                    ),
                ));
            }
            if !targets.contains(&fault.target.as_str()) {
                return Err((
                    "target",
                    unknown_name("target", &fault.target, None, &targets),
                ));
            }
            catalog
                .faults
                .check(fault)
                .map_err(|e| ("target", e.to_string()))
        }
        TimelineEntry::Policy { name, .. } if !catalog.accepts_policy(name) => Err((
            "name",
            unknown_name("policy", name, None, &catalog.all_policies()),
        )),
        TimelineEntry::Toggle { name, .. } if !catalog.has_toggle(name) => {
            let names: Vec<&str> = catalog.toggles.iter().map(|t| t.name.as_str()).collect();
            Err(("name", unknown_name("switch", name, None, &names)))
        }
        _ => Ok(()),
    }
}

/// `HH:MM[:SS]` to seconds after midnight.
#[must_use]
pub fn parse_clock(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut nums = [0u32; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    if nums[0] > 23 || nums[1] > 59 || nums[2] > 59 {
        return None;
    }
    Some(nums[0] * 3600 + nums[1] * 60 + nums[2])
}

/// Finds a built-in by name.
#[must_use]
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Loads a scenario by built-in name or by path.
pub fn load(name_or_path: &str) -> Result<Loaded, ScenarioError> {
    if let Some(b) = builtin(name_or_path) {
        let scenario = parse(b.name, b.text)?;
        return Ok(Loaded {
            origin: b.name.to_string(),
            text: b.text.to_string(),
            scenario,
        });
    }
    let path = std::path::Path::new(name_or_path);
    let text = read_capped(name_or_path, path)?;
    let scenario = parse(name_or_path, &text)?;
    Ok(Loaded {
        origin: name_or_path.to_string(),
        text,
        scenario,
    })
}

/// Reads a scenario file: a regular file (or a link to one) of at most
/// [`MAX_FILE_BYTES`], in UTF-8. Devices, pipes (including a piped
/// `/dev/stdin`) and folders are refused by their kind before they are
/// opened, so that nothing blocks or streams without end; the read itself
/// stops after the cap whatever the file system says about the size.
fn read_capped(origin: &str, path: &std::path::Path) -> Result<String, ScenarioError> {
    use std::io::Read as _;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
            return Err(ScenarioError::new(
                origin,
                format!(
                    "no built-in scenario or file by this name; built-ins: {}",
                    names.join(", ")
                ),
            ));
        }
        Err(e) => return Err(ScenarioError::new(origin, format!("cannot read: {e}"))),
    };
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a folder"
        } else {
            "a device, pipe or socket"
        };
        return Err(ScenarioError::new(
            origin,
            format!("not a regular file ({kind}); a scenario must be a .ron file"),
        ));
    }
    let too_big = |n: u64| {
        ScenarioError::new(
            origin,
            format!("file is {n} bytes or more; at most {MAX_FILE_BYTES} are read"),
        )
    };
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| ScenarioError::new(origin, format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ScenarioError::new(origin, format!("cannot read: {e}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let off = e.utf8_error().valid_up_to();
        let upto = &e.as_bytes()[..off];
        let line = upto.split(|b| *b == b'\n').count();
        ScenarioError::new(
            origin,
            format!(
                "not UTF-8 text: invalid byte 0x{:02x} at byte offset {off} (line {line})",
                e.as_bytes()[off]
            ),
        )
    })
}

impl Scenario {
    /// Applies `--set KEY=VALUE` overrides to the world's parameters, then
    /// validates again.
    pub fn apply_sets(&mut self, sets: &[String]) -> Result<(), ScenarioError> {
        for s in sets {
            self.world = overrides::apply(&self.world, s)?;
        }
        if let Some(issue) = self.world.validate().into_iter().next() {
            return Err(ScenarioError::new(
                "--set",
                format!("{}: {}", error::path_as_key(&issue.field), issue.message),
            ));
        }
        Ok(())
    }

    /// Builds a ready-to-run simulation with `seed` (the scenario's own
    /// when `None`) and an optional policy override.
    pub fn simulation(
        &self,
        seed: Option<u64>,
        policy: Option<&str>,
    ) -> Result<Simulation, BuildError> {
        let seed = seed.unwrap_or(self.seed);
        let policy = policy.or(self.policy.as_deref());
        let world = self.world.build(seed, policy)?;
        Ok(Simulation::new(world, &self.timeline))
    }

    /// How long a headless run of this scenario lasts by default: a
    /// recorded session's end, else `duration_s`.
    #[must_use]
    pub fn run_duration_s(&self) -> f64 {
        self.recording
            .as_ref()
            .map_or(self.duration_s, |r| r.ends_at_s)
    }

    /// Seconds after midnight at simulated time zero, if the story has a clock.
    #[must_use]
    pub fn clock_origin_s(&self) -> Option<u32> {
        self.clock_start.as_deref().and_then(parse_clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_builds() {
        for b in BUILTINS {
            let s = parse(b.name, b.text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.name, b.name, "a built-in's name matches its key");
            s.simulation(None, None)
                .unwrap_or_else(|e| panic!("{}: {e}", b.name));
        }
    }

    #[test]
    fn clock_parsing() {
        assert_eq!(parse_clock("09:45"), Some(9 * 3600 + 45 * 60));
        assert_eq!(parse_clock("19:30:05"), Some(19 * 3600 + 30 * 60 + 5));
        assert_eq!(parse_clock("24:00"), None);
        assert_eq!(parse_clock("9"), None);
        assert_eq!(parse_clock("aa:bb"), None);
    }
}
