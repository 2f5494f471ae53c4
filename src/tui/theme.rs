//! Styles, read from a theme: a RON file naming a style for every role the
//! dashboard draws (`themes/*.ron`; the built-ins are embedded, a user's
//! theme is read from a path). `default` colours on the terminal's own
//! background, `light` is dark text on a white frame for a lit room, and
//! `mono` has no colour at all; it is also chosen when `NO_COLOR` is set
//! (non-empty) and no theme is asked for. Every state a colour tells is
//! also told by words, markers and bold / reversed text, so any theme
//! reads.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;
use serde::{Deserialize, Deserializer};

use crate::scenario::{Pos, ScenarioError};

/// The built-in themes, by name, with their text.
pub const BUILTIN_THEMES: [(&str, &str); 3] = [
    ("default", include_str!("../../themes/default.ron")),
    ("light", include_str!("../../themes/light.ron")),
    ("mono", include_str!("../../themes/mono.ron")),
];

/// Most series colours a theme may give (they repeat after the last).
pub const MAX_SERIES: usize = 8;

/// Largest theme file read.
const MAX_THEME_BYTES: usize = 64 * 1024;

/// A theme that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    /// Not a built-in name and not a path to a file.
    #[error("unknown theme `{name}`; expected one of: {}{}, or a path to a .ron file", names(), did_you_mean(.suggestion.as_deref()))]
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    /// The file cannot be read.
    #[error("{path}: cannot read the theme: {reason}")]
    Read { path: String, reason: String },
    /// The text is not a theme: `FILE:LINE:COL: message`.
    #[error(transparent)]
    Parse(#[from] ScenarioError),
}

fn names() -> String {
    BUILTIN_THEMES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(s: Option<&str>) -> String {
    s.map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// A colour as a theme writes it: a name, `#rrggbb` or an index 0–255.
#[derive(Clone, Copy, Debug)]
struct ColorSpec(Color);

impl<'de> Deserialize<'de> for ColorSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Color::from_str(&s).map(ColorSpec).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown colour `{s}`; expected a name (black, red, green, yellow, blue, \
                 magenta, cyan, gray, dark-gray, white, light-red … light-cyan), \
                 \"#rrggbb\" or an index \"0\"–\"255\""
            ))
        })
    }
}

/// A style as a theme writes it; every part optional.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StyleSpec {
    fg: Option<ColorSpec>,
    bg: Option<ColorSpec>,
    bold: bool,
    italic: bool,
    reversed: bool,
    underlined: bool,
}

impl StyleSpec {
    fn style(self) -> Style {
        let mut s = Style::new();
        if let Some(c) = self.fg {
            s = s.fg(c.0);
        }
        if let Some(c) = self.bg {
            s = s.bg(c.0);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.italic, Modifier::ITALIC),
            (self.reversed, Modifier::REVERSED),
            (self.underlined, Modifier::UNDERLINED),
        ] {
            if on {
                s = s.add_modifier(m);
            }
        }
        s
    }
}

/// A theme file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    base: StyleSpec,
    text: StyleSpec,
    dim: StyleSpec,
    header: StyleSpec,
    border: StyleSpec,
    border_focused: StyleSpec,
    title: StyleSpec,
    title_focused: StyleSpec,
    key: StyleSpec,
    ok: StyleSpec,
    warn: StyleSpec,
    alarm: StyleSpec,
    bar: StyleSpec,
    series: Vec<StyleSpec>,
    reference: StyleSpec,
    caption: StyleSpec,
    selected: StyleSpec,
}

/// The dashboard's palette: a style per role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Whether any role has a colour (without one, the chart's reference
    /// line is dotted so that it differs from the data).
    pub color: bool,
    base: Style,
    text: Style,
    dim: Style,
    header: Style,
    border: Style,
    border_focused: Style,
    title: Style,
    title_focused: Style,
    key: Style,
    ok: Style,
    warn: Style,
    alarm: Style,
    bar: Style,
    series: [Style; MAX_SERIES],
    series_n: usize,
    reference: Style,
    caption: Style,
    selected: Style,
}

/// No style anywhere (only if a built-in failed to parse, which a test
/// rules out).
const BARE: Theme = Theme {
    color: false,
    base: Style::new(),
    text: Style::new(),
    dim: Style::new(),
    header: Style::new().add_modifier(Modifier::REVERSED),
    border: Style::new(),
    border_focused: Style::new().add_modifier(Modifier::BOLD),
    title: Style::new(),
    title_focused: Style::new().add_modifier(Modifier::BOLD),
    key: Style::new().add_modifier(Modifier::BOLD),
    ok: Style::new(),
    warn: Style::new(),
    alarm: Style::new().add_modifier(Modifier::BOLD),
    bar: Style::new(),
    series: [Style::new(); MAX_SERIES],
    series_n: 1,
    reference: Style::new(),
    caption: Style::new().add_modifier(Modifier::ITALIC),
    selected: Style::new().add_modifier(Modifier::REVERSED),
};

impl Theme {
    /// Parses a theme's text; `origin` names it in errors
    /// (`FILE:LINE:COL: message`).
    pub fn parse(origin: &str, text: &str) -> Result<Theme, ThemeError> {
        if text.len() > MAX_THEME_BYTES {
            return Err(ScenarioError::new(
                origin,
                format!(
                    "file is {} bytes; a theme is at most {MAX_THEME_BYTES}",
                    text.len()
                ),
            )
            .into());
        }
        let opts = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let f: ThemeFile = opts.from_str(text).map_err(|e| {
            let pos = Pos {
                line: e.span.start.line.max(1),
                col: e.span.start.col.max(1),
            };
            ScenarioError::at(origin, text, pos, e.code.to_string())
        })?;
        if f.series.is_empty() || f.series.len() > MAX_SERIES {
            let pos =
                crate::scenario::locate_field(text, "series").unwrap_or(Pos { line: 1, col: 1 });
            return Err(ScenarioError::at(
                origin,
                text,
                pos,
                format!(
                    "`series` has {} styles; give 1 to {MAX_SERIES}",
                    f.series.len()
                ),
            )
            .into());
        }
        let mut series = [Style::new(); MAX_SERIES];
        for (s, spec) in series.iter_mut().zip(&f.series) {
            *s = spec.style();
        }
        let all = [
            f.base,
            f.text,
            f.dim,
            f.header,
            f.border,
            f.border_focused,
            f.title,
            f.title_focused,
            f.key,
            f.ok,
            f.warn,
            f.alarm,
            f.bar,
            f.reference,
            f.caption,
            f.selected,
        ];
        let color = all
            .iter()
            .chain(&f.series)
            .any(|s| s.fg.is_some() || s.bg.is_some());
        Ok(Theme {
            color,
            base: f.base.style(),
            text: f.text.style(),
            dim: f.dim.style(),
            header: f.header.style(),
            border: f.border.style(),
            border_focused: f.border_focused.style(),
            title: f.title.style(),
            title_focused: f.title_focused.style(),
            key: f.key.style(),
            ok: f.ok.style(),
            warn: f.warn.style(),
            alarm: f.alarm.style(),
            bar: f.bar.style(),
            series,
            series_n: f.series.len(),
            reference: f.reference.style(),
            caption: f.caption.style(),
            selected: f.selected.style(),
        })
    }

    /// A built-in theme by name.
    #[must_use]
    pub fn builtin(name: &str) -> Option<Theme> {
        BUILTIN_THEMES
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(n, text)| Theme::parse(n, text).ok())
    }

    /// `--theme ARG`: a built-in name, or a path to a theme file (anything
    /// with a `/` or ending in `.ron`).
    pub fn load(arg: &str) -> Result<Theme, ThemeError> {
        if let Some((n, text)) = BUILTIN_THEMES.iter().find(|(n, _)| *n == arg) {
            return Theme::parse(n, text);
        }
        let path = std::path::Path::new(arg);
        let ron_ext = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ron"));
        if ron_ext || arg.contains(std::path::MAIN_SEPARATOR) || arg.contains('/') {
            let meta = std::fs::metadata(path).map_err(|e| ThemeError::Read {
                path: arg.to_string(),
                reason: e.to_string(),
            })?;
            if meta.len() > MAX_THEME_BYTES as u64 {
                return Err(ScenarioError::new(
                    arg,
                    format!(
                        "file is {} bytes; a theme is at most {MAX_THEME_BYTES}",
                        meta.len()
                    ),
                )
                .into());
            }
            let text = std::fs::read_to_string(path).map_err(|e| ThemeError::Read {
                path: arg.to_string(),
                reason: e.to_string(),
            })?;
            return Theme::parse(arg, &text);
        }
        let names: Vec<&str> = BUILTIN_THEMES.iter().map(|(n, _)| *n).collect();
        Err(ThemeError::Unknown {
            name: arg.to_string(),
            suggestion: crate::sim::fault::catalog::closest(arg, &names).map(str::to_string),
        })
    }

    /// The theme for `--theme` (`arg`), else `mono` when `no_color`, else
    /// `default`.
    pub fn choose(arg: Option<&str>, no_color: bool) -> Result<Theme, ThemeError> {
        match arg {
            Some(a) => Theme::load(a),
            None if no_color => Ok(Theme::plain()),
            None => Ok(Theme::colored()),
        }
    }

    /// `default`, or `mono` when `NO_COLOR` is set to something non-empty.
    #[must_use]
    pub fn from_env() -> Theme {
        if no_color_set() {
            Theme::plain()
        } else {
            Theme::colored()
        }
    }

    /// The `default` theme.
    #[must_use]
    pub fn colored() -> Theme {
        Theme::builtin("default").unwrap_or(BARE)
    }

    /// The `mono` theme.
    #[must_use]
    pub fn plain() -> Theme {
        Theme::builtin("mono").unwrap_or(BARE)
    }

    /// The whole frame, drawn under everything (the light theme's white).
    #[must_use]
    pub fn base(self) -> Style {
        self.base
    }

    /// A panel's border: focused panels get a thick border (and a colour).
    #[must_use]
    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.border_focused
        } else {
            self.border
        }
    }

    #[must_use]
    pub fn border_type(self, focused: bool) -> BorderType {
        if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        }
    }

    #[must_use]
    pub fn title(self, focused: bool) -> Style {
        if focused {
            self.title_focused
        } else {
            self.title
        }
    }

    #[must_use]
    pub fn header(self) -> Style {
        self.header
    }

    #[must_use]
    pub fn text(self) -> Style {
        self.text
    }

    #[must_use]
    pub fn dim(self) -> Style {
        self.dim
    }

    #[must_use]
    pub fn key(self) -> Style {
        self.key
    }

    #[must_use]
    pub fn ok(self) -> Style {
        self.ok
    }

    #[must_use]
    pub fn warn(self) -> Style {
        self.warn
    }

    #[must_use]
    pub fn alarm(self) -> Style {
        self.alarm
    }

    #[must_use]
    pub fn bar(self, alarm: bool) -> Style {
        if alarm { self.alarm } else { self.bar }
    }

    #[must_use]
    pub fn series(self, i: usize) -> Style {
        self.series[i % self.series_n.clamp(1, MAX_SERIES)]
    }

    #[must_use]
    pub fn reference(self) -> Style {
        self.reference
    }

    #[must_use]
    pub fn caption(self) -> Style {
        self.caption
    }

    #[must_use]
    pub fn selected(self) -> Style {
        self.selected
    }
}

/// Whether `NO_COLOR` is set to something non-empty.
#[must_use]
pub fn no_color_set() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_theme_keeps_the_dashboards_colours() {
        let t = Theme::colored();
        assert!(t.color);
        assert_eq!(
            t.border(true),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        );
        assert_eq!(t.series(5), Style::new().fg(Color::Green));
        assert_eq!(t.base(), Style::new());
        let m = Theme::plain();
        assert!(!m.color);
        assert_eq!(m, BARE);
    }
}
