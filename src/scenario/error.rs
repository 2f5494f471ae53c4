//! Scenario errors, printed as `FILE:LINE:COL: message` with the offending
//! line and a caret under the column.

use std::fmt;

/// A position in a scenario's text, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A scenario that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// File name, built-in name, or `--set`.
    pub origin: String,
    pub pos: Option<Pos>,
    pub message: String,
    /// The offending source line, when known.
    pub line_text: Option<String>,
}

impl ScenarioError {
    #[must_use]
    pub fn new(origin: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            origin: origin.to_string(),
            pos: None,
            message: clip_quoted(&message.into()),
            line_text: None,
        }
    }

    /// An error at `pos` in `text`.
    #[must_use]
    pub fn at(origin: &str, text: &str, pos: Pos, message: impl Into<String>) -> Self {
        let line_text = text
            .lines()
            .nth(pos.line.saturating_sub(1))
            .map(ToString::to_string);
        ScenarioError {
            origin: origin.to_string(),
            pos: Some(pos),
            message: clip_quoted(&message.into()),
            line_text,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: {}", self.origin, p.line, p.col, self.message)?,
            None => write!(f, "{}: {}", self.origin, self.message)?,
        }
        if let (Some(p), Some(line)) = (self.pos, &self.line_text) {
            // Columns count characters; tabs are shown as one space so the caret lines up.
            let (shown, caret) = window(line, p.col);
            let pad = " ".repeat(caret);
            write!(f, "\n  | {shown}\n  | {pad}^")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Characters of a long source line shown around the column.
pub const WINDOW_CHARS: usize = 120;

/// The part of `line` shown under an error: all of it when short, else
/// [`WINDOW_CHARS`] characters around `col` with `…` where it is cut;
/// tabs become one space so the caret lines up. Returns the text and the
/// caret's offset in characters. Linear in the line's length.
fn window(line: &str, col: usize) -> (String, usize) {
    let n = line.chars().count();
    let at = col.saturating_sub(1).min(n);
    let (start, end) = if n <= WINDOW_CHARS {
        (0, n)
    } else {
        let start = at.saturating_sub(WINDOW_CHARS / 2).min(n - WINDOW_CHARS);
        (start, start + WINDOW_CHARS)
    };
    let mut shown = String::new();
    let mut caret = at - start;
    if start > 0 {
        shown.push('…');
        caret += 1;
    }
    shown.extend(
        line.chars()
            .skip(start)
            .take(end - start)
            .map(|c| if c == '\t' { ' ' } else { c }),
    );
    if end < n {
        shown.push('…');
    }
    (shown, caret)
}

/// Longest text between backticks a message echoes: what a user wrote is
/// quoted that way, and a 2 MB value must not become 2 MB of stderr.
const MAX_QUOTED: usize = 80;

/// `message` with every `quoted` part longer than [`MAX_QUOTED`] clipped.
fn clip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(4096));
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(&clip(part, MAX_QUOTED));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// `s` itself when short, else its first `max` characters and `…`: for
/// echoing user input (a token, a `--set` value) in a message.
#[must_use]
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Finds where `field:` is written in `text` (the first occurrence as a
/// whole word), so that a validation error can point at it.
#[must_use]
pub fn locate_field(text: &str, field: &str) -> Option<Pos> {
    field_positions(text, field).into_iter().next()
}

/// Where a path of fields is written: segments joined by `/`, each
/// looked for at or after the previous one. A segment `field` is
/// `field:`; `field=VALUE` is the first `field:` whose value is written
/// `VALUE` (e.g. `name="db"`, a node by its name); `"text"` is that
/// literal. Returns the position and whether it is a field (whose value
/// an error points at) rather than a literal. A path with one plain
/// segment is [`locate_field`].
#[must_use]
pub fn locate_path(text: &str, path: &str) -> Option<(Pos, bool)> {
    let mut at = Pos { line: 1, col: 1 };
    let mut found = None;
    for seg in path.split('/') {
        let here = if seg.starts_with('"') {
            literal_from(text, seg, at).map(|p| (p, false))
        } else if let Some((field, value)) = seg.split_once('=') {
            field_positions(text, field)
                .into_iter()
                .filter(|p| (p.line, p.col) >= (at.line, at.col))
                .find(|p| {
                    text.lines().nth(p.line - 1).is_some_and(|l| {
                        let rest: String = l.chars().skip(p.col - 1 + field.len()).collect();
                        rest.trim_start()
                            .strip_prefix(':')
                            .is_some_and(|v| v.trim_start().starts_with(value))
                    })
                })
                .map(|p| (p, true))
        } else {
            locate_field_from(text, seg, at).map(|p| (p, true))
        };
        match here {
            Some(h) => {
                // The next part is looked for after this one.
                at = Pos {
                    line: h.0.line,
                    col: h.0.col + 1,
                };
                found = Some(h);
            }
            // The deepest part found is the best place to point at.
            None => return found,
        }
    }
    found
}

/// A [`locate_path`] path as a dotted `--set` key:
/// `nodes/name="db"/servers` → `nodes.db.servers`.
#[must_use]
pub fn path_as_key(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let seg = seg.split_once('=').map_or(seg, |(_, v)| v);
            seg.trim_matches('"')
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Where `lit` is first written at or after `from`, outside `//` comments.
fn literal_from(text: &str, lit: &str, from: Pos) -> Option<Pos> {
    for (i, line) in text.lines().enumerate().skip(from.line - 1) {
        let code = line.split("//").next().unwrap_or("");
        let skip = if i + 1 == from.line { from.col - 1 } else { 0 };
        let start_byte = code.char_indices().nth(skip).map_or(code.len(), |(b, _)| b);
        if let Some(off) = code[start_byte..].find(lit) {
            return Some(Pos {
                line: i + 1,
                col: code[..start_byte + off].chars().count() + 1,
            });
        }
    }
    None
}

/// Where `field:` is first written at or after `from`.
#[must_use]
pub fn locate_field_from(text: &str, field: &str, from: Pos) -> Option<Pos> {
    field_positions(text, field)
        .into_iter()
        .find(|p| (p.line, p.col) >= (from.line, from.col))
}

/// Every place `field:` is written as a whole word, outside `//` comments,
/// in order.
#[must_use]
pub fn field_positions(text: &str, field: &str) -> Vec<Pos> {
    let mut out = Vec::new();
    if field.is_empty() {
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut from = 0;
        while let Some(off) = code[from..].find(field) {
            let start = from + off;
            let end = start + field.len();
            let before_ok = code[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let after = code[end..].trim_start();
            if before_ok && after.starts_with(':') {
                out.push(Pos {
                    line: i + 1,
                    col: code[..start].chars().count() + 1,
                });
            }
            from = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_input_is_clipped_in_messages() {
        let long = "x".repeat(5000);
        let e = ScenarioError::new(
            "f",
            format!("unknown balancing `{long}`; expected one of: `a`, `b`"),
        );
        assert!(e.message.len() < 200, "{}", e.message.len());
        assert!(
            e.message.ends_with("expected one of: `a`, `b`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn caret_points_at_the_column() {
        let text = "a: 1,\n  capacity: 3,\n";
        let pos = locate_field(text, "capacity").expect("found");
        assert_eq!(pos, Pos { line: 2, col: 3 });
        let e = ScenarioError::at("x.ron", text, pos, "capacity must be ≥ servers");
        assert_eq!(
            e.to_string(),
            "x.ron:2:3: capacity must be ≥ servers\n  |   capacity: 3,\n  |   ^"
        );
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_column() {
        let line = format!("{}x{}", "a".repeat(100_000), "b".repeat(100_000));
        let e = ScenarioError::at(
            "x.ron",
            &line,
            Pos {
                line: 1,
                col: 100_001,
            },
            "bad",
        );
        let shown = e.to_string();
        assert!(shown.len() < 1_000, "{}", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        assert!(lines[1].starts_with("  | …") && lines[1].ends_with('…'));
        let caret = lines[2].chars().position(|c| c == '^').expect("caret");
        assert_eq!(lines[1].chars().nth(caret), Some('x'));
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("abc", 3), "abc");
    }

    #[test]
    fn locate_skips_prefixes_and_comments() {
        let text = "// capacity: 1\nmax_capacity: 2,\ncapacity : 3";
        assert_eq!(
            locate_field(text, "capacity"),
            Some(Pos { line: 3, col: 1 })
        );
    }
}
