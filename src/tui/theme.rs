//! Styles. With `NO_COLOR` set (non-empty) every style is colourless and
//! states are told by words, markers and bold / reversed text only.

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;

/// The dashboard's palette.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colours unless `NO_COLOR` is set to something non-empty.
    #[must_use]
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    #[must_use]
    pub const fn colored() -> Theme {
        Theme { color: true }
    }

    #[must_use]
    pub const fn plain() -> Theme {
        Theme { color: false }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// A panel's border: focused panels get a thick border (and a colour).
    #[must_use]
    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            self.fg(Color::DarkGray)
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
        let s = self.fg(if focused { Color::Yellow } else { Color::Cyan });
        if focused {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    #[must_use]
    pub fn header(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    #[must_use]
    pub fn text(self) -> Style {
        Style::new()
    }

    #[must_use]
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::Gray)
        } else {
            Style::new()
        }
    }

    #[must_use]
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    #[must_use]
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    #[must_use]
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    #[must_use]
    pub fn alarm(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    #[must_use]
    pub fn bar(self, alarm: bool) -> Style {
        if alarm {
            self.alarm()
        } else {
            self.fg(Color::Cyan)
        }
    }

    #[must_use]
    pub fn series(self, i: usize) -> Style {
        const C: [Color; 4] = [Color::Cyan, Color::Green, Color::Magenta, Color::Yellow];
        self.fg(C[i % C.len()])
    }

    #[must_use]
    pub fn reference(self) -> Style {
        self.fg(Color::Red)
    }

    #[must_use]
    pub fn caption(self) -> Style {
        self.fg(Color::LightCyan).add_modifier(Modifier::ITALIC)
    }

    #[must_use]
    pub fn selected(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}
